"""R4V's indicator types and the RMRP-activity flag: a line counts people when its indicator is
Direct Assistance and it is an RMRP activity (DESIGN §4, §6); nothing else about counting moved."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from partners.models import Organisation
from reporting.forms import ActivityLineForm
from reporting.models import (
    R4V_INDICATOR_TYPES,
    ActivityLine,
    Indicator,
    IndicatorType,
    IndicatorUnit,
    ReportStatus,
    Sector,
)
from reporting.numbers import aggregation, totals
from reporting.sheets import exports
from reporting.sheets.columns import HEADERS
from reporting.sheets.planner import ImportFailed, apply_import
from reporting.sheets.reading import read_table

from .factories import LineFactory, ReportFactory
from .test_imports import row
from .test_line_rules import form_data
from .test_other_by_age import counted, csv_of, migrate

SEPT = dt.date(2023, 9, 1)
SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "indicators.csv"


@pytest.fixture
def approved(alice, protection):
    return ReportFactory(organisation=alice.organisation, sector=protection,
                         status=ReportStatus.APPROVED)


def people_assisted(month: dt.date = SEPT) -> tuple[int, int]:
    """Return people assisted in the month, from the counted totals and from the lines."""
    assert totals.differences() == {}
    from_totals = aggregation.month_figures(month).people_assisted_month
    from_lines = aggregation.month_figures(month, lines=ActivityLine.objects.all())
    return from_totals, from_lines.people_assisted_month


# The counting rule -------------------------------------------------------------------------


def test_an_rmrp_line_of_a_direct_assistance_indicator_counts(approved):
    LineFactory(report=approved, total_monthly=100)
    assert people_assisted() == (100, 100)


def test_a_line_that_is_not_an_rmrp_activity_does_not_count(approved):
    LineFactory(report=approved, total_monthly=100, rmrp_activity=False)
    assert people_assisted() == (0, 0)


def test_a_capacity_building_line_does_not_count(approved):
    training = Indicator.objects.get(code="PRO-06")
    assert training.type == IndicatorType.CAPACITY_BUILDING
    LineFactory(report=approved, indicator=training, total_monthly=100)
    assert people_assisted() == (0, 0)


def test_the_totals_follow_the_flag_and_the_type_whichever_way_they_change(approved):
    line = LineFactory(report=approved, total_monthly=100)
    ActivityLine.objects.filter(pk=line.pk).update(rmrp_activity=False)
    assert people_assisted() == (0, 0)
    line.rmrp_activity = True
    line.save()
    assert people_assisted() == (100, 100)
    Indicator.objects.filter(pk=line.indicator_id).update(type=IndicatorType.OTHER)
    assert people_assisted() == (0, 0)
    Indicator.objects.filter(pk=line.indicator_id).update(type=IndicatorType.DIRECT_ASSISTANCE)
    assert people_assisted() == (100, 100)


def test_only_an_indicator_counted_in_people_can_be_direct_assistance(protection):
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(code="PRO-99", sector=protection, name_es="Kits", name_en="Kits",
                                 plan=Indicator.objects.get(code="PRO-01").plan,
                                 unit=IndicatorUnit.KITS, type=IndicatorType.DIRECT_ASSISTANCE)
    Indicator.objects.create(code="PRO-98", sector=protection, name_es="Kits", name_en="Kits",
                             plan=Indicator.objects.get(code="PRO-01").plan,
                             unit=IndicatorUnit.KITS, type=IndicatorType.OTHER)


def test_r4vs_own_words_for_each_type():
    assert list(R4V_INDICATOR_TYPES.values()) == [
        "Direct Assistance", "Capacity Building", "Infrastructure", "Mechanism/Advocacy", "Other"]
    assert set(R4V_INDICATOR_TYPES) == set(IndicatorType)


# Seeds -------------------------------------------------------------------------------------


def test_the_seed_file_gives_every_indicator_its_type(db):
    with SEEDS.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert {row["type"] for row in rows} <= set(IndicatorType.values)
    by_code = dict(Indicator.objects.values_list("code", "type"))
    assert {row["code"]: row["type"] for row in rows} == {
        code: by_code[code] for code in (row["code"] for row in rows)}
    trainings = [row for row in rows if "trained" in row["name_en"] and row["code"] != "INT-01"]
    assert trainings and {row["type"] for row in trainings} == {"capacity"}
    assert sum(row["type"] == "direct" for row in rows) == 46  # the 46 that counted people


# The migration -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_each_indicator_its_type_and_every_line_the_rmrp_flag():
    if not Sector.objects.exists():  # an earlier transactional test flushed the seeds
        call_command("load_seeds", stdout=io.StringIO())
    seeded = dict(Indicator.objects.values_list("code", "type"))
    protection = Sector.objects.get(code="PRO")
    report = ReportFactory(organisation=Organisation.objects.get(acronym="HIAS"),
                           sector=protection, status=ReportStatus.APPROVED)
    line = LineFactory(report=report, total_monthly=90)
    before = migrate(("reporting", "0006_other_by_age"))
    try:
        OldIndicator = before.get_model("reporting", "Indicator")
        assert set(OldIndicator.objects.filter(counts_people=True).values_list(
            "code", flat=True)) == {code for code, type_ in seeded.items() if type_ == "direct"}
        OldIndicator.objects.create(code="PRO-90", sector_id=protection.pk, name_es="x",
                                    name_en="x", unit="sessions", counts_people=False)

        after = migrate(("reporting", "0007_indicator_type_rmrp_activity"))
        types = dict(after.get_model("reporting", "Indicator").objects.values_list("code", "type"))
        assert types.pop("PRO-90") == "other"  # not in the seed file: Other, never guessed
        assert types == seeded
        migrated = after.get_model("reporting", "ActivityLine").objects.get(pk=line.pk)
        assert migrated.rmrp_activity is True
        assert counted() == (80, 90)  # the new triggers rebuilt the totals: nothing moved
    finally:
        migrate(("reporting", max(
            name for app, name in MigrationExecutor(connection).loader.graph.leaf_nodes()
            if app == "reporting")))
        ActivityLine.objects.all().delete()
        Indicator.objects.filter(code="PRO-90").delete()


# Form, spreadsheets, exports, admin -------------------------------------------------------


def test_the_line_form_asks_whether_it_is_an_rmrp_activity_yes_by_default(report):
    form = ActivityLineForm(instance=ActivityLine(report=report), report=report)
    assert form["rmrp_activity"].value() is True
    bound = ActivityLineForm(form_data(), instance=ActivityLine(report=report), report=report)
    assert bound.is_valid(), bound.errors
    assert bound.save().rmrp_activity is False  # an unticked box posts nothing
    ticked = ActivityLineForm(form_data(rmrp_activity="on", population_type="transit"),
                              instance=ActivityLine(report=report), report=report)
    assert ticked.is_valid(), ticked.errors
    assert ticked.save().rmrp_activity is True


def test_an_upload_reads_the_rmrp_column_and_defaults_to_yes(alice, report):
    data = csv_of(row(rmrp_activity="no"), row(population_type="transit"),
                  row(population_type="host", rmrp_activity="Sí"))
    apply_import(read_table(data, "a.csv"), user=alice)
    assert dict(ActivityLine.objects.values_list("population_type", "rmrp_activity")) == {
        "destination": False, "transit": True, "host": True}


def test_a_file_without_the_rmrp_column_loads_with_yes(alice, report):
    headers = tuple(h for h in HEADERS if h != "RMRP activity")
    apply_import(read_table(csv_of(row(), headers=headers), "a.csv"), user=alice)
    assert ActivityLine.objects.get().rmrp_activity is True


def test_an_unreadable_rmrp_cell_is_an_error_that_names_the_column(alice, report):
    with pytest.raises(ImportFailed) as failed:
        apply_import(read_table(csv_of(row(rmrp_activity="maybe")), "a.csv"), user=alice)
    [error] = failed.value.plan.errors
    assert (error.row, error.column) == (2, "RMRP activity")
    assert error.message == "Write yes or no, not “maybe”."


def test_the_export_writes_the_rmrp_flag(report):
    LineFactory(report=report, rmrp_activity=False)
    [values] = list(exports.line_rows(ActivityLine.objects.all()))
    assert dict(zip(HEADERS, values, strict=True))["RMRP activity"] == "no"


def test_the_report_page_marks_lines_outside_the_rmrp(client, alice, report):
    LineFactory(report=report, rmrp_activity=False)
    client.force_login(alice)
    assert "not RMRP" in client.get(f"/reports/{report.pk}/").content.decode()


def test_an_im_officer_filters_lines_by_the_rmrp_flag_and_sees_indicator_types(client, ivan,
                                                                              report):
    outside = LineFactory(report=report, rmrp_activity=False)
    LineFactory(report=report, population_type="transit")
    client.force_login(ivan)
    page = client.get("/admin/reporting/activityline/", {"rmrp_activity__exact": "0"})
    assert list(page.context["cl"].result_list) == [outside]
    indicators = client.get("/admin/reporting/indicator/", {"type__exact": "capacity"})
    assert "PRO-06" in indicators.content.decode()
    assert "Capacity Building" in indicators.content.decode()
