"""Organisations and user accounts, managed by IM officers."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gtrm.admin import NotFoundForOthers
from reporting.admin.resources import ImportExportForImOfficers, OrganisationResource

from . import services
from .models import HeldInvitation, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(NotFoundForOthers, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (OrganisationResource,)
    list_display = (
        "short_name", "acronym", "type", "is_partner", "rmrp_appealing", "active", "user_count",
    )
    list_filter = ("type", "is_partner", "rmrp_appealing", "active", "sectors")
    search_fields = ("short_name", "acronym", "name", "regional_name")
    filter_horizontal = ("sectors",)
    fields = (
        "short_name", "acronym", "name", "regional_name", "type", "is_partner", "rmrp_appealing",
        "sectors", "active", "joined_on",
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
        (_("Person"), {"fields": ("first_name", "last_name", "email", "language")}),
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
        if not change:
            # Never the number of an invitation held for the IM team (see HeldInvitation).
            obj.id = services.next_account_id()
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Deactivation ends the account's open sessions for good (see User).
            obj.session_generation += 1
        super().save_model(request, obj, form, change)


@admin.register(HeldInvitation)
class HeldInvitationAdmin(NotFoundForOthers, admin.ModelAdmin):
    """Invitations to addresses that have an account elsewhere, for the IM team to resolve."""

    list_display = ("invited_at", "email", "organisation", "invited_by", "holder",
                    "holder_organisation", "is_active", "is_open", "resolution")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "resolution", "organisation")
    search_fields = ("email", "first_name", "last_name", "organisation__short_name",
                     "holder__username", "holder__organisation__short_name")
    list_select_related = ("organisation", "invited_by", "holder__organisation")
    fields = ("email", "first_name", "last_name", "organisation", "invited_by", "invited_at",
              "holder", "holder_organisation", "is_active", "resolution", "resolved_by",
              "resolved_at")
    readonly_fields = fields
    actions = ("move_account", "leave_account")

    @admin.display(description=_("organisation of the account"))
    def holder_organisation(self, obj):
        return obj.holder.organisation

    @admin.display(description=_("pending"), boolean=True, ordering="resolved_at")
    def is_open(self, obj):
        return obj.is_open

    def has_add_permission(self, request):
        # Only a focal point's invitation makes one (partners.services.invite_reporter).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Move the account into the inviting organisation"))
    def move_account(self, request, queryset):
        self._resolve(request, queryset, move=True)

    @admin.action(description=_("Close: leave the account where it is"))
    def leave_account(self, request, queryset):
        self._resolve(request, queryset, move=False)

    def _resolve(self, request, queryset, *, move: bool) -> None:
        done = 0
        for invitation in queryset.select_related("organisation", "holder"):
            try:
                invitation = services.resolve_held_invitation(
                    invitation=invitation, by=request.user, move=move)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                continue
            done += 1
            self.log_change(request, invitation, invitation.get_resolution_display())
            if move:
                self.log_change(request, invitation.holder, [
                    {"changed": {"fields": ["Organisation"]}}])
        if done:
            self.message_user(request, ngettext(
                "%(count)d invitation resolved.", "%(count)d invitations resolved.", done,
            ) % {"count": done}, messages.SUCCESS)
