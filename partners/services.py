"""Account actions of focal points: invite, deactivate and reactivate their reporters; and of
the IM team: resolve the invitations held because their address has an account elsewhere.

A focal point learns nothing about accounts outside their organisation: inviting an address
that belongs to someone elsewhere is answered, and then shown on the team page, exactly as
inviting a free address. The invitation is held (HeldInvitation) and the IM team is told.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from .models import HeldInvitation, Organisation, Resolution, Role, User

log = logging.getLogger(__name__)

ALREADY_IN_TEAM = _(
    "%(email)s is already on your team's list. If the account is deactivated, reactivate it "
    "there."
)
ONLY_IM = _("Only the IM team resolves held invitations.")
ALREADY_RESOLVED = _("The invitation of %(email)s was already resolved.")
CANNOT_MOVE = _(
    "%(user)s is not a partner reporter (%(role)s): change the account by hand if it should "
    "move."
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
) -> User | HeldInvitation:
    """Create a reporter account in the focal point's organisation and email a link with
    which the person chooses their password. The account is kept if the email fails
    (InvitationNotSent): the focal point can resend it from the team page.

    If the address already has an account in another organisation, or on the GTRM team,
    create no account and send it nothing: hold the invitation for the IM team, tell them,
    and answer as for a free address. Only an address already on the focal point's own team
    is refused (ALREADY_IN_TEAM), as they can see it there."""
    _check_focal_point(by)
    email = email.strip().lower()
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
    # The same checks whoever holds the address; whether someone does is decided below and
    # never told (the unique email constraint's message would tell it).
    user.full_clean(validate_constraints=False)
    user.validate_constraints(exclude={"email"})
    try:
        invited = _record_invitation(user)
    except IntegrityError:
        # Another invitation took the address (or the username) a moment before this one:
        # decide again, now that it can be seen.
        user.username = username_for(email)
        invited = _record_invitation(user)
    if isinstance(invited, HeldInvitation):
        tell_im_team(invitation=invited, base_url=base_url)
    else:
        send_invitation(user=invited, by=by, base_url=base_url)
    return invited


@transaction.atomic
def _record_invitation(user: User) -> User | HeldInvitation:
    """Save `user`, or hold the invitation if their address already has an account."""
    email, organisation_id = user.email, user.organisation_id
    team_has_it = (
        User.objects.filter(email__iexact=email, organisation_id=organisation_id).exists()
        or HeldInvitation.objects.open()
        .filter(email__iexact=email, organisation_id=organisation_id).exists()
    )
    if team_has_it:
        raise ValidationError({"email": ALREADY_IN_TEAM % {"email": email}})
    holder = account_with_email(email)
    if holder is None:
        user.id = next_account_id()
        user.save(force_insert=True)
        return user
    return HeldInvitation.objects.create(
        id=next_account_id(),
        organisation_id=organisation_id,
        email=email,
        first_name=user.first_name,
        last_name=user.last_name,
        invited_by=user.invited_by,
        holder=holder,
    )


def account_with_email(email: str) -> User | None:
    """Return the account that signs in with `email`, in any organisation, or None."""
    return User.objects.filter(email__iexact=email).order_by("pk").first()


def next_account_id() -> int:
    """Take the next id of the accounts' sequence: no account made through it will have it,
    and it is the id a new account would have had. A held invitation's row on the team page
    is numbered with it, so that it cannot be told from the row of a new account; invited
    accounts take theirs here too.

    A restore with `loaddata` sets the sequence back to the highest account id, below the ids
    of invitations held since: they are skipped."""
    table = User._meta.db_table
    floor = max(
        User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        HeldInvitation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Drawn one by one rather than set forward (setval could move it back under a
            # concurrent draw); the gap is the few ids taken after the last account.
            number = 0
            while number <= floor:
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
                number = cursor.fetchone()[0]
            return number
        if connection.vendor == "sqlite":
            # AUTOINCREMENT gives the next row one more than sqlite_sequence's number; a write
            # holds the database's lock until the transaction ends, so no one draws meanwhile.
            cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) + 1 WHERE name = %s",
                           [floor, table])
            if cursor.rowcount == 0:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                               [table, floor + 1])
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            return cursor.fetchone()[0]
    raise NotImplementedError(f"No account sequence on {connection.vendor}")


def im_team_emails() -> list[str]:
    """Return the addresses of the active IM officers."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.IM_OFFICER) | Q(is_superuser=True))
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def tell_im_team(*, invitation: HeldInvitation, base_url: str) -> None:
    """Email the IM officers who invited whom for which organisation, and whose account holds
    the address, in the site's language (accounts have no language of their own). A failure is
    logged, not shown to the focal point: the invitation waits in the admin all the same."""
    recipients = im_team_emails()
    if not recipients:
        log.warning("Invitation of %s held, but no IM officer has an email address",
                    invitation.email)
        return
    holder = invitation.holder
    context = {
        "invitation": invitation,
        "by": invitation.invited_by,
        "holder": holder,
        "holder_organisation": holder.organisation or _("no organisation"),
        "link": base_url.rstrip("/")
        + reverse("admin:partners_heldinvitation_change", args=[invitation.pk]),
        "holder_link": base_url.rstrip("/")
        + reverse("admin:partners_user_change", args=[holder.pk]),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(_("Invitation held: %(email)s, invited by %(organisation)s") % {
            "email": invitation.email, "organisation": invitation.organisation})
        body = render_to_string("partners/email/invitation_held.txt", context)
    try:
        send_mail(subject, body, None, recipients)
    except Exception:  # SMTP refusals, timeouts, DNS: the admin's list still shows it
        log.exception("The IM team was not told of the held invitation of %s", invitation.email)


def resend_invitation(*, by: User, user: User | HeldInvitation, base_url: str) -> None:
    """Send the invitation again to someone who has not chosen a password yet."""
    _check_focal_point(by, user)
    name = user.get_full_name() or user
    if not user.is_active:
        raise PermissionDenied(INACTIVE % {"user": name})
    if isinstance(user, HeldInvitation):
        # Nothing goes to an address whose account is someone else's; the IM team knows.
        return
    if user.has_usable_password():
        raise PermissionDenied(ALREADY_SIGNED_UP % {"user": name})
    send_invitation(user=user, by=by, base_url=base_url)


def set_reporter_active(
    *, by: User, user: User | HeldInvitation, active: bool
) -> User | HeldInvitation:
    """Deactivate a reporter (they can no longer sign in, and their open sessions end for
    good) or reactivate them (they sign in again with their password). A held invitation is
    shown deactivated or active in the same way; the account holding its address is not
    touched."""
    _check_focal_point(by, user)
    changes = {"is_active": active}
    if not active and isinstance(user, User):
        changes["session_generation"] = F("session_generation") + 1
    type(user).objects.filter(pk=user.pk).update(**changes)
    user.refresh_from_db(fields=list(changes))
    return user


# The team page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamMember:
    """A row of the team page: an account of the organisation or a held invitation, which
    reads exactly as the invited account it stands in for."""

    pk: int
    name: str
    email: str
    role: str
    is_active: bool
    signed_up: bool

    def get_role_display(self) -> str:
        return Role(self.role).label


def team_of(*, organisation: Organisation | int) -> list[TeamMember]:
    """Return the organisation's accounts and open held invitations, active ones first, then
    by last name."""
    accounts = [
        (user.last_name, user.username,
         TeamMember(user.pk, user.get_full_name() or user.username, user.email, user.role,
                    user.is_active, user.has_usable_password()))
        for user in User.objects.filter(organisation=organisation)
    ]
    held = [
        # Sorted by the username an account made of the invitation would have had.
        (invitation.last_name, invitation.email,
         TeamMember(invitation.pk, invitation.get_full_name() or invitation.email,
                    invitation.email, invitation.role, invitation.is_active, False))
        for invitation in HeldInvitation.objects.open().filter(organisation=organisation)
    ]
    rows = sorted(accounts + held,
                  key=lambda row: (not row[2].is_active, row[0].casefold(), row[0], row[1]))
    return [member for _last_name, _username, member in rows]


# The IM team's decision -------------------------------------------------------------------


def resolve_held_invitation(
    *, invitation: HeldInvitation, by: User, move: bool
) -> HeldInvitation:
    """Close a held invitation: with `move`, the account holding the address becomes a
    reporter of the inviting organisation (the person changed organisation); otherwise the
    account stays where it is and the invitation leaves the inviting team's page."""
    if not by.is_im_officer:
        raise PermissionDenied(ONLY_IM)
    with transaction.atomic():
        invitation = HeldInvitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_open:
            raise ValidationError(ALREADY_RESOLVED % {"email": invitation.email})
        if move:
            holder = User.objects.select_for_update().get(pk=invitation.holder_id)
            if holder.role != Role.REPORTER:
                raise ValidationError(CANNOT_MOVE % {
                    "user": holder.get_full_name() or holder,
                    "role": holder.get_role_display()})
            holder.organisation_id = invitation.organisation_id
            holder.invited_by_id = invitation.invited_by_id
            holder.save(update_fields=["organisation", "invited_by"])
        invitation.resolved_at = timezone.now()
        invitation.resolved_by = by
        invitation.resolution = Resolution.MOVED if move else Resolution.LEFT
        invitation.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return invitation
