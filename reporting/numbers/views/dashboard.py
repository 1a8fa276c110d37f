"""The dashboard: a month's figures for signed-in users, and how each of them was computed.

The figures are aggregates of all approved data, the same for every role and the same as the
situation report's (`aggregation.month_figures`). Only the list of reports behind a figure
depends on who is looking: it goes through `MonthlyReport.objects.visible_to(user)`, and the
reports a viewer may not open are added up into one anonymous row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reporting.models import (
    ActivityLine,
    Location,
    MonthlyReport,
    PopulationType,
    ReportingPeriod,
    ReportStatus,
    Sector,
    parse_month,
)
from reporting.numbers import aggregation, charts

FIGURES = ("headline", "cbi", "sector", "department", "population")
SCOPES = ("month", "ytd")
FIELD = {"month": aggregation.MONTH, "ytd": aggregation.YTD}
REPORTS_PER_PAGE = 100

PEOPLE_COLOUR = "#00558C"
SUM_COLOUR = "#E8853D"

FIGURE_TITLES = {
    "headline": gettext_lazy("People assisted directly"),
    "cbi": gettext_lazy("Cash and voucher assistance (CBI)"),
    "sector": gettext_lazy("Sector figure"),
    "department": gettext_lazy("People assisted in a department"),
    "population": gettext_lazy("People assisted of a population type"),
}


class InvalidParameter(Exception):
    """A query parameter that names no month, sector, figure or place."""


def _sitrep_url(user, period) -> str | None:
    """Reviewers go to the live draft; partners to the latest published edition, if any."""
    if user.may_use_admin:
        return reverse("reporting:sitrep-draft", args=[period.code])
    if period.editions.exists():
        return reverse("reporting:public-sitrep-latest", args=[period.code])
    return None


# --------------------------------------------------------------------------------------------
# Parameters shared by the dashboard and the explanations
# --------------------------------------------------------------------------------------------

def _period(request: HttpRequest) -> ReportingPeriod | None:
    """Return the month asked for, or by default the latest month with approved reports (else
    the month partners are reporting on now)."""
    code = request.GET.get("period", "").strip()
    if not code:
        return (
            ReportingPeriod.objects.filter(reports__status=ReportStatus.APPROVED)
            .order_by("-month").first()
            or ReportingPeriod.objects.current()
        )
    month = parse_month(code)
    if month is None:
        raise InvalidParameter(
            _("“%(value)s” is not a month: write it as YYYY-MM, for example 2023-09.")
            % {"value": code}
        )
    period = ReportingPeriod.objects.filter(month=month).first()
    if period is None:
        raise InvalidParameter(
            _("There is no reporting period for %(month)s.")
            % {"month": date_format(month, "F Y")}
        )
    return period


def _sector(code: str, sectors: list[Sector]) -> Sector | None:
    code = code.strip()
    if not code:
        return None
    for sector in sectors:
        if sector.code.upper() == code.upper():
            return sector
    raise InvalidParameter(_("There is no sector with the code “%(code)s”.") % {"code": code})


def _sector_choices(sectors: list[Sector]) -> list[tuple[Sector, bool]]:
    """Return (sector, is sub-sector) in display order, each sub-sector under its parent."""
    children = defaultdict(list)
    for sector in sectors:
        if sector.parent_id:
            children[sector.parent_id].append(sector)
    choices = []
    for sector in sectors:
        if sector.parent_id is None:
            choices.append((sector, False))
            choices.extend((child, True) for child in children[sector.pk])
    return choices


def _scope(sector: Sector | None, lines: QuerySet) -> tuple[QuerySet, QuerySet]:
    """Return the lines (or their totals) and the reports the figures are computed from, for a
    sector filter."""
    reports = MonthlyReport.objects.all()
    if sector is None:
        return lines, reports
    lines = aggregation.in_sector(lines, sector.code)
    if sector.parent_id is None:
        return lines, reports.filter(sector=sector)
    # A sub-sector has no reports of its own: its partners are those with lines in it.
    in_subsector = ActivityLine.objects.filter(report=OuterRef("pk"), indicator__sector=sector)
    return lines, reports.filter(Exists(in_subsector))


def _invalid(request: HttpRequest, problem: str) -> HttpResponse:
    return render(request, "reporting/dashboard/invalid.html", {"problem": problem}, status=404)


class ExplainLinks:
    """Build the "how was this computed" link of each figure of one dashboard page."""

    def __init__(self, month: dt.date, sector: Sector | None):
        self.base = {"period": month.strftime("%Y-%m")}
        if sector is not None:
            self.base["sector"] = sector.code
        self.url = reverse("reporting:dashboard-explain")

    def __call__(self, figure: str, scope: str, code: str = "") -> str:
        params = {**self.base, "figure": figure, "scope": scope}
        if code:
            params["code"] = code
        return f"{self.url}?{urlencode(params)}"


def _dashboard_url(period: ReportingPeriod, sector: Sector | None) -> str:
    params = {"period": period.code}
    if sector is not None:
        params["sector"] = sector.code
    return f"{reverse('reporting:dashboard')}?{urlencode(params)}"


# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FigureRow:
    """One line of a dashboard table: a figure for the month and for the year to date."""

    code: str
    name: str
    month: int
    ytd: int
    month_url: str
    ytd_url: str
    subsector: bool = False


def _sector_rows(figures: aggregation.Figures, sector: Sector | None,
                 links: ExplainLinks) -> list[FigureRow]:
    subsectors = defaultdict(list)
    for figure in figures.subsectors:
        subsectors[figure.parent].append(figure)
    ordered = []
    for figure in figures.sectors:
        ordered.append((figure, False))
        ordered.extend((child, True) for child in subsectors[figure.code])
    if sector is not None:
        ordered = [
            (figure, sub) for figure, sub in ordered
            if figure.code == sector.code or figure.parent == sector.code
        ]
    return [
        FigureRow(figure.code, figure.name, figure.month, figure.ytd,
            links("sector", "month", figure.code), links("sector", "ytd", figure.code), sub)
        for figure, sub in ordered
    ]


def _area_rows(areas: list[aggregation.AreaFigure], figure: str, links: ExplainLinks) -> list[FigureRow]:
    return [
        FigureRow(area.code, area.name, area.month, area.ytd,
            links(figure, "month", area.code), links(figure, "ytd", area.code))
        for area in areas
    ]


@dataclass(frozen=True)
class TrendRow:
    month: dt.date
    people_assisted: int
    sum_of_sectors: int
    url: str


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show a month's figures, optionally for one sector, each linked to its explanation."""
    sectors = list(Sector.objects.all())
    try:
        period = _period(request)
        sector = _sector(request.GET.get("sector", ""), sectors)
    except InvalidParameter as error:
        return _invalid(request, str(error))
    map_scope = "ytd" if request.GET.get("map") == "ytd" else "month"
    context = {
        "period": period,
        "periods": ReportingPeriod.objects.all(),
        "sector": sector,
        "sector_choices": _sector_choices(sectors),
        "map_scope": map_scope,
    }
    if period is None:
        return render(request, "reporting/dashboard/dashboard.html", context)

    # The figures come from the totals the database keeps (aggregation.counted_lines).
    lines, reports = _scope(sector, aggregation.counted_lines())
    figures = aggregation.month_figures(period.month, lines=lines, reports=reports)
    trend = aggregation.monthly_trend(period.month, lines=lines)
    links = ExplainLinks(period.month, sector)
    department_names = dict(Location.objects.departments().values_list("code", "name"))
    month_name = date_format(period.month, "F Y")

    map_values = {area.code: getattr(area, map_scope) for area in figures.departments}
    if map_scope == "ytd":
        map_title = _("People assisted by department, January to %(month)s") % {"month": month_name}
    else:
        map_title = _("People assisted by department, %(month)s") % {"month": month_name}
    labels = [date_format(point.month, "M") for point in trend]
    series = [
        (_("People assisted directly"), [point.people_assisted for point in trend], PEOPLE_COLOUR),
        (_("Sum of sectors"), [point.sum_of_sectors for point in trend], SUM_COLOUR),
    ]
    trend_title = _("People assisted each month, %(year)s") % {"year": period.month.year}
    context.update({
        "figures": figures,
        "trend": [
            TrendRow(point.month, point.people_assisted, point.sum_of_sectors,
                     ExplainLinks(point.month, sector)("headline", "month"))
            for point in trend
        ],
        "sector_rows": _sector_rows(figures, sector, links),
        "department_rows": _area_rows(figures.departments, "department", links),
        "population_rows": _area_rows(figures.population_types, "population", links),
        "links": {
            "headline_month": links("headline", "month"),
            "headline_ytd": links("headline", "ytd"),
            "cbi_month": links("cbi", "month"),
            "cbi_ytd": links("cbi", "ytd"),
        },
        "map_svg": charts.department_map(
            map_values, title=map_title, legend_title=_("People assisted"),
            names=department_names,
        ),
        # A phone gets a narrower drawing rather than the wide one shrunk to unreadable text.
        "trend_svg": charts.line_chart(labels, series, title=trend_title, width=640),
        "trend_svg_narrow": charts.line_chart(labels, series, title=trend_title, width=340,
                                           height=200),
        "map_month_url": _dashboard_url(period, sector),
        "map_ytd_url": _dashboard_url(period, sector) + "&map=ytd",
        "sitrep_url": _sitrep_url(request.user, period),
    })
    return render(request, "reporting/dashboard/dashboard.html", context)


# --------------------------------------------------------------------------------------------
# How was this computed
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


def _cell_table(cells: list[aggregation.CellSector], sectors: list[Sector],
                department_names: dict[str, str]) -> CellTable:
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


@dataclass(frozen=True)
class Contribution:
    report: MonthlyReport
    people: int


def _contributions(user, lines: QuerySet, value: str, page_number: str | None) -> dict:
    """Return the reports behind a figure that `user` may open (a page of them, largest first)
    and the count and sum of the others, which are not named."""
    contributions = aggregation.report_contributions(lines, value)
    visible = set(
        MonthlyReport.objects.visible_to(user)
        .filter(pk__in=lines.order_by().values("report"))
        .values_list("pk", flat=True)
    ) & set(contributions)
    hidden = [pk for pk in contributions if pk not in visible]
    ordered = sorted(visible, key=lambda pk: (-contributions[pk], pk))
    page = Paginator(ordered, REPORTS_PER_PAGE).get_page(page_number)
    reports = MonthlyReport.objects.filter(pk__in=list(page.object_list)).select_related(
        "organisation", "sector", "period"
    ).in_bulk()
    return {
        "page": page,
        "rows": [Contribution(reports[pk], contributions[pk]) for pk in page.object_list],
        "visible_count": len(visible),
        "visible_people": sum(contributions[pk] for pk in visible),
        "hidden_count": len(hidden),
        "hidden_people": sum(contributions[pk] for pk in hidden),
        "total_count": len(contributions),
        "total_people": sum(contributions.values()),
    }


def _rule(figure: str, scope: str, month: str, subject: Sector | None) -> str:
    """Return the counting rule of a figure in one sentence (DESIGN §4)."""
    if figure == "sector":
        if scope == "month":
            rule = _("The sum of the total monthly beneficiaries (everyone reached in the month, "
                     "repeats included) of the sector's lines in %(month)s.")
        else:
            rule = _("The sum of the new beneficiaries (people reached for the first time this "
                     "year) of the sector's lines from January to %(month)s; monthly totals are "
                     "never added across months, since they repeat people.")
        if subject is not None and subject.parent_id:
            rule += " " + _("A sub-sector's lines also count for %(parent)s.") % {
                "parent": subject.parent.name}
        return rule % {"month": month}
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


@login_required
def explain(request: HttpRequest) -> HttpResponse:
    """Show how a dashboard figure was computed: its rule, its cells and its reports."""
    sectors = list(Sector.objects.select_related("parent"))
    figure = request.GET.get("figure", "headline")
    scope = request.GET.get("scope", "month")
    code = request.GET.get("code", "").strip()
    try:
        period = _period(request)
        sector = _sector(request.GET.get("sector", ""), sectors)
        if figure not in FIGURES:
            raise InvalidParameter(_("There is no figure called “%(value)s”.") % {"value": figure})
        if scope not in SCOPES:
            raise InvalidParameter(
                _("Choose the month (scope=month) or the year to date (scope=ytd).")
            )
        if period is None:
            raise InvalidParameter(_("No reporting period has been opened yet."))
        department_names = dict(Location.objects.departments().values_list("code", "name"))
        subject, subject_name = _subject(figure, code, sectors, department_names)
    except InvalidParameter as error:
        return _invalid(request, str(error))

    value_field = FIELD[scope]
    # From the lines themselves, so that the reports behind the figure can be listed.
    all_lines, _reports = _scope(sector, ActivityLine.objects.all())
    counted = aggregation.counted_lines(all_lines)
    if scope == "month":
        lines = aggregation.in_month(counted, period.month)
    else:
        lines = aggregation.in_year_to(counted, period.month)
    if figure == "cbi":
        lines = aggregation.in_cash(lines)
    elif figure == "sector":
        lines = aggregation.in_sector(lines, subject.code)
    elif figure == "department":
        lines = aggregation.in_department(lines, code)
    elif figure == "population":
        lines = aggregation.in_population_type(lines, code)

    cells = None
    if figure == "sector":
        sums = aggregation.sector_sums(lines, value_field, subsectors=subject.parent_id is not None)
        value = sums.get(subject.pk, 0)
    else:
        cell_list = aggregation.cell_sectors(lines, value_field)
        value = aggregation.deduplicated(cell_list)
        cells = _cell_table(cell_list, sectors, department_names)

    month_name = date_format(period.month, "F Y")
    scope_label = (month_name if scope == "month"
                   else _("January to %(month)s") % {"month": month_name})
    context = {
        "period": period,
        "sector": sector,
        "figure": figure,
        "figure_title": FIGURE_TITLES[figure],
        "scope": scope,
        "scope_label": scope_label,
        "code": code,
        "subject_name": subject_name,
        "value": value,
        "rule": _rule(figure, scope, month_name, subject),
        "cells": cells,
        "contributions": _contributions(request.user, lines, value_field, request.GET.get("page")),
        "dashboard_url": _dashboard_url(period, sector),
        "other_scope_url": ExplainLinks(period.month, sector)(
            figure, "ytd" if scope == "month" else "month", code),
        "hidden_label": (
            _("Other organisations' reports (not visible to you)")
            if request.user.is_partner_user else _("Other reports (not visible to you)")
        ),
        "page_query": _page_query(request),
    }
    return render(request, "reporting/dashboard/explain.html", context)


def _subject(figure: str, code: str, sectors: list[Sector],
             department_names: dict[str, str]) -> tuple[Sector | None, str]:
    """Return the sector a figure is about (for a sector figure) and the name of its subject."""
    if figure in ("headline", "cbi"):
        return None, ""
    if not code:
        raise InvalidParameter(_("Say which sector, department or population type (code=…)."))
    if figure == "sector":
        subject = _sector(code, sectors)
        return subject, subject.name
    if figure == "department":
        if code not in department_names:
            raise InvalidParameter(_("There is no department with the code “%(code)s”.")
                                   % {"code": code})
        return None, department_names[code]
    labels = dict(PopulationType.choices)
    if code not in labels:
        raise InvalidParameter(_("There is no population type “%(code)s”.") % {"code": code})
    return None, str(labels[code])


def _page_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
