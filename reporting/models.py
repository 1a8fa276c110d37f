"""Reference data (sectors, indicators, locations, periods) and the monthly reports themselves."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest, Length
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gtrm.collation import spanish
from partners.models import Organisation, User

from . import texts as msg
from .languages import spanish_or_english

models.CharField.register_lookup(Length)


class Bilingual(models.Model):
    """A Spanish and an English name, shown in the language of the page."""

    name_es = models.CharField(_("name (Spanish)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return spanish_or_english(self.name_es, self.name_en)


class SectorQuerySet(models.QuerySet):
    def top_level(self) -> SectorQuerySet:
        return self.filter(parent__isnull=True)

    def reviewable_by(self, user: User) -> SectorQuerySet:
        """Return the top-level sectors whose reports `user` reviews (a sub-sector's lead
        reviews the reports of its parent sector, where the sub-sector's lines live)."""
        if not user.is_active:
            return self.none()
        if user.is_im_officer:
            return self.top_level()
        if not user.is_coordinator:
            return self.none()
        return self.top_level().filter(
            Q(pk__in=user.sectors.values("pk")) | Q(subsectors__in=user.sectors.values("pk"))
        ).distinct()


class Sector(Bilingual):
    code = models.CharField(_("code"), max_length=20, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent sector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsectors",
        help_text=_("Set for a sub-sector (Child Protection is a sub-sector of Protection)."),
    )
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    lead_organisations = models.ManyToManyField(
        Organisation, verbose_name=_("lead organisations"), related_name="led_sectors", blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    regional_name = models.CharField(
        _("regional name"), max_length=255, blank=True,
        help_text=_("The name R4V's regional lists use, when it differs from the English name."),
    )

    objects = SectorQuerySet.as_manager()

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="reporting_sector_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.parent_id:
            return
        if self.parent.parent_id:
            raise ValidationError({"parent": ValidationError(
                _("Sub-sectors have one level: %(parent)s is itself a sub-sector."),
                params={"parent": self.parent},
            )})
        if self.pk and self.subsectors.exists():
            raise ValidationError({"parent": ValidationError(
                _("%(sector)s has sub-sectors of its own, so it cannot be a sub-sector."),
                params={"sector": self},
            )})

    @property
    def is_top_level(self) -> bool:
        return self.parent_id is None

    @property
    def r4v_name(self) -> str:
        """Return the name R4V's regional lists use: the regional name, else the English one."""
        return self.regional_name or self.name_en


class PlanQuerySet(models.QuerySet):
    def in_force(self, month: dt.date) -> Plan | None:
        """Return the plan in force in `month`: the one with the latest first month on or
        before it; for a month before every plan (historic data), the first plan."""
        return (self.filter(first_month__lte=month).order_by("-first_month").first()
                or self.order_by("first_month").first())

    def in_force_pk(self, month: dt.date) -> Coalesce:
        """Return the primary key of the plan in force in `month` as an SQL expression, so
        that a query can filter on it without a query of its own."""
        return Coalesce(
            Subquery(self.filter(first_month__lte=month).order_by("-first_month").values("pk")[:1]),
            Subquery(self.order_by("first_month").values("pk")[:1]),
        )


class Plan(Bilingual):
    """An RMRP plan period (2023–2024, 2025–2026…): its indicators apply from its first month
    until the next plan's. Sectors are shared by every plan."""

    code = models.CharField(_("code"), max_length=20, unique=True,
                            help_text=_("The plan's years, as “2023-2024”."))
    first_month = models.DateField(_("first month"), unique=True,
                                   help_text=_("The first day of the plan's first month."))

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["first_month"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.first_month and self.first_month.day != 1:
            raise ValidationError({"first_month": _("A plan starts on the first day of a month.")})


class IndicatorUnit(models.TextChoices):
    PEOPLE = "people", _("people")
    HOUSEHOLDS = "households", _("households")
    KITS = "kits", _("kits")
    SESSIONS = "sessions", _("sessions")
    CONSULTATIONS = "consultations", _("consultations")
    ITEMS = "items", _("items")
    ORGANISATIONS = "organisations", _("organisations")


class IndicatorType(models.TextChoices):
    """R4V's indicator types (DESIGN §6): what an indicator measures, and so whether its
    beneficiaries count as people reached (Direct Assistance only)."""

    DIRECT_ASSISTANCE = "direct", _("Direct Assistance")
    CAPACITY_BUILDING = "capacity", _("Capacity Building")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    MECHANISM_ADVOCACY = "mechanism", _("Mechanism/Advocacy")
    OTHER = "other", _("Other")


# R4V's own words for each type, untranslated, as its regional 5W and its lists write them.
R4V_INDICATOR_TYPES = {
    IndicatorType.DIRECT_ASSISTANCE: "Direct Assistance",
    IndicatorType.CAPACITY_BUILDING: "Capacity Building",
    IndicatorType.INFRASTRUCTURE: "Infrastructure",
    IndicatorType.MECHANISM_ADVOCACY: "Mechanism/Advocacy",
    IndicatorType.OTHER: "Other",
}


# The modalities an indicator's name points to, when its file does not say (seed files and
# new plans without a `modalities` column): cash and vouchers for what names them, in kind for
# kits, baskets, meals and tickets, service or in kind for equipment, supplies and transport,
# service otherwise. Migration 0013 applies a frozen copy of this rule.
_CASH_WORDS = ("cash", "voucher", "seed capital")
_IN_KIND_WORDS = ("in-kind", "basket", "hot meals", "non-food", "tickets")
_SERVICE_OR_KIND_WORDS = ("equipment", "supplies", "supplementation", "improvements",
                          "transportation", "safe water", "livelihoods")


def modalities_from_name(name_en: str, unit: str = "people") -> list[str]:
    """Return the modalities (codes, in the choices' order) an indicator called `name_en`
    plausibly allows."""
    text = (name_en or "").lower()
    if any(word in text for word in _CASH_WORDS):
        return ["cash", "voucher"]
    if (unit == "kits" or re.search(r"\bkits?\b", text)
            or any(word in text for word in _IN_KIND_WORDS)):
        return ["in_kind"]
    if any(word in text for word in _SERVICE_OR_KIND_WORDS):
        return ["service", "in_kind"]
    return ["service"]


class ModalitiesField(models.JSONField):
    """A list of modality codes (a JSON list on SQLite and PostgreSQL alike), edited as
    check boxes; at least one, each a known modality, kept in the choices' order."""

    def deconstruct(self):
        # Migrations store a plain JSONField: they import nothing of the project.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def formfield(self, **kwargs):
        from django import forms

        return forms.TypedMultipleChoiceField(
            choices=Modality.choices, required=not self.blank, label=self.verbose_name,
            help_text=self.help_text, widget=forms.CheckboxSelectMultiple,
        )

    def validate(self, value, model_instance) -> None:
        super().validate(value, model_instance)
        if not isinstance(value, list) or any(code not in Modality.values for code in value):
            raise ValidationError(msg.MODALITIES_UNKNOWN, params={
                "values": ", ".join(map(str, value if isinstance(value, list) else [value])),
                "allowed": ", ".join(Modality.values)})

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, list | tuple):
            value = [code for code in Modality.values if code in value]
            setattr(model_instance, self.attname, value)
        return value


class IndicatorQuerySet(models.QuerySet):
    def for_sector(self, sector: Sector) -> IndicatorQuerySet:
        """Return the indicators of `sector` and of its sub-sectors."""
        return self.filter(Q(sector=sector) | Q(sector__parent=sector))

    def in_force(self, month: dt.date) -> IndicatorQuerySet:
        """Return the indicators of the plan in force in `month` (no query of its own)."""
        return self.filter(plan=Plan.objects.in_force_pk(month))


class Indicator(Bilingual):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="indicators"
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("Unique within its plan."))
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, related_name="indicators"
    )
    unit = models.CharField(
        _("unit"), max_length=20, choices=IndicatorUnit.choices, default=IndicatorUnit.PEOPLE
    )
    type = models.CharField(
        _("type"), max_length=20, choices=IndicatorType.choices,
        default=IndicatorType.DIRECT_ASSISTANCE,
        help_text=_(
            "R4V's indicator type. Only Direct Assistance counts people reached; trainings of "
            "staff are Capacity Building, awareness sessions and campaigns Mechanism/Advocacy."
        ),
    )
    modalities = ModalitiesField(
        _("allowed modalities"), default=list,
        help_text=_("How this indicator's assistance may be delivered; a line's modality must "
                    "be one of these."),
    )
    active = models.BooleanField(_("active"), default=True)
    regional_name = models.CharField(
        _("regional name"), max_length=255, blank=True,
        help_text=_("The name R4V's regional lists use, when it differs from the English name."),
    )
    successor = models.ForeignKey(
        "self", verbose_name=_("successor"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="predecessors",
        help_text=_("The indicator of a later plan that continues this one, so that its series "
                    "runs across plans."),
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sector__order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="reporting_indicator_code_unique_in_plan",
                violation_error_message=_("This plan already has an indicator with this code."),
            ),
            models.CheckConstraint(
                condition=Q(unit__in=IndicatorUnit.values), name="reporting_indicator_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(type__in=IndicatorType.values), name="reporting_indicator_type_valid"
            ),
            models.CheckConstraint(
                condition=~Q(type=IndicatorType.DIRECT_ASSISTANCE) | Q(unit=IndicatorUnit.PEOPLE),
                name="reporting_indicator_direct_assistance_in_people",
                violation_error_message=_(
                    "A Direct Assistance indicator is counted in people."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def measures_people(self) -> bool:
        return self.unit == IndicatorUnit.PEOPLE

    def clean(self) -> None:
        if self.pk and isinstance(self.modalities, list):
            stranded = set(self.lines.exclude(modality__in=self.modalities)
                           .values_list("modality", flat=True).distinct())
            labels = [str(Modality(code).label) for code in Modality.values if code in stranded]
            if labels:
                raise ValidationError({"modalities": ValidationError(
                    msg.MODALITIES_IN_USE, params={"modalities": ", ".join(labels)})})

    def allows(self, modality: str) -> bool:
        return modality in (self.modalities or ())

    def modality_labels(self) -> str:
        """Return the allowed modalities' names in the page's language, joined."""
        return ", ".join(str(label) for code, label in Modality.choices
                         if code in (self.modalities or ()))

    @property
    def r4v_name(self) -> str:
        """Return the name R4V's regional lists use: the regional name, else the English one."""
        return self.regional_name or self.name_en

    def series(self) -> list[Indicator]:
        """Return this indicator and its predecessors in earlier plans, latest first, so that
        a series can run across plans (one query per plan)."""
        chain, frontier = [self], [self.pk]
        while frontier:
            earlier = list(type(self).objects.filter(successor__in=frontier)
                           .exclude(pk__in=[i.pk for i in chain]))
            chain.extend(earlier)
            frontier = [i.pk for i in earlier]
        return chain

    @property
    def counts_people(self) -> bool:
        """Whether its beneficiaries count toward people reached (DESIGN §4): Direct Assistance."""
        return self.type == IndicatorType.DIRECT_ASSISTANCE


class LocationLevel(models.TextChoices):
    DEPARTMENT = "department", _("department")
    PROVINCE = "province", _("province")
    DISTRICT = "district", _("district")


def normalise_ubigeo(code: str) -> str:
    """Return the INEI code of a ubigeo written as `15`, `PE15`, `150000` or `1501 `."""
    code = (code or "").strip().upper()
    if code.startswith("PE"):
        code = code[2:]
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    if len(code) in (1, 3, 5) and code.isdigit():
        # Spreadsheets drop leading zeros: 1 is Amazonas (01).
        return code.zfill(len(code) + 1)
    return code


class LocationQuerySet(models.QuerySet):
    def departments(self) -> LocationQuerySet:
        return self.filter(level=LocationLevel.DEPARTMENT)

    def by_code(self, code: str) -> Location:
        return self.get(code=normalise_ubigeo(code))


class Location(models.Model):
    code = models.CharField(_("ubigeo (INEI)"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(_("level"), max_length=10, choices=LocationLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    regional_name = models.CharField(
        _("regional name"), max_length=255, blank=True,
        help_text=_("Departments only: the name R4V's regional lists use, when it differs from "
                    "this one."),
    )

    objects = LocationQuerySet.as_manager()

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level=LocationLevel.DEPARTMENT, parent__isnull=True, code__length=2)
                    | Q(level=LocationLevel.PROVINCE, parent__isnull=False, code__length=4)
                    | Q(level=LocationLevel.DISTRICT, parent__isnull=False, code__length=6)
                ),
                name="reporting_location_level_shape",
                violation_error_message=_(
                    "A department has a 2-digit code and no parent; a province 4 digits, a "
                    "district 6, each inside its parent."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.regional_name and self.level != LocationLevel.DEPARTMENT:
            raise ValidationError({"regional_name": _(
                "Only a department has a regional name: R4V's lists stop at departments.")})

    @property
    def r4v_name(self) -> str:
        """Return the name R4V's regional lists use: the regional name, else the name."""
        return self.regional_name or self.name

    def lies_in(self, other: Location) -> bool:
        """Return whether this location is `other` or inside it."""
        return self.code.startswith(other.code)


MONTH_CODE = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(code: str) -> dt.date | None:
    """Return the first day of the month written `code` ("2023-09"), or None if `code` is not
    a month written YYYY-MM: the one way pages, URLs and commands name a month."""
    match = MONTH_CODE.fullmatch((code or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) == 0:
        return None
    return dt.date(int(match[1]), int(match[2]), 1)


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("open")
    LOCKED = "locked", _("locked")


class ReportingPeriodQuerySet(models.QuerySet):
    def current(self, today: dt.date | None = None) -> ReportingPeriod | None:
        """Return the period partners are reporting on now: the latest open month that has
        begun, else the latest period of all."""
        today = today or timezone.localdate()
        started = self.filter(month__lte=today)
        return (
            started.filter(status=PeriodStatus.OPEN).order_by("-month").first()
            or started.order_by("-month").first()
            or self.order_by("month").first()
        )

    def of_code_or_current(self, code: str) -> ReportingPeriod | None:
        """Return the period of `code` (YYYY-MM) when there is one, else the current one: what
        a page's month selector shows for whatever its `period` parameter says."""
        month = parse_month(code or "")
        period = self.filter(month=month).first() if month else None
        return period or self.current()


class ReportingPeriod(models.Model):
    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    deadline = models.DateField(_("deadline"), help_text=_("Last day to report on time."))
    lock_date = models.DateField(
        _("planned lock date"),
        null=True,
        blank=True,
        help_text=_("When the IM team plans to lock the period. Locking is done by hand."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("status changed by"),
    )

    objects = ReportingPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PeriodStatus.values), name="reporting_period_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=F("month")),
                name="reporting_period_deadline_after_month",
                violation_error_message=_("The deadline cannot come before the month starts."),
            ),
        ]

    def __str__(self) -> str:
        return date_format(self.month, "F Y").capitalize()

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("A period starts on the first day of a month.")})

    @property
    def is_locked(self) -> bool:
        return self.status == PeriodStatus.LOCKED

    @property
    def code(self) -> str:
        return self.month.strftime("%Y-%m")

    def days_to_deadline(self, today: dt.date | None = None) -> int:
        return (self.deadline - (today or timezone.localdate())).days


class PeriodEvent(models.Model):
    class Action(models.TextChoices):
        LOCK = "lock", pgettext_lazy("someone … the period", "locked")
        UNLOCK = "unlock", pgettext_lazy("someone … the period", "unlocked")

    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="events", verbose_name=_("period")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("period lock event")
        verbose_name_plural = _("period lock events")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="unlock") | ~Q(reason=""),
                name="reporting_periodevent_unlock_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_action_display()}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned")
    APPROVED = "approved", _("approved")
    REOPENED = "reopened", _("reopened")


EDITABLE_STATUSES = frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED, ReportStatus.REOPENED})


class MonthlyReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> MonthlyReportQuerySet:
        """Return the reports `user` may see: their organisation's; for a coordinator, the
        submitted and reviewed reports of their sectors; for an IM officer, all."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_im_officer:
            return self.all()
        if user.is_partner_user:
            return self.filter(organisation_id=user.organisation_id)
        if user.is_coordinator:
            return self.reviewable_by(user)
        return self.none()

    def reviewable_by(self, user) -> MonthlyReportQuerySet:
        """Return the reports `user` reviews in the admin. Drafts stay with the partner."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_im_officer:
            return self.all()
        if not user.is_coordinator:
            return self.none()
        return self.filter(sector__in=Sector.objects.reviewable_by(user)).exclude(
            status=ReportStatus.DRAFT
        )

    def approved(self) -> MonthlyReportQuerySet:
        return self.filter(status=ReportStatus.APPROVED)

    def with_line_count(self) -> MonthlyReportQuerySet:
        return self.annotate(line_count=Count("lines"))

    def with_lines_in(self, department: Location) -> MonthlyReportQuerySet:
        """Return the reports with at least one line in `department`."""
        return self.filter(
            Exists(ActivityLine.objects.filter(report=OuterRef("pk"), department=department))
        )


class MonthlyReport(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="reports",
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    is_nil = models.BooleanField(
        _("no activities this month"),
        default=False,
        help_text=_("A nil report: the organisation reported that it had no activities."),
    )
    status_reason = models.TextField(
        _("reason"), blank=True, help_text=_("Why the report was last returned or reopened.")
    )
    first_submitted_at = models.DateTimeField(
        _("first submitted at"), null=True, blank=True,
        help_text=_("When the report first reached the coordinators: on time or late."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, verbose_name=_("submitted by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, verbose_name=_("reviewed by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-period__month", spanish("organisation__short_name"), "sector__order"]
        permissions = [
            ("review_monthlyreport", _("Can approve and return submitted reports")),
            ("reopen_monthlyreport", _("Can reopen approved reports")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sector", "period"],
                name="reporting_monthlyreport_one_per_org_sector_period",
                violation_error_message=_(
                    "This organisation already has a report for this sector and month."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values),
                name="reporting_monthlyreport_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ReportStatus.RETURNED, ReportStatus.REOPENED])
                | ~Q(status_reason=""),
                name="reporting_monthlyreport_return_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="reporting_report_period_status")]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.sector} · {self.period}"

    @property
    def is_editable(self) -> bool:
        """Whether partners may change the lines now (status and period both allow it)."""
        return self.status in EDITABLE_STATUSES and not self.period.is_locked

    def is_owned_by(self, user) -> bool:
        return bool(user.is_partner_user and user.organisation_id == self.organisation_id)

    def submitted_late(self) -> bool:
        """Whether the first submission came after the deadline (a fix sent after a return
        does not make an on-time report late)."""
        first = self.first_submitted_at or self.submitted_at
        return bool(first and timezone.localdate(first) > self.period.deadline)


class PopulationType(models.TextChoices):
    DESTINATION = "destination", _("In destination")
    TRANSIT = "transit", _("In transit")
    HOST = "host", _("Host community")
    PENDULAR = "pendular", _("Pendular")
    RETURNEE = "returnee", _("Returnees")


class Modality(models.TextChoices):
    SERVICE = "service", _("Service")
    IN_KIND = "in_kind", _("In kind")
    CASH = "cash", _("Cash")
    VOUCHER = "voucher", _("Voucher")


CASH_MODALITIES = frozenset({Modality.CASH, Modality.VOUCHER})


class DeliveryMechanism(models.TextChoices):
    """How cash or vouchers reached the people (R4V's list, DESIGN §6)."""

    BANK_ACCOUNT = "bank_account", _("Beneficiary bank account")
    MOBILE_MONEY = "mobile_money", _("Mobile money")
    PREPAID_CARD = "prepaid_card", _("Prepaid card")
    OVER_THE_COUNTER = "otc", _("Cash collection over the counter (OTC)")
    CASH_IN_HAND = "cash_in_hand", _("Direct cash (cash in hand)")
    CARDLESS_ATM = "cardless_atm", _("Cardless ATM withdrawal")
    VOUCHER = "voucher", _("Voucher")
    OTHER = "other", _("Other")


# R4V's own words for each mechanism, untranslated, as its regional 5W writes them.
R4V_DELIVERY_MECHANISMS = {
    DeliveryMechanism.BANK_ACCOUNT: "Beneficiary Bank Account",
    DeliveryMechanism.MOBILE_MONEY: "Mobile Money",
    DeliveryMechanism.PREPAID_CARD: "Prepaid Card",
    DeliveryMechanism.OVER_THE_COUNTER: "Cash Collection Over the Counter (OTC)",
    DeliveryMechanism.CASH_IN_HAND: "Direct Cash (Cash in Hand)",
    DeliveryMechanism.CARDLESS_ATM: "Cardless ATM Withdrawal",
    DeliveryMechanism.VOUCHER: "Voucher",
    DeliveryMechanism.OTHER: "Other",
}
# The six sex-and-age figures of R4V's regional 5W (DESIGN §6), then the "other" people whose
# age was never recorded (lines written before "other" was split by age: kept, never guessed).
SEX_AND_AGE_FIELDS = ("girls", "boys", "women", "men", "other_under_18", "other_adults")
DISAGGREGATION_FIELDS = (*SEX_AND_AGE_FIELDS, "other_unknown_age")
# More people than this in one line is a typing error, not a month of activity (Peru hosts about
# 1.5 million refugees and migrants from Venezuela).
MAX_PEOPLE = 2_000_000
PLAUSIBLE = [MaxValueValidator(MAX_PEOPLE, message=msg.IMPLAUSIBLE)]


class ActivityLineQuerySet(models.QuerySet):
    def visible_to(self, user) -> ActivityLineQuerySet:
        """Return the lines of the reports `user` may see (MonthlyReportQuerySet.visible_to):
        every line for an IM officer, without a subquery the database would check a million
        lines against."""
        if user.is_authenticated and user.is_active and user.is_im_officer:
            return self.all()
        return self.filter(report__in=MonthlyReport.objects.visible_to(user))

    def with_changed_at(self) -> ActivityLineQuerySet:
        """Annotate `changed_at`: when the line or its report's status last changed."""
        return self.annotate(changed_at=Greatest("updated_at", "report__updated_at"))

    def approved(self) -> ActivityLineQuerySet:
        return self.filter(report__status=ReportStatus.APPROVED)

    def counting_people(self) -> ActivityLineQuerySet:
        """Return the lines whose people count (DESIGN §4): RMRP activities of Direct
        Assistance indicators (whatever their report's status)."""
        return self.filter(indicator__type=IndicatorType.DIRECT_ASSISTANCE, rmrp_activity=True)

    def with_related(self) -> ActivityLineQuerySet:
        """Fetch what a table of lines shows, in the same query."""
        return self.select_related(
            "indicator", "department", "location__parent", "implementing_partner"
        )


class ActivityLine(models.Model):
    report = models.ForeignKey(
        MonthlyReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="lines"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="lines"
    )
    department = models.ForeignKey(
        Location, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+",
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+",
        help_text=_("The most precise place: the department itself, a province or a district."),
    )
    population_type = models.CharField(
        _("population type"), max_length=12, choices=PopulationType.choices
    )
    modality = models.CharField(_("modality"), max_length=10, choices=Modality.choices)
    implementing_partner = models.ForeignKey(
        Organisation, verbose_name=_("implementing partner"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="implemented_lines",
        help_text=_("Leave empty when the reporting organisation implemented it itself."),
    )
    girls = models.PositiveIntegerField(_("girls (0–17)"), default=0, validators=PLAUSIBLE)
    boys = models.PositiveIntegerField(_("boys (0–17)"), default=0, validators=PLAUSIBLE)
    women = models.PositiveIntegerField(_("women (18+)"), default=0, validators=PLAUSIBLE)
    men = models.PositiveIntegerField(_("men (18+)"), default=0, validators=PLAUSIBLE)
    other_under_18 = models.PositiveIntegerField(_("other (0–17)"), default=0, validators=PLAUSIBLE)
    other_adults = models.PositiveIntegerField(_("other (18+)"), default=0, validators=PLAUSIBLE)
    other_unknown_age = models.PositiveIntegerField(
        _("other, age not recorded"), default=0, validators=PLAUSIBLE,
        help_text=_("Recorded before “other” was split by age: move these people into other "
                    "(0–17) or other (18+)."),
    )
    new_beneficiaries = models.PositiveIntegerField(
        _("new beneficiaries"),
        default=0,
        validators=PLAUSIBLE,
        help_text=_("Reached for the first time this year by your organisation in this sector."),
    )
    total_monthly = models.PositiveIntegerField(
        _("total monthly beneficiaries"),
        default=0,
        validators=PLAUSIBLE,
        help_text=_("Everyone reached this month, repeats included."),
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), null=True, blank=True, validators=PLAUSIBLE,
        help_text=_("For indicators counted in kits, sessions and other units."),
    )
    cash_usd = models.DecimalField(
        _("cash transferred (USD)"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0, message=msg.NEGATIVE_VALUE)],
    )
    delivery_mechanism = models.CharField(
        _("delivery mechanism"), max_length=20, choices=DeliveryMechanism.choices, blank=True,
        help_text=_("For cash and voucher lines: how the transfer reached the people."),
    )
    activity_name = models.CharField(
        _("activity name"), max_length=100, blank=True,
        help_text=_("Optional: a short name for the activity, beside its description."),
    )
    description = models.TextField(_("description"), blank=True)
    rmrp_activity = models.BooleanField(
        _("RMRP activity"), default=True,
        help_text=_("Part of the Regional Refugee and Migrant Response Plan. Only RMRP "
                    "activities count toward people reached."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        User, verbose_name=_("updated by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    objects = ActivityLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity line")
        verbose_name_plural = _("activity lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    new_beneficiaries=F("girls") + F("boys") + F("women") + F("men")
                    + F("other_under_18") + F("other_adults") + F("other_unknown_age")
                ),
                name="reporting_activityline_disaggregation_sums_to_new",
                violation_error_message=msg.DISAGGREGATION_MISMATCH,
            ),
            models.CheckConstraint(
                condition=Q(total_monthly__gte=F("new_beneficiaries")),
                name="reporting_activityline_total_at_least_new",
            ),
            models.CheckConstraint(
                condition=Q(cash_usd__isnull=True) | Q(modality__in=CASH_MODALITIES),
                name="reporting_activityline_cash_only_for_cash_modality",
            ),
            models.CheckConstraint(
                condition=Q(cash_usd__isnull=True) | Q(cash_usd__gte=0),
                name="reporting_activityline_cash_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(population_type__in=PopulationType.values),
                name="reporting_activityline_population_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(modality__in=Modality.values),
                name="reporting_activityline_modality_valid",
            ),
            # Empty is "not recorded": cash lines written before the mechanism was asked for.
            models.CheckConstraint(
                condition=Q(delivery_mechanism="")
                | Q(delivery_mechanism__in=DeliveryMechanism.values,
                    modality__in=sorted(CASH_MODALITIES)),
                name="reporting_activityline_mechanism_only_for_cash",
            ),
            models.CheckConstraint(
                condition=~Q(modality=Modality.VOUCHER)
                | Q(delivery_mechanism=DeliveryMechanism.VOUCHER),
                name="reporting_activityline_voucher_mechanism",
            ),
            # One line per indicator × place × population × modality × implementer; two
            # partial constraints because NULL implementers never clash in a plain one.
            models.UniqueConstraint(
                fields=["report", "indicator", "location", "population_type", "modality",
                        "implementing_partner"],
                condition=Q(implementing_partner__isnull=False),
                name="reporting_activityline_unique_with_partner",
            ),
            models.UniqueConstraint(
                fields=["report", "indicator", "location", "population_type", "modality"],
                condition=Q(implementing_partner__isnull=True),
                name="reporting_activityline_unique_direct",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "population_type"], name="reporting_line_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} · {self.location} · {self.get_population_type_display()}"

    @property
    def province(self) -> Location | None:
        if self.location.level == LocationLevel.PROVINCE:
            return self.location
        if self.location.level == LocationLevel.DISTRICT:
            return self.location.parent
        return None

    @property
    def district(self) -> Location | None:
        return self.location if self.location.level == LocationLevel.DISTRICT else None

    def clean(self) -> None:
        """Check the rules of one line; every error is attached to the field it concerns."""
        errors = self.row_errors()
        if not errors and self.report_id and self.indicator_id and self.location_id:
            duplicate = self._duplicate()
            if duplicate is not None:
                errors[NON_FIELD_ERRORS] = [
                    ValidationError(msg.DUPLICATE_LINE, params={"line": duplicate})
                ]
        if errors:
            raise ValidationError(errors)

    def row_errors(
        self, *, sector: Sector | None = None, accept_inactive: bool = False,
        require_mechanism: bool = True, accept_any_modality: bool = False,
    ) -> dict[str, list[ValidationError]]:
        """Return the rules this line breaks on its own, by field (empty when it is valid).

        `sector` is the sector of the report it goes to (default: its report's), so a line
        can be checked before its report exists. Nothing is queried for a new line whose
        indicator (with its sector), department and location are set: the spreadsheet
        import checks thousands of lines this way. `accept_inactive` lets an indicator no
        longer in use through, `require_mechanism=False` a cash line without its delivery
        mechanism, and `accept_any_modality` a modality its indicator does not allow (historic
        data loaded as it was reported)."""
        errors: dict[str, list[ValidationError]] = {}

        def add(field: str, message, **params) -> None:
            errors.setdefault(field, []).append(ValidationError(message, params=params or None))

        counts = [getattr(self, name) for name in DISAGGREGATION_FIELDS]
        numbers_ok = all(isinstance(n, int) and n >= 0 for n in counts) and all(
            isinstance(n, int) and n >= 0 for n in (self.new_beneficiaries, self.total_monthly)
        )
        if numbers_ok:
            if sum(counts) != self.new_beneficiaries:
                add("new_beneficiaries", msg.DISAGGREGATION_MISMATCH,
                    new=self.new_beneficiaries, sum=sum(counts))
            if self.total_monthly < self.new_beneficiaries:
                add("total_monthly", msg.TOTAL_BELOW_NEW,
                    total=self.total_monthly, new=self.new_beneficiaries)

        if self.cash_usd is not None and self.modality not in CASH_MODALITIES:
            add("cash_usd", msg.CASH_WITHOUT_CASH_MODALITY,
                modality=Modality(self.modality).label if self.modality in Modality.values
                else self.modality)
        elif self.cash_usd is None and self.modality in CASH_MODALITIES:
            add("cash_usd", msg.CASH_REQUIRED)
        self._check_mechanism(add, require_mechanism)

        if sector is None and self.report_id:
            sector = self.report.sector
        indicator = self.indicator if self.indicator_id else None
        if indicator is not None:
            self._check_indicator(indicator, sector, accept_inactive, add)
            if (not accept_any_modality and self.modality in Modality.values
                    and not indicator.allows(self.modality)):
                add("modality", msg.MODALITY_NOT_ALLOWED, indicator=indicator.code,
                    modality=Modality(self.modality).label, allowed=indicator.modality_labels())

        if self.department_id and self.location_id:
            department, location = self.department, self.location
            if department.level != LocationLevel.DEPARTMENT:
                add("department", msg.NOT_A_DEPARTMENT, location=department)
            elif not location.lies_in(department):
                add("location", msg.LOCATION_OUTSIDE_DEPARTMENT,
                    location=location, department=department)
        return errors

    def _check_mechanism(self, add, required: bool) -> None:
        mechanism = self.delivery_mechanism
        if self.modality == Modality.VOUCHER:
            if mechanism != DeliveryMechanism.VOUCHER:
                add("delivery_mechanism", msg.MECHANISM_OF_VOUCHER)
        elif self.modality == Modality.CASH:
            if not mechanism and required:
                add("delivery_mechanism", msg.MECHANISM_REQUIRED)
        elif mechanism and self.modality in Modality.values:
            add("delivery_mechanism", msg.MECHANISM_NOT_APPLICABLE,
                modality=Modality(self.modality).label)

    def _check_indicator(
        self, indicator: Indicator, sector: Sector | None, accept_inactive: bool, add
    ) -> None:
        elsewhere = sector is not None and indicator.sector_id != sector.pk
        if elsewhere and indicator.sector.parent_id != sector.pk:
            add("indicator", msg.INDICATOR_OUTSIDE_SECTOR, indicator=indicator.code,
                indicator_sector=indicator.sector, sector=sector)
        if (not indicator.active and not accept_inactive
                and (self._state.adding or self._indicator_changed())):
            add("indicator", msg.INDICATOR_INACTIVE, indicator=indicator.code)
        if indicator.measures_people:
            if self.quantity is not None:
                add("quantity", msg.QUANTITY_NOT_APPLICABLE, indicator=indicator.code)
            if isinstance(self.total_monthly, int) and self.total_monthly == 0:
                add("total_monthly", msg.NOTHING_REACHED)
        elif not self.quantity:
            add("quantity", msg.QUANTITY_REQUIRED, indicator=indicator.code,
                unit=indicator.get_unit_display())

    def _indicator_changed(self) -> bool:
        stored = type(self).objects.filter(pk=self.pk).values_list("indicator_id", flat=True).first()
        return stored != self.indicator_id

    def _duplicate(self) -> int | None:
        """Return the number (position in the report) of a line this one would duplicate."""
        siblings = type(self).objects.filter(
            report_id=self.report_id,
            indicator_id=self.indicator_id,
            location_id=self.location_id,
            population_type=self.population_type,
            modality=self.modality,
            implementing_partner_id=self.implementing_partner_id,
        ).exclude(pk=self.pk)
        clash = siblings.values_list("pk", flat=True).first()
        if clash is None:
            return None
        return type(self).objects.filter(report_id=self.report_id, pk__lte=clash).count()

    # The check constraints whose rule clean() (row_errors) and the fields' own validation
    # already check in Python, with the message on the field concerned. Django would check
    # each again with a query of its own, on every save; the database still enforces them.
    CHECKED_IN_PYTHON = frozenset({
        "reporting_activityline_disaggregation_sums_to_new",  # row_errors: new_beneficiaries
        "reporting_activityline_total_at_least_new",  # row_errors: total_monthly
        "reporting_activityline_cash_only_for_cash_modality",  # row_errors: cash_usd
        "reporting_activityline_cash_not_negative",  # the field's MinValueValidator
        "reporting_activityline_population_type_valid",  # the field's choices
        "reporting_activityline_modality_valid",  # the field's choices
        "reporting_activityline_mechanism_only_for_cash",  # row_errors: delivery_mechanism
        "reporting_activityline_voucher_mechanism",  # row_errors: delivery_mechanism
    })

    def get_constraints(self):
        return [
            (model, [c for c in constraints if c.name not in self.CHECKED_IN_PYTHON])
            for model, constraints in super().get_constraints()
        ]

    def validate_constraints(self, exclude=None) -> None:
        # clean() reports a duplicate with the line it clashes with; the unique constraints
        # (the only ones that involve `report`) stay as the database's guard.
        super().validate_constraints(exclude=set(exclude or ()) | {"report"})


class ReviewEvent(models.Model):
    class Action(models.TextChoices):
        # Labels read after a name in the history: "Ana approved".
        SUBMIT = "submit", pgettext_lazy("someone … the report", "submitted")
        DECLARE_NIL = "declare_nil", pgettext_lazy("someone … the report", "declared no activities")
        WITHDRAW = "withdraw", pgettext_lazy("someone … the report", "withdrew the submission")
        APPROVE = "approve", pgettext_lazy("someone … the report", "approved")
        RETURN = "return", pgettext_lazy("someone … the report", "returned")
        REOPEN = "reopen", pgettext_lazy("someone … the report", "reopened")

    report = models.ForeignKey(
        MonthlyReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=10, choices=ReportStatus.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=ReportStatus.choices)
    by = models.ForeignKey(User, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action__in=["return", "reopen"]) | ~Q(reason=""),
                name="reporting_reviewevent_reason_for_return_and_reopen",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.get_action_display()}"


class LineChange(models.Model):
    """One entry of the audit trail of activity lines: who changed what, and when."""

    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("someone … a line", "added")
        UPDATE = "update", pgettext_lazy("someone … a line", "changed")
        DELETE = "delete", pgettext_lazy("someone … a line", "deleted")
        IMPORT = "import", pgettext_lazy("someone … a line", "replaced by a spreadsheet upload")

    report = models.ForeignKey(
        MonthlyReport, verbose_name=_("report"), on_delete=models.CASCADE,
        related_name="line_changes",
    )
    line_id = models.BigIntegerField(_("line id"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    summary = models.CharField(_("line"), max_length=255)
    changes = models.JSONField(
        _("changes"), default=dict, blank=True,
        help_text=_("Field name → [before, after]; for an added or deleted line, its values."),
    )
    by = models.ForeignKey(User, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("line change")
        verbose_name_plural = _("line changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.display_summary()} {self.get_action_display()}"

    def display_summary(self) -> str:
        """The line, or for an upload what it did, in the reader's language: an upload's counts
        are kept as data in `changes` and worded at display time, never stored as a sentence."""
        if self.action == self.Action.IMPORT and "added" in self.changes:
            return str(msg.IMPORT_SUMMARY % {
                "added": self.changes["added"], "removed": self.changes.get("removed", 0),
            })
        return self.summary

    def readable_changes(self) -> list[tuple[str, object, object]]:
        """Return (field label, before, after) for display; before is None for an added line."""
        rows = []
        for field_name, value in self.changes.items():
            try:
                field = ActivityLine._meta.get_field(field_name)
            except FieldDoesNotExist:  # a field since removed: show its raw name
                rows.append((field_name, *_before_after(self.action, value)))
                continue
            before, after = _before_after(self.action, value)
            rows.append((str(field.verbose_name), _readable(field, before),
                         _readable(field, after)))
        return rows


def _readable(field: models.Field, value) -> object:
    """A value of the trail as the reader reads it: a choice's label, yes or no, a figure
    in the reader's number format; None for nothing, so that it shows as a dash."""
    if value is None or value == "":
        return None
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(field, (models.IntegerField, models.DecimalField)):
        try:
            return number_format(Decimal(str(value)), force_grouping=True)
        except ArithmeticError:  # a value written by hand into the trail: show it as it is
            return value
    return value


def _before_after(action: str, value) -> tuple[object, object]:
    if action == LineChange.Action.UPDATE:
        return value[0], value[1]
    if action == LineChange.Action.CREATE:
        return None, value
    return value, None


class FundingOrigin(models.TextChoices):
    TYPED = "typed", _("typed in")
    FTS_API = "fts_api", _("FTS, from its API")
    FTS_FILE = "fts_file", _("FTS, from its CSV download")
    OVERRIDE = "override", _("typed in, overriding FTS")


class KeyFigures(models.Model):
    """The context figures of a month's situation report, entered by an IM officer: how many
    refugees and migrants live in Peru, and how much of the RMRP appeal is funded."""

    period = models.OneToOneField(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.CASCADE,
        related_name="key_figures",
    )
    refugees = models.PositiveIntegerField(
        _("refugees and migrants in Peru"), null=True, blank=True,
        help_text=_("Refugees and migrants from Venezuela living in Peru."),
    )
    refugees_source = models.CharField(_("source of the population figure"), max_length=255,
                                       blank=True)
    refugees_date = models.DateField(_("date of the population figure"), null=True, blank=True)
    funding_required_usd = models.DecimalField(
        _("RMRP requirement (USD)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    funding_received_usd = models.DecimalField(
        _("funds received (USD)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    funding_source = models.CharField(_("source of the funding figures"), max_length=255,
                                      blank=True, default="Financial Tracking System (FTS)")
    funding_date = models.DateField(_("date the funding figures were retrieved"), null=True,
                                    blank=True)
    funding_origin = models.CharField(
        _("where the funding figures come from"), max_length=20, choices=FundingOrigin.choices,
        default=FundingOrigin.TYPED,
    )
    funding_override_reason = models.TextField(
        _("reason for the override"), blank=True,
        help_text=_("Why the figures typed here replace FTS's (required to override them)."),
    )
    # FTS's own figures as last fetched, kept when an IM officer overrides them by hand.
    fts_plan_id = models.PositiveIntegerField(_("FTS plan id"), null=True, blank=True)
    fts_required_usd = models.DecimalField(
        _("requirement according to FTS (USD)"), max_digits=14, decimal_places=2, null=True,
        blank=True)
    fts_funded_usd = models.DecimalField(
        _("funding according to FTS (USD)"), max_digits=14, decimal_places=2, null=True,
        blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        User, verbose_name=_("updated by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("key figures")
        verbose_name_plural = _("key figures")
        ordering = ["-period__month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(funding_required_usd__isnull=True) | Q(funding_required_usd__gt=0),
                name="reporting_keyfigures_requirement_positive",
            ),
            models.CheckConstraint(
                condition=Q(funding_received_usd__isnull=True) | Q(funding_received_usd__gte=0),
                name="reporting_keyfigures_received_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(funding_origin__in=FundingOrigin.values),
                name="reporting_keyfigures_funding_origin_valid",
            ),
            models.CheckConstraint(
                condition=~Q(funding_origin=FundingOrigin.OVERRIDE) | ~Q(funding_override_reason=""),
                name="reporting_keyfigures_override_has_reason",
                violation_error_message=_("Say why the figures typed replace FTS's."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.period)

    @property
    def funded_percent(self) -> int | None:
        """The share of the requirement funded, in whole per cent (as the sitrep prints it)."""
        if not self.funding_required_usd or self.funding_received_usd is None:
            return None
        share = Decimal(str(self.funding_received_usd)) * 100 / Decimal(str(self.funding_required_usd))
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class SectorFunding(models.Model):
    """One sector's requirement and funding in the month's key figures, as FTS gives them by
    cluster. A cluster FTS names that is none of our sectors, and FTS's "Not specified" funding,
    keep their FTS name with no sector: shown as their own rows, never dropped."""

    key_figures = models.ForeignKey(
        KeyFigures, verbose_name=_("key figures"), on_delete=models.CASCADE,
        related_name="sector_funding",
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    fts_name = models.CharField(_("name in FTS"), max_length=255)
    required_usd = models.DecimalField(_("requirement (USD)"), max_digits=14, decimal_places=2,
                                       null=True, blank=True)
    funded_usd = models.DecimalField(_("funding (USD)"), max_digits=14, decimal_places=2,
                                     null=True, blank=True)

    class Meta:
        verbose_name = _("sector funding")
        verbose_name_plural = _("sector funding")
        ordering = ["key_figures", "sector__order", "fts_name"]
        constraints = [
            models.UniqueConstraint(fields=["key_figures", "fts_name"],
                                    name="reporting_sectorfunding_one_row_per_name"),
        ]

    def __str__(self) -> str:
        return self.fts_name


class NarrativeKind(models.TextChoices):
    SITUATION = "situation", _("Situation overview")
    HIGHLIGHTS = "highlights", _("Sector highlights")
    COORDINATION = "coordination", _("Coordination")


class Narrative(models.Model):
    """A month's text for the situation report: the situation overview and the coordination
    notes (IM), or one sector's response highlights (its coordinators)."""

    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.CASCADE,
        related_name="narratives",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=NarrativeKind.choices)
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="narratives", help_text=_("For sector highlights only: a top-level sector."),
    )
    text_es = models.TextField(
        _("text (Spanish)"), blank=True,
        help_text=_("One paragraph per blank line; start a line with “- ” for a bullet and "
                    "wrap words in **double asterisks** for bold."),
    )
    text_en = models.TextField(_("text (English)"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        User, verbose_name=_("updated by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("narrative")
        verbose_name_plural = _("narratives")
        ordering = ["-period__month", "kind", "sector__order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=NarrativeKind.HIGHLIGHTS, sector__isnull=False)
                | (~Q(kind=NarrativeKind.HIGHLIGHTS) & Q(sector__isnull=True)),
                name="reporting_narrative_sector_iff_highlights",
                violation_error_message=_("Sector highlights name a sector; other texts do not."),
            ),
            models.UniqueConstraint(
                fields=["period", "kind"], condition=Q(sector__isnull=True),
                name="reporting_narrative_one_per_kind",
                violation_error_message=_("This month already has this text."),
            ),
            models.UniqueConstraint(
                fields=["period", "sector"], condition=Q(sector__isnull=False),
                name="reporting_narrative_one_per_sector",
                violation_error_message=_("This sector already has highlights for this month."),
            ),
        ]

    def __str__(self) -> str:
        label = self.sector.name if self.sector_id else self.get_kind_display()
        return f"{self.period} · {label}"

    def clean(self) -> None:
        if self.kind == NarrativeKind.HIGHLIGHTS and not self.sector_id:
            raise ValidationError({"sector": _("Choose the sector these highlights are for.")})
        if self.kind != NarrativeKind.HIGHLIGHTS and self.sector_id:
            raise ValidationError({"sector": _("Only sector highlights name a sector.")})
        if self.sector_id and self.sector.parent_id:
            raise ValidationError({"sector": _(
                "Write highlights for the top-level sector; sub-sectors report within it."
            )})

    @property
    def text(self) -> str:
        return spanish_or_english(self.text_es, self.text_en)


class SitrepEdition(models.Model):
    """A published situation report: its figures and texts frozen as they were when an IM
    officer published it, so later corrections never change what readers were given."""

    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.PROTECT,
        related_name="editions",
    )
    number = models.PositiveSmallIntegerField(_("edition"))
    data = models.JSONField(_("frozen report"))
    note = models.TextField(_("what this edition changes"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        User, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("situation report edition")
        verbose_name_plural = _("situation report editions")
        ordering = ["-period__month", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "number"], name="reporting_sitrepedition_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return _("%(period)s, edition %(number)s") % {"period": self.period, "number": self.number}


class ReminderKind(models.TextChoices):
    BEFORE_DEADLINE = "before", _("Before the deadline")
    OVERDUE = "overdue", _("After the deadline")
    COORDINATOR = "coordinator", _("To a coordinator, after the deadline")


class Reminder(models.Model):
    """One reminder email sent, so that a second run on the same day sends nothing twice."""

    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.CASCADE,
        related_name="reminders",
    )
    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReminderKind.choices)
    sent_on = models.DateField(_("sent on"))
    missing = models.JSONField(_("what was missing"), default=list)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "recipient", "sent_on"], name="reporting_reminder_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} · {self.recipient} · {self.sent_on}"


class NotificationKind(models.TextChoices):
    RETURNED = "returned", _("A report of my organisation is returned")
    APPROVED = "approved", _("A report of my organisation is approved")
    REOPENED = "reopened", _("A report of my organisation is reopened")
    LOCKED = "locked", _("A month is locked while my organisation's reports are pending")
    SUBMITTED = "submitted", _("Daily digest of the reports submitted in my sectors")


# Who may receive each kind: partners hear about their own reports, coordinators get the digest.
PARTNER_NOTIFICATIONS = (
    NotificationKind.RETURNED, NotificationKind.APPROVED, NotificationKind.REOPENED,
    NotificationKind.LOCKED,
)
COORDINATOR_NOTIFICATIONS = (NotificationKind.SUBMITTED,)


class NotificationQuerySet(models.QuerySet):
    def pending(self) -> NotificationQuerySet:
        """Return the notifications neither sent nor given up."""
        return self.filter(sent_at__isnull=True, abandoned_at__isnull=True)


class Notification(models.Model):
    """One e-mail owed to one person (the outbox): written in the transaction of the action
    that calls for it, sent after the commit or by `send_notifications`, so that a failed
    action sends nothing and a failed e-mail never undoes the action."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=NotificationKind.choices)
    report = models.ForeignKey(
        "MonthlyReport", verbose_name=_("report"), on_delete=models.CASCADE, null=True,
        blank=True, related_name="+",
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    language = models.CharField(_("language"), max_length=8)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    abandoned_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("e-mail notification")
        verbose_name_plural = _("e-mail notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(sent_at__isnull=True, abandoned_at__isnull=True),
                name="reporting_notification_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="reporting_notification_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.recipient} · {self.created_at:%Y-%m-%d %H:%M}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("waiting for confirmation")
    REJECTED = "rejected", _("has errors")
    APPLIED = "applied", _("saved")
    DISCARDED = "discarded", _("discarded")


class ImportBatch(models.Model):
    """One uploaded activity file, kept (in the database, never served) from its preview to
    its confirmation, so that what is saved is exactly what was previewed.

    A confirmed file is kept for good: the audit trail's "replaced by a spreadsheet upload"
    entries name it, and it is the only record of the lines it brought in once a later upload
    replaces them. An unconfirmed file is removed (reporting/sheets/uploads.py): the row stays, with
    its content emptied and its status DISCARDED, so that the person's list of uploads and an
    old preview link say what happened, and the hourly cap still counts it."""

    uploaded_by = models.ForeignKey(
        User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    as_approved = models.BooleanField(_("loaded as approved"), default=False)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    applied_at = models.DateTimeField(_("saved at"), null=True, blank=True)
    discarded_at = models.DateTimeField(_("file removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity upload")
        verbose_name_plural = _("activity uploads")
        ordering = ["-created_at"]
        indexes = [
            # A person's uploads of the last hour (the cap) and their recent uploads (the page).
            models.Index(fields=["uploaded_by", "created_at"], name="reporting_importbatch_by_when"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values),
                name="reporting_importbatch_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=ImportStatus.DISCARDED) | Q(discarded_at__isnull=False),
                name="reporting_importbatch_discarded_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} · {self.uploaded_by} · {self.created_at:%Y-%m-%d %H:%M}"


class CountedTotal(models.Model):
    """The approved people-counting lines (RMRP activities of Direct Assistance indicators),
    summed per period × report sector × indicator sector × department × population type × cash
    or not: what every figure of DESIGN §4 is computed from.

    Database triggers (reporting/numbers/totals.py, installed by migration 0004, changed by 0007)
    keep it equal to the sum of the lines in the same transaction as every change to lines,
    reports' status, period or sector, and indicators' sector or type, whichever path makes it
    (a form, the importer, the admin, a bulk update). The figures therefore never lag behind an approval, and
    a month's figures read a few thousand rows instead of every line. Nothing in Python writes
    to it; `rebuild_totals` recomputes it from scratch and `--check` compares it with the lines.
    """

    period = models.ForeignKey(ReportingPeriod, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    sector = models.ForeignKey(Sector, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+", help_text="The report's (top-level) sector.")
    indicator_sector = models.ForeignKey(
        Sector, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        help_text="The indicator's sector: a sub-sector, or the report's sector itself.",
    )
    department = models.ForeignKey(Location, on_delete=models.DO_NOTHING, db_constraint=False,
                                   related_name="+")
    population_type = models.CharField(max_length=20, choices=PopulationType.choices)
    cash = models.BooleanField(help_text="Cash or voucher lines (CBI).")
    line_count = models.IntegerField()
    total_monthly = models.BigIntegerField()
    new_beneficiaries = models.BigIntegerField()

    class Meta:
        verbose_name = _("counted total")
        verbose_name_plural = _("counted totals")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["period", "sector", "indicator_sector", "department", "population_type",
                        "cash"],
                name="reporting_countedtotal_key",
            ),
        ]
        # No index on the sums: an update that changes no indexed column is a HOT update on
        # PostgreSQL, which autovacuum cleans up cheaply (migration 0004 leaves room for it).

    def __str__(self) -> str:
        return f"{self.period_id} · {self.sector_id} · {self.department_id}"
