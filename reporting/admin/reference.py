"""Reference data in the admin (IM officers): sectors, indicators and places, with import and
export of the seed files' columns."""

from __future__ import annotations

from django.contrib import admin

from gtrm.admin import NotFoundForOthers
from reporting.models import (
    ActivityLine,
    Indicator,
    Location,
    Sector,
)

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
    list_display = ("code", "name_es", "name_en", "sector", "unit", "type", "plan", "active")
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
