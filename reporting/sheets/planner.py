"""Checking and saving an uploaded activity table (DESIGN §5), all or nothing.

`plan_import` checks every row of a `reading.Table` against the reference data and the
rules of an activity line (`ActivityLine.row_errors`, the same rules as the web form) and says
which monthly reports the file would fill and what it would replace. `apply_import` does it
again under the reports' locks and saves the lines only if nothing is wrong.

Each row goes read → match → build → check: its values are read (values.py), its names
matched to the reference data, tolerantly but never by guessing (matching.py), its line built
and checked by the line's rules; anything that matches nothing, or more than one thing, is an
error that names the row and the column.

The reference data is read once per file and every row is checked in memory, so the number of
queries does not grow with the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from partners.models import Organisation, User
from reporting import texts as msg
from reporting import workflow
from reporting.models import (
    DISAGGREGATION_FIELDS,
    EDITABLE_STATUSES,
    ActivityLine,
    DeliveryMechanism,
    Indicator,
    LineChange,
    Location,
    Modality,
    MonthlyReport,
    ReportingPeriod,
    ReportStatus,
    Sector,
)

from .columns import BY_FIELD, COLUMNS
from .matching import Reference
from .values import (
    ValueProblem,
    as_text,
    name_text,
    read_activity_name,
    read_amount,
    read_count,
    read_delivery_mechanism,
    read_month,
    read_yes_no,
)

if TYPE_CHECKING:
    from .reading import SheetRow, Table

BATCH_SIZE = 1000
COLUMN_ORDER = {column.field: position for position, column in enumerate(COLUMNS)}
# Where a rule of ActivityLine.row_errors points in the file ("location" is resolved per row).
RULE_COLUMNS = {
    "indicator": "indicator",
    "department": "department",
    "new_beneficiaries": "new_beneficiaries",
    "total_monthly": "total_monthly",
    "quantity": "quantity",
    "cash_usd": "cash_usd",
    "delivery_mechanism": "delivery_mechanism",
    "modality": "modality",
}


@dataclass(frozen=True)
class RowError:
    row: int | None  # the sheet row as the user sees it; None for a problem of the whole file
    field: str | None  # the column contract's field, None for the whole row
    column: str | None  # the header as in the contract ("Department"), None for the whole row
    value: str  # the offending value as text ("" when empty)
    message: str  # the plain reason, translated


@dataclass
class ReportPlan:
    organisation: Organisation
    sector: Sector  # top-level: a sub-sector's lines go to its parent's report
    month: dt.date
    period: ReportingPeriod | None  # None only when loading as approved creates it
    report: MonthlyReport | None  # None when the upload creates it
    existing_lines: int  # the lines it has now, which the upload replaces
    lines: list[ActivityLine]  # checked and unsaved; their report is set when applied
    rows: list[int]  # the sheet rows that go to it


@dataclass
class ImportPlan:
    reports: list[ReportPlan]
    errors: list[RowError]
    row_count: int

    @property
    def ok(self) -> bool:
        return not self.errors and any(report.lines for report in self.reports)

    @property
    def line_count(self) -> int:
        return sum(len(report.lines) for report in self.reports)


class ImportFailed(Exception):
    """The file has errors, so nothing was saved; `plan.errors` says what they are."""

    def __init__(self, plan: ImportPlan):
        self.plan = plan
        super().__init__(errors_as_text(plan.errors))


def plan_import(table: Table, *, user: User, as_approved: bool = False) -> ImportPlan:
    """Return what importing `table` as `user` would do, and every error in it."""
    _check_may_import(user, as_approved)
    return _Planner(table, user=user, as_approved=as_approved).plan(lock=False)


def apply_import(
    table: Table, *, user: User, as_approved: bool = False, filename: str = ""
) -> ImportPlan:
    """Replace the lines of every report `table` covers with its rows, all or nothing.

    The rows are checked again under the locks of the reports and periods concerned, so a
    report submitted or a period locked since the preview turns the upload down. Raise
    ImportFailed, having saved nothing, on any error."""
    _check_may_import(user, as_approved)
    try:
        with transaction.atomic():
            plan = _Planner(table, user=user, as_approved=as_approved).plan(lock=True)
            if not plan.ok:
                raise ImportFailed(plan)
            _save(plan, user=user, as_approved=as_approved, filename=filename)
    except IntegrityError as error:
        # Another upload created one of these reports or periods a moment before this one.
        failed = ImportPlan(
            reports=[], row_count=len(table.rows),
            errors=[RowError(None, None, None, "", str(msg.UPLOAD_CHANGED_MEANWHILE))],
        )
        raise ImportFailed(failed) from error
    return plan


def errors_as_text(errors: Iterable[RowError]) -> str:
    """Return the errors one per line, as `import_activities` prints them."""
    lines = []
    for error in errors:
        if error.row is None:
            lines.append(error.message)
        elif error.column:
            lines.append(msg.ERROR_AT_CELL % {
                "row": error.row, "column": error.column, "message": error.message})
        else:
            lines.append(msg.ERROR_AT_ROW % {"row": error.row, "message": error.message})
    return "\n".join(lines)


def default_deadline(month: dt.date) -> dt.date:
    """Return the usual deadline of a month's reports: the 10th of the next month."""
    return (month + dt.timedelta(days=40)).replace(day=10)


def _check_may_import(user: User, as_approved: bool) -> None:
    if as_approved:
        if not user.is_im_officer:
            raise PermissionDenied(msg.ONLY_IM)
    elif not (user.is_partner_user or user.is_im_officer):
        raise PermissionDenied(msg.UPLOAD_NOT_ALLOWED)


COUNT_FIELDS = (*DISAGGREGATION_FIELDS, "new_beneficiaries", "total_monthly", "quantity")


class _Cells:
    """One sheet row's cells, read (each distinct value once per file), and its errors."""

    def __init__(self, row: SheetRow, cache: dict[tuple, object],
                 headers: dict[str, str] | None = None):
        self.row = row
        self.cache = cache
        self.headers = headers  # the file's own headers by field (R4V's template), or ours
        self.errors: list[RowError] = []
        for field_name, message in row.problems:
            self.fail(field_name, message)

    def fail(self, field_name: str | None, message) -> None:
        """Record an error on the cell of `field_name`, or on the whole row."""
        raw = self.row.values.get(field_name) if field_name else None
        column = None
        if field_name:
            column = (self.headers or {}).get(field_name) or BY_FIELD[field_name].header
        self.errors.append(RowError(self.row.number, field_name, column, as_text(raw),
                                    str(message)))

    def value(self, field_name: str, reader: Callable, *, required: bool = False, **context):
        """Return the cell of `field_name` as `reader` reads it, or None: blank (an error when
        `required`), or unusable, which is recorded with the reader's reason."""
        raw = self.row.values.get(field_name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.fail(field_name, msg.VALUE_REQUIRED)
            return None
        key = (field_name, raw.__class__, raw, *context.values())
        found = self.cache.get(key)
        if found is None:
            try:
                found = reader(raw, **context)
            except ValueProblem as problem:
                found = problem
            self.cache[key] = found
        if isinstance(found, ValueProblem):
            self.fail(field_name, found.message)
            return None
        return found


@dataclass(frozen=True)
class _Read:
    month: dt.date | None
    counts: dict[str, int | None]
    cash: Decimal | None
    description: str
    rmrp_activity: bool
    delivery_mechanism: str
    activity_name: str


@dataclass(frozen=True)
class _Matched:
    organisation: Organisation | None  # None too when it is not the uploader's own
    sector: Sector | None  # top-level: a sub-sector's lines go to its parent's report
    indicator: Indicator | None
    department: Location | None
    province: Location | None
    district: Location | None
    population_type: str | None
    modality: str | None
    partner: Organisation | None

    @property
    def location(self) -> Location | None:
        return self.district or self.province or self.department

    @property
    def place_field(self) -> str:
        """The column of the most precise place given, where a rule about the place points."""
        return "district" if self.district else "province" if self.province else "department"


@dataclass
class _Group:
    organisation: Organisation
    sector: Sector
    month: dt.date
    rows: list[int] = field(default_factory=list)
    lines: list[ActivityLine] = field(default_factory=list)
    month_values: dict[int, str] = field(default_factory=dict)


class _Planner:
    def __init__(self, table: Table, *, user: User, as_approved: bool):
        self.table = table
        self.user = user
        self.as_approved = as_approved
        self.reference = Reference()
        self.errors: list[RowError] = []
        self.groups: dict[tuple, _Group] = {}
        self.keys: dict[tuple, int] = {}  # the identity of a line → the row that has it
        self.cache: dict[tuple, object] = {}

    # The plan ----------------------------------------------------------------------------------

    def plan(self, *, lock: bool) -> ImportPlan:
        rows = self.table.rows
        for row in rows:
            self._check_row(row)
        reports = self._report_plans(lock=lock)
        if not rows:
            self.errors.append(RowError(None, None, None, "", str(msg.UPLOAD_NO_LINES)))
        self.errors.sort(key=lambda error: (
            error.row is not None, error.row or 0,
            COLUMN_ORDER.get(error.field, len(COLUMN_ORDER)),
        ))
        return ImportPlan(reports=reports, errors=self.errors, row_count=len(rows))

    def _report_plans(self, *, lock: bool) -> list[ReportPlan]:
        if not self.groups:
            return []
        periods_query = ReportingPeriod.objects.filter(
            month__in={group.month for group in self.groups.values()}
        ).order_by("month")
        if lock:
            periods_query = periods_query.select_for_update(no_key=True)
        periods = {period.month: period for period in periods_query}
        reports_query = MonthlyReport.objects.filter(
            organisation_id__in={key[0] for key in self.groups},
            sector_id__in={key[1] for key in self.groups},
            period__in=list(periods.values()),
        ).order_by("pk")
        if lock:
            # The filter may take in a few more of these organisations' reports than the file
            # covers: one short query, and they stay locked only while the file is saved.
            reports_query = reports_query.select_for_update(no_key=True)
        reports = {
            (report.organisation_id, report.sector_id, report.period_id): report
            for report in (reports_query if periods else [])
        }
        found: dict[tuple, tuple[ReportingPeriod | None, MonthlyReport | None]] = {}
        for key, group in self.groups.items():
            period = periods.get(group.month)
            report = reports.get((key[0], key[1], period.pk)) if period else None
            if report is not None:
                report.organisation, report.sector, report.period = (
                    group.organisation, group.sector, period)
            found[key] = (period, report)
        ids = [report.pk for _period, report in found.values() if report is not None]
        counts = dict(
            ActivityLine.objects.filter(report_id__in=ids)
            .values_list("report_id").annotate(count=Count("pk")).order_by()
        ) if ids else {}

        plans = []
        for key, group in self.groups.items():
            period, report = found[key]
            self._check_report(group, period, report)
            plans.append(ReportPlan(
                organisation=group.organisation, sector=group.sector, month=group.month,
                period=period, report=report,
                existing_lines=counts.get(report.pk, 0) if report else 0,
                lines=group.lines, rows=group.rows,
            ))
        plans.sort(key=lambda plan: (plan.month, plan.organisation.short_name.casefold(),
                                     plan.sector.order, plan.sector.code))
        return plans

    def _check_report(self, group: _Group, period: ReportingPeriod | None,
                      report: MonthlyReport | None) -> None:
        """Refuse every row of a report the upload may not change."""
        month = group.month.strftime("%Y-%m")
        params = {"sector": group.sector, "organisation": group.organisation, "month": month}
        field_name, message = None, None
        if period is None:
            if not self.as_approved:
                field_name, message = "month", msg.PERIOD_MISSING % params
        elif self.as_approved:
            return
        elif period.is_locked:
            field_name, message = "month", msg.PERIOD_LOCKED_ROW % params
        elif report is not None and report.status not in EDITABLE_STATUSES:
            if report.status == ReportStatus.APPROVED:
                message = msg.REPORT_APPROVED_ROW % params
            else:
                message = msg.REPORT_SUBMITTED_ROW % params
        if message is None:
            return
        column = BY_FIELD[field_name].header if field_name else None
        for number in group.rows:
            value = group.month_values.get(number, "") if field_name else ""
            self.errors.append(RowError(number, field_name, column, value, message))

    # One row: read → match → build → check ---------------------------------------------------

    def _check_row(self, row: SheetRow) -> None:
        """Read a row's cells, match its names to the reference data, build its line and check
        it: the line goes to its report's group, or the row's errors to the plan's."""
        cells = _Cells(row, self.cache, self.table.field_headers)
        read = self._read(cells)
        matched = self._match(cells, read.month)
        key = self._group(cells, read.month, matched)
        line = self._build(cells, read, matched)
        if line is not None:
            self._check(cells, line, matched, key)
        if cells.errors:
            self.errors.extend(cells.errors)
        else:
            line.sheet_row = row.number  # where the preview places R4V's warnings on it
            self.groups[key].lines.append(line)

    def _read(self, cells: _Cells) -> _Read:
        """Read the cells that hold values: the month, the counts, the amount, the text."""
        counts = {name: cells.value(name, read_count) for name in COUNT_FIELDS}
        if counts["other_unknown_age"] and not self.as_approved:
            # New entry records other people by age; only a historic load keeps them ageless.
            cells.fail("other_unknown_age", msg.OTHER_NEEDS_AN_AGE)
        return _Read(
            month=cells.value("month", read_month, required=True),
            counts=counts,
            cash=cells.value("cash_usd", read_amount),
            description=name_text(cells.row.values.get("description")),
            rmrp_activity=cells.value("rmrp_activity", read_yes_no) is not False,
            delivery_mechanism=cells.value("delivery_mechanism", read_delivery_mechanism) or "",
            activity_name=cells.value("activity_name", read_activity_name) or "",
        )

    def _match(self, cells: _Cells, month: dt.date | None) -> _Matched:
        """Match the cells that hold names, and refuse what this upload may not use: another
        organisation's rows, and (except in a historic load) inactive organisations and
        sectors."""
        reference = self.reference
        organisation = cells.value("organisation", reference.organisation, required=True)
        named_sector = cells.value("sector", reference.sector, required=True)
        indicator = cells.value("indicator", reference.indicator, required=True, month=month)
        department = cells.value("department", reference.department, required=True)
        province = district = None
        if department is not None:
            province = cells.value("province", reference.province, department=department)
            if not (cells.row.values.get("province") and province is None):
                district = cells.value("district", reference.district, department=department,
                                       province=province)
        population_type = cells.value("population_type", reference.population_type,
                                      required=True)
        modality = cells.value("modality", reference.modality, required=True)
        partner = cells.value("implementing_partner", reference.organisation)

        sector = None
        if named_sector is not None:
            sector = named_sector.parent or named_sector
            if not self.as_approved:
                for inactive in dict.fromkeys((named_sector, sector)):
                    if not inactive.active:
                        cells.fail("sector", msg.SECTOR_INACTIVE % {"sector": inactive})
        if organisation is not None:
            if self.user.is_partner_user and organisation.pk != self.user.organisation_id:
                own = self.user.organisation
                cells.fail("organisation", msg.NOT_YOUR_ORGANISATION_ROW % {
                    "organisation": organisation, "own": own})
                # Nothing about another organisation's reports is looked up, let alone told.
                organisation = None
            elif not organisation.active and not self.as_approved:
                cells.fail("organisation",
                           msg.ORGANISATION_INACTIVE % {"organisation": organisation})
        if partner is not None and not partner.active and not self.as_approved:
            cells.fail("implementing_partner",
                       msg.ORGANISATION_INACTIVE % {"organisation": partner})
        return _Matched(organisation, sector, indicator, department, province, district,
                        population_type, modality, partner)

    def _group(self, cells: _Cells, month: dt.date | None, matched: _Matched) -> tuple | None:
        """Count the row in its report's group, errors or not (a report the upload may not
        change refuses all its rows), and return the group's key."""
        if month is None or matched.organisation is None or matched.sector is None:
            return None
        key = (matched.organisation.pk, matched.sector.pk, month)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(matched.organisation, matched.sector, month)
        group.rows.append(cells.row.number)
        group.month_values[cells.row.number] = as_text(cells.row.values.get("month"))
        return key

    def _build(self, cells: _Cells, read: _Read, matched: _Matched) -> ActivityLine | None:
        """Return the row's line, or None when the row has an error already (a count that the
        indicator needs and the row lacks is one)."""
        indicator = matched.indicator
        if (not cells.errors and indicator is not None and read.counts["total_monthly"] is None
                and indicator.measures_people):
            cells.fail("total_monthly", msg.TOTAL_REQUIRED % {"indicator": indicator.code})
        if cells.errors:
            return None
        counts = read.counts
        people = [counts[name] or 0 for name in DISAGGREGATION_FIELDS]
        new = counts["new_beneficiaries"]
        location = matched.location
        partner = matched.partner
        # Ids, then the objects in the instance's cache: what `indicator=indicator` does, at a
        # third of the cost, which counts over 10,000 rows.
        line = ActivityLine(
            indicator_id=indicator.pk,
            department_id=matched.department.pk,
            location_id=location.pk,
            population_type=matched.population_type,
            modality=matched.modality,
            implementing_partner_id=partner.pk if partner else None,
            girls=people[0], boys=people[1], women=people[2], men=people[3],
            other_under_18=people[4], other_adults=people[5], other_unknown_age=people[6],
            new_beneficiaries=sum(people) if new is None else new,
            total_monthly=counts["total_monthly"] or 0,
            quantity=counts["quantity"],
            cash_usd=read.cash,
            description=read.description,
            rmrp_activity=read.rmrp_activity,
            # A voucher is its own mechanism: an empty cell on a voucher row means Voucher.
            delivery_mechanism=read.delivery_mechanism or (
                DeliveryMechanism.VOUCHER if matched.modality == Modality.VOUCHER else ""),
            activity_name=read.activity_name,
            created_by_id=self.user.pk,
            updated_by_id=self.user.pk,
        )
        line._state.fields_cache.update(
            indicator=indicator, department=matched.department, location=location,
            implementing_partner=partner, created_by=self.user, updated_by=self.user,
        )
        return line

    def _check(self, cells: _Cells, line: ActivityLine, matched: _Matched, key: tuple) -> None:
        """Check the line by the rules of every activity line (`ActivityLine.row_errors`, as
        the web form does), each error put on the column it concerns, then against the rows
        before it: a line is in a report once."""
        for rule_field, rule_errors in line.row_errors(
            sector=matched.sector, accept_inactive=self.as_approved,
            require_mechanism=not self.as_approved, accept_any_modality=self.as_approved,
        ).items():
            if rule_field == NON_FIELD_ERRORS:
                target = None
            elif rule_field == "location":
                target = matched.place_field
            else:
                target = RULE_COLUMNS.get(rule_field)
            for error in rule_errors:
                for message in error.messages:
                    cells.fail(target, message)
        if cells.errors:
            return
        partner = matched.partner
        identity = (key, line.indicator_id, line.location_id, line.population_type,
                    line.modality, partner.pk if partner else None)
        first = self.keys.setdefault(identity, cells.row.number)
        if first != cells.row.number:
            cells.fail(None, msg.DUPLICATE_ROW % {"row": first})


# Saving ------------------------------------------------------------------------------------


def _save(plan: ImportPlan, *, user: User, as_approved: bool, filename: str) -> None:
    now = timezone.now()
    missing = sorted({report.month for report in plan.reports if report.period is None})
    if missing:
        created = ReportingPeriod.objects.bulk_create(
            [ReportingPeriod(month=month, deadline=default_deadline(month)) for month in missing]
        )
        periods = {period.month: period for period in created}
        for report_plan in plan.reports:
            if report_plan.period is None:
                report_plan.period = periods[report_plan.month]

    before = [report_plan.report.pk for report_plan in plan.reports
              if report_plan.report is not None]
    new = [report_plan for report_plan in plan.reports if report_plan.report is None]
    if new:
        created = MonthlyReport.objects.bulk_create([
            MonthlyReport(organisation=report_plan.organisation, sector=report_plan.sector,
                          period=report_plan.period, created_by=user)
            for report_plan in new
        ])
        for report_plan, report in zip(new, created, strict=True):
            report_plan.report = report

    if before:
        ActivityLine.objects.filter(report_id__in=before).delete()
    lines = []
    for report_plan in plan.reports:
        for line in report_plan.lines:
            line.report = report_plan.report
            lines.append(line)
    ActivityLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)

    LineChange.objects.bulk_create([
        LineChange(
            report=report_plan.report, line_id=0, action=LineChange.Action.IMPORT,
            # What happened is stored as data (`changes`) and worded in the reader's language
            # when shown (LineChange.display_summary); the summary keeps only the file's name,
            # which reads the same in every language and stays searchable.
            summary=filename[:255],
            changes={"file": filename, "removed": report_plan.existing_lines,
                     "added": len(report_plan.lines)},
            by=user, at=now,
        )
        for report_plan in plan.reports
    ])

    ids = [report_plan.report.pk for report_plan in plan.reports]
    MonthlyReport.objects.filter(pk__in=ids).update(updated_at=now, is_nil=False)
    for report_plan in plan.reports:
        report = report_plan.report
        report.organisation, report.sector, report.period = (
            report_plan.organisation, report_plan.sector, report_plan.period)
        report.updated_at, report.is_nil = now, False
    if as_approved:
        # The workflow writes every status change, this one too.
        workflow.approve_historic_reports(
            reports=[report_plan.report for report_plan in plan.reports], by=user, at=now,
            reason=msg.LOADED_AS_HISTORIC % {"file": filename or gettext("a spreadsheet")},
        )
