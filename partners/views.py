"""The focal point's team page (invite, deactivate, reactivate reporters), password reset, and
everyone's API tokens."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gtrm.security import client_ip
from reporting.models import COORDINATOR_NOTIFICATIONS, PARTNER_NOTIFICATIONS

from . import limits, services, tokens
from .accounts import find_account
from .forms import InviteForm, NotificationPreferencesForm
from .models import ApiToken, HeldInvitation, User

NOT_SENT = gettext_lazy(
    "The account of %(email)s was created, but the invitation email could not be sent. "
    "Try “Resend invitation” in a moment; if it fails again, tell the IM team."
)


def _log(by: User, member: User | HeldInvitation, action_flag: int, message: list | str) -> None:
    """Record who changed whose account (or held invitation) in the admin's history
    (LogEntry), where IM officers already read the changes made in the admin: every change to
    a user names its author."""
    LogEntry.objects.log_actions(by.pk, [member], action_flag, message, single_object=True)


def _team_member(request: HttpRequest, pk: int) -> User | HeldInvitation:
    # Only the focal point's own organisation: anyone else's account is a 404. A held
    # invitation is numbered from the accounts' sequence and answers as the account would.
    organisation_id = request.user.organisation_id
    member = (
        User.objects.filter(pk=pk, organisation_id=organisation_id).first()
        or HeldInvitation.objects.open().filter(pk=pk, organisation_id=organisation_id).first()
    )
    if member is None:
        raise Http404
    return member


def _focal_point_only(request: HttpRequest) -> None:
    if not request.user.is_focal_point:
        raise PermissionDenied(services.NOT_FOCAL_POINT)


def _notification_kinds(user: User) -> tuple:
    if user.is_partner_user:
        return PARTNER_NOTIFICATIONS
    if user.is_coordinator:
        return COORDINATOR_NOTIFICATIONS
    return ()


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """Let anyone signed in choose which e-mail notifications they get, and in which language."""
    form = NotificationPreferencesForm(
        request.POST or None, user=request.user, kinds=_notification_kinds(request.user)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your e-mail preferences are saved."))
        return redirect("partners:notifications")
    return render(request, "partners/notifications.html", {
        "form": form,
        "kind_fields": [form[name] for name in form.fields if name.startswith("kind_")],
    })


@login_required
def team(request: HttpRequest) -> HttpResponse:
    """List the organisation's accounts and invite new reporters."""
    _focal_point_only(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invited = services.invite_reporter(
                by=request.user,
                base_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        except services.InvitationNotSent:
            # The account exists all the same (the focal point may resend the email).
            invited = User.objects.get(email__iexact=form.cleaned_data["email"].strip())
            _log(request.user, invited, ADDITION, [{"added": {}}])
            messages.warning(request, NOT_SENT % {"email": form.cleaned_data["email"]})
            return redirect("partners:team")
        else:
            # An account, or an invitation held for the IM team: the same words either way.
            _log(request.user, invited, ADDITION, [{"added": {}}])
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invited.email}
            )
            return redirect("partners:team")
    members = services.team_of(organisation=request.user.organisation_id)
    return render(request, "partners/team.html", {"form": form, "members": members})


@login_required
@require_POST
def member_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    _focal_point_only(request)
    member = _team_member(request, pk)
    services.set_reporter_active(by=request.user, user=member, active=active)
    _log(request.user, member, CHANGE, [{"changed": {"fields": ["Active"]}}])
    message = _("%(user)s can sign in again.") if active else _("%(user)s can no longer sign in.")
    messages.success(request, message % {"user": member.get_full_name() or str(member)})
    return redirect("partners:team")


@login_required
@require_POST
def member_resend(request: HttpRequest, pk: int) -> HttpResponse:
    _focal_point_only(request)
    member = _team_member(request, pk)
    try:
        services.resend_invitation(
            by=request.user, user=member, base_url=request.build_absolute_uri("/")
        )
    except services.InvitationNotSent:
        messages.warning(request, NOT_SENT % {"email": member.email})
    else:
        # What happened, for the IM team; the focal point is answered the same either way.
        held = isinstance(member, HeldInvitation)
        _log(request.user, member, CHANGE,
             "Asked to send the invitation again; held, so nothing was sent." if held
             else "Invitation sent again.")
        messages.success(
            request, _("Invitation sent again to %(email)s.") % {"email": member.email}
        )
    return redirect("partners:team")


class PasswordResetForm(auth_forms.PasswordResetForm):
    def get_users(self, email):
        """Return the account the address names, by the rule sign-in uses (find_account).
        Include invited people who have not chosen a password yet: this is how someone whose
        invitation link expired gets a new one."""
        user = find_account(email)
        if user is not None and user.is_active and user.email:
            yield user


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    def form_valid(self, form):
        # Whether or not the address has an account: the refusal must not tell which.
        if not limits.record_password_reset_request(
            typed=form.cleaned_data["email"], address=client_ip(self.request)
        ):
            minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
            return render(
                self.request, "registration/password_reset_limited.html",
                {"minutes": minutes}, status=429,
            )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        # Proving the mailbox is enough: lift a lock-out from earlier failed sign-ins, which
        # are counted under the account's username whatever spelling was typed.
        axes_reset(username=form.user.username)
        return response


@login_required
@never_cache
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens and create one; a new key is shown on this answer only."""
    new_key = error = None
    name = ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            token, new_key = tokens.create_api_token(user=request.user, name=name)
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
        else:
            name = ""
            messages.success(request, _("Token “%(name)s” created.") % {"name": token.name})
    return render(request, "partners/api_tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_key": new_key, "error": error, "name": name,
        "api_root": request.build_absolute_uri("/api/v1/"),
    })


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens: anyone else's is a 404."""
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404
    if tokens.revoke_api_token(token=token):
        messages.success(request, _("Token “%(name)s” revoked: it no longer opens the API.")
                         % {"name": token.name})
    return redirect("partners:api-tokens")
