"""Organisations and user accounts, managed by IM officers."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from gtrm.admin import NotFoundForOthers
from reporting.admin_resources import ImportExportForImOfficers, OrganisationResource

from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(NotFoundForOthers, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (OrganisationResource,)
    list_display = (
        "short_name", "acronym", "type", "is_partner", "rmrp_appealing", "active", "user_count",
    )
    list_filter = ("type", "is_partner", "rmrp_appealing", "active", "sectors")
    search_fields = ("short_name", "acronym", "name")
    filter_horizontal = ("sectors",)
    fields = (
        "short_name", "acronym", "name", "type", "is_partner", "rmrp_appealing", "sectors",
        "active", "joined_on",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("users"))

    @admin.display(description=_("users"), ordering="user_count")
    def user_count(self, obj):
        return obj.user_count

    def has_delete_permission(self, request, obj=None):
        # Organisations with reports are deactivated, never deleted.
        return False


@admin.register(User)
class UserAdmin(NotFoundForOthers, BaseUserAdmin):
    list_display = ("username", "email", "organisation", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "organisation__type", "sectors")
    search_fields = ("username", "email", "first_name", "last_name", "organisation__short_name")
    list_select_related = ("organisation",)
    filter_horizontal = ("sectors",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role"), {"fields": ("organisation", "role", "sectors", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined", "invited_by")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "email", "password1", "password2")}),
        (_("Role"), {"fields": ("organisation", "role", "sectors")}),
    )
    readonly_fields = ("last_login", "date_joined", "invited_by")

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, not deleted: their names stay on the review history.
        return False

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Deactivation ends the account's open sessions for good (see User).
            obj.session_generation += 1
        super().save_model(request, obj, form, change)
