"""The demo data: accounts, plausible valid activity, and idempotence."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.core.management import call_command

from partners.models import Role, User
from reporting.models import (
    ActivityLine,
    KeyFigures,
    MonthlyReport,
    Narrative,
    PeriodStatus,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
)


@pytest.fixture
def demo(db):
    call_command("demo_data", stdout=io.StringIO())


def counts() -> dict:
    return {
        "users": User.objects.count(),
        "reports": list(MonthlyReport.objects.order_by("pk").values()),
        "lines": ActivityLine.objects.count(),
        "events": ReviewEvent.objects.count(),
        "periods": list(ReportingPeriod.objects.order_by("pk").values()),
        "key figures": list(KeyFigures.objects.order_by("pk").values()),
        "narratives": list(Narrative.objects.order_by("pk").values()),
    }


def test_the_demo_accounts_sign_in_with_demo(demo, rf):
    expected = {
        "im": Role.IM_OFFICER, "coord.health": Role.COORDINATOR,
        "coord.protection": Role.COORDINATOR, "reporter.hias": Role.REPORTER,
        "reporter.caritas": Role.REPORTER,
    }
    for username, role in expected.items():
        user = authenticate(rf.post("/accounts/login/"), username=username, password="demo")
        assert user is not None, username
        assert user.role == role
    assert User.objects.get(username="reporter.hias").organisation.acronym == "HIAS"
    assert User.objects.get(username="reporter.caritas").organisation.short_name == (
        "Cáritas del Perú"
    )
    assert list(User.objects.get(username="coord.protection").sectors.values_list(
        "code", flat=True)) == ["PRO"]


def test_the_demo_keeps_demo_which_no_form_would_accept(demo, client):
    # demo_data sets it directly; every form that sets a password refuses it.
    with pytest.raises(ValidationError):
        password_validation.validate_password("demo")

    response = client.post("/accounts/login/", {"username": "reporter.caritas", "password": "demo"})

    assert response.status_code == 302


def test_running_it_again_changes_nothing(demo):
    before = counts()
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    assert counts() == before
    assert "nothing changed" in out.getvalue()


def test_it_builds_three_months_of_mostly_approved_activity(demo):
    periods = ReportingPeriod.objects.order_by("month")
    assert [p.code for p in periods] == ["2023-07", "2023-08", "2023-09"]
    assert periods[0].status == PeriodStatus.LOCKED
    reports = MonthlyReport.objects.all()
    organisations = reports.values("organisation").distinct().count()
    assert organisations >= 70
    approved = reports.filter(status=ReportStatus.APPROVED).count()
    assert approved / reports.count() > 0.7
    september = reports.filter(period__month__month=9)
    for status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.RETURNED):
        assert september.filter(status=status).exists(), status
    assert reports.filter(is_nil=True).exists()


def test_the_demo_has_lines_in_every_month_and_every_approved_report(demo):
    months = Counter(ActivityLine.objects.values_list("report__period__month__month", flat=True))
    assert min(months[month] for month in (7, 8, 9)) >= 100, months
    approved = MonthlyReport.objects.filter(status=ReportStatus.APPROVED, is_nil=False)
    assert approved.exists()
    assert not approved.filter(lines__isnull=True).exists()


def test_every_demo_line_obeys_the_rules(demo):
    lines = list(ActivityLine.objects.select_related(
        "report__sector", "indicator__sector", "department", "location"
    ))
    assert len(lines) >= 300  # an empty demo would pass the loop below
    for line in lines:
        line.full_clean()


def test_the_demo_accounts_have_reports_to_act_on(demo):
    september = MonthlyReport.objects.filter(period__month__month=9)
    hias_protection = september.get(organisation__acronym="HIAS", sector__code="PRO")
    assert hias_protection.status == ReportStatus.DRAFT and not hias_protection.lines.exists()
    assert september.filter(sector__code="PRO", status=ReportStatus.SUBMITTED).exists()
    assert september.filter(sector__code="HEA", status=ReportStatus.SUBMITTED).exists()
    returned = september.get(organisation__acronym="CARITAS", sector__code="HEA")
    assert returned.status == ReportStatus.RETURNED and returned.status_reason


def test_statuses_and_review_history_agree(demo):
    for report in MonthlyReport.objects.prefetch_related("events"):
        events = list(report.events.all())
        if report.status == ReportStatus.DRAFT:
            assert events == []
        else:
            assert events[-1].to_status == report.status
            assert report.submitted_at is not None


@pytest.mark.parametrize(("language", "other_language"), [
    ("es", "First edition"), ("en", "Primera edición"),
])
def test_the_demos_published_edition_reads_in_one_language_only(demo, client, language,
                                                                  other_language):
    # The note is free text that no catalogue translates: a bilingual one showed both languages
    # to every reader. A first edition changes nothing, so the demo leaves its note empty.
    client.cookies["django_language"] = language
    page = client.get("/sitreps/2023-09/1/", headers={"accept-language": language})
    assert page.status_code == 200
    assert other_language not in page.content.decode()
