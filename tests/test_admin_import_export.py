"""Reference data in and out of the admin: IM officers export organisations, sectors,
indicators, places and key figures as CSV or XLSX, edit them and import them back, matched on
codes, never on database ids. Who may reach these pages is pinned in test_permissions.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.models import Organisation
from reporting.admin.resources import IndicatorResource
from reporting.models import Indicator, KeyFigures, Location, Sector
from reporting.reference.seeds import SeedError, load_seeds

from .factories import PeriodFactory

pytestmark = pytest.mark.django_db

FORMAT = {"csv": "0", "xlsx": "1"}
ORGANISATIONS = "/admin/partners/organisation/"
SECTORS = "/admin/reporting/sector/"
INDICATORS = "/admin/reporting/indicator/"
LOCATIONS = "/admin/reporting/location/"
KEY_FIGURES = "/admin/reporting/keyfigures/"


def export(client, changelist: str, fmt: str = "csv", query: str = "") -> bytes:
    response = client.post(f"{changelist}export/{query}", {"format": FORMAT[fmt], "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    return response.content


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


def preview(client, changelist: str, content: bytes | str, fmt: str = "csv"):
    """Upload a file to the import page and return the preview (the dry run)."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    upload = SimpleUploadedFile(f"data.{fmt}", content)
    response = client.post(f"{changelist}import/",
                           {"format": FORMAT[fmt], "resource": "0", "import_file": upload})
    assert response.status_code == 200
    return response


def confirm(client, changelist: str, page):
    """Press "Confirm import" on a preview."""
    form = page.context.get("confirm_form")
    assert form is not None, "the preview should offer to confirm"
    return client.post(f"{changelist}process_import/", form.initial, follow=True)


def import_file(client, changelist: str, content: bytes | str, fmt: str = "csv"):
    return confirm(client, changelist, preview(client, changelist, content, fmt))


def totals(page) -> dict[str, int]:
    return {kind: n for kind, n in page.context["result"].totals.items() if n}


def row_errors(page) -> list[str]:
    result = page.context["result"]
    messages = [str(error) for row in result.invalid_rows
                for errors in row.error_dict.values() for error in errors]
    messages += [str(error.error) for _, errors in result.row_errors() for error in errors]
    messages += [str(error.error) for error in result.base_errors]
    return messages


def snapshot_organisations() -> dict:
    return {
        org.acronym: (org.name, org.short_name, org.type, org.is_partner, org.rmrp_appealing,
                      org.joined_on, org.active, sorted(s.code for s in org.sectors.all()))
        for org in Organisation.objects.prefetch_related("sectors")
    }


# --------------------------------------------------------------------------------------------
# Export: the seed files' columns, codes, no ids
# --------------------------------------------------------------------------------------------

ORGANISATION_COLUMNS = ["acronym", "name", "short_name", "type", "is_partner", "rmrp_appealing",
                        "joined_on", "sectors", "active", "regional_name"]


def test_an_im_officer_exports_organisations_as_csv_with_codes_and_no_ids(client, ivan):
    client.force_login(ivan)
    content = export(client, ORGANISATIONS)
    assert content.startswith("\ufeff".encode())  # so that Excel reads the accents right
    rows = csv_rows(content)
    assert rows[0] == ORGANISATION_COLUMNS
    by_acronym = {row[0]: row for row in rows[1:]}
    assert by_acronym["ACH"] == ["ACH", "Acción Contra el Hambre", "Acción Contra el Hambre",
                                 "ingo", "yes", "yes", "", "FS;INT;NUT;WASH", "yes", ""]
    assert by_acronym["OPS/OMS"][7] == "HEA"
    assert len(by_acronym) == Organisation.objects.count()


def test_an_im_officer_exports_organisations_as_xlsx(client, ivan, org_a):
    org_a.joined_on = dt.date(2019, 3, 1)
    org_a.save()
    client.force_login(ivan)
    rows = xlsx_rows(export(client, ORGANISATIONS, "xlsx"))
    assert list(rows[0]) == ORGANISATION_COLUMNS
    by_acronym = {row[0]: row for row in rows[1:]}
    assert by_acronym["CARITAS"][1] == "Cáritas del Perú"
    assert by_acronym["ACH"][7] == "FS;INT;NUT;WASH"
    assert by_acronym["HIAS"][6].date() == dt.date(2019, 3, 1)


def test_sectors_are_exported_with_parents_and_leads_by_code(client, ivan):
    client.force_login(ivan)
    rows = csv_rows(export(client, SECTORS))
    assert rows[0] == ["code", "parent", "name_es", "name_en", "order", "lead_organisations",
                       "active", "regional_name"]
    assert ["EDU", "", "Educación", "Education", "1", "SCI;UNICEF", "yes", ""] in rows
    assert ["PRO-CP", "PRO", "Protección de la Niñez", "Child Protection", "8", "UNICEF",
            "yes", ""] in rows
    codes = [row[0] for row in rows[1:]]
    # Sectors first, then sub-sectors: the file loads into an empty database too.
    assert codes.index("WASH") < codes.index("PRO-CP")


def test_an_export_follows_the_changelist_filters(client, ivan):
    client.force_login(ivan)
    rows = csv_rows(export(client, LOCATIONS, query="?level=department"))
    assert rows[0] == ["code", "level", "parent", "name", "regional_name"]
    assert ["01", "department", "", "Amazonas", ""] in rows
    assert len(rows) - 1 == Location.objects.departments().count()


def test_exported_text_that_a_spreadsheet_would_run_is_neutralised(client, ivan, org_a):
    org_a.short_name = "=HYPERLINK(\"http://evil.example\",\"HIAS\")"
    org_a.name = "@SUM(1+1)"
    org_a.save()
    client.force_login(ivan)

    row = next(r for r in csv_rows(export(client, ORGANISATIONS)) if r[0] == "HIAS")
    assert row[1] == "'@SUM(1+1)"
    assert row[2] == "'=HYPERLINK(\"http://evil.example\",\"HIAS\")"

    content = export(client, ORGANISATIONS, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = next(r for r in sheet.iter_rows() if r[0].value == "HIAS")
    assert cells[2].value.startswith("'=") and cells[2].data_type == "s"

    # …and imports back as it was.
    before = snapshot_organisations()
    page = preview(client, ORGANISATIONS, content, "xlsx")
    assert totals(page) == {"skip": Organisation.objects.count()}
    confirm(client, ORGANISATIONS, page)
    assert snapshot_organisations() == before


# --------------------------------------------------------------------------------------------
# The round trip: export, import, nothing changes
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reimporting_an_export_of_organisations_changes_nothing(client, ivan, org_a, fmt):
    org_a.joined_on = dt.date(2019, 3, 1)
    org_a.save()
    client.force_login(ivan)
    before = snapshot_organisations()
    logged = LogEntry.objects.count()

    page = preview(client, ORGANISATIONS, export(client, ORGANISATIONS, fmt), fmt)
    assert totals(page) == {"skip": Organisation.objects.count()}
    response = confirm(client, ORGANISATIONS, page)

    assert response.redirect_chain[-1][0] == ORGANISATIONS
    assert snapshot_organisations() == before
    assert LogEntry.objects.count() == logged


@pytest.mark.parametrize(("changelist", "query"), [
    (SECTORS, ""), (INDICATORS, ""), (LOCATIONS, "?level=department"),
])
def test_reimporting_an_export_of_reference_data_changes_nothing(client, ivan, changelist, query):
    client.force_login(ivan)
    content = export(client, changelist, "xlsx", query)
    page = preview(client, changelist, content, "xlsx")
    assert set(totals(page)) <= {"skip"}
    assert page.context["result"].totals["skip"] == len(xlsx_rows(content)) - 1


def test_an_edited_export_updates_what_was_edited(client, ivan):
    client.force_login(ivan)
    rows = csv_rows(export(client, SECTORS))
    for row in rows:
        if row[0] == "HT":
            row[3] = "Humanitarian Transport"
            row[5] = "OIM;WFP"
    out = io.StringIO()
    csv.writer(out).writerows(rows)

    page = preview(client, SECTORS, out.getvalue())
    assert totals(page) == {"update": 1, "skip": Sector.objects.count() - 1}
    confirm(client, SECTORS, page)

    sector = Sector.objects.get(code="HT")
    assert sector.name_en == "Humanitarian Transport"
    assert sorted(org.acronym for org in sector.lead_organisations.all()) == ["OIM", "WFP"]
    assert LogEntry.objects.filter(object_id=str(sector.pk), user=ivan).exists()


# --------------------------------------------------------------------------------------------
# Import: codes, row errors, all or nothing
# --------------------------------------------------------------------------------------------

NEW_INDICATOR = (
    "code,sector,name_es,name_en,unit,type\n"
    "PRO-CP-99,PRO-CP,Niñas y niños atendidos en espacios amigables,"
    "Children attended in child-friendly spaces,people,direct\n"
)


def test_importing_an_indicator_with_a_sector_code_creates_it_in_that_sector(client, ivan):
    client.force_login(ivan)
    page = preview(client, INDICATORS, NEW_INDICATOR)
    assert totals(page) == {"new": 1}
    response = confirm(client, INDICATORS, page)

    indicator = Indicator.objects.get(code="PRO-CP-99")
    assert indicator.sector == Sector.objects.get(code="PRO-CP")
    assert indicator.name_es == "Niñas y niños atendidos en espacios amigables"
    assert (indicator.unit, indicator.type, indicator.active) == ("people", "direct", True)
    assert "Import finished: 1 new" in " ".join(str(m) for m in response.context["messages"])


def test_an_unknown_sector_code_is_a_row_error_and_nothing_is_saved(client, ivan):
    client.force_login(ivan)
    count = Indicator.objects.count()
    content = NEW_INDICATOR + "XYZ-01,XYZ,Algo,Something,people,direct\n"

    page = preview(client, INDICATORS, content)

    assert page.context.get("confirm_form") is None
    assert row_errors(page) == ["Sector “XYZ” does not exist."]
    assert "Sector “XYZ” does not exist." in page.content.decode()
    assert page.context["result"].invalid_rows[0].number == 2
    assert Indicator.objects.count() == count


def test_a_row_invalid_at_confirmation_undoes_the_whole_import(client, ivan, protection):
    client.force_login(ivan)
    fleeting = Sector.objects.create(code="TMP", name_es="Temporal", name_en="Temporary", order=99)
    count = Indicator.objects.count()
    page = preview(client, INDICATORS, NEW_INDICATOR + "TMP-01,TMP,Algo,Something,people,direct\n")
    assert totals(page) == {"new": 2}
    fleeting.delete()  # between the preview and the confirmation

    response = confirm(client, INDICATORS, page)

    assert Indicator.objects.count() == count
    assert response.redirect_chain[-1][0] == f"{INDICATORS}import/"
    assert "Nothing was imported" in " ".join(str(m) for m in response.context["messages"])


def test_confirming_an_import_twice_imports_it_once(client, ivan):
    client.force_login(ivan)
    page = preview(client, INDICATORS, NEW_INDICATOR)
    confirm(client, INDICATORS, page)
    again = confirm(client, INDICATORS, page)
    assert again.redirect_chain[-1][0] == f"{INDICATORS}import/"
    assert "Upload it again" in " ".join(str(m) for m in again.context["messages"])
    assert Indicator.objects.filter(code="PRO-CP-99").count() == 1


def test_the_resource_imports_all_or_nothing(ivan):
    import tablib

    dataset = tablib.Dataset().load(NEW_INDICATOR + "XYZ-01,XYZ,Algo,Something,people,direct\n",
                                    format="csv")
    result = IndicatorResource().import_data(dataset, dry_run=False, user=ivan,
                                             rollback_on_validation_errors=True)
    assert result.has_validation_errors()
    assert not Indicator.objects.filter(code="PRO-CP-99").exists()


def test_the_models_rules_apply_to_imported_rows(client, ivan):
    client.force_login(ivan)
    page = preview(client, INDICATORS,
                   "code,sector,name_es,name_en,unit,type\n"
                   "PRO-98,PRO,Kits de dignidad,Dignity kits,kits,direct\n"
                   "PRO-97,PRO,Algo,Something,litres,other\n"
                   "PRO-96,PRO,,Something,people,maybe\n")
    errors = row_errors(page)
    assert "A Direct Assistance indicator is counted in people." in errors
    assert "Value 'litres' is not a valid choice." in errors
    assert "This field cannot be blank." in errors
    assert "Value 'maybe' is not a valid choice." in errors
    assert page.context.get("confirm_form") is None


def test_a_sub_sector_cannot_be_put_under_a_sub_sector(client, ivan):
    client.force_login(ivan)
    page = preview(client, SECTORS, "code,parent,name_es,name_en,order\n"
                                     "PRO-NEW,PRO-CP,Nuevo,New,20\n")
    assert any("Sub-sectors have one level" in error for error in row_errors(page))


def test_unknown_organisation_or_sector_codes_in_a_list_are_row_errors(client, ivan):
    client.force_login(ivan)
    page = preview(client, SECTORS, "code,parent,name_es,name_en,order,lead_organisations\n"
                                     "HT,,Transporte Humanitario,Humanitarian Transportation,4,"
                                     "OIM;NOPE\n")
    assert row_errors(page) == ["Organisation “NOPE” does not exist."]
    page = preview(client, ORGANISATIONS,
                   "acronym,name,short_name,type,is_partner,rmrp_appealing,joined_on,sectors\n"
                   "NEWORG,Nueva Organización,Nueva,nngo,yes,no,,HEA;ZZZ\n")
    assert row_errors(page) == ["Sector “ZZZ” does not exist."]
    assert not Organisation.objects.filter(acronym="NEWORG").exists()


def test_an_id_column_is_ignored_rows_are_matched_on_the_acronym(client, ivan, org_a, org_b):
    client.force_login(ivan)
    import_file(client, ORGANISATIONS,
                "id,acronym,name,short_name,type,is_partner,rmrp_appealing\n"
                f"{org_b.pk},HIAS,HIAS Perú,HIAS,ingo,yes,yes\n")
    org_a.refresh_from_db()
    org_b.refresh_from_db()
    assert org_a.name == "HIAS Perú"
    assert org_b.name == "Cáritas del Perú"


def test_a_seed_file_imports_as_it_is(client, ivan, settings):
    """The seed files (no `active` column) are valid imports, and change nothing."""
    client.force_login(ivan)
    seeds = settings.BASE_DIR / "seeds"
    for changelist, name in [(ORGANISATIONS, "organisations.csv"), (SECTORS, "sectors.csv"),
                             (INDICATORS, "indicators.csv")]:
        page = preview(client, changelist, (seeds / name).read_bytes())
        assert set(totals(page)) == {"skip"}, (name, row_errors(page))


def test_a_semicolon_separated_csv_from_spanish_excel_imports(client, ivan):
    client.force_login(ivan)
    import_file(client, ORGANISATIONS,
                "\ufeffacronym;name;short_name;type;is_partner;rmrp_appealing;sectors\r\n"
                "NUEVA;Asociación Nueva;Nueva;rmo;sí;no;INT,PRO\r\n;;;;;;\r\n")
    org = Organisation.objects.get(acronym="NUEVA")
    assert (org.name, org.type, org.is_partner, org.rmrp_appealing, org.active) == (
        "Asociación Nueva", "rmo", True, False, True
    )
    assert sorted(s.code for s in org.sectors.all()) == ["INT", "PRO"]


def test_a_windows_1252_csv_imports_with_its_accents(client, ivan):
    client.force_login(ivan)
    import_file(client, ORGANISATIONS,
                "acronym;name;short_name;type;is_partner;rmrp_appealing\r\n"
                "ÑAÑU;Asociación Ñañu;Ñañu;rmo;yes;no\r\n".encode("cp1252"))
    assert Organisation.objects.get(acronym="ÑAÑU").name == "Asociación Ñañu"


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_message(client, ivan):
    client.force_login(ivan)
    page = preview(client, ORGANISATIONS, b"PK\x03\x04 not really a workbook", "xlsx")
    assert page.context["form"].errors["import_file"]
    page = preview(client, ORGANISATIONS, "Name,Short_name\nSin acrónimo,Sin\n")
    assert row_errors(page) == ["The file has no “acronym” column, which rows are matched on."]


def test_the_sector_of_an_indicator_with_lines_cannot_change(client, ivan, line):
    client.force_login(ivan)
    indicator = line.indicator
    page = preview(client, INDICATORS,
                   "code,sector,name_es,name_en,unit,type\n"
                   f"{indicator.code},HEA,{indicator.name_es},Renamed,people,direct\n")
    assert row_errors(page) == [
        "This indicator has lines, so its sector, unit and counting cannot change: deactivate "
        "it and create a new one instead."
    ]


def test_a_place_must_lie_inside_its_parent(client, ivan):
    client.force_login(ivan)
    page = preview(client, LOCATIONS, "code,level,parent,name\n150199,district,14,Nuevo\n")
    assert row_errors(page) == ["The code 150199 does not lie inside its parent 14."]
    page = preview(client, LOCATIONS, "code,level,parent,name\n150199,district,PE1501,Nuevo\n")
    assert totals(page) == {"new": 1}


def test_files_too_large_or_too_long_are_refused(client, ivan, settings):
    client.force_login(ivan)
    settings.IMPORT_MAX_ROWS = 1
    page = preview(client, INDICATORS, NEW_INDICATOR + NEW_INDICATOR.split("\n", 1)[1])
    assert row_errors(page) == ["The file has 2 rows; at most 1 are imported at once."]
    settings.IMPORT_MAX_BYTES = 10
    page = preview(client, INDICATORS, NEW_INDICATOR)
    assert page.context["form"].errors["import_file"] == ["The file is larger than 0 MB."]


# --------------------------------------------------------------------------------------------
# Key figures, matched on the month
# --------------------------------------------------------------------------------------------

KEY_FIGURES_CSV = (
    "period,refugees,refugees_source,refugees_date,funding_required_usd,funding_received_usd,"
    "funding_source,funding_date\n"
    "2023-09,1540000,R4V,2023-08-31,260000000.00,54000000.50,FTS,2023-09-30\n"
)


def test_key_figures_are_imported_by_month(client, ivan, period):
    client.force_login(ivan)
    import_file(client, KEY_FIGURES, KEY_FIGURES_CSV)

    figures = KeyFigures.objects.get(period=period)
    assert figures.refugees == 1540000
    assert figures.refugees_date == dt.date(2023, 8, 31)
    assert figures.funding_required_usd == Decimal("260000000.00")
    assert figures.funding_received_usd == Decimal("54000000.50")
    assert figures.updated_by == ivan


def test_key_figures_of_an_unknown_month_are_a_row_error(client, ivan, period):
    client.force_login(ivan)
    page = preview(client, KEY_FIGURES, KEY_FIGURES_CSV.replace("2023-09,", "2023-10,"))
    assert row_errors(page) == ["Reporting period “2023-10” does not exist."]
    page = preview(client, KEY_FIGURES, KEY_FIGURES_CSV.replace("2023-09,", "sept 2023,"))
    assert row_errors(page) == ["Write the month as YYYY-MM (2023-09), not “sept 2023”."]
    assert not KeyFigures.objects.exists()


def test_key_figures_round_trip_through_xlsx(client, ivan, period):
    KeyFigures.objects.create(period=period, refugees=1540000, refugees_source="R4V",
                              funding_required_usd=Decimal("260000000.00"),
                              funding_received_usd=Decimal("54000000.50"), updated_by=ivan)
    PeriodFactory(month=dt.date(2023, 8, 1))
    client.force_login(ivan)
    content = export(client, KEY_FIGURES, "xlsx")
    rows = xlsx_rows(content)
    assert rows[1][:3] == ("2023-09", 1540000, "R4V")

    page = preview(client, KEY_FIGURES, content, "xlsx")
    assert totals(page) == {"skip": 1}

    # A month that the spreadsheet turned into a date reads as that month.
    book = openpyxl.Workbook()
    book.active.append(list(rows[0]))
    book.active.append([dt.date(2023, 8, 1), 1500000])  # read back as a datetime
    out = io.BytesIO()
    book.save(out)
    import_file(client, KEY_FIGURES, out.getvalue(), "xlsx")
    assert KeyFigures.objects.get(period__month=dt.date(2023, 8, 1)).refugees == 1500000


# --------------------------------------------------------------------------------------------
# One reader of the columns: load_seeds reads what the admin writes, refuses what it refuses
# --------------------------------------------------------------------------------------------

SEED_FILES = [(ORGANISATIONS, "organisations.csv"), (SECTORS, "sectors.csv"),
              (INDICATORS, "indicators.csv"), (LOCATIONS, "locations.csv")]


def seed_copy(directory, settings) -> None:
    for _changelist, name in SEED_FILES:
        (directory / name).write_bytes((settings.BASE_DIR / "seeds" / name).read_bytes())


def with_cell(text: str, key: str, column: str, value: str) -> str:
    """Return the CSV `text` with the cell of `column` in the row of `key` set to `value`."""
    rows = list(csv.reader(io.StringIO(text)))
    index = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == key:
            row[index] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_the_files_an_im_officer_exports_load_with_load_seeds_unchanged(client, ivan, tmp_path):
    client.force_login(ivan)
    for changelist, name in SEED_FILES:
        (tmp_path / name).write_bytes(export(client, changelist))

    report = load_seeds(tmp_path)

    assert (report.changed, report.differing) == (0, 0), report.lines()


def test_an_exported_file_edited_in_the_admin_loads_its_edits(client, ivan, org_a, tmp_path):
    org_a.name = "=HIAS Perú"  # neutralised on export, read back as written
    org_a.is_partner = False
    org_a.save()
    client.force_login(ivan)
    for changelist, name in SEED_FILES:
        (tmp_path / name).write_bytes(export(client, changelist))
    Organisation.objects.filter(pk=org_a.pk).update(name="HIAS", is_partner=True)

    report = load_seeds(tmp_path, update=True)

    org_a.refresh_from_db()
    assert (org_a.name, org_a.is_partner) == ("=HIAS Perú", False)
    assert report.counts["organisations"]["updated"] == 1


@pytest.mark.parametrize(("column", "typo", "message"), [
    ("is_partner", "yse", "Write yes or no."),
    ("rmrp_appealing", "", "Write yes or no."),
    ("joined_on", "15/09/2023", "Write the date as YYYY-MM-DD (2023-09-30), not “15/09/2023”."),
])
def test_a_typo_is_an_error_for_load_seeds_and_for_the_admin_alike(
        client, ivan, tmp_path, settings, column, typo, message):
    seed_copy(tmp_path, settings)
    path = tmp_path / "organisations.csv"
    text = with_cell(path.read_text(encoding="utf-8"), "HIAS", column, typo)
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SeedError) as refused:
        load_seeds(tmp_path)
    client.force_login(ivan)
    page = preview(client, ORGANISATIONS, text)

    assert re.fullmatch(rf"organisations\.csv row \d+: {column}: {re.escape(message)}",
                        str(refused.value))
    assert row_errors(page) == [message]
    assert page.context.get("confirm_form") is None


def test_a_seed_file_saved_by_excel_in_spanish_loads(tmp_path, settings):
    """Excel in Spanish saves CSV with `;` between cells, in Windows-1252: load_seeds reads it
    as the admin's import does."""
    seed_copy(tmp_path, settings)
    path = tmp_path / "organisations.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("cp1252"))

    report = load_seeds(tmp_path)

    assert (report.changed, report.differing) == (0, 0), report.lines()


def test_a_seed_file_without_a_column_is_refused_by_name(tmp_path, settings):
    seed_copy(tmp_path, settings)
    path = tmp_path / "indicators.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",type", ",kind", 1),
                    encoding="utf-8")

    with pytest.raises(SeedError, match=r"indicators\.csv: no column type"):
        load_seeds(tmp_path)
