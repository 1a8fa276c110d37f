"""Who has reported for a month: the organisation × sector grid, its rates, the review queue,
and which reminders a day calls for.

Expected reports are the active GTRM partners (`Organisation.objects.partners()`) × the active
top-level sectors they report in (`Organisation.sectors`; a sub-sector listed there stands for
its parent, where its lines are reported). A report in a sector the organisation is not
registered for is shown in the grid, marked as such, but does not count in any rate: rates are
over the expected reports only, so they never exceed 100 %.

A cell is *reported* once the report has reached the coordinators: submitted, returned,
approved or reopened (a nil report included). A draft — even one submitted and withdrawn — is
not reported, no more than a report that was never started. A reported cell is *on time* when
its first submission came no later than the deadline (`MonthlyReport.submitted_late`).

Functions take the scope from the caller (which sectors, which reports) and never look at a
request; each runs a fixed number of queries whatever the number of organisations.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partners.models import PARTNER_ROLES, Organisation, Role, User
from reporting.models import (
    MonthlyReport,
    PeriodStatus,
    ReminderKind,
    ReportingPeriod,
    ReportStatus,
    Sector,
)

from .sitrep import spanish_sort_key


class CellState:
    """The state of one expected (or unexpected) report in the grid."""

    APPROVED = "approved"
    ON_TIME = "on_time"
    LATE = "late"
    NIL = "nil"
    RETURNED = "returned"
    REOPENED = "reopened"
    DRAFT = "draft"
    MISSING = "missing"

    LABELS = {
        APPROVED: pgettext_lazy("one report's state", "Approved"),
        ON_TIME: _("Submitted on time"),
        LATE: _("Submitted late"),
        NIL: _("No activities"),
        RETURNED: pgettext_lazy("one report's state", "Returned"),
        REOPENED: pgettext_lazy("one report's state", "Reopened"),
        DRAFT: _("Draft"),
        MISSING: _("Missing"),
    }
    DESCRIPTIONS = {
        APPROVED: _("Approved by the sector's coordinators."),
        ON_TIME: _("Submitted by the deadline, waiting for review."),
        LATE: _("Submitted after the deadline, waiting for review."),
        NIL: _("A nil report: the organisation declared no activities in the sector this month."),
        RETURNED: _("Sent back by a coordinator; the organisation must correct and resubmit it."),
        REOPENED: _("Approved, then reopened by the IM team for a correction."),
        DRAFT: _("Started but not submitted: not reported yet."),
        MISSING: _("Not started: not reported yet."),
    }
    ORDER = (APPROVED, ON_TIME, LATE, NIL, RETURNED, REOPENED, DRAFT, MISSING)
    REPORTED = frozenset({APPROVED, ON_TIME, LATE, NIL, RETURNED, REOPENED})
    # What a reminder asks a partner to do something about.
    TO_REMIND = frozenset({MISSING, DRAFT, RETURNED})


def cell_state(report: MonthlyReport | None) -> str:
    """Return the grid state of `report` (None: no report at all)."""
    if report is None:
        return CellState.MISSING
    status = report.status
    if report.is_nil and status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED):
        return CellState.NIL
    if status == ReportStatus.SUBMITTED:
        return CellState.LATE if report.submitted_late() else CellState.ON_TIME
    return {
        ReportStatus.APPROVED: CellState.APPROVED,
        ReportStatus.RETURNED: CellState.RETURNED,
        ReportStatus.REOPENED: CellState.REOPENED,
    }.get(status, CellState.DRAFT)


@dataclass(frozen=True)
class Cell:
    organisation: Organisation
    sector: Sector
    state: str
    expected: bool
    report_id: int | None = None
    late: bool = False
    reason: str = ""

    @property
    def reported(self) -> bool:
        return self.state in CellState.REPORTED

    @property
    def on_time(self) -> bool:
        return self.reported and not self.late

    @property
    def label(self) -> str:
        return CellState.LABELS[self.state]


def percent(part: int, whole: int) -> int | None:
    """Return part / whole in whole per cent, or None when nothing is expected."""
    # Half up, as a reader rounds (Python's round() would make 62.5 % into 62 %).
    return (part * 200 + whole) // (whole * 2) if whole else None


@dataclass(frozen=True)
class Tally:
    """The counts and rates of a set of cells; only expected cells count."""

    expected: int = 0
    reported: int = 0
    on_time: int = 0
    unregistered: int = 0
    by_state: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, cells: Iterable[Cell]) -> Tally:
        expected = [cell for cell in cells if cell.expected]
        by_state = dict.fromkeys(CellState.ORDER, 0)
        for cell in expected:
            by_state[cell.state] += 1
        return cls(
            expected=len(expected),
            reported=sum(cell.reported for cell in expected),
            on_time=sum(cell.on_time for cell in expected),
            unregistered=sum(1 for cell in cells if not cell.expected),
            by_state=by_state,
        )

    @property
    def reported_late(self) -> int:
        return self.reported - self.on_time

    @property
    def not_reported(self) -> int:
        return self.expected - self.reported

    @property
    def reporting_rate(self) -> int | None:
        return percent(self.reported, self.expected)

    @property
    def on_time_rate(self) -> int | None:
        return percent(self.on_time, self.expected)


@dataclass(frozen=True)
class SectorColumn:
    sector: Sector
    tally: Tally


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    cells: tuple[Cell | None, ...]  # aligned with Completeness.columns; None: not expected, no report
    tally: Tally


@dataclass(frozen=True)
class Completeness:
    period: ReportingPeriod
    columns: tuple[SectorColumn, ...]
    rows: tuple[OrganisationRow, ...]
    overall: Tally

    @property
    def cells(self) -> list[Cell]:
        return [cell for row in self.rows for cell in row.cells if cell is not None]


def top_level_id(sector_id: int, parent_id: int | None) -> int:
    return parent_id or sector_id


def period_completeness(
    *, period: ReportingPeriod, sectors: Iterable[Sector], organisations: QuerySet | None = None
) -> Completeness:
    """Return the grid of `organisations` (default: the active partners) × `sectors` (top-level)
    for `period`: which reports are expected, their state, and the rates. A sector appears
    when a report is expected or made in it; an inactive sector expects none."""
    sectors = [sector for sector in sectors if sector.is_top_level]
    by_id = {sector.pk: sector for sector in sectors}
    organisations = Organisation.objects.partners() if organisations is None else organisations

    expected: set[tuple[int, int]] = set()
    links = Organisation.sectors.through.objects.filter(organisation__in=organisations).values_list(
        "organisation_id", "sector_id", "sector__parent_id"
    )
    for organisation_id, sector_id, parent_id in links:
        sector = by_id.get(top_level_id(sector_id, parent_id))
        if sector is not None and sector.active:
            expected.add((organisation_id, sector.pk))

    reports = {
        (report.organisation_id, report.sector_id): report
        for report in MonthlyReport.objects.filter(
            period=period, sector_id__in=list(by_id), organisation__in=organisations
        ).only(
            "organisation_id", "sector_id", "status", "is_nil", "status_reason",
            "first_submitted_at", "submitted_at",
        )
    }
    for report in reports.values():
        report.period = period  # for submitted_late(), without a query per report

    keys = expected | set(reports)
    # A column nobody is expected in and nobody reported in would only be a column of dots.
    columns_used = {sector_id for _, sector_id in keys}
    shown = [sector for sector in sectors if sector.pk in columns_used]
    rows_orgs = Organisation.objects.filter(pk__in={org_id for org_id, _ in keys})

    rows = []
    by_column: dict[int, list[Cell]] = defaultdict(list)
    for organisation in sorted(rows_orgs, key=lambda org: spanish_sort_key(str(org))):
        cells: list[Cell | None] = []
        for sector in shown:
            key = (organisation.pk, sector.pk)
            if key not in keys:
                cells.append(None)
                continue
            report = reports.get(key)
            state = cell_state(report)
            cell = Cell(
                organisation=organisation,
                sector=sector,
                state=state,
                expected=key in expected,
                report_id=report.pk if report else None,
                late=state in CellState.REPORTED and report.submitted_late(),
                reason=report.status_reason if state == CellState.RETURNED else "",
            )
            cells.append(cell)
            by_column[sector.pk].append(cell)
        row_cells = [cell for cell in cells if cell is not None]
        rows.append(OrganisationRow(organisation=organisation, cells=tuple(cells), tally=Tally.of(row_cells)))

    all_cells = [cell for cells in by_column.values() for cell in cells]
    return Completeness(
        period=period,
        columns=tuple(SectorColumn(sector=s, tally=Tally.of(by_column[s.pk])) for s in shown),
        rows=tuple(rows),
        overall=Tally.of(all_cells),
    )


# --------------------------------------------------------------------------------------------
# The review queue
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Waiting:
    report: MonthlyReport
    days_waiting: int


@dataclass(frozen=True)
class ReviewQueue:
    items: tuple[Waiting, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def review_queue(
    reports: QuerySet, *, today: dt.date | None = None, limit: int = 50
) -> ReviewQueue:
    """Return the submitted reports among `reports` (the caller's scope), oldest submission
    first, with the whole days each has waited since it was submitted."""
    today = today or timezone.localdate()
    waiting = (
        reports.filter(status=ReportStatus.SUBMITTED)
        .select_related("organisation", "sector", "period")
        .order_by("submitted_at", "pk")
    )
    items = tuple(
        Waiting(report=report, days_waiting=_days_since(report.submitted_at, today))
        for report in waiting[:limit]
    )
    total = len(items) if len(items) < limit else waiting.count()
    return ReviewQueue(items=items, total=total)


def _days_since(moment: dt.datetime | None, today: dt.date) -> int:
    if moment is None:
        return 0
    return max(0, (today - timezone.localdate(moment)).days)


# --------------------------------------------------------------------------------------------
# Reminders
# --------------------------------------------------------------------------------------------

# Before the deadline: a week, three days and the day before. After it: once a week.
REMIND_DAYS_BEFORE = (7, 3, 1)
REMIND_EVERY_DAYS_AFTER = 7
# Without a planned lock date, overdue reminders stop after this many weeks.
OVERDUE_WEEKS_WITHOUT_LOCK_DATE = 4

SCHEDULE_HELP = (
    "Reminders go out only while a period's reporting window is open: the month has ended, the "
    "period is not locked and its planned lock date has not passed. Before the deadline they go "
    "out 7, 3 and 1 days before it, to the partner users (reporters and focal points) of "
    "organisations with a report missing (not started, draft or returned). After the deadline "
    "they go out every 7 days (deadline + 7, + 14, ...), to those partner users and to the "
    "coordinators of each sector concerned; with no planned lock date, for 4 weeks at most. "
    "Other days send nothing, so a daily cron never repeats itself; and each person gets at "
    "most one email a period a day, however often the command runs."
)


def month_end(period: ReportingPeriod) -> dt.date:
    month = period.month
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def reporting_window_open(period: ReportingPeriod, today: dt.date) -> bool:
    """Return whether partners are being asked for `period`'s reports on `today`."""
    if period.status != PeriodStatus.OPEN or today <= month_end(period):
        return False
    if period.lock_date is not None:
        return today <= period.lock_date
    days_late = (today - period.deadline).days
    return days_late <= OVERDUE_WEEKS_WITHOUT_LOCK_DATE * REMIND_EVERY_DAYS_AFTER


def reminder_due(period: ReportingPeriod, today: dt.date) -> str | None:
    """Return the ReminderKind that `period` calls for on `today` (BEFORE_DEADLINE or
    OVERDUE), or None on a day without reminders."""
    if not reporting_window_open(period, today):
        return None
    days_left = (period.deadline - today).days
    if days_left in REMIND_DAYS_BEFORE:
        return ReminderKind.BEFORE_DEADLINE
    if days_left < 0 and -days_left % REMIND_EVERY_DAYS_AFTER == 0:
        return ReminderKind.OVERDUE
    return None


def open_periods(today: dt.date) -> list[ReportingPeriod]:
    """Return the periods whose reporting window is open on `today`, oldest first."""
    candidates = ReportingPeriod.objects.filter(
        status=PeriodStatus.OPEN, month__lt=today.replace(day=1)
    ).order_by("month")
    return [period for period in candidates if reporting_window_open(period, today)]


@dataclass(frozen=True)
class PlannedReminder:
    """One email to send: to whom, of which kind, and the reports it names."""

    recipient: User
    kind: str
    period: ReportingPeriod
    missing: tuple[Cell, ...]  # sorted by sector, then organisation

    @property
    def summary(self) -> list[dict]:
        """What was missing, as stored in Reminder.missing."""
        return [
            {"organisation": cell.organisation.acronym, "sector": cell.sector.code,
             "state": cell.state, "report": cell.report_id}
            for cell in self.missing
        ]


def missing_reports(period: ReportingPeriod) -> list[Cell]:
    """Return the expected reports of `period` that partners still owe: not started, draft, or
    returned for corrections."""
    grid = period_completeness(period=period, sectors=Sector.objects.top_level())
    return [cell for cell in grid.cells if cell.expected and cell.state in CellState.TO_REMIND]


def plan_reminders(*, period: ReportingPeriod, kind: str) -> list[PlannedReminder]:
    """Return the emails a reminder day of `kind` sends for `period`: one to each active partner
    user (with an email address) of an organisation that owes reports; after the deadline, one
    to each coordinator of a sector where reports are owed."""
    missing = missing_reports(period)
    order = {state: i for i, state in enumerate(CellState.ORDER)}

    def sort_key(cell: Cell):
        return (cell.sector.order, cell.sector.code, cell.organisation.short_name,
                order[cell.state])

    by_organisation: dict[int, list[Cell]] = defaultdict(list)
    by_sector: dict[int, list[Cell]] = defaultdict(list)
    for cell in missing:
        by_organisation[cell.organisation.pk].append(cell)
        by_sector[cell.sector.pk].append(cell)

    plans = []
    partner_users = (
        User.objects.filter(
            is_active=True, role__in=PARTNER_ROLES, organisation_id__in=list(by_organisation)
        )
        .exclude(email="")
        .select_related("organisation")
        .order_by("organisation__short_name", "username")
    )
    for user in partner_users:
        cells = sorted(by_organisation[user.organisation_id], key=sort_key)
        plans.append(PlannedReminder(recipient=user, kind=kind, period=period, missing=tuple(cells)))

    if kind == ReminderKind.OVERDUE and by_sector:
        coordinators = (
            User.objects.filter(is_active=True, role=Role.COORDINATOR)
            .exclude(email="")
            .prefetch_related("sectors")
            .order_by("username")
        )
        for user in coordinators:
            sector_ids = {top_level_id(s.pk, s.parent_id) for s in user.sectors.all()}
            cells = sorted(
                (cell for sector_id in sector_ids for cell in by_sector.get(sector_id, ())),
                key=sort_key,
            )
            if cells:
                plans.append(PlannedReminder(
                    recipient=user, kind=ReminderKind.COORDINATOR, period=period,
                    missing=tuple(cells),
                ))
    return plans
