"""Rows shown on their parent's admin page: a report's lines, review history and audit trail and
a period's lock history (read-only); a sector's indicators (their names and use)."""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import truncatechars
from django.urls import reverse
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

from .figures import grouped, line_figure


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
    """A report's lines, one compact row each that fits a 1280 px window (issue 14): the
    population, modality and partner share a cell, as do the three "other" counts; the delivery
    mechanism, activity name and RMRP flag are on the line's own page, one click away."""

    model = ActivityLine
    # The row's own change link sits in the caption that admin.css hides: the indicator links.
    show_change_link = False
    fields = (
        "indicator_code", "place", "population_display",
        "girls_grouped", "boys_grouped", "women_grouped", "men_grouped", "others_display",
        "new_beneficiaries_grouped", "total_monthly_grouped", "quantity_grouped",
        "cash_usd_grouped", "description_short",
    )
    readonly_fields = fields
    # Figures grouped by thousands as on every other page (1,540, not 1540).
    girls_grouped = line_figure("girls")
    boys_grouped = line_figure("boys")
    women_grouped = line_figure("women")
    men_grouped = line_figure("men")
    new_beneficiaries_grouped = line_figure("new_beneficiaries")
    total_monthly_grouped = line_figure("total_monthly")
    quantity_grouped = line_figure("quantity")
    cash_usd_grouped = line_figure("cash_usd", decimals=2)

    @admin.display(description=_("indicator"))
    def indicator_code(self, obj):
        url = reverse("admin:reporting_activityline_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, indicator_code(obj))

    @admin.display(description=_("location"))
    def place(self, obj):
        names = [obj.department.name]
        if obj.province and obj.province != obj.department:
            names.append(obj.province.name)
        if obj.district:
            names.append(obj.district.name)
        return " · ".join(names)

    @admin.display(description=_("population · modality · partner"))
    def population_display(self, obj):
        parts = [obj.get_population_type_display(), obj.get_modality_display()]
        if obj.implementing_partner_id:
            parts.append(obj.implementing_partner.acronym)
        return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))

    @admin.display(description=_("other: 0–17 · 18+ · age not recorded"))
    def others_display(self, obj):
        fields = ("other_under_18", "other_adults", "other_unknown_age")
        return format_html_join(mark_safe("<br>"), '<span title="{}">{}</span>', (
            (capfirst(ActivityLine._meta.get_field(name).verbose_name), grouped(getattr(obj, name)))
            for name in fields))

    @admin.display(description=_("description"))
    def description_short(self, obj):
        if not obj.description:
            return self.get_empty_value_display()
        return format_html('<span title="{}">{}</span>', obj.description,
                           truncatechars(obj.description, 120))

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
