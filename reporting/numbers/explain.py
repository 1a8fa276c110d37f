"""How a figure of the dashboard was made: its rule in one sentence (DESIGN §4), the department ×
population-type cells with the sector taken in each, and the reports behind it.

The figure is computed again from the lines themselves (not the counted totals), so that the
reports behind it can be listed; only those the viewer may open are named, the rest are added up
into one anonymous row."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import User
from reporting.models import ActivityLine, MonthlyReport, PopulationType, Sector

from . import aggregation

FIGURES = ("headline", "cbi", "sector", "department", "population")
SCOPES = ("month", "ytd")
FIELD = {"month": aggregation.MONTH, "ytd": aggregation.YTD}
REPORTS_PER_PAGE = 100

FIGURE_TITLES = {
    "headline": gettext_lazy("People assisted directly"),
    "cbi": gettext_lazy("Cash and voucher assistance (CBI)"),
    "sector": gettext_lazy("Sector figure"),
    "department": gettext_lazy("People assisted in a department"),
    "population": gettext_lazy("People assisted of a population type"),
}


# --------------------------------------------------------------------------------------------
# The figure, from its lines
# --------------------------------------------------------------------------------------------

@dataclass
class CellRow:
    department: str
    department_name: str
    population_type: str
    population_name: str
    values: list[aggregation.CellSector | None]
    counted: int = 0
    total: int = 0
    counted_sector: Sector | None = None


@dataclass
class CellTable:
    """Department × population type rows, one column per sector, the counted figure marked."""

    sectors: list[Sector]
    rows: list[CellRow]
    sector_totals: list[int] = field(default_factory=list)
    counted: int = 0
    total: int = 0


@dataclass(frozen=True)
class Explanation:
    lines: QuerySet  # the counted lines behind the figure
    value: int
    cells: CellTable | None  # None for a sector figure, a plain sum


def explain_figure(
    *, month, figure: str, scope: str, sector: Sector | None, subject: Sector | None,
    code: str, sectors: list[Sector], department_names: dict[str, str],
) -> Explanation:
    """Return a figure of `month` computed from its lines: `figure` (one of FIGURES) over
    `scope` (month or year to date), within the dashboard's `sector` filter, about `subject`
    (a sector figure's sector) or `code` (a department's or a population type's)."""
    value_field = FIELD[scope]
    all_lines, _reports = aggregation.sector_scope(sector, ActivityLine.objects.all())
    counted = aggregation.counted_lines(all_lines)
    if scope == "month":
        lines = aggregation.in_month(counted, month)
    else:
        lines = aggregation.in_year_to(counted, month)
    if figure == "cbi":
        lines = aggregation.in_cash(lines)
    elif figure == "sector":
        lines = aggregation.in_sector(lines, subject.code)
    elif figure == "department":
        lines = aggregation.in_department(lines, code)
    elif figure == "population":
        lines = aggregation.in_population_type(lines, code)

    if figure == "sector":
        sums = aggregation.sector_sums(lines, value_field, subsectors=subject.parent_id is not None)
        return Explanation(lines, sums.get(subject.pk, 0), None)
    cell_list = aggregation.cell_sectors(lines, value_field)
    return Explanation(lines, aggregation.deduplicated(cell_list),
                       cell_table(cell_list, sectors, department_names))


def cell_table(cells: list[aggregation.CellSector], sectors: list[Sector],
               department_names: dict[str, str]) -> CellTable:
    """Return the cells as a table: a row per department and population type, a column per
    top-level sector with lines, the sector counted in each row marked."""
    present = {cell.sector for cell in cells}
    columns = [s for s in sectors if s.parent_id is None and s.pk in present]
    position = {sector.pk: index for index, sector in enumerate(columns)}
    type_order = {value: index for index, value in enumerate(PopulationType.values)}
    type_names = dict(PopulationType.choices)
    by_cell: dict[tuple[str, str], CellRow] = {}
    for cell in cells:
        key = (cell.department, cell.population_type)
        if key not in by_cell:
            by_cell[key] = CellRow(
                cell.department, department_names.get(cell.department, cell.department),
                cell.population_type,
                str(type_names.get(cell.population_type, cell.population_type)),
                [None] * len(columns),
            )
        row = by_cell[key]
        row.values[position[cell.sector]] = cell
        row.total += cell.value
        if cell.taken:
            row.counted += cell.value
            row.counted_sector = columns[position[cell.sector]]
    rows = sorted(by_cell.values(),
                  key=lambda r: (r.department, type_order.get(r.population_type, 99)))
    totals = [0] * len(columns)
    for cell in cells:
        totals[position[cell.sector]] += cell.value
    return CellTable(columns, rows, totals, aggregation.deduplicated(cells),
                     sum(cell.value for cell in cells))


# --------------------------------------------------------------------------------------------
# The reports behind it
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Contribution:
    report: MonthlyReport
    people: int


@dataclass(frozen=True)
class Contributions:
    page: Page
    rows: list[Contribution]  # the page's reports, largest first
    visible_count: int
    visible_people: int
    hidden_count: int  # reports the viewer may not open: counted, never named
    hidden_people: int
    total_count: int
    total_people: int


def contributions(*, user: User, lines: QuerySet, value: str,
                  page_number: str | None) -> Contributions:
    """Return the reports behind a figure that `user` may open (a page of them, largest first)
    and the count and sum of the others, which are not named."""
    people = aggregation.report_contributions(lines, value)
    visible = set(
        MonthlyReport.objects.visible_to(user)
        .filter(pk__in=lines.order_by().values("report"))
        .values_list("pk", flat=True)
    ) & set(people)
    hidden = [pk for pk in people if pk not in visible]
    ordered = sorted(visible, key=lambda pk: (-people[pk], pk))
    page = Paginator(ordered, REPORTS_PER_PAGE).get_page(page_number)
    reports = MonthlyReport.objects.filter(pk__in=list(page.object_list)).select_related(
        "organisation", "sector", "period"
    ).in_bulk()
    return Contributions(
        page=page,
        rows=[Contribution(reports[pk], people[pk]) for pk in page.object_list],
        visible_count=len(visible),
        visible_people=sum(people[pk] for pk in visible),
        hidden_count=len(hidden),
        hidden_people=sum(people[pk] for pk in hidden),
        total_count=len(people),
        total_people=sum(people.values()),
    )


# --------------------------------------------------------------------------------------------
# The rule
# --------------------------------------------------------------------------------------------

def rule(*, figure: str, scope: str, month: str, subject: Sector | None) -> str:
    """Return the counting rule of a figure in one sentence (DESIGN §4); `month` is the month's
    name as the page shows it."""
    if figure == "sector":
        if scope == "month":
            text = _("The sum of the total monthly beneficiaries (everyone reached in the month, "
                     "repeats included) of the sector's lines in %(month)s.")
        else:
            text = _("The sum of the new beneficiaries (people reached for the first time this "
                     "year) of the sector's lines from January to %(month)s; monthly totals are "
                     "never added across months, since they repeat people.")
        if subject is not None and subject.parent_id:
            text += " " + _("A sub-sector's lines also count for %(parent)s.") % {
                "parent": subject.parent.name}
        return text % {"month": month}
    value = (_("total monthly beneficiaries in %(month)s") if scope == "month"
             else _("new beneficiaries from January to %(month)s")) % {"month": month}
    rules = {
        "headline": _("In each cell (one department and one population type), the largest of "
                      "the sectors' figures counts, and the cells are added up; the figures are "
                      "the sectors' %(value)s."),
        "cbi": _("The same rule as people assisted directly, over the lines of cash and voucher "
                 "assistance only: in each cell the largest sector figure counts (%(value)s)."),
        "department": _("In each of the department's cells (one per population type), the "
                        "largest of the sectors' figures counts, and the cells are added up "
                        "(%(value)s)."),
        "population": _("In each department, the largest of the sectors' figures for this "
                        "population type counts, and the departments are added up (%(value)s)."),
    }
    return rules[figure] % {"value": value}
