"""Partner pages: the home page, the reports and their lines.

Every report is fetched through `MonthlyReport.objects.visible_to(user)`, so another
organisation's report is a 404 whatever the URL.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Window
from django.forms.models import construct_instance
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gtrm.collation import spanish

from . import display, services, workflow
from .forms import ActivityLineForm, NilReportForm, ReportFilterForm, StartReportForm
from .models import (
    ActivityLine,
    LineChange,
    Location,
    LocationLevel,
    MonthlyReport,
    PeriodStatus,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
)
from .regional.entry import flagged_lines, warnings_of

REPORT_RELATED = ("organisation", "sector", "period")


def _report(user, pk: int) -> MonthlyReport:
    return get_object_or_404(
        MonthlyReport.objects.visible_to(user).select_related(*REPORT_RELATED), pk=pk
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the organisation's reports for a month, one row per sector, with the deadline."""
    user = request.user
    period = ReportingPeriod.objects.of_code_or_current(request.GET.get("period", ""))
    context = {"period": period, "periods": ReportingPeriod.objects.all()}
    if period is not None:
        context["days_left"] = days_left = period.days_to_deadline()
        context["days_late"] = max(0, -days_left)
    if user.is_partner_user and period is not None:
        reports = {
            report.sector_id: report
            for report in MonthlyReport.objects.filter(
                organisation_id=user.organisation_id, period=period
            ).with_line_count()
        }
        own_sectors = Sector.objects.top_level().filter(
            Q(organisations=user.organisation_id, active=True) | Q(pk__in=list(reports))
        ).distinct()
        context["rows"] = [(sector, reports.get(sector.pk)) for sector in own_sectors]
        # A month locked while a report was reopened or returned moves the page on to the next
        # month; the report would be out of sight although it does not count.
        context["left_in_locked"] = (
            MonthlyReport.objects.filter(
                organisation_id=user.organisation_id, period__status=PeriodStatus.LOCKED,
                status__in=[ReportStatus.REOPENED, ReportStatus.RETURNED],
            ).exclude(period=period).select_related("period", "sector")
            .order_by("-period__month", "sector__order")[:12]
        )
        context["other_sectors"] = Sector.objects.top_level().filter(active=True).exclude(
            pk__in=[sector.pk for sector in own_sectors]
        )
    if user.may_use_admin and period is not None:
        queue = (
            MonthlyReport.objects.reviewable_by(user)
            .filter(period=period)
            .values("sector__code", "sector__name_es", "sector__name_en")
            .annotate(
                submitted=Count("pk", filter=Q(status=ReportStatus.SUBMITTED)),
                approved=Count("pk", filter=Q(status=ReportStatus.APPROVED)),
                returned=Count("pk", filter=Q(status=ReportStatus.RETURNED)),
                reopened=Count("pk", filter=Q(status=ReportStatus.REOPENED)),
            )
            .order_by("sector__order")
        )
        context["review_queue"] = queue
    return render(request, "reporting/home.html", context)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """List the reports the user may see, filtered by month, sector and status."""
    form = ReportFilterForm(request.GET or None)
    reports = (
        MonthlyReport.objects.visible_to(request.user)
        .select_related(*REPORT_RELATED)
        .with_line_count()
        .order_by("-period__month", spanish("organisation__short_name"), "sector__order")
    )
    if form.is_valid():
        if form.cleaned_data["period"]:
            reports = reports.filter(period=form.cleaned_data["period"])
        if form.cleaned_data["sector"]:
            reports = reports.filter(sector=form.cleaned_data["sector"])
        if form.cleaned_data["status"]:
            reports = reports.filter(status=form.cleaned_data["status"])
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reporting/report_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
@require_POST
def report_start(request: HttpRequest) -> HttpResponse:
    """Open the organisation's report for a sector and month, creating a draft if needed."""
    if not request.user.is_partner_user:
        raise PermissionDenied
    form = StartReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a month and a sector."))
        return redirect("reporting:home")
    try:
        report = services.start_report(
            organisation_id=request.user.organisation_id,
            sector=form.cleaned_data["sector"],
            period=form.cleaned_data["period"],
            by=request.user,
        )
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
        return redirect(reverse("reporting:home") + f"?period={form.cleaned_data['period'].code}")
    return redirect("reporting:report-detail", pk=report.pk)


# The audit trail of a report's lines grows with every save; the report page shows its latest
# entries and links to the rest.
CHANGES_SHOWN = 20


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a report: its lines, what may be done with it now, and its history."""
    report = _report(request.user, pk)
    lines = list(report.lines.with_related())
    events = ReviewEvent.objects.filter(report=report).select_related("by")
    all_changes = request.GET.get("changes") == "all"
    changes = LineChange.objects.filter(report=report).select_related("by")
    if all_changes:
        changes = list(changes)
        change_count = len(changes)
    else:
        # The latest entries, each with the count of all (a window over the whole trail).
        changes = list(
            changes.annotate(trail_length=Window(Count("pk")))
            .order_by("-at", "-pk")[:CHANGES_SHOWN]
        )[::-1]
        change_count = changes[0].trail_length if changes else 0
    actions = workflow.allowed_actions(report=report, user=request.user)
    numbers = {line.pk: number for number, line in enumerate(lines, start=1)}
    return render(
        request,
        "reporting/report_detail.html",
        {
            "report": report,
            "r4v_flagged": [(numbers[item.line.pk], item) for item in flagged_lines(lines)],
            "rows": display.line_rows(lines, report_pk=report.pk),
            "totals": display.totals_row(lines),
            "events": events,
            "changes": changes,
            "change_count": change_count,
            "changes_hidden": change_count - len(changes),
            "all_changes": all_changes,
            "actions": actions,
            "can_edit": report.is_editable and report.is_owned_by(request.user),
            "nil_form": NilReportForm(),
        },
    )


def _line_form_page(request, report, form, line=None) -> HttpResponse:
    # R4V's warnings on what the form holds: the line as saved, or as just typed (a form
    # re-rendered with our errors has the valid fields on its instance).
    shown = line
    if form.is_bound:
        # The form stops before filling its instance when a field is wrong: judge a copy with
        # the fields that are right, and say nothing of the wrong ones (our error is there).
        shown = construct_instance(form, copy.copy(form.instance)) if form.errors else form.instance
    return render(
        request,
        "reporting/line_form.html",
        {"report": report, "form": form, "line": line,
         "r4v_warnings": _r4v_warnings(form, shown) if shown is not None else []},
    )


def _r4v_warnings(form, line: ActivityLine) -> list[tuple[str, str]]:
    """Return R4V's warnings on `line` as (the form's field label, message), leaving out the
    fields the form already marks as wrong."""
    return [
        (str(form.fields[flag.field].label) if flag.field in form.fields else flag.column,
         flag.message)
        for flag in warnings_of(line)
        if not (form.is_bound and flag.field in form.errors)
    ]


@login_required
def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request.user, pk)
    return _line_save(request, report, ActivityLine(report=report))


@login_required
def line_edit(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    report = _report(request.user, pk)
    line = get_object_or_404(report.lines.with_related(), pk=line_pk)
    return _line_save(request, report, line)


def _line_save(request: HttpRequest, report: MonthlyReport, line: ActivityLine) -> HttpResponse:
    if not _may_edit(request, report):
        return redirect("reporting:report-detail", pk=report.pk)
    if request.method != "POST":
        return _line_form_page(request, report, ActivityLineForm(instance=line, report=report), line)
    form = ActivityLineForm(request.POST, instance=line, report=report)
    if not form.is_valid():
        return _line_form_page(request, report, form, line)
    adding = line.pk is None
    try:
        services.save_line(line=form.instance, by=request.user)
    except ValidationError as error:
        # Someone else changed the report between validation and saving (e.g. a second tab).
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return _line_form_page(request, report, form, line)
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
        return redirect("reporting:report-detail", pk=report.pk)
    messages.success(request, _("Line added.") if adding else _("Line saved."))
    warnings = _r4v_warnings(form, form.instance)
    if warnings:
        messages.warning(request, _("R4V's checks would flag this line (it is saved; correct "
                                    "it if the figures are wrong): %(warnings)s") % {
            "warnings": "; ".join(f"{label}: {message}" for label, message in warnings)})
    if adding and "save_and_add" in request.POST:
        return redirect("reporting:line-add", pk=report.pk)
    return redirect("reporting:report-detail", pk=report.pk)


def _may_edit(request: HttpRequest, report: MonthlyReport) -> bool:
    """Say why the lines cannot change now, or return True. Another organisation's report
    never gets here (404); a coordinator or IM officer gets 403."""
    try:
        services.check_editable(report=report, user=request.user)
    except workflow.NotPermitted as error:
        raise PermissionDenied(str(error)) from error
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
        return False
    return True


@login_required
def line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    report = _report(request.user, pk)
    line = get_object_or_404(report.lines.with_related(), pk=line_pk)
    if not _may_edit(request, report):
        return redirect("reporting:report-detail", pk=report.pk)
    if request.method != "POST":
        return render(request, "reporting/line_confirm_delete.html", {"report": report, "line": line})
    try:
        services.delete_line(line=line, by=request.user)
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Line deleted."))
    return redirect("reporting:report-detail", pk=report.pk)


def _transition_view(request: HttpRequest, pk: int, perform, done: str) -> HttpResponse:
    report = _report(request.user, pk)
    try:
        perform(report)
    except workflow.NotPermitted as error:
        raise PermissionDenied(str(error)) from error
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("reporting:report-detail", pk=report.pk)


@login_required
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(
        request, pk,
        lambda report: workflow.submit_report(report=report, by=request.user),
        _("Report submitted to the sector coordinators."),
    )


@login_required
@require_POST
def report_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(
        request, pk,
        lambda report: workflow.withdraw_report(report=report, by=request.user),
        _("Submission withdrawn: the report is a draft again."),
    )


@login_required
@require_POST
def report_nil(request: HttpRequest, pk: int) -> HttpResponse:
    form = NilReportForm(request.POST)
    if not form.is_valid():
        report = _report(request.user, pk)
        messages.error(request, " ".join(form.errors["note"]))
        return redirect("reporting:report-detail", pk=report.pk)
    note = form.cleaned_data["note"]
    if request.POST.get("confirm") != "yes":
        # A nil report goes to the coordinators at once: ask first, on a page of its own so the
        # question works without JavaScript. Anyone who may not declare it gets the refusal below.
        report = _report(request.user, pk)
        allowed = workflow.allowed_actions(report=report, user=request.user)
        if ReviewEvent.Action.DECLARE_NIL in allowed and not report.lines.exists():
            return render(request, "reporting/report_confirm_nil.html", {"report": report, "note": note})
    return _transition_view(
        request, pk,
        lambda report: workflow.declare_nil_report(report=report, by=request.user, note=note),
        _("Submitted: no activities this month."),
    )


@login_required
@require_GET
def location_children(request: HttpRequest) -> JsonResponse:
    """Return the provinces of a department or the districts of a province, for the form."""
    parent = request.GET.get("parent", "")
    level = {2: LocationLevel.PROVINCE, 4: LocationLevel.DISTRICT}.get(len(parent))
    children = (
        Location.objects.filter(parent__code=parent, level=level).order_by(spanish("name"))
        if level else Location.objects.none()
    )
    return JsonResponse(
        {"parent": parent, "children": [{"code": c.code, "name": c.name} for c in children]}
    )

