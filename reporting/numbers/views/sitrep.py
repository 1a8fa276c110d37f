"""The situation report: the live draft for signed-in users, published editions for everyone.

Anonymous readers only ever get an edition's frozen data (`SitrepEdition.data`): the live figures
sit behind login, and a public page never computes anything from the current data except for the
"changed since publication" box that only IM officers and coordinators see.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from reporting.models import ReportingPeriod, SitrepEdition
from reporting.numbers import disclosure, sitrep


def _period(month: dt.date) -> ReportingPeriod:
    return get_object_or_404(ReportingPeriod, month=month)


def _edition(month: dt.date, number: int) -> SitrepEdition:
    return get_object_or_404(
        SitrepEdition.objects.select_related("period", "published_by"),
        period__month=month, number=number,
    )


def _admin_url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def _sees_changes(user) -> bool:
    return bool(user.is_authenticated and (user.is_im_officer or user.is_coordinator))


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _require_reviewer(user) -> None:
    """Drafts (texts being written, figures not yet published) are for the coordinators and
    the IM team; partners read the published editions, like the public."""
    if not user.may_use_admin:
        raise PermissionDenied


@login_required
@require_safe
def sitrep_draft(request: HttpRequest, month: dt.date) -> HttpResponse:
    """Show the month's situation report with the live figures, and its published editions."""
    _require_reviewer(request.user)
    period = _period(month)
    # Reviewers see the true figures, marked where the published edition will hide them.
    data = disclosure.for_readers(disclosure.stamp(sitrep.build_report(period)), reviewer=True)
    user = request.user
    context = {
        **sitrep.document_context(data),
        "period": period,
        "is_draft": True,
        "periods": ReportingPeriod.objects.order_by("-month"),
        "editions": period.editions.select_related("published_by").order_by("-number"),
        "may_publish": user.is_im_officer,
    }
    if user.may_use_admin:
        context["key_figures_admin"] = _admin_url(
            "admin:reporting_keyfigures_changelist", "/admin/reporting/keyfigures/")
        context["narratives_admin"] = _admin_url(
            "admin:reporting_narrative_changelist", "/admin/reporting/narrative/")
    return render(request, "reporting/sitrep/page.html", context)


@login_required
@require_safe
def sitrep_draft_pdf(request: HttpRequest, month: dt.date) -> HttpResponse:
    """Download the live draft as a PDF."""
    _require_reviewer(request.user)
    period = _period(month)
    data = disclosure.for_readers(disclosure.stamp(sitrep.build_report(period)), reviewer=True)
    return _pdf_response(sitrep.render_pdf(data), sitrep.pdf_filename(period.code))


@login_required
@require_POST
def sitrep_publish(request: HttpRequest, month: dt.date) -> HttpResponse:
    """Publish the month's figures as its next edition (IM officers only)."""
    if not request.user.is_im_officer:
        raise PermissionDenied(sitrep.ONLY_IM_PUBLISHES)
    period = _period(month)
    edition = sitrep.publish_edition(
        period=period, by=request.user, note=request.POST.get("note", "")[:2000]
    )
    messages.success(request, _("Published %(edition)s. Everyone can now read it, without an account.")
                     % {"edition": edition})
    return redirect("reporting:public-sitrep", month=period.code, number=edition.number)


@require_safe
def public_list(request: HttpRequest) -> HttpResponse:
    """List the published situation reports, newest month first."""
    editions = SitrepEdition.objects.select_related("period").order_by("-period__month", "-number")
    months: list[dict] = []
    for edition in editions:
        edition.data = disclosure.for_readers(edition.data)
        if months and months[-1]["period"].pk == edition.period_id:
            months[-1]["older"].append(edition)
        else:
            months.append({"period": edition.period, "latest": edition, "older": [],
                           "month_label": sitrep.month_title(edition.period.code)})
    return render(request, "reporting/sitrep/list.html", {"months": months})


@require_safe
def public_latest(request: HttpRequest, month: dt.date) -> HttpResponse:
    """Redirect to the month's latest published edition."""
    edition = SitrepEdition.objects.filter(period__month=month).order_by("-number").first()
    if edition is None:
        raise Http404
    return redirect("reporting:public-sitrep", month=edition.period.code, number=edition.number)


@require_safe
def public_edition(request: HttpRequest, month: dt.date, number: int) -> HttpResponse:
    """Show a published edition exactly as it was published."""
    edition = _edition(month, number)
    shown = disclosure.for_readers(edition.data, reviewer=_sees_changes(request.user))
    context = {
        **sitrep.document_context(shown, edition=edition),
        "period": edition.period,
        "is_draft": False,
        "newer": SitrepEdition.objects.filter(period=edition.period, number__gt=number)
        .order_by("-number").first(),
        "editions": edition.period.editions.order_by("-number"),
    }
    if _sees_changes(request.user):
        context["changes"] = sitrep.changes_since(edition)
        context["show_changes"] = True
    return render(request, "reporting/sitrep/page.html", context)


@require_safe
def public_edition_pdf(request: HttpRequest, month: dt.date, number: int) -> HttpResponse:
    """Download a published edition as a PDF."""
    edition = _edition(month, number)
    # An edition never changes, and anyone may ask for it: render each language once, rather
    # than spend a second of CPU on every anonymous download.
    key = (f"sitrep-pdf:{edition.pk}:{edition.number}:{edition.published_at.timestamp()}:"
           f"{get_language()}")
    content = cache.get(key)
    if content is None:
        content = sitrep.render_pdf(disclosure.for_readers(edition.data), edition=edition)
        cache.set(key, content, timeout=24 * 3600)
    return _pdf_response(content, sitrep.pdf_filename(edition.period.code, edition.number))


@require_safe
def public_edition_json(request: HttpRequest, month: dt.date, number: int) -> JsonResponse:
    """Return a published edition's figures in the `situation_report` JSON contract."""
    edition = _edition(month, number)
    payload = sitrep.public_json(edition, get_language() or "es")
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "indent": 2})
