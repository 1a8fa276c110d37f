"""E-mail notifications: who is told what, and the outbox they go through.

The workflow writes a Notification row per recipient in the transaction of the action
(`queue_report_notifications`, `queue_lock_notifications`): an action that fails or loses a
race writes none, and no e-mail can go out for something that did not happen. Sending is
separate (`send_notifications`): once right after the commit for the kinds people wait for (a
return, an approval, a reopening, a lock), with a short SMTP timeout and stopping at the first
failure, so that an unreachable mail server delays the click by NOTIFICATION_SEND_TIMEOUT at most
and never fails it; then by `manage.py send_notifications` from cron, which retries what failed
with a growing pause and sends the coordinators' daily digest of submissions.

Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED and kept locked while they are sent, so
that two servers (or the cron job and a request) never send one row twice; SQLite, which has
no row locks, lets one writer at a time through instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from itertools import groupby
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from partners.models import PARTNER_ROLES, Role, User

from .models import (
    MonthlyReport,
    Notification,
    NotificationKind,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
)

logger = logging.getLogger(__name__)

Kind = NotificationKind
Action = ReviewEvent.Action

KIND_OF_ACTION = {
    Action.SUBMIT: Kind.SUBMITTED,
    Action.DECLARE_NIL: Kind.SUBMITTED,
    Action.RETURN: Kind.RETURNED,
    Action.APPROVE: Kind.APPROVED,
    Action.REOPEN: Kind.REOPENED,
}
# Sent right after the action; the submissions wait for the daily digest.
SENT_AT_ONCE = frozenset({Kind.RETURNED, Kind.APPROVED, Kind.REOPENED, Kind.LOCKED})
# After this many failed attempts a notification is given up (about a day and a half of tries).
MAX_ATTEMPTS = 10
FIRST_RETRY = dt.timedelta(minutes=5)
LONGEST_PAUSE = dt.timedelta(hours=6)
PENDING_STATUSES = (
    ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.REOPENED,
)


def retry_pause(attempts: int) -> dt.timedelta:
    """Return how long to wait before the next try after `attempts` failed ones: 5 minutes,
    doubling, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_PAUSE)


def partner_recipients(*, organisation_id: int, kind: str) -> list[User]:
    """Return the organisation's reporters and focal points who want `kind`."""
    users = User.objects.filter(
        organisation_id=organisation_id, role__in=PARTNER_ROLES, is_active=True
    ).exclude(email="").order_by("pk")
    return [user for user in users if user.wants_notification(kind)]


def sector_coordinators(*, sector_id: int, kind: str) -> list[User]:
    """Return the coordinators who review the sector's reports (its own and its sub-sectors'
    coordinators) and want `kind`."""
    users = (
        User.objects.filter(is_active=True, role=Role.COORDINATOR)
        .filter(Q(sectors=sector_id) | Q(sectors__parent=sector_id))
        .exclude(email="").distinct().order_by("pk")
    )
    return [user for user in users if user.wants_notification(kind)]


def queue_report_notifications(
    *, report: MonthlyReport, action: str, by: User, reason: str = ""
) -> list[Notification]:
    """Write the notifications `action` on `report` calls for; call inside the action's
    transaction. The ones sent at once go after the commit."""
    kind = KIND_OF_ACTION.get(action)
    if kind is None:
        return []
    if kind == Kind.SUBMITTED:
        recipients = sector_coordinators(sector_id=report.sector_id, kind=kind)
    else:
        recipients = partner_recipients(organisation_id=report.organisation_id, kind=kind)
    return _queue([
        Notification(recipient=user, kind=kind, report_id=report.pk, period_id=report.period_id,
                     reason=reason, language=user.email_language)
        for user in recipients if user.pk != by.pk
    ])


def queue_lock_notifications(*, period: ReportingPeriod, by: User) -> list[Notification]:
    """Write a notification to the reporters and focal points of every organisation with a
    report of `period` not approved when it is locked; call inside the lock's transaction."""
    organisations = (
        MonthlyReport.objects.filter(period=period, status__in=PENDING_STATUSES)
        .values_list("organisation_id", flat=True).distinct()
    )
    rows = []
    for organisation_id in sorted(set(organisations)):
        rows += [
            Notification(recipient=user, kind=Kind.LOCKED, period_id=period.pk,
                         language=user.email_language)
            for user in partner_recipients(organisation_id=organisation_id, kind=Kind.LOCKED)
            if user.pk != by.pk
        ]
    return _queue(rows)


def _queue(rows: list[Notification]) -> list[Notification]:
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    at_once = [row.pk for row in created if row.kind in SENT_AT_ONCE]
    if at_once:
        transaction.on_commit(lambda: send_soon(at_once))
    return created


# When sending after an action last failed (in this process): for a minute after that, actions
# leave their e-mails to cron, so that returning 30 reports at once while the mail server is
# down costs one timeout, not thirty.
_last_failure: list[float] = []
QUIET_AFTER_FAILURE = 60.0


def send_soon(ids: list[int]) -> None:
    """Try once to send notifications `ids` now (after an action's commit): a short timeout, and
    the first failure leaves the rest to `send_notifications`. Never raises."""
    if _last_failure and time.monotonic() - _last_failure[-1] < QUIET_AFTER_FAILURE:
        return
    try:
        outcome = send_notifications(
            only=ids, timeout=settings.NOTIFICATION_SEND_TIMEOUT, stop_at_first_failure=True
        )
    except Exception:  # the action is done; the cron job will try again
        logger.exception("Sending notifications %s after the action failed", ids)
        outcome = Outcome(failed=1)
    if outcome.failed:
        _last_failure[:] = [time.monotonic()]


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    abandoned: int = 0
    errors: list[str] = field(default_factory=list)


def send_notifications(
    *, digest: bool = False, only: list[int] | None = None, now: dt.datetime | None = None,
    timeout: float | None = None, stop_at_first_failure: bool = False,
) -> Outcome:
    """Send the notifications that are due, each recipient's submissions as one digest when
    `digest` (else only digests that failed before and are due again), and return what happened.

    A failure is recorded on its rows (attempts, last error, next try after `retry_pause`);
    after MAX_ATTEMPTS they are given up. Rows of people who have since been deactivated, lost
    their address or turned the kind off are given up without sending."""
    now = now or timezone.now()
    outcome = Outcome()
    with transaction.atomic():
        due = Notification.objects.pending().filter(next_attempt_at__lte=now)
        if only is not None:
            due = due.filter(pk__in=only)
        if not digest:
            due = due.exclude(kind=Kind.SUBMITTED, attempts=0)
        claimed = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "period", "report__organisation", "report__sector",
                            "report__period")
            .order_by("recipient_id", "kind", "pk")
        )
        if not claimed:
            return outcome
        connection = get_connection(timeout=timeout) if timeout else get_connection()
        for rows in _emails(claimed):
            recipient, kind = rows[0].recipient, rows[0].kind
            if kind == Kind.SUBMITTED:
                # Withdrawn or reviewed since: no longer waiting for this coordinator.
                done = [row for row in rows if row.report.status != ReportStatus.SUBMITTED]
                if done:
                    _abandon(done, now, "no longer waiting for review")
                    outcome.abandoned += len(done)
                    rows = [row for row in rows if row not in done]
                if not rows:
                    continue
            if not recipient.wants_notification(kind):
                _abandon(rows, now, "recipient inactive, without an address or opted out")
                outcome.abandoned += len(rows)
                continue
            try:
                message = render_notification(rows)
                message.connection = connection
                message.send()
            except Exception as error:  # an SMTP or network error, or a bad address
                logger.warning("Could not send a %s notification to %s: %s",
                               kind, recipient.email, error)
                outcome.failed += len(rows)
                outcome.errors.append(f"{recipient.email}: {error}")
                _fail(rows, now, error)
                if stop_at_first_failure:
                    break
                continue
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(sent_at=now)
            outcome.sent += len(rows)
    return outcome


def _emails(rows: list[Notification]):
    """Group claimed rows into e-mails: a recipient's submissions make one digest; every other
    row is an e-mail of its own."""
    for (_recipient, kind), group in groupby(rows, key=lambda row: (row.recipient_id, row.kind)):
        group = list(group)
        if kind == Kind.SUBMITTED:
            yield group
        else:
            yield from ([row] for row in group)


def _fail(rows: list[Notification], now: dt.datetime, error: Exception) -> None:
    for row in rows:
        attempts = row.attempts + 1
        Notification.objects.filter(pk=row.pk).update(
            attempts=attempts, last_error=str(error)[:1000] or type(error).__name__,
            next_attempt_at=now + retry_pause(attempts),
            abandoned_at=now if attempts >= MAX_ATTEMPTS else None,
        )


def _abandon(rows: list[Notification], now: dt.datetime, why: str) -> None:
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
        abandoned_at=now, last_error=why
    )


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _link(name: str, *args, query: dict | None = None) -> str:
    url = settings.SITE_URL + reverse(name, args=args)
    return url + "?" + urlencode(query) if query else url


def _context(rows: list[Notification]) -> dict:
    first = rows[0]
    context = {
        "recipient": first.recipient,
        "kind": first.kind,
        "period": first.period,
        "report": first.report,
        "reason": first.reason,
        "preferences_url": _link("partners:notifications"),
    }
    if first.kind == Kind.SUBMITTED:
        reports = {row.report_id: row.report for row in rows if row.report_id}
        context["items"] = [
            {"report": report, "url": _link("admin:reporting_monthlyreport_change", report.pk)}
            for report in sorted(reports.values(),
                                 key=lambda r: (r.period.month, r.sector.code, str(r.organisation)))
        ]
    elif first.kind == Kind.LOCKED:
        pending = (
            MonthlyReport.objects.filter(
                period=first.period, status__in=PENDING_STATUSES,
                organisation_id=first.recipient.organisation_id,
            ).select_related("sector").order_by("sector__order", "sector__code")
        )
        context["items"] = [
            {"report": report, "url": _link("reporting:report-detail", report.pk)}
            for report in pending
        ]
        context["url"] = _link("reporting:home", query={"period": first.period.code})
    else:
        context["url"] = _link("reporting:report-detail", first.report_id)
    return context


def render_notification(rows: list[Notification]) -> EmailMultiAlternatives:
    """Return the e-mail of `rows` (one recipient, one kind) in the recipient's language."""
    context = _context(rows)
    with translation.override(rows[0].language or settings.LANGUAGE_CODE):
        subject = " ".join(
            render_to_string("reporting/email/notification_subject.txt", context).split()
        )
        context["subject"] = subject
        text = _tidy(render_to_string("reporting/email/notification.txt", context))
        html = render_to_string("reporting/email/notification.html", context)
    message = EmailMultiAlternatives(subject, text, to=[rows[0].recipient.email])
    message.attach_alternative(html, "text/html")
    return message
