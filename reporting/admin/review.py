"""Review of monthly reports (coordinators, IM) and reference data (IM) in the admin."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gtrm.admin import NotFoundForOthers
from reporting import workflow
from reporting.models import (
    ActivityLine,
    Indicator,
    KeyFigures,
    LineChange,
    Location,
    MonthlyReport,
    Narrative,
    NarrativeKind,
    PeriodEvent,
    Reminder,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
    SitrepEdition,
    parse_month,
)
from reporting.numbers.narratives import render_narrative
from reporting.templatetags.numbers import thousands

from .resources import (
    ImportExportForImOfficers,
    IndicatorResource,
    KeyFiguresResource,
    LocationResource,
    SectorResource,
)

STATUS_COLOURS = {
    ReportStatus.DRAFT: "#6c757d",
    ReportStatus.SUBMITTED: "#0d6efd",
    ReportStatus.RETURNED: "#b02a37",
    ReportStatus.APPROVED: "#198754",
    ReportStatus.REOPENED: "#b35c00",
}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("The partner reads this on the report."),
    )


class OptionalReasonForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


def run_transition(modeladmin, request, queryset, perform, done_message) -> None:
    """Apply `perform(report)` to each selected report and tell the user what happened."""
    done, failed = 0, []
    gone = getattr(modeladmin, "withdrawn_meanwhile", None)
    if gone is not None:
        # Selected reports withdrawn since the page was shown are no longer in the queryset;
        # the workflow refuses them with a message that says so, instead of saying nothing.
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        queryset = [*queryset, *gone(request, selected)]
    for obj in queryset:
        try:
            perform(obj)
            done += 1
        except workflow.WorkflowError as error:
            failed.append(f"{obj}: {error}")
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)
    for failure in failed:
        modeladmin.message_user(request, failure, messages.ERROR)


def ask_reason(
    modeladmin, request, queryset, *, action: str, title, button, perform, done,
    form_class: type[forms.Form] = ReasonForm,
):
    """Show a page asking for a reason, then apply `perform(obj, reason)` to the selection."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        run_transition(modeladmin, request, queryset, lambda obj: perform(obj, reason), done)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "button": button,
        "objects": queryset,
        "form": form,
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/reason_form.html", context)


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
        "girls", "boys", "women", "men", "other", "new_beneficiaries", "total_monthly",
        "quantity", "cash_usd", "description",
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


class LineChangeInline(ReportHistoryInline):
    model = LineChange
    fields = ("at", "by", "action", "summary", "changes")
    readonly_fields = fields
    verbose_name_plural = _("audit trail of lines")


def _per_report(aggregate, *, counts_people: bool = False) -> Coalesce:
    """A figure of each report's lines as a correlated subquery: computed for the fifty rows of
    a changelist page, where a join and GROUP BY would add up every line of every report first."""
    lines = ActivityLine.objects.filter(report=OuterRef("pk"))
    if counts_people:
        lines = lines.filter(indicator__counts_people=True)
    return Coalesce(Subquery(lines.order_by().values("report").annotate(v=aggregate).values("v")), 0)


@admin.register(MonthlyReport)
class MonthlyReportAdmin(NotFoundForOthers, admin.ModelAdmin):
    list_display = (
        "organisation", "sector", "period_code", "status_badge", "line_count", "people_month",
        "submitted", "waiting",
    )
    list_display_links = ("organisation",)
    list_filter = (
        PeriodFilter, TopLevelSectorFilter, StatusFilter, DepartmentFilter,
        ("organisation", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("organisation__short_name", "organisation__acronym", "organisation__name")
    list_select_related = ("organisation", "sector", "period", "reviewed_by")
    list_per_page = 50
    ordering = ("-period__month", "organisation__short_name", "sector__order")
    show_full_result_count = False
    fields = (
        "organisation", "sector", "period", "status", "is_nil", "status_reason",
        "submitted_at", "submitted_by", "reviewed_at", "reviewed_by", "created_at", "updated_at",
    )
    readonly_fields = fields
    inlines = (ActivityLineInline, ReviewEventInline, LineChangeInline)
    actions = ("approve_selected", "return_selected", "reopen_selected")
    change_form_template = "admin/reporting/monthlyreport/change_form.html"

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .reviewable_by(request.user)
            .select_related("organisation", "sector", "period")
            .annotate(line_count=_per_report(Count("pk")),
                      people_month=_per_report(Sum("total_monthly"), counts_people=True))
        )

    def get_list_display(self, request):
        if Sector.objects.reviewable_by(request.user).count() == 1:
            return tuple(field for field in self.list_display if field != "sector")
        return self.list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Reports change only through the review actions, never by editing fields.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("reporting.view_monthlyreport")

    def has_review_permission(self, request):
        return request.user.has_perm("reporting.review_monthlyreport")

    def has_reopen_permission(self, request):
        return request.user.is_im_officer

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<strong style="color:{}">{}</strong>',
            STATUS_COLOURS.get(obj.status, "#000"),
            obj.get_status_display(),
        )

    @admin.display(description=_("month"), ordering="period__month")
    def period_code(self, obj):
        return obj.period.code

    @admin.display(description=_("submitted"), ordering="submitted_at")
    def submitted(self, obj):
        if not obj.submitted_at:
            return "—"
        day = date_format(timezone.localtime(obj.submitted_at), "SHORT_DATE_FORMAT")
        if obj.submitted_late():
            return format_html('{} <strong style="color:#b35c00">{}</strong>', day, _("late"))
        return day

    @admin.display(description=_("lines"), ordering="line_count")
    def line_count(self, obj):
        return _("nil report") if obj.is_nil else obj.line_count

    @admin.display(description=_("people (month)"), ordering="people_month")
    def people_month(self, obj):
        return obj.people_month or 0

    @admin.display(description=_("waiting"))
    def waiting(self, obj):
        if obj.status != ReportStatus.SUBMITTED or not obj.submitted_at:
            return "—"
        days = (timezone.now() - obj.submitted_at).days
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}

    @admin.action(description=_("Approve selected reports"), permissions=["review"])
    def approve_selected(self, request, queryset):
        run_transition(
            self, request, queryset,
            lambda report: workflow.approve_report(report=report, by=request.user),
            lambda n: ngettext("Approved %(n)d report.", "Approved %(n)d reports.", n) % {"n": n},
        )

    @admin.action(description=_("Return selected reports with a reason"), permissions=["review"])
    def return_selected(self, request, queryset):
        return ask_reason(
            self, request, queryset, action="return_selected",
            title=_("Return reports to the partner"), button=_("Return"),
            perform=lambda report, reason: workflow.return_report(
                report=report, by=request.user, reason=reason
            ),
            done=lambda n: ngettext("Returned %(n)d report.", "Returned %(n)d reports.", n)
            % {"n": n},
        )

    @admin.action(description=_("Reopen selected approved reports"), permissions=["reopen"])
    def reopen_selected(self, request, queryset):
        return ask_reason(
            self, request, queryset, action="reopen_selected",
            title=_("Reopen approved reports"), button=_("Reopen"),
            perform=lambda report, reason: workflow.reopen_report(
                report=report, by=request.user, reason=reason
            ),
            done=lambda n: ngettext("Reopened %(n)d report.", "Reopened %(n)d reports.", n)
            % {"n": n},
        )

    def withdrawn_meanwhile(self, request, pks):
        """Return the reports among `pks` that left the user's review queue because their
        organisation withdrew the submission (so the user saw them submitted). Reviewing them is
        refused by the workflow, with a message naming who withdrew them and when."""
        return (
            MonthlyReport.objects.filter(
                pk__in=[pk for pk in pks if str(pk).isdigit()],
                status=ReportStatus.DRAFT,
                sector__in=Sector.objects.reviewable_by(request.user),
                events__action=ReviewEvent.Action.WITHDRAW,
            )
            .exclude(pk__in=self.get_queryset(request).values("pk"))
            .select_related("organisation", "sector", "period")
            .distinct()
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="reporting_monthlyreport_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, object_id):
        """Approve, return or reopen one report from its page."""
        report = self.get_queryset(request).filter(pk=object_id).first()
        if report is None and request.method == "POST":
            report = self.withdrawn_meanwhile(request, [object_id]).first()
        if report is None:
            raise Http404
        change_url = reverse("admin:reporting_monthlyreport_change", args=[report.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        action = request.POST.get("action")
        reason = request.POST.get("reason", "")
        perform = {
            "approve": lambda: workflow.approve_report(report=report, by=request.user),
            "return": lambda: workflow.return_report(report=report, by=request.user, reason=reason),
            "reopen": lambda: workflow.reopen_report(report=report, by=request.user, reason=reason),
        }.get(action)
        if perform is None:
            raise Http404
        try:
            perform()
        except workflow.WorkflowError as error:
            self.message_user(request, str(error), messages.ERROR)
            if not self.get_queryset(request).filter(pk=report.pk).exists():
                # Withdrawn by the partner: a draft, out of the reviewer's sight.
                return HttpResponseRedirect(reverse("admin:reporting_monthlyreport_changelist"))
            return HttpResponseRedirect(change_url)
        self.message_user(
            request,
            _("%(report)s is now %(status)s.") % {
                "report": report, "status": report.get_status_display(),
            },
            messages.SUCCESS,
        )
        # Back to the queue as the reviewer had filtered it.
        filters = request.GET.get("_changelist_filters", "status=submitted")
        return HttpResponseRedirect(
            reverse("admin:reporting_monthlyreport_changelist") + "?" + filters
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["review_actions"] = [
                action for action in workflow.allowed_actions(report=obj, user=request.user)
                if action in ("approve", "return", "reopen")
            ]
            context["review_url"] = reverse(
                "admin:reporting_monthlyreport_review", args=[obj.pk]
            )
            context["report"] = obj
        return super().render_change_form(request, context, add, change, form_url, obj)


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


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(NotFoundForOthers, admin.ModelAdmin):
    list_display = ("__str__", "month", "deadline", "lock_date", "status", "report_count")
    list_filter = ("status",)
    readonly_fields = ("status", "status_changed_at", "status_changed_by")
    fields = ("month", "deadline", "lock_date", *readonly_fields)
    inlines = (PeriodEventInline,)
    actions = ("lock_selected", "unlock_selected")
    date_hierarchy = "month"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(report_count=Count("reports"))

    @admin.display(description=_("reports"), ordering="report_count")
    def report_count(self, obj):
        return obj.report_count

    def get_readonly_fields(self, request, obj=None):
        # Once reports hang off a period, moving its month would move them all.
        if obj is not None and obj.reports.exists():
            return ("month", *self.readonly_fields)
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.reports.exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Lock selected periods"))
    def lock_selected(self, request, queryset):
        return ask_reason(
            self, request, queryset, action="lock_selected", title=_("Lock periods"),
            button=_("Lock"), form_class=OptionalReasonForm,
            perform=lambda period, reason: workflow.lock_period(
                period=period, by=request.user, reason=reason
            ),
            done=lambda n: ngettext("Locked %(n)d period.", "Locked %(n)d periods.", n) % {"n": n},
        )

    @admin.action(description=_("Unlock selected periods (with a reason)"))
    def unlock_selected(self, request, queryset):
        return ask_reason(
            self, request, queryset, action="unlock_selected", title=_("Unlock periods"),
            button=_("Unlock"),
            perform=lambda period, reason: workflow.unlock_period(
                period=period, by=request.user, reason=reason
            ),
            done=lambda n: ngettext("Unlocked %(n)d period.", "Unlocked %(n)d periods.", n)
            % {"n": n},
        )


class IndicatorInline(admin.TabularInline):
    """Names and use of the sector's indicators; what is counted is changed (or not) on the
    indicator's own page, which guards indicators that already have lines."""

    model = Indicator
    extra = 0
    can_delete = False
    fields = ("code", "name_es", "name_en", "unit", "counts_people", "active")
    readonly_fields = ("code", "unit", "counts_people")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Sector)
class SectorAdmin(NotFoundForOthers, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (SectorResource,)
    list_display = ("code", "name_es", "name_en", "parent", "order", "active")
    list_filter = ("active", "parent")
    search_fields = ("code", "name_es", "name_en")
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
    list_display = ("code", "name_es", "name_en", "sector", "unit", "counts_people", "active")
    list_filter = ("sector", "unit", "counts_people", "active")
    search_fields = ("code", "name_es", "name_en")
    list_select_related = ("sector",)

    def get_readonly_fields(self, request, obj=None):
        # Approved figures were counted with these; changing them would change the figures
        # without a reopening. Deactivate the indicator and create a new one instead.
        if obj is not None and obj.lines.exists():
            return ("sector", "unit", "counts_people")
        return ()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Location)
class LocationAdmin(NotFoundForOthers, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (LocationResource,)
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnly:
    """A log: nobody adds, edits or deletes its rows in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewEvent)
class ReviewEventAdmin(NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    list_display = ("at", "report", "action", "from_status", "to_status", "by", "reason")
    list_filter = ("action", "to_status")
    list_select_related = ("report__organisation", "report__sector", "report__period", "by")
    search_fields = ("report__organisation__short_name", "by__username", "reason")
    date_hierarchy = "at"

    def get_queryset(self, request):
        reports = MonthlyReport.objects.reviewable_by(request.user)
        return super().get_queryset(request).filter(report__in=reports)


@admin.register(LineChange)
class LineChangeAdmin(NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    list_display = ("at", "report", "action", "summary", "by")
    list_filter = ("action",)
    list_select_related = ("report__organisation", "report__sector", "report__period", "by")
    search_fields = ("report__organisation__short_name", "by__username", "summary")
    date_hierarchy = "at"

    def get_queryset(self, request):
        reports = MonthlyReport.objects.reviewable_by(request.user)
        return super().get_queryset(request).filter(report__in=reports)


class EstimatedCountPaginator(Paginator):
    """Count a whole large table from PostgreSQL's statistics instead of reading it.

    An exact COUNT(*) over a million lines reads every one of them on every page of the
    changelist; the planner's estimate (pg_class.reltuples, kept by autovacuum and ANALYZE) is
    free and right to within a percent, which is all a page count needs. Filtered lists, small
    tables and SQLite are counted exactly.
    """

    EXACT_BELOW = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and not query.distinct:
            connection = connections[queryset.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                                   [queryset.model._meta.db_table])
                    row = cursor.fetchone()
                if row and row[0] >= self.EXACT_BELOW:
                    return int(row[0])
        return super().count


class LinePeriodFilter(PeriodFilter):
    def filter_by(self, queryset, value):
        return queryset.filter(report__period__month=parse_month(value))


class LineSectorFilter(TopLevelSectorFilter):
    def filter_by(self, queryset, value):
        return queryset.filter(report__sector__code=value)


class LineDepartmentFilter(DepartmentFilter):
    def filter_by(self, queryset, value):
        return queryset.filter(department__code=value)


@admin.register(ActivityLine)
class ActivityLineAdmin(NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    """Every line the viewer reviews, across reports, newest first: for an IM officer looking
    for a figure's source or a coordinator checking a sector's month. Read-only: lines change
    through the partner's report or an upload, which keep the audit trail of each change."""

    list_display = ("report_link", "indicator_code", "department", "population_type", "modality",
                    "new_beneficiaries", "total_monthly", "status")
    list_filter = (LinePeriodFilter, LineSectorFilter, LineDepartmentFilter, "population_type",
                   "modality")
    list_select_related = ("report__organisation", "report__sector", "report__period",
                           "indicator", "department")
    search_fields = ("=report__organisation__acronym", "=indicator__code")
    # Newest first by primary key: the index serves it without sorting a million rows.
    ordering = ("-pk",)
    list_per_page = 100
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_im_officer:
            return queryset
        return queryset.filter(report__in=MonthlyReport.objects.reviewable_by(request.user))

    @admin.display(description=_("report"))
    def report_link(self, obj):
        report = obj.report
        url = reverse("admin:reporting_monthlyreport_change", args=[report.pk])
        return format_html('<a href="{}">{} · {} · {}</a>', url, report.organisation.acronym,
                           report.sector.code, report.period.code)

    indicator_code = admin.display(description=_("indicator"), ordering="indicator__code")(
        lambda self, obj: indicator_code(obj))

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.report.get_status_display()


# --------------------------------------------------------------------------------------------
# The situation report: key figures and narratives (written), editions and reminders (logged)
# --------------------------------------------------------------------------------------------

class ImOnly:
    """Open the model to IM officers only; coordinators do not even see it in the index."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_im_officer

    def has_add_permission(self, request):
        return request.user.is_im_officer

    def has_change_permission(self, request, obj=None):
        return request.user.is_im_officer

    def has_delete_permission(self, request, obj=None):
        return request.user.is_im_officer


def newest_periods_first(db_field, kwargs: dict) -> dict:
    """Return `kwargs` with the period choices of a form listed newest first."""
    if db_field.name == "period":
        kwargs["queryset"] = ReportingPeriod.objects.order_by("-month")
    return kwargs


@admin.register(KeyFigures)
class KeyFiguresAdmin(NotFoundForOthers, ImOnly, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (KeyFiguresResource,)
    list_display = ("period", "refugees_display", "required_display", "received_display",
                    "funded_display", "updated_at", "updated_by")
    list_select_related = ("period", "updated_by")
    ordering = ("-period__month",)
    readonly_fields = ("updated_at", "updated_by")
    fieldsets = (
        (None, {"fields": ("period",)}),
        (_("Population"), {"fields": ("refugees", "refugees_source", "refugees_date")}),
        (_("Funding"), {"fields": ("funding_required_usd", "funding_received_usd",
                                   "funding_source", "funding_date")}),
        (_("Last change"), {"fields": readonly_fields}),
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **newest_periods_first(db_field, kwargs)
        )

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("refugees and migrants"), ordering="refugees")
    def refugees_display(self, obj):
        return thousands(obj.refugees)

    @admin.display(description=_("required (USD)"), ordering="funding_required_usd")
    def required_display(self, obj):
        return thousands(obj.funding_required_usd)

    @admin.display(description=_("received (USD)"), ordering="funding_received_usd")
    def received_display(self, obj):
        return thousands(obj.funding_received_usd)

    @admin.display(description=_("funded"))
    def funded_display(self, obj):
        percent = obj.funded_percent
        return "–" if percent is None else f"{percent}%"


class CoordinatorNarrativeForm(forms.ModelForm):
    """A coordinator writes their sectors' highlights and nothing else."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set before validation, so that the model's checks see highlights, not a blank kind.
        self.instance.kind = NarrativeKind.HIGHLIGHTS


@admin.register(Narrative)
class NarrativeAdmin(NotFoundForOthers, admin.ModelAdmin):
    """IM officers write every text; a coordinator writes the highlights of the top-level
    sectors they review (a sub-sector's lead writes within its parent sector)."""

    list_display = ("period", "kind", "sector", "updated_at", "updated_by")
    list_display_links = ("period", "kind")
    list_filter = (PeriodFilter, "kind", TopLevelSectorFilter)
    list_select_related = ("period", "sector", "updated_by")
    search_fields = ("text_es", "text_en")
    ordering = ("-period__month", "kind", "sector__order")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_im_officer:
            return queryset
        if request.user.is_coordinator:
            return queryset.filter(
                kind=NarrativeKind.HIGHLIGHTS,
                sector__in=Sector.objects.reviewable_by(request.user),
            )
        return queryset.none()

    def _writes(self, request, obj, perm: str) -> bool:
        user = request.user
        if user.is_im_officer:
            return True
        if not user.is_coordinator or not user.has_perm(f"reporting.{perm}_narrative"):
            return False
        if obj is None:
            return Sector.objects.reviewable_by(user).exists()
        return (
            obj.kind == NarrativeKind.HIGHLIGHTS
            and Sector.objects.reviewable_by(user).filter(pk=obj.sector_id).exists()
        )

    def has_view_permission(self, request, obj=None):
        return self._writes(request, obj, "view")

    def has_add_permission(self, request):
        return self._writes(request, None, "add")

    def has_change_permission(self, request, obj=None):
        return self._writes(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_im_officer

    def get_list_filter(self, request):
        if request.user.is_im_officer:
            return self.list_filter
        return tuple(item for item in self.list_filter if item != "kind")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not request.user.is_im_officer:
            kwargs["form"] = CoordinatorNarrativeForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        head = ("period", "kind", "sector") if request.user.is_im_officer else ("period", "sector")
        fieldsets = [
            (None, {"fields": head}),
            (_("Text"), {"fields": ("text_es", "text_en")}),
        ]
        if obj is not None:
            fieldsets += [
                (_("Preview"), {"fields": ("preview_es", "preview_en")}),
                (_("Last change"), {"fields": ("updated_at", "updated_by")}),
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("preview_es", "preview_en", "updated_at", "updated_by")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sector":
            # Highlights belong to top-level sectors; sub-sectors report within them.
            kwargs["queryset"] = Sector.objects.reviewable_by(request.user)
        return super().formfield_for_foreignkey(
            db_field, request, **newest_periods_first(db_field, kwargs)
        )

    def save_model(self, request, obj, form, change):
        if not request.user.is_im_officer:
            obj.kind = NarrativeKind.HIGHLIGHTS
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("preview (Spanish)"))
    def preview_es(self, obj):
        return render_narrative(obj.text_es) or "–"

    @admin.display(description=_("preview (English)"))
    def preview_en(self, obj):
        return render_narrative(obj.text_en) or "–"


@admin.register(SitrepEdition)
class SitrepEditionAdmin(NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    """Editions are publications: what readers were given stays as it was, so the admin only
    lists them. A new edition is published from the situation report page."""

    list_display = ("period", "number", "published_at", "published_by", "note", "public_page")
    list_filter = (PeriodFilter,)
    list_select_related = ("period", "published_by")
    ordering = ("-period__month", "-number")
    fields = ("period", "number", "published_at", "published_by", "note", "public_page")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.is_im_officer

    @admin.display(description=_("public page"))
    def public_page(self, obj):
        url = reverse("reporting:public-sitrep", args=[obj.period.code, obj.number])
        return format_html('<a href="{}">{}</a>', url, url)


@admin.register(Reminder)
class ReminderAdmin(NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    list_display = ("sent_on", "period", "recipient", "kind", "missing_display")
    list_filter = (PeriodFilter, "kind")
    list_select_related = ("period", "recipient")
    search_fields = ("recipient__username", "recipient__email")
    ordering = ("-sent_on", "-pk")
    date_hierarchy = "sent_on"
    fields = ("period", "recipient", "kind", "sent_on", "missing_display")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.is_im_officer

    @admin.display(description=_("what was missing"))
    def missing_display(self, obj):
        if isinstance(obj.missing, list):
            return "; ".join(str(item) for item in obj.missing) or "–"
        return str(obj.missing)
