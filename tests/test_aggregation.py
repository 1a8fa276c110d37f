"""The numbers of DESIGN §4, computed by reporting.numbers.aggregation, checked against hand counts.

Every figure asserted here is worked out by hand in the test or its docstring. Reports are
created approved directly (the workflow is tested in test_workflow.py); a line's new
beneficiaries are all counted as women, so `new` is whatever the test says.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from partners.models import Organisation
from reporting.models import (
    CASH_MODALITIES,
    ActivityLine,
    Indicator,
    Location,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportStatus,
    Sector,
)
from reporting.numbers import aggregation
from reporting.numbers.aggregation import MONTH, YTD, AreaFigure, TrendPoint

from .factories import LineFactory, PeriodFactory, ReportFactory

pytestmark = pytest.mark.django_db

SEPT = dt.date(2023, 9, 1)
DESTINATION, TRANSIT = PopulationType.DESTINATION, PopulationType.TRANSIT
LIMA, TUMBES = "15", "24"
TOP_LEVEL = ["EDU", "FS", "HEA", "HT", "INT", "NUT", "PRO", "SHE", "WASH"]


def report_of(organisation: Organisation, sector: str, month: dt.date = SEPT,
              status: str = ReportStatus.APPROVED, **fields) -> MonthlyReport:
    if status in (ReportStatus.RETURNED, ReportStatus.REOPENED):
        fields.setdefault("status_reason", "Revisar la desagregación.")
    return ReportFactory(organisation=organisation, sector=Sector.objects.get(code=sector),
                         period=PeriodFactory(month=month), status=status, **fields)


def add_line(report: MonthlyReport, indicator: str, department: str = LIMA,
             population_type: str = DESTINATION, *, total: int, new: int | None = None,
             modality: str = Modality.SERVICE) -> ActivityLine:
    new = total if new is None else new
    return LineFactory(
        report=report, indicator=Indicator.objects.get(code=indicator),
        department=Location.objects.get(code=department), population_type=population_type,
        modality=modality, girls=0, boys=0, women=new, men=0, other_adults=0, total_monthly=total,
        cash_usd=Decimal("25.00") if modality in CASH_MODALITIES else None,
    )


def sector_figures(figures) -> dict[str, tuple[int, int]]:
    """Return {code: (month, ytd)} of the sectors with a figure."""
    return {f.code: (f.month, f.ytd) for f in figures.sectors + figures.subsectors
            if f.month or f.ytd}


def headline(figures) -> tuple[int, int, int, int]:
    return (figures.people_assisted_month, figures.people_assisted_ytd,
            figures.sum_of_sectors_month, figures.sum_of_sectors_ytd)


def cells(cell_list) -> set[tuple[str, str, str, int, bool]]:
    codes = dict(Sector.objects.values_list("pk", "code"))
    return {(c.department, c.population_type, codes[c.sector], c.value, c.taken)
            for c in cell_list}


def organisation(acronym: str) -> Organisation:
    return Organisation.objects.get(acronym=acronym)


# --------------------------------------------------------------------------------------------
# The worked example of DESIGN §4
# --------------------------------------------------------------------------------------------

@pytest.fixture
def worked_example(org_a, org_b) -> dict[str, MonthlyReport]:
    """Lima destination: Health 300, Protection 200; Lima transit: Health 50; Tumbes transit:
    Protection 120, Food Security 400. Everyone is reached for the first time (new = total)."""
    health = report_of(org_a, "HEA")
    add_line(health, "HEA-01", LIMA, DESTINATION, total=300)
    add_line(health, "HEA-02", LIMA, TRANSIT, total=50)
    protection = report_of(org_a, "PRO")
    add_line(protection, "PRO-01", LIMA, DESTINATION, total=200)
    add_line(protection, "PRO-02", TUMBES, TRANSIT, total=120)
    food = report_of(org_b, "FS")
    add_line(food, "FS-02", TUMBES, TRANSIT, total=400)
    return {"HEA": health, "PRO": protection, "FS": food}


def test_it_computes_the_sector_figures_of_the_worked_example(worked_example):
    figures = aggregation.month_figures(SEPT)
    assert [(f.code, f.month, f.ytd) for f in figures.sectors] == [
        ("EDU", 0, 0), ("FS", 400, 400), ("HEA", 350, 350), ("HT", 0, 0), ("INT", 0, 0),
        ("NUT", 0, 0), ("PRO", 320, 320), ("SHE", 0, 0), ("WASH", 0, 0),
    ]
    assert [(f.code, f.parent) for f in figures.subsectors] == [
        ("PRO-CP", "PRO"), ("PRO-GBV", "PRO"), ("PRO-HTS", "PRO"),
    ]


def test_it_counts_750_people_assisted_against_a_sum_of_1070_in_the_worked_example(
    worked_example,
):
    figures = aggregation.month_figures(SEPT)
    assert headline(figures) == (750, 750, 1070, 1070)  # 300 + 50 + 400; 350 + 320 + 400
    assert figures.partners_reporting == 2  # HIAS (two reports) and Cáritas


def test_it_takes_the_largest_sector_in_each_cell_of_the_worked_example(worked_example):
    figures = aggregation.month_figures(SEPT)
    assert cells(figures.cells_month) == {
        (LIMA, DESTINATION, "HEA", 300, True),
        (LIMA, DESTINATION, "PRO", 200, False),
        (LIMA, TRANSIT, "HEA", 50, True),
        (TUMBES, TRANSIT, "FS", 400, True),
        (TUMBES, TRANSIT, "PRO", 120, False),
    }
    assert cells(figures.cells_ytd) == cells(figures.cells_month)


def test_it_adds_the_cell_maxima_up_by_department_and_by_population_type(worked_example):
    figures = aggregation.month_figures(SEPT)
    assert figures.departments == [
        AreaFigure("15", "Lima", 350, 350),  # 300 + 50
        AreaFigure("24", "Tumbes", 400, 400),
    ]
    assert [(f.code, f.month, f.ytd) for f in figures.population_types] == [
        ("destination", 300, 300),
        ("transit", 450, 450),  # 50 in Lima, 400 in Tumbes
        ("host", 0, 0),
        ("pendular", 0, 0),
        ("returnee", 0, 0),
    ]


def test_it_tells_which_reports_make_a_figure(worked_example):
    counted = aggregation.in_month(aggregation.counted_lines(ActivityLine.objects.all()), SEPT)
    reports = {code: report.pk for code, report in worked_example.items()}
    assert aggregation.report_contributions(counted, MONTH) == {
        reports["HEA"]: 350, reports["PRO"]: 320, reports["FS"]: 400,
    }
    in_tumbes = aggregation.in_department(counted, TUMBES)
    assert aggregation.report_contributions(in_tumbes, MONTH) == {
        reports["PRO"]: 120, reports["FS"]: 400,
    }


def test_it_leaves_reports_without_counted_people_out_of_the_contributions(worked_example,
                                                                           org_b):
    training = report_of(org_b, "HEA")
    add_line(training, "HEA-06", total=90)  # health professionals trained: not people reached
    counted = aggregation.in_month(aggregation.counted_lines(ActivityLine.objects.all()), SEPT)
    assert training.pk not in aggregation.report_contributions(counted, MONTH)
    assert len(aggregation.report_contributions(counted, MONTH)) == 3


# --------------------------------------------------------------------------------------------
# What does not count
# --------------------------------------------------------------------------------------------

@pytest.fixture
def baseline(org_a) -> MonthlyReport:
    """One approved Health line in Lima, destination, September: 100 reached, 60 new."""
    health = report_of(org_a, "HEA")
    add_line(health, "HEA-01", total=100, new=60)
    return health


def assert_only_the_baseline(month: dt.date = SEPT) -> None:
    figures = aggregation.month_figures(month)
    assert sector_figures(figures) == {"HEA": (100, 60)}
    assert headline(figures) == (100, 60, 100, 60)
    assert figures.cbi_month == figures.cbi_ytd == 0
    assert figures.departments == [AreaFigure("15", "Lima", 100, 60)]


@pytest.mark.parametrize("status", [ReportStatus.DRAFT, ReportStatus.SUBMITTED,
                                    ReportStatus.RETURNED, ReportStatus.REOPENED])
def test_it_leaves_out_the_lines_of_unapproved_reports(status, baseline, org_b):
    unapproved = report_of(org_b, "HEA", status=status)
    add_line(unapproved, "HEA-01", total=1000, new=900)
    add_line(unapproved, "HEA-05", TUMBES, TRANSIT, total=500, new=500, modality=Modality.CASH)
    assert_only_the_baseline()
    assert aggregation.month_figures(SEPT).partners_reporting == 1


def test_it_leaves_out_indicators_that_do_not_count_people(baseline):
    add_line(baseline, "HEA-06", total=500, new=500)  # health professionals trained
    add_line(baseline, "HEA-06", TUMBES, TRANSIT, total=70, new=70)
    assert_only_the_baseline()


def test_it_leaves_out_other_years(baseline, org_a):
    december = report_of(org_a, "HEA", dt.date(2022, 12, 1))
    add_line(december, "HEA-01", total=700, new=650)
    january = report_of(org_a, "HEA", dt.date(2024, 1, 1))
    add_line(january, "HEA-01", total=800, new=750)
    assert_only_the_baseline()
    december_figures = aggregation.month_figures(dt.date(2022, 12, 1))
    assert headline(december_figures) == (700, 650, 700, 650)


def test_it_leaves_out_the_months_after_the_month_asked_for(baseline, org_a):
    october = report_of(org_a, "HEA", dt.date(2023, 10, 1))
    add_line(october, "HEA-01", total=400, new=300)
    assert_only_the_baseline()
    october_figures = aggregation.month_figures(dt.date(2023, 10, 1))
    assert headline(october_figures) == (400, 360, 400, 360)  # ytd: 60 + 300


def test_it_counts_an_approved_nil_report_as_reporting_but_adds_nothing(baseline, org_b):
    report_of(org_b, "PRO", is_nil=True)
    report_of(organisation("ACNUR"), "PRO", status=ReportStatus.SUBMITTED, is_nil=True)
    assert_only_the_baseline()
    assert aggregation.month_figures(SEPT).partners_reporting == 2  # HIAS and Cáritas


def test_it_counts_partners_reporting_in_the_reports_given(baseline, org_a, org_b):
    report_of(org_b, "PRO", is_nil=True)
    report_of(org_b, "HEA", dt.date(2023, 8, 1))
    figures = aggregation.month_figures(
        SEPT, reports=MonthlyReport.objects.filter(organisation=org_a)
    )
    assert figures.partners_reporting == 1
    assert aggregation.month_figures(SEPT).partners_reporting == 2


# --------------------------------------------------------------------------------------------
# Month and year to date
# --------------------------------------------------------------------------------------------

@pytest.fixture
def three_months(org_a) -> None:
    """Health in Lima, destination: July 500 reached (200 new), August 400 (100 new),
    September 300 (50 new)."""
    for month, total, new in [(7, 500, 200), (8, 400, 100), (9, 300, 50)]:
        add_line(report_of(org_a, "HEA", dt.date(2023, month, 1)), "HEA-01", total=total, new=new)


def test_it_takes_the_month_from_monthly_totals_and_the_year_from_new_beneficiaries(
    three_months,
):
    september = aggregation.month_figures(SEPT)
    assert sector_figures(september) == {"HEA": (300, 350)}  # ytd: 200 + 100 + 50
    assert headline(september) == (300, 350, 300, 350)
    august = aggregation.month_figures(dt.date(2023, 8, 1))
    assert sector_figures(august) == {"HEA": (400, 300)}  # ytd: 200 + 100
    assert headline(august) == (400, 300, 400, 300)


def test_it_shows_no_year_to_date_cell_or_report_for_people_reached_before(baseline, org_b):
    """Cáritas reached 40 people in Tumbes in September, none of them new this year."""
    repeat = report_of(org_b, "HEA")
    add_line(repeat, "HEA-01", TUMBES, TRANSIT, total=40, new=0)
    figures = aggregation.month_figures(SEPT)
    assert cells(figures.cells_month) == {
        (LIMA, DESTINATION, "HEA", 100, True), (TUMBES, TRANSIT, "HEA", 40, True),
    }
    assert cells(figures.cells_ytd) == {(LIMA, DESTINATION, "HEA", 60, True)}
    assert headline(figures) == (140, 60, 140, 60)
    counted = aggregation.in_year_to(aggregation.counted_lines(ActivityLine.objects.all()), SEPT)
    assert aggregation.report_contributions(counted, YTD) == {baseline.pk: 60}
    assert aggregation.report_contributions(counted, MONTH) == {baseline.pk: 100, repeat.pk: 40}


def test_it_accepts_any_day_of_the_month(three_months):
    assert headline(aggregation.month_figures(dt.date(2023, 9, 17))) == (300, 350, 300, 350)


def test_it_deduplicates_the_year_to_date_over_new_beneficiaries(three_months, org_b):
    """Lima destination, ytd: Health 350 new, Protection 120 + 300 = 420 new: Protection is
    taken. Month: Health 300 against Protection 310: Protection again."""
    add_line(report_of(org_b, "PRO", dt.date(2023, 3, 1)), "PRO-01", total=200, new=120)
    add_line(report_of(org_b, "PRO"), "PRO-01", total=310, new=300)
    figures = aggregation.month_figures(SEPT)
    assert sector_figures(figures) == {"HEA": (300, 350), "PRO": (310, 420)}
    assert headline(figures) == (310, 420, 610, 770)


# --------------------------------------------------------------------------------------------
# Sub-sectors
# --------------------------------------------------------------------------------------------

@pytest.fixture
def protection_with_subsectors(org_a, org_b) -> None:
    """A Protection report with general (100), Child Protection (40) and GBV (30) lines, and a
    Health report of another partner (90) in the same Lima destination cell."""
    protection = report_of(org_a, "PRO")
    add_line(protection, "PRO-01", LIMA, DESTINATION, total=100, new=80)
    add_line(protection, "PRO-CP-01", LIMA, DESTINATION, total=40, new=35)
    add_line(protection, "PRO-GBV-01", LIMA, TRANSIT, total=30, new=25)
    add_line(report_of(org_b, "HEA"), "HEA-01", LIMA, DESTINATION, total=90, new=90)


def test_it_rolls_sub_sector_lines_up_into_protection(protection_with_subsectors):
    figures = aggregation.month_figures(SEPT)
    assert [(f.code, f.month, f.ytd) for f in figures.sectors if f.month] == [
        ("HEA", 90, 90), ("PRO", 170, 140),
    ]
    assert cells(figures.cells_month) == {
        (LIMA, DESTINATION, "HEA", 90, False),
        (LIMA, DESTINATION, "PRO", 140, True),  # 100 + 40 (Child Protection)
        (LIMA, TRANSIT, "PRO", 30, True),  # GBV
    }
    assert headline(figures) == (170, 140, 260, 230)


def test_it_reports_the_sub_sectors_themselves(protection_with_subsectors):
    figures = aggregation.month_figures(SEPT)
    assert [(f.code, f.parent, f.month, f.ytd) for f in figures.subsectors] == [
        ("PRO-CP", "PRO", 40, 35), ("PRO-GBV", "PRO", 30, 25), ("PRO-HTS", "PRO", 0, 0),
    ]
    assert figures.sum_of_sectors_month == 260  # sub-sectors are inside Protection, not added


def people_assisted(lines, value: str) -> int:
    return aggregation.deduplicated(aggregation.cell_sectors(lines, value))


def test_it_selects_a_sub_sector_or_a_whole_sector(protection_with_subsectors):
    counted = aggregation.in_month(aggregation.counted_lines(ActivityLine.objects.all()), SEPT)
    child_protection = aggregation.in_sector(counted, "PRO-CP")
    assert list(child_protection.values_list("indicator__code", flat=True)) == ["PRO-CP-01"]
    assert people_assisted(child_protection, MONTH) == 40
    protection = aggregation.in_sector(counted, "PRO")
    assert sorted(protection.values_list("indicator__code", flat=True)) == [
        "PRO-01", "PRO-CP-01", "PRO-GBV-01",
    ]
    assert people_assisted(protection, MONTH) == 170
    assert people_assisted(protection, YTD) == 140
    assert people_assisted(aggregation.in_sector(counted, "HEA"), MONTH) == 90


def test_it_computes_a_sectors_own_figures_from_its_lines(protection_with_subsectors):
    figures = aggregation.month_figures(
        SEPT, lines=aggregation.in_sector(ActivityLine.objects.all(), "PRO")
    )
    assert sector_figures(figures) == {
        "PRO": (170, 140), "PRO-CP": (40, 35), "PRO-GBV": (30, 25),
    }
    assert headline(figures) == (170, 140, 170, 140)


# --------------------------------------------------------------------------------------------
# Ties
# --------------------------------------------------------------------------------------------

@pytest.fixture
def tie(org_a, org_b) -> None:
    """Lima destination: Health 200 and Protection 200; Tumbes transit: Protection 60."""
    add_line(report_of(org_a, "HEA"), "HEA-01", total=200)
    protection = report_of(org_b, "PRO")
    add_line(protection, "PRO-01", total=200)
    add_line(protection, "PRO-01", TUMBES, TRANSIT, total=60)


def test_it_takes_the_sector_shown_first_when_two_are_equal(tie):
    figures = aggregation.month_figures(SEPT)
    assert cells(figures.cells_month) == {
        (LIMA, DESTINATION, "HEA", 200, True),  # Health comes 3rd, Protection 7th
        (LIMA, DESTINATION, "PRO", 200, False),
        (TUMBES, TRANSIT, "PRO", 60, True),
    }
    assert headline(figures) == (260, 260, 460, 460)
    assert [(f.code, f.month) for f in figures.population_types[:2]] == [
        ("destination", 200), ("transit", 60),
    ]


def test_it_breaks_a_tie_by_display_order_not_by_creation(tie):
    Sector.objects.filter(code="PRO").update(order=0)
    figures = aggregation.month_figures(SEPT)
    assert cells(figures.cells_month) >= {
        (LIMA, DESTINATION, "HEA", 200, False),
        (LIMA, DESTINATION, "PRO", 200, True),
    }
    assert headline(figures) == (260, 260, 460, 460)


# --------------------------------------------------------------------------------------------
# Cash and voucher assistance (CBI)
# --------------------------------------------------------------------------------------------

def test_it_counts_cash_and_vouchers_by_the_same_largest_sector_rule(org_a, org_b):
    """Lima destination: Health cash 80 (new 70), Protection voucher 60 (new 60), with
    Protection services (500) and Food Security in kind (700) left out; Tumbes transit: Food
    Security cash 90 (new 40). CBI: 80 + 90 in the month, 70 + 40 in the year."""
    health = report_of(org_a, "HEA")
    add_line(health, "HEA-05", total=80, new=70, modality=Modality.CASH)
    protection = report_of(org_a, "PRO")
    add_line(protection, "PRO-05", total=60, modality=Modality.VOUCHER)
    add_line(protection, "PRO-01", total=500)
    food = report_of(org_b, "FS")
    add_line(food, "FS-02", total=700, modality=Modality.IN_KIND)
    add_line(food, "FS-01", TUMBES, TRANSIT, total=90, new=40, modality=Modality.CASH)
    figures = aggregation.month_figures(SEPT)
    assert (figures.cbi_month, figures.cbi_ytd) == (170, 110)
    assert headline(figures) == (790, 740, 1430, 1370)  # 700 + 90; 700 + 40


def test_it_leaves_unapproved_and_earlier_cash_out_of_the_months_cbi(org_a, org_b):
    add_line(report_of(org_a, "HEA"), "HEA-05", total=80, new=70, modality=Modality.CASH)
    add_line(report_of(org_b, "HEA", status=ReportStatus.SUBMITTED), "HEA-05", total=900,
             modality=Modality.CASH)
    add_line(report_of(org_a, "HEA", dt.date(2023, 2, 1)), "HEA-05", total=50, new=50,
             modality=Modality.VOUCHER)
    figures = aggregation.month_figures(SEPT)
    assert (figures.cbi_month, figures.cbi_ytd) == (80, 120)  # ytd: 70 + 50


# --------------------------------------------------------------------------------------------
# The trend over the year
# --------------------------------------------------------------------------------------------

def test_it_draws_the_monthly_trend_from_january(org_a, org_b):
    """January: Health 100, Protection 40 in Lima destination. March: Health 50 in Lima
    destination and 30 in Tumbes transit. September: Protection 70, Food Security 90 in Lima
    destination. Left out: December 2022, October 2023 and an unapproved September report."""
    add_line(report_of(org_a, "HEA", dt.date(2023, 1, 1)), "HEA-01", total=100, new=10)
    add_line(report_of(org_b, "PRO", dt.date(2023, 1, 1)), "PRO-01", total=40, new=10)
    march = report_of(org_a, "HEA", dt.date(2023, 3, 1))
    add_line(march, "HEA-01", total=50, new=10)
    add_line(march, "HEA-01", TUMBES, TRANSIT, total=30, new=10)
    add_line(report_of(org_a, "PRO"), "PRO-01", total=70, new=10)
    add_line(report_of(org_b, "FS"), "FS-02", total=90, new=10)
    add_line(report_of(org_a, "HEA", dt.date(2022, 12, 1)), "HEA-01", total=999)
    add_line(report_of(org_a, "HEA", dt.date(2023, 10, 1)), "HEA-01", total=888)
    add_line(report_of(org_b, "HEA", status=ReportStatus.SUBMITTED), "HEA-01", total=777)

    trend = aggregation.monthly_trend(SEPT)
    assert trend == [
        TrendPoint(dt.date(2023, 1, 1), 100, 140),
        # A month without approved lines has no figure (issue 14: drawn as missing, not 0).
        TrendPoint(dt.date(2023, 2, 1), None, None),
        TrendPoint(dt.date(2023, 3, 1), 80, 80),
        *[TrendPoint(dt.date(2023, month, 1), None, None) for month in range(4, 9)],
        TrendPoint(dt.date(2023, 9, 1), 90, 160),
    ]
    assert aggregation.monthly_trend(dt.date(2023, 3, 31)) == trend[:3]
    for point in trend:
        figures = aggregation.month_figures(point.month)
        assert (figures.people_assisted_month, figures.sum_of_sectors_month) == (
            point.people_assisted or 0, point.sum_of_sectors or 0
        )


def test_it_draws_the_trend_of_the_lines_given(protection_with_subsectors):
    lines = aggregation.in_sector(ActivityLine.objects.all(), "PRO-CP")
    assert aggregation.monthly_trend(SEPT, lines=lines)[-1] == TrendPoint(SEPT, 40, 40)


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------

def test_it_runs_as_many_queries_for_one_line_as_for_two_hundred(org_a, django_assert_num_queries):
    """1 for the sectors, 4 sector sums, 2 + 2 cell rankings (people, CBI), 1 for the names of
    departments, 1 for the partners reporting; the trend is 1 query for the whole year."""
    health = report_of(org_a, "HEA")
    add_line(health, "HEA-01", total=10)
    with django_assert_num_queries(5):
        assert aggregation.month_figures(SEPT).people_assisted_month == 10
    with django_assert_num_queries(1):
        aggregation.monthly_trend(SEPT)

    departments = list(Location.objects.departments().order_by("code"))
    combinations = itertools.product(
        ["HEA-01", "HEA-02", "HEA-05"], departments, PopulationType.values
    )
    lines = [
        LineFactory.build(
            report=health, indicator=Indicator.objects.get(code=indicator), department=department,
            population_type=population_type, modality=Modality.CASH, cash_usd=Decimal("5.00"),
            girls=0, boys=0, women=10, men=0, other_adults=0, total_monthly=10,
        )
        for indicator, department, population_type in itertools.islice(combinations, 199)
    ]
    ActivityLine.objects.bulk_create(lines)
    assert ActivityLine.objects.count() == 200

    with django_assert_num_queries(5):
        figures = aggregation.month_figures(SEPT)
    assert headline(figures) == (2000, 2000, 2000, 2000)
    assert (figures.cbi_month, figures.cbi_ytd) == (1990, 1990)
    assert len(figures.departments) == 25
    with django_assert_num_queries(1):
        assert aggregation.monthly_trend(SEPT)[-1] == TrendPoint(SEPT, 2000, 2000)


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------

def test_the_benchmark_times_the_figures_and_leaves_the_data_as_it_was(worked_example):
    counts = (Organisation.objects.count(), MonthlyReport.objects.count(),
              ActivityLine.objects.count())
    out = io.StringIO()
    call_command("benchmark", "--lines", "600", "--runs", "2", stdout=out)
    output = out.getvalue()
    assert "600 synthetic lines" in output
    assert "plus 5 lines already in the database" in output
    rows = {line.split()[1]: line.split()[2] for line in output.splitlines()
            if line.startswith("aggregation ")}
    assert rows == {"month_figures(2023-09)": "5", "monthly_trend(2023-09)": "1"}
    cases = {line.split()[0] for line in output.splitlines()[7:] if line.strip()}
    assert {"sitrep", "pages", "import", "export"} <= cases
    if connection.vendor == "postgresql":  # the floor, checked equal to month_figures first
        assert "floor" in cases and "Against the hand-written query on the lines" in output
    assert (Organisation.objects.count(), MonthlyReport.objects.count(),
            ActivityLine.objects.count()) == counts
    assert not Organisation.objects.filter(acronym__startswith="BENCH-").exists()
    assert headline(aggregation.month_figures(SEPT)) == (750, 750, 1070, 1070)


def test_the_benchmark_measures_what_hostile_files_cost(db, settings):
    settings.IMPORT_MAX_ROWS = 50  # the largest marked copy: 50 rows, not 20,000
    out = io.StringIO()
    call_command("benchmark", "--case", "hostile", "--lines", "10", "--runs", "1", stdout=out)
    labels = [line for line in out.getvalue().splitlines() if line.startswith("hostile ")]
    assert len(labels) == 3
    for label, what in zip(labels, [
        "refuse 4,000,000 formatted empty cells (9.2 MB); peak ",
        "refuse 1,000,000 formatted empty rows (2.3 MB); peak ",
        "marked copy: 50 rows, 50 errors, loaded whole; peak ",
    ], strict=True):
        assert what in label


def test_the_benchmark_can_page_the_api_as_csv_alone(db):
    out = io.StringIO()
    call_command("benchmark", "--case", "api-lines-csv", "--case", "regional-5w", "--lines", "40",
                 "--runs", "1", stdout=out)
    labels = [line for line in out.getvalue().splitlines() if line.startswith("api-lines-csv ")]
    assert len(labels) == 1 and "API lines/ as CSV, 40 lines" in labels[0]
    assert "XLSX with the check sheet" in out.getvalue() and "peak" in out.getvalue()


def test_the_benchmark_refuses_to_run_beside_organisations_named_like_its_own(db):
    Organisation.objects.create(acronym="BENCH-001", name="Bench", short_name="Bench",
                                type="nngo")
    with pytest.raises(CommandError, match="BENCH- already exist"):
        call_command("benchmark", "--lines", "10", "--runs", "1", stdout=io.StringIO())
    assert ActivityLine.objects.count() == 0
