"""Checking and saving an uploaded activity table (reporting/sheets/planner.py): every error names its
row and column, and a file is saved all or nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from partners.models import Organisation, OrganisationType
from reporting import texts as msg
from reporting.models import (
    MAX_PEOPLE,
    ActivityLine,
    Indicator,
    LineChange,
    Location,
    MonthlyReport,
    PeriodStatus,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
)
from reporting.sheets.columns import COLUMNS, HEADERS, HXL_TAGS
from reporting.sheets.planner import (
    ImportFailed,
    RowError,
    apply_import,
    errors_as_text,
    plan_import,
)
from reporting.sheets.reading import SheetRow, Table, read_table

from .factories import LineFactory, ReportFactory

FIRST_ROW = 3  # the header is row 1, the HXL tags row 2


def row(**overrides) -> dict:
    """Return the fields of a valid row: HIAS, Protection, September 2023, 80 people in Lima."""
    values = {
        "month": "2023-09",
        "organisation": "HIAS",
        "implementing_partner": None,
        "sector": "PRO",
        "indicator": "PRO-01",
        "department": "15",
        "province": None,
        "district": None,
        "population_type": "destination",
        "modality": "service",
        "girls": "10",
        "boys": "12",
        "women": "30",
        "men": "25",
        "other_under_18": None,
        "other_adults": "3",
        "other_unknown_age": None,
        "new_beneficiaries": "80",
        "total_monthly": "95",
        "quantity": None,
        "cash_usd": None,
        "rmrp_activity": None,
        "delivery_mechanism": None,
        "activity_name": None,
        "description": "Orientación legal",
    }
    values.update(overrides)
    if values["modality"] == "cash" and "delivery_mechanism" not in overrides:
        values["delivery_mechanism"] = "cash_in_hand"  # required on a cash line
    return values


def table(*rows: dict, kind: str = "csv") -> Table:
    return Table(
        kind=kind, sheet=None, headers=list(HEADERS),
        columns={column.field: index for index, column in enumerate(COLUMNS)}, has_hxl=True,
        rows=[SheetRow(number=FIRST_ROW + n, values=values) for n, values in enumerate(rows)],
    )


def errors_of(user, *rows: dict, **options) -> list[RowError]:
    return plan_import(table(*rows), user=user, **options).errors


def only_error(user, **overrides) -> RowError:
    errors = errors_of(user, row(**overrides))
    assert len(errors) == 1, errors
    return errors[0]


def lines_of(report: MonthlyReport) -> list[tuple]:
    return list(
        ActivityLine.objects.filter(report=report).order_by("indicator__code", "location__code")
        .values_list("indicator__code", "location__code", "population_type", "modality",
                     "implementing_partner__acronym", "girls", "boys", "women", "men",
                     "other_under_18", "other_adults", "other_unknown_age", "new_beneficiaries",
                     "total_monthly", "quantity", "cash_usd", "description")
    )


def many_rows(count: int) -> list[dict]:
    """Return `count` valid, distinct rows of HIAS's Protection report (provinces × types)."""
    provinces = list(Location.objects.filter(level="province").values_list("code", flat=True))
    types = ["destination", "transit", "host", "pendular", "returnee"]
    assert count <= len(provinces) * len(types)
    return [
        row(department=provinces[n // 5][:2], province=provinces[n // 5],
            population_type=types[n % 5])
        for n in range(count)
    ]


# A valid file ----------------------------------------------------------------------------------


def test_a_valid_file_plans_one_report_with_its_lines(alice, report, line):
    plan = plan_import(table(row(), row(population_type="transit")), user=alice)
    assert plan.ok, plan.errors
    assert plan.row_count == 2
    [report_plan] = plan.reports
    assert report_plan.report == report
    assert report_plan.existing_lines == 1
    assert report_plan.rows == [3, 4]
    assert report_plan.month == dt.date(2023, 9, 1)
    assert [line.population_type for line in report_plan.lines] == ["destination", "transit"]
    assert all(line.pk is None for line in report_plan.lines)
    # Planning saves nothing.
    assert ActivityLine.objects.filter(report=report).count() == 1


def test_applying_replaces_the_reports_lines_and_writes_one_audit_entry(alice, report, line):
    plan = apply_import(table(row(), row(population_type="transit")), user=alice,
                        filename="septiembre.xlsx")
    assert plan.ok
    assert ActivityLine.objects.filter(report=report).count() == 2
    assert not ActivityLine.objects.filter(pk=line.pk).exists()
    saved = ActivityLine.objects.filter(report=report).first()
    assert saved.created_by == alice and saved.updated_by == alice
    assert saved.description == "Orientación legal"
    [change] = LineChange.objects.filter(report=report)
    assert change.action == LineChange.Action.IMPORT
    assert change.line_id == 0
    assert change.by == alice
    assert change.summary == "septiembre.xlsx"  # no sentence in the uploader's language
    assert change.changes == {"file": "septiembre.xlsx", "removed": 1, "added": 2}
    with translation.override("es"):
        assert change.display_summary() == "Carga de hoja de cálculo: 2 líneas reemplazaron 1"
    with translation.override("en"):
        assert change.display_summary() == "Spreadsheet upload: 2 lines replaced 1"
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.updated_at == change.at


def test_a_missing_report_is_created_as_a_draft(alice, period, health):
    plan = apply_import(table(row(sector="HEA", indicator="HEA-01")), user=alice)
    [report_plan] = plan.reports
    report = MonthlyReport.objects.get(organisation__acronym="HIAS", sector=health, period=period)
    assert report_plan.report == report
    assert report.status == ReportStatus.DRAFT
    assert report.created_by == alice
    assert report.lines.count() == 1


def test_a_nil_report_gets_its_lines_and_stops_being_nil(alice, report):
    MonthlyReport.objects.filter(pk=report.pk).update(is_nil=True)
    apply_import(table(row()), user=alice)
    report.refresh_from_db()
    assert not report.is_nil


def test_reports_not_in_the_file_are_left_alone(alice, report, line, org_a, period, health):
    other = ReportFactory(organisation=org_a, sector=health, period=period, created_by=alice)
    other_line = LineFactory(report=other)
    apply_import(table(row()), user=alice)
    assert list(other.lines.all()) == [other_line]
    assert not LineChange.objects.filter(report=other).exists()


def test_the_same_file_twice_leaves_the_same_data(alice, report, line):
    rows = [row(), row(population_type="transit", indicator="PRO-05", modality="cash",
                       cash_usd="1250.50"),
            row(indicator="PRO-07", girls=None, boys=None, women=None, men=None, other_adults=None,
                new_beneficiaries=None, total_monthly=None, quantity="4")]
    apply_import(table(*rows), user=alice)
    first = lines_of(report)
    second_plan = apply_import(table(*rows), user=alice)
    assert lines_of(report) == first
    assert len(first) == 3
    assert second_plan.reports[0].existing_lines == 3
    assert MonthlyReport.objects.filter(organisation=report.organisation).count() == 1


def test_a_focal_point_imports_like_a_reporter(fiona, report):
    assert plan_import(table(row()), user=fiona).ok


def test_an_im_officer_imports_any_organisations_rows(ivan, report, period):
    plan = apply_import(table(row(), row(organisation="CARITAS")), user=ivan)
    assert [p.organisation.acronym for p in plan.reports] == ["CARITAS", "HIAS"]
    assert MonthlyReport.objects.get(organisation__acronym="CARITAS").created_by == ivan


def test_lines_of_several_reports_are_grouped_by_organisation_sector_and_month(ivan, period):
    ReportingPeriod.objects.create(month=dt.date(2023, 10, 1), deadline=dt.date(2023, 11, 10))
    plan = plan_import(table(
        row(), row(month="2023-10"), row(sector="HEA", indicator="HEA-01"),
        row(population_type="transit"),
    ), user=ivan)
    assert plan.ok, plan.errors
    assert [(p.sector.code, p.month.month, p.rows) for p in plan.reports] == [
        ("HEA", 9, [5]), ("PRO", 9, [3, 6]), ("PRO", 10, [4])
    ]
    assert all(p.report is None and p.existing_lines == 0 for p in plan.reports)


# Matching, tolerant but never guessed ----------------------------------------------------------


@pytest.mark.parametrize("written", ["Cáritas del Perú", "CARITAS", "caritas del peru",
                                     "  CÁRITAS   DEL PERÚ ", "Caritas", "Caritas Peru"])
def test_an_organisation_is_matched_by_acronym_or_name_ignoring_case_and_accents(
    written, bob, period
):
    errors = errors_of(bob, row(organisation=written))
    if written == "Caritas Peru":  # close, but no organisation is called that
        [error] = errors
        assert error.message.startswith(
            msg.UNKNOWN_ORGANISATION % {"value": "Caritas Peru"} + " Did you mean “CARITAS”")
    else:
        assert errors == []


@pytest.mark.parametrize("written", ["Áncash", "ANCASH", "ancash", "PE02", "02", "2", 2, 2.0,
                                     "020000"])
def test_a_department_is_matched_by_ubigeo_p_code_or_name(written, alice, report):
    plan = plan_import(table(row(department=written)), user=alice)
    assert plan.ok, plan.errors
    assert plan.reports[0].lines[0].department.code == "02"


def test_a_province_name_is_looked_up_within_the_rows_department(alice, report):
    plan = plan_import(table(
        row(department="Ancash", province="huaraz"),
        row(department="Lima", province="Cañete", population_type="transit"),
        row(department="15", province="PE1501", population_type="host"),
    ), user=alice)
    assert plan.ok, plan.errors
    assert [line.location.code for line in plan.reports[0].lines] == ["0201", "1505", "1501"]


def test_a_province_of_another_department_is_refused(alice, report):
    error = only_error(alice, department="15", province="Tumbes")
    assert (error.row, error.column, error.value) == (3, "Province", "Tumbes")
    assert error.message.startswith(msg.UNKNOWN_PROVINCE % {"value": "Tumbes",
                                                            "department": "Lima"})
    error = only_error(alice, department="15", province="2401")
    assert error.message == msg.PROVINCE_OUTSIDE_DEPARTMENT % {"province": "Tumbes",
                                                               "department": "Lima"}


def test_a_district_is_read_by_ubigeo_or_by_name_within_its_province(alice, report):
    plan = plan_import(table(
        row(district="150132"),
        row(province="1501", district="San Juan de Lurigancho", population_type="transit"),
    ), user=alice)
    assert plan.ok, plan.errors
    assert [line.location.code for line in plan.reports[0].lines] == ["150132", "150132"]
    error = only_error(alice, province="1501", district="150201")
    assert (error.column, error.message) == (
        "District", msg.DISTRICT_OUTSIDE_PROVINCE % {"district": "Barranca", "province": "Lima"})


def test_a_code_of_the_wrong_level_says_what_it_is(alice, report):
    error = only_error(alice, department="1501")
    assert error.column == "Department"
    assert error.message == msg.WRONG_LEVEL % {
        "value": "1501", "place": "Lima", "level": "province", "expected": "department"}


def test_an_unknown_department_suggests_a_close_name(alice, report):
    error = only_error(alice, department="Lmia")
    assert error == RowError(
        3, "department", "Department", "Lmia",
        msg.UNKNOWN_DEPARTMENT % {"value": "Lmia"} + " "
        + msg.DID_YOU_MEAN % {"suggestions": "“Lima”"},
    )
    assert errors_as_text([error]) == (
        "Row 3, Department: “Lmia” is not a department of Peru (ubigeo, P-code or name). "
        "Did you mean “Lima”?"
    )


def test_an_unknown_ubigeo_is_refused(alice, report):
    error = only_error(alice, department="99")
    assert error.message == msg.UNKNOWN_DEPARTMENT % {"value": "99"}


@pytest.mark.parametrize("written", ["PRO", "pro", "Protección", "proteccion", "Protection"])
def test_a_sector_is_matched_by_code_or_either_name(written, alice, report):
    assert errors_of(alice, row(sector=written)) == []


@pytest.mark.parametrize("written", ["PRO-01", "pro-01"])
def test_an_indicator_is_matched_by_code(written, alice, report):
    assert errors_of(alice, row(indicator=written)) == []


def test_an_indicator_is_matched_by_its_english_or_spanish_name(alice, report):
    indicator = Indicator.objects.get(code="PRO-01")
    assert errors_of(alice, row(indicator=indicator.name_en.upper())) == []
    assert errors_of(alice, row(indicator=indicator.name_es)) == []


def test_an_unknown_indicator_suggests_close_codes(alice, report):
    error = only_error(alice, indicator="PRO-1")
    assert error.column == "Indicator"
    assert error.message.startswith(msg.UNKNOWN_INDICATOR % {"value": "PRO-1"})
    assert "Did you mean “PRO-01”" in error.message


@pytest.mark.parametrize(("field", "written", "code"), [
    ("population_type", "Transit", "transit"),
    ("population_type", "en tránsito", "transit"),
    ("population_type", "Host community", "host"),
    ("population_type", "COMUNIDAD DE ACOGIDA", "host"),
    ("modality", "in kind", "in_kind"),
    ("modality", "En especie", "in_kind"),
    ("modality", "IN_KIND", "in_kind"),
    ("modality", "Servicio", "service"),
])
def test_population_types_and_modalities_take_a_code_or_a_label_in_either_language(
    field, written, code, alice, report
):
    Indicator.objects.filter(code="PRO-01").update(modalities=["service", "in_kind"])
    plan = plan_import(table(row(**{field: written})), user=alice)
    assert plan.ok, plan.errors
    assert getattr(plan.reports[0].lines[0], field) == code


def test_an_unknown_modality_lists_the_codes(alice, report):
    error = only_error(alice, modality="servicios")
    assert error.column == "Modality"
    assert error.message.startswith(msg.UNKNOWN_MODALITY % {
        "value": "servicios", "choices": "service, in_kind, cash or voucher"})
    error = only_error(alice, population_type="refugee")
    assert error.message.startswith(msg.UNKNOWN_POPULATION_TYPE % {
        "value": "refugee", "choices": "destination, transit, host, pendular or returnee"})


def test_a_name_of_two_organisations_is_ambiguous(ivan, period):
    Organisation.objects.create(acronym="ALFA", name="Asociación Alfa", short_name="Alfa",
                                type=OrganisationType.NNGO)
    Organisation.objects.create(acronym="ALFA-P", name="ALFA Perú", short_name="alfa",
                                type=OrganisationType.NNGO)
    error = only_error(ivan, organisation="Alfa")
    assert error.column == "Organisation"
    assert error.message == msg.AMBIGUOUS_ORGANISATION % {
        # In Spanish order of their names (gtrm/collation.py): "alfa" before "Alfa".
        "value": "Alfa", "candidates": "“ALFA-P (ALFA Perú)” or “ALFA (Asociación Alfa)”"}


def test_a_sub_sectors_code_fills_its_parents_report(alice, report):
    plan = apply_import(table(row(sector="PRO-CP", indicator="PRO-CP-01"),
                              row(sector="Child Protection", indicator="PRO-CP-02")), user=alice)
    [report_plan] = plan.reports
    assert report_plan.report == report
    assert report_plan.sector == Sector.objects.get(code="PRO")
    assert report.lines.count() == 2


def test_an_implementing_partner_is_matched_like_an_organisation(alice, report):
    plan = plan_import(table(row(implementing_partner="acnur")), user=alice)
    assert plan.ok, plan.errors
    assert plan.reports[0].lines[0].implementing_partner.acronym == "ACNUR"


# Values of the wrong type ----------------------------------------------------------------------


# A workbook's dates are naive.
@pytest.mark.parametrize("written", [dt.datetime(2023, 9, 15, 10, 30),  # noqa: DTZ001
                                     dt.datetime(2023, 9, 1, 8, 0),  # noqa: DTZ001
                                     dt.date(2023, 9, 2), "2023-09-15", "15/09/2023"])
def test_a_date_where_a_month_is_expected_is_refused(written, alice, report):
    error = only_error(alice, month=written)
    assert (error.row, error.field, error.column) == (3, "month", "Month")
    assert error.message == msg.MONTH_IS_A_DATE == "Write the month as YYYY-MM (2023-09), not a date."


# Excel turns "2023-09" typed into a General cell into 1 September 2023 at midnight.
@pytest.mark.parametrize("written", [dt.datetime(2023, 9, 1), dt.date(2023, 9, 1)])  # noqa: DTZ001
def test_the_first_of_a_month_as_excel_stores_a_typed_month_is_that_month(written, alice, report):
    assert errors_of(alice, row(month=written)) == []


@pytest.mark.parametrize("written", ["Sept 2023", "2023/09", "09/2023", "2023-13", 202309])
def test_a_month_in_another_form_is_refused(written, alice, report):
    error = only_error(alice, month=written)
    assert error.column == "Month"
    assert error.message == msg.MONTH_FORMAT % {"value": str(written)}


@pytest.mark.parametrize(("written", "message", "params"), [
    ("12.5", msg.NOT_A_WHOLE_NUMBER, {"value": "12.5"}),
    (12.5, msg.NOT_A_WHOLE_NUMBER, {"value": "12.5"}),
    ("doce", msg.NOT_A_WHOLE_NUMBER, {"value": "doce"}),
    (True, msg.NOT_A_WHOLE_NUMBER, {"value": "True"}),
    ("1,200", msg.THOUSANDS_SEPARATOR, {"value": "1,200"}),
    ("1.200", msg.THOUSANDS_SEPARATOR, {"value": "1.200"}),
    ("-3", msg.NEGATIVE_VALUE, None),
    (-3, msg.NEGATIVE_VALUE, None),
    (MAX_PEOPLE + 1, msg.IMPLAUSIBLE, {"limit_value": MAX_PEOPLE}),
])
def test_a_count_column_takes_whole_numbers_only(written, message, params, alice, report):
    error = only_error(alice, girls=written, new_beneficiaries=None, total_monthly="100000")
    assert (error.row, error.field, error.column) == (3, "girls", "Girls")
    assert error.message == (message % params if params else str(message))


@pytest.mark.parametrize("written", [10, 10.0, "10", " 10 "])
def test_a_whole_number_is_read_from_text_an_integer_or_a_workbook_float(written, alice, report):
    plan = plan_import(table(row(girls=written)), user=alice)
    assert plan.ok, plan.errors
    assert plan.reports[0].lines[0].girls == 10


@pytest.mark.parametrize(("written", "amount"), [
    ("1250.50", "1250.50"), ("1250,50", "1250.50"), ("1250,5", "1250.50"), ("1250", "1250.00"),
    (1250.5, "1250.50"), (1250, "1250.00"), ("0", "0.00"),
])
def test_cash_is_read_with_a_decimal_point_or_comma(written, amount, alice, report):
    plan = plan_import(table(row(indicator="PRO-05", modality="cash", cash_usd=written)),
                       user=alice)
    assert plan.ok, plan.errors
    assert plan.reports[0].lines[0].cash_usd == Decimal(amount)


@pytest.mark.parametrize(("written", "message"), [
    ("1,250", msg.AMOUNT_AMBIGUOUS),
    ("1.250", msg.AMOUNT_AMBIGUOUS),
    ("1,250.50", msg.AMOUNT_AMBIGUOUS),
    ("1250.505", msg.AMOUNT_DECIMALS),
    (33.333, msg.AMOUNT_DECIMALS),
    ("USD 50", msg.NOT_AN_AMOUNT),
    (1e12, msg.AMOUNT_TOO_LARGE),
])
def test_a_doubtful_amount_is_refused(written, message, alice, report):
    error = only_error(alice, modality="cash", cash_usd=written)
    assert (error.field, error.column) == ("cash_usd", "Cash USD")
    value = "1000000000000" if written == 1e12 else str(written)
    assert error.message == message % {"value": value}


def test_a_negative_amount_is_refused(alice, report):
    error = only_error(alice, modality="cash", cash_usd="-50")
    assert (error.column, error.message) == ("Cash USD", msg.NEGATIVE_VALUE)


@pytest.mark.parametrize("field", ["month", "organisation", "sector", "indicator", "department",
                                   "population_type", "modality"])
def test_a_required_column_left_empty_is_an_error(field, alice, report):
    error = only_error(alice, **{field: None})
    assert error.field == field
    assert (error.value, error.message) == ("", msg.VALUE_REQUIRED)


# The rules of a line ---------------------------------------------------------------------------


def test_new_beneficiaries_left_empty_are_the_sum_of_the_five(alice, report):
    plan = plan_import(table(row(new_beneficiaries=None)), user=alice)
    assert plan.ok, plan.errors
    assert plan.reports[0].lines[0].new_beneficiaries == 80


def test_new_beneficiaries_that_do_not_add_up_are_refused(alice, report):
    error = only_error(alice, new_beneficiaries="81")
    assert (error.column, error.value) == ("New beneficiaries", "81")
    assert error.message == msg.DISAGGREGATION_MISMATCH % {"new": 81, "sum": 80}


def test_the_total_is_required_for_a_people_indicator(alice, report):
    error = only_error(alice, total_monthly=None)
    assert error.column == "Total monthly beneficiaries"
    assert error.message == msg.TOTAL_REQUIRED % {"indicator": "PRO-01"}


@pytest.mark.parametrize(("overrides", "column", "message", "params"), [
    ({"total_monthly": "79"}, "Total monthly beneficiaries", msg.TOTAL_BELOW_NEW,
     {"total": 79, "new": 80}),
    ({"cash_usd": "100"}, "Cash USD", msg.CASH_WITHOUT_CASH_MODALITY, {"modality": "Service"}),
    ({"indicator": "PRO-05", "modality": "voucher"}, "Cash USD", msg.CASH_REQUIRED, None),
    ({"indicator": "PRO-05", "modality": "in_kind"}, "Modality", msg.MODALITY_NOT_ALLOWED,
     {"indicator": "PRO-05", "modality": "In kind", "allowed": "Cash, Voucher"}),
    ({"indicator": "PRO-07"}, "Quantity", msg.QUANTITY_REQUIRED,
     {"indicator": "PRO-07", "unit": "sessions"}),
    ({"quantity": "5"}, "Quantity", msg.QUANTITY_NOT_APPLICABLE, {"indicator": "PRO-01"}),
], ids=["total-below-new", "cash-for-service", "cash-missing", "modality-not-allowed",
        "quantity-missing",
        "quantity-for-people"])
def test_the_line_rules_of_the_form_apply_to_each_row(overrides, column, message, params,
                                                      alice, report):
    error = only_error(alice, **overrides)
    expected = message % params if params else str(message)
    assert (error.row, error.column, error.message) == (3, column, expected)


def test_an_indicator_of_another_sector_is_refused(alice, report):
    error = only_error(alice, indicator="HEA-01")
    assert error.column == "Indicator"
    assert error.message == msg.INDICATOR_OUTSIDE_SECTOR % {
        "indicator": "HEA-01", "indicator_sector": Sector.objects.get(code="HEA"),
        "sector": Sector.objects.get(code="PRO")}


def test_an_indicator_no_longer_in_use_is_refused(alice, report):
    Indicator.objects.filter(code="PRO-02").update(active=False)
    error = only_error(alice, indicator="PRO-02")
    assert error.message == msg.INDICATOR_INACTIVE % {"indicator": "PRO-02"}


def test_an_inactive_sector_or_organisation_is_refused(alice, report, org_a):
    Sector.objects.filter(code="PRO-CP").update(active=False)
    error = only_error(alice, sector="PRO-CP", indicator="PRO-CP-01")
    assert error.message == msg.SECTOR_INACTIVE % {"sector": Sector.objects.get(code="PRO-CP")}
    Organisation.objects.filter(pk=org_a.pk).update(active=False)
    alice.refresh_from_db()
    error = only_error(alice)
    assert (error.column, error.message) == (
        "Organisation", msg.ORGANISATION_INACTIVE % {"organisation": org_a})


def test_a_duplicate_row_is_refused_naming_the_first(alice, report):
    errors = errors_of(alice, row(), row(population_type="transit"), row(total_monthly="100"))
    assert errors == [RowError(5, None, None, "", msg.DUPLICATE_ROW % {"row": 3})]
    assert errors_as_text(errors) == (
        "Row 5: Row 3 already has this indicator, place, population type, modality and "
        "implementing partner for the same report: merge the two rows."
    )


def test_rows_differing_in_implementing_partner_are_not_duplicates(alice, report):
    assert errors_of(alice, row(), row(implementing_partner="ACNUR")) == []


def test_every_error_of_a_row_is_reported_in_column_order(alice, report):
    errors = errors_of(alice, row(month="sept", girls="x", department="Lmia"))
    assert [(e.row, e.column) for e in errors] == [(3, "Month"), (3, "Department"), (3, "Girls")]


def test_the_rules_of_one_line_need_no_query(report, django_assert_num_queries):
    line = LineFactory.build(report=report, indicator=Indicator.objects.select_related(
        "sector").get(code="HEA-01"), cash_usd=Decimal(1))
    line.department, line.location = line.department, line.location
    sector = Sector.objects.get(code="PRO")
    with django_assert_num_queries(0):
        errors = line.row_errors(sector=sector)
    assert set(errors) == {"indicator", "cash_usd"}


# Scope and state -------------------------------------------------------------------------------


def test_a_partner_may_not_import_another_organisations_rows(alice, report, org_b, period):
    # Cáritas's report is submitted: the message must not tell HIAS so.
    ReportFactory(organisation=org_b, sector=report.sector, period=period,
                  status=ReportStatus.SUBMITTED)
    errors = errors_of(alice, row(), row(organisation="Cáritas del Perú"))
    assert errors == [RowError(
        4, "organisation", "Organisation", "Cáritas del Perú",
        msg.NOT_YOUR_ORGANISATION_ROW % {"organisation": "Cáritas del Perú", "own": "HIAS"},
    )]
    with pytest.raises(ImportFailed):
        apply_import(table(row(), row(organisation="CARITAS")), user=alice)
    assert not ActivityLine.objects.exists()


def test_a_coordinator_may_not_import(paula, report):
    with pytest.raises(PermissionDenied, match="Only partner reporters and IM officers"):
        plan_import(table(row()), user=paula)
    with pytest.raises(PermissionDenied):
        apply_import(table(row()), user=paula)


@pytest.mark.parametrize(("status", "message"), [
    (ReportStatus.SUBMITTED, msg.REPORT_SUBMITTED_ROW),
    (ReportStatus.APPROVED, msg.REPORT_APPROVED_ROW),
])
def test_rows_for_a_submitted_or_approved_report_are_errors(status, message, alice, report):
    MonthlyReport.objects.filter(pk=report.pk).update(status=status)
    errors = errors_of(alice, row(), row(population_type="transit"))
    text = message % {"sector": "Protection", "organisation": "HIAS", "month": "2023-09"}
    assert errors == [RowError(3, None, None, "", text), RowError(4, None, None, "", text)]
    assert text.startswith("The Protection report of HIAS for 2023-09 is ")


@pytest.mark.parametrize("status", [ReportStatus.RETURNED, ReportStatus.REOPENED])
def test_a_returned_or_reopened_report_takes_the_upload(status, alice, report):
    MonthlyReport.objects.filter(pk=report.pk).update(status=status, status_reason="Fix it")
    assert apply_import(table(row()), user=alice).ok


def test_rows_for_a_locked_period_are_errors(alice, report, period):
    ReportingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.LOCKED)
    error = only_error(alice)
    assert (error.column, error.value) == ("Month", "2023-09")
    assert error.message == msg.PERIOD_LOCKED_ROW % {"month": "2023-09"}


def test_rows_for_a_month_without_a_period_are_errors(alice, report):
    error = only_error(alice, month="2024-02")
    assert (error.column, error.message) == ("Month", msg.PERIOD_MISSING % {"month": "2024-02"})


def test_an_im_officer_may_not_replace_an_approved_report_without_as_approved(ivan, report):
    MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.APPROVED)
    assert len(errors_of(ivan, row())) == 1


# All or nothing --------------------------------------------------------------------------------


def test_one_bad_row_among_fifty_saves_nothing(alice, report, line):
    rows = many_rows(50)
    rows[31] = {**rows[31], "women": "treinta"}
    with pytest.raises(ImportFailed) as failed:
        apply_import(table(*rows), user=alice)
    assert [(e.row, e.column) for e in failed.value.plan.errors] == [(34, "Women")]
    assert str(failed.value) == errors_as_text(failed.value.plan.errors)
    assert list(report.lines.all()) == [line]
    assert not LineChange.objects.exists()
    assert not MonthlyReport.objects.exclude(pk=report.pk).exists()


def test_a_report_submitted_after_the_preview_turns_the_upload_down(alice, report):
    rows = many_rows(5)
    assert plan_import(table(*rows), user=alice).ok
    MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    with pytest.raises(ImportFailed):
        apply_import(table(*rows), user=alice)
    assert not report.lines.exists()


def test_an_empty_table_is_not_ok(alice, report):
    plan = plan_import(table(), user=alice)
    assert not plan.ok
    assert [e.message for e in plan.errors] == [msg.UPLOAD_NO_LINES]
    assert errors_as_text(plan.errors) == str(msg.UPLOAD_NO_LINES)


def test_a_failure_while_saving_undoes_everything_saved_before_it(alice, report, line,
                                                                   monkeypatch):
    # Another upload creating the same rows at the same moment fails on a constraint, after
    # this one has deleted and written lines: all of it is undone, and the user is told.
    def clash(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(LineChange.objects, "bulk_create", clash)
    with pytest.raises(ImportFailed) as failed:
        apply_import(table(*many_rows(50)), user=alice)
    assert [e.message for e in failed.value.plan.errors] == [msg.UPLOAD_CHANGED_MEANWHILE]
    assert list(report.lines.all()) == [line]
    assert ActivityLine.objects.count() == 1


# Loading historic data as approved -------------------------------------------------------------


def test_as_approved_is_for_im_officers_only(alice, report):
    with pytest.raises(PermissionDenied):
        plan_import(table(row()), user=alice, as_approved=True)
    with pytest.raises(PermissionDenied):
        apply_import(table(row()), user=alice, as_approved=True)


def test_as_approved_creates_periods_and_approved_reports_with_a_review_event(ivan):
    plan = apply_import(table(row(month="2022-03"), row(month="2022-04", organisation="CARITAS")),
                        user=ivan, as_approved=True, filename="activityinfo-2022.xlsx")
    march = ReportingPeriod.objects.get(month=dt.date(2022, 3, 1))
    assert march.deadline == dt.date(2022, 4, 10)
    assert ReportingPeriod.objects.filter(month=dt.date(2022, 4, 1)).exists()
    assert [p.period for p in plan.reports] == [march, ReportingPeriod.objects.get(
        month=dt.date(2022, 4, 1))]
    for report_plan in plan.reports:
        report = MonthlyReport.objects.get(pk=report_plan.report.pk)
        assert report.status == ReportStatus.APPROVED
        assert (report.reviewed_by, report.submitted_by) == (ivan, ivan)
        assert report.reviewed_at and report.submitted_at and report.first_submitted_at
        assert report.lines.count() == 1
        [event] = report.events.all()
        assert (event.action, event.from_status, event.to_status, event.by) == (
            ReviewEvent.Action.APPROVE, ReportStatus.DRAFT, ReportStatus.APPROVED, ivan)
        assert event.reason == (
            "Loaded from activityinfo-2022.xlsx as historic, already validated data.")


def test_as_approved_replaces_an_approved_report_in_a_locked_period(ivan, report, line, period):
    MonthlyReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.APPROVED, first_submitted_at=dt.datetime(2023, 10, 5, tzinfo=dt.UTC))
    ReportingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.LOCKED)
    plan = apply_import(table(row(total_monthly="200")), user=ivan, as_approved=True)
    assert plan.reports[0].existing_lines == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    assert report.first_submitted_at == dt.datetime(2023, 10, 5, tzinfo=dt.UTC)
    assert list(report.lines.values_list("total_monthly", flat=True)) == [200]
    assert report.events.get().from_status == ReportStatus.APPROVED


def test_as_approved_accepts_what_is_no_longer_active(ivan, period, org_b):
    Indicator.objects.filter(code="PRO-02").update(active=False)
    Organisation.objects.filter(pk=org_b.pk).update(active=False)
    assert errors_of(ivan, row(organisation="CARITAS", indicator="PRO-02"), as_approved=True) == []


def test_loading_the_same_historic_file_twice_leaves_the_same_data(ivan):
    rows = [row(month="2022-03"), row(month="2022-03", population_type="host")]
    apply_import(table(*rows), user=ivan, as_approved=True)
    report = MonthlyReport.objects.get(period__month=dt.date(2022, 3, 1))
    first = lines_of(report)
    apply_import(table(*rows), user=ivan, as_approved=True)
    assert lines_of(report) == first
    assert MonthlyReport.objects.filter(period__month=dt.date(2022, 3, 1)).count() == 1
    assert ReportingPeriod.objects.filter(month=dt.date(2022, 3, 1)).count() == 1


# Queries ---------------------------------------------------------------------------------------


def test_planning_runs_the_same_queries_for_10_or_200_rows(alice, report, line):
    counts = []
    for size in (10, 200):
        rows = many_rows(size)
        with CaptureQueriesContext(connection) as queries:
            plan = plan_import(table(*rows), user=alice)
        assert plan.ok, plan.errors[:3]
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1] <= 8


def test_applying_runs_a_bounded_number_of_queries(ivan, period):
    rows = many_rows(200) + [row(organisation="CARITAS", sector="HEA", indicator="HEA-01")]
    with CaptureQueriesContext(connection) as queries:
        apply_import(table(*rows), user=ivan, as_approved=True)
    # SQLite takes 999 parameters a statement: the 201 lines' columns need six inserts.
    assert len(queries.captured_queries) <= 21
    assert ActivityLine.objects.count() == 201


# Through the file reader -----------------------------------------------------------------------


def test_a_windows_1252_csv_with_semicolons_imports(bob, period):
    header = ";".join(HEADERS)
    body = ";".join([
        "2023-09", "Cáritas del Perú", "", "Protección", "PRO-01", "Áncash", "Huaraz", "",
        "En destino", "Servicio", "1", "2", "3", "4", "0", "0", "", "", "12", "", "", "", "", "",
        "Atención en Huaraz",
    ])
    data = f"{header}\r\n{body}\r\n".encode("cp1252")
    plan = apply_import(read_table(data, "caritas.csv"), user=bob, filename="caritas.csv")
    assert plan.ok
    line = ActivityLine.objects.get()
    assert (line.location.code, line.new_beneficiaries, line.description) == (
        "0201", 10, "Atención en Huaraz")


def workbook(*rows: list) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Activities"
    sheet.append(list(HEADERS))
    sheet.append(list(HXL_TAGS))
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_row(**overrides) -> list:
    values = row(**overrides)
    return [values[column.field] for column in COLUMNS]


def test_an_xlsx_with_numbers_as_numbers_imports(alice, report):
    data = workbook(xlsx_row(department=15, province=1501, girls=10, boys=12, women=30, men=25,
                             other_adults=3, new_beneficiaries=80, total_monthly=95.0),
                    xlsx_row(department=2, population_type="transit", indicator="PRO-05",
                             modality="cash", cash_usd=99.5))
    plan = apply_import(read_table(data, "hias.xlsx"), user=alice)
    assert plan.ok
    assert [(line.location.code, line.cash_usd) for line in report.lines.order_by("pk")] == [
        ("1501", None), ("02", Decimal("99.50"))]


def test_an_xlsx_date_in_the_month_column_is_pointed_to(alice, report):
    data = workbook(xlsx_row(), xlsx_row(month=dt.datetime(2023, 9, 12),  # noqa: DTZ001
                                                  population_type="host"))
    errors = plan_import(read_table(data, "hias.xlsx"), user=alice).errors
    assert errors == [RowError(4, "month", "Month", "2023-09-12", msg.MONTH_IS_A_DATE)]
    assert errors_as_text(errors) == (
        "Row 4, Month: Write the month as YYYY-MM (2023-09), not a date.")
