"""Exports: activity lines as CSV and XLSX (the template's columns, with or without the HXL row),
filtered and scoped by role; a month's sector, department and completeness tables as XLSX.

The personas come from conftest: alice (reporter, HIAS), bob (reporter, Cáritas), paula
(coordinator of Protection), carl (coordinator of Health), ivan (IM officer). `scoped` gives
five reports one line each, the line's description naming its report:

    hias-pro-draft         HIAS     Protection  2023-09  draft       (conftest's `report`)
    hias-hea-approved      HIAS     Health      2023-08  approved
    caritas-pro-submitted  Cáritas  Protection  2023-09  submitted
    caritas-pro-draft      Cáritas  Protection  2023-08  draft
    caritas-hea-approved   Cáritas  Health      2023-09  approved
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from partners.models import Organisation, OrganisationType
from reporting.models import (
    ActivityLine,
    Indicator,
    Location,
    LocationLevel,
    Modality,
    PopulationType,
    ReportStatus,
)
from reporting.numbers import aggregation
from reporting.sheets import exports, month_tables
from reporting.sheets.columns import COLUMNS, HEADERS, HXL_TAGS

from .factories import LineFactory, PeriodFactory, ReportFactory

pytestmark = pytest.mark.django_db

ALL = {"hias-pro-draft", "hias-hea-approved", "caritas-pro-submitted", "caritas-pro-draft",
       "caritas-hea-approved"}
FORMULAS = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)", "\tx", "\rx"]
NUMERIC = ("Girls", "Boys", "Women", "Men", "Other under 18", "Other 18+", "Other",
           "New beneficiaries",
           "Total monthly beneficiaries", "Quantity", "Cash USD")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def place(code: str) -> Location:
    return Location.objects.get(code=code)


def csv_rows(response) -> list[list[str]]:
    """Return the rows of a CSV download, checking its encoding on the way."""
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def csv_records(response, *, hxl: bool = False) -> list[dict[str, str]]:
    rows = csv_rows(response)
    assert tuple(rows[0]) == HEADERS
    if hxl:
        assert tuple(rows[1]) == HXL_TAGS
    return [dict(zip(HEADERS, row, strict=True)) for row in rows[1 + hxl:]]


def body(response) -> bytes:
    """Return the content of a response, streamed or not, read once."""
    if not hasattr(response, "body_read"):
        response.body_read = (b"".join(response.streaming_content) if response.streaming
                              else response.content)
    return response.body_read


def xlsx_sheet(response):
    return load_workbook(io.BytesIO(body(response))).active


def xlsx_records(response, *, hxl: bool = False) -> list[dict]:
    sheet = xlsx_sheet(response)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    if hxl:
        assert rows[1] == HXL_TAGS
    return [dict(zip(HEADERS, row, strict=True)) for row in rows[1 + hxl:]]


def descriptions(records) -> set[str]:
    return {record["Description"] for record in records}


def export(client, query: str = "", fmt: str = "csv", *, as_asked: bool = False):
    """Download lines. Unless `as_asked`, in the re-upload layout and every status, unless the
    query says otherwise: the scope, filter and contract tests read those; the defaults
    (approved reports, for people) have their own tests."""
    if not as_asked:
        extra = [param for param in ("layout=upload", "status=all")
                 if param.split("=")[0] + "=" not in query]
        query = "&".join(part for part in (query, *extra) if part)
    response = client.get(f"/exports/lines.{fmt}" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.content[:500]
    return response


@pytest.fixture
def august(db):
    return PeriodFactory(month=dt.date(2023, 8, 1))


@pytest.fixture
def scoped(report, period, august, org_a, org_b, protection, health):
    reports = {
        "hias-pro-draft": report,
        "hias-hea-approved": ReportFactory(organisation=org_a, sector=health, period=august,
                                           status=ReportStatus.APPROVED),
        "caritas-pro-submitted": ReportFactory(organisation=org_b, sector=protection,
                                               period=period, status=ReportStatus.SUBMITTED),
        "caritas-pro-draft": ReportFactory(organisation=org_b, sector=protection, period=august),
        "caritas-hea-approved": ReportFactory(organisation=org_b, sector=health, period=period,
                                              status=ReportStatus.APPROVED),
    }
    for name, each in reports.items():
        LineFactory(report=each, description=name)
    return reports


# --------------------------------------------------------------------------------------------
# Who gets which lines
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("persona", "expected"), [
    ("alice", {"hias-pro-draft", "hias-hea-approved"}),
    ("fiona", {"hias-pro-draft", "hias-hea-approved"}),
    ("bob", {"caritas-pro-submitted", "caritas-pro-draft", "caritas-hea-approved"}),
    ("paula", {"caritas-pro-submitted"}),
    ("carl", {"hias-hea-approved", "caritas-hea-approved"}),
    ("ivan", ALL),
])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_exports_the_lines_each_role_may_see(client, request, scoped, persona, expected, fmt):
    client.force_login(request.getfixturevalue(persona))
    response = export(client, fmt=fmt)
    records = csv_records(response) if fmt == "csv" else xlsx_records(response)
    assert descriptions(records) == expected


def test_a_partner_cannot_widen_the_export_with_the_organisation_filter(client, alice, scoped):
    client.force_login(alice)
    records = csv_records(export(client, "organisation=CARITAS"))
    assert descriptions(records) == {"hias-pro-draft", "hias-hea-approved"}


@pytest.mark.parametrize("path", [
    "/exports/", "/exports/lines.csv", "/exports/lines.xlsx?hxl=1", "/exports/sectors.xlsx",
    "/exports/departments.xlsx?period=2023-09", "/exports/completeness.xlsx",
])
def test_it_sends_anonymous_visitors_to_the_login_page(client, scoped, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_it_answers_404_to_an_unknown_format_or_table(client, ivan, period):
    client.force_login(ivan)
    assert client.get("/exports/lines.pdf").status_code == 404
    assert client.get("/exports/lines.xls").status_code == 404
    assert client.get("/exports/people.xlsx?period=2023-09").status_code == 404


def test_the_page_offers_the_downloads_for_the_role(client, alice, ivan, period):
    client.force_login(alice)
    page = client.get("/exports/").content.decode()
    assert 'formaction="/exports/lines.csv"' in page
    assert 'formaction="/exports/lines.xlsx"' in page
    assert 'formaction="/exports/sectors.xlsx"' in page
    assert 'formaction="/exports/departments.xlsx"' in page
    assert "/exports/completeness.xlsx" not in page
    assert 'name="organisation"' not in page  # a partner exports their own organisation
    client.force_login(ivan)
    page = client.get("/exports/").content.decode()
    assert 'formaction="/exports/completeness.xlsx"' in page
    assert 'name="organisation"' in page


def test_the_page_counts_the_lines_the_filters_select(client, ivan, scoped):
    client.force_login(ivan)
    response = client.get("/exports/?status=approved")
    assert response.status_code == 200
    assert "2 lines match these filters." in response.content.decode()


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("period_from=2023-09", {"hias-pro-draft", "caritas-pro-submitted", "caritas-hea-approved"}),
    ("period_to=2023-08", {"hias-hea-approved", "caritas-pro-draft"}),
    ("period_from=2023-08&period_to=2023-08", {"hias-hea-approved", "caritas-pro-draft"}),
    ("period_from=2023-10", set()),
    ("sector=HEA", {"hias-hea-approved", "caritas-hea-approved"}),
    ("sector=pro", {"hias-pro-draft", "caritas-pro-submitted", "caritas-pro-draft"}),
    ("organisation=CARITAS", {"caritas-pro-submitted", "caritas-pro-draft",
                              "caritas-hea-approved"}),
    ("organisation=hias&status=draft", {"hias-pro-draft"}),
    ("status=approved", {"hias-hea-approved", "caritas-hea-approved"}),
    ("status=returned", set()),
    ("department=15", ALL),
    ("department=PE15", ALL),
    ("department=24", set()),
    ("sector=PRO&period_from=2023-09&status=submitted", {"caritas-pro-submitted"}),
])
def test_it_filters_the_lines(client, ivan, scoped, query, expected):
    client.force_login(ivan)
    assert descriptions(csv_records(export(client, query))) == expected


def test_a_top_level_sector_includes_its_subsectors_and_a_subsector_only_its_own(
    client, ivan, report
):
    LineFactory(report=report, description="protection",
                indicator=Indicator.objects.get(code="PRO-01"))
    LineFactory(report=report, description="child protection",
                indicator=Indicator.objects.get(code="PRO-CP-01"))
    client.force_login(ivan)
    assert descriptions(csv_records(export(client, "sector=PRO"))) == {
        "protection", "child protection"}
    records = csv_records(export(client, "sector=PRO-CP"))
    assert descriptions(records) == {"child protection"}
    # The Sector column names the report's sector, which an upload needs to find the report.
    assert records[0]["Sector"] == "PRO"
    assert records[0]["Indicator"] == "PRO-CP-01"


def test_it_filters_by_department_whatever_the_precision_of_the_place(client, ivan, report):
    lima, tumbes = place("15"), place("24")
    LineFactory(report=report, description="lima", department=lima, location=place("150132"))
    LineFactory(report=report, description="tumbes", department=tumbes, location=tumbes)
    client.force_login(ivan)
    assert descriptions(csv_records(export(client, "department=15"))) == {"lima"}
    assert descriptions(csv_records(export(client, "department=24"))) == {"tumbes"}


@pytest.mark.parametrize(("query", "message"), [
    ("period_from=2023-13", "“2023-13” is not a month: write it as YYYY-MM, for example 2023-09."),
    ("period_to=sept", "“sept” is not a month: write it as YYYY-MM, for example 2023-09."),
    ("period_from=2023-09&period_to=2023-08", "The first month comes after the last one."),
    ("sector=XYZ", "There is no sector with the code “XYZ”."),
    ("department=99", "There is no department with the code “99”."),
    ("department=1501", "There is no department with the code “1501”."),
    ("organisation=NOPE", "There is no organisation with the acronym “NOPE”."),
    ("status=lost", "“lost” is not a report status."),
])
@pytest.mark.parametrize("path", ["/exports/", "/exports/lines.csv", "/exports/lines.xlsx"])
def test_it_explains_a_filter_that_names_nothing(client, ivan, scoped, path, query, message):
    client.force_login(ivan)
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")


def filtered(user, params: dict) -> set[str]:
    form = exports.LineFilterForm(params, user=user)
    assert form.is_valid(), form.errors
    return {line.description for line in form.filter(exports.lines_visible_to(user))}


def test_the_filters_narrow_what_the_user_may_export_and_never_widen_it(ivan, paula, scoped):
    assert filtered(paula, {"status": "draft"}) == set()
    assert filtered(ivan, {"status": "draft"}) == {"hias-pro-draft", "caritas-pro-draft"}
    form = exports.LineFilterForm({"sector": "XYZ"}, user=ivan)
    assert not form.is_valid()
    assert "sector" in form.errors


# --------------------------------------------------------------------------------------------
# The file: columns, HXL row, encoding, names
# --------------------------------------------------------------------------------------------

@pytest.fixture
def varied(report, alice):
    """Lines that use every column: a district, a province, a partner, cash, a quantity."""
    partner = Organisation.objects.get(acronym="CARITAS")
    district = LineFactory(report=report, location=place("150132"), implementing_partner=partner,
                           modality=Modality.CASH, cash_usd=Decimal("1234.50"),
                           delivery_mechanism="mobile_money", activity_name="Bono de protección",
                           population_type=PopulationType.TRANSIT,
                           description="Atención en San Juan de Lurigancho, niñas y niños")
    province = LineFactory(report=report, location=place("1501"),
                           indicator=Indicator.objects.get(code="PRO-CP-02"))
    sessions = LineFactory(report=report, indicator=Indicator.objects.get(code="PRO-07"),
                           girls=0, boys=0, women=0, men=0, other_adults=0, total_monthly=0,
                           quantity=12)
    return district, province, sessions


def test_each_row_follows_the_column_contract(varied):
    rows = list(exports.line_rows(ActivityLine.objects.order_by("pk")))
    by_field = [dict(zip([c.field for c in COLUMNS], row, strict=True)) for row in rows]
    district, province, sessions = by_field
    assert district == {
        "month": "2023-09", "organisation": "HIAS", "implementing_partner": "CARITAS",
        "sector": "PRO", "indicator": varied[0].indicator.code, "department": "15",
        "province": "1501", "district": "150132", "population_type": "transit",
        "modality": "cash", "girls": 10, "boys": 12, "women": 30, "men": 25, "other_under_18": 0,
        "other_adults": 3, "other_unknown_age": 0, "new_beneficiaries": 80, "total_monthly": 100,
        "quantity": None,
        "cash_usd": Decimal("1234.50"), "rmrp_activity": "yes",
        "delivery_mechanism": "mobile_money", "activity_name": "Bono de protección",
        "description": "Atención en San Juan de Lurigancho, niñas y niños",
    }
    assert (province["province"], province["district"]) == ("1501", None)
    assert province["indicator"] == "PRO-CP-02" and province["sector"] == "PRO"
    assert (sessions["department"], sessions["province"], sessions["district"]) == ("15", None, None)
    assert sessions["quantity"] == 12 and sessions["implementing_partner"] is None
    assert sessions["description"] is None


@pytest.mark.parametrize("hxl", [False, True])
def test_the_csv_has_the_headers_and_the_hxl_row_if_asked(client, alice, varied, hxl):
    client.force_login(alice)
    response = export(client, "hxl=1" if hxl else "")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert tuple(rows[0]) == HEADERS
    assert (tuple(rows[1]) == HXL_TAGS) is hxl
    assert len(rows) == 1 + hxl + 3


def test_hxl_0_means_no_hxl_row(client, alice, varied):
    client.force_login(alice)
    assert tuple(csv_rows(export(client, "hxl=0"))[1]) != HXL_TAGS


def test_the_csv_is_utf8_with_a_bom_commas_and_crlf(client, alice, varied):
    client.force_login(alice)
    data = b"".join(export(client).streaming_content)
    assert data.startswith("\ufeffMonth,Organisation,Implementing partner,".encode())
    assert "Atención en San Juan de Lurigancho, niñas y niños".encode() in data
    assert data.count(b"\r\n") == 4 and b"\n" not in data.replace(b"\r\n", b"")
    record = csv_records(export(client))[0]
    assert record["Description"] == "Atención en San Juan de Lurigancho, niñas y niños"
    assert record["Cash USD"] == "1234.50"
    assert record["Quantity"] == ""


@pytest.mark.parametrize("hxl", [False, True])
def test_the_xlsx_has_the_headers_and_the_hxl_row_if_asked(client, alice, varied, hxl):
    client.force_login(alice)
    response = export(client, "hxl=1" if hxl else "", fmt="xlsx")
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    sheet = xlsx_sheet(response)
    assert sheet.title == "Activities"
    records = xlsx_records(response, hxl=hxl)
    assert len(records) == 3
    first = records[0]
    assert first["Department"] == "15" and first["District"] == "150132"
    assert first["Cash USD"] == 1234.5
    assert first["Description"] == "Atención en San Juan de Lurigancho, niñas y niños"
    assert sheet.cell(1, 1).font.bold


@pytest.mark.parametrize(("query", "filename"), [
    ("period_from=2023-07&period_to=2023-09", "gtrm-activities-2023-07_2023-09-approved"),
    ("period_from=2023-09&period_to=2023-09", "gtrm-activities-2023-09-approved"),
    ("period_from=2023-09", "gtrm-activities-from-2023-09-approved"),
    ("period_to=2023-09", "gtrm-activities-to-2023-09-approved"),
    ("", "gtrm-activities-all-approved"),
    ("status=all", "gtrm-activities-all-all-statuses"),
    ("status=draft&period_from=2023-09&period_to=2023-09", "gtrm-activities-2023-09-draft"),
    ("layout=upload&period_from=2023-09&period_to=2023-09",
     "gtrm-activities-2023-09-approved-for-upload"),
    ("layout=upload&status=all", "gtrm-activities-all-all-statuses-for-upload"),
])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_download_is_named_after_its_months_statuses_and_layout(client, alice, query,
                                                                     filename, fmt):
    client.force_login(alice)
    response = export(client, query, fmt=fmt, as_asked=True)
    assert response["Content-Disposition"] == f'attachment; filename="{filename}.{fmt}"'


# --------------------------------------------------------------------------------------------
# Formula injection (OWASP): text neutralised, numbers left numbers
# --------------------------------------------------------------------------------------------

@pytest.fixture
def formulas(report):
    """A line per dangerous description, and an implementing partner named like a formula."""
    evil = Organisation.objects.create(acronym="@EVIL", name="=HYPERLINK(\"http://x\")",
                                       short_name="Evil", type=OrganisationType.OTHER)
    types = list(PopulationType)
    for number, text in enumerate(FORMULAS):
        LineFactory(report=report, description=text, implementing_partner=evil,
                    population_type=types[number % len(types)],
                    modality=Modality.SERVICE if number < len(types) else Modality.IN_KIND)


def test_the_csv_neutralises_text_that_would_run_as_a_formula(client, alice, formulas):
    client.force_login(alice)
    records = csv_records(export(client))
    assert sorted(r["Description"] for r in records) == sorted("'" + text for text in FORMULAS)
    assert {r["Implementing partner"] for r in records} == {"'@EVIL"}
    for record in records:
        for header in NUMERIC:
            assert record[header] == "" or record[header].isdigit(), (header, record[header])


def test_the_xlsx_neutralises_text_and_keeps_numbers_as_numbers(client, alice, formulas):
    client.force_login(alice)
    sheet = xlsx_sheet(export(client, "hxl=1", fmt="xlsx"))
    headers = [cell.value for cell in sheet[1]]
    texts = set()
    for row in sheet.iter_rows(min_row=3):
        cells = dict(zip(headers, row, strict=True))
        assert all(cell.data_type != "f" for cell in row)
        texts.add(cells["Description"].value)
        assert cells["Implementing partner"].value == "'@EVIL"
        for header in ("Girls", "Boys", "Women", "Men", "Other under 18", "Other 18+", "Other",
                       "New beneficiaries",
                       "Total monthly beneficiaries"):
            assert cells[header].data_type == "n" and isinstance(cells[header].value, int)
    # XML reads a carriage return in text as a line feed (Excel and openpyxl alike).
    assert texts == {"'" + text.replace("\r", "\n") for text in FORMULAS}


def test_the_xlsx_drops_characters_a_workbook_cannot_hold(report, alice):
    LineFactory(report=report, description="\x01=1+1 bell\x07")
    with exports.lines_xlsx(ActivityLine.objects.all(), hxl=False) as output:
        sheet = load_workbook(output).active
    assert sheet.cell(2, len(HEADERS)).value == "'=1+1 bell"


# --------------------------------------------------------------------------------------------
# Memory and queries: no model instances, write-only workbook, streaming, fixed queries
# --------------------------------------------------------------------------------------------

@pytest.fixture
def five_thousand_lines(report):
    indicators = list(Indicator.objects.for_sector(report.sector).filter(type="direct"))
    places = list(Location.objects.filter(code__startswith="15"))
    types = (PopulationType.DESTINATION, PopulationType.TRANSIT, PopulationType.HOST)
    lima = place("15")
    combos = ((i, p, t) for i in indicators for p in places for t in types)
    ActivityLine.objects.bulk_create([
        ActivityLine(report=report, indicator=indicator, department=lima, location=where,
                     population_type=population, modality=Modality.SERVICE, girls=1, boys=1,
                     women=1, men=1, other_adults=1, new_beneficiaries=5, total_monthly=7,
                     description="=line")
        for _, (indicator, where, population) in zip(range(5000), combos, strict=False)
    ], batch_size=1000)
    assert ActivityLine.objects.count() == 5000


@pytest.mark.parametrize("layout", ["upload", "people"])
def test_a_large_export_builds_no_model_instances(five_thousand_lines, layout):
    lines = ActivityLine.objects.all()
    with mock.patch.object(models.Model, "from_db", side_effect=AssertionError("a model built")):
        csv_text = "".join(exports.lines_csv(lines, hxl=True, layout=layout))
        with exports.lines_xlsx(lines, hxl=True, layout=layout,
                                described=[("Statuses", "all")]) as output:
            size = output.seek(0, io.SEEK_END)
    assert csv_text.count("\r\n") == 5002
    assert csv_text.count(",'=line\r\n") == 5000
    assert size > 0


def test_the_csv_is_yielded_in_blocks_not_in_one_piece(five_thousand_lines):
    blocks = list(exports.lines_csv(ActivityLine.objects.all(), hxl=False))
    assert len(blocks) == 5000 // exports.CSV_ROWS_PER_BLOCK + 1
    assert max(len(block) for block in blocks) < 100_000


def test_the_xlsx_is_written_by_a_write_only_workbook(client, alice, varied):
    client.force_login(alice)
    with mock.patch("reporting.sheets.exports.Workbook", wraps=Workbook) as workbook:
        response = export(client, fmt="xlsx")
    workbook.assert_called_once_with(write_only=True)
    assert response.streaming  # a FileResponse over the temporary file
    assert len(xlsx_records(response)) == 3


def test_it_refuses_a_workbook_of_more_lines_than_a_sheet_holds(client, ivan, scoped):
    client.force_login(ivan)
    with mock.patch.object(exports, "XLSX_MAX_LINES", 4):
        response = client.get("/exports/lines.xlsx?status=all")
        assert response.status_code == 400
        assert ("These filters select 5 lines, more than a workbook export holds (4 rows): "
                "download them as CSV, which has no limit, or narrow the filters."
                ) in response.content.decode()
        assert client.get("/exports/lines.xlsx").status_code == 200  # approved: 2 lines
        assert client.get("/exports/lines.csv?status=all").status_code == 200


@pytest.mark.parametrize("layout", ["upload", "people"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_line_export_runs_the_same_queries_whatever_the_number_of_lines(
    client, ivan, report, fmt, layout
):
    client.force_login(ivan)
    query = ("sector=PRO&department=15&organisation=HIAS&status=draft&period_from=2023-01"
             f"&layout={layout}")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = export(client, query, fmt=fmt)
            b"".join(response.streaming_content)
        return len(captured.captured_queries)

    LineFactory(report=report)
    few = count_queries()
    for code in ("150101", "150102", "150103", "150104", "150105", "150106", "150107", "150108"):
        LineFactory(report=report, location=place(code))
    assert count_queries() == few


# --------------------------------------------------------------------------------------------
# A month's tables
# --------------------------------------------------------------------------------------------

@pytest.fixture
def figures_data(period, org_a, org_b, protection, health):
    """Approved lines in two sectors and a sub-sector, over two departments, and cash."""
    tumbes = place("24")
    hias_pro = ReportFactory(organisation=org_a, sector=protection, period=period,
                             status=ReportStatus.APPROVED)
    car_hea = ReportFactory(organisation=org_b, sector=health, period=period,
                            status=ReportStatus.APPROVED)
    LineFactory(report=hias_pro)
    LineFactory(report=hias_pro, indicator=Indicator.objects.get(code="PRO-CP-01"),
                department=tumbes, location=tumbes, modality=Modality.CASH, cash_usd=500)
    LineFactory(report=car_hea, girls=100, total_monthly=300)
    LineFactory(report=car_hea, department=tumbes, location=tumbes,
                population_type=PopulationType.TRANSIT)
    # A draft counts in no figure.
    LineFactory(report=ReportFactory(organisation=org_b, sector=protection, period=period),
                girls=1000, total_monthly=5000)


def summary_rows(client, kind: str, period: str = "2023-09") -> list[tuple]:
    response = client.get(f"/exports/{kind}.xlsx?period={period}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == f'attachment; filename="gtrm-{kind}-{period}.xlsx"'
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_sector_table_has_the_figures_of_the_month(client, alice, figures_data):
    figures = aggregation.month_figures(dt.date(2023, 9, 1))
    client.force_login(alice)
    rows = summary_rows(client, "sectors")
    assert rows[0] == ("Code", "Sector", "Parent sector", "Month", "Year to date")
    by_code = {row[0]: row for row in rows[1:] if row[0]}
    for figure in figures.sectors:
        assert by_code[figure.code] == (figure.code, figure.name_en, None, figure.month, figure.ytd)
    for figure in figures.subsectors:
        assert by_code[figure.code][2:] == (figure.parent, figure.month, figure.ytd)
    codes = [row[0] for row in rows[1:] if row[0]]
    assert codes.index("PRO-CP") == codes.index("PRO") + 1  # sub-sectors under their parent
    totals = {row[1]: row[3:] for row in rows if row[0] is None and row[1]}
    assert totals == {
        "Sum of sectors": (figures.sum_of_sectors_month, figures.sum_of_sectors_ytd),
        "People assisted directly": (figures.people_assisted_month, figures.people_assisted_ytd),
        "Cash and voucher assistance (CBI)": (figures.cbi_month, figures.cbi_ytd),
    }
    assert by_code["HEA"][3] == 400 and by_code["PRO"][3] == 200  # drafts left out
    assert figures.people_assisted_month < figures.sum_of_sectors_month


def test_the_department_table_has_the_figures_of_the_month(client, bob, figures_data):
    figures = aggregation.month_figures(dt.date(2023, 9, 1))
    client.force_login(bob)
    rows = summary_rows(client, "departments")
    assert rows[0] == ("Code", "Department", "Month", "Year to date")
    assert rows[1:-1] == [(d.code, d.name, d.month, d.ytd) for d in figures.departments]
    assert [d.code for d in figures.departments] == ["15", "24"]
    assert rows[-1] == (None, "Total", figures.people_assisted_month, figures.people_assisted_ytd)


def test_the_tables_speak_the_language_of_the_request(client, alice, figures_data):
    client.force_login(alice)
    client.cookies["django_language"] = "es"
    rows = summary_rows(client, "sectors")
    assert rows[0][3:] == ("Mes", "Acumulado del año")
    assert rows[[r[0] for r in rows].index("PRO")][:2] == ("PRO", "Protección")


def test_the_completeness_grid_is_for_coordinators_and_the_im_team(
    client, alice, paula, ivan, figures_data
):
    client.force_login(alice)
    assert client.get("/exports/completeness.xlsx?period=2023-09").status_code == 403
    client.force_login(paula)
    rows = summary_rows(client, "completeness")
    assert rows[0] == ("Organisation", "Protection", "Reported", "Expected", "Reporting rate",
                       "On-time rate")
    client.force_login(ivan)
    rows = summary_rows(client, "completeness")
    assert "Health" in rows[0] and "Protection" in rows[0]


def test_the_completeness_grid_has_the_states_and_rates_of_the_page(client, paula, figures_data):
    from reporting.models import ReportingPeriod, Sector
    from reporting.numbers.completeness import period_completeness

    grid = period_completeness(period=ReportingPeriod.objects.get(month=dt.date(2023, 9, 1)),
                               sectors=[Sector.objects.get(code="PRO")])
    client.force_login(paula)
    response = client.get("/exports/completeness.xlsx?period=2023-09")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    body = {row[0]: row for row in rows[1:1 + len(grid.rows)]}
    for grid_row in grid.rows:
        cell = grid_row.cells[0]
        row = body[str(grid_row.organisation)]
        assert row[1] == (None if cell is None else str(cell.label) if cell.expected
                          else f"{cell.label} (not registered)")
        assert row[2:4] == (grid_row.tally.reported, grid_row.tally.expected)
    rate_row = next(row for row in rows if row[0] == "Reporting rate")
    assert rate_row[1] == grid.columns[0].tally.reporting_rate / 100
    assert sheet.cell(rows.index(rate_row) + 1, 2).number_format == "0%"


@pytest.mark.parametrize(("query", "status", "message"), [
    ("period=2023-13", 400, "“2023-13” is not a month"),
    ("period=2019-01", 404, "There is no reporting period for January 2019."),
])
def test_a_table_for_a_month_that_is_not_there_is_explained(client, alice, period, query, status,
                                                            message):
    client.force_login(alice)
    response = client.get(f"/exports/sectors.xlsx?{query}")
    assert response.status_code == status
    assert message in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")


def test_a_table_without_a_month_is_the_current_month(client, alice, period):
    client.force_login(alice)
    response = client.get("/exports/departments.xlsx")
    assert response.status_code == 200
    assert "gtrm-departments-2023-09.xlsx" in response["Content-Disposition"]


def test_summary_workbook_refuses_the_grid_to_partners(alice, period):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        month_tables.summary_workbook("completeness", period, alice)


# --------------------------------------------------------------------------------------------
# What a file holds: approved reports unless another status is asked for, said in the file
# and on the page; for people, names beside the codes in the reader's language
# --------------------------------------------------------------------------------------------

PEOPLE_HEADERS = (
    "Month", "Report status", "Approved on", "Organisation (acronym)", "Organisation",
    "Implementing partner (acronym)", "Implementing partner", "Sector (code)", "Sector",
    "Indicator (code)", "Indicator", "Department (ubigeo)", "Department", "Province (ubigeo)",
    "Province", "District (ubigeo)", "District", "Population type (code)", "Population type",
    "Modality (code)", "Modality", "Girls", "Boys", "Women", "Men", "Other (0–17)", "Other (18+)",
    "Other, age not recorded", "New beneficiaries", "Total monthly beneficiaries", "Quantity",
    "Cash USD", "RMRP activity", "Delivery mechanism (code)", "Delivery mechanism",
    "Activity name", "Description",
)
PEOPLE_HEADERS_ES = (
    "Mes", "Estado del reporte", "Aprobado el", "Organización (sigla)", "Organización",
    "Socio implementador (sigla)", "Socio implementador", "Sector (código)", "Sector",
    "Indicador (código)", "Indicador", "Departamento (ubigeo)", "Departamento",
    "Provincia (ubigeo)", "Provincia", "Distrito (ubigeo)", "Distrito",
    "Tipo de población (código)", "Tipo de población", "Modalidad (código)", "Modalidad",
    "Niñas", "Niños", "Mujeres", "Hombres", "Otros (0–17)", "Otros (18+)",
    "Otros, edad no registrada", "Nuevos beneficiarios", "Total de beneficiarios del mes",
    "Cantidad", "Monto USD", "Actividad del RMRP", "Mecanismo de entrega (código)",
    "Mecanismo de entrega", "Nombre de la actividad", "Descripción",
)
APPROVED_ONLY = "Lines of approved reports only: the lines that published figures count."
EVERY_STATUS = ("Lines of reports in every status: draft, submitted, returned, approved and "
                "reopened. Only the approved ones count in published figures: filter or pivot "
                "on the report's status.")


def people_records(response, headers=PEOPLE_HEADERS) -> list[dict]:
    """Return the rows of a download for people (CSV or the XLSX's data sheet) by header."""
    if response["Content-Type"].startswith("text/csv"):
        rows = [tuple(row) for row in csv_rows(response)]
    else:
        workbook = load_workbook(io.BytesIO(body(response)))
        rows = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert rows[0] == headers
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def about(response) -> dict:
    workbook = load_workbook(io.BytesIO(body(response)))
    sheet = workbook["About this file"] if "About this file" in workbook.sheetnames else \
        workbook["Acerca de este archivo"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_line_export_holds_approved_reports_unless_another_status_is_asked(
    client, ivan, scoped, fmt
):
    client.force_login(ivan)
    records = people_records(export(client, fmt=fmt, as_asked=True))
    assert {r["Description"]: r["Report status"] for r in records} == {
        "hias-hea-approved": "Approved", "caritas-hea-approved": "Approved"}
    records = people_records(export(client, "status=all", fmt=fmt, as_asked=True))
    assert {r["Description"]: r["Report status"] for r in records} == {
        "hias-pro-draft": "Draft", "hias-hea-approved": "Approved",
        "caritas-pro-submitted": "Submitted", "caritas-pro-draft": "Draft",
        "caritas-hea-approved": "Approved"}
    records = people_records(export(client, "status=submitted", fmt=fmt, as_asked=True))
    assert descriptions(records) == {"caritas-pro-submitted"}


def test_a_form_without_a_status_selects_approved_reports_for_people(ivan, scoped):
    assert filtered(ivan, {}) == {"hias-hea-approved", "caritas-hea-approved"}
    assert filtered(ivan, {"status": ""}) == {"hias-hea-approved", "caritas-hea-approved"}
    assert filtered(ivan, {"status": "all"}) == ALL
    form = exports.LineFilterForm({}, user=ivan)
    assert form.is_valid()
    assert (form.cleaned_data["status"], form.cleaned_data["layout"]) == ("approved", "people")
    assert form.statuses_text() == APPROVED_ONLY


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_approval_day_is_the_day_in_lima_the_report_was_approved(
    client, ivan, scoped, org_a, protection, august, fmt
):
    # 03:00 in UTC on 1 October is still 30 September in Lima (UTC-5).
    approved = scoped["hias-hea-approved"]
    approved.reviewed_at = dt.datetime(2023, 10, 1, 3, 0, tzinfo=dt.UTC)
    approved.save()
    returned = ReportFactory(organisation=org_a, sector=protection, period=august,
                             status=ReportStatus.RETURNED, status_reason="Check the figures",
                             reviewed_at=dt.datetime(2023, 9, 12, 15, 0, tzinfo=dt.UTC))
    LineFactory(report=returned, description="hias-pro-returned")
    client.force_login(ivan)
    records = people_records(export(client, "status=all", fmt=fmt, as_asked=True))
    # A workbook's date cell reads back as a datetime at midnight.
    days = {r["Description"]: r["Approved on"].date() if isinstance(r["Approved on"], dt.datetime)
            else r["Approved on"] for r in records}
    day = "2023-09-30" if fmt == "csv" else dt.date(2023, 9, 30)
    empty = "" if fmt == "csv" else None
    assert days["hias-hea-approved"] == day
    # Reviewed but returned, and never reviewed: no approval day.
    assert days["hias-pro-returned"] == empty
    assert days["caritas-pro-submitted"] == empty


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_for_people_has_the_names_beside_the_codes(client, alice, varied, fmt):
    client.force_login(alice)
    records = people_records(export(client, "status=all", fmt=fmt, as_asked=True))
    district = next(r for r in records if r["District (ubigeo)"] == "150132")
    line = varied[0]
    assert {header: district[header] for header in PEOPLE_HEADERS[:21]} == {
        "Month": "2023-09", "Report status": "Draft", "Approved on": "" if fmt == "csv" else None,
        "Organisation (acronym)": "HIAS", "Organisation": Organisation.objects.get(
            acronym="HIAS").name,
        "Implementing partner (acronym)": "CARITAS",
        "Implementing partner": Organisation.objects.get(acronym="CARITAS").name,
        "Sector (code)": "PRO", "Sector": "Protection",
        "Indicator (code)": line.indicator.code, "Indicator": line.indicator.name_en,
        "Department (ubigeo)": "15", "Department": place("15").name,
        "Province (ubigeo)": "1501", "Province": place("1501").name,
        "District (ubigeo)": "150132", "District": place("150132").name,
        "Population type (code)": "transit", "Population type": "In transit",
        "Modality (code)": "cash", "Modality": "Cash",
    }
    figures = ("Girls", "Boys", "Women", "Men", "Other (0–17)", "Other (18+)",
               "Other, age not recorded", "New beneficiaries", "Total monthly beneficiaries",
               "Cash USD")
    values = [line.girls, line.boys, line.women, line.men, line.other_under_18,
              line.other_adults, line.other_unknown_age, line.new_beneficiaries,
              line.total_monthly, line.cash_usd]
    if fmt == "csv":
        values = [str(value) for value in values]
    else:
        values[-1] = float(values[-1])
    assert [district[header] for header in figures] == values
    sessions = next(r for r in records if r["Quantity"] not in ("", None))
    assert sessions["Province (ubigeo)"] in ("", None) and sessions["Province"] in ("", None)
    assert sessions["Implementing partner"] in ("", None)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_for_people_speaks_the_language_of_the_request(client, alice, varied, fmt):
    client.force_login(alice)
    client.cookies["django_language"] = "es"
    response = export(client, "status=all", fmt=fmt, as_asked=True)
    records = people_records(response, headers=PEOPLE_HEADERS_ES)
    district = next(r for r in records if r["Distrito (ubigeo)"] == "150132")
    assert district["Estado del reporte"] == "Borrador"
    assert district["Sector"] == "Protección"
    assert district["Indicador"] == varied[0].indicator.name_es
    assert (district["Tipo de población"], district["Modalidad"]) == ("En tránsito", "Efectivo")
    if fmt == "xlsx":
        workbook = load_workbook(io.BytesIO(body(response)))
        assert workbook.sheetnames == ["Acerca de este archivo", "Actividades"]


@pytest.mark.parametrize("hxl", [False, True])
def test_a_file_for_people_tags_each_name_beside_its_code(client, alice, varied, hxl):
    client.force_login(alice)
    rows = csv_rows(export(client, "status=all" + ("&hxl=1" if hxl else ""), as_asked=True))
    assert tuple(rows[0]) == PEOPLE_HEADERS
    if not hxl:
        assert rows[1][0] == "2023-09"
        return
    tags = dict(zip(PEOPLE_HEADERS, rows[1], strict=True))
    assert (tags["Report status"], tags["Approved on"]) == ("#status+report", "#date+approved")
    assert (tags["Department (ubigeo)"], tags["Department"]) == ("#adm1+code", "#adm1+name")
    assert (tags["Organisation (acronym)"], tags["Organisation"]) == ("#org+prog",
                                                                      "#org+prog+name")
    assert (tags["Modality (code)"], tags["Modality"]) == ("#modality+type",
                                                           "#modality+type+name")
    assert len(set(rows[1])) == len(PEOPLE_HEADERS)


def test_a_workbook_for_people_opens_on_what_it_holds(client, ivan, scoped):
    client.force_login(ivan)
    response = export(client, "period_from=2023-09&period_to=2023-09&sector=HEA", fmt="xlsx",
                      as_asked=True)
    workbook = load_workbook(io.BytesIO(body(response)))
    assert workbook.sheetnames == ["About this file", "Activities"]
    assert workbook.worksheets[0]["A1"].value == "GTRM Peru · activity lines"
    held = about(response)
    assert held["Statuses"] == APPROVED_ONLY
    assert held["Months"] == "September 2023"
    assert (held["Sector"], held["Department"], held["Organisation"]) == (
        "Health", "All departments", "All organisations")
    assert held["Lines"] == 1
    assert held["Layout"].startswith("For people: ")

    response = export(client, "status=all&period_from=2023-09", fmt="xlsx", as_asked=True)
    assert about(response)["Months"] == "September 2023 – …"
    response = export(client, "status=all", fmt="xlsx", as_asked=True)
    assert about(response)["Months"] == "All months"
    assert about(response)["Statuses"] == EVERY_STATUS
    assert about(response)["Lines"] == 5
    response = export(client, "status=draft", fmt="xlsx", as_asked=True)
    assert about(response)["Statuses"] == (
        "Lines of reports in the status “draft” only. They are not approved: no published "
        "figure counts them.")


def test_a_partners_workbook_names_no_organisation_filter(client, alice, scoped):
    client.force_login(alice)
    held = about(export(client, fmt="xlsx", as_asked=True))
    assert "Organisation" not in held
    assert held["Lines"] == 1  # HIAS's approved Health line


def test_a_workbook_for_re_upload_has_the_template_sheet_first_and_what_it_holds_last(
    client, ivan, scoped
):
    client.force_login(ivan)
    response = export(client, "layout=upload&hxl=1", fmt="xlsx", as_asked=True)
    workbook = load_workbook(io.BytesIO(body(response)))
    assert workbook.sheetnames == ["Activities", "About this file"]
    records = xlsx_records(response, hxl=True)
    assert descriptions(records) == {"hias-hea-approved", "caritas-hea-approved"}
    held = about(response)
    assert held["Statuses"] == APPROVED_ONLY
    assert held["Layout"].startswith("For re-upload: ")


def test_a_csv_for_re_upload_is_the_template_alone(client, ivan, scoped):
    client.force_login(ivan)
    response = export(client, "layout=upload", as_asked=True)
    assert descriptions(csv_records(response)) == {"hias-hea-approved", "caritas-hea-approved"}
    assert response["Content-Disposition"] == (
        'attachment; filename="gtrm-activities-all-approved-for-upload.csv"')


@pytest.mark.parametrize("path", ["/exports/", "/exports/lines.csv", "/exports/lines.xlsx"])
def test_a_layout_that_names_nothing_is_explained(client, ivan, scoped, path):
    client.force_login(ivan)
    response = client.get(f"{path}?layout=pivot")
    assert response.status_code == 400
    assert ("“pivot” is not a layout of the export: “people” or “upload”."
            in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”"))


def test_the_page_says_which_statuses_the_files_hold(client, ivan, scoped):
    client.force_login(ivan)
    page = client.get("/exports/").content.decode().replace("&#x27;", "'")
    assert '<option value="approved" selected>Approved</option>' in page
    assert 'value="people" checked' in page and 'value="upload" checked' not in page
    assert APPROVED_ONLY in page
    assert "lines match these filters" not in page  # counted when asked
    page = client.get("/exports/?status=all&layout=upload").content.decode().replace(
        "&#x27;", "'")
    assert '<option value="all" selected>All statuses</option>' in page
    assert 'value="upload" checked' in page
    assert "5 lines match these filters." in page
    assert EVERY_STATUS in page


def test_the_page_says_it_in_spanish(client, ivan, scoped):
    client.force_login(ivan)
    client.cookies["django_language"] = "es"
    page = client.get("/exports/?period_from=2023-09").content.decode()
    assert "Solo líneas de reportes aprobados: las que cuentan las cifras publicadas." in page
    assert "1 línea coincide con estos filtros." in page
    assert "Para personas" in page and "Para volver a cargar" in page


# --------------------------------------------------------------------------------------------
# The round trip: an exported file uploads back into the same lines
# --------------------------------------------------------------------------------------------

CONTRACT = ("report__period__month", "report__organisation__acronym",
            "implementing_partner__acronym", "report__sector__code", "indicator__code",
            "department__code", "location__code", "population_type", "modality", "girls", "boys",
            "women", "men", "other_under_18", "other_adults", "other_unknown_age",
            "new_beneficiaries", "total_monthly", "quantity",
            "cash_usd", "rmrp_activity", "delivery_mechanism", "activity_name", "description")


def contract_tuples(report) -> list[tuple]:
    return sorted(ActivityLine.objects.filter(report=report).values_list(*CONTRACT),
                  key=lambda values: [str(v) for v in values])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_file_uploads_back_into_the_same_lines(client, alice, report, varied, fmt):
    from reporting.sheets import planner, reading

    LineFactory(report=report, location=place("24"), department=place("24"),
                modality=Modality.VOUCHER, cash_usd=Decimal("80.00"),
                description="Cupones en Tumbes; “comillas”, coma")
    LineFactory(report=report, location=place("23"), department=place("23"),
                description="=HYPERLINK(\"http://x\") -2 @SUM +1")  # neutralised, then restored
    before = contract_tuples(report)
    client.force_login(alice)
    response = export(client, "hxl=1&period_from=2023-09&period_to=2023-09", fmt=fmt)
    data = b"".join(response.streaming_content)

    ActivityLine.objects.filter(report=report).delete()
    table = reading.read_table(data, f"export.{fmt}")
    assert table.has_hxl
    plan = planner.apply_import(table, user=alice, filename=f"export.{fmt}")
    assert not getattr(plan, "errors", None), plan.errors
    assert contract_tuples(report) == before
    assert all(level in LocationLevel.values for level in
               ActivityLine.objects.values_list("location__level", flat=True))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_partner_named_like_a_formula_uploads_back_as_itself(client, alice, report, fmt):
    from reporting.sheets import planner, reading

    # The export writes "'-Org" and "'@EVIL"; the importer must take the apostrophe off again.
    minus = Organisation.objects.create(acronym="-Org", name="-Org Perú", short_name="-Org",
                                        type=OrganisationType.RMO)
    evil = Organisation.objects.create(acronym="@EVIL", name="=HYPERLINK(\"http://x\")",
                                       short_name="Evil", type=OrganisationType.OTHER)
    LineFactory(report=report, implementing_partner=minus)
    LineFactory(report=report, implementing_partner=evil, location=place("24"),
                department=place("24"))
    before = contract_tuples(report)
    client.force_login(alice)
    response = export(client, "period_from=2023-09&period_to=2023-09", fmt=fmt)
    data = b"".join(response.streaming_content)

    ActivityLine.objects.filter(report=report).delete()
    plan = planner.apply_import(reading.read_table(data, f"export.{fmt}"), user=alice)
    assert plan.errors == []
    assert contract_tuples(report) == before


@pytest.mark.parametrize("query", ["sector=%00", "department=%00", "organisation=%00"])
def test_a_null_character_in_a_filter_is_a_clear_refusal(client, ivan, query):
    client.force_login(ivan)
    assert client.get(f"/exports/lines.csv?{query}").status_code == 400
