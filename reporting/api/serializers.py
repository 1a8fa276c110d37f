"""The shapes of the API's rows, for the OpenAPI schema; the lines themselves are written from
`values()` rows (rows.py), because a serializer per line would cost ten times the time."""

from __future__ import annotations

from rest_framework import serializers

from reporting.models import (
    DeliveryMechanism,
    IndicatorType,
    IndicatorUnit,
    LocationLevel,
    Modality,
    PopulationType,
    ReportStatus,
)


class LineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    report = serializers.IntegerField(help_text="The report's id (lines/deleted/ names it when "
                                                "an upload replaced all its lines).")
    status = serializers.ChoiceField(ReportStatus.choices)
    month = serializers.CharField(help_text="YYYY-MM")
    organisation = serializers.CharField(help_text="Acronym of the reporting organisation.")
    sector = serializers.CharField(help_text="Code of the report's sector.")
    indicator = serializers.CharField(help_text="Indicator code.")
    indicator_sector = serializers.CharField(help_text="Sector or sub-sector of the indicator.")
    indicator_name = serializers.CharField(help_text="Indicator name in English.")
    indicator_type = serializers.ChoiceField(IndicatorType.choices)
    department = serializers.CharField(help_text="Department ubigeo.")
    department_name = serializers.CharField()
    province = serializers.CharField(allow_null=True, help_text="Province ubigeo, if recorded.")
    province_name = serializers.CharField(allow_null=True)
    district = serializers.CharField(allow_null=True, help_text="District ubigeo, if recorded.")
    population_type = serializers.ChoiceField(PopulationType.choices)
    modality = serializers.ChoiceField(Modality.choices)
    implementing_partner = serializers.CharField(allow_null=True)
    girls = serializers.IntegerField()
    boys = serializers.IntegerField()
    women = serializers.IntegerField()
    men = serializers.IntegerField()
    other_under_18 = serializers.IntegerField()
    other_adults = serializers.IntegerField()
    other_unknown_age = serializers.IntegerField()
    new_beneficiaries = serializers.IntegerField()
    total_monthly = serializers.IntegerField()
    quantity = serializers.IntegerField(allow_null=True)
    cash_usd = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                        coerce_to_string=False)
    delivery_mechanism = serializers.ChoiceField(DeliveryMechanism.choices, allow_blank=True)
    rmrp_activity = serializers.BooleanField()
    activity_name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(
        help_text="When the line or its report's status last changed.")


class DeletedSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        [("line", "line"), ("report", "report")],
        help_text="`line`: drop the line `id`. `report`: an upload replaced every line of "
                  "report `id`; drop the lines of that report you hold (its new lines are in "
                  "lines/?updated_since=).")
    id = serializers.IntegerField()
    at = serializers.DateTimeField()


class SectorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_es = serializers.CharField()
    name_en = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    regional_name = serializers.CharField()
    active = serializers.BooleanField()


class IndicatorSerializer(serializers.Serializer):
    plan = serializers.CharField()
    code = serializers.CharField()
    name_es = serializers.CharField()
    name_en = serializers.CharField()
    sector = serializers.CharField()
    type = serializers.ChoiceField(IndicatorType.choices)
    unit = serializers.ChoiceField(IndicatorUnit.choices)
    active = serializers.BooleanField()
    successor_plan = serializers.CharField(allow_null=True)
    successor = serializers.CharField(allow_null=True)


class OrganisationSerializer(serializers.Serializer):
    acronym = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    type = serializers.CharField()
    is_partner = serializers.BooleanField()
    active = serializers.BooleanField()


class LocationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="INEI ubigeo.")
    name = serializers.CharField()
    level = serializers.ChoiceField(LocationLevel.choices)
    parent = serializers.CharField(allow_null=True)


class FigureMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    edition = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    url = serializers.URLField()
