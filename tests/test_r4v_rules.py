"""R4V's quality rules (DESIGN §6): each rule with a row it flags and one it lets pass, and how a
line reads as a row of the regional 5W."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from reporting.models import IndicatorType, Modality
from reporting.regional import columns
from reporting.regional.rules import RULES, Row, flags, line_warnings, row_of_line

SIX = {"girls": 2, "boys": 1, "women": 3, "men": 2, "other_under_18": 1, "other_adults": 1}


def direct(**changes) -> Row:
    values = dict(indicator_type=IndicatorType.DIRECT_ASSISTANCE, new_beneficiaries=10,
                  total_monthly=12, population={"destination": 6, "transit": 4},
                  sex_and_age=dict(SIX))
    values.update(changes)
    return Row(**values)


def rules_of(row: Row) -> list[str]:
    return [flag.rule for flag in flags(row)]


# For every rule: a row it flags and the nearest row it lets pass.
CASES = {
    "admin1_unknown": (direct(admin1_known=False), direct()),
    "indicator_not_in_plan": (direct(indicator_in_plan=False), direct()),
    "direct_total_not_positive": (
        direct(total_monthly=0, new_beneficiaries=0, population={}, sex_and_age={}),
        direct(total_monthly=1, new_beneficiaries=1, population={"host": 1},
               sex_and_age={"men": 1})),
    "direct_new_not_positive": (
        direct(new_beneficiaries=0, population={}, sex_and_age={}), direct()),
    "population_sum": (direct(population={"destination": 6}), direct()),
    "sex_and_age_sum": (direct(sex_and_age={**SIX, "men": 0}), direct()),
    "capacity_new_missing": (
        Row(IndicatorType.CAPACITY_BUILDING, None, None, quantity=3),
        Row(IndicatorType.CAPACITY_BUILDING, 0, 0, quantity=3)),
    "new_not_empty": (
        Row(IndicatorType.INFRASTRUCTURE, 5, None, quantity=2),
        Row(IndicatorType.INFRASTRUCTURE, None, None, quantity=2)),
    "quantity_zero": (
        Row(IndicatorType.MECHANISM_ADVOCACY, None, None, quantity=0),
        Row(IndicatorType.MECHANISM_ADVOCACY, None, None, quantity=1)),
    "cva_value_not_positive": (
        direct(cva=True, value_usd=Decimal("0"), delivery_mechanism="Voucher"),
        direct(cva=True, value_usd=Decimal("0.01"), delivery_mechanism="Voucher")),
    "cva_mechanism_invalid": (
        direct(cva=True, value_usd=Decimal("50"), delivery_mechanism="Western Union"),
        direct(cva=True, value_usd=Decimal("50"), delivery_mechanism="Mobile Money")),
}


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_flags_one_row_and_passes_the_other(rule):
    flagged, passing = CASES[rule]
    assert rule in rules_of(flagged)
    assert rule not in rules_of(passing)


def test_a_clean_direct_assistance_row_passes():
    assert flags(direct()) == []


def test_sums_name_the_figures():
    (flag,) = flags(direct(population={"destination": 6}))
    assert flag.column == columns.NEW_BENEFICIARIES
    assert flag.field == "new_beneficiaries"
    assert "6" in flag.message and "10" in flag.message


def test_flags_follow_the_template_order():
    row = direct(admin1_known=False, cva=True, value_usd=None, delivery_mechanism="",
                 new_beneficiaries=0, population={}, sex_and_age={})
    order = [columns.HEADER.index(flag.column) for flag in flags(row)]
    assert order == sorted(order)


def test_messages_speak_spanish():
    with translation.override("es"):
        (flag,) = flags(Row(IndicatorType.OTHER, None, None, quantity=0))
    assert flag.message == "una cantidad de producto de 0 (indicador de tipo Otros)."


@pytest.mark.django_db
def test_a_line_of_returning_people_is_flagged_not_blocked(line):

    line.new_beneficiaries = 0
    for name in ("girls", "boys", "women", "men", "other_under_18", "other_adults",
                 "other_unknown_age"):
        setattr(line, name, 0)
    line.total_monthly = max(line.total_monthly, 5)
    assert line.indicator.type == IndicatorType.DIRECT_ASSISTANCE
    assert line.row_errors() == {}
    assert [f.rule for f in line_warnings(line)] == ["direct_new_not_positive"]
    assert [f.field for f in line_warnings(line)] == ["new_beneficiaries"]


@pytest.mark.django_db
def test_people_of_unknown_age_have_no_column(line):

    line.other_unknown_age += 3
    line.new_beneficiaries += 3
    line.total_monthly += 3
    assert "sex_and_age_sum" in [f.rule for f in line_warnings(line)]


@pytest.mark.django_db
def test_a_voucher_line_reads_as_cva_with_its_mechanism(line):

    line.modality = Modality.VOUCHER
    line.delivery_mechanism = "voucher"
    line.cash_usd = Decimal("40.00")
    row = row_of_line(line)
    assert row.cva and row.delivery_mechanism == "Voucher" and row.value_usd == Decimal("40.00")
    assert line_warnings(line) == []
