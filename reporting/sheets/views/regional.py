"""The regional 5W for R4V (DESIGN §6), for IM officers: the checks on the page, the file to
download (`reporting.regional.export`)."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from reporting.models import ReportingPeriod, parse_month
from reporting.regional import export
from reporting.sheets import exports

SHOWN_FLAGS = 50


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def regional_5w(request: HttpRequest) -> HttpResponse:
    """Show the checks of the regional 5W for the months asked, or download it."""
    if not request.user.is_im_officer:
        raise PermissionDenied
    current = ReportingPeriod.objects.current()
    default = current.code if current else ""
    first_code = request.GET.get("from") or default
    last_code = request.GET.get("to") or first_code
    fmt = request.GET.get("format") if request.GET.get("format") in ("xlsx", "csv") else "xlsx"
    preview = request.GET.get("preview") == "1"
    first, last = parse_month(first_code), parse_month(last_code)
    problem = ""
    if first is None or last is None:
        problem = _("Write the months as YYYY-MM.")
    elif last < first:
        problem = _("The last month comes before the first.")
    context = {"first": first_code, "last": last_code, "fmt": fmt, "preview": preview,
               "problem": problem}
    if problem:
        return render(request, "reporting/exports/regional_5w.html", context, status=400)
    name = export.file_name(first, last, fmt, preview=preview)
    if request.GET.get("download"):
        if fmt == "csv":
            def stream():
                import csv as _csv
                yield "\ufeff"
                writer = _csv.writer(_Echo())
                yield writer.writerow(export.c.HEADER)
                for cells in export.rows(first, last, preview=preview):
                    yield writer.writerow(cells)
            response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = content_disposition_header(True, name)
            return response
        spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
        export.write_xlsx(spool, first, last, preview=preview)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=name,
                            content_type=exports.XLSX_CONTENT_TYPE)
    checks = export.Checks()
    for _cells in export.rows(first, last, preview=preview, checks=checks):
        pass
    context.update(checks=checks, flags=checks.flagged[:SHOWN_FLAGS], name=name,
                   query=request.GET.urlencode())
    return render(request, "reporting/exports/regional_5w.html", context)
