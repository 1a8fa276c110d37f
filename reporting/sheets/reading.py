"""The file layer of activity uploads: uploaded bytes in, rows of raw values out.

`read_table` recognises the file by its content (XLSX or CSV), refuses what it cannot read
cheaply and with a plain message (`FileRejected`), matches the header row to the column contract
of `columns.COLUMNS` and returns every non-blank data row with the row number the user sees.
Values stay raw — a date stays a datetime, 12.0 stays a float — because judging them is the row
validation's job (`reporting.sheets.planner`).

A workbook's archive is checked and measured before any parser sees it (archive.py), so that a
zip bomb or a sheet of millions of formatted empty cells is refused cheaply.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from reporting import texts
from reporting.regional.columns import SHEET_NAME as R4V_SHEET_NAME

from . import r4v_template
from .archive import (
    Extent,
    FileRejected,
    integer_text,
    measure_xlsx,
    megabytes_text,
    open_zip,
    refuse_extent,
    refuse_merged_cells,
)
from .columns import BY_FIELD, COLUMNS, REQUIRED_COLUMNS, SPANISH, fold

# Sheets formatted far below their data yield rows of nothing; stop looking after this many.
MAX_BLANK_RUN = 1000

DATA_SHEET_NAMES = ("activities", "actividades", R4V_SHEET_NAME.casefold())
TEXT_EXTENSIONS = ("", ".csv", ".txt")
DELIMITERS = (",", ";", "\t")

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Directory entry names inside a CFB container are UTF-16LE.
ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
BINARY_MAGICS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"BM", b"II*\x00", b"MM\x00*")
# Text has few control characters (tabs and line ends aside); binary files have many.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Other Spanish labels partners may use instead of the template's headers: not accepted,
# only used to suggest the right header (columns.SPANISH holds the accepted ones).
SPANISH_HEADERS = {
    "Mes": "Month",
    "Organización": "Organisation",
    "Organización reportante": "Organisation",
    "Socio implementador": "Implementing partner",
    "Organización implementadora": "Implementing partner",
    "Indicador": "Indicator",
    "Departamento": "Department",
    "Provincia": "Province",
    "Distrito": "District",
    "Tipo de población": "Population type",
    "Modalidad": "Modality",
    "Niñas": "Girls",
    "Niños": "Boys",
    "Mujeres": "Women",
    "Hombres": "Men",
    "Otros": "Other",
    "Otros menores de 18": "Other under 18",
    "Otros 18+": "Other 18+",
    "Nuevos beneficiarios": "New beneficiaries",
    "Beneficiarios nuevos": "New beneficiaries",
    "Total de beneficiarios mensuales": "Total monthly beneficiaries",
    "Beneficiarios mensuales": "Total monthly beneficiaries",
    "Cantidad": "Quantity",
    "Efectivo USD": "Cash USD",
    "Monto USD": "Cash USD",
    "Descripción": "Description",
}


@dataclass(frozen=True)
class SheetRow:
    number: int  # as the user sees it: the header is row 1, an HXL row row 2
    values: dict[str, object]  # Column.field -> raw value; strings stripped, "" -> None
    # What reading the row found wrong before its values are checked, as (field, message):
    # a row of R4V's template spread over several population types.
    problems: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table:
    kind: str  # "xlsx" or "csv"
    sheet: str | None  # the worksheet read, for xlsx
    headers: list[str]  # the header row as found (trailing empty cells dropped)
    columns: dict[str, int]  # Column.field -> 0-based column index in the file
    has_hxl: bool  # the second row was HXL hashtags, and was skipped
    rows: list[SheetRow]  # data rows; blank rows skipped, their numbers not reused
    extent: Extent | None = None  # for xlsx: what the whole workbook holds
    # The header each field's errors name, when it is not our template's (R4V's template).
    field_headers: dict[str, str] | None = None


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index: 0 -> "A", 26 -> "AA"."""
    return get_column_letter(index + 1)


def read_table(data: bytes, filename: str) -> Table:
    """Return the activity rows of an uploaded XLSX or CSV file, or raise `FileRejected`."""
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        raise FileRejected(
            texts.FILE_TOO_LARGE % {"size": megabytes_text(len(data), above=limit),
                                          "limit": megabytes_text(limit)}
        )
    if not data.strip():
        raise FileRejected(texts.FILE_EMPTY)
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(data)
    if data.startswith(CFB_MAGIC):
        if ENCRYPTION_INFO in data:
            raise FileRejected(texts.FILE_PASSWORD_PROTECTED)
        if any(stream in data for stream in XLS_STREAMS):
            raise FileRejected(texts.FILE_OLD_XLS)
        raise FileRejected(texts.FILE_NOT_A_SPREADSHEET)
    if data.startswith(EMPTY_ZIP_MAGIC) or data.startswith(BINARY_MAGICS):
        raise FileRejected(texts.FILE_NOT_A_SPREADSHEET)
    if PurePosixPath(filename.replace("\\", "/")).suffix.lower() not in TEXT_EXTENSIONS:
        raise FileRejected(texts.FILE_NOT_A_SPREADSHEET)
    return _read_csv(_decode(data))


# XLSX ------------------------------------------------------------------------------------------


def _read_xlsx(data: bytes) -> Table:
    archive = open_zip(data)
    try:
        extent = measure_xlsx(archive)
        refuse_extent(archive, extent)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FileRejected:
        archive.close()
        raise
    except Exception as error:  # an untrusted file: openpyxl fails in many ways
        archive.close()
        raise FileRejected(texts.FILE_DAMAGED) from error
    try:
        sheet = _data_sheet(workbook.worksheets)
        if sheet is None:
            raise FileRejected(texts.FILE_EMPTY)
        refuse_merged_cells(archive, sheet._worksheet_path)
        # Some programs write a wrong <dimension>, which read-only mode would trust and cut rows
        # or columns short; without it every row comes as long as its last cell.
        sheet.reset_dimensions()
        try:
            rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
            return _table("xlsx", sheet.title, rows, extent=extent)
        except FileRejected:
            raise
        except Exception as error:
            raise FileRejected(texts.FILE_DAMAGED) from error
    finally:
        workbook.close()
        archive.close()


def _data_sheet(worksheets: list) -> object | None:
    """Return the worksheet holding the activities: the template's "Activities" (or
    "Actividades") if there is one, else the first visible worksheet."""
    visible = [sheet for sheet in worksheets if sheet.sheet_state == "visible"]
    for sheet in visible + worksheets:
        if sheet.title.strip().casefold() in DATA_SHEET_NAMES:
            return sheet
    return visible[0] if visible else None


# CSV -------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """Return the text of a CSV file: UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 with or
    without a BOM, else Windows-1252 (what Excel in Spanish saves as "CSV")."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise FileRejected(texts.FILE_NOT_A_SPREADSHEET) from error
    else:
        if b"\x00" in data or len(CONTROL_BYTES.findall(data[:65536])) > min(len(data), 65536) // 100:
            raise FileRejected(texts.FILE_NOT_A_SPREADSHEET)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as error:
                raise FileRejected(texts.CSV_ENCODING_UNKNOWN) from error
    if len(CONTROL_CHARACTERS.findall(text[:65536])) > len(text[:65536]) // 100:
        raise FileRejected(texts.FILE_NOT_A_SPREADSHEET)
    return text


def _read_csv(text: str) -> Table:
    first_line, _newline, rest = text.partition("\n")
    match = re.fullmatch(r'\s*"?sep=(.)"?\s*', first_line)
    if match:  # Excel's hint line; Excel does not show it, so the header stays row 1
        delimiter, text = match.group(1), rest
    else:
        delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    try:
        return _table("csv", None, _csv_rows(reader))
    except csv.Error as error:
        raise FileRejected(texts.CSV_UNREADABLE % {"line": integer_text(reader.line_num)}) from error


def _csv_rows(reader: Iterable[list[str]]) -> Iterator[tuple]:
    for record in reader:
        yield tuple(record)


def _sniff_delimiter(text: str) -> str:
    """Return the delimiter used most often, outside quotes, in the first non-blank line."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = seen = False
    for character in text[:65536]:
        if character == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif character in "\r\n":
            if seen:
                break
        elif character in counts:
            counts[character] += 1
            seen = True
        elif not character.isspace():
            seen = True
    return max(DELIMITERS, key=lambda delimiter: counts[delimiter])  # ties: the first, ","


# Both kinds ------------------------------------------------------------------------------------


def _table(kind: str, sheet: str | None, rows: Iterator[tuple], *,
           extent: Extent | None = None) -> Table:
    """Return the Table of rows of raw cell values, the first of which is the header row."""
    header = next(rows, None)
    if header is None or _is_blank(header):
        if header is None or _blank_run_end(rows) is None:
            raise FileRejected(texts.FILE_EMPTY)
        raise FileRejected(texts.HEADER_ROW_EMPTY)
    headers = ["" if value is None else str(value) for value in header]
    while headers and not headers[-1].strip():
        headers.pop()
    if r4v_template.is_r4v_header(headers):
        return _r4v_table(kind, sheet, headers, rows, extent=extent)
    columns = _match_headers(headers)
    width = len(headers)
    headerless = [index for index, text in enumerate(headers) if not text.strip()]
    fields = tuple(columns)
    pick = itemgetter(*columns.values())
    padding = (None,) * width
    max_rows = settings.IMPORT_MAX_ROWS

    table_rows: list[SheetRow] = []
    has_hxl = False
    number = 1
    blank_run = 0
    for row in rows:
        number += 1
        if len(row) < width:  # short CSV records; rows of an unsized sheet; openpyxl's [] for gaps
            row = (*row, *padding[len(row):])
        if number == 2 and _is_hxl(row):
            has_hxl = True
            continue
        values = {
            field: (value.strip() or None) if value.__class__ is str else value
            for field, value in zip(fields, pick(row), strict=True)
        }
        extra = row[width:]
        if (extra and extra.count(None) != len(extra)) or headerless:
            _refuse_headerless_values(row, width, headerless, number)
        if all(value is None for value in values.values()):
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if len(table_rows) == max_rows:
            raise FileRejected(texts.TOO_MANY_ROWS % {"limit": integer_text(max_rows)})
        table_rows.append(SheetRow(number=number, values=values))
    if not table_rows:
        raise FileRejected(texts.NO_ROWS)
    # Errors name a column as the file does: in Spanish when its header is the Spanish one.
    spanish = {field: SPANISH[field] for field, index in columns.items()
               if fold(headers[index]) == fold(SPANISH[field]) != fold(BY_FIELD[field].header)}
    return Table(kind=kind, sheet=sheet, headers=headers, columns=columns, has_hxl=has_hxl,
                 rows=table_rows, extent=extent, field_headers=spanish or None)


def _match_headers(headers: list[str]) -> dict[str, int]:
    """Return field -> column index for the header row, or refuse it naming every missing,
    unknown and repeated column."""
    by_folded = {fold(column.header): column for column in COLUMNS}
    by_folded.update({fold(SPANISH[column.field]): column for column in COLUMNS})
    columns: dict[str, int] = {}
    seen: dict[str, list[int]] = {}
    unknown: list[tuple[int, str]] = []
    for index, text in enumerate(headers):
        if not text.strip():
            continue
        column = by_folded.get(fold(text))
        if column is None:
            unknown.append((index, text.strip()))
            continue
        seen.setdefault(column.header, []).append(index)
        columns.setdefault(column.field, index)

    problems: list[str] = []
    missing = [column.header for column in REQUIRED_COLUMNS if column.field not in columns]
    if missing:
        problems.append(
            texts.COLUMNS_MISSING % {"columns": _quoted_list(missing)}
        )
    absent = {fold(column.header): column.header
              for column in COLUMNS if column.field not in columns}
    absent.update({fold(spanish): english for spanish, english in SPANISH_HEADERS.items()
                   if fold(english) in absent})
    suggested = False
    for index, text in unknown:
        close = difflib.get_close_matches(fold(text), list(absent), n=1, cutoff=0.6)
        if close:
            suggested = True
            problems.append(texts.COLUMN_UNKNOWN_SUGGESTION % {
                "letter": column_letter(index), "header": text, "suggestion": absent[close[0]]})
        else:
            problems.append(texts.COLUMN_UNKNOWN % {"letter": column_letter(index),
                                                         "header": text})
    for header, indexes in seen.items():
        if len(indexes) > 1:
            problems.append(texts.COLUMN_REPEATED % {
                "header": header,
                "letters": get_text_list([column_letter(index) for index in indexes], _("and")),
            })
    if not columns and not suggested:
        raise FileRejected(texts.HEADERS_NOT_FOUND % {
            "example": ", ".join(column.header for column in COLUMNS[:3])})
    if problems:
        raise FileRejected(" ".join(str(problem) for problem in problems))
    return columns


def _refuse_headerless_values(row: tuple, width: int, headerless: list[int], number: int) -> None:
    for index in [*headerless, *range(width, len(row))]:
        value = row[index]
        if value is not None and not (value.__class__ is str and not value.strip()):
            raise FileRejected(
                texts.COLUMN_WITHOUT_HEADER % {"letter": column_letter(index), "row": number}
            )


def _is_blank(row: tuple) -> bool:
    return all(value is None or (value.__class__ is str and not value.strip()) for value in row)


def _is_hxl(row: tuple) -> bool:
    """Return whether a row is HXL hashtags: non-empty, and every non-empty cell starts with #."""
    cells = [value.strip() if value.__class__ is str else value for value in row]
    cells = [value for value in cells if value not in (None, "")]
    return bool(cells) and all(value.__class__ is str and value.startswith("#") for value in cells)


def _blank_run_end(rows: Iterator[tuple]) -> tuple | None:
    """Return the next non-blank row within MAX_BLANK_RUN rows, or None."""
    for count, row in enumerate(rows, start=1):
        if not _is_blank(row):
            return row
        if count >= MAX_BLANK_RUN:
            break
    return None


def _quoted_list(names: list[str]) -> str:
    return get_text_list([f"“{name}”" for name in names], _("and"))




def _r4v_table(kind: str, sheet: str | None, headers: list[str], rows: Iterator[tuple], *,
               extent: Extent | None) -> Table:
    """Return the Table of a file in R4V's regional template: each row as the values of our
    template's row (`r4v_template.row_values`), its errors placed on R4V's columns."""
    found, missing = r4v_template.header_columns(headers)
    if missing:
        raise FileRejected(r4v_template.MISSING_COLUMNS % {"columns": _quoted_list(missing)})
    columns = {field: found[column] for field, column in r4v_template.FIELD_COLUMNS.items()}
    width = len(headers)
    padding = (None,) * width
    max_rows = settings.IMPORT_MAX_ROWS
    table_rows: list[SheetRow] = []
    number = 1
    blank_run = 0
    for row in rows:
        number += 1
        if len(row) < width:
            row = (*row, *padding[len(row):])
        cells = {
            column: (row[index].strip() or None) if row[index].__class__ is str else row[index]
            for column, index in found.items()
        }
        if all(value is None for value in cells.values()):
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if len(table_rows) == max_rows:
            raise FileRejected(texts.TOO_MANY_ROWS % {"limit": integer_text(max_rows)})
        values, problems = r4v_template.row_values(cells)
        table_rows.append(SheetRow(number=number, values=values, problems=tuple(problems)))
    if not table_rows:
        raise FileRejected(texts.NO_ROWS)
    return Table(kind=kind, sheet=sheet, headers=headers, columns=columns, has_hxl=False,
                 rows=table_rows, extent=extent,
                 field_headers=dict(r4v_template.FIELD_COLUMNS))
