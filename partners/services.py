"""Account actions of focal points: invite, deactivate and reactivate their reporters."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import Role, User

EMAIL_TAKEN = _("There is already an account with the email address %(email)s.")
NOT_FOCAL_POINT = _("Only your organisation's focal points may manage its reporters.")
NOT_A_REPORTER = _("Focal points manage reporters; ask the IM team to change %(user)s.")


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
    send_mail(subject, body, None, [user.email])


def invite_reporter(
    *, by: User, email: str, first_name: str, last_name: str, base_url: str
) -> User:
    """Create a reporter account in the focal point's organisation and email a link with
    which the person chooses their password."""
    _check_focal_point(by)
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists() or User.objects.filter(
        username__iexact=email
    ).exists():
        raise ValidationError({"email": EMAIL_TAKEN % {"email": email}})
    with transaction.atomic():
        user = User(
            username=email,
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
        # Sent after commit, so nobody receives a link to an account that was rolled back.
        transaction.on_commit(lambda: send_invitation(user=user, by=by, base_url=base_url))
    return user


ALREADY_SIGNED_UP = _("%(user)s has already chosen a password; they can reset it themselves.")


def resend_invitation(*, by: User, user: User, base_url: str) -> None:
    _check_focal_point(by, user)
    if user.has_usable_password():
        raise PermissionDenied(ALREADY_SIGNED_UP % {"user": user.get_full_name() or user})
    send_invitation(user=user, by=by, base_url=base_url)


def set_reporter_active(*, by: User, user: User, active: bool) -> User:
    """Deactivate a reporter (they can no longer sign in) or reactivate them."""
    _check_focal_point(by, user)
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.refresh_from_db(fields=["is_active"])
    return user
