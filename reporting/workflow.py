"""The only code that changes a report's status or a period's lock.

Each transition re-reads the report under its row lock (`lock_report`) and is a conditional
UPDATE (`WHERE status IN <sources> AND period is open`) inside a transaction, so that two people
acting on the same report at once cannot both win: the second waits for the first, then finds
the report changed and is told who changed it and how (`REPORT_CHANGED_BY`). Every change writes
a ReviewEvent (or PeriodEvent). A historic load (`import_activities --as-approved`) is recorded
here too (`approve_historic_reports`); only the demo's and the benchmark's made-up histories are
written elsewhere, and tests/test_workflow.py fails on any other writer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import pgettext_lazy

from partners.models import User

from . import notifications
from . import texts as msg
from .models import (
    EDITABLE_STATUSES,
    MonthlyReport,
    PeriodEvent,
    PeriodStatus,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
)

Action = ReviewEvent.Action


class WorkflowError(Exception):
    """A transition that is not allowed; str() is a message for the user."""


class NotPermitted(WorkflowError):
    """The user may not perform this transition on this report."""


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    actor: str  # "partner", "reviewer" or "im"
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    Action.SUBMIT: Transition(EDITABLE_STATUSES, ReportStatus.SUBMITTED, "partner"),
    Action.DECLARE_NIL: Transition(EDITABLE_STATUSES, ReportStatus.SUBMITTED, "partner"),
    Action.WITHDRAW: Transition(frozenset({ReportStatus.SUBMITTED}), ReportStatus.DRAFT, "partner"),
    Action.APPROVE: Transition(
        frozenset({ReportStatus.SUBMITTED}), ReportStatus.APPROVED, "reviewer"
    ),
    Action.RETURN: Transition(
        frozenset({ReportStatus.SUBMITTED}), ReportStatus.RETURNED, "reviewer", needs_reason=True
    ),
    Action.REOPEN: Transition(
        frozenset({ReportStatus.APPROVED}), ReportStatus.REOPENED, "im", needs_reason=True
    ),
}


# Infinitives for messages ("You cannot approve a report that is draft.").
ACTION_VERBS = {
    Action.SUBMIT: pgettext_lazy("to … a report", "submit"),
    Action.DECLARE_NIL: pgettext_lazy("to … a report", "declare no activities for"),
    Action.WITHDRAW: pgettext_lazy("to … a report", "withdraw"),
    Action.APPROVE: pgettext_lazy("to … a report", "approve"),
    Action.RETURN: pgettext_lazy("to … a report", "return"),
    Action.REOPEN: pgettext_lazy("to … a report", "reopen"),
}


def lock_report(report_id: int) -> MonthlyReport:
    """Return report `report_id` (with its period, organisation and sector) read under row
    locks that last until the end of the transaction.

    The period's row is locked before the report's: the order in which an upload takes them
    (`sheets.planner.apply_import` locks the months of the file, then their reports), so that a
    submission, a review or a line saved while an upload of the same month is being saved
    waits for it instead of deadlocking with it (PostgreSQL would then abort one of the two
    with an error). The period's lock is a shared one (FOR SHARE): on deadline day every
    partner saves lines in the same month, and shared locks do not wait for each other, while
    an upload of the month (FOR NO KEY UPDATE) and locking or unlocking the month (an UPDATE of
    its row) still wait for the changes in progress. Organisation and sector are read, not
    locked."""
    connection = connections[MonthlyReport.objects.db]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.id FROM reporting_reportingperiod p "
                "JOIN reporting_monthlyreport r ON r.period_id = p.id WHERE r.id = %s "
                "FOR SHARE OF p", [report_id])
    else:  # SQLite has no row locks: a writing transaction holds the whole database
        period = MonthlyReport.objects.filter(pk=report_id).values("period_id")
        list(ReportingPeriod.objects.select_for_update(no_key=True).filter(pk__in=period)
             .values("pk"))
    return (
        MonthlyReport.objects.select_for_update(of=("self",))
        .select_related("period", "organisation", "sector")
        .get(pk=report_id)
    )


def may_review(user: User, report: MonthlyReport) -> bool:
    if user.is_im_officer:
        return True
    return Sector.objects.reviewable_by(user).filter(pk=report.sector_id).exists()


def allowed_actions(*, report: MonthlyReport, user: User) -> list[str]:
    """Return the transitions `user` may perform on `report` now (for showing buttons)."""
    if report.period.is_locked:
        return []
    actions = []
    for action, transition in TRANSITIONS.items():
        if report.status not in transition.sources:
            continue
        try:
            _check_actor(transition, report=report, user=user)
        except NotPermitted:
            continue
        actions.append(action)
    return actions


def _check_actor(transition: Transition, *, report: MonthlyReport, user: User) -> None:
    if transition.actor == "partner" and not report.is_owned_by(user):
        raise NotPermitted(msg.NOT_YOUR_ORGANISATION % {"organisation": report.organisation})
    if transition.actor == "reviewer" and not may_review(user, report):
        raise NotPermitted(msg.NOT_A_REVIEWER % {"sector": report.sector})
    if transition.actor == "im" and not user.is_im_officer:
        raise NotPermitted(msg.ONLY_IM)


def _transition(
    action: str, *, report: MonthlyReport, by: User, reason: str = "", **fields
) -> MonthlyReport:
    transition = TRANSITIONS[action]
    reason = (reason or "").strip()
    _check_actor(transition, report=report, user=by)
    if transition.needs_reason and not reason:
        raise WorkflowError(msg.REASON_REQUIRED)

    with transaction.atomic():
        current = lock_report(report.pk)
        if current.period.is_locked:
            raise WorkflowError(msg.PERIOD_LOCKED % {"period": current.period})
        if current.status not in transition.sources:
            raise WorkflowError(_refusal(action, seen=report, current=current, user=by))
        if action == Action.SUBMIT and not current.is_nil and not current.lines.exists():
            raise WorkflowError(msg.EMPTY_SUBMISSION)
        if action == Action.DECLARE_NIL and current.lines.exists():
            raise WorkflowError(msg.NIL_WITH_LINES)

        if transition.actor == "partner":
            _check_still_active(current)
        target = transition.target
        if action == Action.WITHDRAW:
            # Back to where the submission came from: a returned report stays returned, with
            # the coordinator's reason still on it.
            target = _status_before_submission(current)
        if transition.needs_reason:
            fields["status_reason"] = reason
        updated = MonthlyReport.objects.filter(
            pk=report.pk,
            status__in=transition.sources,
            period__status=PeriodStatus.OPEN,
        ).update(status=target, updated_at=timezone.now(), **fields)
        if updated != 1:
            current.refresh_from_db(fields=["status"])
            raise WorkflowError(msg.RACE_LOST % {"status": current.get_status_display()})
        ReviewEvent.objects.create(
            report_id=report.pk,
            action=action,
            from_status=current.status,
            to_status=target,
            by=by,
            reason=reason,
        )
        notifications.queue_report_notifications(
            report=current, action=action, by=by, reason=reason
        )
    report.refresh_from_db()
    return report


def _refusal(action: str, *, seen: MonthlyReport, current: MonthlyReport, user: User) -> str:
    """Say why `action` cannot be done on `current` now. When someone moved the report out of
    the statuses the action starts from (often a moment ago, while the page was open), say who
    did what and when, so that nobody has to guess whether their click counted."""
    last = current.events.select_related("by").order_by("-at", "-pk").first()
    if last is not None and last.to_status == current.status:
        at = timezone.localtime(last.at)
        params = {
            "who": last.by.get_full_name() or last.by.get_username(),
            "done": last.get_action_display(),
            "day": date_format(at, "DATE_FORMAT"),
            "time": date_format(at, "TIME_FORMAT"),
            "status": current.get_status_display(),
            "action": ACTION_VERBS[action],
        }
        if last.by_id == user.pk:
            return msg.REPORT_CHANGED_BY_YOU % params
        return msg.REPORT_CHANGED_BY % params
    if seen.status != current.status:
        return msg.RACE_LOST % {"status": current.get_status_display()}
    return msg.TRANSITION_NOT_ALLOWED % {
        "status": current.get_status_display(), "action": ACTION_VERBS[action]
    }


def _check_still_active(report: MonthlyReport) -> None:
    if not report.organisation.active:
        raise WorkflowError(msg.ORGANISATION_INACTIVE % {"organisation": report.organisation})
    if not report.sector.active:
        raise WorkflowError(msg.SECTOR_INACTIVE % {"sector": report.sector})


def _status_before_submission(report: MonthlyReport) -> str:
    last = (
        report.events.filter(action__in=[Action.SUBMIT, Action.DECLARE_NIL])
        .order_by("-at", "-pk")
        .values_list("from_status", flat=True)
        .first()
    )
    return last if last in EDITABLE_STATUSES else ReportStatus.DRAFT


def _submission_fields(by: User) -> dict:
    now = timezone.now()
    # The first submission decides whether the report was on time.
    return {
        "submitted_at": now,
        "submitted_by": by,
        "first_submitted_at": Coalesce(F("first_submitted_at"), Value(now)),
    }


def submit_report(*, report: MonthlyReport, by: User) -> MonthlyReport:
    """Send a draft, returned or reopened report to the sector's coordinators."""
    return _transition(Action.SUBMIT, report=report, by=by, **_submission_fields(by))


def declare_nil_report(*, report: MonthlyReport, by: User, note: str = "") -> MonthlyReport:
    """Submit `report` as a nil report: the organisation had no activities in the sector."""
    return _transition(
        Action.DECLARE_NIL, report=report, by=by, reason=note, is_nil=True,
        **_submission_fields(by),
    )


def withdraw_report(*, report: MonthlyReport, by: User) -> MonthlyReport:
    """Take a submission back, before anyone has reviewed it, to the state it was sent from.
    A withdrawn "no activities" declaration is withdrawn too."""
    return _transition(
        Action.WITHDRAW, report=report, by=by, is_nil=False, submitted_at=None,
        submitted_by=None,
    )


def approve_report(*, report: MonthlyReport, by: User) -> MonthlyReport:
    """Accept a submitted report: its lines now count in the figures."""
    return _transition(
        Action.APPROVE, report=report, by=by, reviewed_at=timezone.now(), reviewed_by=by
    )


def return_report(*, report: MonthlyReport, by: User, reason: str) -> MonthlyReport:
    """Send a submitted report back to the partner with the reason it needs fixing."""
    return _transition(
        Action.RETURN, report=report, by=by, reason=reason,
        reviewed_at=timezone.now(), reviewed_by=by,
    )


def reopen_report(*, report: MonthlyReport, by: User, reason: str) -> MonthlyReport:
    """Let the partner correct an approved report; it stops counting until approved again."""
    return _transition(
        Action.REOPEN, report=report, by=by, reason=reason, reviewed_at=None, reviewed_by=None
    )


def submission_refusal(*, report: MonthlyReport, user: User, has_lines: bool) -> str:
    """Return why `user` cannot submit `report` as it stands (its period, organisation and
    sector loaded; `has_lines`: whether it has lines), or "" when the submission would go
    through. The checks of `_transition`, in its order, so that a page offering to submit
    says what the submission itself would say."""
    transition = TRANSITIONS[Action.SUBMIT]
    try:
        _check_actor(transition, report=report, user=user)
    except NotPermitted as refused:
        return str(refused)
    if report.period.is_locked:
        return msg.PERIOD_LOCKED % {"period": report.period}
    if report.status not in transition.sources:
        return msg.TRANSITION_NOT_ALLOWED % {
            "status": report.get_status_display(), "action": ACTION_VERBS[Action.SUBMIT]
        }
    if not report.is_nil and not has_lines:
        return str(msg.EMPTY_SUBMISSION)
    try:
        _check_still_active(report)
    except WorkflowError as refused:
        return str(refused)
    return ""


def submit_reports(
    *, reports: list[MonthlyReport], by: User
) -> tuple[list[MonthlyReport], list[tuple[MonthlyReport, str]]]:
    """Submit each of `reports` that `by` may submit now, each on its own (one refused leaves
    the others submitted); return the submitted ones and, for the rest, why not."""
    submitted, refused = [], []
    for report in reports:
        try:
            submitted.append(submit_report(report=report, by=by))
        except WorkflowError as error:
            refused.append((report, str(error)))
    return submitted, refused


def approve_historic_reports(
    *, reports: list[MonthlyReport], by: User, reason: str, at: dt.datetime | None = None
) -> None:
    """Record `reports`, loaded from historic data already validated elsewhere
    (`import_activities --as-approved`), as approved by `by` at `at` (by default now): from
    whatever status they had, in any period, locked ones too, each with an approval event whose
    reason says where the data came from. Only IM officers load history.

    Unlike a review it takes no report lock of its own: the load that calls it holds the locks
    of every report and period it fills, in its transaction."""
    if not by.is_im_officer:
        raise NotPermitted(msg.ONLY_IM)
    at = at or timezone.now()
    before = {report.pk: report.status for report in reports}
    with transaction.atomic():
        MonthlyReport.objects.filter(pk__in=list(before)).update(
            status=ReportStatus.APPROVED, reviewed_by=by, reviewed_at=at, submitted_at=at,
            submitted_by=by, first_submitted_at=Coalesce(F("first_submitted_at"), Value(at)),
        )
        ReviewEvent.objects.bulk_create([
            ReviewEvent(
                report=report, action=Action.APPROVE, from_status=before[report.pk],
                to_status=ReportStatus.APPROVED, by=by, at=at, reason=reason,
            )
            for report in reports
        ])
    for report in reports:
        report.status, report.reviewed_by, report.reviewed_at = ReportStatus.APPROVED, by, at
        report.submitted_at, report.submitted_by = at, by
        report.first_submitted_at = report.first_submitted_at or at


def lock_period(*, period: ReportingPeriod, by: User, reason: str = "") -> ReportingPeriod:
    """Freeze every report of `period` (nothing changes until it is unlocked)."""
    return _set_period_status(
        period=period, by=by, reason=reason, target=PeriodStatus.LOCKED,
        action=PeriodEvent.Action.LOCK,
    )


def unlock_period(*, period: ReportingPeriod, by: User, reason: str) -> ReportingPeriod:
    """Allow changes to `period` again; the reason is kept in the period's history."""
    if not (reason or "").strip():
        raise WorkflowError(msg.REASON_REQUIRED)
    return _set_period_status(
        period=period, by=by, reason=reason, target=PeriodStatus.OPEN,
        action=PeriodEvent.Action.UNLOCK,
    )


def _set_period_status(
    *, period: ReportingPeriod, by: User, reason: str, target: str, action: str
) -> ReportingPeriod:
    if not by.is_im_officer:
        raise NotPermitted(msg.ONLY_IM)
    with transaction.atomic():
        now = timezone.now()
        updated = (
            ReportingPeriod.objects.filter(pk=period.pk)
            .exclude(status=target)
            .update(status=target, status_changed_at=now, status_changed_by=by)
        )
        if updated != 1:
            raise WorkflowError(
                msg.PERIOD_ALREADY
                % {"period": period, "state": PeriodStatus(target).label}
            )
        PeriodEvent.objects.create(
            period=period, action=action, by=by, at=now, reason=(reason or "").strip()
        )
        if action == PeriodEvent.Action.LOCK:
            notifications.queue_lock_notifications(period=period, by=by)
    period.refresh_from_db()
    return period
