"""List pages run a fixed number of queries, whatever the number of rows (no N+1).

Each test counts the queries of a page with 10 objects, adds 90, and asserts that the page with
100 objects runs exactly as many. Query counts measured (the same on SQLite and PostgreSQL; the
10-object and the 100-object page run the same number):

    page                                                  persona   queries
    /?period=2023-09 (home)                               alice       8
    /?period=2023-09 (home, review queue)                 paula       6
    /?period=2023-09 (home, review queue)                 ivan        6
    /reports/                                             alice       9
    /reports/                                             paula       9
    /reports/                                             ivan        9
    /reports/<pk>/ with 10 and 100 lines                  alice       7
    /reports/<pk>/ with 10 and 100 lines                  paula       9
    /reports/<pk>/ with 10 and 100 lines                  ivan        7
    /admin/reporting/monthlyreport/ (also ?status=...)    paula      13
    /admin/reporting/monthlyreport/ (also ?status=...)    ivan       11
    /admin/reporting/reviewevent/                         paula       9
    /admin/reporting/reviewevent/                         ivan        7

Each count includes the session and user look-ups of a signed-in request. A missing
select_related shows up at once: without "sector" and "period" in its select_related, the
report list runs 29 queries for 10 reports and 109 for 100 (a page of 50), and the test fails.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Organisation
from reporting.models import (
    LineChange,
    Location,
    MonthlyReport,
    ReportStatus,
    ReviewEvent,
    Sector,
)

from .factories import LineFactory, PeriodFactory, ReportFactory

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2023, month, 1) for month in range(12, 0, -1)]  # Sept 2023 is 4th


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def assert_same_queries(client, url: str, grow, django_assert_num_queries) -> int:
    """Count the queries of `url` now, call `grow()`, and assert the page runs as many again."""
    client.get(url)  # warm the caches (content types, translations) out of the count
    small = queries_of(client, url)
    grow()
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.status_code == 200
    return small


class Reports:
    """Creates reports one distinct (period, sector, organisation) after the other."""

    def __init__(self, *, organisations, sectors, periods, statuses=(ReportStatus.DRAFT,),
                 by=None, reviewer=None, with_line=True):
        self.combos = itertools.product(periods, sectors, organisations)
        self.statuses = itertools.cycle(statuses)
        self.by, self.reviewer, self.with_line = by, reviewer, with_line
        self.made: list[MonthlyReport] = []

    def grow_to(self, n: int) -> list[MonthlyReport]:
        now = timezone.now()
        for period, sector, organisation in itertools.islice(self.combos, n - len(self.made)):
            status = next(self.statuses)
            fields = {}
            if status != ReportStatus.DRAFT:
                fields.update(submitted_at=now - dt.timedelta(days=3), submitted_by=self.by)
            if status in (ReportStatus.APPROVED, ReportStatus.RETURNED):
                fields.update(reviewed_at=now, reviewed_by=self.reviewer)
            if status == ReportStatus.RETURNED:
                fields.update(status_reason="Falta la desagregación.")
            report = ReportFactory(period=period, sector=sector, organisation=organisation,
                                   status=status, created_by=self.by, **fields)
            if self.with_line:
                LineFactory(report=report, created_by=self.by)
            if status != ReportStatus.DRAFT:
                ReviewEvent.objects.create(
                    report=report, action=ReviewEvent.Action.SUBMIT, from_status="draft",
                    to_status="submitted", by=self.by,
                )
            self.made.append(report)
        assert len(self.made) == n, "not enough distinct (period, sector, organisation)"
        return self.made


@pytest.fixture
def periods(db):
    return [PeriodFactory(month=month) for month in MONTHS]


@pytest.fixture
def top_sectors(db):
    return list(Sector.objects.top_level().order_by("order", "code"))


@pytest.fixture
def other_organisations(org_a):
    return list(Organisation.objects.exclude(pk=org_a.pk).order_by("pk"))


SUBMITTED_OR_LATER = (ReportStatus.SUBMITTED, ReportStatus.APPROVED, ReportStatus.RETURNED)


# --------------------------------------------------------------------------------------------
# The home page
# --------------------------------------------------------------------------------------------

def test_it_runs_as_many_queries_on_a_partners_home_page_for_10_and_100_reports(
    client, alice, org_a, other_organisations, top_sectors, periods, django_assert_num_queries
):
    september = periods[MONTHS.index(dt.date(2023, 9, 1))]
    own = Reports(organisations=[org_a], sectors=top_sectors, periods=[september], by=alice)
    others = Reports(organisations=other_organisations, sectors=top_sectors, periods=[september],
                     statuses=SUBMITTED_OR_LATER, by=alice)
    own.grow_to(1)
    others.grow_to(9)
    client.force_login(alice)

    def grow():  # HIAS reports in all 9 sectors; 91 reports of other organisations
        own.grow_to(9)
        others.grow_to(91)

    assert_same_queries(client, "/?period=2023-09", grow, django_assert_num_queries)
    body = client.get("/?period=2023-09").content.decode()
    assert all(f'href="/reports/{report.pk}/"' in body for report in own.made)


@pytest.mark.parametrize("persona", ["paula", "ivan"])
def test_it_runs_as_many_queries_on_a_reviewers_home_page_for_10_and_100_reports(
    client, request, persona, alice, other_organisations, top_sectors, periods,
    django_assert_num_queries,
):
    september = periods[MONTHS.index(dt.date(2023, 9, 1))]
    reports = Reports(organisations=other_organisations, sectors=top_sectors,
                      periods=[september], statuses=SUBMITTED_OR_LATER, by=alice,
                      reviewer=request.getfixturevalue("paula"))
    reports.grow_to(10)
    client.force_login(request.getfixturevalue(persona))
    assert_same_queries(client, "/?period=2023-09", lambda: reports.grow_to(100),
                        django_assert_num_queries)


# --------------------------------------------------------------------------------------------
# The report list
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["alice", "paula", "ivan"])
def test_it_runs_as_many_queries_on_the_report_list_for_10_and_100_reports(
    client, request, persona, alice, paula, org_a, protection, other_organisations, top_sectors,
    periods, django_assert_num_queries,
):
    if persona == "alice":  # her organisation's reports, every sector and month
        reports = Reports(organisations=[org_a], sectors=top_sectors, periods=periods, by=alice)
    else:  # submitted and reviewed Protection reports of many organisations
        reports = Reports(organisations=other_organisations, sectors=[protection],
                          periods=periods, statuses=SUBMITTED_OR_LATER, by=alice, reviewer=paula)
    reports.grow_to(10)
    client.force_login(request.getfixturevalue(persona))
    assert_same_queries(client, "/reports/", lambda: reports.grow_to(100),
                        django_assert_num_queries)
    body = client.get("/reports/").content.decode()
    assert body.count('href="/reports/') >= 50  # a full page of 50


# --------------------------------------------------------------------------------------------
# The report detail page
# --------------------------------------------------------------------------------------------

@pytest.fixture
def lima_places(db):
    """Lima's provinces and districts: 182 distinct locations for distinct lines."""
    return list(Location.objects.filter(code__startswith="15").exclude(code="15").order_by("code"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", ReportStatus.DRAFT), ("paula", ReportStatus.SUBMITTED),
     ("ivan", ReportStatus.SUBMITTED)],
)
def test_it_runs_as_many_queries_on_the_report_page_for_10_and_100_lines(
    client, request, persona, status, report, alice, fiona, lima_places,
    django_assert_num_queries,
):
    lima = Location.objects.get(code="15")
    partners = list(Organisation.objects.partners().order_by("pk")[:25])
    lines = []

    def grow_to(n: int) -> None:
        for i in range(len(lines), n):
            line = LineFactory(
                report=report, department=lima, location=lima_places[i],
                implementing_partner=partners[i % 25] if i % 2 else None,
                description=f"Actividad {i}", created_by=alice,
            )
            LineChange.objects.create(
                report=report, line_id=line.pk, action=LineChange.Action.UPDATE,
                summary=str(line), changes={"total_monthly": [i, i + 1],
                                            "population_type": ["transit", "destination"]},
                by=alice if i % 2 else fiona,
            )
            lines.append(line)

    grow_to(10)
    if status != ReportStatus.DRAFT:
        MonthlyReport.objects.filter(pk=report.pk).update(
            status=status, submitted_at=timezone.now(), submitted_by=alice
        )
        ReviewEvent.objects.create(report=report, action=ReviewEvent.Action.SUBMIT,
                                   from_status="draft", to_status=status, by=alice)
    client.force_login(request.getfixturevalue(persona))
    assert_same_queries(client, f"/reports/{report.pk}/", lambda: grow_to(100),
                        django_assert_num_queries)
    assert client.get(f"/reports/{report.pk}/").context["rows"][99].description == "Actividad 99"


# --------------------------------------------------------------------------------------------
# The admin changelists of the review
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["paula", "ivan"])
@pytest.mark.parametrize(
    "url", ["/admin/reporting/monthlyreport/", "/admin/reporting/monthlyreport/?status=submitted",
            "/admin/reporting/reviewevent/"],
)
def test_it_runs_as_many_queries_on_the_admin_changelist_for_10_and_100_reports(
    client, request, persona, url, alice, paula, protection, other_organisations, periods,
    django_assert_num_queries,
):
    reports = Reports(organisations=other_organisations, sectors=[protection], periods=periods,
                      statuses=SUBMITTED_OR_LATER, by=alice, reviewer=paula)
    reports.grow_to(10)
    client.force_login(request.getfixturevalue(persona))
    assert_same_queries(client, url, lambda: reports.grow_to(100), django_assert_num_queries)
    rows = re.findall(r'href="/admin/reporting/\w+/\d+/change/', client.get(url).content.decode())
    assert len(rows) >= 30  # the page does list the 100 reports (50 a page) or their events
