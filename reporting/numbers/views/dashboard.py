"""The dashboard: a month's figures for signed-in users, and how each of them was computed
(the computation in reporting/numbers/explain.py, the parameters read by numbers/forms.py).

The figures are aggregates of all approved data, the same for every role and the same as the
situation report's (`aggregation.month_figures`). Only the list of reports behind a figure
depends on who is looking: it goes through `MonthlyReport.objects.visible_to(user)`, and the
reports a viewer may not open are added up into one anonymous row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from reporting.models import KeyFigures, Location, ReportingPeriod, Sector
from reporting.numbers import aggregation, charts
from reporting.numbers.explain import (
    FIELD,
    FIGURE_TITLES,
    contributions,
    explain_figure,
    rule,
)
from reporting.numbers.forms import ExplainForm, FiguresForm
from reporting.numbers.sitrep import funding_origin, funding_rows_named

PEOPLE_COLOUR = "#00558C"
SUM_COLOUR = "#E8853D"


def _sitrep_url(user, period) -> str | None:
    """Reviewers go to the live draft; partners to the latest published edition, if any."""
    if user.may_use_admin:
        return reverse("reporting:sitrep-draft", args=[period.code])
    if period.editions.exists():
        return reverse("reporting:public-sitrep-latest", args=[period.code])
    return None


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
    people_assisted: int | None  # None: no approved lines that month
    sum_of_sectors: int | None
    url: str


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show a month's figures, optionally for one sector, each linked to its explanation."""
    sectors = list(Sector.objects.all())
    form = FiguresForm(request.GET, sectors=sectors)
    if not form.is_valid():
        return _invalid(request, form.problem())
    period, sector = form.cleaned_data["period"], form.cleaned_data["sector"]
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
    lines, reports = aggregation.sector_scope(sector, aggregation.counted_lines())
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
        "sector_footer": [
            FigureRow("", _("Sum of sectors"), figures.sum_of_sectors_month,
                      figures.sum_of_sectors_ytd, links("headline", "month"),
                      links("headline", "ytd")),
            FigureRow("", _("People assisted directly (counted once)"),
                      figures.people_assisted_month, figures.people_assisted_ytd,
                      links("headline", "month"), links("headline", "ytd")),
        ],
        "total_footer": [
            FigureRow("", _("Total"), figures.people_assisted_month, figures.people_assisted_ytd,
                      links("headline", "month"), links("headline", "ytd")),
        ],
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
        "funding": _funding(period),
    })
    return render(request, "reporting/dashboard/dashboard.html", context)


def _funding(period: ReportingPeriod) -> dict | None:
    """The month's funding as the situation report gives it, its sectors named for the reader
    (FTS's funding to no sector as "Not specified", its own row)."""
    key = KeyFigures.objects.filter(period=period).first()
    if key is None or key.funding_required_usd is None:
        return None
    origin = funding_origin(key)
    origin["sectors"] = funding_rows_named(origin["sectors"], translation.get_language() or "es")
    return {"key": key, **origin}


# --------------------------------------------------------------------------------------------
# How was this computed (reporting/numbers/explain.py)
# --------------------------------------------------------------------------------------------

@login_required
def explain(request: HttpRequest) -> HttpResponse:
    """Show how a dashboard figure was computed: its rule, its cells and its reports."""
    sectors = list(Sector.objects.select_related("parent"))
    form = ExplainForm(request.GET, sectors=sectors)
    if not form.is_valid():
        return _invalid(request, form.problem())
    params = form.cleaned_data
    period, sector, figure, scope, code = (
        params["period"], params["sector"], params["figure"], params["scope"], params["code"])
    explanation = explain_figure(
        month=period.month, figure=figure, scope=scope, sector=sector,
        subject=params["subject"], code=code, sectors=sectors,
        department_names=form.department_names,
    )
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
        "subject_name": params["subject_name"],
        "value": explanation.value,
        "rule": rule(figure=figure, scope=scope, month=month_name, subject=params["subject"]),
        "cells": explanation.cells,
        "contributions": contributions(user=request.user, lines=explanation.lines,
                                       value=FIELD[scope], page_number=request.GET.get("page")),
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


def _page_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
