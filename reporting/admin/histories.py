"""The logs, read-only in the admin: review events, line changes, reminders and notifications."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from gtrm.admin import NotFoundForOthers
from reporting.models import (
    LineChange,
    MonthlyReport,
    Notification,
    Reminder,
    ReviewEvent,
)

from .filters import PeriodFilter
from .inlines import LineChangeDisplay
from .permissions import ReadOnly


class LineChangesInHistory:
    """Show the audit trail of lines on an object's "History" page, worded for the reader
    (field: before → after): lines change through the partner's pages and uploads, never
    through this admin, so Django's own log of admin edits is empty for them."""

    object_history_template = "admin/reporting/history_with_line_changes.html"

    def line_changes_for(self, request, obj) -> QuerySet[LineChange]:
        raise NotImplementedError

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        changes = [] if obj is None else (
            self.line_changes_for(request, obj).select_related("by").order_by("-at", "-pk"))
        return super().history_view(request, object_id, extra_context={
            **(extra_context or {}), "line_changes": changes,
        })


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
class LineChangeAdmin(LineChangeDisplay, NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    list_display = ("at", "report", "action", "summary_display", "by")
    fields = ("report", "at", "by", "action", "summary_display", "changes_display")
    readonly_fields = fields
    list_filter = ("action",)
    list_select_related = ("report__organisation", "report__sector", "report__period", "by")
    search_fields = ("report__organisation__short_name", "by__username", "summary")
    date_hierarchy = "at"

    def get_queryset(self, request):
        reports = MonthlyReport.objects.reviewable_by(request.user)
        return super().get_queryset(request).filter(report__in=reports)


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


@admin.register(Notification)
class NotificationAdmin(NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    """The outbox of e-mail notifications, for the IM team to see what went out and what fails."""

    list_display = ("created_at", "kind", "recipient", "report", "sent_at", "attempts",
                    "last_error", "abandoned_at")
    list_filter = ("kind", PeriodFilter)
    list_select_related = ("recipient", "report__organisation", "report__sector",
                           "report__period", "period")
    search_fields = ("recipient__username", "recipient__email", "last_error")
    ordering = ("-created_at", "-pk")
    date_hierarchy = "created_at"
    fields = ("recipient", "kind", "report", "period", "reason", "language", "created_at",
              "next_attempt_at", "sent_at", "attempts", "last_error", "abandoned_at")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.is_im_officer
