"""The two layouts of a line export, and the sheet that says what a workbook holds.

- **For people** (`PEOPLE`, the page's default): the report's status and the day it was
  approved after the month, every code followed by its name (organisation, sector, indicator,
  department, province, district, population type, modality, delivery mechanism), headers in the reader's
  language. It is made from the column contract, so a column added there comes along.
- **For re-upload** (`UPLOAD`): exactly the upload template's columns (columns.py), English
  headers and codes, so the file can be corrected and uploaded again.

An XLSX of either layout carries an *About* sheet naming the statuses, filters and date of
the export; a CSV stays one table that programs read, with the status in a column (people's
layout) and in the file's name (both).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .columns import COLUMNS, Kind

PEOPLE = "people"
UPLOAD = "upload"
LAYOUTS = ((PEOPLE, gettext_lazy("For people")), (UPLOAD, gettext_lazy("For re-upload")))
LAYOUT_HELP = {
    PEOPLE: gettext_lazy("names beside the codes, headers in your language, the report's "
                         "status and approval date"),
    UPLOAD: gettext_lazy("the upload template's columns, codes only, to correct and upload "
                         "again"),
}

# The headers of the contract's columns in a file for people, in the reader's language; a
# column without one here keeps the contract's English header.
PEOPLE_HEADERS: dict[str, Promise] = {
    "month": gettext_lazy("Month"),
    "organisation": gettext_lazy("Organisation"),
    "implementing_partner": gettext_lazy("Implementing partner"),
    "sector": gettext_lazy("Sector"),
    "indicator": gettext_lazy("Indicator"),
    "department": gettext_lazy("Department"),
    "province": gettext_lazy("Province"),
    "district": gettext_lazy("District"),
    "population_type": gettext_lazy("Population type"),
    "modality": gettext_lazy("Modality"),
    "girls": gettext_lazy("Girls"),
    "boys": gettext_lazy("Boys"),
    "women": gettext_lazy("Women"),
    "men": gettext_lazy("Men"),
    "other_under_18": gettext_lazy("Other (0–17)"),
    "other_adults": gettext_lazy("Other (18+)"),
    "other_unknown_age": gettext_lazy("Other, age not recorded"),
    "new_beneficiaries": gettext_lazy("New beneficiaries"),
    "total_monthly": gettext_lazy("Total monthly beneficiaries"),
    "quantity": gettext_lazy("Quantity"),
    "cash_usd": gettext_lazy("Cash USD"),
    "rmrp_activity": gettext_lazy("RMRP activity"),
    "delivery_mechanism": gettext_lazy("Delivery mechanism"),
    "activity_name": gettext_lazy("Activity name"),
    "description": gettext_lazy("Description"),
}
# The columns whose code is followed by a name, with the code column's header; the name's
# column takes the header above.
NAMED: dict[str, Promise] = {
    "organisation": gettext_lazy("Organisation (acronym)"),
    "implementing_partner": gettext_lazy("Implementing partner (acronym)"),
    "sector": gettext_lazy("Sector (code)"),
    "indicator": gettext_lazy("Indicator (code)"),
    "department": gettext_lazy("Department (ubigeo)"),
    "province": gettext_lazy("Province (ubigeo)"),
    "district": gettext_lazy("District (ubigeo)"),
    "population_type": gettext_lazy("Population type (code)"),
    "modality": gettext_lazy("Modality (code)"),
    "delivery_mechanism": gettext_lazy("Delivery mechanism (code)"),
}
STATUS_HEADER = gettext_lazy("Report status")
APPROVED_HEADER = gettext_lazy("Approved on")
STATUS_HXL = "#status+report"
APPROVED_HXL = "#date+approved"

LINES_SHEET_FOR_PEOPLE = gettext_lazy("Activities")
ABOUT_SHEET = gettext_lazy("About this file")
ABOUT_TITLE = gettext_lazy("GTRM Peru · activity lines")
ABOUT_PEOPLE = gettext_lazy(
    "Each code is followed by its name. “Approved on” is the day the report was approved (Lima "
    "time), empty for a report that is not approved. This file is for reading: to correct "
    "lines and upload them again, export them “for re-upload”."
)
ABOUT_UPLOAD = gettext_lazy(
    "The columns of the upload template, with codes: this file can be corrected and uploaded "
    "again, into reports that are draft, returned or reopened."
)


@dataclass(frozen=True)
class ExportColumn:
    """A column of an export: its header, its HXL hashtag, and where its value comes from."""

    header: str
    hxl: str
    source: str  # a contract field, "<field>:name", "status" or "approved"
    is_number: bool = False


def people_columns() -> tuple[ExportColumn, ...]:
    """Return the columns of an export for people, headers in the active language: the month,
    the report's status and approval day, then the contract's columns, each named one
    followed by its name."""
    columns = []
    for column in COLUMNS:
        header = str(PEOPLE_HEADERS.get(column.field, column.header))
        is_number = column.kind in (Kind.COUNT, Kind.MONEY)
        if column.field in NAMED:
            columns.append(ExportColumn(str(NAMED[column.field]), column.hxl, column.field))
            columns.append(ExportColumn(header, name_hxl(column.hxl), f"{column.field}:name"))
        else:
            columns.append(ExportColumn(header, column.hxl, column.field, is_number))
        if column.field == "month":
            columns.append(ExportColumn(str(STATUS_HEADER), STATUS_HXL, "status"))
            columns.append(ExportColumn(str(APPROVED_HEADER), APPROVED_HXL, "approved"))
    return tuple(columns)


def upload_columns() -> tuple[ExportColumn, ...]:
    """Return the upload template's columns, exactly as the contract writes them."""
    return tuple(ExportColumn(column.header, column.hxl, column.field,
                              column.kind in (Kind.COUNT, Kind.MONEY)) for column in COLUMNS)


def name_hxl(hxl: str) -> str:
    """Return the hashtag of the name beside a code: `#adm1+code` → `#adm1+name`."""
    return hxl.replace("+code", "") + "+name"


def about_rows(*, layout: str, described: Sequence[tuple[str, str]], lines: int,
               exported: str) -> Iterable[tuple[str, object]]:
    """Return the rows of the About sheet: what the file holds (`described`: the statuses and
    filters as the form words them), how many lines, when and in which layout."""
    yield str(ABOUT_TITLE), None
    yield "", None
    for label, value in described:
        yield capfirst(label), value
    yield _("Lines"), lines
    yield _("Exported"), exported
    yield _("Layout"), f"{dict(LAYOUTS)[layout]}: {LAYOUT_HELP[layout]}"
    yield "", None
    yield str(ABOUT_PEOPLE if layout == PEOPLE else ABOUT_UPLOAD), None
