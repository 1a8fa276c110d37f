"""Review of monthly reports in the admin (coordinators, IM): the queue, one report's page with
its review actions, every line across reports, and the periods IM officers lock."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gtrm.admin import NotFoundForOthers
from gtrm.collation import spanish
from reporting import workflow
from reporting.models import (
    ActivityLine,
    LineChange,
    MonthlyReport,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
)
from reporting.regional.entry import flagged_lines

from .actions import ask_reason, run_transition
from .figures import grouped, line_figure
from .filters import (
    DepartmentFilter,
    LineDepartmentFilter,
    LinePeriodFilter,
    LineSectorFilter,
    PeriodFilter,
    StatusFilter,
    TopLevelSectorFilter,
    UnknownAgeFilter,
)
from .forms import OptionalReasonForm
from .histories import LineChangesInHistory
from .inlines import (
    ActivityLineInline,
    LineChangeInline,
    PeriodEventInline,
    ReviewEventInline,
    indicator_code,
)
from .permissions import ReadOnly

STATUS_COLOURS = {
    ReportStatus.DRAFT: "#6c757d",
    ReportStatus.SUBMITTED: "#0d6efd",
    ReportStatus.RETURNED: "#b02a37",
    ReportStatus.APPROVED: "#198754",
    ReportStatus.REOPENED: "#b35c00",
}


def _per_report(aggregate, *, counts_people: bool = False) -> Coalesce:
    """A figure of each report's lines as a correlated subquery: computed for the fifty rows of
    a changelist page, where a join and GROUP BY would add up every line of every report first."""
    lines = ActivityLine.objects.filter(report=OuterRef("pk"))
    if counts_people:
        lines = lines.counting_people()
    return Coalesce(Subquery(lines.order_by().values("report").annotate(v=aggregate).values("v")), 0)


@admin.register(MonthlyReport)
class MonthlyReportAdmin(LineChangesInHistory, NotFoundForOthers, admin.ModelAdmin):
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
    ordering = ("-period__month", spanish("organisation__short_name"), "sector__order")
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

    def line_changes_for(self, request, obj):
        return obj.line_changes.all()

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
        return _("nil report") if obj.is_nil else grouped(obj.line_count)

    @admin.display(description=_("people (month)"), ordering="people_month")
    def people_month(self, obj):
        return grouped(obj.people_month or 0)

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
            # R4V's flags on the report's lines: one query for all of them, whatever their number.
            lines = list(obj.lines.with_related())
            numbers = {line.pk: number for number, line in enumerate(lines, start=1)}
            context["r4v_flagged"] = [
                (numbers[item.line.pk], item) for item in flagged_lines(lines)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)


PENDING_STATUSES = (
    ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.REOPENED,
)


def pending_reports(periods) -> list[dict]:
    """Return, for each of `periods`, its reports not approved, by sector and status: what a
    lock would freeze before it counts. Two queries whatever the number of periods."""
    periods = list(periods)
    reports = (
        MonthlyReport.objects.filter(period__in=periods, status__in=PENDING_STATUSES)
        .select_related("organisation", "sector")
        .order_by("period_id", "sector__order", "sector__code", spanish("organisation__short_name"))
    )
    by_period: dict[int, dict] = {}
    for report in reports:
        sectors = by_period.setdefault(report.period_id, {})
        row = sectors.setdefault(report.sector_id, {
            "sector": report.sector, "counts": dict.fromkeys(PENDING_STATUSES, 0), "reports": [],
        })
        row["counts"][report.status] += 1
        row["reports"].append(report)
    summary = []
    for period in sorted(periods, key=lambda p: p.month):
        sectors = list(by_period.get(period.pk, {}).values())
        for row in sectors:
            row["counts"] = [row["counts"][status] for status in PENDING_STATUSES]
        totals = [sum(row["counts"][i] for row in sectors) for i in range(len(PENDING_STATUSES))]
        summary.append({"period": period, "sectors": sectors, "totals": totals,
                        "count": sum(totals)})
    return summary


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
            extra_context={"pending": pending_reports(queryset)},
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


@admin.register(ActivityLine)
class ActivityLineAdmin(LineChangesInHistory, NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    """Every line the viewer reviews, across reports, newest first: for an IM officer looking
    for a figure's source or a coordinator checking a sector's month. Read-only: lines change
    through the partner's report or an upload, which keep the audit trail of each change."""

    # The change link on the indicator, not around the report's own link (an <a> inside an <a>
    # leaves the outer one without a name: axe, issue 17).
    list_display_links = ("indicator_code",)
    list_display = ("report_link", "indicator_code", "department", "population_type", "modality",
                    "new_beneficiaries_grouped", "total_monthly_grouped", "status")
    list_filter = (LinePeriodFilter, LineSectorFilter, LineDepartmentFilter, "population_type",
                   "modality", "delivery_mechanism", "rmrp_activity", UnknownAgeFilter)
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

    def line_changes_for(self, request, obj):
        return LineChange.objects.filter(report_id=obj.report_id, line_id=obj.pk)

    @admin.display(description=_("report"))
    def report_link(self, obj):
        report = obj.report
        url = reverse("admin:reporting_monthlyreport_change", args=[report.pk])
        return format_html('<a href="{}">{} · {} · {}</a>', url, report.organisation.acronym,
                           report.sector.code, report.period.code)

    new_beneficiaries_grouped = line_figure("new_beneficiaries", ordering=True)
    total_monthly_grouped = line_figure("total_monthly", ordering=True)
    indicator_code = admin.display(description=_("indicator"), ordering="indicator__code")(
        lambda self, obj: indicator_code(obj))

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.report.get_status_display()
