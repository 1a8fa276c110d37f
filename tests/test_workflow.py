"""Every allowed and forbidden status transition of a monthly report, and period locks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reporting
from reporting import texts as msg
from reporting import workflow
from reporting.models import (
    MonthlyReport,
    PeriodEvent,
    PeriodStatus,
    ReportStatus,
    ReviewEvent,
)

from .factories import ReportFactory

S = ReportStatus
ALL_STATUSES = list(S)

# (action, statuses it may start from, resulting status)
ALLOWED = {
    "submit": ({S.DRAFT, S.RETURNED, S.REOPENED}, S.SUBMITTED),
    "withdraw": ({S.SUBMITTED}, S.DRAFT),
    "approve": ({S.SUBMITTED}, S.APPROVED),
    "return": ({S.SUBMITTED}, S.RETURNED),
    "reopen": ({S.APPROVED}, S.REOPENED),
}


def set_status(report: MonthlyReport, status: str) -> MonthlyReport:
    reason = "needs a fix" if status in (S.RETURNED, S.REOPENED) else ""
    MonthlyReport.objects.filter(pk=report.pk).update(status=status, status_reason=reason)
    report.refresh_from_db()
    return report


def perform(action: str, report: MonthlyReport, *, alice, paula, ivan):
    if action == "submit":
        return workflow.submit_report(report=report, by=alice)
    if action == "withdraw":
        return workflow.withdraw_report(report=report, by=alice)
    if action == "approve":
        return workflow.approve_report(report=report, by=paula)
    if action == "return":
        return workflow.return_report(report=report, by=paula, reason="Fix Tumbes.")
    return workflow.reopen_report(report=report, by=ivan, reason="Wrong district.")


CASES = [
    (action, status, status in sources, target)
    for action, (sources, target) in ALLOWED.items()
    for status in ALL_STATUSES
]


@pytest.mark.parametrize(
    ("action", "status", "allowed", "target"),
    CASES,
    ids=[f"{a}-from-{s}-{'ok' if ok else 'refused'}" for a, s, ok, _ in CASES],
)
def test_it_allows_exactly_the_transitions_of_the_table(
    action, status, allowed, target, report, line, alice, paula, ivan
):
    set_status(report, status)
    if allowed:
        perform(action, report, alice=alice, paula=paula, ivan=ivan)
        report.refresh_from_db()
        assert report.status == target
        event = ReviewEvent.objects.get(report=report)
        assert (event.action, event.from_status, event.to_status) == (action, status, target)
    else:
        with pytest.raises(workflow.WorkflowError):
            perform(action, report, alice=alice, paula=paula, ivan=ivan)
        report.refresh_from_db()
        assert report.status == status
        assert not ReviewEvent.objects.filter(report=report).exists()


def test_it_records_who_submitted_and_when(report, line, alice):
    workflow.submit_report(report=report, by=alice)
    assert report.submitted_by == alice
    assert report.submitted_at is not None


def test_it_refuses_to_submit_an_empty_report(report, alice):
    with pytest.raises(workflow.WorkflowError, match=str(msg.EMPTY_SUBMISSION)):
        workflow.submit_report(report=report, by=alice)
    assert report.status == S.DRAFT


def test_it_submits_a_nil_report_without_lines(report, alice):
    workflow.declare_nil_report(report=report, by=alice, note="Proyecto en pausa")
    report.refresh_from_db()
    assert report.is_nil and report.status == S.SUBMITTED
    event = ReviewEvent.objects.get(report=report)
    assert event.action == "declare_nil" and event.reason == "Proyecto en pausa"


def test_it_refuses_a_nil_declaration_when_lines_exist(report, line, alice):
    with pytest.raises(workflow.WorkflowError, match=str(msg.NIL_WITH_LINES)):
        workflow.declare_nil_report(report=report, by=alice)


def test_a_nil_report_can_be_approved(report, alice, paula):
    workflow.declare_nil_report(report=report, by=alice)
    workflow.approve_report(report=report, by=paula)
    assert report.status == S.APPROVED and report.is_nil


@pytest.mark.parametrize("who", ["bob", "paula", "carl", "ivan"])
def test_only_the_organisations_reporters_submit_and_withdraw(who, report, line, request):
    user = request.getfixturevalue(who)
    with pytest.raises(workflow.NotPermitted):
        workflow.submit_report(report=report, by=user)
    set_status(report, S.SUBMITTED)
    with pytest.raises(workflow.NotPermitted):
        workflow.withdraw_report(report=report, by=user)


def test_a_focal_point_submits_like_a_reporter(report, line, fiona):
    workflow.submit_report(report=report, by=fiona)
    assert report.status == S.SUBMITTED


@pytest.mark.parametrize("who", ["alice", "bob", "carl"])
def test_only_the_sectors_coordinators_and_im_review(who, report, line, request):
    user = request.getfixturevalue(who)
    set_status(report, S.SUBMITTED)
    with pytest.raises(workflow.NotPermitted):
        workflow.approve_report(report=report, by=user)
    with pytest.raises(workflow.NotPermitted):
        workflow.return_report(report=report, by=user, reason="no")
    assert not ReviewEvent.objects.filter(report=report).exists()


def test_an_im_officer_may_approve_any_sector(report, line, ivan):
    set_status(report, S.SUBMITTED)
    workflow.approve_report(report=report, by=ivan)
    assert report.status == S.APPROVED and report.reviewed_by == ivan


def test_a_sub_sectors_coordinator_reviews_the_parent_sectors_reports(report, line, carl):
    from reporting.models import Sector

    carl.sectors.set([Sector.objects.get(code="PRO-GBV")])
    set_status(report, S.SUBMITTED)
    workflow.approve_report(report=report, by=carl)
    assert report.status == S.APPROVED


@pytest.mark.parametrize("who", ["alice", "paula"])
def test_only_an_im_officer_reopens(who, report, line, request):
    set_status(report, S.APPROVED)
    with pytest.raises(workflow.NotPermitted, match=str(msg.ONLY_IM)):
        workflow.reopen_report(report=report, by=request.getfixturevalue(who), reason="x")


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_return_needs_a_reason(reason, report, line, paula):
    set_status(report, S.SUBMITTED)
    with pytest.raises(workflow.WorkflowError, match=str(msg.REASON_REQUIRED)):
        workflow.return_report(report=report, by=paula, reason=reason)
    assert report.status == S.SUBMITTED


def test_a_reopening_needs_a_reason(report, line, ivan):
    set_status(report, S.APPROVED)
    with pytest.raises(workflow.WorkflowError, match=str(msg.REASON_REQUIRED)):
        workflow.reopen_report(report=report, by=ivan, reason="")


def test_the_reason_of_a_return_is_kept_on_the_report_and_the_event(report, line, paula):
    set_status(report, S.SUBMITTED)
    workflow.return_report(report=report, by=paula, reason="  Revisen Tumbes.  ")
    assert report.status_reason == "Revisen Tumbes."
    assert ReviewEvent.objects.get(report=report).reason == "Revisen Tumbes."


def test_two_reviewers_racing_cannot_both_win(report, line, paula, ivan):
    set_status(report, S.SUBMITTED)
    seen_by_paula = MonthlyReport.objects.get(pk=report.pk)
    seen_by_ivan = MonthlyReport.objects.get(pk=report.pk)
    workflow.approve_report(report=seen_by_paula, by=paula)
    with pytest.raises(workflow.WorkflowError, match="changed while you were looking"):
        workflow.return_report(report=seen_by_ivan, by=ivan, reason="too late")
    report.refresh_from_db()
    assert report.status == S.APPROVED
    assert list(ReviewEvent.objects.filter(report=report).values_list("action", flat=True)) == [
        "approve"
    ]


def test_the_conditional_update_refuses_a_stale_source_status(report, line, paula):
    """The UPDATE itself carries the source statuses: a row that moved is never overwritten."""
    set_status(report, S.SUBMITTED)
    updated = MonthlyReport.objects.filter(
        pk=report.pk, status__in=[S.DRAFT], period__status=PeriodStatus.OPEN
    ).update(status=S.APPROVED)
    assert updated == 0


@pytest.mark.parametrize("action", list(ALLOWED))
def test_nothing_changes_in_a_locked_period(action, report, line, alice, paula, ivan):
    start = next(iter(sorted(ALLOWED[action][0])))
    set_status(report, start)
    workflow.lock_period(period=report.period, by=ivan)
    report.refresh_from_db()
    with pytest.raises(workflow.WorkflowError, match="is locked"):
        perform(action, report, alice=alice, paula=paula, ivan=ivan)
    report.refresh_from_db()
    assert report.status == start
    assert workflow.allowed_actions(report=report, user=ivan) == []


def test_unlocking_lets_changes_through_again(report, line, alice, ivan):
    workflow.lock_period(period=report.period, by=ivan)
    workflow.unlock_period(period=report.period, by=ivan, reason="Corrección de HIAS")
    report.refresh_from_db()
    workflow.submit_report(report=report, by=alice)
    assert report.status == S.SUBMITTED
    actions = list(report.period.events.order_by("at").values_list("action", "reason"))
    assert actions == [("lock", ""), ("unlock", "Corrección de HIAS")]


def test_unlocking_needs_a_reason(period, ivan):
    workflow.lock_period(period=period, by=ivan)
    with pytest.raises(workflow.WorkflowError, match=str(msg.REASON_REQUIRED)):
        workflow.unlock_period(period=period, by=ivan, reason=" ")
    period.refresh_from_db()
    assert period.status == PeriodStatus.LOCKED


@pytest.mark.parametrize("who", ["alice", "paula"])
def test_only_an_im_officer_locks_and_unlocks(who, period, ivan, request):
    user = request.getfixturevalue(who)
    with pytest.raises(workflow.NotPermitted):
        workflow.lock_period(period=period, by=user)
    workflow.lock_period(period=period, by=ivan)
    with pytest.raises(workflow.NotPermitted):
        workflow.unlock_period(period=period, by=user, reason="please")


def test_locking_twice_is_refused_and_writes_one_event(period, ivan):
    workflow.lock_period(period=period, by=ivan, reason="cierre")
    with pytest.raises(workflow.WorkflowError, match="already"):
        workflow.lock_period(period=period, by=ivan)
    assert PeriodEvent.objects.filter(period=period).count() == 1
    assert period.status_changed_by == ivan


def test_allowed_actions_follow_role_and_status(report, line, alice, paula, carl, ivan):
    assert workflow.allowed_actions(report=report, user=alice) == ["submit", "declare_nil"]
    assert workflow.allowed_actions(report=report, user=paula) == []
    set_status(report, S.SUBMITTED)
    assert workflow.allowed_actions(report=report, user=alice) == ["withdraw"]
    assert workflow.allowed_actions(report=report, user=paula) == ["approve", "return"]
    assert workflow.allowed_actions(report=report, user=carl) == []
    set_status(report, S.APPROVED)
    assert workflow.allowed_actions(report=report, user=ivan) == ["reopen"]
    assert workflow.allowed_actions(report=report, user=alice) == []


def test_a_reopened_report_goes_back_through_review(report, line, alice, paula, ivan):
    workflow.submit_report(report=report, by=alice)
    workflow.approve_report(report=report, by=paula)
    workflow.reopen_report(report=report, by=ivan, reason="Duplicated Lima line")
    assert report.is_editable
    workflow.submit_report(report=report, by=alice)
    workflow.approve_report(report=report, by=paula)
    history = list(ReviewEvent.objects.filter(report=report).values_list("action", "by__username"))
    assert history == [
        ("submit", "alice"), ("approve", "paula"), ("reopen", "ivan"),
        ("submit", "alice"), ("approve", "paula"),
    ]


def test_withdrawing_a_fixed_report_returns_it_to_returned_with_its_reason(
    report, line, alice, paula
):
    workflow.submit_report(report=report, by=alice)
    workflow.return_report(report=report, by=paula, reason="Falta Tumbes")
    workflow.submit_report(report=report, by=alice)
    workflow.withdraw_report(report=report, by=alice)
    assert (report.status, report.status_reason) == (S.RETURNED, "Falta Tumbes")
    assert report.submitted_at is None and report.submitted_by is None


def test_withdrawing_a_nil_declaration_withdraws_the_nil_flag(report, alice):
    workflow.declare_nil_report(report=report, by=alice)
    workflow.withdraw_report(report=report, by=alice)
    assert report.status == S.DRAFT and not report.is_nil
    with pytest.raises(workflow.WorkflowError, match=str(msg.EMPTY_SUBMISSION)):
        workflow.submit_report(report=report, by=alice)


def test_a_fix_sent_after_the_deadline_does_not_make_an_on_time_report_late(
    report, line, alice, paula
):
    workflow.submit_report(report=report, by=alice)
    first = report.first_submitted_at
    MonthlyReport.objects.filter(pk=report.pk).update(
        first_submitted_at=first.replace(year=2023, month=10, day=5),
        submitted_at=first.replace(year=2023, month=10, day=5),
    )
    workflow.return_report(report=report, by=paula, reason="x")
    workflow.submit_report(report=report, by=alice)
    assert report.submitted_at.date() > report.period.deadline
    assert report.first_submitted_at.date().isoformat() == "2023-10-05"
    assert not report.submitted_late()


def test_reopening_clears_the_earlier_review(report, line, alice, paula, ivan):
    workflow.submit_report(report=report, by=alice)
    workflow.approve_report(report=report, by=paula)
    workflow.reopen_report(report=report, by=ivan, reason="Duplicado")
    assert report.reviewed_by is None and report.reviewed_at is None


def test_a_deactivated_organisation_or_sector_no_longer_submits(report, line, alice):
    report.organisation.active = False
    report.organisation.save()
    with pytest.raises(workflow.WorkflowError, match="no longer an active partner"):
        workflow.submit_report(report=report, by=alice)
    report.organisation.active = True
    report.organisation.save()
    report.sector.active = False
    report.sector.save()
    with pytest.raises(workflow.WorkflowError, match="no longer an active sector"):
        workflow.submit_report(report=report, by=alice)


# --------------------------------------------------------------------------------------------
# Historic loads: approved by the workflow too
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED, S.APPROVED])
def test_ivan_records_a_historic_report_as_approved_even_in_a_locked_month(
        status, report, line, ivan):
    set_status(report, status)
    workflow.lock_period(period=report.period, by=ivan)

    workflow.approve_historic_reports(reports=[report], by=ivan, reason="Cargado de h.xlsx")

    report.refresh_from_db()
    assert (report.status, report.reviewed_by, report.submitted_by) == (S.APPROVED, ivan, ivan)
    assert report.first_submitted_at is not None
    event = report.events.get()
    assert (event.action, event.from_status, event.to_status, event.by, event.reason) == (
        ReviewEvent.Action.APPROVE, status, S.APPROVED, ivan, "Cargado de h.xlsx")


def test_only_an_im_officer_records_history(report, line, paula, alice):
    for user in (paula, alice):
        with pytest.raises(workflow.NotPermitted, match=str(msg.ONLY_IM)):
            workflow.approve_historic_reports(reports=[report], by=user, reason="x")
    report.refresh_from_db()
    assert report.status == S.DRAFT
    assert not report.events.exists()


EVENT_WRITERS = {"ReviewEvent", "ReviewEvent.objects.create", "ReviewEvent.objects.bulk_create",
                 "ReviewEvent.objects.get_or_create", "ReviewEvent.objects.update_or_create"}


def test_no_code_but_the_workflow_writes_a_review_event_or_a_reports_status():
    """The workflow is the only code that changes a report's status, and every change writes a
    review event; nothing else in the app does either (the demo's and the benchmark's
    made-up histories aside)."""
    root = Path(reporting.__file__).parent
    writers = []
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root).as_posix()
        if where == "workflow.py" or where.startswith(("demo/", "migrations/")):
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            called = ast.get_source_segment(source, node.func) or ""
            creates_event = called in EVENT_WRITERS
            sets_status = (called.endswith((".update", ".bulk_update"))
                           and "MonthlyReport" in called
                           and any(keyword.arg == "status" for keyword in node.keywords))
            if creates_event or sets_status:
                writers.append(f"{where}:{node.lineno}")

    assert writers == []


# Saying beforehand why a submission would be refused (the upload's "submit all") ----------


def _refusal_now(report: MonthlyReport, user) -> str:
    report = MonthlyReport.objects.select_related("period", "organisation", "sector").get(
        pk=report.pk)
    return workflow.submission_refusal(report=report, user=user,
                                       has_lines=report.lines.exists())


def _refusal_of_submitting(report: MonthlyReport, user) -> str:
    try:
        workflow.submit_report(report=report, by=user)
    except workflow.WorkflowError as error:
        return str(error)
    return ""


@pytest.mark.parametrize("situation", [
    "ready", "someone else", "locked", "submitted", "approved", "returned", "empty", "nil",
    "inactive organisation", "inactive sector",
])
def test_the_refusal_said_beforehand_is_the_submissions_own(report, line, alice, bob, ivan,
                                                           situation):
    user = bob if situation == "someone else" else alice
    if situation == "locked":
        workflow.lock_period(period=report.period, by=ivan)
    elif situation in ("submitted", "approved", "returned"):
        set_status(report, situation)
    elif situation == "empty":
        line.delete()
    elif situation == "nil":
        line.delete()
        MonthlyReport.objects.filter(pk=report.pk).update(is_nil=True)
    elif situation == "inactive organisation":
        type(report.organisation).objects.filter(pk=report.organisation_id).update(active=False)
    elif situation == "inactive sector":
        type(report.sector).objects.filter(pk=report.sector_id).update(active=False)
    report.refresh_from_db()

    said = _refusal_now(report, user)
    assert said == _refusal_of_submitting(report, user)
    assert (said == "") is (situation in ("ready", "nil", "returned"))
    if situation == "someone else":
        assert said == "Only HIAS's reporters may change this report."


def test_submit_reports_submits_each_it_may_and_says_why_not_for_the_rest(
    report, line, alice, health
):
    empty = ReportFactory(organisation=report.organisation, sector=health, period=report.period)
    submitted, refused = workflow.submit_reports(reports=[report, empty], by=alice)
    assert [each.pk for each in submitted] == [report.pk]
    assert refused == [(empty, str(msg.EMPTY_SUBMISSION))]
    report.refresh_from_db()
    empty.refresh_from_db()
    assert (report.status, empty.status) == (S.SUBMITTED, S.DRAFT)
    assert report.events.get().action == "submit" and not empty.events.exists()
