"""An indicator over time (the dashboard's trend across plans) and the plans' admin page, where
an IM officer loads a new plan from its file (issue 13, DESIGN §6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from reporting.models import Indicator, Plan, ReportStatus

from .factories import LineFactory, PeriodFactory, ReportFactory
from .test_plans import JAN_2025, PLAN_2025, plan_2025, plan_file  # noqa: F401

URL = "/dashboard/indicator/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def across_plans(plan_2025, org_a, protection):  # noqa: F811
    """PRO-03 (2023–2024) approved in December 2024, its successor PRO-20 in February 2025;
    nothing approved in January 2025; a draft in February that must not count."""
    old = Indicator.objects.get(plan__code="2023-2024", code="PRO-03")
    new = Indicator.objects.get(plan=plan_2025, code="PRO-20")
    december = ReportFactory(organisation=org_a, sector=protection, status=ReportStatus.APPROVED,
                             period=PeriodFactory(month=dt.date(2024, 12, 1)))
    PeriodFactory(month=JAN_2025)
    february = PeriodFactory(month=dt.date(2025, 2, 1))
    approved = ReportFactory(organisation=org_a, sector=protection, status=ReportStatus.APPROVED,
                             period=february)
    LineFactory(report=december, indicator=old, total_monthly=100, new_beneficiaries=40,
                girls=10, boys=10, women=10, men=10, other_under_18=0, other_adults=0,
                other_unknown_age=0)
    LineFactory(report=approved, indicator=new, total_monthly=130, new_beneficiaries=20,
                girls=5, boys=5, women=5, men=5, other_under_18=0, other_adults=0,
                other_unknown_age=0)
    return old, new


def test_the_page_follows_the_successor_back_and_leaves_missing_months_missing(
        across_plans, alice):
    response = client_for(alice).get(URL, {"period": "2025-02", "indicator": "PRO-20"})
    assert response.status_code == 200
    points = {p.month: p for p in response.context["points"]}
    assert (points[dt.date(2024, 12, 1)].total_monthly, points[dt.date(2024, 12, 1)].codes) == (
        100, ("PRO-03",))
    assert (points[dt.date(2025, 2, 1)].total_monthly, points[dt.date(2025, 2, 1)].codes) == (
        130, ("PRO-20",))
    assert not points[JAN_2025].reported
    # From the first month the platform has (December 2024 here) to the month chosen.
    assert sorted(points) == [dt.date(2024, 12, 1), JAN_2025, dt.date(2025, 2, 1)]
    text = response.content.decode()
    assert "PRO-03</strong> (2023-2024) → <strong>PRO-20</strong> (2025-2026)" in text


def test_at_most_24_months_are_shown(across_plans, alice):
    PeriodFactory(month=dt.date(2021, 1, 1))
    response = client_for(alice).get(URL, {"period": "2025-02", "indicator": "PRO-20"})
    points = response.context["points"]
    assert len(points) == 24
    assert (points[-1].month, points[0].month) == (dt.date(2023, 3, 1), dt.date(2025, 2, 1))


def test_a_month_without_lines_is_a_gap_in_the_chart_not_a_zero(across_plans, alice):
    response = client_for(alice).get(URL, {"period": "2025-02", "indicator": "PRO-20"})
    chart = str(response.context["chart"])
    # Two reported months, each drawn as its own point; January has none.
    assert chart.count("<circle") == 2 * 2  # two series (total and new), two months each


def test_drafts_do_not_count(across_plans, org_a, protection, alice):
    _, new = across_plans
    draft = ReportFactory(organisation=org_a, sector=protection, status=ReportStatus.DRAFT,
                          period=PeriodFactory(month=dt.date(2025, 3, 1)))
    LineFactory(report=draft, indicator=new, total_monthly=999)
    response = client_for(alice).get(URL, {"period": "2025-03", "indicator": "PRO-20"})
    march = response.context["points"][0]
    assert march.month == dt.date(2025, 3, 1) and not march.reported


def test_the_picker_offers_the_plan_in_force_of_the_month(across_plans, alice):
    response = client_for(alice).get(URL, {"period": "2024-12"})
    codes = {i.code for i in response.context["indicators"]}
    assert "PRO-03" in codes and "PRO-20" not in codes
    response = client_for(alice).get(URL, {"period": "2025-02"})
    assert {i.plan.code for i in response.context["indicators"]} == {"2025-2026"}


@pytest.mark.parametrize("query, status", [
    ({"period": "2025-13"}, 400),
    ({"period": "1999-01"}, 400),
    ({"period": "2025-02", "indicator": "NOPE-1"}, 400),
])
def test_bad_parameters_are_named(across_plans, alice, query, status):
    response = client_for(alice).get(URL, query)
    assert response.status_code == status
    assert response.context["problem"]


def test_the_page_speaks_both_languages(across_plans, alice):
    client = client_for(alice)
    for language, words in (("es", "Un indicador en el tiempo"), ("en", "An indicator over time")):
        with translation.override(language):
            response = client.get(URL, {"period": "2025-02", "indicator": "PRO-20"},
                                  HTTP_ACCEPT_LANGUAGE=language)
        assert words in response.content.decode()


def test_the_page_costs_the_same_queries_whatever_the_months(across_plans, alice,
                                                             django_assert_max_num_queries):
    client = client_for(alice)
    client.get(URL, {"period": "2025-02", "indicator": "PRO-20"})
    with django_assert_max_num_queries(14):
        client.get(URL, {"period": "2025-02", "indicator": "PRO-20"})


# The plans' admin page ----------------------------------------------------------------------


def test_an_im_officer_loads_a_plan_from_the_admin(db, ivan):
    client = client_for(ivan)
    page = client.get("/admin/reporting/plan/")
    assert page.status_code == 200 and "/admin/reporting/plan/load/" in page.content.decode()
    response = client.post("/admin/reporting/plan/load/", {
        "file": SimpleUploadedFile("plan.csv", PLAN_2025.encode(), "text/csv")})
    assert response.status_code == 302
    plan = Plan.objects.get(code="2025-2026")
    assert plan.indicators.count() == 3
    assert Indicator.objects.get(plan__code="2023-2024", code="PRO-03").successor.code == "PRO-20"


def test_a_bad_plan_file_names_its_rows_and_saves_nothing(db, ivan):
    bad = PLAN_2025.replace("HEA,HEA-01,Atenciones de salud,Health care,,direct,people,",
                            "XXX,HEA-01,Atenciones de salud,Health care,,direct,people,")
    response = client_for(ivan).post("/admin/reporting/plan/load/", {
        "file": SimpleUploadedFile("plan.csv", bad.encode(), "text/csv")})
    assert response.status_code == 400
    assert "Row 6, sector:" in response.content.decode()
    assert not Plan.objects.filter(code="2025-2026").exists()


def test_a_broken_workbook_is_refused_not_a_server_error(db, ivan):
    response = client_for(ivan).post("/admin/reporting/plan/load/", {
        "file": SimpleUploadedFile("plan.xlsx", b"PK\x03\x04 not a workbook",
                                   "application/octet-stream")})
    assert response.status_code == 400
    assert "XLSX" in response.content.decode()


def test_coordinators_cannot_load_plans(db, paula):
    assert client_for(paula).get("/admin/reporting/plan/load/").status_code == 403
