"""Every number of the platform, computed by the counting rules of DESIGN §4.

Functions take the queryset of lines to consider and never look at a request: the caller decides
the scope (all approved data for the situation report; one sector for a dashboard filter). The
sums run in the database, one grouped query per scope (a month, the year to date) whatever the
number of lines; Python folds the grouped rows — at most departments × population types ×
sectors × sub-sectors × cash-or-not — into the sector figures and picks each cell's largest
sector. The same queries run on SQLite and PostgreSQL.

The published figures read `CountedTotal`, the approved lines already summed per period, sector,
department, population type and cash-or-not, which database triggers keep exact in the same
transaction as every change (reporting/numbers/totals.py): a month reads a few thousand rows however
many lines there are. The same functions run on the lines themselves, for the explanation pages
that list the reports behind a figure, and the tests check that both give the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from reporting.languages import spanish_or_english
from reporting.models import (
    CASH_MODALITIES,
    ActivityLine,
    CountedTotal,
    Indicator,
    Location,
    MonthlyReport,
    PopulationType,
    ReportStatus,
    Sector,
)

# Which field a figure adds up: the month counts everyone reached in it (repeats included); the
# year to date counts people reached for the first time this year, so months never double up.
MONTH = "total_monthly"
YTD = "new_beneficiaries"


@dataclass(frozen=True)
class Paths:
    """Where each dimension of the counting rules lives, in the lines or in their totals."""

    month: str
    sector: str
    sector_code: str
    sector_order: str
    indicator_sector: str
    indicator_sector_code: str
    indicator_sector_parent: str
    department_code: str
    report: str | None


LINE_PATHS = Paths(
    month="report__period__month", sector="report__sector_id",
    sector_code="report__sector__code", sector_order="report__sector__order",
    indicator_sector="indicator__sector_id", indicator_sector_code="indicator__sector__code",
    indicator_sector_parent="indicator__sector__parent", department_code="department__code",
    report="report",
)
TOTAL_PATHS = Paths(
    month="period__month", sector="sector_id", sector_code="sector__code",
    sector_order="sector__order", indicator_sector="indicator_sector_id",
    indicator_sector_code="indicator_sector__code",
    indicator_sector_parent="indicator_sector__parent", department_code="department__code",
    report=None,
)


def paths(rows: QuerySet) -> Paths:
    return TOTAL_PATHS if rows.model is CountedTotal else LINE_PATHS


def counted_lines(lines: QuerySet | None = None) -> QuerySet:
    """Return what counts toward people reached: approved reports, indicators that count
    people (DESIGN §4). Nil reports have no lines, so they add nothing by construction.

    By default that is the `CountedTotal` rows, which the database keeps equal to the approved
    lines summed per cell and sector (reporting/numbers/totals.py); given lines, it is those of them
    that count, which the explanation pages list report by report. Every function below takes
    either and gives the same figures."""
    if lines is None:
        return CountedTotal.objects.all()
    if lines.model is CountedTotal:
        return lines
    return lines.filter(report__status=ReportStatus.APPROVED).counting_people()


def in_month(lines: QuerySet, month: dt.date) -> QuerySet:
    return lines.filter(**{paths(lines).month: month.replace(day=1)})


def in_year_to(lines: QuerySet, month: dt.date) -> QuerySet:
    """Return the lines from January to `month` of `month`'s year."""
    month = month.replace(day=1)
    key = paths(lines).month
    return lines.filter(**{f"{key}__gte": month.replace(month=1), f"{key}__lte": month})


def in_cash(lines: QuerySet) -> QuerySet:
    """Return the lines of cash and voucher assistance (the sitrep's CBI, CVA in RMRP terms)."""
    if lines.model is CountedTotal:
        return lines.filter(cash=True)
    return lines.filter(modality__in=CASH_MODALITIES)


# --------------------------------------------------------------------------------------------
# Sector figures
# --------------------------------------------------------------------------------------------

def sector_sums(lines: QuerySet, value: str, *, subsectors: bool = False) -> dict[int, int]:
    """Return {sector id: Σ value}. Top-level sectors by default, with their sub-sectors' lines
    rolled up (a report belongs to a top-level sector); with `subsectors`, the sub-sectors
    themselves, by their indicators' sector."""
    where = paths(lines)
    if subsectors:
        lines = lines.filter(**{f"{where.indicator_sector_parent}__isnull": False})
        key = F(where.indicator_sector)
    else:
        key = F(where.sector)
    rows = lines.order_by().values(key_sector=key).annotate(total=Sum(value))
    return {row["key_sector"]: row["total"] or 0 for row in rows}


@dataclass(frozen=True)
class SectorFigure:
    code: str
    name_es: str
    name_en: str
    parent: str | None
    month: int
    ytd: int

    @property
    def name(self) -> str:
        return spanish_or_english(self.name_es, self.name_en)


# --------------------------------------------------------------------------------------------
# Cells: department × population type, and the max-over-sectors rule
# --------------------------------------------------------------------------------------------

class CellSector(NamedTuple):
    """One sector's figure in one cell, and whether it is the one the headline takes (a named
    tuple: a year's trend builds thousands of them)."""

    department: str
    population_type: str
    sector: int
    value: int
    taken: bool


def rank_cells(sums: dict[tuple[str, str, int], int], orders: dict[int, int]) -> list[CellSector]:
    """Mark in each department × population cell the sector with the largest figure; a tie goes
    to the sector shown first (display order, then id), so the choice is always the same."""
    cells: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for (d, p, s), v in sums.items():
        if v > 0:
            cells[d, p].append((s, v))
    result = []
    for (d, p), sectors in sorted(cells.items()):
        sectors.sort(key=lambda item: (-item[1], orders.get(item[0], 0), item[0]))
        result.extend(CellSector(d, p, s, v, rank == 0) for rank, (s, v) in enumerate(sectors))
    return result


def cell_sectors(lines: QuerySet, value: str, *, by_month: bool = False) -> list[CellSector] | \
        dict[dt.date, list[CellSector]]:
    """Return every sector's figure in every cell, each cell's largest marked `taken`.

    One query sums the lines per cell × top-level sector (at most departments × population
    types × sectors rows, whatever the number of lines); `rank_cells` picks each cell's
    largest. With `by_month`, the same per period month.
    """
    where = paths(lines)
    keys = {"d": F(where.department_code), "p": F("population_type"), "s": F(where.sector),
            "o": F(where.sector_order)}
    if by_month:
        keys["m"] = F(where.month)
    names = [*keys, "v"]
    rows = lines.order_by().values(**keys).annotate(v=Sum(value)).values_list(*names)
    orders = {}
    months: dict[dt.date | None, dict] = defaultdict(dict)
    for d, p, s, o, *rest in rows:
        orders[s] = o
        month, v = rest if by_month else (None, rest[0])
        months[month][d, p, s] = int(v or 0)
    if not by_month:
        return rank_cells(months.get(None, {}), orders)
    return {month: rank_cells(sums, orders) for month, sums in months.items()}


def deduplicated(cells: list[CellSector]) -> int:
    """Return Σ over cells of the largest sector figure: people assisted (DESIGN §4)."""
    return sum(cell.value for cell in cells if cell.taken)


# --------------------------------------------------------------------------------------------
# A month's figures
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AreaFigure:
    code: str
    name: str
    month: int
    ytd: int


@dataclass(frozen=True)
class Figures:
    """All the numbers of one month, for the situation report and the dashboard."""

    month: dt.date
    sectors: list[SectorFigure]
    subsectors: list[SectorFigure]
    people_assisted_month: int
    people_assisted_ytd: int
    sum_of_sectors_month: int
    sum_of_sectors_ytd: int
    cbi_month: int
    cbi_ytd: int
    departments: list[AreaFigure]
    population_types: list[AreaFigure]
    partners_reporting: int
    cells_month: list[CellSector] = field(repr=False)
    cells_ytd: list[CellSector] = field(repr=False)


def _by(cells: list[CellSector], attr: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for cell in cells:
        if cell.taken:
            totals[getattr(cell, attr)] += cell.value
    return totals


@dataclass
class ScopeSums:
    """One scope's (a month's, or the year to date's) sums, from one grouped query."""

    sectors: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    subsectors: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    cells: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))
    cash_cells: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))


def scope_sums(lines: QuerySet, value: str, subsector_ids: set[int],
               department_codes: dict[int, str]) -> ScopeSums:
    """Sum `lines` once per cell × sector × indicator sector, the cash and voucher part beside
    the whole, and fold the rows into every figure of the scope: sectors, sub-sectors, cells and
    cash cells. The rows are at most departments × population types × sectors × sub-sectors,
    whatever the number of lines."""
    where = paths(lines)
    cash = Q(cash=True) if lines.model is CountedTotal else Q(modality__in=CASH_MODALITIES)
    rows = (lines.order_by()
            .values(d=F("department_id"), p=F("population_type"), s=F(where.sector),
                    i=F(where.indicator_sector))
            .annotate(v=Sum(value), cv=Sum(value, filter=cash))
            .values_list("d", "p", "s", "i", "v", "cv"))
    sums = ScopeSums()
    for department, population, sector, indicator_sector, v, cash_v in rows:
        v = int(v or 0)
        sums.sectors[sector] += v
        if indicator_sector in subsector_ids:
            sums.subsectors[indicator_sector] += v
        cell = (department_codes[department], population, sector)
        sums.cells[cell] += v
        if cash_v:
            sums.cash_cells[cell] += int(cash_v)
    return sums


def month_figures(month: dt.date, *, lines: QuerySet | None = None,
                  reports: QuerySet | None = None) -> Figures:
    """Compute the figures of `month` from `lines` (default: the counted totals, which equal
    every approved line) and the partners reporting from `reports` (default: every report).
    Five queries whatever the data size: the sectors, the departments, one grouped sum for the
    month and one for the year to date, and the partners reporting."""
    month = month.replace(day=1)
    counted = counted_lines(lines)
    sectors = list(Sector.objects.select_related("parent"))
    orders = {sector.pk: sector.order for sector in sectors}
    subsector_ids = {sector.pk for sector in sectors if sector.parent_id is not None}
    departments_by_id = {pk: (code, name) for pk, code, name in
                         Location.objects.departments().values_list("pk", "code", "name")}
    codes = {pk: code for pk, (code, _name) in departments_by_id.items()}
    now = scope_sums(in_month(counted, month), MONTH, subsector_ids, codes)
    ytd = scope_sums(in_year_to(counted, month), YTD, subsector_ids, codes)

    def figure(sector: Sector, attr: str) -> SectorFigure:
        return SectorFigure(
            code=sector.code, name_es=sector.name_es, name_en=sector.name_en,
            parent=sector.parent.code if sector.parent_id else None,
            month=getattr(now, attr).get(sector.pk, 0), ytd=getattr(ytd, attr).get(sector.pk, 0),
        )

    sector_figures = [figure(s, "sectors") for s in sectors if s.parent_id is None]
    subsector_figures = [figure(s, "subsectors") for s in sectors if s.parent_id is not None]

    cells_month = rank_cells(now.cells, orders)
    cells_ytd = rank_cells(ytd.cells, orders)
    departments_month, departments_ytd = _by(cells_month, "department"), _by(cells_ytd, "department")
    names = dict(departments_by_id.values())
    departments = [
        AreaFigure(code, names.get(code, code), departments_month.get(code, 0),
                   departments_ytd.get(code, 0))
        for code in sorted(set(departments_month) | set(departments_ytd))
    ]
    types_month, types_ytd = _by(cells_month, "population_type"), _by(cells_ytd, "population_type")
    population_types = [
        AreaFigure(str(choice.value), str(choice.label), types_month.get(choice.value, 0),
                   types_ytd.get(choice.value, 0))
        for choice in PopulationType
    ]

    reports = MonthlyReport.objects.all() if reports is None else reports
    partners_reporting = (
        reports.filter(period__month=month, status=ReportStatus.APPROVED)
        .order_by().values("organisation").distinct().count()
    )
    return Figures(
        month=month,
        sectors=sector_figures,
        subsectors=subsector_figures,
        people_assisted_month=deduplicated(cells_month),
        people_assisted_ytd=deduplicated(cells_ytd),
        sum_of_sectors_month=sum(f.month for f in sector_figures),
        sum_of_sectors_ytd=sum(f.ytd for f in sector_figures),
        cbi_month=deduplicated(rank_cells(now.cash_cells, orders)),
        cbi_ytd=deduplicated(rank_cells(ytd.cash_cells, orders)),
        departments=departments,
        population_types=population_types,
        partners_reporting=partners_reporting,
        cells_month=cells_month,
        cells_ytd=cells_ytd,
    )


@dataclass(frozen=True)
class TrendPoint:
    """One month of the trend; None where the month has no approved lines (no data is not 0)."""

    month: dt.date
    people_assisted: int | None
    sum_of_sectors: int | None


def monthly_trend(month: dt.date, *, lines: QuerySet | None = None) -> list[TrendPoint]:
    """Return people assisted and the sum of sectors for each month from January to `month`
    (monthly totals, one query for the whole year); None for a month without approved lines."""
    month = month.replace(day=1)
    by_month = cell_sectors(in_year_to(counted_lines(lines), month), MONTH, by_month=True)
    points = []
    for number in range(1, month.month + 1):
        cells = by_month.get(month.replace(month=number))
        points.append(TrendPoint(
            month=month.replace(month=number),
            people_assisted=deduplicated(cells) if cells else None,
            sum_of_sectors=sum(cell.value for cell in cells) if cells else None,
        ))
    return points


def report_contributions(lines: QuerySet, value: str) -> dict[int, int]:
    """Return {report id: Σ value} for the reports behind a figure ("how was this computed")."""
    if lines.model is CountedTotal:
        raise TypeError("The totals have no reports; pass the lines (counted_lines(lines)).")
    rows = lines.order_by().values("report").annotate(total=Sum(value)).filter(total__gt=0)
    return {row["report"]: row["total"] for row in rows}


def in_department(lines: QuerySet, code: str) -> QuerySet:
    return lines.filter(**{paths(lines).department_code: code})


def in_sector(lines: QuerySet, code: str) -> QuerySet:
    """Return the lines of sector `code`: a top-level sector includes its sub-sectors."""
    where = paths(lines)
    return lines.filter(Q(**{where.sector_code: code}) | Q(**{where.indicator_sector_code: code}))


def in_population_type(lines: QuerySet, code: str) -> QuerySet:
    return lines.filter(population_type=code)


def sector_scope(sector: Sector | None, lines: QuerySet) -> tuple[QuerySet, QuerySet]:
    """Return the lines (or their totals) and the reports that figures filtered to `sector` are
    computed from; all of them for no sector."""
    reports = MonthlyReport.objects.all()
    if sector is None:
        return lines, reports
    lines = in_sector(lines, sector.code)
    if sector.parent_id is None:
        return lines, reports.filter(sector=sector)
    # A sub-sector has no reports of its own: its partners are those with lines in it.
    in_subsector = ActivityLine.objects.filter(report=OuterRef("pk"), indicator__sector=sector)
    return lines, reports.filter(Exists(in_subsector))


@dataclass(frozen=True)
class IndicatorPoint:
    month: dt.date
    total_monthly: int
    quantity: int
    new_beneficiaries: int = 0
    lines: int = 0  # approved lines that month: none means nothing was reported, not 0
    codes: tuple[str, ...] = ()  # the indicators of the series reported on that month

    @property
    def reported(self) -> bool:
        return self.lines > 0


def indicator_trend(indicator: Indicator, first: dt.date, last: dt.date, *,
                    lines: QuerySet | None = None) -> list[IndicatorPoint]:
    """Return an indicator's approved total monthly beneficiaries, new beneficiaries and
    quantity month by month from `first` to `last`, its predecessors in earlier plans included,
    so that the series runs across plans (one query for the months, and one per plan for the
    predecessors). A month without approved lines has `lines` 0: drawn as missing, not as 0."""
    lines = ActivityLine.objects.all() if lines is None else lines
    first, last = first.replace(day=1), last.replace(day=1)
    series = {i.pk: i.code for i in indicator.series()}
    rows = (lines.filter(report__status=ReportStatus.APPROVED,
                         indicator__in=list(series),
                         report__period__month__gte=first, report__period__month__lte=last)
            .values("report__period__month", "indicator")
            .annotate(total=Sum("total_monthly"), quantity=Sum("quantity"),
                      new=Sum("new_beneficiaries"), count=Count("pk")))
    by_month: dict[dt.date, list[dict]] = defaultdict(list)
    for row in rows:
        by_month[row["report__period__month"]].append(row)
    points, month = [], first
    while month <= last:
        found = by_month.get(month, [])
        points.append(IndicatorPoint(
            month,
            total_monthly=sum(row["total"] or 0 for row in found),
            quantity=sum(row["quantity"] or 0 for row in found),
            new_beneficiaries=sum(row["new"] or 0 for row in found),
            lines=sum(row["count"] for row in found),
            codes=tuple(sorted({series[row["indicator"]] for row in found})),
        ))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return points
