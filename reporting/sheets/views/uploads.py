"""The activity spreadsheet upload: form, preview, confirmation and the marked copy of the file.

An upload is stored as an ImportBatch and planned again every time it is shown or confirmed,
so the preview tells the truth of the moment (a report submitted in between is an error) and
the confirmation saves exactly what `planner.apply_import` checks, all or nothing. How many
uploads a person may store, and how long an unconfirmed one is kept, is reporting/sheets/uploads.py.
"""

from __future__ import annotations

import hashlib
from pathlib import PureWindowsPath
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from partners.models import Organisation
from reporting import workflow
from reporting.models import (
    EDITABLE_STATUSES,
    ImportBatch,
    ImportStatus,
    MonthlyReport,
    ReportingPeriod,
)
from reporting.regional.entry import plan_warnings
from reporting.sheets import planner, reading, uploads
from reporting.sheets.marked_copy import error_filename, mark_errors
from reporting.sheets.replaced import replaced_lines

LINES_SHOWN = 50  # per report in the preview; the rest are counted
ERRORS_SHOWN = 500  # in the page; the marked workbook has them all
RECENT_UPLOADS = 10
OPEN_STATUSES = uploads.OPEN_STATUSES
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

NO_FILE = gettext_lazy("Choose an XLSX or CSV file to upload.")
TOO_BIG = gettext_lazy("This file is %(size)s; files up to %(limit)s can be uploaded. Remove other sheets "
            "or split the file by month.")
NOTHING_SAVED = gettext_lazy("Nothing was saved: fix the errors below and upload the file again.")
ALREADY_SAVED = gettext_lazy("This file was already saved; nothing changed.")
INTERRUPTED = gettext_lazy("The upload was interrupted before the whole file arrived; nothing was "
                           "saved. Upload the file again.")
TOO_MANY = ngettext_lazy(
    "You have uploaded %(limit)s file in the last hour, the most one person may upload in an "
    "hour. You can upload again at %(time)s.",
    "You have uploaded %(limit)s files in the last hour, the most one person may upload in an "
    "hour. You can upload again at %(time)s.",
    "limit",
)
REMOVED = gettext_lazy("This file was removed, without being saved, because it was not confirmed "
                       "in time. Upload it again to save it.")
SUBMITTED_ALL = ngettext_lazy(
    "Submitted %(count)d report for review: %(reports)s.",
    "Submitted %(count)d reports for review: %(reports)s.",
    "count",
)
NOT_SUBMITTED = gettext_lazy("Not submitted: %(report)s. %(reason)s")
NOTHING_TO_SUBMIT = gettext_lazy(
    "Nothing left to submit: every report this upload filled is submitted or reviewed.")


class SizeCapHandler(FileUploadHandler):
    """Drop an uploaded file as soon as it passes IMPORT_MAX_BYTES, so that an oversized
    upload is neither kept in memory nor written to a temporary file."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.too_big = False

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.IMPORT_MAX_BYTES:
            self.too_big = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _check_may_upload(user) -> None:
    if not (user.is_partner_user or user.is_im_officer):
        raise PermissionDenied(_("Only partner reporters and IM officers upload activity files."))


def _batch(user, pk: int, *, uploader_only: bool = False) -> ImportBatch:
    """Return the upload `pk` if `user` made it (an IM officer may look at anyone's); 404 else."""
    batches = ImportBatch.objects.select_related("uploaded_by")
    if uploader_only or not user.is_im_officer:
        batches = batches.filter(uploaded_by=user)
    return get_object_or_404(batches, pk=pk)


def _read(batch: ImportBatch) -> reading.Table:
    return reading.read_table(bytes(batch.content), batch.filename)


def _summary(plan: planner.ImportPlan) -> dict:
    return {
        "rows": plan.row_count,
        "reports": len(plan.reports),
        "lines": sum(len(report.lines) for report in plan.reports),
        "replaced": sum(report.existing_lines for report in plan.reports),
        "errors": len(plan.errors),
    }


def _month_label(month) -> str:
    return date_format(month, "F Y").capitalize()


def _report_label(report_plan: planner.ReportPlan) -> str:
    return f"{report_plan.organisation} · {report_plan.sector} · {_month_label(report_plan.month)}"


# The upload form ---------------------------------------------------------------------------


@csrf_exempt
@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Show the upload form; take a file, check it and store it for the preview."""
    # The size cap must see the file before Django stores it, so it is installed before
    # anything reads request.POST, and the CSRF check runs after it.
    size_cap = SizeCapHandler(request)
    request.upload_handlers.insert(0, size_cap)
    if request.method == "POST":
        _check_may_upload(request.user)
        # Before the body is read: past the cap, the file costs the server nothing.
        retry_at = uploads.next_upload_at(user=request.user)
        if retry_at is not None:
            return _too_many(request, retry_at)
        try:
            request.FILES  # noqa: B018 - read the body now, through the size cap
        except UnreadablePostError:
            # The connection broke before the whole file arrived (the browser was closed, the
            # network dropped). Nothing is stored; the CSRF check would otherwise report the
            # unread token as missing, which misleads whoever reads the logs.
            return _upload_page(request, error=INTERRUPTED)
    return _upload(request, size_cap)


@csrf_protect
def _upload(request: HttpRequest, size_cap: SizeCapHandler) -> HttpResponse:
    _check_may_upload(request.user)
    if request.method != "POST":
        return _upload_page(request)
    uploaded = request.FILES.get("file")
    limit = settings.IMPORT_MAX_BYTES
    if size_cap.too_big or (uploaded is not None and uploaded.size > limit):
        size = uploaded.size if uploaded is not None else size_cap.received
        error = TOO_BIG % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        return _upload_page(request, error=error)
    if uploaded is None:
        return _upload_page(request, error=NO_FILE)
    data = uploaded.read()
    filename = PureWindowsPath(uploaded.name or "upload").name[:255]
    try:
        table = reading.read_table(data, filename)
    except reading.FileRejected as rejected:
        return _upload_page(request, error=rejected.message)
    plan = planner.plan_import(table, user=request.user)
    try:
        batch = uploads.store_upload(
            user=request.user,
            filename=filename,
            content=data,
            sha256=hashlib.sha256(data).hexdigest(),
            status=ImportStatus.PREVIEWED if plan.ok else ImportStatus.REJECTED,
            summary=_summary(plan),
        )
    except uploads.UploadLimitReached as reached:  # uploads sent at once, past the first check
        return _too_many(request, reached.retry_at)
    return redirect("reporting:import-preview", pk=batch.pk)


def _too_many(request: HttpRequest, retry_at) -> HttpResponse:
    error = TOO_MANY % {
        "limit": settings.IMPORT_UPLOADS_PER_HOUR,
        "time": time_format(timezone.localtime(retry_at), "H:i"),
    }
    response = _upload_page(request, error=error, status=429)
    response["Retry-After"] = str(max(1, int((retry_at - timezone.now()).total_seconds()) + 1))
    return response


def _upload_page(request: HttpRequest, *, error: str = "", status: int | None = None) -> HttpResponse:
    user = request.user
    period = ReportingPeriod.objects.current()
    month = period.code if period else timezone.localdate().strftime("%Y-%m")
    template_url = reverse("reporting:import-template")
    context = {
        "error": error,
        "month": month,
        "period": period,
        "template_url": template_url,
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_rows": settings.IMPORT_MAX_ROWS,
        "unconfirmed_days": settings.IMPORT_UNCONFIRMED_DAYS,
        "recent": ImportBatch.objects.filter(uploaded_by=user)
        .only("pk", "filename", "status", "size", "summary", "created_at", "applied_at")
        .order_by("-created_at")[:RECENT_UPLOADS],
    }
    if user.is_partner_user:
        query = {"organisation": user.organisation.acronym, "period": month}
        context["template_links"] = {
            "empty": f"{template_url}?{urlencode(query)}",
            "prefilled": f"{template_url}?{urlencode({**query, 'prefill': 1})}",
        }
    else:
        context["organisations"] = Organisation.objects.partners().only("acronym", "short_name")
    if status is None:
        status = 400 if error else 200
    return render(request, "reporting/imports/upload.html", context, status=status)


# The preview -------------------------------------------------------------------------------


@login_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what confirming the upload would do now, and every error in it."""
    batch = _batch(request.user, pk)
    if batch.status == ImportStatus.DISCARDED:
        return _preview_page(request, batch, status=410)
    if batch.status == ImportStatus.APPLIED and "report_ids" in batch.summary:
        return render(request, "reporting/imports/saved.html", {
            "batch": batch,
            "is_own": batch.uploaded_by_id == request.user.pk,
            "submission": _submission(batch, request.user),
        })
    try:
        table = _read(batch)
    except reading.FileRejected as rejected:
        return _preview_page(request, batch, rejected=rejected.message)
    plan = planner.plan_import(table, user=batch.uploaded_by, as_approved=batch.as_approved)
    _record_outcome(batch, plan)
    return _preview_page(request, batch, table=table, plan=plan)


def _record_outcome(batch: ImportBatch, plan: planner.ImportPlan) -> None:
    """Keep an unsaved upload's status in step with what the last look at it found (a report
    submitted since the upload makes it wrong; one withdrawn makes it right again)."""
    status = ImportStatus.PREVIEWED if plan.ok else ImportStatus.REJECTED
    if batch.status in OPEN_STATUSES and batch.status != status:
        ImportBatch.objects.filter(pk=batch.pk, status__in=OPEN_STATUSES).update(
            status=status, summary=_summary(plan)
        )
        batch.status = status


def _preview_page(request, batch, *, table=None, plan=None, rejected="", status=200) -> HttpResponse:
    context = {
        "batch": batch,
        "rejected": rejected,
        "is_own": batch.uploaded_by_id == request.user.pk,
        "unconfirmed_days": settings.IMPORT_UNCONFIRMED_DAYS,
    }
    if plan is not None:
        errors = _error_rows(table, plan.errors)
        replaced = replaced_lines(plan, shown=LINES_SHOWN)
        context.update(
            table=table,
            plan=plan,
            summary=_summary(plan),
            reports=[_report_view(report_plan, replaced) for report_plan in plan.reports],
            removed=sum(lines.removed for lines in replaced.values()),
            errors=errors[:ERRORS_SHOWN],
            errors_hidden=max(0, len(errors) - ERRORS_SHOWN),
            r4v_warnings=(warnings := plan_warnings(plan))[:ERRORS_SHOWN],
            r4v_warnings_hidden=max(0, len(warnings) - ERRORS_SHOWN),
            can_confirm=(
                plan.ok and batch.status == ImportStatus.PREVIEWED
                and batch.uploaded_by_id == request.user.pk
            ),
        )
    return render(request, "reporting/imports/preview.html", context, status=status)


def _report_view(report_plan: planner.ReportPlan, replaced: dict) -> dict:
    return {
        "plan": report_plan,
        "replaced": replaced.get(report_plan.report.pk) if report_plan.report else None,
        "month": _month_label(report_plan.month),
        "lines": report_plan.lines[:LINES_SHOWN],
        "lines_hidden": max(0, len(report_plan.lines) - LINES_SHOWN),
        "first_row": report_plan.rows[0] if report_plan.rows else None,
        "last_row": report_plan.rows[-1] if report_plan.rows else None,
        "rows_contiguous": report_plan.rows == list(
            range(report_plan.rows[0], report_plan.rows[0] + len(report_plan.rows))
        ) if report_plan.rows else True,
    }


def _error_rows(table, errors) -> list[dict]:
    """Return the errors in reading order (the file's own first, then by row and column),
    each with the spreadsheet letter of its column."""
    columns = table.columns if table is not None else {}
    rows = []
    for error in errors:
        index = columns.get(error.field) if error.field else None
        rows.append({
            "row": error.row,
            "letter": reading.column_letter(index) if index is not None else "",
            "column": error.column or "",
            "value": error.value,
            "message": error.message,
            "order": (error.row is not None, error.row or 0, -1 if index is None else index),
        })
    rows.sort(key=lambda row: row["order"])
    return rows


# The confirmation --------------------------------------------------------------------------


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the upload, all of it or nothing, and say which reports it filled."""
    batch = _batch(request.user, pk, uploader_only=True)
    if batch.status not in OPEN_STATUSES:
        return _not_open(request, batch.pk)
    try:
        table = _read(batch)
    except reading.FileRejected as rejected:
        messages.error(request, rejected.message)
        return redirect("reporting:import-preview", pk=batch.pk)
    try:
        with transaction.atomic():
            # Claiming the batch first makes a double click (or two tabs) save it once: the
            # second confirmation waits for the first and then finds it already saved.
            claimed = ImportBatch.objects.filter(pk=batch.pk, status__in=OPEN_STATUSES).update(
                status=ImportStatus.APPLIED, applied_at=timezone.now()
            )
            if not claimed:
                return _not_open(request, batch.pk)
            plan = planner.apply_import(
                table, user=request.user, as_approved=batch.as_approved, filename=batch.filename
            )
            ImportBatch.objects.filter(pk=batch.pk).update(summary={
                **_summary(plan),
                # What the confirmation page offers to submit.
                "report_ids": [report_plan.report.pk for report_plan in plan.reports],
            })
    except planner.ImportFailed as failed:
        ImportBatch.objects.filter(pk=batch.pk, status__in=OPEN_STATUSES).update(
            status=ImportStatus.REJECTED, summary=_summary(failed.plan)
        )
        batch.status = ImportStatus.REJECTED
        messages.error(request, NOTHING_SAVED)
        return _preview_page(request, batch, table=table, plan=failed.plan, status=409)
    messages.success(request, _saved_message(plan, as_approved=batch.as_approved))
    return redirect("reporting:import-preview", pk=batch.pk)


def _not_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Say why an upload can no longer be confirmed: saved already, or its file removed (perhaps
    while its preview was open)."""
    status = ImportBatch.objects.filter(pk=pk).values_list("status", flat=True).get()
    if status == ImportStatus.DISCARDED:
        messages.error(request, REMOVED)
    else:
        messages.info(request, ALREADY_SAVED)
    return redirect("reporting:import-preview", pk=pk)


def _saved_message(plan: planner.ImportPlan, *, as_approved: bool) -> str:
    labels = [_report_label(report_plan) for report_plan in plan.reports]
    shown = "; ".join(labels[:5])
    if len(labels) > 5:
        shown += " " + ngettext("and %(n)d more", "and %(n)d more", len(labels) - 5) % {
            "n": len(labels) - 5
        }
    lines = sum(len(report_plan.lines) for report_plan in plan.reports)
    saved = ngettext(
        "Saved %(lines)d line in %(reports)s.", "Saved %(lines)d lines in %(reports)s.", lines
    ) % {"lines": lines, "reports": shown}
    if plan.reports and not as_approved:
        saved += " " + ngettext(
            "The report is not submitted yet: submit it below, or open it to check it first.",
            "The reports are not submitted yet: submit them below, or open each one to check "
            "it first.",
            len(plan.reports),
        )
    return saved


# Submitting what the upload filled ---------------------------------------------------------


def _filled_reports(batch: ImportBatch):
    """Return the reports a saved upload filled (their period, organisation and sector read,
    and their number of lines), or none for an upload not saved."""
    ids = batch.summary.get("report_ids") if batch.status == ImportStatus.APPLIED else None
    return (
        MonthlyReport.objects.filter(pk__in=ids or [])
        .select_related("period", "organisation", "sector")
        .annotate(line_count=Count("lines"))
        .order_by("period__month", "organisation__short_name", "sector__order", "sector__code")
    )


def _submission(batch: ImportBatch, user) -> dict:
    """Say, for each report the upload filled, whether `user` may submit it now, and why not."""
    rows = []
    for report in _filled_reports(batch):
        waiting = report.status not in EDITABLE_STATUSES  # sent already: nothing to say
        refusal = "" if waiting else workflow.submission_refusal(
            report=report, user=user, has_lines=report.line_count > 0)
        rows.append({"report": report, "month": _month_label(report.period.month),
                     "waiting": waiting, "refusal": refusal})
    return {"rows": rows, "ready": sum(1 for row in rows if not row["waiting"]
                                       and not row["refusal"])}


def _label(report: MonthlyReport) -> str:
    return f"{report.organisation} · {report.sector} · {_month_label(report.period.month)}"


@login_required
@require_POST
def submit_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit for review every report the upload filled that is still editable and that the
    uploader may submit, through the workflow; say which were submitted and why others not."""
    batch = _batch(request.user, pk, uploader_only=True)
    reports = [report for report in _filled_reports(batch) if report.status in EDITABLE_STATUSES]
    if not reports:
        messages.info(request, NOTHING_TO_SUBMIT)
        return redirect("reporting:import-preview", pk=batch.pk)
    submitted, refused = workflow.submit_reports(reports=reports, by=request.user)
    if submitted:
        messages.success(request, SUBMITTED_ALL % {
            "count": len(submitted), "reports": "; ".join(_label(report) for report in submitted)})
    for report, reason in refused:
        messages.warning(request, NOT_SUBMITTED % {"report": _label(report), "reason": reason})
    return redirect("reporting:import-preview", pk=batch.pk)


# The marked copy ---------------------------------------------------------------------------


@login_required
def error_workbook(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the uploaded file as XLSX with its wrong cells filled red and commented."""
    batch = _batch(request.user, pk)
    if batch.status == ImportStatus.DISCARDED:
        messages.error(request, REMOVED)
        return redirect("reporting:import-preview", pk=batch.pk)
    try:
        table = _read(batch)
    except reading.FileRejected as rejected:
        messages.error(request, rejected.message)
        return redirect("reporting:import-preview", pk=batch.pk)
    plan = planner.plan_import(table, user=batch.uploaded_by, as_approved=batch.as_approved)
    content = mark_errors(bytes(batch.content), batch.filename, table, plan.errors)
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=error_filename(batch.filename)
    )
    return response


