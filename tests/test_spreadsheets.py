"""The file layer of uploads: bytes in, rows of raw values out, or the file refused plainly."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import random
import zipfile

import pytest
from django.utils import translation
from openpyxl import Workbook

from reporting import texts
from reporting.demo.hostile import padded_cells_workbook, padded_rows_workbook
from reporting.sheets import archive, reading
from reporting.sheets.columns import COLUMNS, HEADERS, HXL_TAGS
from reporting.sheets.reading import FileRejected, SheetRow, column_letter, read_table

MB = 1024 * 1024
ROW = (
    "2023-09", "HIAS", None, "PRO", "PRO-01", "15", "1501", None, "destination", "service",
    1, 2, 3, 4, 0, 0, 0, 10, 12, None, None, "yes", None, None, "Talleres",
)
FIELDS = [column.field for column in COLUMNS]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def xlsx(*rows, title="Activities", before=(), after=(), merge=()) -> bytes:
    """Return a workbook whose data sheet holds `rows`; `before` and `after` are (title,
    state) of other sheets, as the template's "Instructions" and hidden "Lists"."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, state in before:
        workbook.create_sheet(name).sheet_state = state
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append(list(row))
    for cells in merge:
        sheet.merge_cells(cells)
    for name, state in after:
        other = workbook.create_sheet(name)
        other["A1"] = "Lists"
        other.sheet_state = state
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite(data: bytes, member: str, old: bytes, new: bytes) -> bytes:
    """Return the zip `data` with one member's text edited, as another program would write it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                assert old in content
                content = content.replace(old, new)
            target.writestr(info.filename, content)
    return buffer.getvalue()


def csv_text(*rows, delimiter=",") -> str:
    return "\r\n".join(delimiter.join("" if value is None else str(value) for value in row)
                       for row in rows) + "\r\n"


def refusal(data: bytes, filename: str = "activities.xlsx") -> str:
    with pytest.raises(FileRejected) as caught:
        read_table(data, filename)
    return caught.value.message


# Reading XLSX ----------------------------------------------------------------------------------


def test_it_reads_a_workbook_with_the_hxl_row():
    table = read_table(xlsx(HEADERS, HXL_TAGS, ROW, ROW), "activities.xlsx")

    assert table.kind == "xlsx"
    assert table.sheet == "Activities"
    assert table.headers == list(HEADERS)
    assert table.columns == {field: index for index, field in enumerate(FIELDS)}
    assert table.has_hxl
    assert [row.number for row in table.rows] == [3, 4]
    assert table.rows[0] == SheetRow(number=3, values=dict(zip(FIELDS, ROW, strict=True)))


def test_it_reads_a_workbook_without_the_hxl_row():
    table = read_table(xlsx(HEADERS, ROW), "activities.xlsx")

    assert not table.has_hxl
    assert [row.number for row in table.rows] == [2]


def test_it_keeps_raw_types_and_strips_text():
    row = list(ROW)
    row[0] = dt.date(2023, 9, 1)  # a date where a month belongs: the row check's to judge
    row[10] = 12.5
    row[11] = "  7 "
    row[12] = "   "
    row[13] = True
    row[20] = 150.75
    table = read_table(xlsx(HEADERS, row), "activities.xlsx")

    values = table.rows[0].values
    assert isinstance(values["month"], dt.datetime)  # as Excel stores it: a naive datetime
    assert values["month"].date() == dt.date(2023, 9, 1)
    assert values["girls"] == 12.5
    assert values["boys"] == "7"
    assert values["women"] is None
    assert values["men"] is True
    assert values["cash_usd"] == 150.75
    assert values["other_under_18"] == 0


def test_it_skips_blank_rows_and_keeps_the_numbers_the_user_sees():
    blank = [None] * len(HEADERS)
    spaces = ["  "] * 3
    table = read_table(xlsx(HEADERS, HXL_TAGS, ROW, blank, spaces, ROW, blank, blank),
                       "activities.xlsx")

    assert [row.number for row in table.rows] == [3, 6]


def test_a_number_written_with_a_decimal_point_stays_a_float():
    # XLSX stores every number as text in the sheet XML; Excel writes 12.0 as "12", which is
    # read as the int 12, but a "12.0" that another program wrote stays a float.
    data = rewrite(xlsx(HEADERS, ROW), "xl/worksheets/sheet1.xml",
                   b'<c r="K2" t="n"><v>1</v></c>', b'<c r="K2" t="n"><v>12.0</v></c>')

    value = read_table(data, "activities.xlsx").rows[0].values["girls"]
    assert value == 12.0 and isinstance(value, float)


def test_a_second_row_that_is_not_all_hashtags_is_data():
    row = ["#1", *ROW[1:]]
    table = read_table(xlsx(HEADERS, row), "activities.xlsx")

    assert not table.has_hxl
    assert table.rows[0].number == 2
    assert table.rows[0].values["month"] == "#1"


def test_an_hxl_row_need_not_tag_every_column():
    table = read_table(xlsx(HEADERS, ["#date+reported", None, " #org+impl"], ROW),
                       "activities.xlsx")

    assert table.has_hxl
    assert [row.number for row in table.rows] == [3]


def test_formulas_are_read_as_their_cached_values_never_evaluated():
    row = list(ROW)
    row[10] = "=1+1"  # openpyxl writes the formula with no cached value, as Excel never does
    row[11] = "=2+2"
    data = rewrite(xlsx(HEADERS, row), "xl/worksheets/sheet1.xml",
                   b'<c r="K2"><f>1+1</f><v /></c>', b'<c r="K2"><f>1+1</f><v>5</v></c>')

    values = read_table(data, "activities.xlsx").rows[0].values
    assert values["girls"] == 5  # the cached value, even though 1+1 is 2
    assert values["boys"] is None  # no cached value: nothing is computed


def test_it_reads_the_activities_sheet_whatever_its_place():
    data = xlsx(HEADERS, ROW, before=[("Instructions", "visible")], after=[("Lists", "hidden")])

    assert read_table(data, "activities.xlsx").sheet == "Activities"


def test_it_reads_a_spanish_named_data_sheet():
    data = xlsx(HEADERS, ROW, title="Actividades", before=[("Hoja1", "visible")])

    assert read_table(data, "actividades.xlsx").sheet == "Actividades"


def test_otherwise_it_reads_the_first_visible_sheet():
    data = xlsx(HEADERS, ROW, title="Hoja1", before=[("Lists", "hidden")])

    assert read_table(data, "activities.xlsx").sheet == "Hoja1"


def test_it_reads_all_columns_when_the_sheet_misstates_its_size():
    data = rewrite(xlsx(HEADERS, ROW), "xl/worksheets/sheet1.xml",
                   b'<dimension ref="A1:Y2" />', b'<dimension ref="A1" />')

    table = read_table(data, "activities.xlsx")
    assert table.rows[0].values["description"] == "Talleres"


def test_the_file_name_does_not_decide_the_type():
    assert read_table(xlsx(HEADERS, ROW), "activities.csv").kind == "xlsx"
    assert read_table(csv_text(HEADERS, ROW).encode(), "activities").kind == "csv"


# Reading CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_it_reads_csv_in_the_encodings_and_delimiters_excel_saves(encoding, delimiter):
    row = list(ROW)
    row[1] = "Cáritas del Perú"
    row[5] = "Áncash"
    row[FIELDS.index("description")] = "Niños y niñas"
    data = csv_text(HEADERS, HXL_TAGS, row, delimiter=delimiter).encode(encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(codecs.BOM_UTF8)

    table = read_table(data, "actividades.csv")

    assert table.kind == "csv" and table.sheet is None
    assert table.headers == list(HEADERS)
    assert table.has_hxl
    values = table.rows[0].values
    assert table.rows[0].number == 3
    assert values["organisation"] == "Cáritas del Perú"
    assert values["department"] == "Áncash"
    assert values["description"] == "Niños y niñas"
    assert values["girls"] == "1"  # text, as written
    assert values["implementing_partner"] is None


def test_it_reads_quoted_fields_with_delimiters_and_line_breaks():
    text = (
        ";".join(HEADERS) + "\r\n"
        + ";".join(f'"{value}"' if value else "" for value in ROW[:-1])
        + ';"Talleres; charlas, y\r\nferias ""móviles"""\r\n'
        + ";".join(str(value or "") for value in ROW) + "\r\n"
    )

    table = read_table(text.encode(), "activities.csv")

    assert table.rows[0].values["description"] == 'Talleres; charlas, y\r\nferias "móviles"'
    assert table.rows[0].values["month"] == "2023-09"
    # a spreadsheet shows the quoted line break inside one cell: the next record is row 3
    assert [row.number for row in table.rows] == [2, 3]


def test_the_delimiter_is_decided_outside_quotes():
    headers = [f'"{header}"' for header in HEADERS]
    headers[-1] = '"Description, free, text, with, commas"'
    text = csv_text(headers, ROW, delimiter=";")

    message = refusal(text.encode(), "activities.csv")

    # read with ";": only the renamed last column is wrong
    assert message.startswith(str(texts.COLUMNS_MISSING % {"columns": "“Description”"}))


def test_it_reads_excel_sep_hint_and_unix_line_ends():
    text = "sep=;\n" + csv_text(HEADERS, ROW, delimiter=";").replace("\r\n", "\n")

    table = read_table(text.encode(), "activities.csv")

    assert [row.number for row in table.rows] == [2]
    assert table.rows[0].values["sector"] == "PRO"


def test_it_reads_excel_unicode_text():
    data = csv_text(HEADERS, ROW, delimiter="\t").encode("utf-16")

    table = read_table(data, "activities.txt")

    assert table.rows[0].values["indicator"] == "PRO-01"


def test_short_records_read_as_empty_cells():
    table = read_table(csv_text(HEADERS, ROW[:5]).encode(), "activities.csv")

    assert table.rows[0].values["description"] is None
    assert table.rows[0].values["indicator"] == "PRO-01"


# Headers ---------------------------------------------------------------------------------------


def test_headers_match_ignoring_case_spaces_and_accents():
    headers = [f"  {header.upper()} " for header in HEADERS]
    headers[8] = "Populátion   type"

    table = read_table(xlsx(headers, ROW), "activities.xlsx")

    assert table.columns["population_type"] == 8
    assert table.headers[0] == "  MONTH "


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out():
    order = [index for index, column in enumerate(COLUMNS) if column.field != "district"][::-1]

    table = read_table(xlsx([HEADERS[i] for i in order], [ROW[i] for i in order]), "a.xlsx")

    assert "district" not in table.columns
    assert "district" not in table.rows[0].values
    assert table.columns["month"] == len(order) - 1
    assert table.rows[0].values["month"] == "2023-09"


def test_every_missing_column_is_named():
    keep = [index for index, header in enumerate(HEADERS) if header not in ("Month", "Men")]

    message = refusal(xlsx([HEADERS[i] for i in keep], [ROW[i] for i in keep]))

    assert message == "Columns missing from the file: “Month” and “Men”."


def test_a_renamed_column_is_refused_with_a_suggestion():
    headers = list(HEADERS)
    headers[5] = "Departamnto"
    headers[11] = "Boyz"

    message = refusal(xlsx(headers, ROW))

    assert message == (
        "Columns missing from the file: “Department” and “Boys”. "
        "Column F, “Departamnto”, is not one of the template's; did you mean “Department”? "
        "Column L, “Boyz”, is not one of the template's; did you mean “Boys”?"
    )


def test_spanish_headers_are_read_as_the_english_ones():
    # A Spanish template's headers (columns.SPANISH), mixed with English ones.
    headers = list(HEADERS)
    headers[9] = "Modalidad"
    headers[5] = "DEPARTAMENTO"
    headers[11] = "Ninos"

    table = reading.read_table(xlsx(headers, ROW), "a.xlsx")

    assert table.columns["modality"] == 9
    assert table.columns["department"] == 5
    assert table.columns["boys"] == 11


def test_other_spanish_labels_are_refused_pointing_to_the_english_ones():
    headers = list(HEADERS)
    headers[9] = "Modalidades"

    message = refusal(xlsx(headers, ROW))

    assert "Column J, “Modalidades”, is not one of the template's; did you mean “Modality”?" in message


def test_an_extra_column_is_refused():
    message = refusal(xlsx([*HEADERS, "Notes"], [*ROW, "checked"]))

    assert message == str(texts.COLUMN_UNKNOWN % {"letter": "Z", "header": "Notes"})
    assert message == "Column Z, “Notes”, is not one of the template's."


def test_a_repeated_column_is_refused():
    message = refusal(xlsx([*HEADERS, "girls"], [*ROW, 3]))

    assert message == "The column “Girls” appears more than once: columns K and Z."


def test_empty_header_cells_are_allowed_over_empty_columns():
    headers = [*HEADERS[:3], None, *HEADERS[3:], None, "  "]
    row = [*ROW[:3], None, *ROW[3:], None, "   "]

    table = read_table(xlsx(headers, row), "activities.xlsx")

    assert table.columns["sector"] == 4
    assert table.headers[-1] == "Description"


@pytest.mark.parametrize("position", [3, len(HEADERS)])
def test_values_in_a_column_without_header_are_refused(position):
    headers = [*HEADERS[:position], None, *HEADERS[position:]]
    second = [*ROW[:position], "lost", *ROW[position:]]
    first = [*ROW[:position], None, *ROW[position:]]

    message = refusal(xlsx(headers, first, second))

    letter = column_letter(position)
    assert message == str(texts.COLUMN_WITHOUT_HEADER % {"letter": letter, "row": 3})
    assert message.startswith(f"Column {letter} has a value in row 3 but no header")


def test_values_beyond_the_last_csv_header_are_refused():
    message = refusal(csv_text(HEADERS, [*ROW, "", "stray"]).encode(), "a.csv")

    assert message == str(texts.COLUMN_WITHOUT_HEADER % {"letter": "AA", "row": 2})


def test_a_title_above_the_headers_is_refused():
    message = refusal(xlsx(["Informe de actividades, septiembre"], HEADERS, ROW))

    assert message == (
        "The first row must hold the template's column headers (Month, Organisation, "
        "Implementing partner, …); none of them was found."
    )


def test_an_empty_first_row_is_refused():
    message = refusal(xlsx([None], HEADERS, ROW))

    assert message == str(texts.HEADER_ROW_EMPTY)
    assert refusal(b"\r\n" + csv_text(HEADERS, ROW).encode(), "a.csv") == message


# Empty files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "filename"), [
    (b"", "activities.xlsx"),
    (b"", "activities.csv"),
    (b" \r\n\r\n", "activities.csv"),
    (b";;;\r\n;;\r\n", "activities.csv"),
    (codecs.BOM_UTF8, "activities.csv"),
    (xlsx(), "activities.xlsx"),
    (xlsx([None, None], [None]), "activities.xlsx"),
])
def test_an_empty_file_is_refused(data, filename):
    assert refusal(data, filename) == "The file is empty."


@pytest.mark.parametrize("data", [
    xlsx(HEADERS),
    xlsx(HEADERS, HXL_TAGS, [None] * 5, [""]),
    csv_text(HEADERS, HXL_TAGS, [""] * 20).encode(),
])
def test_headers_without_rows_are_refused(data):
    assert refusal(data, "activities.csv") == "The file has headers but no activity rows."


# Size and row caps -----------------------------------------------------------------------------


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(settings, monkeypatch):
    settings.IMPORT_MAX_BYTES = 10 * MB
    monkeypatch.setattr(archive.zipfile, "ZipFile", None)  # any parsing would fail
    data = b"PK\x03\x04" + b"\0" * int(12.3 * MB)

    assert refusal(data) == "The file is 12.3 MB; the limit is 10 MB."
    assert refusal(b"x" * (10 * MB + 1), "a.csv") == "The file is 10.1 MB; the limit is 10 MB."


def test_a_file_at_the_size_cap_is_read(settings):
    data = csv_text(HEADERS, ROW).encode()
    settings.IMPORT_MAX_BYTES = len(data)

    assert len(read_table(data, "activities.csv").rows) == 1


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_rows_over_the_cap_are_refused_and_blank_rows_do_not_count(settings, kind):
    settings.IMPORT_MAX_ROWS = 3
    blank = [None] * len(HEADERS)

    def file(*rows):
        return xlsx(*rows) if kind == "xlsx" else csv_text(*rows).encode()

    table = read_table(file(HEADERS, HXL_TAGS, ROW, blank, ROW, ROW, blank, blank), f"a.{kind}")
    assert [row.number for row in table.rows] == [3, 5, 6]

    message = refusal(file(HEADERS, ROW, ROW, blank, ROW, ROW), f"a.{kind}")
    assert message == "The file has more than 3 activity rows: split it into smaller files."


def test_reading_stops_as_soon_as_the_row_cap_is_exceeded(settings):
    settings.IMPORT_MAX_ROWS = 2
    unreadable = '"' + "x" * 200_000  # a field beyond the csv module's limit, if it were read
    data = (csv_text(HEADERS, ROW, ROW, ROW) + unreadable).encode()

    assert refusal(data, "a.csv") == str(texts.TOO_MANY_ROWS % {"limit": "2"})
    settings.IMPORT_MAX_ROWS = 3
    assert refusal(data, "a.csv") == str(texts.CSV_UNREADABLE % {"line": "5"})


def test_reading_stops_after_a_long_run_of_blank_rows(monkeypatch):
    monkeypatch.setattr(reading, "MAX_BLANK_RUN", 3)
    blank = [None] * len(HEADERS)

    table = read_table(xlsx(HEADERS, ROW, blank, blank, ROW, blank, blank, blank, ROW), "a.xlsx")

    assert [row.number for row in table.rows] == [2, 5]


# Files that are not what they say --------------------------------------------------------------

NOT_A_SPREADSHEET = "The file is not a spreadsheet we can read: upload .xlsx or .csv."


def zip_of(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "filename"), [
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "activities.pdf"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "activities.csv"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "activities.csv"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo.jpg"),
    (random.Random(4).randbytes(4096), "activities.csv"),
    (random.Random(4).randbytes(4096), "activities.xlsx"),
    (csv_text(HEADERS, ROW).encode(), "activities.xls"),
    (zip_of(**{"word/document.xml": b"<w:document/>"}), "activities.docx"),
    (b"PK\x05\x06" + b"\0" * 18, "activities.xlsx"),
])
def test_files_that_are_not_spreadsheets_are_refused(data, filename):
    assert refusal(data, filename) == NOT_A_SPREADSHEET


def cfb(*streams: str) -> bytes:
    """Return bytes shaped like a Compound File Binary container with these directory names."""
    names = b"".join(name.encode("utf-16-le").ljust(64, b"\0") for name in streams)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + names + b"\0" * 1024


def test_a_password_protected_workbook_is_refused():
    data = cfb("Root Entry", "EncryptionInfo", "EncryptedPackage")

    assert refusal(data) == (
        "The workbook is protected with a password: remove the password and upload again."
    )


def test_an_old_xls_workbook_is_refused():
    assert refusal(cfb("Root Entry", "Workbook"), "activities.xls") == (
        "The file is an old .xls workbook: save it as .xlsx or CSV and upload again."
    )
    assert refusal(cfb("Root Entry", "Book"), "activities.xls") == str(texts.FILE_OLD_XLS)


def test_another_office_file_is_not_a_spreadsheet():
    assert refusal(cfb("Root Entry", "WordDocument"), "activities.doc") == NOT_A_SPREADSHEET


def test_other_spreadsheet_formats_are_named():
    ods = zip_of(**{"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                    "content.xml": b"<office:document-content/>"})
    xlsb = zip_of(**{"xl/workbook.bin": b"\0", "[Content_Types].xml": b"<Types/>"})

    assert refusal(ods, "activities.ods") == str(texts.FILE_ODS)
    assert refusal(xlsb, "activities.xlsb") == str(texts.FILE_XLSB)


@pytest.mark.parametrize("data", [
    b"PK\x03\x04" + b"\x14\x00" * 40,
    xlsx(HEADERS, ROW)[:3000],
    zip_of(**{"xl/workbook.xml": b"<not a workbook"}),
    rewrite(xlsx(HEADERS, ROW), "xl/worksheets/sheet1.xml", b"<sheetData>", b"<sheetData><row"),
])
def test_a_damaged_workbook_is_refused(data):
    assert refusal(data) == (
        "The workbook is damaged and cannot be read: open it in Excel or LibreOffice, "
        "save it again as .xlsx and upload again."
    )


def test_a_csv_in_another_encoding_is_refused():
    data = csv_text(HEADERS, ROW).encode() + "Organización\x81".encode("latin-1")

    assert refusal(data, "activities.csv") == (
        "The CSV file is neither UTF-8 nor Windows-1252 text: save it from Excel as "
        "“CSV UTF-8” and upload again."
    )


def test_an_unreadable_csv_line_is_named():
    data = (csv_text(HEADERS, ROW) + '2023-09,"' + "x" * 200_000).encode()

    assert refusal(data, "activities.csv") == (
        "Line 3 of the CSV file cannot be read: check its quotes, or save the file again from Excel."
    )


# Merged cells ----------------------------------------------------------------------------------


def test_merged_cells_are_refused_naming_them():
    data = xlsx(HEADERS, ROW, ROW, ROW, ROW, merge=["A5:C5"])

    assert refusal(data) == "Merged cells (A5:C5) cannot be read row by row: unmerge them."


def test_many_merged_ranges_are_summed_up():
    data = xlsx(HEADERS, ROW, merge=[f"A{row}:B{row}" for row in range(3, 10)])

    assert refusal(data) == (
        "Merged cells (A3:B3, A4:B4, A5:B5, A6:B6, A7:B7, 2 more) cannot be read row by row: "
        "unmerge them."
    )


def test_merged_cells_in_another_sheet_do_not_matter():
    workbook = Workbook()
    workbook.active.title = "Instructions"
    workbook.active.merge_cells("A1:F1")
    sheet = workbook.create_sheet("Activities")
    sheet.append(HEADERS)
    sheet.append(ROW)
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert len(read_table(buffer.getvalue(), "activities.xlsx").rows) == 1


# Zip bombs -------------------------------------------------------------------------------------


def bomb(size: int, parts: int = 1) -> bytes:
    """Return a zip holding `size` bytes of zeros as a worksheet, written in chunks so that
    building it costs little memory; about 1,000 times smaller than what it unpacks to."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for part in range(1, parts + 1):
            with archive.open(f"xl/worksheets/sheet{part}.xml", "w") as member:
                chunk = b"0" * MB
                for _ in range(size // MB):
                    member.write(chunk)
    return buffer.getvalue()


@pytest.fixture
def never_opened(monkeypatch):
    def load_workbook(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(reading, "load_workbook", load_workbook)


def test_a_zip_bomb_is_refused_without_being_inflated(never_opened):
    data = bomb(200 * MB)
    assert len(data) < MB

    assert refusal(data) == (
        "The workbook unpacks to 200 MB, over the limit of 100 MB: remove other sheets, "
        "pictures or formatting, or upload a CSV."
    )


def test_a_part_compressed_like_a_bomb_is_refused(never_opened):
    assert refusal(bomb(20 * MB)) == (
        "The workbook's part xl/worksheets/sheet1.xml is compressed more than 100 times, as no "
        "real spreadsheet is: it cannot be read safely."
    )


def test_a_workbook_of_too_many_parts_is_refused(never_opened):
    members = {f"xl/media/image{number}.png": b"" for number in range(1000)}
    data = zip_of(**{"xl/workbook.xml": b"<workbook/>"}, **members)

    assert refusal(data) == (
        "The workbook is made of 1,001 parts, more than the 1,000 any activity sheet needs: "
        "it cannot be read safely."
    )


def test_a_workbook_of_real_activities_passes_the_zip_checks():
    rows = [ROW[:-1] + (f"Actividad {number}",) for number in range(2000)]

    table = read_table(xlsx(HEADERS, HXL_TAGS, *rows), "activities.xlsx")

    assert len(table.rows) == 2000
    assert table.rows[-1].number == 2002
    assert table.rows[-1].values["description"] == "Actividad 1999"


# Workbooks far larger than an activity file -------------------------------------------------
# A few MB zipped can unpack to millions of formatted empty cells or rows, which openpyxl turns
# into millions of objects (issue 11: 60 s of CPU and 1.4 GB per look at the marked copy).
# They are counted in the XML and refused before any parser sees them.


def test_millions_of_formatted_empty_cells_in_another_sheet_are_refused_unparsed(never_opened):
    data = padded_cells_workbook(rows=2000, columns=2000)
    assert len(data) < 10 * MB
    # The first sheet's few cells, and elements such as <col> that are counted as cells too.
    total = archive.measure_xlsx(zipfile.ZipFile(io.BytesIO(data))).cells
    assert 4_000_000 < total < 4_000_100

    assert refusal(data) == (
        "The workbook is far larger than an activity file can be: “Other” holds about "
        f"4,000,000 cells ({total:,} in the whole workbook), where 20,000 rows of the template's "
        "25 columns are 500,000. Formatted empty cells count too: delete the sheets, rows and "
        "columns you do not use, or copy the activities into a new template, and upload it "
        "again."
    )


def test_a_million_formatted_empty_rows_under_a_small_dimension_are_refused_unparsed(never_opened):
    data = padded_rows_workbook(rows=1_000_000)
    assert len(data) < 10 * MB

    assert refusal(data) == (
        "The workbook is far larger than an activity file can be: “Activities” has about "
        "1,000,002 rows (1,000,003 in the whole workbook), where an upload takes at most 20,000. "
        "Formatted empty rows count too: delete the rows below your activities, or copy the "
        "activities into a new template, and upload it again."
    )


def test_the_limits_follow_the_row_cap(settings):
    settings.IMPORT_MAX_ROWS = 20_000
    assert archive.extent_limits() == archive.ExtentLimits(
        cells=2 * 20_002 * len(COLUMNS) + 100_000, rows=2 * 20_002 + 10_000,
        elements=4 * (2 * 20_002 * len(COLUMNS) + 100_000) + 2 * 20_002 + 10_000)
    settings.IMPORT_MAX_ROWS = 100_000
    assert archive.extent_limits().rows == 2 * 100_002 + 10_000


def test_a_sheet_just_past_the_limit_is_refused_and_one_within_it_is_read(settings):
    settings.IMPORT_MAX_ROWS = 10
    limit = archive.extent_limits().rows  # 10,024
    with pytest.raises(FileRejected):
        read_table(padded_rows_workbook(rows=limit), "activities.xlsx")

    table = read_table(padded_rows_workbook(rows=limit - 10), "activities.xlsx")
    assert len(table.rows) == 1


def test_cells_are_counted_in_every_part_whatever_its_path_or_namespace_prefix():
    sheet = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<x:sheetData><x:row r="1"><x:c r="A1" s="1"/><x:c r="B1"><x:v>2</x:v></x:c>'
             b'</x:row><row r="2"><c r="A2"/><c\nr="B2"/></row></x:sheetData></x:worksheet>')
    data = zip_of(**{"xl/workbook.xml": b"<workbook/>", "xl/elsewhere/data.bin": sheet,
                     "xl/sharedStrings.xml": b"<sst><si><t>a</t></si><si><t>b</t></si></sst>"})

    extent = archive.measure_xlsx(zipfile.ZipFile(io.BytesIO(data)))

    assert (extent.cells, extent.rows, extent.strings) == (4, 2, 2)
    assert extent.largest == "xl/elsewhere/data.bin"


def test_cells_split_across_the_reading_chunks_are_counted_once():
    cell = b'<c r="A1" s="1"/>'
    filler = b"<v>" + b"9" * 1000 + b"</v>"
    body = (cell + filler) * 3000  # about 3 MB: three chunks of a megabyte
    data = zip_of(**{"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": body})

    extent = archive.measure_xlsx(zipfile.ZipFile(io.BytesIO(data)))

    assert extent.cells == 3000
    assert extent.elements == 1 + 6000  # <workbook/>, then each <c/> and <v>


def test_the_template_with_its_lists_is_well_within_the_extent_allowed(db):
    import datetime as dt

    from partners.models import Organisation
    from reporting.sheets import template_workbook

    data = template_workbook.build_template(organisation=Organisation.objects.get(acronym="HIAS"),
                                    month=dt.date(2023, 9, 1))
    extent = archive.measure_xlsx(zipfile.ZipFile(io.BytesIO(data)))

    assert extent.cells < archive.EXTRA_CELLS / 5
    assert extent.rows < archive.EXTRA_ROWS / 2


def test_a_stylesheet_of_a_million_formats_is_refused(never_opened):
    styles = b"<styleSheet><cellXfs>" + b'<xf numFmtId="0"/>' * 1_000_000 + b"</cellXfs></styleSheet>"
    data = zip_of(**{"xl/workbook.xml": b"<workbook/>", "xl/styles.xml": styles})

    with pytest.raises(FileRejected):
        read_table(data, "activities.xlsx")


def test_xml_entities_in_a_workbook_are_refused_not_expanded():
    laughs = (b'<!DOCTYPE worksheet [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><worksheet ')
    data = rewrite(xlsx(HEADERS, ROW), "xl/worksheets/sheet1.xml", b"<worksheet ", laughs)
    data = rewrite(data, "xl/worksheets/sheet1.xml", b't="n"><v>10</v>',
                   b't="inlineStr"><is><t>&lol2;</t></is>')

    assert refusal(data) == texts.FILE_DAMAGED


def test_column_letters():
    assert [column_letter(index) for index in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


def test_small_size_caps_are_given_in_kilobytes(settings):
    settings.IMPORT_MAX_BYTES = 100 * 1024

    assert refusal(b"x" * (150 * 1024), "a.csv") == "The file is 150 KB; the limit is 100 KB."


def test_a_spanish_files_columns_are_named_in_spanish():
    headers = list(HEADERS)
    headers[9] = "Modalidad"

    table = reading.read_table(xlsx(headers, ROW), "a.xlsx")

    assert table.field_headers == {"modality": "Modalidad"}
    assert reading.read_table(xlsx(list(HEADERS), ROW), "a.xlsx").field_headers is None
