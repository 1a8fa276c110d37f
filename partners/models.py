"""Organisations, users and their roles: who belongs where and what each role may do."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from gtrm.collation import spanish


class OrganisationType(models.TextChoices):
    UN_AGENCY = "un_agency", _("UN agency")
    INGO = "ingo", _("International NGO")
    NNGO = "nngo", _("National NGO")
    RMO = "rmo", _("Refugee- and migrant-led organisation")
    RED_CROSS = "red_cross", _("Red Cross / Red Crescent")
    FAITH_BASED = "faith_based", _("Faith-based organisation")
    DONOR = "donor", _("Donor / embassy")
    ACADEMIC = "academic", _("Academic / research")
    OTHER = "other", _("Other")


class OrganisationQuerySet(models.QuerySet):
    def partners(self) -> OrganisationQuerySet:
        """Return the organisations of the GTRM partner list (not the platform itself)."""
        return self.filter(is_partner=True, active=True)


class Organisation(models.Model):
    acronym = models.CharField(_("acronym"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(
        _("short name"),
        max_length=100,
        unique=True,
        help_text=_("As written in the partner list of the situation report."),
    )
    type = models.CharField(_("type"), max_length=20, choices=OrganisationType.choices)
    is_partner = models.BooleanField(
        _("GTRM partner"),
        default=True,
        help_text=_("Listed among the GTRM partners. The platform's own team is not."),
    )
    rmrp_appealing = models.BooleanField(_("appealing in the RMRP"), default=False)
    sectors = models.ManyToManyField(
        "reporting.Sector",
        verbose_name=_("sectors it reports in"),
        related_name="organisations",
        blank=True,
    )
    active = models.BooleanField(_("active"), default=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    regional_name = models.CharField(
        _("regional name"), max_length=255, blank=True,
        help_text=_("The name R4V's regional lists use, when it differs from the English name."),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = [spanish("short_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=OrganisationType.values),
                name="partners_organisation_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    @property
    def r4v_name(self) -> str:
        """Return the name R4V's regional lists use: the regional name, else the name."""
        return self.regional_name or self.name


class Role(models.TextChoices):
    REPORTER = "reporter", _("Partner reporter")
    FOCAL_POINT = "focal_point", _("Partner focal point")
    COORDINATOR = "coordinator", _("Sector coordinator")
    IM_OFFICER = "im_officer", _("IM officer")


PARTNER_ROLES = frozenset({Role.REPORTER, Role.FOCAL_POINT})
STAFF_ROLES = frozenset({Role.COORDINATOR, Role.IM_OFFICER})

# What a coordinator may do in the admin; an IM officer may do everything.
COORDINATOR_PERMISSIONS = frozenset(
    {
        "reporting.view_monthlyreport",
        "reporting.review_monthlyreport",
        "reporting.view_activityline",
        "reporting.view_reviewevent",
        "reporting.view_linechange",
        # Their sectors' highlights for the situation report (NarrativeAdmin narrows the rows).
        "reporting.view_narrative",
        "reporting.add_narrative",
        "reporting.change_narrative",
    }
)


class GtrmUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.IM_OFFICER)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REPORTER)
    sectors = models.ManyToManyField(
        "reporting.Sector",
        verbose_name=_("sectors coordinated"),
        related_name="coordinators",
        blank=True,
    )
    invited_by = models.ForeignKey(
        "self",
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    language = models.CharField(
        _("language of e-mails"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the e-mails the platform sends; blank: the site's language."),
    )
    notifications_off = models.JSONField(
        _("e-mail notifications turned off"),
        default=list,
        blank=True,
        help_text=_("The kinds of e-mail notification this person chose not to receive."),
    )

    session_generation = models.PositiveIntegerField(
        _("session generation"),
        default=0,
        editable=False,
        help_text=_("Raised to end every session of the account, e.g. when it is deactivated."),
    )

    objects = GtrmUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="partners_user_role_valid"
            ),
            # People sign in with their email address: it must name one account.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="partners_user_email_unique",
                violation_error_message=_("Another account already uses this email address."),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=PARTNER_ROLES) | Q(organisation__isnull=False),
                name="partners_user_partner_has_organisation",
                violation_error_message=_("Partner reporters and focal points need an organisation."),
            ),
            # The admin is for coordinators and IM officers only: a partner is never staff.
            models.CheckConstraint(
                condition=Q(is_staff=False) | Q(role__in=STAFF_ROLES) | Q(is_superuser=True),
                name="partners_user_partner_not_staff",
                violation_error_message=_("Partner reporters and focal points cannot be staff."),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        # Admin access follows the role; nobody has to remember to tick "staff status".
        self.is_staff = self.is_superuser or self.role in STAFF_ROLES

    def _get_session_auth_hash(self, secret=None) -> str:
        # Django ties sessions to the password hash; the generation is added so that deactivating
        # someone ends their open sessions for good, even after they are reactivated.
        return salted_hmac(
            "partners.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def email_language(self) -> str:
        """Return the language the platform writes to this person in."""
        return self.language or settings.LANGUAGE_CODE

    def wants_notification(self, kind: str) -> bool:
        """Whether this person is to be e-mailed notifications of `kind`: active, with an
        address, and not having turned that kind off."""
        return self.is_active and bool(self.email) and kind not in (self.notifications_off or [])

    @property
    def is_im_officer(self) -> bool:
        return self.is_active and (self.is_superuser or self.role == Role.IM_OFFICER)

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.role == Role.COORDINATOR

    @property
    def is_partner_user(self) -> bool:
        return self.is_active and self.role in PARTNER_ROLES and self.organisation_id is not None

    @property
    def is_focal_point(self) -> bool:
        return self.is_partner_user and self.role == Role.FOCAL_POINT

    @property
    def may_use_admin(self) -> bool:
        return self.is_im_officer or self.is_coordinator

    def has_perm(self, perm: str, obj=None) -> bool:
        if self.is_im_officer:
            return True
        if self.is_coordinator and perm in COORDINATOR_PERMISSIONS:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_im_officer:
            return True
        if self.is_coordinator and any(p.startswith(f"{app_label}.") for p in COORDINATOR_PERMISSIONS):
            return True
        return super().has_module_perms(app_label)


class PasswordResetRequest(models.Model):
    """A request of the password-reset page, kept for the cool-off so that requests can be
    counted per account and per client address (partners.limits)."""

    key = models.CharField(
        _("account"),
        max_length=254,
        help_text=_("The username of the account asked for, or the address typed if it is none."),
    )
    ip_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"), db_index=True)

    class Meta:
        verbose_name = _("password-reset request")
        verbose_name_plural = _("password-reset requests")
        indexes = [
            models.Index(fields=["key", "requested_at"], name="partners_reset_key_time"),
            models.Index(fields=["ip_address", "requested_at"], name="partners_reset_address_time"),
        ]

    def __str__(self) -> str:
        return f"{self.key} · {self.ip_address} · {self.requested_at:%Y-%m-%d %H:%M}"

class HeldInvitationQuerySet(models.QuerySet):
    def open(self) -> HeldInvitationQuerySet:
        """Return the invitations the IM team has not resolved yet."""
        return self.filter(resolved_at__isnull=True)


class Resolution(models.TextChoices):
    MOVED = "moved", _("Account moved into the inviting organisation")
    LEFT = "left", _("Account left where it was")


class HeldInvitation(models.Model):
    """An invitation of a focal point to an address that already has an account in another
    organisation (or on the GTRM team). No account is created and nothing is sent to the
    address: the IM team decides. Until then the inviting team sees it as any invitation not
    yet accepted, so that the team page never tells whether an address has an account
    elsewhere. Its id is taken from the accounts' sequence (services.next_account_id) for the
    same reason: the team page's buttons address it as they address an account."""

    id = models.BigIntegerField(primary_key=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("inviting organisation"), on_delete=models.PROTECT,
        related_name="held_invitations",
    )
    email = models.EmailField(_("email address"))
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+",
    )
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    holder = models.ForeignKey(
        User, verbose_name=_("account holding the address"), on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(
        _("active on the team page"), default=True,
        help_text=_("The focal point can deactivate and reactivate it as any invitation."),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, verbose_name=_("resolved by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True,
    )

    objects = HeldInvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("held invitation")
        verbose_name_plural = _("held invitations")
        ordering = ["-invited_at"]
        constraints = [
            # An address is on a team's list once, like an account.
            models.UniqueConstraint(
                "organisation", Lower("email"), condition=Q(resolved_at__isnull=True),
                name="partners_heldinvitation_open_once_per_organisation",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="", resolved_by__isnull=True)
                | (Q(resolved_at__isnull=False, resolved_by__isnull=False)
                   & Q(resolution__in=Resolution.values)),
                name="partners_heldinvitation_resolved_with_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def role(self) -> str:
        """The role the invitation offers, as an account made by an invitation has."""
        return Role.REPORTER

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def hash_api_key(key: str) -> str:
    """Return the SHA-256 of an API key: what is stored, so a copy of the database holds no key."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def live(self) -> ApiTokenQuerySet:
        """Return the tokens that still open the API: not revoked, of an active account."""
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A key to the read API (/api/v1/) for one user's Power BI, Excel or R: it sees what its
    user sees. Only the key's hash and its first characters (to tell tokens apart) are kept."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100,
                            help_text=_("What it is for, e.g. “Power BI dashboard”."))
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… · {self.name}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
