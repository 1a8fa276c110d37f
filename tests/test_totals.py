"""The counted totals: the database keeps them equal to the approved lines on every path.

Besides these tests, conftest checks the totals against the lines after every test of the
suite that touched the database (`pytest_runtest_teardown`), so every path the suite exercises
is covered too. Here each path is taken on purpose, and the figures computed from the totals
are compared with the same figures computed from the lines.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from reporting import workflow
from reporting.models import (
    ActivityLine,
    CountedTotal,
    Indicator,
    IndicatorType,
    Location,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportStatus,
    Sector,
)
from reporting.numbers import aggregation, totals

from .factories import LineFactory, PeriodFactory, ReportFactory

pytestmark = pytest.mark.django_db

SEPT = dt.date(2023, 9, 1)


def stored() -> dict[tuple, tuple[int, int, int]]:
    return {
        (t.period_id, t.sector_id, t.indicator_sector_id, t.department.code, t.population_type,
         t.cash): (t.line_count, t.total_monthly, t.new_beneficiaries)
        for t in CountedTotal.objects.select_related("department")
    }


def assert_figures_agree(month: dt.date = SEPT) -> None:
    """The totals hold what the lines say, and every figure computed from them matches."""
    assert totals.differences() == {}
    from_totals = aggregation.month_figures(month)
    from_lines = aggregation.month_figures(month, lines=ActivityLine.objects.all())
    assert from_totals == from_lines
    assert aggregation.monthly_trend(month) == aggregation.monthly_trend(
        month, lines=ActivityLine.objects.all())


@pytest.fixture
def approved(alice, protection):
    report = ReportFactory(organisation=alice.organisation, sector=protection,
                           status=ReportStatus.APPROVED)
    LineFactory(report=report)
    LineFactory(report=report, population_type=PopulationType.TRANSIT, modality=Modality.CASH,
                cash_usd=100)
    return report


def test_it_counts_a_line_added_to_an_approved_report(approved):
    key = (approved.period_id, approved.sector_id, approved.sector_id, "15",
           PopulationType.DESTINATION, False)
    assert stored()[key] == (1, 100, 80)
    assert_figures_agree()


def test_it_leaves_out_the_lines_of_reports_that_are_not_approved(alice, protection):
    for number, status in enumerate((ReportStatus.DRAFT, ReportStatus.SUBMITTED,
                                     ReportStatus.RETURNED, ReportStatus.REOPENED), start=1):
        report = ReportFactory(organisation=alice.organisation, sector=protection,
                               period=PeriodFactory(month=dt.date(2023, number, 1)),
                               status=status, status_reason="Checked.")
        LineFactory(report=report)
    assert stored() == {}
    assert_figures_agree()


def test_it_leaves_out_indicators_that_do_not_count_people(alice, protection):
    report = ReportFactory(organisation=alice.organisation, sector=protection,
                           status=ReportStatus.APPROVED)
    indicator = Indicator.objects.filter(sector=protection, type=IndicatorType.CAPACITY_BUILDING).first()
    LineFactory(report=report, indicator=indicator, girls=0, boys=0, women=0, men=0, other_adults=0,
                total_monthly=0, quantity=3)
    assert stored() == {}


def test_it_follows_a_report_through_approval_and_reopening(alice, paula, ivan, protection):
    report = ReportFactory(organisation=alice.organisation, sector=protection)
    LineFactory(report=report)
    LineFactory(report=report, department=Location.objects.get(code="13"),
                location=Location.objects.get(code="13"))
    workflow.submit_report(report=report, by=alice)
    assert stored() == {}
    workflow.approve_report(report=MonthlyReport.objects.get(pk=report.pk), by=paula)
    assert sum(lines for lines, _m, _n in stored().values()) == 2
    assert_figures_agree()
    workflow.reopen_report(report=MonthlyReport.objects.get(pk=report.pk), by=ivan,
                           reason="A line was double-counted.")
    assert stored() == {}
    assert_figures_agree()


def test_it_follows_edits_and_deletions_of_an_approved_reports_lines(approved):
    line = approved.lines.order_by("pk").first()
    line.total_monthly = 500
    line.save()
    assert stored()[(approved.period_id, approved.sector_id, approved.sector_id, "15",
                     PopulationType.DESTINATION, False)][1] == 500
    line.department = line.location = Location.objects.get(code="07")
    line.save()
    assert "15" not in {key[3] for key in stored() if not key[5]}
    assert_figures_agree()
    approved.lines.all().delete()
    assert stored() == {}


def test_it_follows_bulk_inserts_and_queryset_updates(alice, protection, approved):
    others = [
        ReportFactory(organisation=alice.organisation, sector=protection,
                      period=PeriodFactory(month=dt.date(2023, month, 1)),
                      status=ReportStatus.SUBMITTED)
        for month in (7, 8)
    ]
    indicator = approved.lines.first().indicator
    ActivityLine.objects.bulk_create([
        ActivityLine(report=report, indicator=indicator, department_id=department.pk,
                     location_id=department.pk, population_type=PopulationType.HOST,
                     modality=Modality.SERVICE, girls=1, boys=1, women=1, men=1, other_adults=0,
                     new_beneficiaries=4, total_monthly=9)
        for report in others for department in Location.objects.departments()[:5]
    ])
    assert len(stored()) == 2
    MonthlyReport.objects.filter(pk__in=[r.pk for r in others]).update(
        status=ReportStatus.APPROVED)
    assert len(stored()) == 12
    ActivityLine.objects.filter(report__in=others).update(total_monthly=10)
    assert_figures_agree(dt.date(2023, 8, 1))
    MonthlyReport.objects.filter(pk=others[0].pk).update(
        period=PeriodFactory(month=dt.date(2023, 6, 1)))
    assert_figures_agree(dt.date(2023, 8, 1))
    MonthlyReport.objects.filter(pk__in=[r.pk for r in others]).update(
        status=ReportStatus.RETURNED, status_reason="Figures to check.")
    assert len(stored()) == 2


def test_it_recomputes_everything_when_an_indicator_changes_sector_or_stops_counting(approved):
    # The report's lines use one indicator per modality (cash lines a cash indicator): each
    # is moved, one update at a time, as an IM officer would in the admin.
    indicators = list(Indicator.objects.filter(pk__in=approved.lines.values("indicator")))
    subsector = Sector.objects.filter(parent=approved.sector).first()
    for indicator in indicators:
        indicator.sector = subsector
        indicator.save()
    assert {key[2] for key in stored()} == {subsector.pk}
    assert_figures_agree()
    Indicator.objects.filter(pk__in=[i.pk for i in indicators]).update(type=IndicatorType.OTHER)
    assert stored() == {}


def test_it_deletes_an_approved_report_with_its_totals(approved):
    approved.events.all().delete()
    approved.delete()
    assert stored() == {}


def test_it_rebuilds_the_totals_from_the_lines(approved):
    before = stored()
    CountedTotal.objects.all().delete()
    assert totals.differences() != {}
    call_command("rebuild_totals")
    assert stored() == before


def test_it_keeps_the_demo_figures_equal_from_totals_and_from_lines():
    call_command("demo_data", stdout=io.StringIO())
    assert CountedTotal.objects.exists()
    assert_figures_agree()
    assert_figures_agree(dt.date(2023, 6, 1))


# --------------------------------------------------------------------------------------------
# The triggers the migrations installed are the ones the code generates
#
# Migration 0004 holds its trigger SQL frozen, as totals.py generated it then; a later change to
# totals.py needs a migration of its own. These tests read the triggers back from the migrated
# test database and fail if they are not exactly what totals.py generates now.
# --------------------------------------------------------------------------------------------

FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(\) .*? AS \$\$(.*)\$\$;\Z", re.S)
TRIGGER = re.compile(r"CREATE TRIGGER (\w+) ")
FILLFACTOR = re.compile(r"ALTER TABLE (\w+) SET \(fillfactor = (\d+)\)")


def normalised(sql: str) -> str:
    """Return a trigger's definition as PostgreSQL prints it back: without the schema, the
    final semicolon and the spacing."""
    return " ".join(sql.replace("public.", "").rstrip(";").split())


def code_postgresql() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Return what totals.py would install on PostgreSQL: {function: source},
    {trigger: definition}, {table: fillfactor}."""
    functions, triggers, fillfactors = {}, {}, {}
    for statement in totals.postgresql_install():
        if match := FUNCTION.match(statement):
            functions[match[1]] = match[2]
        elif match := TRIGGER.match(statement):
            triggers[match[1]] = normalised(statement)
        elif match := FILLFACTOR.match(statement):
            fillfactors[match[1]] = match[2]
        else:
            raise AssertionError(f"A statement this test does not know: {statement[:80]}")
    return functions, triggers, fillfactors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL triggers")
def test_the_postgresql_triggers_in_the_database_are_the_ones_the_code_generates():
    functions, triggers, fillfactors = code_postgresql()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, pg_get_triggerdef(t.oid), p.proname, p.prosrc "
            "FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE 'reporting_totals_%'")
        rows = cursor.fetchall()
        cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'reporting_totals_%'")
        installed_functions = dict(cursor.fetchall())
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
                       [list(fillfactors)])
        options = dict(cursor.fetchall())

    assert {name: normalised(definition) for name, definition, _f, _s in rows} == triggers
    assert {name: function for name, _d, function, _s in rows} == {name: name for name in triggers}
    assert installed_functions == functions
    assert {table: [f"fillfactor={value}"] for table, value in fillfactors.items()} == options


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite triggers")
def test_the_sqlite_triggers_in_the_database_are_the_ones_the_code_generates():
    expected = {TRIGGER.match(statement)[1]: statement.removesuffix(";")
                for statement in totals.sqlite_install()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master "
                       "WHERE type = 'trigger' AND name LIKE 'reporting_totals_%'")
        installed = dict(cursor.fetchall())

    assert installed == expected


def test_migrations_import_nothing_of_the_project():
    """A migration makes the same database whatever the code says later: it imports Django, never
    the app's modules, which move and change. The one exception is the custom user's manager,
    which Django itself writes into an app's first migration (use_in_migrations)."""
    root = Path(__file__).resolve().parent.parent
    allowed = {("partners/migrations/0001_initial.py", "partners.models")}
    found = []
    for path in sorted([*root.glob("reporting/migrations/0*.py"),
                        *root.glob("partners/migrations/0*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            found += [(path.relative_to(root).as_posix(), name) for name in names
                      if name.split(".")[0] in {"reporting", "partners", "gtrm"}]

    assert set(found) <= allowed, found
