"""Forms of the partner pages."""

from __future__ import annotations

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Layout, Row
from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gtrm.collation import spanish
from partners.models import Organisation

from . import texts as msg
from .models import (
    DISAGGREGATION_FIELDS,
    ActivityLine,
    DeliveryMechanism,
    Indicator,
    Location,
    LocationLevel,
    Modality,
    MonthlyReport,
    ReportingPeriod,
    ReportStatus,
    Sector,
)


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Indicator) -> str:
        return f"{obj.code} · {obj.name} ({obj.get_unit_display()})"


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return obj.name


class ActivityLineForm(forms.ModelForm):
    """One activity line: what, where, for whom, how many."""

    indicator = IndicatorChoiceField(queryset=Indicator.objects.none(), label=_("Indicator"))
    department = LocationChoiceField(
        queryset=Location.objects.departments(), to_field_name="code", label=_("Department")
    )
    province = LocationChoiceField(
        queryset=Location.objects.filter(level=LocationLevel.PROVINCE),
        to_field_name="code",
        required=False,
        label=_("Province"),
        help_text=_("Optional."),
    )
    district = LocationChoiceField(
        queryset=Location.objects.filter(level=LocationLevel.DISTRICT).select_related("parent"),
        to_field_name="code",
        required=False,
        label=_("District"),
        help_text=_("Optional."),
    )
    implementing_partner = forms.ModelChoiceField(
        queryset=Organisation.objects.partners(),
        required=False,
        label=_("Implementing partner"),
        help_text=_("Leave empty if your organisation implemented it directly."),
    )

    class Meta:
        model = ActivityLine
        fields = (
            "indicator", "department", "population_type", "modality", "implementing_partner",
            "girls", "boys", "women", "men", "other_under_18", "other_adults",
            "other_unknown_age", "new_beneficiaries", "total_monthly", "quantity", "cash_usd",
            "delivery_mechanism", "activity_name", "description", "rmrp_activity",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "cash_usd": forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
        }

    def __init__(self, *args, report: MonthlyReport, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.report = report
        self.report = report
        partner = self.instance.implementing_partner_id
        if partner:
            # A partner deactivated since the line was written stays valid on that line.
            self.fields["implementing_partner"].queryset = Organisation.objects.filter(
                Q(is_partner=True, active=True) | Q(pk=partner)
            )
        # The plan in force in the report's month: a reopened old report keeps its own plan.
        indicators = (Indicator.objects.for_sector(report.sector)
                      .in_force(report.period.month).select_related("sector"))
        current = self.instance.indicator_id
        self.fields["indicator"].queryset = indicators.filter(
            Q(active=True) | Q(pk=current) if current else Q(active=True)
        ).order_by("sector__order", "code")
        # The modality list offers only what the chosen indicator allows (static/js/
        # line_form.js); the server's check (row_errors) stays the rule.
        self.fields["indicator"].widget.attrs["data-modalities"] = json.dumps(
            {str(pk): modalities for pk, modalities
             in self.fields["indicator"].queryset.values_list("pk", "modalities")})
        self.fields["modality"].widget.attrs["data-follows-indicator"] = "id_indicator"
        if not self.instance.other_unknown_age:
            # New entry records other people by age; the figure without one is shown only on
            # a line that still has people there, so that they can be moved into an age.
            del self.fields["other_unknown_age"]
        people = [name for name in DISAGGREGATION_FIELDS if name in self.fields]
        for name in (*people, "new_beneficiaries", "total_monthly", "quantity"):
            self.fields[name].widget.attrs.update({"min": 0, "inputmode": "numeric"})
        self.fields["new_beneficiaries"].widget.attrs["data-sum-of"] = " ".join(people)

        if self.instance.pk and not self.is_bound:
            self.initial["department"] = self.instance.department.code
            if self.instance.province:
                self.initial["province"] = self.instance.province.code
            if self.instance.district:
                self.initial["district"] = self.instance.district.code
        self._narrow_place_choices()
        self.helper = self._helper()

    def _selected(self, name: str) -> str:
        value = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        return value or ""

    def _narrow_place_choices(self) -> None:
        """Offer only the provinces of the chosen department and the districts of the chosen
        province; the page's script refreshes them when the choice changes. Validation still
        accepts any place, so a mismatch gets a message that names it."""
        department, province = self._selected("department"), self._selected("province")
        empty = [("", "---------")]
        provinces = Location.objects.filter(
            level=LocationLevel.PROVINCE, parent__code=department
        ).order_by(spanish("name")) if department else []
        districts = Location.objects.filter(
            level=LocationLevel.DISTRICT, parent__code=province
        ).order_by(spanish("name")) if province else []
        self.fields["province"].widget.choices = empty + [(p.code, p.name) for p in provinces]
        self.fields["district"].widget.choices = empty + [(d.code, d.name) for d in districts]
        url = reverse("reporting:locations")
        self.fields["department"].widget.attrs.update(
            {"data-children": "province", "data-children-url": url}
        )
        self.fields["province"].widget.attrs.update(
            {"data-children": "district", "data-children-url": url}
        )

    def _helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(
            Row(Column("indicator", css_class="col-12")),
            Row(
                Column("department", css_class="col-md-4"),
                Column("province", css_class="col-md-4"),
                Column("district", css_class="col-md-4"),
            ),
            Row(
                Column("population_type", css_class="col-md-4"),
                Column("modality", css_class="col-md-4"),
                Column("implementing_partner", css_class="col-md-4"),
            ),
            HTML(format_html('<h2 class="h6 mt-2">{}</h2>', _("People reached"))),
            Row(
                Column("girls", css_class="col-6 col-md"),
                Column("boys", css_class="col-6 col-md"),
                Column("women", css_class="col-6 col-md"),
                Column("men", css_class="col-6 col-md"),
                Column("other_under_18", css_class="col-6 col-md"),
                Column("other_adults", css_class="col-6 col-md"),
            ),
            *([Row(Column("other_unknown_age", css_class="col-md-6"))]
              if "other_unknown_age" in self.fields else []),
            Row(
                Column("new_beneficiaries", css_class="col-md-6"),
                Column("total_monthly", css_class="col-md-6"),
            ),
            Row(
                Column("quantity", css_class="col-md-4"),
                Column(Field("cash_usd"), css_class="col-md-4"),
                Column("delivery_mechanism", css_class="col-md-4"),
            ),
            "activity_name",
            "description",
            "rmrp_activity",
        )
        return helper

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("modality") == Modality.VOUCHER and not cleaned.get("delivery_mechanism"):
            # A voucher is its own mechanism: nothing to ask.
            cleaned["delivery_mechanism"] = DeliveryMechanism.VOUCHER
        department = cleaned.get("department")
        province = cleaned.get("province")
        district = cleaned.get("district")
        if district is not None and province is None:
            province = cleaned["province"] = district.parent
            if department is not None and not district.lies_in(department):
                self.add_error("district", forms.ValidationError(
                    msg.LOCATION_OUTSIDE_DEPARTMENT,
                    params={"location": district, "department": department},
                ))
                return cleaned
        if department is not None:
            if province is not None and not province.lies_in(department):
                self.add_error("province", forms.ValidationError(
                    msg.PROVINCE_OUTSIDE_DEPARTMENT,
                    params={"province": province, "department": department},
                ))
            elif district is not None and not district.lies_in(province):
                self.add_error("district", forms.ValidationError(
                    msg.DISTRICT_OUTSIDE_PROVINCE,
                    params={"district": district, "province": province},
                ))
            else:
                self.instance.location = district or province or department
        return cleaned


    def _post_clean(self):
        # The rules that combine fields (sums, cash and modality…) would run on the stored or
        # default value of a field the person just typed wrong, and contradict its message:
        # report the field errors first, the combined rules once the fields are right.
        if self._errors:
            return
        super()._post_clean()


class StartReportForm(forms.Form):
    """Choose a period and sector to open (or create) the organisation's report."""

    period = forms.ModelChoiceField(queryset=ReportingPeriod.objects.all(), label=_("Month"))
    sector = forms.ModelChoiceField(
        queryset=Sector.objects.top_level().filter(active=True), label=_("Sector")
    )


class NilReportForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=500,
        widget=forms.TextInput(),
    )


class ReportFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        queryset=ReportingPeriod.objects.all(), required=False, label=_("Month")
    )
    sector = forms.ModelChoiceField(
        queryset=Sector.objects.top_level(), required=False, label=_("Sector")
    )
    status = forms.ChoiceField(required=False, label=_("Status"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *ReportStatus.choices]
