"""Reference data in the admin (IM officers): sectors, indicators and places, with import and
export of the seed files' columns."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from gtrm.admin import NotFoundForOthers
from reporting.models import (
    ActivityLine,
    Indicator,
    Location,
    Plan,
    Sector,
)
from reporting.reference.plans import PlanFileError, load_plan

from .inlines import IndicatorInline
from .resources import (
    ImportExportForImOfficers,
    IndicatorResource,
    LocationResource,
    SectorResource,
)


@admin.register(Sector)
class SectorAdmin(NotFoundForOthers, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (SectorResource,)
    list_display = ("code", "name_es", "name_en", "parent", "order", "active")
    list_filter = ("active", "parent")
    search_fields = ("code", "name_es", "name_en", "regional_name")
    list_select_related = ("parent",)
    filter_horizontal = ("lead_organisations",)
    inlines = (IndicatorInline,)

    def get_readonly_fields(self, request, obj=None):
        # Moving a sector under another moves its approved lines into that sector's figures.
        if obj is not None and (
            obj.reports.exists() or ActivityLine.objects.filter(indicator__sector=obj).exists()
        ):
            return ("parent",)
        return ()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(NotFoundForOthers, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (IndicatorResource,)
    list_display = ("code", "name_es", "name_en", "sector", "unit", "type", "modality_list",
                    "plan", "active")
    list_filter = ("plan", "sector", "unit", "type", "active")
    raw_id_fields = ("successor",)
    search_fields = ("code", "name_es", "name_en", "regional_name")
    list_select_related = ("sector", "plan")

    def get_readonly_fields(self, request, obj=None):
        # Approved figures were counted with these; changing them would change the figures
        # without a reopening. Deactivate the indicator and create a new one instead.
        if obj is not None and obj.lines.exists():
            return ("plan", "sector", "unit", "type")
        return ("plan",)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("allowed modalities"))
    def modality_list(self, obj) -> str:
        return obj.modality_labels()


@admin.register(Location)
class LocationAdmin(NotFoundForOthers, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (LocationResource,)
    list_display = ("code", "name", "level", "parent", "regional_name")
    list_filter = ("level",)
    search_fields = ("code", "name", "regional_name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)

    def has_delete_permission(self, request, obj=None):
        return False


class PlanFileForm(forms.Form):
    file = forms.FileField(
        label=_("Plan file (CSV or XLSX)"),
        help_text=_("The plan's code, first month and names, then one row per indicator with "
                    "the code it replaces in the previous plan (see the README, “Plans”)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("A plan file is at most 5 MB."))
        return upload


@admin.register(Plan)
class PlanAdmin(NotFoundForOthers, admin.ModelAdmin):
    """The RMRP's plan periods: which indicators a month offers. A new plan is loaded from its
    file (as `manage.py load_plan` does); older plans and their reports are never touched."""

    list_display = ("code", "name_es", "name_en", "first_month", "indicator_count")
    search_fields = ("code", "name_es", "name_en")
    change_list_template = "admin/reporting/plan/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(indicator_count=Count("indicators"))

    @admin.display(description=_("indicators"), ordering="indicator_count")
    def indicator_count(self, obj) -> int:
        return obj.indicator_count

    def get_readonly_fields(self, request, obj=None):
        # Moving a plan's first month moves months with reports from one plan to another.
        if obj is not None and ActivityLine.objects.filter(indicator__plan=obj).exists():
            return ("code", "first_month")
        return ()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("load/", self.admin_site.admin_view(self.load_view),
                 name="reporting_plan_load"),
            *super().get_urls(),
        ]

    def load_view(self, request):
        """Create or update a plan and its indicators from a file: all or nothing, every error
        named by row, column and reason."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        errors = []
        form = PlanFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            with tempfile.TemporaryDirectory() as folder:
                stored = Path(folder) / f"plan{Path(upload.name).suffix.lower()}"
                with stored.open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                try:
                    load = load_plan(stored)
                except PlanFileError as failed:
                    errors = failed.errors
            if not errors:
                messages.success(request, _(
                    "Plan %(plan)s %(done)s from %(month)s: %(created)s indicators created, "
                    "%(updated)s updated, %(successors)s successors named.") % {
                    "plan": load.plan.code,
                    "done": _("created") if load.created else _("updated"),
                    "month": load.plan.first_month.strftime("%Y-%m"),
                    "created": load.indicators_created, "updated": load.indicators_updated,
                    "successors": load.successors_set,
                })
                return HttpResponseRedirect(reverse("admin:reporting_plan_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Load a plan from a file"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/reporting/plan/load.html", context,
                                status=400 if errors else 200)
