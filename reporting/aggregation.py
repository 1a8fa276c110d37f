"""Every number of the platform, computed by the counting rules of DESIGN §4.

Functions take the queryset of lines to consider and never look at a request: the caller decides
the scope (all approved data for the situation report; one sector for a dashboard filter). Sums
and maxima run in the database, a fixed handful of queries per figure whatever the number of
lines; Python only adds up the per-cell maxima, of which there are at most departments ×
population types. The same SQL runs on SQLite and PostgreSQL (both have window functions).

The published figures read `CountedTotal`, the approved lines already summed per period, sector,
department, population type and cash-or-not, which database triggers keep exact in the same
transaction as every change (reporting/totals.py): a month reads a few thousand rows however
many lines there are. The same functions run on the lines themselves, for the explanation pages
that list the reports behind a figure, and the tests check that both give the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from .models import (
    CASH_MODALITIES,
    CountedTotal,
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
    lines summed per cell and sector (reporting/totals.py); given lines, it is those of them
    that count, which the explanation pages list report by report. Every function below takes
    either and gives the same figures."""
    if lines is None:
        return CountedTotal.objects.all()
    if lines.model is CountedTotal:
        return lines
    return lines.filter(report__status=ReportStatus.APPROVED, indicator__counts_people=True)


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
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "es").startswith("en") else self.name_es


# --------------------------------------------------------------------------------------------
# Cells: department × population type, and the max-over-sectors rule
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CellSector:
    """One sector's figure in one cell, and whether it is the one the headline takes."""

    department: str
    population_type: str
    sector: int
    value: int
    taken: bool


def cell_sectors(lines: QuerySet, value: str, *, by_month: bool = False) -> list[CellSector] | \
        dict[dt.date, list[CellSector]]:
    """Return every sector's figure in every cell, each cell's largest marked `taken`.

    One query: the lines summed per cell × top-level sector, ranked inside each cell by a window
    function (ties go to the sector shown first). With `by_month`, the same per period month.
    """
    where = paths(lines)
    keys = {"d": F(where.department_code), "p": F("population_type"), "s": F(where.sector),
            "o": F(where.sector_order)}
    if by_month:
        keys["m"] = F(where.month)
    inner = lines.order_by().values(**keys).annotate(v=Coalesce(Sum(value), 0))
    connection = connections[inner.db]
    sql, params = inner.query.get_compiler(connection=connection).as_sql()
    partition = "m, d, p" if by_month else "d, p"
    select = "m, d, p, s, v" if by_month else "d, p, s, v"
    outer = (
        f"SELECT {select}, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY v DESC, o, s) "
        f"FROM ({sql}) cells WHERE v > 0"
    )
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        rows = cursor.fetchall()
    if not by_month:
        return [CellSector(d, p, s, int(v), rank == 1) for d, p, s, v, rank in rows]
    months: dict[dt.date, list[CellSector]] = defaultdict(list)
    for m, d, p, s, v, rank in rows:
        if isinstance(m, str):  # SQLite hands dates back as text from a raw query
            m = dt.date.fromisoformat(m)
        months[m].append(CellSector(d, p, s, int(v), rank == 1))
    return dict(months)


def deduplicated(cells: list[CellSector]) -> int:
    """Return Σ over cells of the largest sector figure: people assisted (DESIGN §4)."""
    return sum(cell.value for cell in cells if cell.taken)


def people_assisted(lines: QuerySet, value: str) -> int:
    return deduplicated(cell_sectors(lines, value))


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


def month_figures(month: dt.date, *, lines: QuerySet | None = None,
                  reports: QuerySet | None = None) -> Figures:
    """Compute the figures of `month` from `lines` (default: the counted totals, which equal
    every approved line) and the partners reporting from `reports` (default: every report).
    Eleven queries whatever the data size."""
    month = month.replace(day=1)
    counted = counted_lines(lines)
    month_lines, ytd_lines = in_month(counted, month), in_year_to(counted, month)

    sectors = list(Sector.objects.select_related("parent"))
    top = sector_sums(month_lines, MONTH), sector_sums(ytd_lines, YTD)
    sub = (sector_sums(month_lines, MONTH, subsectors=True),
           sector_sums(ytd_lines, YTD, subsectors=True))

    def figure(sector: Sector, sums) -> SectorFigure:
        return SectorFigure(
            code=sector.code, name_es=sector.name_es, name_en=sector.name_en,
            parent=sector.parent.code if sector.parent_id else None,
            month=sums[0].get(sector.pk, 0), ytd=sums[1].get(sector.pk, 0),
        )

    sector_figures = [figure(s, top) for s in sectors if s.parent_id is None]
    subsector_figures = [figure(s, sub) for s in sectors if s.parent_id is not None]

    cells_month = cell_sectors(month_lines, MONTH)
    cells_ytd = cell_sectors(ytd_lines, YTD)
    departments_month, departments_ytd = _by(cells_month, "department"), _by(cells_ytd, "department")
    names = dict(Location.objects.departments().values_list("code", "name"))
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
        cbi_month=people_assisted(in_cash(month_lines), MONTH),
        cbi_ytd=people_assisted(in_cash(ytd_lines), YTD),
        departments=departments,
        population_types=population_types,
        partners_reporting=partners_reporting,
        cells_month=cells_month,
        cells_ytd=cells_ytd,
    )


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    people_assisted: int
    sum_of_sectors: int


def monthly_trend(month: dt.date, *, lines: QuerySet | None = None) -> list[TrendPoint]:
    """Return people assisted and the sum of sectors for each month from January to `month`
    (monthly totals, one query for the whole year)."""
    month = month.replace(day=1)
    by_month = cell_sectors(in_year_to(counted_lines(lines), month), MONTH, by_month=True)
    points = []
    for number in range(1, month.month + 1):
        cells = by_month.get(month.replace(month=number), [])
        points.append(TrendPoint(
            month=month.replace(month=number),
            people_assisted=deduplicated(cells),
            sum_of_sectors=sum(cell.value for cell in cells),
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
