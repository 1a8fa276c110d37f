"""Account actions of focal points: invite, deactivate and reactivate their reporters."""

from __future__ import annotations

import logging
import re

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from .models import Role, User

log = logging.getLogger(__name__)

EMAIL_TAKEN = _(
    "There is already an account with the email address %(email)s. If it is a deactivated "
    "member of your team, reactivate them below; otherwise ask the IM team."
)
NOT_FOCAL_POINT = _("Only your organisation's focal points may manage its reporters.")
NOT_A_REPORTER = _("Focal points manage reporters; ask the IM team to change %(user)s.")
ALREADY_SIGNED_UP = _("%(user)s has already chosen a password; they can reset it themselves.")
INACTIVE = _("%(user)s is deactivated; reactivate them first.")


class InvitationNotSent(Exception):
    """The account exists but the email could not be sent; the focal point may resend it."""


def _check_focal_point(by: User, user: User | None = None) -> None:
    if not by.is_focal_point:
        raise PermissionDenied(NOT_FOCAL_POINT)
    if user is not None:
        if user.organisation_id != by.organisation_id:
            raise PermissionDenied(NOT_FOCAL_POINT)
        if user.role != Role.REPORTER or user.pk == by.pk:
            raise PermissionDenied(NOT_A_REPORTER % {"user": user.get_full_name() or user})


def invitation_link(user: User, *, base_url: str) -> str:
    """Return the link with which `user` chooses a password (valid PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return base_url.rstrip("/") + path


def send_invitation(*, user: User, by: User, base_url: str) -> None:
    """Email `user` the link to choose a password; raise InvitationNotSent if mail fails."""
    context = {
        "user": user,
        "by": by,
        "organisation": user.organisation,
        "link": invitation_link(user, base_url=base_url),
    }
    subject = _("Your GTRM Peru reporting account for %(organisation)s") % {
        "organisation": user.organisation
    }
    body = render_to_string("partners/email/invitation.txt", context)
    try:
        send_mail(str(subject), body, None, [user.email])
    except Exception as error:  # SMTP refusals, timeouts, DNS: all mean "not sent"
        log.exception("Invitation to %s not sent", user.email)
        raise InvitationNotSent(str(error)) from error


def username_for(email: str) -> str:
    """Return a free username made of the email address (people sign in with the email)."""
    base = re.sub(r"[^\w.@+-]", "_", email)[:140]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}.{n}"
    return candidate


def invite_reporter(
    *, by: User, email: str, first_name: str, last_name: str, base_url: str
) -> User:
    """Create a reporter account in the focal point's organisation and email a link with
    which the person chooses their password. The account is kept if the email fails
    (InvitationNotSent): the focal point can resend it from the team page."""
    _check_focal_point(by)
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": EMAIL_TAKEN % {"email": email}})
    with transaction.atomic():
        user = User(
            username=username_for(email),
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            organisation_id=by.organisation_id,
            role=Role.REPORTER,
            invited_by=by,
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
    send_invitation(user=user, by=by, base_url=base_url)
    return user


def resend_invitation(*, by: User, user: User, base_url: str) -> None:
    """Send the invitation again to someone who has not chosen a password yet."""
    _check_focal_point(by, user)
    name = user.get_full_name() or user
    if not user.is_active:
        raise PermissionDenied(INACTIVE % {"user": name})
    if user.has_usable_password():
        raise PermissionDenied(ALREADY_SIGNED_UP % {"user": name})
    send_invitation(user=user, by=by, base_url=base_url)


def set_reporter_active(*, by: User, user: User, active: bool) -> User:
    """Deactivate a reporter (they can no longer sign in, and their open sessions end for
    good) or reactivate them (they sign in again with their password)."""
    _check_focal_point(by, user)
    changes = {"is_active": active}
    if not active:
        changes["session_generation"] = F("session_generation") + 1
    User.objects.filter(pk=user.pk).update(**changes)
    user.refresh_from_db(fields=["is_active", "session_generation"])
    return user
