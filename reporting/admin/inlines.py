"""Rows shown on their parent's admin page: a report's lines, review history and audit trail and
a period's lock history (read-only); a sector's indicators (their names and use)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from reporting.models import (
    ActivityLine,
    Indicator,
    LineChange,
    PeriodEvent,
    ReviewEvent,
)


def indicator_code(line) -> str:
    """The indicator's code, its name on hover: the names are a sentence long."""
    return format_html('<span title="{}">{}</span>', line.indicator.name, line.indicator.code)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on their report's page, never added, changed or deleted there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ActivityLineInline(ReadOnlyInline):
    model = ActivityLine
    show_change_link = False
    fields = (
        "indicator_code", "place", "population_type", "modality", "implementing_partner",
        "girls", "boys", "women", "men", "other_under_18", "other_adults", "other_unknown_age",
        "new_beneficiaries", "total_monthly", "quantity", "cash_usd", "delivery_mechanism",
        "activity_name", "description", "rmrp_activity",
    )
    readonly_fields = fields

    indicator_code = admin.display(description=_("indicator"))(
        lambda self, obj: indicator_code(obj))

    @admin.display(description=_("location"))
    def place(self, obj):
        names = [obj.department.name]
        if obj.province and obj.province != obj.department:
            names.append(obj.province.name)
        if obj.district:
            names.append(obj.district.name)
        return " · ".join(names)

    def get_queryset(self, request):
        return super().get_queryset(request).with_related()


class ReportHistoryInline(ReadOnlyInline):
    """A report's review events or line changes, each with who made it."""

    def get_queryset(self, request):
        # The tabular inline prints each row's object, whose name is its report's: fetch the
        # report's organisation, sector and period with it, or every row costs four queries.
        return super().get_queryset(request).select_related(
            "by", "report__organisation", "report__sector", "report__period")


class ReviewEventInline(ReportHistoryInline):
    model = ReviewEvent
    fields = ("at", "action", "from_status", "to_status", "by", "reason")
    readonly_fields = fields
    verbose_name_plural = _("review history")


class LineChangeDisplay:
    """A line change as people read it: what the line is, and each change as
    field: before → after, with field and choice labels in the reader's language."""

    @admin.display(description=_("line"))
    def summary_display(self, obj: LineChange) -> str:
        return obj.display_summary()

    @admin.display(description=_("changes"))
    def changes_display(self, obj: LineChange) -> str:
        if obj.action == LineChange.Action.IMPORT:
            return obj.changes.get("file", "")
        return format_html_join(
            mark_safe("<br>"), "{}: {} → {}",
            ((capfirst(label), _dash(before), _dash(after))
             for label, before, after in obj.readable_changes()),
        )


def _dash(value) -> object:
    return "—" if value is None or value == "" else value


class LineChangeInline(LineChangeDisplay, ReportHistoryInline):
    model = LineChange
    fields = ("at", "by", "action", "summary_display", "changes_display")
    readonly_fields = fields
    verbose_name_plural = _("audit trail of lines")


class PeriodEventInline(admin.TabularInline):
    model = PeriodEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "by", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IndicatorInline(admin.TabularInline):
    """Names and use of the sector's indicators; what is counted is changed (or not) on the
    indicator's own page, which guards indicators that already have lines."""

    model = Indicator
    extra = 0
    can_delete = False
    fields = ("code", "name_es", "name_en", "unit", "type", "active")
    readonly_fields = ("code", "unit", "type")

    def has_add_permission(self, request, obj=None):
        return False
