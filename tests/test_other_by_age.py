"""Other people split by age (R4V's six sex-and-age figures, DESIGN §6): the migration keeps the
old ageless figure, new entry asks for an age, and an IM officer can find what is left."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from openpyxl import load_workbook

from partners.models import Organisation
from reporting import texts as msg
from reporting.demo.september import other_people
from reporting.forms import ActivityLineForm
from reporting.models import DISAGGREGATION_FIELDS, ActivityLine, LineChange, Sector
from reporting.sheets import exports
from reporting.sheets.columns import COLUMNS, HEADERS, TEMPLATE_HEADERS
from reporting.sheets.planner import ImportFailed, apply_import
from reporting.sheets.reading import read_table
from reporting.sheets.template_workbook import build_template

from .factories import LineFactory, UserFactory
from .test_imports import row
from .test_line_rules import form_data

BEFORE = ("reporting", "0005_upload_retention")
AFTER = ("reporting", "0006_other_by_age")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_other_figure_and_its_history_without_guessing_an_age():
    if not Sector.objects.exists():  # an earlier transactional test flushed the seeds
        call_command("load_seeds", stdout=io.StringIO())
    user = UserFactory(username="migrator", organisation=Organisation.objects.get(acronym="HIAS"))
    apps = migrate(BEFORE)
    try:
        Report = apps.get_model("reporting", "MonthlyReport")
        Line = apps.get_model("reporting", "ActivityLine")
        Change = apps.get_model("reporting", "LineChange")
        OldSector = apps.get_model("reporting", "Sector")
        Period = apps.get_model("reporting", "ReportingPeriod")
        Indicator = apps.get_model("reporting", "Indicator")
        Location = apps.get_model("reporting", "Location")
        period = Period.objects.create(month="2023-09-01", deadline="2023-10-10")
        report = Report.objects.create(
            organisation_id=user.organisation_id,
            sector=OldSector.objects.get(code="PRO"), period=period, status="approved")
        lima = Location.objects.get(code="15")
        line = Line.objects.create(
            report=report, indicator=Indicator.objects.get(code="PRO-01"), department=lima,
            location=lima, population_type="destination", modality="service", girls=1, boys=2,
            women=3, men=4, other=5, new_beneficiaries=15, total_monthly=20)
        Change.objects.create(report=report, line_id=line.pk, action="update", summary="x",
                              changes={"other": [0, 5]}, by_id=user.pk)
        assert counted() == (15, 20)

        apps = migrate(AFTER)
        Line = apps.get_model("reporting", "ActivityLine")
        migrated = Line.objects.get(pk=line.pk)
        assert (migrated.other_unknown_age, migrated.other_under_18, migrated.other_adults) == (
            5, 0, 0)
        assert migrated.new_beneficiaries == 15
        change = apps.get_model("reporting", "LineChange").objects.get()
        assert change.changes == {"other_unknown_age": [0, 5]}
        # The triggers survive the table's rebuild (SQLite) and the totals are unchanged.
        assert counted() == (15, 20)
        Line.objects.filter(pk=line.pk).update(other_unknown_age=0, other_adults=5,
                                               total_monthly=30)
        assert counted() == (15, 30)  # the triggers followed the change

        # Going back folds both ages into the single figure.
        Line.objects.filter(pk=line.pk).update(other_adults=2, other_under_18=3)
        apps = migrate(BEFORE)
        back = apps.get_model("reporting", "ActivityLine").objects.get(pk=line.pk)
        assert back.other == 5
        assert apps.get_model("reporting", "LineChange").objects.get().changes == {
            "other": [0, 5]}
    finally:
        migrate(("reporting", _latest()))
        ActivityLine.objects.all().delete()
        LineChange.objects.all().delete()


def counted() -> tuple[int, int]:
    """Return the counted totals' new beneficiaries and monthly total, summed (read in SQL:
    the code's own checks are written for the latest schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT SUM(new_beneficiaries), SUM(total_monthly) "
                       "FROM reporting_countedtotal")
        return tuple(int(value) for value in cursor.fetchone())


def _latest() -> str:
    executor = MigrationExecutor(connection)
    return max(name for app, name in executor.loader.graph.leaf_nodes() if app == "reporting")


def test_the_breakdown_is_seven_figures_of_which_six_are_r4vs():
    assert DISAGGREGATION_FIELDS == ("girls", "boys", "women", "men", "other_under_18",
                                     "other_adults", "other_unknown_age")


def test_people_of_unknown_age_still_count_in_the_breakdown(report):
    line = LineFactory.build(report=report, girls=0, boys=0, women=0, men=0, other_adults=0,
                             other_unknown_age=4, new_beneficiaries=4, total_monthly=4)
    assert line.row_errors() == {}
    line.other_unknown_age = 3
    assert list(line.row_errors()) == ["new_beneficiaries"]


def test_a_new_line_asks_for_other_people_by_age_only(report):
    form = ActivityLineForm(instance=ActivityLine(report=report), report=report)
    assert "other_unknown_age" not in form.fields
    assert form.fields["new_beneficiaries"].widget.attrs["data-sum-of"] == (
        "girls boys women men other_under_18 other_adults")
    bound = ActivityLineForm(form_data(other_under_18="2", new_beneficiaries="82"),
                             instance=ActivityLine(report=report), report=report)
    assert bound.is_valid(), bound.errors
    line = bound.save()
    assert (line.other_under_18, line.other_adults, line.other_unknown_age) == (2, 3, 0)


def test_a_line_with_people_of_unknown_age_shows_them_and_asks_to_move_them(report):
    line = LineFactory(report=report, other_adults=0, other_unknown_age=3)
    form = ActivityLineForm(instance=line, report=report)
    assert "other_unknown_age" in form.fields
    assert "move these people" in str(form.fields["other_unknown_age"].help_text)
    assert form.fields["new_beneficiaries"].widget.attrs["data-sum-of"].endswith(
        "other_unknown_age")

    moved = ActivityLineForm(form_data(other_adults="3", other_unknown_age="0"), instance=line,
                             report=report)
    assert moved.is_valid(), moved.errors
    moved.save()
    line.refresh_from_db()
    assert (line.other_adults, line.other_unknown_age) == (3, 0)
    assert "other_unknown_age" not in ActivityLineForm(instance=line, report=report).fields


def test_the_line_page_shows_both_ages(client, alice, report):
    LineFactory(report=report, other_under_18=2, other_adults=3)
    client.force_login(alice)
    page = client.get(f"/reports/{report.pk}/lines/add/").content.decode()
    assert 'name="other_under_18"' in page and 'name="other_adults"' in page
    assert 'name="other_unknown_age"' not in page
    detail = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Other (0–17)" in detail and "Other, age not recorded" not in detail


def test_the_report_page_shows_unknown_age_while_a_line_has_some(client, alice, report):
    LineFactory(report=report, other_adults=0, other_unknown_age=3)
    client.force_login(alice)
    assert "Other, age not recorded" in client.get(f"/reports/{report.pk}/").content.decode()


# Spreadsheets ----------------------------------------------------------------------------


def csv_of(*rows: dict, headers=HEADERS) -> bytes:
    fields = [column.field for column in COLUMNS if column.header in headers]
    lines = [",".join(headers)]
    for values in rows:
        lines.append(",".join(str(values.get(field) or "") for field in fields))
    return ("\n".join(lines) + "\n").encode()


def test_the_template_has_the_two_ages_and_not_the_legacy_column():
    assert "Other under 18" in TEMPLATE_HEADERS and "Other 18+" in TEMPLATE_HEADERS
    assert "Other" not in TEMPLATE_HEADERS
    assert HEADERS.index("Other") == HEADERS.index("Other 18+") + 1


def test_an_upload_with_both_ages_saves_them(alice, report):
    data = csv_of(row(other_under_18="2", other_adults="3", new_beneficiaries="82"))
    apply_import(read_table(data, "a.csv"), user=alice)
    line = ActivityLine.objects.get(report=report)
    assert (line.other_under_18, line.other_adults, line.other_unknown_age) == (2, 3, 0)


def test_an_old_file_with_a_single_other_column_loads_when_it_is_empty_or_zero(alice, report):
    old_headers = tuple(h for h in HEADERS if h not in ("Other under 18", "Other 18+"))
    data = csv_of(row(other_adults=None, other_unknown_age="0", men="28"), headers=old_headers)
    apply_import(read_table(data, "old.csv"), user=alice)
    line = ActivityLine.objects.get(report=report)
    assert (line.men, line.other_adults, line.other_unknown_age) == (28, 0, 0)


def test_an_old_other_figure_is_an_error_that_names_the_two_new_columns(alice, report):
    data = csv_of(row(other_adults=None, other_unknown_age="3"))
    with pytest.raises(ImportFailed) as failed:
        apply_import(read_table(data, "old.csv"), user=alice)
    [error] = failed.value.plan.errors
    assert (error.row, error.column, error.value) == (2, "Other", "3")
    assert error.message == str(msg.OTHER_NEEDS_AN_AGE)
    assert "Other under 18" in error.message and "Other 18+" in error.message
    assert not ActivityLine.objects.exists()


def test_a_historic_load_keeps_other_people_without_an_age(ivan, report):
    data = csv_of(row(other_adults=None, other_unknown_age="3"))
    apply_import(read_table(data, "historic.csv"), user=ivan, as_approved=True)
    line = ActivityLine.objects.get()
    assert (line.other_adults, line.other_unknown_age, line.new_beneficiaries) == (0, 3, 80)


def test_the_export_writes_all_three_other_figures(report):
    LineFactory(report=report, other_under_18=1, other_adults=0, other_unknown_age=2)
    [values] = list(exports.line_rows(ActivityLine.objects.all()))
    by_header = dict(zip(HEADERS, values, strict=True))
    assert (by_header["Other under 18"], by_header["Other 18+"], by_header["Other"]) == (1, 0, 2)


def test_a_prefilled_template_keeps_people_of_unknown_age_in_the_legacy_column(org_a, report):
    LineFactory(report=report, other_adults=0, other_unknown_age=3)
    month = report.period.month
    book = load_workbook(io.BytesIO(build_template(organisation=org_a, month=month,
                                                   prefill_from=month)))
    headers = [cell.value for cell in book["Activities"][1]]
    assert headers == list(HEADERS)
    values = dict(zip(headers, (cell.value for cell in book["Activities"][3]), strict=True))
    assert values["Other"] == 3


# The admin -------------------------------------------------------------------------------


def test_an_im_officer_finds_the_lines_with_people_of_unknown_age(client, ivan, report):
    kept = LineFactory(report=report, other_adults=0, other_unknown_age=3)
    LineFactory(report=report, population_type="transit")
    client.force_login(ivan)
    page = client.get("/admin/reporting/activityline/", {"unknown_age": "yes"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [kept]
    assert "other of unknown age" in page.content.decode()
    others = client.get("/admin/reporting/activityline/", {"unknown_age": "no"})
    assert kept not in list(others.context["cl"].result_list)
    assert not list(client.get("/admin/reporting/activityline/",
                               {"unknown_age": "maybe"}).context["cl"].result_list)


# The demo --------------------------------------------------------------------------------


def test_the_demo_draws_other_people_of_both_ages_without_changing_its_other_draws():
    import random

    drawn = {other_people(10, 10, random.Random(seed)) for seed in range(200)}
    assert {(1, 0), (0, 1), (0, 0)} <= drawn
    rng = random.Random(1)
    assert other_people(3, 10, rng) == (0, 0)
    assert rng.random() == random.Random(1).random()  # nothing drawn when there is no one
