"""Plans: the RMRP framework by plan period. A month uses the plan in force; old reports keep
their plan's indicators; an indicator's series follows its predecessors across plans; a new
plan is loaded from a file, all or nothing (DESIGN §6)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from openpyxl import Workbook

from reporting.forms import ActivityLineForm
from reporting.models import ActivityLine, Indicator, Plan, ReportStatus
from reporting.numbers.aggregation import indicator_trend
from reporting.reference.plans import PlanFileError, load_plan
from reporting.sheets.planner import apply_import
from reporting.sheets.reading import read_table

from .factories import LineFactory, PeriodFactory, ReportFactory
from .test_imports import row
from .test_other_by_age import csv_of

JAN_2025 = dt.date(2025, 1, 1)
PLAN_2025 = (
    "plan,first_month,name_es,name_en\n"
    "2025-2026,2025-01,Plan Regional 2025-2026,Regional Plan 2025-2026\n"
    "sector,code,name_es,name_en,regional_name,type,unit,replaces\n"
    "PRO,PRO-01,Personas orientadas,People informed,People receiving information,direct,"
    "people,PRO-01\n"
    "PRO,PRO-20,Personas con asistencia legal,People with legal aid,,direct,people,PRO-03\n"
    "HEA,HEA-01,Atenciones de salud,Health care,,direct,people,\n"
)


@pytest.fixture
def plan_file(tmp_path) -> Path:
    path = tmp_path / "plan-2025-2026.csv"
    path.write_text(PLAN_2025, encoding="utf-8")
    return path


@pytest.fixture
def plan_2025(db, plan_file) -> Plan:
    return load_plan(plan_file).plan


def test_the_seeds_put_every_indicator_in_plan_2023_2024(db):
    plan = Plan.objects.get()
    assert (plan.code, plan.first_month) == ("2023-2024", dt.date(2023, 1, 1))
    assert Indicator.objects.exclude(plan=plan).count() == 0


def test_the_plan_in_force_is_the_latest_that_has_begun(plan_2025):
    old = Plan.objects.get(code="2023-2024")
    assert Plan.objects.in_force(dt.date(2023, 9, 1)) == old
    assert Plan.objects.in_force(dt.date(2024, 12, 1)) == old
    assert Plan.objects.in_force(JAN_2025) == plan_2025
    assert Plan.objects.in_force(dt.date(2026, 6, 1)) == plan_2025
    assert Plan.objects.in_force(dt.date(2021, 6, 1)) == old  # historic data: the first plan


def test_codes_are_unique_within_a_plan_only(plan_2025):
    assert Indicator.objects.filter(code="PRO-01").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Indicator.objects.create(plan=plan_2025, code="PRO-01", sector_id=Indicator.objects.filter(
            code="PRO-01").first().sector_id, name_es="x", name_en="x")


def test_the_line_form_offers_the_plan_of_the_reports_month(plan_2025, org_a, protection):
    old_report = ReportFactory(organisation=org_a, sector=protection,
                               period=PeriodFactory(month=dt.date(2024, 12, 1)))
    new_report = ReportFactory(organisation=org_a, sector=protection,
                               period=PeriodFactory(month=JAN_2025))
    old = ActivityLineForm(instance=ActivityLine(report=old_report), report=old_report)
    new = ActivityLineForm(instance=ActivityLine(report=new_report), report=new_report)
    assert {i.plan for i in old.fields["indicator"].queryset} == {
        Plan.objects.get(code="2023-2024")}
    assert {i.code for i in new.fields["indicator"].queryset} == {"PRO-01", "PRO-20"}


def test_a_reopened_old_report_still_offers_its_own_plan(plan_2025, alice, protection, period):
    report = ReportFactory(organisation=alice.organisation, sector=protection, period=period,
                           status=ReportStatus.REOPENED, status_reason="Corregir")
    form = ActivityLineForm(instance=ActivityLine(report=report), report=report)
    codes = {i.code for i in form.fields["indicator"].queryset}
    assert "PRO-07" in codes and "PRO-20" not in codes


def test_an_upload_matches_codes_in_the_plan_of_each_rows_month(plan_2025, alice, report):
    PeriodFactory(month=JAN_2025)
    data = csv_of(row(), row(month="2025-01", population_type="transit"))
    apply_import(read_table(data, "a.csv"), user=alice)
    plans = dict(ActivityLine.objects.values_list("report__period__month", "indicator__plan__code"))
    assert plans == {dt.date(2023, 9, 1): "2023-2024", JAN_2025: "2025-2026"}


def test_an_upload_refuses_a_code_of_another_plan(plan_2025, alice, report):
    from reporting.sheets.planner import ImportFailed

    with pytest.raises(ImportFailed) as failed:
        apply_import(read_table(csv_of(row(indicator="PRO-20")), "a.csv"), user=alice)
    assert [e.column for e in failed.value.plan.errors] == ["Indicator"]


def test_a_trend_follows_an_indicator_back_to_its_predecessors(plan_2025, org_a, protection):
    old_pro_03 = Indicator.objects.get(plan__code="2023-2024", code="PRO-03")
    new_pro_20 = Indicator.objects.get(plan=plan_2025, code="PRO-20")
    assert old_pro_03.successor == new_pro_20
    assert new_pro_20.series() == [new_pro_20, old_pro_03]
    december = ReportFactory(organisation=org_a, sector=protection, status=ReportStatus.APPROVED,
                             period=PeriodFactory(month=dt.date(2024, 12, 1)))
    january = ReportFactory(organisation=org_a, sector=protection, status=ReportStatus.APPROVED,
                            period=PeriodFactory(month=JAN_2025))
    LineFactory(report=december, indicator=old_pro_03, total_monthly=100)
    LineFactory(report=january, indicator=new_pro_20, total_monthly=120)
    points = indicator_trend(new_pro_20, dt.date(2024, 11, 1), dt.date(2025, 2, 1))
    assert [(p.month.strftime("%Y-%m"), p.total_monthly) for p in points] == [
        ("2024-11", 0), ("2024-12", 100), ("2025-01", 120), ("2025-02", 0)]
    assert [p.total_monthly for p in indicator_trend(
        old_pro_03, dt.date(2024, 12, 1), JAN_2025)] == [100, 0]  # no successors forward


# load_plan ---------------------------------------------------------------------------------


def test_load_plan_creates_the_plan_and_its_indicators_without_touching_older_ones(
        db, plan_file):
    before = {i.pk: (i.name_en, i.type, i.sector_id) for i in Indicator.objects.all()}
    out = io.StringIO()
    call_command("load_plan", str(plan_file), stdout=out)
    assert "Plan 2025-2026 (created, from 2025-01): 3 indicators created" in out.getvalue()
    plan = Plan.objects.get(code="2025-2026")
    assert plan.first_month == JAN_2025 and plan.name_en == "Regional Plan 2025-2026"
    assert {i.pk: (i.name_en, i.type, i.sector_id)
            for i in Indicator.objects.exclude(plan=plan)} == before
    assert Indicator.objects.get(plan=plan, code="PRO-01").r4v_name == (
        "People receiving information")


def test_loading_the_same_plan_twice_updates_it(db, plan_file):
    load_plan(plan_file)
    load = load_plan(plan_file)
    assert (load.created, load.indicators_created, load.indicators_updated) == (False, 0, 3)
    assert Indicator.objects.filter(plan__code="2025-2026").count() == 3


def test_load_plan_reads_xlsx(db, tmp_path):
    book = Workbook()
    for line in PLAN_2025.strip().split("\n"):
        book.active.append(line.split(","))
    path = tmp_path / "plan.xlsx"
    book.save(path)
    assert load_plan(path).indicators_created == 3


def test_load_plan_names_row_column_and_reason_and_saves_nothing(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(PLAN_2025.replace("HEA,HEA-01", "XYZ,HEA-01")
                    .replace("people,PRO-03", "people,PRO-99")
                    .replace("Legal aid,,direct", "Legal aid,,direct"), encoding="utf-8")
    with pytest.raises(PlanFileError) as failed:
        load_plan(path)
    assert [(e.row, e.column) for e in failed.value.errors] == [(5, "replaces"), (6, "sector")]
    assert "no indicator “PRO-99”" in failed.value.errors[0].message
    assert not Plan.objects.filter(code="2025-2026").exists()
    assert not Indicator.objects.filter(successor__isnull=False).exists()
    with pytest.raises(CommandError, match="2 errors in bad.csv: nothing was saved"):
        call_command("load_plan", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_load_plan_refuses_a_month_that_is_not_one(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(PLAN_2025.replace("2025-01,", "enero,"), encoding="utf-8")
    with pytest.raises(PlanFileError) as failed:
        load_plan(path)
    assert [(e.row, e.column) for e in failed.value.errors] == [(2, "first_month")]


def test_the_templates_lists_offer_the_plan_of_its_month(plan_2025, org_a):
    from openpyxl import load_workbook

    from reporting.sheets.template_workbook import build_template

    def listed_codes(month: dt.date) -> set[str]:
        book = load_workbook(io.BytesIO(build_template(organisation=org_a, month=month)))
        return {str(cell.value).split(" · ")[0] for row in book["Lists"].iter_rows()
                for cell in row if cell.value}

    assert "PRO-20" in listed_codes(JAN_2025) and "PRO-07" not in listed_codes(JAN_2025)
    assert "PRO-07" in listed_codes(dt.date(2023, 9, 1))
    assert "PRO-20" not in listed_codes(dt.date(2023, 9, 1))
