"""Locking a month (issue 14 point 5): the confirmation says what is pending, by sector and
status, before anything is locked; a report left reopened in a locked month stays in sight on
the partner's home page."""

from __future__ import annotations

import datetime as dt

import pytest

from partners.models import Organisation
from reporting import workflow
from reporting.models import ReportingPeriod, ReportStatus

from .factories import ReportFactory

pytestmark = pytest.mark.django_db

PERIODS = "/admin/reporting/reportingperiod/"


@pytest.fixture
def september_reports(period, org_a, org_b, protection, health):
    acnur = Organisation.objects.get(acronym="ACNUR")
    return {
        "hias_pro": ReportFactory(period=period, organisation=org_a, sector=protection,
                                  status=ReportStatus.SUBMITTED),
        "caritas_pro": ReportFactory(period=period, organisation=org_b, sector=protection,
                                     status=ReportStatus.DRAFT),
        "acnur_pro": ReportFactory(period=period, organisation=acnur, sector=protection,
                                   status=ReportStatus.APPROVED),
        "hias_hea": ReportFactory(period=period, organisation=org_a, sector=health,
                                  status=ReportStatus.REOPENED, status_reason="Cifras duplicadas."),
    }


def test_the_lock_asks_first_and_lists_what_is_pending_by_sector_and_status(
    client, ivan, period, september_reports
):
    client.force_login(ivan)
    page = client.post(PERIODS, {"action": "lock_selected", "_selected_action": [period.pk]})
    period.refresh_from_db()
    assert not period.is_locked

    pending = page.context["pending"]
    assert [month["count"] for month in pending] == [3]
    rows = {row["sector"].code: row["counts"] for row in pending[0]["sectors"]}
    # Columns: draft, submitted, returned, reopened.
    assert rows == {"PRO": [1, 1, 0, 0], "HEA": [0, 0, 0, 1]}
    assert pending[0]["totals"] == [1, 1, 0, 1]
    html = page.content.decode()
    assert "3 reports of September 2023 are not approved." in html
    assert "Cáritas del Perú (draft)" in html
    assert "ACNUR" not in html.split("Pending in")[1]  # approved: not pending

    client.post(PERIODS, {"action": "lock_selected", "apply": "1", "reason": "",
                          "_selected_action": [period.pk]})
    period.refresh_from_db()
    assert period.is_locked


def test_with_nothing_pending_the_lock_still_confirms_and_says_so(client, ivan, period):
    client.force_login(ivan)
    page = client.post(PERIODS, {"action": "lock_selected", "_selected_action": [period.pk]})
    assert "Nothing is pending in September 2023: every report is approved." in page.content.decode()
    period.refresh_from_db()
    assert not period.is_locked


def test_the_confirmation_runs_few_queries_for_many_periods(
    client, ivan, period, september_reports, django_assert_max_num_queries
):
    others = [
        ReportingPeriod.objects.create(month=dt.date(2023, m, 1), deadline=dt.date(2023, m, 10))
        for m in (6, 7, 8)
    ]
    client.force_login(ivan)
    with django_assert_max_num_queries(12):
        client.post(PERIODS, {"action": "lock_selected",
                              "_selected_action": [period.pk, *[p.pk for p in others]]})


def test_a_report_reopened_in_a_locked_month_stays_on_the_partners_home_page(
    client, alice, ivan, period, september_reports
):
    ReportingPeriod.objects.create(month=dt.date(2023, 10, 1), deadline=dt.date(2023, 11, 10))
    workflow.lock_period(period=period, by=ivan)
    client.force_login(alice)

    html = client.get("/").content.decode()  # the current month is now October
    assert "Reports left open in locked months" in html
    assert f'href="/reports/{september_reports["hias_hea"].pk}/"' in html
    section = html.split("Reports left open in locked months")[1].split("</div>")[0]
    assert "Reopened" in section and "Locked" in section
    # A submitted report is in the coordinators' hands, not the partner's: not listed.
    assert f'/reports/{september_reports["hias_pro"].pk}/' not in section


def test_a_partner_with_nothing_left_open_sees_no_notice(client, bob, ivan, period,
                                                         september_reports):
    workflow.lock_period(period=period, by=ivan)
    client.force_login(bob)
    assert "Reports left open in locked months" not in client.get("/").content.decode()
