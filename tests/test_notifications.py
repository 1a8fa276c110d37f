"""E-mail notifications (issue 14 point 3): who is told what, in which language, and that an
outbox row is sent once, retried after a failure and never breaks the action.

HIAS has alice (reporter, English) and fiona (focal point, Spanish); hugo (HIAS, no address)
and ines (HIAS, deactivated) get nothing; bob is Cáritas's reporter. paula coordinates
Protection, gina Gender-Based Violence (a sub-sector of Protection), carl Health; ivan is on the
IM team.
"""

from __future__ import annotations

import io
import smtplib
import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import CommandError, call_command
from django.db import connection, connections  # noqa: F401  (the skipif reads connection)

from partners.models import Role
from reporting import notifications, workflow
from reporting.models import (
    Notification,
    NotificationKind,
    ReportStatus,
    Sector,
)
from reporting.notifications import MAX_ATTEMPTS, send_notifications

from .factories import LineFactory, ReportFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://gtrm.example.org"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications._last_failure.clear()
    yield
    notifications._last_failure.clear()


class FailingBackend(LocmemBackend):
    """An SMTP server that does not answer."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def hias(alice, fiona, org_a):
    alice.language = "en"
    alice.save()
    fiona.language = "es"
    fiona.save()
    UserFactory(username="hugo", organisation=org_a, email="")
    UserFactory(username="ines", organisation=org_a, is_active=False)
    return org_a


@pytest.fixture
def gina(protection):
    user = UserFactory(username="gina", role=Role.COORDINATOR, language="es")
    user.sectors.add(Sector.objects.get(code="PRO-GBV"))
    return user


def submitted(report, by):
    LineFactory(report=report, created_by=by)
    return workflow.submit_report(report=report, by=by)


def to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def test_a_return_emails_the_partners_reporters_and_focal_points_in_their_language(
    hias, report, alice, fiona, paula, bob, django_capture_on_commit_callbacks
):
    submitted(report, alice)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_report(report=report, by=paula, reason="Falta la desagregación por edad.")

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "fiona@example.org"]
    link = f"{SITE}/reports/{report.pk}/"
    (english,) = to("alice@example.org")
    assert english.subject == "Returned for corrections: Protection report for September 2023"
    assert "Reason: Falta la desagregación por edad." in english.body
    assert link in english.body
    assert link in english.alternatives[0][0]
    (spanish,) = to("fiona@example.org")
    assert spanish.subject == "Devuelto para correcciones: reporte de Protección de Septiembre 2023"
    assert "Motivo: Falta la desagregación por edad." in spanish.body
    assert link in spanish.body
    assert not Notification.objects.pending().filter(kind=NotificationKind.RETURNED).exists()


def test_approval_and_reopening_email_the_partner(
    hias, report, alice, fiona, paula, ivan, django_capture_on_commit_callbacks
):
    submitted(report, alice)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve_report(report=report, by=paula)
    assert {m.subject for m in to("alice@example.org")} == {
        "Approved: Protection report for September 2023"
    }
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reopen_report(report=report, by=ivan, reason="Cifras duplicadas.")
    (reopened,) = to("alice@example.org")
    assert reopened.subject == "Reopened for corrections: Protection report for September 2023"
    assert "Reason: Cifras duplicadas." in reopened.body
    assert f"{SITE}/reports/{report.pk}/" in reopened.body
    assert len(mail.outbox) == 2


def test_nothing_is_sent_for_an_action_that_fails(
    hias, report, alice, paula, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(workflow.WorkflowError):
        workflow.approve_report(report=report, by=paula)  # a draft cannot be approved
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_submission_waits_for_the_coordinators_daily_digest(
    hias, org_b, report, alice, bob, paula, gina, carl, period, protection,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted(report, alice)
        caritas = ReportFactory(organisation=org_b, sector=protection, period=period)
        submitted(caritas, bob)
    assert mail.outbox == []  # one digest a day, not one mail per report

    call_command("send_notifications")
    assert mail.outbox == []
    call_command("send_notifications", "--digest")

    assert sorted(m.to[0] for m in mail.outbox) == ["gina@example.org", "paula@example.org"]
    (digest,) = to("paula@example.org")
    assert digest.subject == "2 reports submitted for review in your sectors"
    assert f"{SITE}/admin/reporting/monthlyreport/{report.pk}/change/" in digest.body
    assert f"{SITE}/admin/reporting/monthlyreport/{caritas.pk}/change/" in digest.body
    assert "HIAS · Protection · September 2023" in digest.body
    (spanish,) = to("gina@example.org")
    assert spanish.subject == "2 reportes enviados para revisión en sus sectores"

    mail.outbox.clear()
    call_command("send_notifications", "--digest")
    assert mail.outbox == []


def test_the_digest_leaves_out_what_was_withdrawn_or_reviewed_since(
    hias, org_b, period, report, alice, bob, paula, protection
):
    caritas = ReportFactory(organisation=org_b, sector=protection, period=period)
    submitted(report, alice)
    submitted(caritas, bob)
    workflow.withdraw_report(report=report, by=alice)
    call_command("send_notifications", "--digest")
    (digest,) = to("paula@example.org")
    assert digest.subject == "1 report submitted for review in your sectors"
    assert f"/monthlyreport/{caritas.pk}/change/" in digest.body
    assert f"/monthlyreport/{report.pk}/change/" not in digest.body


def test_each_person_turns_each_kind_off_on_their_page(
    client, hias, report, alice, fiona, paula, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    page = client.get("/account/notifications/")
    assert page.status_code == 200
    assert "A report of my organisation is returned" in page.content.decode()
    answer = client.post("/account/notifications/", {
        "language": "es", "kind_approved": "on", "kind_reopened": "on", "kind_locked": "on",
    })
    assert answer.status_code == 302
    alice.refresh_from_db()
    assert alice.notifications_off == ["returned"]
    assert alice.language == "es"

    submitted(report, alice)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_report(report=report, by=paula, reason="Incompleto.")
    assert [m.to[0] for m in mail.outbox] == ["fiona@example.org"]


def test_a_coordinator_may_turn_the_digest_off(client, paula):
    client.force_login(paula)
    page = client.get("/account/notifications/").content.decode()
    assert "Daily digest of the reports submitted in my sectors" in page
    assert "A report of my organisation is returned" not in page
    client.post("/account/notifications/", {"language": ""})
    paula.refresh_from_db()
    assert paula.notifications_off == ["submitted"]


def test_the_page_needs_signing_in(client):
    assert client.get("/account/notifications/").status_code == 302


def test_a_failed_smtp_is_logged_the_action_succeeds_and_cron_retries(
    settings, hias, report, alice, paula, caplog, django_capture_on_commit_callbacks
):
    submitted(report, alice)
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_report(report=report, by=paula, reason="Incompleto.")

    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert "Connection unexpectedly closed" in caplog.text
    failed = Notification.objects.pending().filter(kind=NotificationKind.RETURNED).order_by("pk")
    # The first failure stops the try after the action: the other row waits for cron untouched.
    assert [row.attempts for row in failed] == [1, 0]
    assert failed[0].last_error == "Connection unexpectedly closed"

    with pytest.raises(CommandError):
        call_command("send_notifications")
    assert Notification.objects.pending().filter(
        kind=NotificationKind.RETURNED, attempts=0).count() == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_notifications")  # not due yet: the pause after a failure
    assert mail.outbox == []
    Notification.objects.update(next_attempt_at=Notification.objects.earliest("created_at").created_at)
    call_command("send_notifications")
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "fiona@example.org"]
    assert not Notification.objects.pending().filter(kind=NotificationKind.RETURNED).exists()


def test_the_web_action_answers_normally_when_smtp_fails(
    settings, client, hias, report, alice, paula
):
    submitted(report, alice)
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingBackend"
    client.force_login(paula)
    answer = client.post(
        "/admin/reporting/monthlyreport/", {
            "action": "return_selected", "_selected_action": [report.pk],
            "reason": "Incompleto.", "apply": "1",
        },
    )
    assert answer.status_code in (200, 302)
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert Notification.objects.filter(kind=NotificationKind.RETURNED).count() == 2


def test_after_a_failure_the_next_actions_leave_their_mail_to_cron(
    settings, hias, org_b, period, report, alice, bob, paula, protection,
    django_capture_on_commit_callbacks,
):
    caritas = ReportFactory(organisation=org_b, sector=protection, period=period)
    submitted(report, alice)
    submitted(caritas, bob)
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_report(report=report, by=paula, reason="Incompleto.")
        workflow.return_report(report=caritas, by=paula, reason="Incompleto.")
    returned = Notification.objects.filter(kind=NotificationKind.RETURNED)
    # One try for the first return; the second is not tried at all (its rows wait for cron).
    assert sorted(returned.values_list("attempts", flat=True)) == [0, 0, 1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_notifications")
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.org", "fiona@example.org"]


def test_a_notification_is_given_up_after_the_last_attempt(settings, hias, report, alice, paula):
    submitted(report, alice)
    workflow.return_report(report=report, by=paula, reason="Incompleto.")
    Notification.objects.filter(kind=NotificationKind.RETURNED).update(attempts=MAX_ATTEMPTS - 1)
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingBackend"
    outcome = send_notifications()
    assert outcome.failed == 2
    assert Notification.objects.pending().filter(kind=NotificationKind.RETURNED).count() == 0
    assert Notification.objects.filter(abandoned_at__isnull=False).count() == 2


def test_people_deactivated_since_get_nothing(hias, report, alice, fiona, paula):
    submitted(report, alice)
    workflow.return_report(report=report, by=paula, reason="Incompleto.")
    fiona.is_active = False
    fiona.save()
    outcome = send_notifications()
    assert (outcome.sent, outcome.abandoned) == (1, 1)
    assert [m.to[0] for m in mail.outbox] == ["alice@example.org"]


def test_running_twice_sends_nothing_twice(hias, report, alice, paula):
    submitted(report, alice)
    workflow.return_report(report=report, by=paula, reason="Incompleto.")
    call_command("send_notifications", "--digest")
    call_command("send_notifications", "--digest")
    # paula's digest is left out: the report was reviewed before it went.
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "fiona@example.org"]


def test_locking_a_month_tells_the_partners_whose_reports_were_pending(
    hias, org_a, org_b, report, alice, bob, ivan, period, protection, health,
    django_capture_on_commit_callbacks,
):
    approved = ReportFactory(organisation=org_b, sector=health, period=period,
                             status=ReportStatus.APPROVED)
    reopened = ReportFactory(organisation=org_a, sector=health, period=period,
                             status=ReportStatus.REOPENED, status_reason="Cifras duplicadas.")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.lock_period(period=period, by=ivan)

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "fiona@example.org"]
    (english,) = to("alice@example.org")
    assert english.subject == "September 2023 is locked: reports of your organisation were still pending"
    assert "- Protection: Draft" in english.body
    assert "- Health: Reopened" in english.body
    assert f"{SITE}/reports/{reopened.pk}/" in english.body
    assert approved.organisation == bob.organisation  # only approved reports: not told


class BlockingBackend(LocmemBackend):
    """A slow mail server: holds the sender (and the rows it claimed) until released."""

    entered = threading.Event()
    release = threading.Event()

    def send_messages(self, messages):
        BlockingBackend.entered.set()
        assert BlockingBackend.release.wait(20)
        return super().send_messages(messages)


@pytest.fixture
def seeded(request):
    """A transactional test starts from an empty database when an earlier one flushed it."""
    request.getfixturevalue("transactional_db")
    if not Sector.objects.exists():
        call_command("load_seeds", stdout=io.StringIO())


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="SQLite has no row locks: one writer at a time, nothing to race")
@pytest.mark.django_db(transaction=True)
def test_a_second_server_skips_what_the_first_is_sending(request, settings, seeded):
    hias = request.getfixturevalue("hias")
    report = request.getfixturevalue("report")
    alice, paula = request.getfixturevalue("alice"), request.getfixturevalue("paula")
    assert hias == report.organisation
    submitted(report, alice)
    workflow.return_report(report=report, by=paula, reason="Incompleto.")
    # Committed for real, the return already sent them after its commit: due again.
    assert len(mail.outbox) == 2
    Notification.objects.update(sent_at=None)
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "tests.test_notifications.BlockingBackend"
    BlockingBackend.entered.clear()
    BlockingBackend.release.clear()
    first: list = []

    def server():
        try:
            first.append(send_notifications())
        except BaseException as error:  # reported by the test
            first.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=server, daemon=True)
    thread.start()
    try:
        assert BlockingBackend.entered.wait(20), "the first sender never reached the mail server"
        # The first holds both rows, locked, while it talks to the mail server: the second
        # skips them at once instead of waiting or sending them too.
        second = send_notifications()
        assert (second.sent, second.failed) == (0, 0)
    finally:
        BlockingBackend.release.set()
        thread.join(30)
    assert not thread.is_alive()
    (outcome,) = first
    assert not isinstance(outcome, BaseException), outcome
    assert outcome.sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "fiona@example.org"]
