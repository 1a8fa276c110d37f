"""Every validation rule of an activity line: in the form (the message names the field) and in
the database (the constraint holds even if code skips validation)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from partners.models import Organisation
from reporting import texts as msg
from reporting.forms import ActivityLineForm
from reporting.models import ActivityLine, Indicator, Location, normalise_ubigeo

from .factories import LineFactory


def form_data(**overrides) -> dict:
    data = {
        "indicator": Indicator.objects.get(code="PRO-01").pk,
        "department": "15",
        "province": "",
        "district": "",
        "population_type": "destination",
        "modality": "service",
        "implementing_partner": "",
        "girls": "10",
        "boys": "12",
        "women": "30",
        "men": "25",
        "other_under_18": "0",
        "other_adults": "3",
        "new_beneficiaries": "80",
        "total_monthly": "95",
        "quantity": "",
        "cash_usd": "",
        "description": "Orientación legal en Lima",
    }
    data.update({key: str(value) for key, value in overrides.items()})
    return data


def errors_for(report, **overrides) -> dict[str, list[str]]:
    form = ActivityLineForm(form_data(**overrides), instance=ActivityLine(report=report),
                            report=report)
    form.is_valid()
    return {field: list(messages) for field, messages in form.errors.items()}


def test_a_complete_line_is_valid(report):
    assert errors_for(report) == {}


def test_the_five_figures_must_add_up_to_new_beneficiaries(report):
    errors = errors_for(report, new_beneficiaries=81, total_monthly=95)
    assert errors == {
        "new_beneficiaries": [msg.DISAGGREGATION_MISMATCH % {"new": 81, "sum": 80}]
    }


def test_total_monthly_cannot_be_below_new(report):
    errors = errors_for(report, total_monthly=79)
    assert errors == {"total_monthly": [msg.TOTAL_BELOW_NEW % {"total": 79, "new": 80}]}


@pytest.mark.parametrize("field", ["girls", "boys", "women", "men", "other_under_18", "other_adults",
                                   "new_beneficiaries", "total_monthly", "quantity"])
def test_no_number_may_be_negative(field, report):
    errors = errors_for(report, **{field: -1})
    assert field in errors
    assert "greater than or equal to 0" in errors[field][0]


def test_cash_may_not_be_negative(report):
    errors = errors_for(report, modality="cash", cash_usd="-5")
    assert errors["cash_usd"] == [str(msg.NEGATIVE_VALUE)]


def test_a_people_indicator_needs_people_reached(report):
    errors = errors_for(report, girls=0, boys=0, women=0, men=0, other_adults=0,
                        new_beneficiaries=0, total_monthly=0)
    assert errors == {"total_monthly": [str(msg.NOTHING_REACHED)]}


def test_the_indicator_must_belong_to_the_reports_sector(report):
    health = Indicator.objects.get(code="HEA-01")
    form = ActivityLineForm(form_data(indicator=health.pk), instance=ActivityLine(report=report),
                            report=report)
    assert not form.is_valid()
    # The form does not even offer it...
    assert "indicator" in form.errors
    # ...and the model refuses it with a message that names both sectors.
    line = LineFactory.build(report=report, indicator=health)
    with pytest.raises(Exception) as caught:
        line.full_clean()
    assert caught.value.message_dict["indicator"] == [
        msg.INDICATOR_OUTSIDE_SECTOR % {
            "indicator": "HEA-01", "indicator_sector": health.sector, "sector": report.sector,
        }
    ]


def test_a_sub_sectors_indicator_belongs_to_the_parent_sectors_report(report):
    child = Indicator.objects.get(code="PRO-CP-01")
    assert errors_for(report, indicator=child.pk) == {}


def test_cash_is_only_for_cash_or_voucher(report):
    errors = errors_for(report, modality="service", cash_usd="100.00")
    assert errors == {"cash_usd": [msg.CASH_WITHOUT_CASH_MODALITY % {"modality": "Service"}]}


@pytest.mark.parametrize(("modality", "mechanism"), [("cash", "mobile_money"), ("voucher", "")])
def test_a_cash_or_voucher_line_states_the_amount(modality, mechanism, report):
    cash = Indicator.objects.get(code="PRO-05").pk  # cash or vouchers for protection outcomes
    assert errors_for(report, indicator=cash, modality=modality,
                      delivery_mechanism=mechanism) == {"cash_usd": [str(msg.CASH_REQUIRED)]}
    assert errors_for(report, indicator=cash, modality=modality, delivery_mechanism=mechanism,
                      cash_usd="2500.50") == {}


def test_a_line_modality_must_be_one_its_indicator_allows(report):
    """SHE-01-like: a cash indicator refuses in kind, naming the indicator and what it allows."""
    cash = Indicator.objects.get(code="PRO-05")
    assert cash.modalities == ["cash", "voucher"]
    errors = errors_for(report, indicator=cash.pk, modality="in_kind")
    assert errors["modality"] == [msg.MODALITY_NOT_ALLOWED % {
        "indicator": "PRO-05", "modality": "In kind", "allowed": "Cash, Voucher"}]
    assert "modality" not in errors_for(report, indicator=cash.pk, modality="cash",
                                        delivery_mechanism="mobile_money", cash_usd="10")


def test_an_indicator_cannot_drop_a_modality_its_lines_use(report, line):
    indicator = line.indicator
    indicator.modalities = ["in_kind"]
    with pytest.raises(Exception) as caught:
        indicator.full_clean()
    assert caught.value.message_dict["modalities"] == [
        msg.MODALITIES_IN_USE % {"modalities": "Service"}]
    indicator.modalities = ["in_kind", "service"]
    indicator.full_clean()


def test_an_indicator_needs_known_modalities(report):
    indicator = Indicator.objects.get(code="PRO-07")
    indicator.modalities = ["service", "barter"]
    with pytest.raises(Exception) as caught:
        indicator.full_clean()
    assert "modalities" in caught.value.message_dict
    indicator.modalities = []
    with pytest.raises(Exception) as caught:
        indicator.full_clean()
    assert "modalities" in caught.value.message_dict


def test_quantity_is_required_for_a_non_people_unit(report):
    sessions = Indicator.objects.get(code="PRO-07")
    errors = errors_for(report, indicator=sessions.pk)
    assert errors == {
        "quantity": [msg.QUANTITY_REQUIRED % {"indicator": "PRO-07", "unit": "sessions"}]
    }
    assert errors_for(report, indicator=sessions.pk, quantity=12) == {}


def test_quantity_is_refused_for_a_people_indicator(report):
    errors = errors_for(report, quantity=5)
    assert errors == {"quantity": [msg.QUANTITY_NOT_APPLICABLE % {"indicator": "PRO-01"}]}


def test_the_province_must_lie_in_the_department(report):
    errors = errors_for(report, department="15", province="2401")  # Tumbes province
    assert errors == {
        "province": [msg.PROVINCE_OUTSIDE_DEPARTMENT % {"province": "Tumbes", "department": "Lima"}]
    }


def test_the_district_must_lie_in_the_province(report):
    errors = errors_for(report, department="15", province="1501", district="150201")
    assert errors == {
        "district": [msg.DISTRICT_OUTSIDE_PROVINCE % {"district": "Barranca", "province": "Lima"}]
    }


def test_a_district_alone_is_placed_in_its_province(report):
    form = ActivityLineForm(form_data(district="150132"), instance=ActivityLine(report=report),
                            report=report)
    assert form.is_valid(), form.errors
    assert form.instance.location.code == "150132"
    assert form.instance.location.name == "San Juan de Lurigancho"
    assert form.instance.department.code == "15"


def test_the_model_refuses_a_location_outside_the_department(report):
    line = LineFactory.build(report=report, location=Location.objects.get(code="2401"))
    with pytest.raises(Exception) as caught:
        line.full_clean()
    assert caught.value.message_dict["location"] == [
        msg.LOCATION_OUTSIDE_DEPARTMENT % {"location": "Tumbes", "department": "Lima"}
    ]


def test_the_department_must_be_a_department(report):
    lima_province = Location.objects.get(code="1501")
    line = LineFactory.build(report=report, department=lima_province, location=lima_province)
    with pytest.raises(Exception) as caught:
        line.full_clean()
    assert caught.value.message_dict["department"] == [
        msg.NOT_A_DEPARTMENT % {"location": "Lima"}
    ]


def test_two_lines_may_not_share_indicator_place_population_modality_and_partner(report, line):
    errors = errors_for(report, indicator=line.indicator_id)
    assert errors == {"__all__": [msg.DUPLICATE_LINE % {"line": 1}]}


@pytest.mark.parametrize(
    "change",
    [
        {"population_type": "transit"},
        {"modality": "in_kind"},
        {"department": "24"},
        {"province": "1501"},
    ],
    ids=["population", "modality", "department", "province"],
)
def test_a_line_differing_in_one_key_is_not_a_duplicate(change, report, line):
    line.indicator.modalities = ["service", "in_kind"]
    line.indicator.save()
    assert errors_for(report, indicator=line.indicator_id, **change) == {}


def test_a_different_implementing_partner_is_not_a_duplicate(report, line):
    partner = Organisation.objects.get(acronym="ACNUR")
    errors = errors_for(report, indicator=line.indicator_id, implementing_partner=partner.pk)
    assert errors == {}


def test_editing_a_line_does_not_clash_with_itself(report, line):
    form = ActivityLineForm(
        form_data(indicator=line.indicator_id, total_monthly=300), instance=line, report=report
    )
    assert form.is_valid(), form.errors


def test_an_inactive_indicator_is_refused_for_new_lines(report):
    Indicator.objects.filter(code="PRO-02").update(active=False)
    line = LineFactory.build(report=report, indicator=Indicator.objects.get(code="PRO-02"))
    with pytest.raises(Exception) as caught:
        line.full_clean()
    assert caught.value.message_dict["indicator"] == [
        msg.INDICATOR_INACTIVE % {"indicator": "PRO-02"}
    ]


# Each check constraint of a line: values that break it, its name, the field the form names.
ROW_RULES = [
    ({"new_beneficiaries": 81}, "disaggregation_sums_to_new", "new_beneficiaries"),
    ({"total_monthly": 10}, "total_at_least_new", "total_monthly"),
    ({"cash_usd": Decimal("10")}, "cash_only_for_cash_modality", "cash_usd"),
    ({"modality": "cash", "cash_usd": Decimal("-1")}, "cash_not_negative", "cash_usd"),
    ({"population_type": "tourist"}, "population_type_valid", "population_type"),
    ({"modality": "airdrop"}, "modality_valid", "modality"),
]
RULE_IDS = [constraint for _, constraint, _ in ROW_RULES]


@pytest.mark.parametrize(("overrides", "constraint", "field"), ROW_RULES, ids=RULE_IDS)
def test_the_database_enforces_the_row_rules(overrides, constraint, field, report):
    line = LineFactory.build(report=report, **overrides)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        line.save()


@pytest.mark.parametrize("with_partner", [False, True])
def test_the_database_refuses_duplicate_lines(with_partner, report):
    partner = Organisation.objects.get(acronym="ACNUR") if with_partner else None
    LineFactory(report=report, implementing_partner=partner)
    with pytest.raises(IntegrityError), transaction.atomic():
        LineFactory(report=report, implementing_partner=partner)


@pytest.mark.parametrize(
    ("written", "code"),
    [("15", "15"), ("PE15", "15"), ("pe15", "15"), ("150000", "15"), ("150100", "1501"),
     ("150132", "150132"), ("1", "01"), ("101", "0101"), (" 2401 ", "2401")],
)
def test_ubigeo_codes_are_read_in_every_common_form(written, code):
    assert normalise_ubigeo(written) == code


def test_a_field_typed_wrong_is_reported_alone(report):
    errors = errors_for(report, total_monthly=-5)
    assert list(errors) == ["total_monthly"]
    assert len(errors["total_monthly"]) == 1
    errors = errors_for(report, modality="cash", cash_usd="1.005")
    assert list(errors) == ["cash_usd"]


def test_implausibly_large_figures_are_refused_on_their_field(report):
    errors = errors_for(report, girls=3_000_000, new_beneficiaries=3_000_070,
                        total_monthly=3_000_100)
    assert set(errors) == {"girls", "new_beneficiaries", "total_monthly"}
    assert errors["girls"] == [msg.IMPLAUSIBLE % {"limit_value": 2_000_000}]


def test_a_district_outside_the_department_is_reported_on_the_district(report):
    errors = errors_for(report, department="15", province="", district="240101")
    assert errors == {
        "district": [msg.LOCATION_OUTSIDE_DEPARTMENT % {"location": "Tumbes",
                                                        "department": "Lima"}]
    }


def test_a_line_keeps_an_implementing_partner_deactivated_since(report, line):
    partner = Organisation.objects.get(acronym="ACNUR")
    line.implementing_partner = partner
    line.save()
    Organisation.objects.filter(pk=partner.pk).update(active=False)
    form = ActivityLineForm(
        form_data(indicator=line.indicator_id, implementing_partner=partner.pk,
                  description="corrected"),
        instance=ActivityLine.objects.get(pk=line.pk), report=report,
    )
    assert form.is_valid(), form.errors
    new_line = ActivityLineForm(form_data(implementing_partner=partner.pk),
                                instance=ActivityLine(report=report), report=report)
    assert "implementing_partner" in new_line.errors


@pytest.mark.parametrize(("overrides", "constraint", "field"), ROW_RULES, ids=RULE_IDS)
def test_each_check_constraint_is_checked_in_python_before_the_database(
    overrides, constraint, field, report
):
    """The rules the database's check constraints enforce are refused by full_clean() on the
    field concerned, without the query per constraint that Django would run."""
    line = LineFactory.build(report=report, **overrides)
    with CaptureQueriesContext(connection) as captured, pytest.raises(ValidationError) as caught:
        line.full_clean()
    assert field in caught.value.message_dict
    assert f"reporting_activityline_{constraint}" in ActivityLine.CHECKED_IN_PYTHON
    # Only the references are looked up: no query checks a condition of the line's values.
    assert all(" FROM " in q["sql"] for q in captured.captured_queries), captured.captured_queries


def test_only_the_check_constraints_covered_in_python_are_skipped():
    names = {c.name for c in ActivityLine._meta.constraints}
    assert names >= ActivityLine.CHECKED_IN_PYTHON
    checked = {c.name for c in ActivityLine._meta.constraints if hasattr(c, "condition")
               and c.condition is not None and not getattr(c, "fields", ())}
    assert checked == ActivityLine.CHECKED_IN_PYTHON  # a new check constraint is validated


def test_a_valid_line_is_validated_without_a_query_per_constraint(report):
    line = LineFactory.build(report=report)
    with CaptureQueriesContext(connection) as captured:
        line.full_clean()
    assert all(" FROM " in q["sql"] for q in captured.captured_queries), captured.captured_queries
    assert len(captured.captured_queries) <= 6  # the references exist; no duplicate line
