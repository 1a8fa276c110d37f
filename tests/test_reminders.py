"""`manage.py send_reminders`: who is reminded of which missing report, on which days.

September 2023: deadline 10 October, planned lock 25 October. Only three organisations are
registered in sectors:

    HIAS     Health approved, Integration submitted, Protection not started,
             Shelter returned ("Falta la desagregación por edad.")
    Cáritas  Food Security approved, Health nil, Protection draft, Shelter approved
    ACH      everything approved (Food Security, Integration, Nutrition, WASH)

People: alice (HIAS reporter) and fiona (HIAS focal point), hugo (HIAS, no email address),
ines (HIAS, deactivated), bob (Cáritas reporter), ana (ACH reporter); coordinators paula
(Protection), gina (Gender-Based Violence, a sub-sector of Protection), sam (Shelter) and
carl (Health, where nothing is owed).
"""

from __future__ import annotations

import datetime as dt
import io
import smtplib

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import CommandError, call_command

from partners.models import Organisation, Role
from reporting.models import (
    MonthlyReport,
    PeriodStatus,
    Reminder,
    ReminderKind,
    ReportingPeriod,
    ReportStatus,
    Sector,
)
from reporting.numbers.completeness import reminder_due

from .factories import ReportFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "https://gtrm.example.org"


def make_report(period, acronym, code, status, *, nil=False, reason=""):
    submitted = None if status == ReportStatus.DRAFT else dt.datetime(2023, 10, 2, tzinfo=dt.UTC)
    return ReportFactory(
        period=period, organisation=Organisation.objects.get(acronym=acronym),
        sector=Sector.objects.get(code=code), status=status, is_nil=nil, status_reason=reason,
        submitted_at=submitted, first_submitted_at=submitted,
    )


def coordinator(username: str, *codes: str):
    user = UserFactory(username=username, role=Role.COORDINATOR,
                       organisation=Organisation.objects.get(acronym="ACNUR"))
    user.sectors.set(Sector.objects.filter(code__in=codes))
    return user


@pytest.fixture
def september(period, alice, fiona, bob, paula, carl):
    Organisation.sectors.through.objects.exclude(
        organisation__acronym__in=["HIAS", "CARITAS", "ACH"]
    ).delete()
    reports = {
        "hias_hea": make_report(period, "HIAS", "HEA", ReportStatus.APPROVED),
        "hias_int": make_report(period, "HIAS", "INT", ReportStatus.SUBMITTED),
        "hias_she": make_report(period, "HIAS", "SHE", ReportStatus.RETURNED,
                                reason="Falta la desagregación por edad."),
        "car_fs": make_report(period, "CARITAS", "FS", ReportStatus.APPROVED),
        "car_hea": make_report(period, "CARITAS", "HEA", ReportStatus.SUBMITTED, nil=True),
        "car_pro": make_report(period, "CARITAS", "PRO", ReportStatus.DRAFT),
        "car_she": make_report(period, "CARITAS", "SHE", ReportStatus.APPROVED),
    }
    for code in ("FS", "INT", "NUT", "WASH"):
        make_report(period, "ACH", code, ReportStatus.APPROVED)
    hias = Organisation.objects.get(acronym="HIAS")
    UserFactory(username="ana", organisation=Organisation.objects.get(acronym="ACH"))
    UserFactory(username="hugo", organisation=hias, email="")
    UserFactory(username="ines", organisation=hias, is_active=False)
    coordinator("gina", "PRO-GBV")
    coordinator("sam", "SHE")
    alice.first_name = "Alice"
    alice.save()
    return reports


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", f"--base-url={BASE}", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def recipients(outbox) -> list[str]:
    return sorted(address for message in outbox for address in message.to)


def email_to(outbox, username: str):
    [message] = [m for m in outbox if m.to == [f"{username}@example.org"]]
    return message


# --------------------------------------------------------------------------------------------
# The schedule
# --------------------------------------------------------------------------------------------

def days_with_reminders(period, first: dt.date, last: dt.date) -> dict[str, str]:
    days = {}
    day = first
    while day <= last:
        kind = reminder_due(period, day)
        if kind:
            days[day.isoformat()] = kind
        day += dt.timedelta(days=1)
    return days


def test_it_reminds_7_3_and_1_days_before_the_deadline_then_weekly_until_the_lock_date(period):
    assert days_with_reminders(period, dt.date(2023, 9, 1), dt.date(2023, 12, 31)) == {
        "2023-10-03": ReminderKind.BEFORE_DEADLINE,
        "2023-10-07": ReminderKind.BEFORE_DEADLINE,
        "2023-10-09": ReminderKind.BEFORE_DEADLINE,
        "2023-10-17": ReminderKind.OVERDUE,
        "2023-10-24": ReminderKind.OVERDUE,
    }


def test_without_a_lock_date_it_reminds_weekly_for_four_weeks_after_the_deadline(period):
    period.lock_date = None
    assert days_with_reminders(period, dt.date(2023, 10, 11), dt.date(2024, 3, 31)) == {
        "2023-10-17": ReminderKind.OVERDUE,
        "2023-10-24": ReminderKind.OVERDUE,
        "2023-10-31": ReminderKind.OVERDUE,
        "2023-11-07": ReminderKind.OVERDUE,
    }


def test_it_never_reminds_before_the_month_has_ended(db):
    early = ReportingPeriod.objects.create(month=dt.date(2023, 9, 1), deadline=dt.date(2023, 10, 3))
    assert days_with_reminders(early, dt.date(2023, 9, 1), dt.date(2023, 10, 3)) == {
        "2023-10-02": ReminderKind.BEFORE_DEADLINE,
    }


def test_a_locked_period_has_no_reminder_days(period):
    period.status = PeriodStatus.LOCKED
    assert days_with_reminders(period, dt.date(2023, 9, 1), dt.date(2023, 12, 31)) == {}


def test_it_sends_nothing_on_a_day_without_reminders(september, mailoutbox):
    out = run("--date=2023-10-04")

    assert mailoutbox == []
    assert Reminder.objects.count() == 0
    assert "2023-09 (open, deadline 2023-10-10): no reminders due on 2023-10-04." in out


# --------------------------------------------------------------------------------------------
# Before the deadline: the partners
# --------------------------------------------------------------------------------------------

def test_before_the_deadline_it_emails_the_partner_users_of_organisations_owing_reports(
    september, mailoutbox
):
    run("--date=2023-10-07")

    # Not hugo (no address), ines (inactive), ana (ACH owes nothing), nor any coordinator.
    assert recipients(mailoutbox) == [
        "alice@example.org", "bob@example.org", "fiona@example.org",
    ]


def test_the_email_names_exactly_what_is_missing_and_links_to_it(september, mailoutbox):
    run("--date=2023-10-07")
    message = email_to(mailoutbox, "alice")
    shelter = september["hias_she"].pk

    assert message.subject == "Reminder: HIAS reports for September 2023 are due on 10 October"
    assert message.body == (
        "Hello Alice,\n"
        "\n"
        "The reports of HIAS for September 2023 are due on 10 October 2023, in 3 days. These "
        "are not submitted yet:\n"
        "\n"
        "- Protection: not started.\n"
        f"  Start it: {BASE}/?period=2023-09\n"
        "\n"
        "- Shelter: returned, needs your corrections.\n"
        "  Reason: Falta la desagregación por edad.\n"
        f"  Open it: {BASE}/reports/{shelter}/\n"
        "\n"
        "To start a report, open the link and press “Start report” next to the sector.\n"
        "If HIAS had no activities in one of these sectors this month, open the report and "
        "declare “no activities”: it counts as reported.\n"
        "\n"
        "GTRM Peru · partner reporting\n"
        "You receive this email as a user of HIAS on the GTRM reporting platform.\n"
    )
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{BASE}/reports/{shelter}/">Open the report</a>' in html
    assert f'<a href="{BASE}/?period=2023-09">Start the report</a>' in html


def test_a_draft_is_named_as_a_draft_with_a_link_to_it(september, mailoutbox):
    run("--date=2023-10-09")
    body = email_to(mailoutbox, "bob").body

    assert "in 1 day. These are not submitted yet:" in body
    assert (
        "- Protection: draft, not submitted yet.\n"
        f"  Open it: {BASE}/reports/{september['car_pro'].pk}/\n"
    ) in body
    assert "Health" not in body and "Shelter" not in body and "Start report" not in body


def test_it_records_each_reminder_sent(september, mailoutbox):
    run("--date=2023-10-07")
    reminder = Reminder.objects.get(recipient__username="alice")

    assert reminder.kind == ReminderKind.BEFORE_DEADLINE
    assert reminder.sent_on == dt.date(2023, 10, 7)
    assert reminder.missing == [
        {"organisation": "HIAS", "sector": "PRO", "state": "missing", "report": None},
        {"organisation": "HIAS", "sector": "SHE", "state": "returned",
         "report": september["hias_she"].pk},
    ]
    assert Reminder.objects.count() == 3


# --------------------------------------------------------------------------------------------
# After the deadline: partners and coordinators
# --------------------------------------------------------------------------------------------

def test_after_the_deadline_it_also_emails_the_coordinators_of_sectors_owing_reports(
    september, mailoutbox
):
    run("--date=2023-10-17")

    # carl coordinates Health, where nothing is owed.
    assert recipients(mailoutbox) == [
        "alice@example.org", "bob@example.org", "fiona@example.org", "gina@example.org",
        "paula@example.org", "sam@example.org",
    ]
    assert email_to(mailoutbox, "alice").subject == "Overdue: HIAS reports for September 2023"
    assert "was 10 October 2023, 7 days ago. These are still not submitted:" in (
        email_to(mailoutbox, "alice").body
    )


def test_the_coordinators_email_lists_the_organisations_missing_in_their_sector(
    september, mailoutbox
):
    run("--date=2023-10-17")
    message = email_to(mailoutbox, "paula")

    assert message.subject == "Reports still missing for September 2023 in your sectors"
    assert (
        "The deadline for the reports for September 2023 was 10 October 2023, 7 days ago. These "
        "organisations have still not reported in the sectors you coordinate:\n"
        "\n"
        "Protection\n"
        "- Cáritas del Perú: draft, not submitted yet.\n"
        "- HIAS: not started.\n"
        f"Completeness of the sector: {BASE}/completeness/?period=2023-09&sector=PRO\n"
    ) in message.body
    assert "Shelter" not in message.body
    # gina coordinates Gender-Based Violence, whose lines are reported under Protection.
    assert "Protection\n- Cáritas del Perú: draft, not submitted yet.\n- HIAS: not started.\n" in (
        email_to(mailoutbox, "gina").body
    )
    assert "- HIAS: returned, waiting for the organisation's corrections.\n" in (
        email_to(mailoutbox, "sam").body
    )
    assert Reminder.objects.get(recipient__username="paula").kind == ReminderKind.COORDINATOR


def test_it_sends_nothing_to_an_organisation_once_its_reports_are_in(september, mailoutbox):
    MonthlyReport.objects.filter(pk=september["car_pro"].pk).update(
        status=ReportStatus.SUBMITTED, submitted_at=dt.datetime(2023, 10, 15, tzinfo=dt.UTC)
    )
    run("--date=2023-10-17")

    assert "bob@example.org" not in recipients(mailoutbox)
    assert "Cáritas" not in email_to(mailoutbox, "paula").body


# --------------------------------------------------------------------------------------------
# Running again, dry runs, locked periods, failures
# --------------------------------------------------------------------------------------------

def test_a_second_run_the_same_day_sends_nothing_again(september, mailoutbox):
    run("--date=2023-10-17")
    assert len(mailoutbox) == 6

    out = run("--date=2023-10-17")

    assert len(mailoutbox) == 6
    assert Reminder.objects.count() == 6
    assert "2023-10-17: sent 0 reminder(s); 6 already sent today; 0 failed." in out


def test_a_dry_run_prints_the_reminders_and_sends_and_records_nothing(september, mailoutbox):
    out = run("--date=2023-10-17", "--dry-run")

    assert mailoutbox == []
    assert Reminder.objects.count() == 0
    assert "  overdue     alice@example.org: HIAS PRO missing, HIAS SHE returned (dry run)" in out
    assert "  coordinator paula@example.org: CARITAS PRO draft, HIAS PRO missing (dry run)" in out
    assert "2023-10-17: would send 6 reminder(s); 0 already sent today; 0 failed." in out


def test_a_locked_period_gets_no_reminders_even_when_named(september, period, mailoutbox):
    ReportingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.LOCKED)

    run("--date=2023-10-17")
    out = run("--date=2023-10-17", "--period=2023-09")

    assert mailoutbox == []
    assert "2023-09 (locked, deadline 2023-10-10): no reminders due on 2023-10-17." in out


def test_by_default_it_skips_a_month_that_has_not_ended(september, mailoutbox):
    ReportingPeriod.objects.create(month=dt.date(2023, 10, 1), deadline=dt.date(2023, 10, 24))
    run("--date=2023-10-17")

    assert {m.subject for m in mailoutbox} >= {"Overdue: HIAS reports for September 2023"}
    assert not any("October 2023" in m.subject for m in mailoutbox)


def test_an_unknown_period_is_an_error(september):
    with pytest.raises(CommandError, match="there is no reporting period for 2021-01"):
        run("--date=2023-10-17", "--period=2021-01")


def test_a_failed_email_is_not_recorded_so_the_next_run_retries_it(
    september, mailoutbox, monkeypatch
):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({self.to[0]: (550, b"no")})

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with pytest.raises(CommandError, match="3 reminder"):
        run("--date=2023-10-07")
    assert Reminder.objects.count() == 0

    monkeypatch.undo()
    run("--date=2023-10-07")
    assert len(mailoutbox) == 3


def test_in_spanish_the_email_carries_an_english_copy_below(september, mailoutbox, settings):
    settings.LANGUAGE_CODE = "es"
    run("--date=2023-10-07")
    body = email_to(mailoutbox, "alice").body
    spanish, english = body.split("\n------------------------------------------------------------\nEnglish\n")

    assert "- Protección:" in spanish and "- Alojamiento:" in spanish
    assert "- Protection: not started." in english and "- Shelter: returned" in english
    assert f"{BASE}/?period=2023-09" in spanish and f"{BASE}/?period=2023-09" in english


def test_a_recipient_who_chose_a_language_gets_that_language_alone(september, mailoutbox,
                                                                   settings, alice, fiona):
    settings.LANGUAGE_CODE = "es"
    alice.language = "en"
    alice.save(update_fields=["language"])
    fiona.language = "es"
    fiona.save(update_fields=["language"])
    run("--date=2023-10-07")
    english = email_to(mailoutbox, "alice")
    assert "- Protection: not started." in english.body and "Protección" not in english.body
    assert "\nEnglish\n" not in english.body
    assert '<html lang="en">' in english.alternatives[0][0]
    spanish = email_to(mailoutbox, "fiona").body
    assert "- Protección:" in spanish and "- Protection:" not in spanish
