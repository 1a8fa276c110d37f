"""Changes to a report's content: starting a report, adding, changing and deleting lines.

Each change re-reads the report under a row lock and refuses it unless the report is editable
now, so a line cannot slip into a report that was submitted or locked a moment earlier. Every
change of a line is written to the audit trail (LineChange).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from partners.models import User

from . import texts as msg
from .models import (
    ActivityLine,
    LineChange,
    MonthlyReport,
    ReportingPeriod,
    Sector,
)
from .workflow import NotPermitted, WorkflowError, lock_report

AUDITED_RELATED = ("indicator", "department", "location", "implementing_partner")
AUDITED_FIELDS = (
    "indicator",
    "department",
    "location",
    "population_type",
    "modality",
    "implementing_partner",
    "girls",
    "boys",
    "women",
    "men",
    "other_under_18",
    "other_adults",
    "other_unknown_age",
    "new_beneficiaries",
    "total_monthly",
    "quantity",
    "cash_usd",
    "delivery_mechanism",
    "activity_name",
    "description",
    "rmrp_activity",
)


def check_editable(*, report: MonthlyReport, user: User) -> None:
    """Raise WorkflowError unless `user` may change the lines of `report` now."""
    if not report.is_owned_by(user):
        raise NotPermitted(msg.NOT_YOUR_ORGANISATION % {"organisation": report.organisation})
    if not report.organisation.active:
        raise WorkflowError(msg.ORGANISATION_INACTIVE % {"organisation": report.organisation})
    if not report.sector.active:
        raise WorkflowError(msg.SECTOR_INACTIVE % {"sector": report.sector})
    if report.period.is_locked:
        raise WorkflowError(msg.PERIOD_LOCKED % {"period": report.period})
    if not report.is_editable:
        raise WorkflowError(msg.REPORT_NOT_EDITABLE % {"status": report.get_status_display()})


def _lock_report(report_id: int, user: User) -> MonthlyReport:
    # The month, then the report, as uploads lock them (workflow.lock_report says why).
    report = lock_report(report_id)
    check_editable(report=report, user=user)
    return report


def start_report(
    *, organisation_id: int, sector: Sector, period: ReportingPeriod, by: User
) -> MonthlyReport:
    """Return the organisation's report for `sector` and `period`, creating a draft if needed."""
    if not sector.is_top_level:
        raise WorkflowError(msg.SECTOR_NOT_TOP_LEVEL % {"sector": sector, "parent": sector.parent})
    if not (by.is_partner_user and by.organisation_id == organisation_id):
        raise NotPermitted(msg.NOT_YOUR_ORGANISATION % {"organisation": by.organisation})
    if not by.organisation.active:
        raise WorkflowError(msg.ORGANISATION_INACTIVE % {"organisation": by.organisation})
    if not sector.active:
        raise WorkflowError(msg.SECTOR_INACTIVE % {"sector": sector})
    existing = MonthlyReport.objects.filter(
        organisation_id=organisation_id, sector=sector, period=period
    ).first()
    if existing is not None:
        return existing
    if period.is_locked:
        raise WorkflowError(msg.PERIOD_LOCKED % {"period": period})
    try:
        with transaction.atomic():
            return MonthlyReport.objects.create(
                organisation_id=organisation_id, sector=sector, period=period, created_by=by
            )
    except IntegrityError:
        # Two tabs started the same report at once; the other one created it.
        return MonthlyReport.objects.get(
            organisation_id=organisation_id, sector=sector, period=period
        )


def _value(line: ActivityLine, field: str):
    """Return what the audit trail keeps of a field: codes for references, as they read then."""
    if field == "indicator":
        return line.indicator.code
    if field in ("department", "location"):
        place = getattr(line, field)
        return f"{place.code} {place.name}"
    if field == "implementing_partner":
        return line.implementing_partner.acronym if line.implementing_partner_id else None
    value = getattr(line, field)
    return str(value) if isinstance(value, Decimal) else value


def _describe(line: ActivityLine) -> str:
    # Codes and place names only, so the trail reads the same in Spanish and English.
    return f"{line.indicator.code} · {line.location.name} ({line.location.code})"[:255]


def save_line(*, line: ActivityLine, by: User) -> ActivityLine:
    """Add or change `line` and record the change in the audit trail.

    The rules are checked again under the report's lock (ValidationError), so that two tabs
    saving the same line at once get the duplicate message, not a database error."""
    with transaction.atomic():
        report = _lock_report(line.report_id, by)
        line.report = report
        # The report was just read under its lock and the authors are set here: only the
        # fields that came from the person are checked again.
        line.full_clean(exclude=["report", "created_by", "updated_by"])
        if line.pk is None:
            before = None
            line.created_by = by
        else:
            stored = ActivityLine.objects.select_related(*AUDITED_RELATED).get(
                pk=line.pk, report_id=report.pk
            )
            before = {field: _value(stored, field) for field in AUDITED_FIELDS}
        line.updated_by = by
        line.save()
        after = {field: _value(line, field) for field in AUDITED_FIELDS}
        if before is None:
            LineChange.objects.create(
                report=report, line_id=line.pk, action=LineChange.Action.CREATE,
                summary=_describe(line), changes=after, by=by,
            )
        else:
            changes = {
                field: [before[field], after[field]]
                for field in AUDITED_FIELDS
                if before[field] != after[field]
            }
            if changes:
                LineChange.objects.create(
                    report=report, line_id=line.pk, action=LineChange.Action.UPDATE,
                    summary=_describe(line), changes=changes, by=by,
                )
        # Reporting an activity withdraws an earlier "no activities this month".
        MonthlyReport.objects.filter(pk=report.pk).update(is_nil=False, updated_at=timezone.now())
    return line


def delete_line(*, line: ActivityLine, by: User) -> None:
    """Delete `line` and record its values in the audit trail."""
    with transaction.atomic():
        report = _lock_report(line.report_id, by)
        values = {field: _value(line, field) for field in AUDITED_FIELDS}
        LineChange.objects.create(
            report=report, line_id=line.pk, action=LineChange.Action.DELETE,
            summary=_describe(line), changes=values, by=by,
        )
        line.delete()
        MonthlyReport.objects.filter(pk=report.pk).update(updated_at=timezone.now())
