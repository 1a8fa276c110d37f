"""The uploaded file handed back with its errors marked: each wrong cell filled light red and
commented with the reason, and a sheet listing every error.

The partner fixes this copy and uploads it again, so it stays the partner's own workbook
(formulas, drop-down lists and formatting as they were) and the data sheet stays the one the
upload reads; the list of errors goes last.

Loading a workbook whole costs openpyxl about 30 µs and a few hundred bytes a cell, so only a
workbook measured small enough is loaded whole (`FULL_LOAD_MAX_CELLS`, counted by
`archive.measure_xlsx` before any parsing). A larger one, and every CSV, is copied from
the values the upload read, written row by row in openpyxl's write-only mode in flat memory:
the activities and their marks, without the original's formatting or other sheets.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import PurePath

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from gtrm.garbage import frees_reference_cycles

from . import columns

AUTHOR = "GTRM"
ERROR_COLOUR = "FFFFC7CE"  # Excel's own "light red fill"
ERROR_FILL = PatternFill(fill_type="solid", start_color=ERROR_COLOUR, end_color=ERROR_COLOUR)
NO_FILL = PatternFill(fill_type=None)
BOLD = Font(bold=True)
CELL_TYPES = (str, int, float, Decimal, dt.date, dt.datetime, dt.time, bool)
PLAIN_TYPES = (str, int, float)
# About two seconds of openpyxl to load and save again, and some 30 MB: a few thousand
# activity rows with the template's lists. Beyond it the copy is written from the values.
FULL_LOAD_MAX_CELLS = 60_000
FULL_LOAD_MAX_ELEMENTS = 300_000
# Each comment costs openpyxl about half a millisecond to write (a shape in a drawing of its
# own); past this many marked cells the rest are filled without one, and the Errors sheet,
# which lists every error, says so.
MAX_COMMENTS = 1000
ERRORS_WIDTHS = (8, 9, 26, 24, 90)


def error_filename(filename: str) -> str:
    """Return the name of the marked copy of `filename`: `actividades.csv` → `actividades-errors.xlsx`."""
    stem = PurePath(filename or "upload").stem or "upload"
    return f"{stem}-errors.xlsx"


@frees_reference_cycles
def mark_errors(batch_content: bytes, filename: str, table, errors: Iterable) -> bytes:
    """Return an XLSX of the uploaded file with the cells of `errors` filled and commented,
    and an "Errors" sheet listing them all (row, column, value, reason)."""
    errors = list(errors)
    if table.kind == "xlsx" and loads_whole(table.extent):
        try:
            workbook = load_workbook(
                io.BytesIO(batch_content), read_only=False, keep_vba=False, data_only=False
            )
        except Exception:  # noqa: BLE001 — openpyxl's full mode fails on some real workbooks
            workbook = None  # that its read-only mode (the upload's) reads: copy the values
        if workbook is not None:
            return _marked_workbook(workbook, table, errors)
    return _marked_copy(table, errors, whole=table.kind != "xlsx")


def loads_whole(extent) -> bool:
    """Return whether a workbook of this extent is small enough to be loaded whole."""
    return (extent is not None and extent.cells <= FULL_LOAD_MAX_CELLS
            and extent.rows <= FULL_LOAD_MAX_CELLS
            and extent.elements <= FULL_LOAD_MAX_ELEMENTS)


def _marked_workbook(workbook: Workbook, table, errors: list) -> bytes:
    """Return the partner's own workbook, loaded whole, with the errors marked."""
    sheet = workbook[table.sheet] if table.sheet in workbook.sheetnames else workbook.active
    _clear_earlier_marks(sheet)
    _mark_cells(sheet, table, errors)
    _replace_errors_sheet(workbook, sheet, table, errors)
    workbook.active = workbook.worksheets.index(sheet)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _marked_copy(table, errors: list, *, whole: bool) -> bytes:
    """Return a new workbook of the table's values with the errors marked, written row by
    row; `whole` says the table is all the upload held (a CSV), else a note says what the
    copy leaves out."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.sheet or _("Activities"))
    sheet.freeze_panes = "A3" if table.has_hxl else "A2"
    reasons = _reasons(table, errors)
    commented = _commented(reasons)
    for number, values in enumerate(_sheet_rows(table), start=1):
        sheet.append(_write_only_row(sheet, number, values, reasons, commented))
    errors_sheet = workbook.create_sheet(_("Errors"))
    _errors_layout(errors_sheet)
    for number, values in enumerate(_errors_rows(table, errors), start=1):
        cells = [_write_only_cell(errors_sheet, value) for value in values]
        if number == 1:
            for cell in cells:
                cell.font = BOLD
        errors_sheet.append(cells)
    if not whole:
        errors_sheet.append([])
        errors_sheet.append([_write_only_cell(errors_sheet, _(
            "The uploaded workbook is too large to be copied whole: this copy holds the values "
            "of its activity sheet, without its formatting, formulas or other sheets. Correct "
            "the marked cells in your own file, or in this copy, and upload it again."))])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _sheet_rows(table) -> Iterator[list]:
    """Yield the rows of the data sheet as the user saw them, blank rows included, so that
    every row keeps its number."""
    headers = list(table.headers)
    yield [(header, True) for header in headers]
    fields = {index: field for field, index in table.columns.items()}
    number = 1
    if table.has_hxl:
        number = 2
        yield [(_hxl(header), False) for header in headers]
    for row in table.rows:
        while number + 1 < row.number:
            number += 1
            yield []
        number = row.number
        yield [(row.values.get(fields[index]) if index in fields else None, False)
               for index in range(len(headers))]


def _hxl(header: str) -> str | None:
    column = columns.BY_HEADER.get(str(header).strip().casefold())
    return column.hxl if column is not None else None


def _write_only_row(sheet, row: int, values: list, reasons: dict, commented: set) -> list:
    cells = []
    for column, (value, bold) in enumerate(values, start=1):
        messages = reasons.get((row, column))
        if not (bold or messages or isinstance(value, str) and value.startswith("=")
                or value is not None and not isinstance(value, PLAIN_TYPES)):
            # Most cells: a plain value costs openpyxl less than a cell object.
            cells.append(ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
            continue
        cell = _write_only_cell(sheet, value)
        if bold:
            cell.font = BOLD
        if messages:
            cell.fill = ERROR_FILL
            if (row, column) in commented:
                cell.comment = _comment(messages)
        cells.append(cell)
    return cells


def _write_only_cell(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    _write(cell, value)
    return cell


def _clear_earlier_marks(sheet) -> None:
    # A partner who fixes the marked copy uploads it again: the marks of the last round must
    # not outlive the errors they pointed at.
    for cell in list(sheet._cells.values()):
        if cell.comment is not None and cell.comment.author == AUTHOR:
            cell.comment = None
            if cell.fill.fgColor.rgb == ERROR_COLOUR:
                cell.fill = NO_FILL


def _write(cell, value):
    if value is not None and not isinstance(value, CELL_TYPES):
        value = str(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters a CSV may carry
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # a CSV's "=1+1" is text, never a formula
    return cell


def _reasons(table, errors: list) -> dict[tuple[int, int], list[str]]:
    """Return the messages of each marked cell, by (row, column) as the spreadsheet counts."""
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    for error in errors:
        if error.row is None:
            continue
        index = table.columns.get(error.field) if error.field else None
        # A row-wide error (a duplicate line, a report that cannot change) marks the row's
        # first cell.
        column = index + 1 if index is not None else 1
        reasons[(error.row, column)].append(str(error.message))
    return reasons


def _commented(reasons: dict) -> set[tuple[int, int]]:
    """Return the cells that get a comment: the first MAX_COMMENTS in reading order."""
    return set(sorted(reasons)[:MAX_COMMENTS])


def _comment(messages: list[str]) -> Comment:
    text = "\n".join(f"• {message}" for message in messages) if len(messages) > 1 else messages[0]
    comment = Comment(text, AUTHOR)
    comment.width = 320
    comment.height = min(60 + 40 * len(messages), 300)
    return comment


def _mark_cells(sheet, table, errors: list) -> None:
    reasons = _reasons(table, errors)
    commented = _commented(reasons)
    for (row, column), messages in reasons.items():
        cell = sheet.cell(row=row, column=column)
        if isinstance(cell, MergedCell):
            continue
        cell.fill = ERROR_FILL
        if (row, column) in commented:
            cell.comment = _comment(messages)


def _replace_errors_sheet(workbook, data_sheet, table, errors: list) -> None:
    title = _("Errors")
    for name in {title, "Errors", "Errores"}:
        if name in workbook.sheetnames and workbook[name] is not data_sheet:
            del workbook[name]
    sheet = workbook.create_sheet(title)
    for number, values in enumerate(_errors_rows(table, errors), start=1):
        for column, value in enumerate(values, start=1):
            cell = _write(sheet.cell(row=number, column=column), value)
            if number == 1:
                cell.font = BOLD
    _errors_layout(sheet)


def _errors_rows(table, errors: list) -> Iterator[tuple]:
    """Yield the Errors sheet's rows: the headings, then every error in reading order."""
    yield (_("Row"), _("Column"), _("Column name"), _("Value"), _("Reason"))
    marked = len(_reasons(table, errors))
    if marked > MAX_COMMENTS:
        yield ("", "", "", "", _(
            "%(marked)s cells are marked red; the first %(limit)s carry the reason as a "
            "comment. Every error is listed below.") % {
                "marked": _integer(marked), "limit": _integer(MAX_COMMENTS)})
    ordered = sorted(errors, key=lambda e: (e.row is not None, e.row or 0, _position(table, e)))
    for error in ordered:
        index = table.columns.get(error.field) if error.field else None
        letter = get_column_letter(index + 1) if index is not None else ""
        yield (error.row, letter, error.column or "", error.value or "", str(error.message))
    if not errors:
        yield (_("No errors."),)


def _errors_layout(sheet) -> None:
    for letter, width in zip("ABCDE", ERRORS_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def _position(table, error) -> int:
    index = table.columns.get(error.field) if error.field else None
    return -1 if index is None else index



def _integer(value: int) -> str:
    return number_format(value, force_grouping=True)
