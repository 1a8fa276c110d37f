"""`demo_data --current`: the same demo, dated so that its latest months are the current ones
(issue 14: every page said the deadline passed 1,151 days ago). The figures stay those of the
published September 2023; only when things happened moves, and nothing is dated in the future.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from reporting.demo.current import add_months, months_to_current, move_demo
from reporting.models import MonthlyReport, ReportingPeriod, ReviewEvent, SitrepEdition
from reporting.numbers.aggregation import month_figures

SEPTEMBER = dt.date(2023, 9, 1)
NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(dt.date(2023, 9, 10), 37) == dt.date(2026, 10, 10)
    assert add_months(dt.date(2023, 8, 31), 1) == dt.date(2023, 9, 30)
    assert add_months(dt.date(2023, 12, 15), 2) == dt.date(2024, 2, 15)
    assert add_months(dt.date(2024, 1, 31), -2) == dt.date(2023, 11, 30)


def late_reports() -> set[tuple[int, bool]]:
    return {(report.pk, report.submitted_late()) for report in
            MonthlyReport.objects.select_related("period").exclude(first_submitted_at=None)}


@pytest.mark.django_db
def test_the_demo_moves_to_the_latest_month_with_nothing_in_the_future():
    built_at = timezone.now()
    call_command("demo_data", stdout=io.StringIO())
    before = month_figures(SEPTEMBER)
    late_before = late_reports()
    first_event = ReviewEvent.objects.order_by("at").first()

    months = months_to_current(built_at=built_at, now=NOW)
    move_demo(months, built_at=built_at)

    latest = ReportingPeriod.objects.order_by("-month").first()
    # September's reviews ran to mid-November: October 2026 is the latest month whose history
    # is all before 4 December 2026.
    assert months == 37 and latest.month == dt.date(2026, 10, 1)
    assert latest.deadline == dt.date(2026, 11, 10)
    assert list(ReportingPeriod.objects.order_by("month").values_list("month", flat=True)) == [
        dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert max(ReviewEvent.objects.values_list("at", flat=True)) <= NOW
    # The same figures, under the new month; the same reports late, at the same time of day.
    after = month_figures(latest.month)
    assert after.people_assisted_month == before.people_assisted_month == 25_290
    assert after == replace(before, month=after.month)
    assert late_reports() == late_before
    moved = ReviewEvent.objects.get(pk=first_event.pk)
    assert (moved.at.day, moved.at.time()) == (first_event.at.day, first_event.at.time())
    assert moved.at.date() == add_months(first_event.at.date(), 37)
    # The published edition is frozen again under its new month.
    edition = SitrepEdition.objects.get()
    assert edition.data["period"] == "2026-10"
    assert edition.published_at <= NOW


@pytest.mark.django_db
def test_the_command_dates_a_new_database_and_leaves_it_so_when_run_again():
    out = io.StringIO()
    call_command("demo_data", "--current", stdout=out)
    assert "months forward" in out.getvalue()
    latest = ReportingPeriod.objects.order_by("-month").first().month
    today = timezone.localdate()
    assert 1 <= (today.year - latest.year) * 12 + today.month - latest.month <= 3
    assert not ReportingPeriod.objects.filter(month=SEPTEMBER).exists()

    again = io.StringIO()
    call_command("demo_data", "--current", stdout=again)
    assert "already dated" in again.getvalue()
    assert ReportingPeriod.objects.count() == 3


@pytest.mark.django_db
def test_the_command_refuses_to_date_a_database_holding_the_september_2023_demo():
    call_command("demo_data", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--current needs a database without them"):
        call_command("demo_data", "--current", stdout=io.StringIO())
    assert ReportingPeriod.objects.filter(month=SEPTEMBER).exists()
