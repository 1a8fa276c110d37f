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
    id = serializers.IntegerField(help_text="The line's id, stable across its edits.")
    report = serializers.IntegerField(help_text="The report's id (lines/deleted/ names it when "
                                                "an upload replaced all its lines).")
    status = serializers.ChoiceField(ReportStatus.choices,
                                     help_text="The status of the line's monthly report.")
    month = serializers.CharField(help_text="The month reported, YYYY-MM.")
    organisation = serializers.CharField(help_text="Acronym of the reporting organisation.")
    sector = serializers.CharField(help_text="Code of the report's sector.")
    indicator = serializers.CharField(help_text="Indicator code.")
    indicator_sector = serializers.CharField(help_text="Sector or sub-sector of the indicator.")
    indicator_name = serializers.CharField(help_text="Indicator name in English.")
    indicator_type = serializers.ChoiceField(
        IndicatorType.choices, help_text="R4V's indicator type; with `rmrp_activity` it decides "
                                         "whether the line's people count as people reached.")
    department = serializers.CharField(help_text="Department ubigeo (INEI), e.g. `15`.")
    department_name = serializers.CharField(help_text="Department name, with its accents.")
    province = serializers.CharField(allow_null=True, help_text="Province ubigeo, if recorded.")
    province_name = serializers.CharField(allow_null=True,
                                          help_text="Province name, if recorded.")
    district = serializers.CharField(allow_null=True, help_text="District ubigeo, if recorded.")
    population_type = serializers.ChoiceField(PopulationType.choices,
                                              help_text="Population type of the people reached.")
    modality = serializers.ChoiceField(Modality.choices, help_text="How the help was given.")
    implementing_partner = serializers.CharField(
        allow_null=True, help_text="Acronym of the organisation that carried out the activity, "
                                   "when not the reporting one.")
    girls = serializers.IntegerField(help_text="Girls reached for the first time this year, 0–17.")
    boys = serializers.IntegerField(help_text="Boys reached for the first time this year, 0–17.")
    women = serializers.IntegerField(help_text="Women reached for the first time this year, 18+.")
    men = serializers.IntegerField(help_text="Men reached for the first time this year, 18+.")
    other_under_18 = serializers.IntegerField(
        help_text="People of another or unrecorded sex reached for the first time, 0–17.")
    other_adults = serializers.IntegerField(
        help_text="People of another or unrecorded sex reached for the first time, 18+.")
    other_unknown_age = serializers.IntegerField(
        help_text="Lines recorded before \"other\" was split by age: other people whose age "
                  "was not recorded (0 on every new line).")
    new_beneficiaries = serializers.IntegerField(
        help_text="People reached for the first time this year: the sum of the sex-and-age "
                  "figures.")
    total_monthly = serializers.IntegerField(
        help_text="People reached this month, repeats included; at least `new_beneficiaries`.")
    quantity = serializers.IntegerField(
        allow_null=True, help_text="Kits, sessions or other units, for indicators not counted "
                                   "in people.")
    cash_usd = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                        coerce_to_string=False,
                                        help_text="Cash or vouchers transferred, in USD.")
    delivery_mechanism = serializers.ChoiceField(
        DeliveryMechanism.choices, allow_blank=True,
        help_text="How cash or vouchers reached people (R4V's list); empty otherwise.")
    rmrp_activity = serializers.BooleanField(
        help_text="Whether the activity is part of the RMRP; only RMRP activities count toward "
                  "people reached.")
    activity_name = serializers.CharField(allow_blank=True,
                                          help_text="Optional short name of the activity.")
    description = serializers.CharField(allow_blank=True,
                                        help_text="The partner's free-text description.")
    updated_at = serializers.DateTimeField(
        help_text="When the line or its report's status last changed.")


class DeletedSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        [("line", "line"), ("report", "report")],
        help_text="`line`: drop the line `id`. `report`: an upload replaced every line of "
                  "report `id`; drop the lines of that report you hold (its new lines are in "
                  "lines/?updated_since=).")
    id = serializers.IntegerField(help_text="The line's or the report's id, as `kind` says.")
    at = serializers.DateTimeField(help_text="When it was deleted or replaced.")


class SectorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Sector code, e.g. `HEA`; a sub-sector's starts with "
                                           "its parent's, e.g. `PRO-CP`.")
    name_es = serializers.CharField(help_text="Name in Spanish.")
    name_en = serializers.CharField(help_text="Name in English.")
    parent = serializers.CharField(allow_null=True,
                                   help_text="Code of the parent sector, for a sub-sector.")
    regional_name = serializers.CharField(help_text="The name R4V's regional 5W uses.")
    active = serializers.BooleanField(help_text="Whether new lines may use it.")


class IndicatorSerializer(serializers.Serializer):
    plan = serializers.CharField(help_text="Code of the RMRP plan period the indicator is in.")
    code = serializers.CharField(help_text="Indicator code, unique within its plan.")
    name_es = serializers.CharField(help_text="Name in Spanish.")
    name_en = serializers.CharField(help_text="Name in English.")
    sector = serializers.CharField(help_text="Code of its sector or sub-sector.")
    type = serializers.ChoiceField(IndicatorType.choices, help_text="R4V's indicator type.")
    unit = serializers.ChoiceField(IndicatorUnit.choices,
                                   help_text="What it counts: people, or units in `quantity`.")
    active = serializers.BooleanField(help_text="Whether new lines may use it.")
    successor_plan = serializers.CharField(allow_null=True,
                                           help_text="Plan of the indicator that succeeds it.")
    successor = serializers.CharField(
        allow_null=True, help_text="Code of the indicator that succeeds it in the next plan; "
                                   "a trend over plans follows it.")


class OrganisationSerializer(serializers.Serializer):
    acronym = serializers.CharField(help_text="Acronym, as lines name the organisation.")
    name = serializers.CharField(help_text="Full name.")
    short_name = serializers.CharField(
        help_text="As written in the partner list of the situation report.")
    type = serializers.CharField(help_text="Type of organisation: `un_agency`, `ingo`, `nngo`, "
                                           "`rmo`, `red_cross`, `faith_based`, `donor`, "
                                           "`academic` or `other`.")
    is_partner = serializers.BooleanField(
        help_text="Listed among the GTRM partners; the platform's own team is not.")
    active = serializers.BooleanField(help_text="Whether it may report and be named on lines.")


class LocationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="INEI ubigeo.")
    name = serializers.CharField(help_text="Official name, with its accents.")
    level = serializers.ChoiceField(LocationLevel.choices,
                                    help_text="Department, province or district.")
    parent = serializers.CharField(allow_null=True,
                                   help_text="Ubigeo of the place it lies in.")


class FigureMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="The month of the situation report, YYYY-MM.")
    edition = serializers.IntegerField(help_text="Its latest published edition.")
    published_at = serializers.DateTimeField(help_text="When that edition was published.")
    url = serializers.URLField(help_text="The edition's figures: figures/YYYY-MM/.")
