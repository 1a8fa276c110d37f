"""Hostile workbooks: files under the upload's 10 MB cap that unpack to a workbook far larger than
any activity file, what a hostile partner account would upload to exhaust a worker (issue 11).
`manage.py benchmark --case hostile` times their refusal; the tests use them at full size to show
they are refused before anything is parsed."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reporting.sheets.columns import COLUMNS, HEADERS

SHEET_OPEN = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def _activity_workbook() -> bytes:
    """Return a small valid activity workbook (one line of HIAS) with a second sheet, "Other",
    and a second cell format (bold), so that `s="1"` names a real one."""
    values = {"month": "2023-09", "organisation": "HIAS", "sector": "PRO",
              "indicator": "PRO-01", "department": "15", "population_type": "destination",
              "modality": "service", "girls": 1, "boys": 1, "women": 1, "men": 1,
              "new_beneficiaries": 4, "total_monthly": 4, "description": "Talleres"}
    book = Workbook()
    sheet = book.active
    sheet.title = "Activities"
    sheet.append(list(HEADERS))
    sheet.append([values.get(column.field) for column in COLUMNS])
    sheet["A1"].font = Font(bold=True)
    book.create_sheet("Other")["A1"] = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_part(data: bytes, path: str, write: Callable) -> bytes:
    """Return the zip `data` with the part at `path` written anew, chunk by chunk, by `write`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == path:
                with target.open(path, "w", force_zip64=True) as member:
                    write(member, source.read(path))
            else:
                target.writestr(info, source.read(info.filename))
    return buffer.getvalue()


def padded_cells_workbook(*, rows: int = 2000, columns: int = 2000) -> bytes:
    """Return an activity workbook whose second sheet holds rows × columns empty cells with a
    format (`<c r="A1" s="1"/>`): four million by default, in about 8 MB."""
    letters = [get_column_letter(index).encode() for index in range(1, columns + 1)]

    def write(member, _old: bytes) -> None:
        member.write(SHEET_OPEN + b"<sheetData>")
        for number in range(1, rows + 1):
            row = str(number).encode()
            member.write(b'<row r="' + row + b'">'
                         + b"".join(b'<c r="' + letter + row + b'" s="1"/>' for letter in letters)
                         + b"</row>")
        member.write(b"</sheetData></worksheet>")

    return _with_part(_activity_workbook(), "xl/worksheets/sheet2.xml", write)


def padded_rows_workbook(*, rows: int = 1_000_000) -> bytes:
    """Return an activity workbook whose data sheet goes on, below its line, with `rows` empty
    rows that have a format, while its <dimension> says A1:T3: a million by default, in about
    2.5 MB."""
    def write(member, old: bytes) -> None:
        head, _closing, tail = old.partition(b"</sheetData>")
        member.write(re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:T3"/>', head))
        for start in range(3, rows + 3, 10_000):
            member.write(b"".join(b'<row r="%d" s="1" customFormat="1"/>' % number
                                  for number in range(start, min(start + 10_000, rows + 3))))
        member.write(b"</sheetData>" + tail)

    return _with_part(_activity_workbook(), "xl/worksheets/sheet1.xml", write)
