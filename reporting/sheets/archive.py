"""A workbook's zip archive, checked and measured before any XML parser sees it.

The central directory is checked first (member count, unpacked size, compression ratio), so a
zip bomb costs the server nothing. Then every part's XML is counted as it streams past
(`measure_xlsx`: cells, rows, shared strings and elements of every sheet and part, not only the
one read), and a workbook far larger than an activity file can be is refused: what openpyxl
builds in memory grows with those counts, and a sheet of a few million formatted empty cells
fits in 10 MB. Merged cells, which read-only mode does not report, are found the same way."""

from __future__ import annotations

import html
import io
import math
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl.utils import range_boundaries

from reporting import texts

from .columns import COLUMNS

# A real activity workbook unpacks to a few tens of MB at most (20,000 rows × 20 columns is
# about 15 MB of sheet XML) and its parts compress 5 to 20 times; a zip bomb compresses ~1,000.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024  # smaller parts unpack to little, whatever their ratio
MAX_MEMBERS = 1000
MAX_RANGES_NAMED = 5
# The extent a workbook may have, beyond IMPORT_MAX_ROWS rows of the contract's columns: twice
# that, plus room for the template's Instructions and hidden Lists sheets (some 10,000 cells in
# 2,000 rows) and the formatting real workbooks carry. What openpyxl's parser builds grows with
# these counts; a file far beyond them is not an activity file, whatever it weighs zipped.
EXTENT_FACTOR = 2
EXTRA_CELLS = 100_000
EXTRA_ROWS = 10_000
# A real stylesheet holds tens to a few thousand records (Excel stops at 64,000 cell formats);
# openpyxl parses it whole in read-only mode too.
MAX_STYLE_ELEMENTS = 200_000
STYLES_PART = "xl/styles.xml"  # where openpyxl reads the stylesheet from, whatever the rels say
MERGE_CELL = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=["']([^"']*)["']""")
# An element named with a namespace prefix (`<x:c r="A1"/>`), which openpyxl reads like any.
PREFIXED_NAME = re.compile(rb"<[A-Za-z_][\w.-]*:(c|row|si)[\s/>]")
# A sheet's entry in xl/workbook.xml and a relationship of its rels, enough to name a part.
SHEET_ENTRY = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?sheet\b(?=[^>]*?\bname=["']([^"']*)["'])[^>]*?\bid=["']([^"']*)["']"""
)
RELATIONSHIP = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?Relationship\b(?=[^>]*?\bId=["']([^"']*)["'])[^>]*?\bTarget=["']([^"']*)["']"""
)


class FileRejected(Exception):
    """The uploaded file cannot be read as an activity table; `message` tells the user why."""

    def __init__(self, message: str):
        self.message = str(message)
        super().__init__(self.message)


@dataclass(frozen=True)
class Extent:
    """What a workbook holds, counted in its parts' XML before any of it is parsed.

    Each count is of elements by name, in every part of the archive (a worksheet can live at
    any path its relationships name); names are matched by how they start, so the counts are
    upper bounds (`<col>` counts as a cell, `<rowBreaks>` as a row)."""

    cells: int  # <c> elements
    rows: int  # <row> elements
    strings: int  # <si> elements: shared strings, which every mode of openpyxl loads
    elements: int  # start tags of every XML part
    style_elements: int  # start tags of the stylesheet
    largest: str  # the part holding the most cells and rows, e.g. "xl/worksheets/sheet2.xml"
    largest_cells: int
    largest_rows: int

    def exceeds(self, limits: ExtentLimits) -> bool:
        return (self.cells > limits.cells or self.rows > limits.rows
                or self.strings > limits.cells or self.elements > limits.elements
                or self.style_elements > MAX_STYLE_ELEMENTS)


@dataclass(frozen=True)
class ExtentLimits:
    cells: int
    rows: int
    elements: int


def extent_limits() -> ExtentLimits:
    """Return the largest extent an activity workbook may have under IMPORT_MAX_ROWS."""
    rows = EXTENT_FACTOR * (settings.IMPORT_MAX_ROWS + 2) + EXTRA_ROWS
    cells = EXTENT_FACTOR * (settings.IMPORT_MAX_ROWS + 2) * len(COLUMNS) + EXTRA_CELLS
    # A cell is one to three elements (<c>, <v>, an inline string's <is><t>), a shared string
    # two or three (<si><t>, rich text more): four per cell is a generous bound.
    return ExtentLimits(cells=cells, rows=rows, elements=4 * cells + rows)


def open_zip(data: bytes) -> zipfile.ZipFile:
    """Return the zip archive of a workbook, refused from its central directory alone."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise FileRejected(texts.FILE_DAMAGED) from error
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise FileRejected(texts.FILE_XLSB)
        if "content.xml" in names and "mimetype" in names:
            raise FileRejected(texts.FILE_ODS)
        raise FileRejected(texts.FILE_NOT_A_SPREADSHEET)
    if len(members) > MAX_MEMBERS:
        raise FileRejected(
            texts.XLSX_TOO_MANY_PARTS % {"count": integer_text(len(members)),
                                               "limit": integer_text(MAX_MEMBERS)}
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileRejected(
            texts.XLSX_UNPACKS_TOO_LARGE % {"size": megabytes_text(unpacked),
                                                  "limit": megabytes_text(MAX_UNPACKED_BYTES)}
        )
    for member in members:
        if member.flag_bits & 0x1:  # an encrypted zip member: not something Excel writes
            raise FileRejected(texts.FILE_DAMAGED)
        if (member.file_size > RATIO_CHECKED_FROM
                and member.file_size > MAX_RATIO * member.compress_size):
            raise FileRejected(
                texts.XLSX_COMPRESSION_SUSPICIOUS % {"part": member.filename,
                                                           "limit": MAX_RATIO}
            )
    return archive


def measure_xlsx(archive: zipfile.ZipFile) -> Extent:
    """Return what the workbook's parts hold, counted from their XML as it is inflated, a
    megabyte at a time: nothing is parsed, and the cost is that of unzipping (under a second
    for the 100 MB a workbook may unpack to)."""
    cells = rows = strings = elements = style_elements = 0
    largest, largest_cells, largest_rows = "", -1, -1
    try:
        for member in archive.infolist():
            if member.is_dir():
                continue
            counts = _count_part(archive, member)
            cells += counts[0]
            rows += counts[1]
            strings += counts[2]
            elements += counts[3]
            if member.filename == STYLES_PART:
                style_elements = counts[3]
            if counts[0] + counts[1] > largest_cells + largest_rows:
                largest, largest_cells, largest_rows = member.filename, counts[0], counts[1]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
        raise FileRejected(texts.FILE_DAMAGED) from error
    return Extent(cells=cells, rows=rows, strings=strings, elements=elements,
                  style_elements=style_elements, largest=largest,
                  largest_cells=max(largest_cells, 0), largest_rows=max(largest_rows, 0))


def _count_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[int, int, int, int]:
    """Return (cells, rows, shared strings, elements) of one part; the chunks are cut before
    a "<", so that no name is split between two."""
    cells = rows = strings = starts = ends = 0
    carry = b""
    with archive.open(member) as source:
        while True:
            chunk = source.read(1024 * 1024)
            block = carry + chunk
            if chunk:
                cut = block.rfind(b"<")
                if cut <= 0:
                    cut = len(block)
                block, carry = block[:cut], block[cut:]
            else:
                carry = b""
            cells += block.count(b"<c")
            rows += block.count(b"<row")
            strings += block.count(b"<si")
            if b":c" in block or b":row" in block or b":si" in block:  # a prefixed name: rare
                for name in PREFIXED_NAME.findall(block):
                    if name == b"c":
                        cells += 1
                    elif name == b"row":
                        rows += 1
                    else:
                        strings += 1
            starts += block.count(b"<")
            ends += block.count(b"</")
            if not chunk:
                break
    return cells, rows, strings, starts - ends


def refuse_extent(archive: zipfile.ZipFile, extent: Extent) -> None:
    limits = extent_limits()
    if not extent.exceeds(limits):
        return
    columns = len(COLUMNS)
    context = {
        "sheet": _part_title(archive, extent.largest),
        "cells": integer_text(extent.largest_cells),
        "rows": integer_text(extent.largest_rows),
        "total_cells": integer_text(extent.cells),
        "total_rows": integer_text(extent.rows),
        "max_rows": integer_text(settings.IMPORT_MAX_ROWS),
        "columns": integer_text(columns),
        "needed": integer_text(settings.IMPORT_MAX_ROWS * columns),
    }
    # Name what is furthest over its limit: a million formatted empty rows, or cells.
    if extent.rows / limits.rows > extent.cells / limits.cells:
        raise FileRejected(texts.XLSX_TOO_MANY_SHEET_ROWS % context)
    raise FileRejected(texts.XLSX_TOO_MANY_CELLS % context)


def _part_title(archive: zipfile.ZipFile, path: str) -> str:
    """Return the name a user sees for a workbook part: the sheet's title when the workbook's
    own (small) index names it, else the part's path."""
    try:
        index = archive.getinfo("xl/workbook.xml")
        relations = archive.getinfo("xl/_rels/workbook.xml.rels")
        if max(index.file_size, relations.file_size) > 1024 * 1024:
            return path
        targets = {
            match.group(1).decode(): match.group(2).decode()
            for match in RELATIONSHIP.finditer(archive.read(relations))
        }
        for match in SHEET_ENTRY.finditer(archive.read(index)):
            target = targets.get(match.group(2).decode(), "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if target == path:
                return f"“{html.unescape(match.group(1).decode('utf-8', 'replace'))}”"
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
        pass
    return path


def refuse_merged_cells(archive: zipfile.ZipFile, path: str) -> None:
    """Refuse a worksheet with merged cells, which read-only mode does not report: scan its XML
    for <mergeCell ref="…"/>, a streamed read that never holds the sheet in memory."""
    ranges: dict[str, None] = {}
    tail = b""
    try:
        with archive.open(path) as source:
            while chunk := source.read(1024 * 1024):
                window = tail + chunk
                if b"mergeCell" in window:
                    for match in MERGE_CELL.finditer(window):
                        ranges[match.group(1).decode("ascii", "replace")] = None
                tail = window[-512:]
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise FileRejected(texts.FILE_DAMAGED) from error
    if ranges:
        named = sorted(ranges, key=_range_position)[:MAX_RANGES_NAMED]
        if len(ranges) > MAX_RANGES_NAMED:
            named.append(_("%(count)s more") % {"count": integer_text(len(ranges) - MAX_RANGES_NAMED)})
        raise FileRejected(texts.MERGED_CELLS % {"ranges": ", ".join(named)})


def _range_position(reference: str) -> tuple[int, int]:
    try:
        min_col, min_row, _max_col, _max_row = range_boundaries(reference)
    except (ValueError, TypeError):
        return (0, 0)
    return (min_row or 0, min_col or 0)


def integer_text(value: int) -> str:
    return number_format(value, force_grouping=True)


def megabytes_text(size: int, above: int | None = None) -> str:
    """Return a size for a message, in MB (KB under a megabyte), never shown as equal to
    `above` when it exceeds it."""
    if max(size, above or 0) >= 1024 * 1024:
        unit, label = 1024 * 1024, _("%(size)s MB")
    else:
        unit, label = 1024, _("%(size)s KB")
    value = round(size / unit, 1)
    if above is not None and value <= above / unit:
        value = math.floor(above / unit * 10 + 1) / 10
    decimals = 0 if value == int(value) else 1
    return label % {"size": number_format(value, decimal_pos=decimals)}
