"""The activity template download: the spreadsheet a partner fills in and uploads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gtrm.garbage import frees_reference_cycles
from partners.models import Organisation
from reporting.models import ReportingPeriod, parse_month
from reporting.sheets.template_workbook import (
    XLSX_CONTENT_TYPE,
    build_template,
    previous_month,
    template_filename,
)


@login_required
@require_GET
@frees_reference_cycles
def template(request: HttpRequest) -> HttpResponse:
    """Download the activity template of an organisation for a month: a partner gets their
    own organisation's, an IM officer names one; `prefill=1` copies last month's lines."""
    user = request.user
    wanted = request.GET.get("organisation", "").strip()
    if user.is_partner_user:
        organisation = user.organisation
        if wanted and wanted.casefold() != organisation.acronym.casefold():
            raise Http404  # another organisation's template, as with its reports
    elif user.is_im_officer:
        if not wanted:
            return HttpResponseBadRequest(_("Choose the organisation the template is for."))
        organisation = Organisation.objects.filter(acronym__iexact=wanted.replace("\x00", "")).first()
        if organisation is None:
            raise Http404
    else:
        raise PermissionDenied(_("Templates are for partners and the IM team, who upload lines."))
    code = request.GET.get("period", "").strip()
    if code:
        month = parse_month(code)
        if month is None:
            raise Http404
        period = get_object_or_404(ReportingPeriod, month=month)
    else:
        period = ReportingPeriod.objects.current()
        if period is None:
            raise Http404
    prefill_from = previous_month(period.month) if request.GET.get("prefill") == "1" else None
    content = build_template(
        organisation=organisation, month=period.month, prefill_from=prefill_from,
        language=translation.get_language() or "en",  # the user's language (headers, sheets)
    )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True,
        filename=template_filename(organisation=organisation, month=period.month),
    )
    return response
