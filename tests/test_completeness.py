"""Reporting completeness: the organisation × sector grid of a month, its rates, the review queue.

The hand-built month (September 2023, deadline 10 October) keeps only two organisations
registered in sectors: HIAS (Health, Integration, Protection, Shelter) and Cáritas del Perú
(Food Security, Health, Protection, Shelter), eight expected reports:

    HIAS     Health       approved, first submitted 5 Oct          reported, on time
    HIAS     Integration  submitted 12 Oct                         reported, late
    HIAS     Protection   nil, submitted 10 Oct 23:30 Lima time    reported, on time
    HIAS     Shelter      no report                                missing
    Cáritas  Food Sec.    returned, first submitted 8 Oct          reported, on time
    Cáritas  Health       draft (submitted 5 Oct, then withdrawn)  not reported
    Cáritas  Protection   approved, first submitted 11 Oct         reported, late
    Cáritas  Shelter      reopened, first submitted 1 Oct          reported, on time
    Cáritas  Education    submitted 3 Oct, not registered          shown, not counted

Reporting rate 6 / 8 = 75 %, on-time rate 4 / 8 = 50 %.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Organisation, Role
from reporting.models import MonthlyReport, ReportStatus, Sector
from reporting.numbers.completeness import CellState, period_completeness, review_queue

from .factories import ReportFactory, UserFactory

pytestmark = pytest.mark.django_db

LIMA = ZoneInfo("America/Lima")


def october(day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(2023, 10, day, hour, minute, tzinfo=LIMA)


def make_report(period, acronym, code, status, *, first=None, nil=False, reason="", submitted=None):
    return ReportFactory(
        period=period, organisation=Organisation.objects.get(acronym=acronym),
        sector=Sector.objects.get(code=code), status=status, is_nil=nil, status_reason=reason,
        first_submitted_at=first,
        submitted_at=submitted if submitted is not None else (
            first if status != ReportStatus.DRAFT else None
        ),
    )


@pytest.fixture
def registered(db):
    """Only HIAS and Cáritas are registered in sectors (the seeds register many more)."""
    Organisation.sectors.through.objects.exclude(
        organisation__acronym__in=["HIAS", "CARITAS"]
    ).delete()


@pytest.fixture
def september(period, registered):
    r = {}
    r["hias_hea"] = make_report(period, "HIAS", "HEA", ReportStatus.APPROVED, first=october(5))
    r["hias_int"] = make_report(period, "HIAS", "INT", ReportStatus.SUBMITTED, first=october(12))
    r["hias_pro"] = make_report(period, "HIAS", "PRO", ReportStatus.SUBMITTED, nil=True,
                                first=october(10, 23, 30))
    r["car_fs"] = make_report(period, "CARITAS", "FS", ReportStatus.RETURNED, first=october(8),
                              reason="Falta la desagregación por edad.")
    r["car_hea"] = make_report(period, "CARITAS", "HEA", ReportStatus.DRAFT, first=october(5))
    r["car_pro"] = make_report(period, "CARITAS", "PRO", ReportStatus.APPROVED, first=october(11))
    r["car_she"] = make_report(period, "CARITAS", "SHE", ReportStatus.REOPENED, first=october(1),
                               reason="Corregir Lima.")
    r["car_edu"] = make_report(period, "CARITAS", "EDU", ReportStatus.SUBMITTED, first=october(3))
    return r


def states(grid) -> dict[tuple[str, str], tuple[str, bool, bool]]:
    return {
        (cell.organisation.acronym, cell.sector.code): (cell.state, cell.expected, cell.late)
        for cell in grid.cells
    }


def rates(tally) -> tuple[int, int, int, int | None, int | None]:
    return (tally.expected, tally.reported, tally.on_time, tally.reporting_rate,
            tally.on_time_rate)


# --------------------------------------------------------------------------------------------
# The grid and its rates
# --------------------------------------------------------------------------------------------

def test_it_gives_every_expected_and_unregistered_report_its_state(period, september):
    grid = period_completeness(period=period, sectors=Sector.objects.top_level())

    assert states(grid) == {
        ("HIAS", "HEA"): (CellState.APPROVED, True, False),
        ("HIAS", "INT"): (CellState.LATE, True, True),
        ("HIAS", "PRO"): (CellState.NIL, True, False),
        ("HIAS", "SHE"): (CellState.MISSING, True, False),
        ("CARITAS", "FS"): (CellState.RETURNED, True, False),
        ("CARITAS", "HEA"): (CellState.DRAFT, True, False),
        ("CARITAS", "PRO"): (CellState.APPROVED, True, True),
        ("CARITAS", "SHE"): (CellState.REOPENED, True, False),
        ("CARITAS", "EDU"): (CellState.ON_TIME, False, False),
    }


def test_it_lays_the_grid_out_by_organisation_and_sector_in_display_order(period, september):
    grid = period_completeness(period=period, sectors=Sector.objects.top_level())

    assert [column.sector.code for column in grid.columns] == ["EDU", "FS", "HEA", "INT", "PRO", "SHE"]
    assert [row.organisation.acronym for row in grid.rows] == ["CARITAS", "HIAS"]
    hias = grid.rows[1]
    assert [cell and cell.state for cell in hias.cells] == [
        None, None, CellState.APPROVED, CellState.LATE, CellState.NIL, CellState.MISSING,
    ]


def test_it_counts_the_reporting_and_on_time_rates_over_expected_reports_only(period, september):
    grid = period_completeness(period=period, sectors=Sector.objects.top_level())

    assert rates(grid.overall) == (8, 6, 4, 75, 50)
    assert grid.overall.not_reported == 2
    assert grid.overall.reported_late == 2
    assert grid.overall.unregistered == 1
    assert grid.overall.by_state == {
        "approved": 2, "on_time": 0, "late": 1, "nil": 1, "returned": 1, "reopened": 1,
        "draft": 1, "missing": 1,
    }
    assert {column.sector.code: rates(column.tally) for column in grid.columns} == {
        "EDU": (0, 0, 0, None, None),
        "FS": (1, 1, 1, 100, 100),
        "HEA": (2, 1, 1, 50, 50),
        "INT": (1, 1, 0, 100, 0),
        "PRO": (2, 2, 1, 100, 50),
        "SHE": (2, 1, 1, 50, 50),
    }
    assert {row.organisation.acronym: rates(row.tally) for row in grid.rows} == {
        "CARITAS": (4, 3, 2, 75, 50),
        "HIAS": (4, 3, 2, 75, 50),
    }


def test_a_report_first_submitted_late_stays_late_once_approved_and_on_time_stays_on_time_when_resubmitted(
    period, september
):
    MonthlyReport.objects.filter(pk=september["car_fs"].pk).update(
        status=ReportStatus.SUBMITTED, submitted_at=october(20)
    )
    grid = period_completeness(period=period, sectors=Sector.objects.top_level())

    assert states(grid)[("CARITAS", "FS")] == (CellState.ON_TIME, True, False)
    assert states(grid)[("CARITAS", "PRO")] == (CellState.APPROVED, True, True)


def test_an_inactive_partner_or_sector_expects_no_report(period, september):
    Organisation.objects.filter(acronym="HIAS").update(active=False)
    Sector.objects.filter(code="SHE").update(active=False)
    grid = period_completeness(period=period, sectors=Sector.objects.top_level())

    assert [row.organisation.acronym for row in grid.rows] == ["CARITAS"]
    # Cáritas reported in Shelter (reopened), so the inactive sector still shows, uncounted.
    assert states(grid)[("CARITAS", "SHE")] == (CellState.REOPENED, False, False)
    assert rates(grid.overall) == (3, 2, 1, 67, 33)


# --------------------------------------------------------------------------------------------
# The page: who sees what
# --------------------------------------------------------------------------------------------

def test_it_redirects_an_anonymous_visitor_to_sign_in(client):
    response = client.get("/completeness/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/completeness/"


@pytest.mark.parametrize("persona", ["alice", "fiona"])
def test_it_refuses_partner_users(client, request, persona, period):
    client.force_login(request.getfixturevalue(persona))

    assert client.get("/completeness/?period=2023-09").status_code == 403


def test_it_shows_an_im_officer_every_sector_with_the_rates(client, ivan, period, september):
    client.force_login(ivan)
    response = client.get("/completeness/?period=2023-09")

    assert response.status_code == 200
    grid = response.context["grid"]
    assert [column.sector.code for column in grid.columns] == ["EDU", "FS", "HEA", "INT", "PRO", "SHE"]
    assert rates(grid.overall) == (8, 6, 4, 75, 50)
    body = response.content.decode()
    assert "6 of 8 expected reports" in body
    assert ">Submitted late</span>" in body
    assert ">Missing</span>" in body
    assert "not registered</div>" in body
    # Every cell with a report links to it; the IM team may open drafts too.
    for report in september.values():
        assert f'href="/reports/{report.pk}/"' in body


def test_it_shows_a_coordinator_only_the_sectors_they_review(client, paula, period, september):
    client.force_login(paula)
    response = client.get("/completeness/?period=2023-09&sector=HEA")  # not hers: ignored

    grid = response.context["grid"]
    assert [s.code for s in response.context["sectors"]] == ["PRO"]
    assert [column.sector.code for column in grid.columns] == ["PRO"]
    assert states(grid) == {
        ("HIAS", "PRO"): (CellState.NIL, True, False),
        ("CARITAS", "PRO"): (CellState.APPROVED, True, True),
    }
    assert rates(grid.overall) == (2, 2, 1, 100, 50)
    assert "Food Security" not in response.content.decode()


def test_a_sub_sector_coordinator_sees_the_parent_sector(client, period, september):
    gina = UserFactory(username="gina", role=Role.COORDINATOR,
                       organisation=Organisation.objects.get(acronym="ACNUR"))
    gina.sectors.add(Sector.objects.get(code="PRO-GBV"))
    client.force_login(gina)

    grid = client.get("/completeness/?period=2023-09").context["grid"]
    assert [column.sector.code for column in grid.columns] == ["PRO"]


def test_it_does_not_link_a_coordinator_to_drafts_they_cannot_open(client, carl, period, september):
    client.force_login(carl)
    body = client.get("/completeness/?period=2023-09").content.decode()

    assert f'href="/reports/{september["hias_hea"].pk}/"' in body
    assert f'href="/reports/{september["car_hea"].pk}/"' not in body
    assert ">Draft</span>" in body


def test_an_im_officer_may_filter_one_sector(client, ivan, period, september):
    client.force_login(ivan)
    grid = client.get("/completeness/?period=2023-09&sector=HEA").context["grid"]

    assert [column.sector.code for column in grid.columns] == ["HEA"]
    assert states(grid) == {
        ("HIAS", "HEA"): (CellState.APPROVED, True, False),
        ("CARITAS", "HEA"): (CellState.DRAFT, True, False),
    }
    assert rates(grid.overall) == (2, 1, 1, 50, 50)


def test_a_coordinator_without_sectors_sees_an_explanation(client, period, september):
    nobody = UserFactory(username="nadia", role=Role.COORDINATOR,
                         organisation=Organisation.objects.get(acronym="ACNUR"))
    client.force_login(nobody)
    response = client.get("/completeness/?period=2023-09")

    assert response.status_code == 200
    assert "You coordinate no sector yet." in response.content.decode()


# --------------------------------------------------------------------------------------------
# The review queue
# --------------------------------------------------------------------------------------------

def test_the_review_queue_lists_submitted_reports_oldest_first_with_days_waiting(period, september):
    today = dt.date(2023, 10, 20)
    queue = review_queue(MonthlyReport.objects.all(), today=today)

    assert [(w.report.organisation.acronym, w.report.sector.code, w.days_waiting)
            for w in queue.items] == [
        ("CARITAS", "EDU", 17),
        ("HIAS", "PRO", 10),  # 23:30 on the 10th in Lima is the 11th in UTC: still the 10th
        ("HIAS", "INT", 8),
    ]
    assert queue.total == 3
    assert queue.more == 0


def test_the_review_queue_counts_what_it_leaves_off(period, september):
    queue = review_queue(MonthlyReport.objects.all(), today=dt.date(2023, 10, 20), limit=2)

    assert len(queue.items) == 2
    assert queue.total == 3
    assert queue.more == 1


def test_the_page_shows_a_coordinator_the_queue_of_their_sectors_with_review_links(
    client, paula, period, september
):
    MonthlyReport.objects.filter(pk=september["hias_pro"].pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=5)
    )
    client.force_login(paula)
    response = client.get("/completeness/?period=2023-09")

    assert [(w.report.pk, w.days_waiting) for w in response.context["queue"].items] == [
        (september["hias_pro"].pk, 5)
    ]
    body = response.content.decode()
    assert f'href="/admin/reporting/monthlyreport/{september["hias_pro"].pk}/change/"' in body
    assert f'/admin/reporting/monthlyreport/{september["hias_int"].pk}/' not in body


# --------------------------------------------------------------------------------------------
# Bounded queries
# --------------------------------------------------------------------------------------------

STATES_CYCLE = [
    (ReportStatus.APPROVED, False), (ReportStatus.SUBMITTED, False), (ReportStatus.SUBMITTED, True),
    (ReportStatus.RETURNED, False), (ReportStatus.DRAFT, False), (None, False),
]


def grow_partners(period, organisations, sectors):
    for i, organisation in enumerate(organisations):
        organisation.sectors.set(sectors)
        for j, sector in enumerate(sectors):
            status, nil = STATES_CYCLE[(i + j) % len(STATES_CYCLE)]
            if status is None:
                continue
            make_report(period, organisation.acronym, sector.code, status, nil=nil,
                        first=october(1 + (i + j) % 20),
                        reason="Revisar." if status == ReportStatus.RETURNED else "")


@pytest.mark.parametrize("persona", ["paula", "ivan"])
def test_it_runs_as_many_queries_for_30_organisations_as_for_3(
    client, request, persona, period, registered, django_assert_num_queries
):
    Organisation.sectors.through.objects.all().delete()
    partners = list(Organisation.objects.partners().order_by("pk")[:30])
    sectors = list(Sector.objects.top_level().filter(code__in=["HEA", "PRO", "SHE"]))
    grow_partners(period, partners[:3], sectors)
    client.force_login(request.getfixturevalue(persona))
    url = "/completeness/?period=2023-09"
    client.get(url)  # warm the caches (content types, translations) out of the count
    with CaptureQueriesContext(connection) as small:
        client.get(url)

    grow_partners(period, partners[3:], sectors)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["grid"].rows) == 30
    assert len(small.captured_queries) <= 10


def test_rates_round_half_up_as_a_reader_would():
    from reporting.numbers.completeness import percent

    assert [percent(5, 8), percent(1, 8), percent(2, 3), percent(0, 4), percent(3, 0)] == [
        63, 13, 67, 0, None
    ]


@pytest.mark.parametrize("code", ["x", "2023-13", "0-0", "99999-01", "2023-9-1"])
def test_a_month_that_is_not_one_shows_the_current_period_instead_of_failing(client, ivan, code):
    client.force_login(ivan)
    assert client.get(f"/completeness/?period={code}").status_code == 200
    assert client.get(f"/?period={code}").status_code == 200


def test_one_report_is_approved_in_the_singular_in_spanish(client, ivan, period, september):
    # Issue 14: a cell is one report ("Aprobado"), and a card's title agrees with its count.
    client.force_login(ivan)
    body = client.get("/completeness/?period=2023-09&sector=HEA",
                      HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'cell-approved">Aprobado</span>' in body  # HIAS's Health report
    assert '<div class="small text-muted">Aprobado</div>' in body  # the card: 1
    assert "Aprobados" not in body
    everything = client.get("/completeness/?period=2023-09",
                            HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<div class="small text-muted">Aprobados</div>' in everything  # the card: 2
    assert 'cell-returned">Devuelto</span>' in everything
    assert 'cell-reopened">Reabierto</span>' in everything
