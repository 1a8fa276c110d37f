"""The regional 5W export (DESIGN §6): R4V's header, the grouping and pivot, approved lines only
(or every status in preview), the check sheet, the consolidated figure against ours, the
command, and a query count that does not grow with the lines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from reporting.models import (
    Location,
    Organisation,
    PopulationType,
    ReportStatus,
    Sector,
)
from reporting.numbers.aggregation import month_figures
from reporting.regional import export
from tests.factories import LineFactory, PeriodFactory, ReportFactory

SEPTEMBER = dt.date(2023, 9, 1)
HEADER = [
    "Country Country", "Country Admin1", "Admin2 Admin2", "Appealing organisation Name",
    "Implementation Set up", "Implementing partner Name", "Month", "Indicator Sector",
    "Indicator Indicator", "Activity Name", "Activity Description", "RMRP Activity", "CVA",
    "Value (in USD)", "Delivery mechanism", "Quantity of output",
    "Total monthly beneficiaries", "New beneficiaries of the month",
    "Refugees and Migrants IN DESTINATION", "Refugees and Migrants IN TRANSIT",
    "Host Communities Beneficiaries", "Refugees and Migrants PENDULARS", "Colombian Returnees",
    "Women under 18", "Men under 18", "Women above 18", "Men above 18", "Other under 18",
    "Other above 18",
]


def csv_rows(first=SEPTEMBER, last=SEPTEMBER, **kw):
    out = io.StringIO()
    checks = export.write_csv(out, first, last, **kw)
    text = out.getvalue()
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text[1:])))
    return table, checks


@pytest.fixture
def approved(report):
    report.status = ReportStatus.APPROVED
    report.save()
    return report


def test_header_is_r4vs_exactly(approved, tmp_path):
    LineFactory(report=approved)
    path = tmp_path / "5w.xlsx"
    export.write_xlsx(path, SEPTEMBER, SEPTEMBER)
    book = load_workbook(path, read_only=True)
    assert book.sheetnames[0] == "5W - RMRP 2025"
    first = next(book.worksheets[0].iter_rows(values_only=True))
    assert list(first) == HEADER
    out = io.StringIO()
    export.write_csv(out, SEPTEMBER, SEPTEMBER)
    assert next(csv.reader(io.StringIO(out.getvalue()[1:]))) == HEADER


def test_two_population_types_pivot_into_one_row(approved):
    a = LineFactory(report=approved, population_type=PopulationType.DESTINATION)
    b = LineFactory(report=approved, population_type=PopulationType.TRANSIT, girls=1, boys=1,
                    women=1, men=1, other_adults=0)
    table, checks = csv_rows()
    assert len(table) == 1
    row = table[0]
    assert row["Refugees and Migrants IN DESTINATION"] == str(a.new_beneficiaries)
    assert row["Refugees and Migrants IN TRANSIT"] == str(b.new_beneficiaries)
    assert row["Host Communities Beneficiaries"] == ""
    assert row["New beneficiaries of the month"] == str(a.new_beneficiaries + b.new_beneficiaries)
    assert row["Women under 18"] == str(a.girls + b.girls)
    assert row["Country Country"] == "Peru" and row["Month"] == "2023-09"
    assert row["Appealing organisation Name"] == approved.organisation.r4v_name
    assert row["Country Admin1"] == a.department.r4v_name
    assert row["Implementation Set up"] == "No"
    assert checks.flagged == []


def test_two_implementing_partners_make_two_rows(approved, org_b):
    LineFactory(report=approved)
    LineFactory(report=approved, implementing_partner=org_b)
    table, _checks = csv_rows()
    assert sorted((r["Implementation Set up"], r["Implementing partner Name"]) for r in table) \
        == [("No", approved.organisation.r4v_name), ("Yes", org_b.r4v_name)]


def test_province_goes_to_admin2(approved):
    province = Location.objects.filter(level="province", parent__code="15").first()
    LineFactory(report=approved, location=province)
    table, _checks = csv_rows()
    assert table[0]["Admin2 Admin2"] == province.name


def test_approved_only_unless_preview(report):
    LineFactory(report=report)  # a draft
    assert csv_rows()[0] == []
    table, _checks = csv_rows(preview=True)
    assert len(table) == 1
    assert "PREVIEW" in export.file_name(SEPTEMBER, SEPTEMBER, "csv", preview=True)
    assert "PREVIEW" not in export.file_name(SEPTEMBER, SEPTEMBER, "csv", preview=False)


def test_check_sheet_lists_flags_by_row(approved, tmp_path):
    LineFactory(report=approved)
    LineFactory(report=approved, population_type=PopulationType.RETURNEE, girls=0, boys=0,
                women=0, men=0, other_adults=0, new_beneficiaries=0,
                activity_name="Follow-up visits")
    path = tmp_path / "5w.xlsx"
    checks = export.write_xlsx(path, SEPTEMBER, SEPTEMBER)
    assert [flag.rule for _n, flag in checks.flagged] == ["direct_new_not_positive"]
    number = checks.flagged[0][0]
    book = load_workbook(path, read_only=True)
    five_w = list(book.worksheets[0].iter_rows(values_only=True))
    assert five_w[number - 1][HEADER.index("Colombian Returnees")] == 0
    check_rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert book.sheetnames[1] == "Checks"
    assert (number, "New beneficiaries of the month", "direct_new_not_positive") in \
        [tuple(r[:3]) for r in check_rows]


def test_consolidated_equals_year_to_date_on_random_data(db):
    rng = random.Random(13)
    sectors = list(Sector.objects.filter(code__in=["PRO", "HEA", "EDU", "SHE"]))
    orgs = list(Organisation.objects.all()[:3])
    departments = list(Location.objects.filter(level="department")[:3])
    for month in (1, 5, 9):
        period = PeriodFactory(month=dt.date(2023, month, 1))
        for org in orgs:
            for sector in rng.sample(sectors, 2):
                report = ReportFactory(organisation=org, sector=sector, period=period,
                                       status=rng.choice([ReportStatus.APPROVED] * 3
                                                         + [ReportStatus.SUBMITTED]))
                for population in rng.sample(list(PopulationType.values), 3):
                    LineFactory(report=report, department=(d := rng.choice(departments)),
                                location=d, rmrp_activity=rng.random() > 0.2,
                                population_type=population,
                                women=rng.randint(0, 40), men=rng.randint(1, 40))
    _table, checks = csv_rows(dt.date(2023, 1, 1), SEPTEMBER)
    assert checks.consolidated == month_figures(SEPTEMBER).people_assisted_ytd > 0


def test_query_count_does_not_grow_with_lines(approved, org_b):
    LineFactory(report=approved)
    with CaptureQueriesContext(connection) as few:
        csv_rows()
    for population in PopulationType.values:
        LineFactory(report=approved, implementing_partner=org_b, population_type=population)
        if population != PopulationType.DESTINATION:
            LineFactory(report=approved, population_type=population)
    with CaptureQueriesContext(connection) as many:
        csv_rows()
    assert len(many) == len(few) <= 3


def test_command_writes_file_and_prints_checks(approved, tmp_path):
    LineFactory(report=approved)
    out = io.StringIO()
    path = tmp_path / "5w.csv"
    call_command("regional_5w", "2023-09", "--format", "csv", "-o", str(path), stdout=out)
    assert path.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()[0].split(",")[:3] \
        == HEADER[:3]
    assert "Flags: 0" in out.getvalue()
    assert f"Consolidated figure (R4V): {month_figures(SEPTEMBER).people_assisted_ytd}" \
        in out.getvalue()


@pytest.mark.parametrize("args, message", [
    (["2023-13"], "not a month"),
    (["2023-09", "--to", "2023-08"], "comes before"),
])
def test_command_rejects_bad_months(db, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("regional_5w", *args, "-o", str(tmp_path / "x.xlsx"))


def test_page_for_im_officers_only(approved, client, ivan, alice, paula):
    LineFactory(report=approved)
    for user in (alice, paula):
        client.force_login(user)
        assert client.get("/exports/regional-5w/?from=2023-09").status_code == 403
    client.force_login(ivan)
    page = client.get("/exports/regional-5w/?from=2023-09&to=2023-09")
    assert page.status_code == 200
    consolidated = month_figures(SEPTEMBER).people_assisted_ytd
    assert "Consolidated figure R4V will compute" in page.content.decode()
    assert str(consolidated) in page.content.decode()
    xlsx = client.get("/exports/regional-5w/?from=2023-09&download=1")
    assert xlsx["Content-Type"] == export_content_type()
    assert "5W_R4V_Peru_2023-09.xlsx" in xlsx["Content-Disposition"]
    csv_file = client.get("/exports/regional-5w/?from=2023-09&format=csv&preview=1&download=1")
    assert csv_file["Content-Type"] == "text/csv; charset=utf-8"
    assert "PREVIEW" in csv_file["Content-Disposition"]
    body = b"".join(csv_file.streaming_content).decode("utf-8")
    assert body.lstrip("\ufeff").splitlines()[0].split(",")[0] == HEADER[0]
    assert client.get("/exports/regional-5w/?from=2023-09&to=2023-08").status_code == 400
    client.cookies["django_language"] = "es"
    spanish = client.get("/exports/regional-5w/?from=2023-09")
    assert "Cifra consolidada que calculará R4V" in spanish.content.decode()


def export_content_type():
    from reporting.sheets.exports import XLSX_CONTENT_TYPE
    return XLSX_CONTENT_TYPE


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, built once and rolled back afterwards (the last tests of the module: the
    fixture stays open until the module ends)."""
    from django.db import transaction
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo_data", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def test_demo_consolidated_equals_year_to_date(demo, db):
    _table, checks = csv_rows(dt.date(2023, 1, 1), SEPTEMBER)
    assert checks.rows > 0
    assert checks.consolidated == month_figures(SEPTEMBER).people_assisted_ytd



def test_demo_september_passes_r4v_s_rules(demo, db):
    # The demo plants no flag: its September 2023 export is what R4V accepts as it is
    # (Capacity Building rows counted in sessions carry the 0 people their lines hold).
    _table, checks = csv_rows(SEPTEMBER, SEPTEMBER)
    assert checks.rows > 300
    assert [(number, flag.rule) for number, flag in checks.flagged] == []
