"""The dashboard (/dashboard/) and its "how was this computed" pages (/dashboard/explain/).

The data set is DESIGN §4's worked example, made of reports of two organisations:

    report                                   line                              month   new
    HIAS · Health · Sept (approved)          Lima, destination                   300   250
                                             Lima, transit                        50    40
    Cáritas · Protection · Sept (approved)   Lima, destination (PRO-01)          200   150
                                             Tumbes, transit, cash (PRO-CP-01)   120   100
                                             Lima, destination (PRO-06, does
                                             not count people)                   500   500
    Cáritas · Health · Aug (approved)        Tumbes, transit                      80    70
    HIAS · Protection · Sept (submitted)     Lima, destination                   999   999

September: Health 350, Protection 320 (Child Protection 120), sum of sectors 670; people
assisted = 300 (Lima, destination: Health) + 50 + 120 = 470; CBI 120; partners reporting 2.
January to September: Health 250 + 40 + 70 = 360, Protection 250, sum 610; people assisted =
250 + 40 + 100 (Tumbes, transit: Protection's 100 beats Health's 70) = 390; CBI 100.
Lima 350 in the month and 290 to date; Tumbes 120 and 100.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import Organisation
from reporting.models import (
    ActivityLine,
    Indicator,
    Location,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportStatus,
)
from reporting.numbers import aggregation

from .factories import LineFactory, PeriodFactory, ReportFactory

pytestmark = pytest.mark.django_db

SEPT, AUG = dt.date(2023, 9, 1), dt.date(2023, 8, 1)
DESTINATION, TRANSIT = PopulationType.DESTINATION, PopulationType.TRANSIT


def add_line(report, indicator: str, department: str, population_type: str, total: int,
             new: int, modality: str = Modality.SERVICE, location: Location | None = None):
    place = Location.objects.get(code=department)
    return LineFactory(
        report=report, indicator=Indicator.objects.get(code=indicator), department=place,
        location=location or place, population_type=population_type, modality=modality,
        girls=0, boys=0, women=new, men=0, other_adults=0, new_beneficiaries=new, total_monthly=total,
        cash_usd=10 if modality in (Modality.CASH, Modality.VOUCHER) else None,
    )


@pytest.fixture
def data(period, org_a, org_b, protection, health):
    august = PeriodFactory(month=AUG)
    approved = ReportStatus.APPROVED
    hias_health = ReportFactory(organisation=org_a, sector=health, period=period, status=approved)
    add_line(hias_health, "HEA-01", "15", DESTINATION, 300, 250)
    add_line(hias_health, "HEA-01", "15", TRANSIT, 50, 40)
    caritas_protection = ReportFactory(organisation=org_b, sector=protection, period=period,
                                       status=approved)
    add_line(caritas_protection, "PRO-01", "15", DESTINATION, 200, 150)
    add_line(caritas_protection, "PRO-CP-01", "24", TRANSIT, 120, 100, modality=Modality.CASH)
    add_line(caritas_protection, "PRO-06", "15", DESTINATION, 500, 500)
    caritas_august = ReportFactory(organisation=org_b, sector=health, period=august,
                                   status=approved)
    add_line(caritas_august, "HEA-01", "24", TRANSIT, 80, 70)
    hias_submitted = ReportFactory(organisation=org_a, sector=protection, period=period,
                                   status=ReportStatus.SUBMITTED)
    add_line(hias_submitted, "PRO-01", "15", DESTINATION, 999, 999)
    return {"hias_health": hias_health, "caritas_protection": caritas_protection,
            "caritas_august": caritas_august, "hias_submitted": hias_submitted}


def explain_url(figure: str, scope: str = "month", code: str = "", **extra) -> str:
    url = f"/dashboard/explain/?period=2023-09&figure={figure}&scope={scope}"
    if code:
        url += f"&code={code}"
    return url + "".join(f"&{key}={value}" for key, value in extra.items())


# --------------------------------------------------------------------------------------------
# The dashboard's figures
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["alice", "bob", "paula", "carl", "ivan"])
def test_it_shows_every_signed_in_role_the_figures_of_the_situation_report(
    client, request, data, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/dashboard/?period=2023-09")
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures == aggregation.month_figures(SEPT)
    assert (figures.people_assisted_month, figures.sum_of_sectors_month) == (470, 670)
    assert (figures.people_assisted_ytd, figures.sum_of_sectors_ytd) == (390, 610)
    assert (figures.cbi_month, figures.cbi_ytd) == (120, 100)
    assert figures.partners_reporting == 2


def test_it_shows_the_numbers_on_the_page(client, ivan, data):
    client.force_login(ivan)
    response = client.get("/dashboard/?period=2023-09")
    sectors = {row.code: (row.month, row.ytd) for row in response.context["sector_rows"]}
    assert sectors["HEA"] == (350, 360)
    assert sectors["PRO"] == (320, 250)
    assert sectors["PRO-CP"] == (120, 100)
    assert sectors["EDU"] == (0, 0)
    departments = {row.code: (row.month, row.ytd) for row in response.context["department_rows"]}
    assert departments == {"15": (350, 290), "24": (120, 100)}
    population = {row.code: (row.month, row.ytd) for row in response.context["population_rows"]}
    assert population["destination"] == (300, 250)
    assert population["transit"] == (170, 140)
    trend = [(point.month.month, point.people_assisted, point.sum_of_sectors)
             for point in response.context["trend"]]
    assert trend[7:] == [(8, 80, 80), (9, 470, 670)]
    assert len(trend) == 9
    assert response.context["trend"][7].url == \
        "/dashboard/explain/?period=2023-08&figure=headline&scope=month"
    body = response.content.decode()
    assert re.search(r'data-figure="people-month">470<', body)
    assert re.search(r'data-figure="sum-month">670<', body)
    assert re.search(r'data-figure="people-ytd">390<', body)
    assert re.search(r'data-figure="cbi-ytd">100<', body)
    assert 'href="/situation-report/2023-09/"' in body
    assert "<svg" in body


def test_it_links_every_number_to_an_explanation_that_finds_the_same_value(client, ivan, data):
    client.force_login(ivan)
    context = client.get("/dashboard/?period=2023-09").context
    figures = context["figures"]
    expected = {
        context["links"]["headline_month"]: figures.people_assisted_month,
        context["links"]["headline_ytd"]: figures.people_assisted_ytd,
        context["links"]["cbi_month"]: figures.cbi_month,
        context["links"]["cbi_ytd"]: figures.cbi_ytd,
    }
    for row in [*context["sector_rows"], *context["department_rows"],
                *context["population_rows"]]:
        expected[row.month_url] = row.month
        expected[row.ytd_url] = row.ytd
    assert len(expected) == 4 + 2 * (12 + 2 + 5)
    for url, value in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["value"] == value, url
    assert "/dashboard/explain/?period=2023-09&figure=sector&scope=month&code=HEA" in expected


def test_it_opens_on_the_latest_month_with_approved_reports(client, bob, data):
    PeriodFactory(month=dt.date(2023, 10, 1))  # opened, nothing approved yet
    client.force_login(bob)
    response = client.get("/dashboard/")
    assert response.context["period"].month == SEPT
    assert response.context["figures"].people_assisted_month == 470


def test_it_says_so_when_no_period_exists(client, bob):
    client.force_login(bob)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert "No reporting period has been opened yet." in response.content.decode()


def test_it_renders_in_spanish(client, bob, data):
    client.force_login(bob)
    client.cookies["django_language"] = "es"
    response = client.get("/dashboard/?period=2023-09")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in body
    assert "Protección de la Niñez" in body and "Septiembre 2023" in body
    assert re.search(r'data-figure="people-month">470<', body)


def test_it_says_near_the_departments_why_the_year_can_be_smaller_than_the_month(
        client, ivan, data):
    # Lima: 350 people in September, 290 in the year to date (issue 14).
    client.force_login(ivan)
    response = client.get("/dashboard/?period=2023-09")
    departments = {row.code: (row.month, row.ytd) for row in response.context["department_rows"]}
    assert departments["15"][1] < departments["15"][0]
    body = response.content.decode()
    note = body.index('id="ytd-smaller-than-month"')
    assert body.index("By department") < note < body.index("By population type")
    assert "The year to date can be smaller than the month" in body[note:note + 200]
    client.cookies["django_language"] = "es"
    body = client.get("/dashboard/?period=2023-09").content.decode()
    assert "El acumulado del año puede ser menor que el mes" in body


def test_months_without_approved_lines_are_missing_not_zero(client, ivan, data):
    client.force_login(ivan)
    response = client.get("/dashboard/?period=2023-09")
    trend = response.context["trend"]
    assert [point.people_assisted for point in trend[:7]] == [None] * 7
    body = response.content.decode()
    table = body[body.index("Show as a table"):]
    assert re.search(r'>January</th>\s*<td class="num">–</td>\s*<td class="num">–</td>', table)
    assert "People · Jan" not in body and "People assisted directly · Jan" not in body
    assert "People assisted directly · Aug: 80" in body


# --------------------------------------------------------------------------------------------
# The sector filter
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("code", "month", "ytd", "partners", "rows"),
    [
        ("HEA", 350, 360, 1, ["HEA"]),
        ("PRO", 320, 250, 1, ["PRO", "PRO-CP", "PRO-GBV", "PRO-HTS"]),
        ("PRO-CP", 120, 100, 1, ["PRO-CP"]),
        ("EDU", 0, 0, 0, ["EDU"]),
    ],
)
def test_it_counts_only_the_lines_of_the_sector_chosen(
    client, bob, data, code, month, ytd, partners, rows
):
    client.force_login(bob)
    response = client.get(f"/dashboard/?period=2023-09&sector={code}")
    assert response.status_code == 200
    figures = response.context["figures"]
    lines = aggregation.in_sector(ActivityLine.objects.all(), code)
    assert figures.people_assisted_month == figures.sum_of_sectors_month == month
    assert figures.people_assisted_ytd == ytd
    assert figures.people_assisted_month == aggregation.month_figures(SEPT, lines=lines) \
        .people_assisted_month
    assert figures.partners_reporting == partners
    assert [row.code for row in response.context["sector_rows"]] == rows
    # The explanations keep the filter.
    assert response.context["links"]["headline_month"].endswith(
        f"sector={code}&figure=headline&scope=month")
    explained = client.get(response.context["links"]["headline_month"])
    assert explained.context["value"] == month


def test_it_filters_by_a_sub_sector_in_lower_case_too(client, bob, data):
    client.force_login(bob)
    response = client.get("/dashboard/?period=2023-09&sector=pro-cp")
    assert response.context["figures"].cbi_month == 120


# --------------------------------------------------------------------------------------------
# How was this computed
# --------------------------------------------------------------------------------------------

def test_it_lists_a_partner_only_their_own_reports_and_sums_the_others(client, bob, data):
    client.force_login(bob)
    response = client.get(explain_url("headline"))
    assert response.status_code == 200
    assert response.context["value"] == 470
    contributions = response.context["contributions"]
    assert [(row.report, row.people) for row in contributions.rows] == [
        (data["caritas_protection"], 320)
    ]
    assert (contributions.hidden_count, contributions.hidden_people) == (1, 350)
    assert contributions.total_people == 670
    body = unescape(response.content.decode())
    assert f'href="/reports/{data["caritas_protection"].pk}/"' in body
    assert "Other organisations' reports (not visible to you): 1 report" in body
    assert "HIAS" not in body
    assert f'/reports/{data["hias_health"].pk}/' not in body


def test_it_lists_a_coordinator_the_reports_of_their_sector(client, paula, data):
    client.force_login(paula)
    contributions = client.get(explain_url("headline")).context["contributions"]
    assert [row.report for row in contributions.rows] == [data["caritas_protection"]]
    assert (contributions.hidden_count, contributions.hidden_people) == (1, 350)


def test_it_lists_the_im_officer_every_report(client, ivan, data):
    client.force_login(ivan)
    response = client.get(explain_url("headline"))
    contributions = response.context["contributions"]
    assert [(row.report, row.people) for row in contributions.rows] == [
        (data["hias_health"], 350), (data["caritas_protection"], 320)
    ]
    assert contributions.hidden_count == 0
    assert "not visible to you" not in response.content.decode()


def test_it_lists_the_reports_of_the_year_to_date_with_their_new_beneficiaries(
    client, ivan, data
):
    client.force_login(ivan)
    response = client.get(explain_url("sector", "ytd", "HEA"))
    assert response.context["value"] == 360
    assert {row.report: row.people for row in response.context["contributions"].rows} == {
        data["hias_health"]: 290, data["caritas_august"]: 70,
    }
    assert "from January to September 2023" in response.context["rule"]


def test_it_marks_the_sector_taken_in_each_cell_of_the_headline(client, bob, data, health,
                                                                 protection):
    client.force_login(bob)
    response = client.get(explain_url("headline"))
    cells = response.context["cells"]
    assert [sector.code for sector in cells.sectors] == ["HEA", "PRO"]
    rows = {(row.department, row.population_type): row for row in cells.rows}
    lima = rows[("15", "destination")]
    assert [(cell.value, cell.taken) for cell in lima.values] == [(300, True), (200, False)]
    assert (lima.counted, lima.total, lima.counted_sector) == (300, 500, health)
    assert rows[("24", "transit")].counted_sector == protection
    assert (cells.counted, cells.total, cells.sector_totals) == (470, 670, [350, 320])
    body = response.content.decode()
    assert body.count(f'data-taken="{health.pk}"') == 2
    assert body.count(f'data-taken="{protection.pk}"') == 1
    assert re.search(r'data-figure="cells-counted">470<', body)


def test_it_explains_the_cbi_of_the_year_to_date_with_its_cells(client, bob, data, protection):
    client.force_login(bob)
    response = client.get(explain_url("cbi", "ytd"))
    assert response.context["value"] == 100
    [row] = response.context["cells"].rows
    assert (row.department, row.counted, row.counted_sector) == ("24", 100, protection)
    assert "new beneficiaries" in response.context["rule"]


def test_it_explains_a_department_and_a_population_type(client, bob, data):
    client.force_login(bob)
    lima = client.get(explain_url("department", "ytd", "15"))
    assert lima.context["value"] == 290
    assert lima.context["subject_name"] == "Lima"
    assert {row.population_type for row in lima.context["cells"].rows} == {
        "destination", "transit"}
    transit = client.get(explain_url("population", "month", "transit"))
    assert transit.context["value"] == 170
    assert transit.context["contributions"].total_people == 170


def test_it_explains_a_sub_sector(client, bob, data):
    client.force_login(bob)
    response = client.get(explain_url("sector", "month", "PRO-CP"))
    assert response.context["value"] == 120
    assert "also count for Protection" in response.context["rule"]
    assert [row.people for row in response.context["contributions"].rows] == [120]


# --------------------------------------------------------------------------------------------
# Who may look, and what the pages do with bad input
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/?period=2023-09",
                                 "/dashboard/explain/?period=2023-09&figure=headline"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, data, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/dashboard/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/dashboard/?period=2023-13", "is not a month"),
        ("/dashboard/?period=sept", "is not a month"),
        ("/dashboard/?period=2020-01", "There is no reporting period for January 2020."),
        ("/dashboard/?period=2023-09&sector=XYZ", "There is no sector with the code"),
        ("/dashboard/explain/?period=2023-09&figure=nonsense", "There is no figure called"),
        ("/dashboard/explain/?period=2023-09&figure=headline&scope=week", "scope=ytd"),
        ("/dashboard/explain/?period=2023-09&figure=sector", "Say which sector"),
        ("/dashboard/explain/?period=2023-09&figure=sector&code=XYZ", "There is no sector"),
        ("/dashboard/explain/?period=2023-09&figure=department&code=99", "no department"),
        ("/dashboard/explain/?period=2023-09&figure=population&code=x", "no population type"),
        ("/dashboard/explain/?period=2023-09&figure=headline&sector=XYZ", "There is no sector"),
        ("/dashboard/explain/?period=9999-99&figure=headline", "is not a month"),
    ],
)
def test_it_answers_bad_parameters_with_a_clear_404(client, bob, data, url, message):
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 404
    assert message in unescape(response.content.decode())


@pytest.mark.parametrize("page", ["0", "abc", "999"])
def test_it_shows_a_page_of_reports_whatever_the_page_number(client, bob, data, page):
    client.force_login(bob)
    assert client.get(explain_url("headline", page=page)).status_code == 200


# --------------------------------------------------------------------------------------------
# Queries: as many for 7 lines as for 100
#
# Measured: the dashboard runs 19 queries (session and user, the sectors, the month, the month
# list, the eleven of `month_figures`, the trend, the department names); an explanation 10 (9
# when the viewer may open none of the reports behind it). Both are the same for 7 lines in 4
# reports and for 100 lines in 35.
# --------------------------------------------------------------------------------------------

def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.fixture
def grow(data, period, health, protection):
    """Add 31 approved reports of other organisations, three lines each, in several
    departments, population types and modalities."""
    organisations = Organisation.objects.partners().exclude(acronym__in=["HIAS", "CARITAS"])
    departments = ["01", "02", "03", "04", "05", "06", "07", "15"]
    types = list(PopulationType.values)

    def grow() -> None:
        for i, organisation in enumerate(organisations.order_by("pk")[:31]):
            sector = health if i % 2 else protection
            report = ReportFactory(organisation=organisation, sector=sector, period=period,
                                   status=ReportStatus.APPROVED)
            indicator = "HEA-01" if i % 2 else "PRO-01"
            for j in range(3):
                add_line(report, indicator, departments[(i + j) % 8], types[j % 5], 40 + i, 30 + i,
                         modality=Modality.CASH if j == 2 else Modality.SERVICE)
        assert ActivityLine.objects.count() == 100

    return grow


@pytest.mark.parametrize("persona", ["bob", "paula", "ivan"])
@pytest.mark.parametrize("url", [
    "/dashboard/?period=2023-09",
    "/dashboard/?period=2023-09&sector=PRO",
    "/dashboard/?period=2023-09&sector=PRO-CP&map=ytd",
    explain_url("headline"),
    explain_url("cbi", "ytd"),
    explain_url("sector", "ytd", "HEA"),
    explain_url("department", "month", "15"),
    explain_url("population", "month", "transit", sector="PRO"),
])
def test_it_runs_as_many_queries_for_many_lines_as_for_few(
    client, request, persona, url, grow, django_assert_num_queries
):
    client.force_login(request.getfixturevalue(persona))
    client.get(url)  # warm the caches (content types, translations) out of the count
    few = queries_of(client, url)
    grow()
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200
    if "explain" in url:
        contributions = response.context["contributions"]
        assert contributions.total_count > 2
    assert MonthlyReport.objects.count() > 30
