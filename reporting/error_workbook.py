"""The uploaded file handed back with its errors marked: each wrong cell filled light red and
commented with the reason, and a sheet listing every error.

The partner fixes this copy and uploads it again, so it stays the partner's own workbook
(formulas, drop-down lists and formatting as they were) and the data sheet stays the one the
upload reads; the list of errors goes last.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from pathlib import PurePath

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from . import resources

AUTHOR = "GTRM"
ERROR_COLOUR = "FFFFC7CE"  # Excel's own "light red fill"
ERROR_FILL = PatternFill(fill_type="solid", start_color=ERROR_COLOUR, end_color=ERROR_COLOUR)
NO_FILL = PatternFill(fill_type=None)
CELL_TYPES = (str, int, float, Decimal, dt.date, dt.datetime, dt.time, bool)


def error_filename(filename: str) -> str:
    """Return the name of the marked copy of `filename`: `actividades.csv` → `actividades-errors.xlsx`."""
    stem = PurePath(filename or "upload").stem or "upload"
    return f"{stem}-errors.xlsx"


def mark_errors(batch_content: bytes, filename: str, table, errors: Iterable) -> bytes:
    """Return an XLSX of the uploaded file with the cells of `errors` filled and commented,
    and an "Errors" sheet listing them all (row, column, value, reason)."""
    errors = list(errors)
    workbook = None
    if table.kind == "xlsx":
        try:
            workbook = load_workbook(
                io.BytesIO(batch_content), read_only=False, keep_vba=False, data_only=False
            )
        except Exception:  # noqa: BLE001 — openpyxl's full mode fails on some real workbooks
            workbook = None  # that its read-only mode (the upload's) reads: rebuild the sheet
    if table.kind == "xlsx" and workbook is not None:
        sheet = workbook[table.sheet] if table.sheet in workbook.sheetnames else workbook.active
        _clear_earlier_marks(sheet)
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Activities")
        _copy_table(sheet, table)
    _mark_cells(sheet, table, errors)
    _replace_errors_sheet(workbook, sheet, table, errors)
    workbook.active = workbook.worksheets.index(sheet)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _clear_earlier_marks(sheet) -> None:
    # A partner who fixes the marked copy uploads it again: the marks of the last round must
    # not outlive the errors they pointed at.
    for cell in list(sheet._cells.values()):
        if cell.comment is not None and cell.comment.author == AUTHOR:
            cell.comment = None
            if cell.fill.fgColor.rgb == ERROR_COLOUR:
                cell.fill = NO_FILL


def _copy_table(sheet, table) -> None:
    """Write a CSV upload's headers, HXL row and values where a spreadsheet would show them."""
    for index, header in enumerate(table.headers, start=1):
        _write(sheet.cell(row=1, column=index), header).font = Font(bold=True)
    if table.has_hxl:
        for index, header in enumerate(table.headers, start=1):
            column = resources.BY_HEADER.get(str(header).strip().casefold())
            if column is not None:
                _write(sheet.cell(row=2, column=index), column.hxl)
    for row in table.rows:
        for field, value in row.values.items():
            index = table.columns.get(field)
            if index is not None:
                _write(sheet.cell(row=row.number, column=index + 1), value)
    sheet.freeze_panes = "A3" if table.has_hxl else "A2"


def _write(cell, value):
    if value is not None and not isinstance(value, CELL_TYPES):
        value = str(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters a CSV may carry
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # a CSV's "=1+1" is text, never a formula
    return cell


def _mark_cells(sheet, table, errors: list) -> None:
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    for error in errors:
        if error.row is None:
            continue
        index = table.columns.get(error.field) if error.field else None
        # A row-wide error (a duplicate line, a report that cannot change) marks the row's
        # first cell.
        column = index + 1 if index is not None else 1
        reasons[(error.row, column)].append(str(error.message))
    for (row, column), messages in reasons.items():
        cell = sheet.cell(row=row, column=column)
        if isinstance(cell, MergedCell):
            continue
        cell.fill = ERROR_FILL
        text = "\n".join(f"• {message}" for message in messages) if len(messages) > 1 else messages[0]
        comment = Comment(text, AUTHOR)
        comment.width = 320
        comment.height = min(60 + 40 * len(messages), 300)
        cell.comment = comment


def _replace_errors_sheet(workbook, data_sheet, table, errors: list) -> None:
    title = _("Errors")
    for name in {title, "Errors", "Errores"}:
        if name in workbook.sheetnames and workbook[name] is not data_sheet:
            del workbook[name]
    sheet = workbook.create_sheet(title)
    headings = (_("Row"), _("Column"), _("Column name"), _("Value"), _("Reason"))
    for index, heading in enumerate(headings, start=1):
        _write(sheet.cell(row=1, column=index), heading).font = Font(bold=True)
    ordered = sorted(errors, key=lambda e: (e.row is not None, e.row or 0, _position(table, e)))
    for number, error in enumerate(ordered, start=2):
        index = table.columns.get(error.field) if error.field else None
        letter = get_column_letter(index + 1) if index is not None else ""
        values = (error.row, letter, error.column or "", error.value or "", str(error.message))
        for column, value in enumerate(values, start=1):
            _write(sheet.cell(row=number, column=column), value)
    if not errors:
        _write(sheet.cell(row=2, column=1), _("No errors."))
    for letter, width in zip("ABCDE", (8, 9, 26, 24, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def _position(table, error) -> int:
    index = table.columns.get(error.field) if error.field else None
    return -1 if index is None else index

