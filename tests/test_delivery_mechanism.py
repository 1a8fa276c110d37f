"""The cash delivery mechanism (R4V's eight values) and the short activity name (DESIGN §6)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from partners.models import Organisation
from reporting import texts as msg
from reporting.forms import ActivityLineForm
from reporting.models import (
    R4V_DELIVERY_MECHANISMS,
    ActivityLine,
    DeliveryMechanism,
    Indicator,
    Modality,
    ReportStatus,
    Sector,
)
from reporting.sheets import exports
from reporting.sheets.columns import HEADERS
from reporting.sheets.planner import ImportFailed, apply_import
from reporting.sheets.reading import read_table

from .factories import LineFactory, ReportFactory
from .test_imports import row
from .test_line_rules import form_data
from .test_other_by_age import csv_of, migrate


@pytest.fixture(autouse=True)
def _pro01_in_every_modality(db):
    """These tests are about the delivery mechanism of each modality, written on PRO-01's rows:
    let PRO-01 take every modality (the modality rule has its own tests in test_line_rules)."""
    Indicator.objects.filter(code="PRO-01").update(modalities=Modality.values)

R4V_WORDS = [
    "Beneficiary Bank Account", "Mobile Money", "Prepaid Card",
    "Cash Collection Over the Counter (OTC)", "Direct Cash (Cash in Hand)",
    "Cardless ATM Withdrawal", "Voucher", "Other",
]


def test_the_eight_mechanisms_in_r4vs_words():
    assert list(R4V_DELIVERY_MECHANISMS.values()) == R4V_WORDS
    assert set(R4V_DELIVERY_MECHANISMS) == set(DeliveryMechanism)


# The line form -----------------------------------------------------------------------------


def form_errors(report, **changes) -> dict:
    form = ActivityLineForm(form_data(**changes), instance=ActivityLine(report=report),
                            report=report)
    form.is_valid()
    return form.errors


def test_a_cash_line_needs_its_mechanism(report):
    errors = form_errors(report, modality="cash", cash_usd="100")
    assert errors == {"delivery_mechanism": [str(msg.MECHANISM_REQUIRED)]}
    assert form_errors(report, modality="cash", cash_usd="100",
                       delivery_mechanism="mobile_money") == {}


def test_a_voucher_line_is_voucher_whatever_is_left_empty(report):
    form = ActivityLineForm(form_data(modality="voucher", cash_usd="100"),
                            instance=ActivityLine(report=report), report=report)
    assert form.is_valid(), form.errors
    assert form.save().delivery_mechanism == DeliveryMechanism.VOUCHER
    assert form_errors(report, modality="voucher", cash_usd="50", population_type="transit",
                       delivery_mechanism="mobile_money") == {
        "delivery_mechanism": [str(msg.MECHANISM_OF_VOUCHER)]}


@pytest.mark.parametrize("modality", ["service", "in_kind"])
def test_a_service_or_in_kind_line_refuses_a_mechanism_naming_the_field(modality, report):
    errors = form_errors(report, modality=modality, delivery_mechanism="mobile_money")
    label = Modality(modality).label
    assert errors == {"delivery_mechanism": [msg.MECHANISM_NOT_APPLICABLE % {"modality": label}]}
    assert "delivery mechanism" in errors["delivery_mechanism"][0]


def test_an_old_cash_line_is_asked_for_its_mechanism_when_it_is_edited(report):
    old = LineFactory(report=report, modality=Modality.CASH, cash_usd=Decimal("10"))
    assert old.delivery_mechanism == ""  # not recorded: the database takes it
    form = ActivityLineForm(form_data(modality="cash", cash_usd="10"), instance=old,
                            report=report)
    assert not form.is_valid()
    assert form.errors == {"delivery_mechanism": [str(msg.MECHANISM_REQUIRED)]}


def test_the_activity_name_is_short_and_optional(report):
    assert form_errors(report, activity_name="Ferias de salud") == {}
    assert "activity_name" in form_errors(report, activity_name="x" * 101)


def test_the_database_holds_the_rules_too(report):
    with pytest.raises(IntegrityError), transaction.atomic():
        LineFactory(report=report, delivery_mechanism="mobile_money")  # a service line
    with pytest.raises(IntegrityError), transaction.atomic():
        LineFactory(report=report, modality=Modality.VOUCHER, cash_usd=1,
                    delivery_mechanism="mobile_money")


# Spreadsheets and exports ------------------------------------------------------------------


def test_an_upload_reads_the_mechanism_by_code_or_by_r4vs_name(alice, report):
    data = csv_of(row(modality="cash", cash_usd="10", delivery_mechanism="Mobile Money"),
                  row(modality="cash", cash_usd="10", delivery_mechanism="otc",
                      population_type="transit"),
                  row(modality="voucher", cash_usd="10", population_type="host",
                      activity_name="Cupones de alimentos"))
    apply_import(read_table(data, "a.csv"), user=alice)
    assert set(ActivityLine.objects.values_list("population_type", "delivery_mechanism",
                                                "activity_name")) == {
        ("destination", "mobile_money", ""), ("transit", "otc", ""),
        ("host", "voucher", "Cupones de alimentos")}


@pytest.mark.parametrize("written", [
    "mobile_money", "Mobile Money", "mobile_money · Mobile money", "mobile_money · Dinero móvil",
    "Dinero móvil", "MOBILE MONEY ", "dinero movil"])
def test_a_mechanism_is_read_as_the_templates_drop_down_or_a_person_writes_it(written):
    from reporting.sheets.values import read_delivery_mechanism

    assert read_delivery_mechanism(written) == "mobile_money"


def test_a_mechanism_under_no_name_is_refused_naming_what_was_written():
    from reporting.sheets.values import ValueProblem, read_delivery_mechanism

    with pytest.raises(ValueProblem) as problem:
        read_delivery_mechanism("paypal · PayPal")
    assert problem.value.message == msg.NOT_A_MECHANISM % {"value": "paypal · PayPal"}


def test_an_upload_names_the_column_of_a_missing_or_wrong_mechanism(alice, report):
    data = csv_of(row(modality="cash", cash_usd="10", delivery_mechanism=None),
                  row(modality="cash", cash_usd="10", delivery_mechanism="paypal",
                      population_type="transit"),
                  row(delivery_mechanism="mobile_money", population_type="host"))
    with pytest.raises(ImportFailed) as failed:
        apply_import(read_table(data, "a.csv"), user=alice)
    errors = [(e.row, e.column, e.message) for e in failed.value.plan.errors]
    assert errors == [
        (2, "Delivery mechanism", str(msg.MECHANISM_REQUIRED)),
        (3, "Delivery mechanism", msg.NOT_A_MECHANISM % {"value": "paypal"}),
        (4, "Delivery mechanism", msg.MECHANISM_NOT_APPLICABLE % {"modality": "Service"}),
    ]


def test_a_historic_load_keeps_a_cash_line_without_its_mechanism(ivan, report):
    data = csv_of(row(modality="cash", cash_usd="10", delivery_mechanism=None))
    apply_import(read_table(data, "historic.csv"), user=ivan, as_approved=True)
    assert ActivityLine.objects.get().delivery_mechanism == ""


def test_an_activity_name_over_100_characters_is_an_error(alice, report):
    with pytest.raises(ImportFailed) as failed:
        apply_import(read_table(csv_of(row(activity_name="x" * 101)), "a.csv"), user=alice)
    [error] = failed.value.plan.errors
    assert error.column == "Activity name"


def test_the_export_writes_the_mechanism_and_the_name(report):
    LineFactory(report=report, modality=Modality.CASH, cash_usd=5,
                delivery_mechanism="prepaid_card", activity_name="Bono")
    [values] = list(exports.line_rows(ActivityLine.objects.all()))
    by_header = dict(zip(HEADERS, values, strict=True))
    assert (by_header["Delivery mechanism"], by_header["Activity name"]) == ("prepaid_card",
                                                                            "Bono")


def test_the_report_page_shows_the_mechanism(client, alice, report):
    LineFactory(report=report, modality=Modality.CASH, cash_usd=5,
                delivery_mechanism="mobile_money")
    client.force_login(alice)
    assert "Cash · Mobile money" in client.get(f"/reports/{report.pk}/").content.decode()


# The migration -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_voucher_lines_voucher_and_leaves_cash_lines_unrecorded():
    if not Sector.objects.exists():  # an earlier transactional test flushed the seeds
        call_command("load_seeds", stdout=io.StringIO())
    report = ReportFactory(organisation=Organisation.objects.get(acronym="HIAS"),
                           sector=Sector.objects.get(code="PRO"), status=ReportStatus.APPROVED)
    cash = LineFactory(report=report, modality=Modality.CASH, cash_usd=5)
    voucher = LineFactory(report=report, modality=Modality.VOUCHER, cash_usd=5,
                          population_type="transit")
    before = migrate(("reporting", "0007_indicator_type_rmrp_activity"))
    try:
        assert not hasattr(before.get_model("reporting", "ActivityLine"), "delivery_mechanism")
        after = migrate(("reporting", "0008_delivery_mechanism_activity_name"))
        Line = after.get_model("reporting", "ActivityLine")
        assert Line.objects.get(pk=cash.pk).delivery_mechanism == ""
        assert Line.objects.get(pk=voucher.pk).delivery_mechanism == "voucher"
        assert Line.objects.get(pk=cash.pk).activity_name == ""
    finally:
        migrate(("reporting", max(
            name for app, name in MigrationExecutor(connection).loader.graph.leaf_nodes()
            if app == "reporting")))
        ActivityLine.objects.all().delete()
