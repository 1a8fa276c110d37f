"""The query parameters of lines/ (DESIGN §7)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reporting.models import ActivityLine, LineChange, ReportStatus, normalise_ubigeo, parse_month

NOT_A_MONTH = _("Write the month as YYYY-MM, e.g. 2023-09.")


class MonthField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(NOT_A_MONTH, code="invalid")
        return month


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class LineFilter(django_filters.FilterSet):
    month = MonthFilter(field_name="report__period__month",
                        help_text=_("Month reported on, YYYY-MM."))
    month_from = MonthFilter(field_name="report__period__month", lookup_expr="gte",
                             help_text=_("First month, YYYY-MM."))
    month_to = MonthFilter(field_name="report__period__month", lookup_expr="lte",
                           help_text=_("Last month, YYYY-MM."))
    sector = django_filters.CharFilter(method="filter_sector",
                                       help_text=_("Sector or sub-sector code, as in sectors/."))
    department = django_filters.CharFilter(method="filter_department",
                                           help_text=_("Department ubigeo, e.g. 15 for Lima."))
    organisation = django_filters.CharFilter(field_name="report__organisation__acronym",
                                             lookup_expr="iexact",
                                             help_text=_("Organisation acronym."))
    status = django_filters.ChoiceFilter(field_name="report__status", choices=ReportStatus.choices,
                                         help_text=_("Status of the line's report."))
    updated_since = django_filters.IsoDateTimeFilter(
        method="filter_updated_since",
        help_text=_("ISO 8601 date and time: lines added or changed since, or whose report "
                    "changed status since. Deleted lines are listed by lines/deleted/."),
    )

    class Meta:
        model = ActivityLine
        fields: list[str] = []

    def filter_sector(self, queryset, name, value):
        code = value.strip()
        return queryset.filter(Q(report__sector__code__iexact=code)
                               | Q(indicator__sector__code__iexact=code))

    def filter_updated_since(self, queryset, name, value):
        return queryset.with_changed_at().filter(changed_at__gte=value)

    def filter_department(self, queryset, name, value):
        return queryset.filter(department__code=normalise_ubigeo(value))


class DeletedFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(
        field_name="at", lookup_expr="gte", required=True,
        help_text=_("ISO 8601 date and time: deletions since then."),
    )

    class Meta:
        model = LineChange
        fields: list[str] = []
