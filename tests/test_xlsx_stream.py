"""The streamed XLSX writer (gtrm.xlsx_stream) writes a workbook spreadsheet programs read back
cell for cell: text with XML's special and illegal characters, numbers, empty cells, several
sheets, a bold header."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from gtrm.xlsx_stream import StreamedWorkbook


def test_cells_and_sheets_read_back_as_written():
    out = io.BytesIO()
    with StreamedWorkbook(out) as book:
        with book.sheet("5W - RMRP 2025") as sheet:
            sheet.append(["Country Country", "Value (in USD)", "Áncash & <Callao>"])
            sheet.append(["Perú", Decimal("1234.5"), 7])
            sheet.append(["", None, 0])
            sheet.append(["a\x01b \"quoted\" 'x'", 2.25, True])
        with book.sheet("Controles", header=False) as sheet:
            sheet.append(["Filas", 3])
    out.seek(0)
    assert zipfile.ZipFile(out).testzip() is None
    book = load_workbook(out)
    assert book.sheetnames == ["5W - RMRP 2025", "Controles"]
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert rows == [
        ["Country Country", "Value (in USD)", "Áncash & <Callao>"],
        ["Perú", 1234.5, 7],
        [None, None, 0],
        ["ab \"quoted\" 'x'", 2.25, True],
    ]
    first = book.worksheets[0]
    assert first["A1"].font.b and not first["A2"].font.b
    assert [list(r) for r in book.worksheets[1].iter_rows(values_only=True)] == [["Filas", 3]]
    assert not book.worksheets[1]["A1"].font.b


def test_a_name_spreadsheets_refuse_is_refused():
    with pytest.raises(ValueError):
        StreamedWorkbook(io.BytesIO()).sheet("a/b")
    with pytest.raises(ValueError):
        StreamedWorkbook(io.BytesIO()).sheet("x" * 32)
