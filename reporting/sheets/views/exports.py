"""Downloads: activity lines as CSV or XLSX, and a month's summary tables as XLSX.

Signed-in users only; which lines each may have is decided in `exports.lines_visible_to`
(partners: their organisation's, all statuses; coordinators: the reports they review; IM:
everything), and the filters narrow it, to approved reports unless another status is asked
for. Filter values that name nothing come back as form errors (400), never as a 500.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.http import content_disposition_header

from gtrm.garbage import frees_reference_cycles
from reporting.models import ReportingPeriod
from reporting.sheets import export_layouts, exports, month_tables


def _page(request: HttpRequest, form: exports.LineFilterForm, *, status: int = 200,
          with_count: bool = False, lines_problem: str = "", summary_problem: str = "") -> HttpResponse:
    user = request.user
    statuses = form.statuses_text() if form.is_valid() else ""
    count = None
    if with_count and form.is_valid():
        count = form.filter(exports.lines_visible_to(user)).count()
    current = ReportingPeriod.objects.current()
    context = {
        "form": form,
        "count": count,
        "statuses": statuses,
        "layouts": [(value, label, export_layouts.LAYOUT_HELP[value])
                    for value, label in export_layouts.LAYOUTS],
        "query": request.GET.urlencode(),
        "periods": ReportingPeriod.objects.order_by("-month"),
        "summary_period": request.GET.get("period") or (current.code if current else ""),
        "lines_problem": lines_problem,
        "summary_problem": summary_problem,
        "may_see_completeness": user.may_use_admin,
    }
    return render(request, "reporting/exports/index.html", context, status=status)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Show the export filters, how many lines they select, and the download buttons."""
    form = exports.LineFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    # The count waits for the button: over every line of the platform it is not free.
    return _page(request, form, with_count=bool(request.GET))


@login_required
@frees_reference_cycles
def lines(request: HttpRequest, fmt: str) -> HttpResponse:
    """Download the lines the user may see, filtered, as CSV (streamed) or XLSX."""
    if fmt not in exports.LINE_FORMATS:
        raise Http404
    form = exports.LineFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    selected = form.filter(exports.lines_visible_to(request.user))
    hxl, layout = form.cleaned_data["hxl"], form.cleaned_data["layout"]
    filename = form.filename(fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.lines_csv(selected, hxl=hxl, layout=layout),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    count = selected.count()
    if count > exports.XLSX_MAX_LINES:
        problem = exports.TOO_MANY_FOR_XLSX % {
            "count": number_format(count, force_grouping=True),
            "limit": number_format(exports.XLSX_MAX_LINES, force_grouping=True),
        }
        return _page(request, form, status=400, with_count=True, lines_problem=problem)
    return FileResponse(
        exports.lines_xlsx(selected, hxl=hxl, layout=layout, described=form.described()),
        as_attachment=True, filename=filename,
        content_type=exports.XLSX_CONTENT_TYPE,
    )


@login_required
@frees_reference_cycles
def summary(request: HttpRequest, kind: str) -> HttpResponse:
    """Download a month's sector totals, department table or completeness grid as XLSX."""
    if kind not in month_tables.SUMMARY_KINDS:
        raise Http404
    if kind == "completeness" and not request.user.may_use_admin:
        raise PermissionDenied(month_tables.COMPLETENESS_FORBIDDEN)
    form = exports.LineFilterForm({}, user=request.user)
    try:
        period = month_tables.period_from_param(request.GET.get("period"))
    except ValueError as error:
        return _page(request, form, status=400, summary_problem=str(error))
    except ReportingPeriod.DoesNotExist as error:
        return _page(request, form, status=404, summary_problem=str(error))
    content = month_tables.summary_workbook(kind, period, request.user)
    response = HttpResponse(content, content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, month_tables.summary_filename(kind, period)
    )
    return response
