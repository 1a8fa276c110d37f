"""An indicator over time: its approved figures month by month, across plans.

The RMRP framework changes between plan periods (DESIGN §6), and an indicator of a new plan may
name the one it continues. The series follows those successors backwards, so that a sector lead
who picks a 2025–2026 indicator sees its 2023–2024 months too, each month labelled with the code
reported then. Same audience and same data as the dashboard: approved lines of every partner.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from reporting.models import Indicator, Plan, ReportingPeriod, ReportStatus, parse_month
from reporting.numbers import aggregation, charts
from reporting.numbers.forms import NO_PERIOD, NO_PERIOD_YET, NOT_A_MONTH

MONTHS_SHOWN = 24
TOTAL_COLOUR = "#00558C"
NEW_COLOUR = "#B4450E"
QUANTITY_COLOUR = "#00558C"


def _months_back(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - (count - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def _period(code: str) -> tuple[ReportingPeriod | None, str]:
    if not code:
        period = (ReportingPeriod.objects.filter(reports__status=ReportStatus.APPROVED)
                  .order_by("-month").first() or ReportingPeriod.objects.current())
        return period, ""
    month = parse_month(code)
    if month is None:
        return None, str(NOT_A_MONTH) % {"value": code}
    period = ReportingPeriod.objects.filter(month=month).first()
    if period is None:
        return None, str(NO_PERIOD) % {"month": date_format(month, "F Y")}
    return period, ""


@login_required
def indicator_trend(request: HttpRequest) -> HttpResponse:
    """Show one indicator's figures for the 24 months up to the chosen month."""
    period, problem = _period(request.GET.get("period", "").strip())
    context = {"periods": ReportingPeriod.objects.order_by("-month"), "period": period}
    if period is None:
        context["problem"] = problem or str(NO_PERIOD_YET)
        return render(request, "reporting/dashboard/indicator.html", context,
                      status=400 if problem else 200)
    plan = Plan.objects.in_force(period.month)
    indicators = list(Indicator.objects.filter(plan=plan).select_related("sector")
                      .order_by("sector__order", "code"))
    code = request.GET.get("indicator", "").strip().upper()
    indicator = next((i for i in indicators if i.code.upper() == code), None)
    context.update({"plan": plan, "indicators": indicators, "indicator": indicator})
    if code and indicator is None:
        context["problem"] = _("The plan %(plan)s has no indicator %(code)s.") % {
            "plan": plan.code if plan else "–", "code": code}
        return render(request, "reporting/dashboard/indicator.html", context, status=400)
    if indicator is None:
        return render(request, "reporting/dashboard/indicator.html", context)

    # 24 months back, or from the first month the platform has, whichever is later.
    first = max(_months_back(period.month, MONTHS_SHOWN),
                ReportingPeriod.objects.order_by("month").values_list("month", flat=True)[0])
    points = aggregation.indicator_trend(indicator, first, period.month)
    series_members = indicator.series()
    plans = dict(Plan.objects.filter(pk__in={i.plan_id for i in series_members})
                 .values_list("pk", "code"))
    labels = [date_format(point.month, "M y") for point in points]

    def values(attr: str) -> list[int | None]:
        return [getattr(point, attr) if point.reported else None for point in points]

    if indicator.measures_people:
        series = [(_("Total monthly beneficiaries"), values("total_monthly"), TOTAL_COLOUR),
                  (_("New beneficiaries"), values("new_beneficiaries"), NEW_COLOUR)]
        short_names = [_("Total"), _("New")]
    else:
        series = [(indicator.get_unit_display().capitalize(), values("quantity"),
                   QUANTITY_COLOUR)]
        short_names = [series[0][0]]
    title = _("%(indicator)s, %(first)s to %(last)s") % {
        "indicator": indicator.code, "first": labels[0], "last": labels[-1]}
    context.update({
        "points": list(reversed(points)),
        "measures_people": indicator.measures_people,
        "series_members": [(i, plans.get(i.plan_id, "")) for i in reversed(series_members)],
        "chart": charts.line_chart(labels, series, title=title, width=720),
        # A phone gets the last 12 months, with short names that fit its legend.
        "chart_narrow": charts.line_chart(
            labels[-12:], [(short, values[-12:], colour) for short, (_, values, colour)
                           in zip(short_names, series, strict=True)],
            title=title, width=340, height=200),
        "reported_months": sum(1 for point in points if point.reported),
    })
    return render(request, "reporting/dashboard/indicator.html", context)
