"""The situation report in the admin: key figures and narratives (written), editions (listed)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gtrm.admin import NotFoundForOthers
from reporting.models import (
    FundingOrigin,
    KeyFigures,
    Narrative,
    NarrativeKind,
    ReportingPeriod,
    Sector,
    SectorFunding,
    SitrepEdition,
)
from reporting.numbers.narratives import render_narrative
from reporting.templatetags.numbers import thousands

from .filters import PeriodFilter, TopLevelSectorFilter
from .forms import CoordinatorNarrativeForm
from .permissions import ImOnly, ReadOnly
from .resources import (
    ImportExportForImOfficers,
    KeyFiguresResource,
)


def newest_periods_first(db_field, kwargs: dict) -> dict:
    """Return `kwargs` with the period choices of a form listed newest first."""
    if db_field.name == "period":
        kwargs["queryset"] = ReportingPeriod.objects.order_by("-month")
    return kwargs


class KeyFiguresForm(forms.ModelForm):
    """Typing over FTS's funding figures is an override: it needs a reason, which the
    situation report prints with FTS's own figures."""

    class Meta:
        model = KeyFigures
        fields = ("period", "refugees", "refugees_source", "refugees_date",
                  "funding_required_usd", "funding_received_usd", "funding_source",
                  "funding_date", "funding_override_reason")

    FUNDING = ("funding_required_usd", "funding_received_usd")

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        from_fts = instance.pk and instance.funding_origin in (
            FundingOrigin.FTS_API, FundingOrigin.FTS_FILE, FundingOrigin.OVERRIDE)
        if from_fts and any(name in self.changed_data for name in self.FUNDING):
            if not (cleaned.get("funding_override_reason") or "").strip():
                self.add_error("funding_override_reason", _(
                    "These figures came from FTS: say why the ones typed replace them."))
            else:
                instance.funding_origin = FundingOrigin.OVERRIDE
        elif (instance.funding_origin == FundingOrigin.OVERRIDE
              and "funding_override_reason" in self.changed_data
              and not (cleaned.get("funding_override_reason") or "").strip()):
            # Clearing the reason gives the figures back to FTS at its next fetch.
            instance.funding_origin = FundingOrigin.FTS_API
        return cleaned


class SectorFundingInline(admin.TabularInline):
    model = SectorFunding
    extra = 0
    can_delete = False
    fields = readonly_fields = ("fts_name", "sector", "required_usd", "funded_usd")
    verbose_name_plural = _("funding by sector (FTS)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KeyFigures)
class KeyFiguresAdmin(NotFoundForOthers, ImOnly, ImportExportForImOfficers, admin.ModelAdmin):
    resource_classes = (KeyFiguresResource,)
    list_display = ("period", "refugees_display", "required_display", "received_display",
                    "funded_display", "updated_at", "updated_by")
    list_select_related = ("period", "updated_by")
    ordering = ("-period__month",)
    form = KeyFiguresForm

    def get_inlines(self, request, obj):
        # FTS's rows by sector, read only, on a month that has them: the add form stays a form.
        return (SectorFundingInline,) if obj is not None and obj.sector_funding.exists() else ()

    readonly_fields = ("updated_at", "updated_by", "funding_origin", "fts_plan_id",
                       "fts_required_usd", "fts_funded_usd")
    fieldsets = (
        (None, {"fields": ("period",)}),
        (_("Population"), {"fields": ("refugees", "refugees_source", "refugees_date")}),
        (_("Funding"), {
            "fields": ("funding_required_usd", "funding_received_usd", "funding_source",
                       "funding_date", "funding_origin", "funding_override_reason"),
            "description": _("Filled by `manage.py fetch_funding` from FTS. Typing other "
                             "figures over FTS's needs a reason; clearing the reason gives "
                             "them back to FTS at its next fetch."),
        }),
        (_("FTS's own figures"), {"fields": ("fts_plan_id", "fts_required_usd",
                                             "fts_funded_usd")}),
        (_("Last change"), {"fields": ("updated_at", "updated_by")}),
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **newest_periods_first(db_field, kwargs)
        )

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("refugees and migrants"), ordering="refugees")
    def refugees_display(self, obj):
        return thousands(obj.refugees)

    @admin.display(description=_("required (USD)"), ordering="funding_required_usd")
    def required_display(self, obj):
        return thousands(obj.funding_required_usd)

    @admin.display(description=_("received (USD)"), ordering="funding_received_usd")
    def received_display(self, obj):
        return thousands(obj.funding_received_usd)

    @admin.display(description=_("funded"))
    def funded_display(self, obj):
        percent = obj.funded_percent
        return "–" if percent is None else f"{percent}%"


@admin.register(Narrative)
class NarrativeAdmin(NotFoundForOthers, admin.ModelAdmin):
    """IM officers write every text; a coordinator writes the highlights of the top-level
    sectors they review (a sub-sector's lead writes within its parent sector)."""

    list_display = ("period", "kind", "sector", "updated_at", "updated_by")
    list_display_links = ("period", "kind")
    list_filter = (PeriodFilter, "kind", TopLevelSectorFilter)
    list_select_related = ("period", "sector", "updated_by")
    search_fields = ("text_es", "text_en")
    ordering = ("-period__month", "kind", "sector__order")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_im_officer:
            return queryset
        if request.user.is_coordinator:
            return queryset.filter(
                kind=NarrativeKind.HIGHLIGHTS,
                sector__in=Sector.objects.reviewable_by(request.user),
            )
        return queryset.none()

    def _writes(self, request, obj, perm: str) -> bool:
        user = request.user
        if user.is_im_officer:
            return True
        if not user.is_coordinator or not user.has_perm(f"reporting.{perm}_narrative"):
            return False
        if obj is None:
            return Sector.objects.reviewable_by(user).exists()
        return (
            obj.kind == NarrativeKind.HIGHLIGHTS
            and Sector.objects.reviewable_by(user).filter(pk=obj.sector_id).exists()
        )

    def has_view_permission(self, request, obj=None):
        return self._writes(request, obj, "view")

    def has_add_permission(self, request):
        return self._writes(request, None, "add")

    def has_change_permission(self, request, obj=None):
        return self._writes(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_im_officer

    def get_list_filter(self, request):
        if request.user.is_im_officer:
            return self.list_filter
        return tuple(item for item in self.list_filter if item != "kind")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not request.user.is_im_officer:
            kwargs["form"] = CoordinatorNarrativeForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        head = ("period", "kind", "sector") if request.user.is_im_officer else ("period", "sector")
        fieldsets = [
            (None, {"fields": head}),
            (_("Text"), {"fields": ("text_es", "text_en")}),
        ]
        if obj is not None:
            fieldsets += [
                (_("Preview"), {"fields": ("preview_es", "preview_en")}),
                (_("Last change"), {"fields": ("updated_at", "updated_by")}),
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("preview_es", "preview_en", "updated_at", "updated_by")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sector":
            # Highlights belong to top-level sectors; sub-sectors report within them.
            kwargs["queryset"] = Sector.objects.reviewable_by(request.user)
        return super().formfield_for_foreignkey(
            db_field, request, **newest_periods_first(db_field, kwargs)
        )

    def save_model(self, request, obj, form, change):
        if not request.user.is_im_officer:
            obj.kind = NarrativeKind.HIGHLIGHTS
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("preview (Spanish)"))
    def preview_es(self, obj):
        return render_narrative(obj.text_es) or "–"

    @admin.display(description=_("preview (English)"))
    def preview_en(self, obj):
        return render_narrative(obj.text_en) or "–"


@admin.register(SitrepEdition)
class SitrepEditionAdmin(NotFoundForOthers, ReadOnly, admin.ModelAdmin):
    """Editions are publications: what readers were given stays as it was, so the admin only
    lists them. A new edition is published from the situation report page."""

    list_display = ("period", "number", "published_at", "published_by", "note", "public_page")
    list_filter = (PeriodFilter,)
    list_select_related = ("period", "published_by")
    ordering = ("-period__month", "-number")
    fields = ("period", "number", "published_at", "published_by", "note", "public_page")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.is_im_officer

    @admin.display(description=_("public page"))
    def public_page(self, obj):
        url = reverse("reporting:public-sitrep", args=[obj.period.code, obj.number])
        return format_html('<a href="{}">{}</a>', url, url)
