"""The sidebar filters of the admin's changelists: they act only on the values they offer."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reporting.models import (
    Location,
    ReportingPeriod,
    ReportStatus,
    Sector,
    parse_month,
)


class OfferedValuesFilter(admin.SimpleListFilter):
    """A sidebar filter that acts only on a value it offers in its lookups.

    Any other value (typed into the address, an old link to a sector the viewer no longer
    reviews, junk from a scanner) gives an empty list without a query: it never reaches the
    database, where a value PostgreSQL cannot hold would be a server error. The lookups are
    computed by Django when the filter is made, so checking them costs nothing more."""

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value not in {str(offered) for offered, _label in self.lookup_choices}:
            return queryset.none()
        return self.filter_by(queryset, value)

    def filter_by(self, queryset, value: str):
        """Return `queryset` narrowed to `value`, one of the lookups' values."""
        raise NotImplementedError


class DepartmentFilter(OfferedValuesFilter):
    title = _("department")
    parameter_name = "department"

    def lookups(self, request, model_admin):
        return [(loc.code, loc.name) for loc in Location.objects.departments()]

    def filter_by(self, queryset, value):
        department = Location.objects.departments().filter(code=value).first()
        return queryset.with_lines_in(department) if department else queryset.none()


class StatusFilter(OfferedValuesFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        # Coordinators never see drafts; offering the choice would only show an empty list.
        hidden = set() if request.user.is_im_officer else {ReportStatus.DRAFT}
        return [(value, label) for value, label in ReportStatus.choices if value not in hidden]

    def filter_by(self, queryset, value):
        return queryset.filter(status=value)


class TopLevelSectorFilter(OfferedValuesFilter):
    title = _("sector")
    parameter_name = "sector"

    def lookups(self, request, model_admin):
        return [(s.code, s.name) for s in Sector.objects.reviewable_by(request.user)]

    def filter_by(self, queryset, value):
        return queryset.filter(sector__code=value)


class PeriodFilter(OfferedValuesFilter):
    title = _("period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        return [(p.code, str(p)) for p in ReportingPeriod.objects.all()]

    def filter_by(self, queryset, value):
        return queryset.filter(period__month=parse_month(value))


class LinePeriodFilter(PeriodFilter):
    def filter_by(self, queryset, value):
        return queryset.filter(report__period__month=parse_month(value))


class LineSectorFilter(TopLevelSectorFilter):
    def filter_by(self, queryset, value):
        return queryset.filter(report__sector__code=value)


class LineDepartmentFilter(DepartmentFilter):
    def filter_by(self, queryset, value):
        return queryset.filter(department__code=value)


class UnknownAgeFilter(OfferedValuesFilter):
    """The lines with "other" people whose age was not recorded (written before "other" was
    split by age), for an IM officer to have them moved into an age."""

    title = _("other of unknown age")
    parameter_name = "unknown_age"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def filter_by(self, queryset, value):
        if value == "yes":
            return queryset.filter(other_unknown_age__gt=0)
        return queryset.filter(other_unknown_age=0)
