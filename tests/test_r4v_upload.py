"""R4V's regional template as an upload format (issue 13 point 4): a partner uploads the workbook
it prepared for R4V as it is, through the same page, preview, marked copy and confirmation as
our own template."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from partners.models import Organisation
from reporting.models import (
    ActivityLine,
    ImportStatus,
    Indicator,
    Location,
    MonthlyReport,
    ReportingPeriod,
    Sector,
)
from reporting.regional import columns as r4v
from reporting.sheets import planner, reading
from reporting.sheets.marked_copy import ERROR_COLOUR
from reporting.sheets.r4v_template import SEVERAL_POPULATIONS

from .test_upload_views import batch_of, upload


def r4v_row(**changes) -> dict:
    """A row of R4V's template for HIAS, Protection's PRO-01 in Lima, September 2023: 80 new
    people in destination, with their six sex-and-age figures."""
    indicator = Indicator.objects.get(code="PRO-01")
    values = {
        r4v.COUNTRY: "Peru",
        r4v.ADMIN1: Location.objects.get(code="15").r4v_name,
        r4v.ADMIN2: "Lima",
        r4v.APPEALING_ORGANISATION: Organisation.objects.get(acronym="HIAS").r4v_name,
        r4v.IMPLEMENTATION_SET_UP: "No",
        r4v.IMPLEMENTING_PARTNER: None,
        r4v.MONTH: dt.date(2023, 9, 1),  # openpyxl writes it as a date cell
        r4v.SECTOR: indicator.sector.r4v_name,
        r4v.INDICATOR: indicator.r4v_name,
        r4v.ACTIVITY_NAME: "Legal orientation",
        r4v.ACTIVITY_DESCRIPTION: "Orientación legal en Lima",
        r4v.RMRP_ACTIVITY: "Yes",
        r4v.CVA: "No",
        r4v.VALUE_USD: None,
        r4v.DELIVERY_MECHANISM: None,
        r4v.QUANTITY: None,
        r4v.TOTAL_MONTHLY: 100,
        r4v.NEW_BENEFICIARIES: 80,
        r4v.IN_DESTINATION: 80,
        r4v.IN_TRANSIT: 0,
        r4v.HOST_COMMUNITY: 0,
        r4v.PENDULAR: 0,
        r4v.RETURNEES: 0,
        r4v.WOMEN_UNDER_18: 10,
        r4v.MEN_UNDER_18: 12,
        r4v.WOMEN_ABOVE_18: 30,
        r4v.MEN_ABOVE_18: 25,
        r4v.OTHER_UNDER_18: 1,
        r4v.OTHER_ABOVE_18: 2,
    }
    values.update(changes)
    return values


def r4v_workbook(rows: list[dict]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = r4v.SHEET_NAME
    sheet.append(list(r4v.HEADER))
    for values in rows:
        sheet.append([values.get(column) for column in r4v.HEADER])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def send(client, rows):
    return batch_of(upload(client, r4v_workbook(rows), "5W Peru septiembre.xlsx"))


def plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.unescape(response.content.decode())))


FIGURES = ("population_type", "girls", "boys", "women", "men", "other_under_18", "other_adults",
           "other_unknown_age", "new_beneficiaries", "total_monthly", "modality",
           "description", "activity_name", "rmrp_activity")


def test_a_row_of_one_population_type_imports_exactly(client, alice, report):
    client.force_login(alice)
    batch = send(client, [r4v_row(), r4v_row(**{
        r4v.ADMIN1: "Tumbes", r4v.ADMIN2: None, r4v.NEW_BENEFICIARIES: None,
        r4v.IN_DESTINATION: 0, r4v.IN_TRANSIT: 7, r4v.TOTAL_MONTHLY: 7, r4v.RMRP_ACTIVITY: "No",
        r4v.WOMEN_UNDER_18: 1, r4v.MEN_UNDER_18: 1, r4v.WOMEN_ABOVE_18: 2, r4v.MEN_ABOVE_18: 3,
        r4v.OTHER_UNDER_18: 0, r4v.OTHER_ABOVE_18: 0})])
    assert batch.status == ImportStatus.PREVIEWED, batch.summary
    assert client.post(f"/imports/{batch.pk}/confirm/").status_code == 302
    lines = {line.department.code: line for line in
             ActivityLine.objects.filter(report=report).select_related("department", "location")}
    assert set(lines) == {"15", "24"}
    lima = lines["15"]
    assert lima.location.name == "Lima" and lima.location.level == "province"
    assert [getattr(lima, name) for name in FIGURES] == [
        "destination", 10, 12, 30, 25, 1, 2, 0, 80, 100, "service", "Orientación legal en Lima",
        "Legal orientation", True]
    tumbes = lines["24"]
    # New beneficiaries empty: the population column's figure is the row's new people.
    assert [getattr(tumbes, name) for name in FIGURES[:10]] == [
        "transit", 1, 1, 2, 3, 0, 0, 0, 7, 7]
    assert tumbes.rmrp_activity is False


def test_a_row_over_several_population_types_is_an_error_that_says_how_to_split_it(
        client, alice, report):
    client.force_login(alice)
    batch = send(client, [r4v_row(), r4v_row(**{r4v.IN_DESTINATION: 50, r4v.HOST_COMMUNITY: 30})])
    assert batch.status == ImportStatus.REJECTED
    page = plain(client.get(f"/imports/{batch.pk}/"))
    assert "Row 3" in page
    assert (f"spread over several population types ({r4v.IN_DESTINATION}, "
            f"{r4v.HOST_COMMUNITY})") in page
    assert "split this row into one row per population type" in page
    assert client.post(f"/imports/{batch.pk}/confirm/").status_code == 409
    assert not ActivityLine.objects.filter(report=report).exists()


def test_the_error_in_spanish(client, alice, report):
    client.force_login(alice)
    batch = send(client, [r4v_row(**{r4v.IN_DESTINATION: 50, r4v.HOST_COMMUNITY: 30})])
    client.cookies["django_language"] = "es"
    page = plain(client.get(f"/imports/{batch.pk}/"))
    with translation.override("es"):
        expected = str(SEVERAL_POPULATIONS).split("(")[0]
    assert expected in page and "Fila 2" in page


@pytest.mark.parametrize("column, value, reason", [
    (r4v.INDICATOR, "Number of unicorns", "indicator"),
    (r4v.ADMIN1, "Atlantis", "department"),
])
def test_an_unknown_indicator_or_department_is_an_error_naming_r4vs_column(
        client, alice, report, column, value, reason):
    client.force_login(alice)
    batch = send(client, [r4v_row(**{column: value})])
    assert batch.status == ImportStatus.REJECTED
    table = reading.read_table(bytes(batch.content), batch.filename)
    (error,) = planner.plan_import(table, user=alice).errors
    assert (error.row, error.column, error.value) == (2, column, value)
    assert reason in error.message.lower()


def test_another_organisations_row_is_refused(client, alice, report):
    client.force_login(alice)
    other = Organisation.objects.get(acronym="CARITAS").r4v_name
    batch = send(client, [r4v_row(**{r4v.APPEALING_ORGANISATION: other})])
    assert batch.status == ImportStatus.REJECTED


def test_a_file_mixing_months_and_sectors_fills_the_right_reports(client, alice, report, health):
    ReportingPeriod.objects.create(month=dt.date(2023, 10, 1), deadline=dt.date(2023, 11, 10),
                                   lock_date=dt.date(2023, 11, 25))
    health_indicator = Indicator.objects.filter(sector=health, code="HEA-01").get()
    assert health_indicator.measures_people
    client.force_login(alice)
    batch = send(client, [
        r4v_row(),
        r4v_row(**{r4v.MONTH: "2023-10"}),
        r4v_row(**{r4v.SECTOR: health.r4v_name, r4v.INDICATOR: health_indicator.r4v_name}),
    ])
    assert batch.status == ImportStatus.PREVIEWED, batch.summary
    assert client.post(f"/imports/{batch.pk}/confirm/").status_code == 302
    filled = sorted(
        (r.period.code, r.sector.code, r.lines.count())
        for r in MonthlyReport.objects.filter(organisation=report.organisation)
        .select_related("period", "sector"))
    assert filled == [("2023-09", "HEA", 1), ("2023-09", "PRO", 1), ("2023-10", "PRO", 1)]
    assert Sector.objects.get(code="HEA") == health


def test_the_marked_copy_marks_the_row_on_r4vs_sheet(client, alice, report):
    client.force_login(alice)
    batch = send(client, [r4v_row(), r4v_row(**{r4v.ADMIN1: "Atlantis"})])
    response = client.get(f"/imports/{batch.pk}/errors.xlsx")
    assert response.status_code == 200
    marked = load_workbook(io.BytesIO(response.content))
    sheet = marked[r4v.SHEET_NAME]
    letter = chr(ord("A") + r4v.HEADER.index(r4v.ADMIN1))
    assert sheet[f"{letter}3"].fill.start_color.rgb.endswith(ERROR_COLOUR[-6:])
    assert not sheet[f"{letter}2"].fill.fill_type


def test_the_preview_shows_r4vs_warnings_on_a_flagged_row(client, alice, report):
    client.force_login(alice)
    # Our rules allow a line of people already counted; R4V flags new beneficiaries 0.
    zero = {r4v.NEW_BENEFICIARIES: 0, r4v.IN_DESTINATION: 0, r4v.TOTAL_MONTHLY: 40,
            **{column: 0 for column in r4v.SEX_AND_AGE_COLUMNS.values()}}
    batch = send(client, [r4v_row(), r4v_row(**{r4v.ADMIN1: "Tumbes", r4v.ADMIN2: None, **zero})])
    assert batch.status == ImportStatus.PREVIEWED, batch.summary
    page = plain(client.get(f"/imports/{batch.pk}/"))
    assert f"Row 3 · {r4v.NEW_BENEFICIARIES}: a Direct Assistance indicator" in page
    assert "Row 2 ·" not in page
    assert "Confirm: save the lines of 1 report" in page


def test_a_header_missing_r4v_columns_is_refused_naming_them(client, alice, report):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column for column in r4v.HEADER if column != r4v.RETURNEES])
    sheet.append(["Peru"])
    output = io.BytesIO()
    workbook.save(output)
    with pytest.raises(reading.FileRejected) as rejected:
        reading.read_table(output.getvalue(), "5w.xlsx")
    assert r4v.RETURNEES in rejected.value.message
