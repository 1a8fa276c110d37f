"""Reporting completeness, for coordinators (their sectors) and IM officers (all sectors)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from reporting.models import MonthlyReport, ReportingPeriod, Sector
from reporting.numbers.completeness import CellState, period_completeness, review_queue


@login_required
def completeness(request: HttpRequest) -> HttpResponse:
    """Show who has reported for a month in the sectors the user reviews, the rates, and the
    submissions waiting for review."""
    user = request.user
    if not user.may_use_admin:
        raise PermissionDenied(_("Only sector coordinators and the IM team see reporting completeness."))
    sectors = list(Sector.objects.reviewable_by(user))
    chosen = next((s for s in sectors if s.code == request.GET.get("sector")), None)
    scope = [chosen] if chosen else sectors
    period = ReportingPeriod.objects.of_code_or_current(request.GET.get("period", ""))
    waiting = MonthlyReport.objects.reviewable_by(user).filter(sector__in=[s.pk for s in scope])
    context = {
        "period": period,
        "periods": ReportingPeriod.objects.all(),
        "sectors": sectors,
        "sector": chosen,
        "grid": period_completeness(period=period, sectors=scope) if period else None,
        "queue": review_queue(waiting),
        "legend": [(state, CellState.LABELS[state], CellState.DESCRIPTIONS[state])
                   for state in CellState.ORDER],
    }
    return render(request, "reporting/completeness.html", context)
