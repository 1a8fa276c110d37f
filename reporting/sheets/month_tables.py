"""A month's tables as XLSX, headers in the reader's language: the sector and sub-sector
figures with their sum, people assisted and CBI; the department table; and the completeness
grid of the sectors the reader reviews. The figures are the situation report's
(numbers/aggregation.py), so they count approved data only.
"""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reporting.models import ReportingPeriod, Sector, parse_month
from reporting.numbers.aggregation import month_figures
from reporting.numbers.completeness import period_completeness

from .columns import neutralise
from .exports import NOT_A_MONTH

SUMMARY_KINDS = ("sectors", "departments", "completeness")
NO_PERIOD = gettext_lazy("There is no reporting period for %(month)s.")
NO_PERIOD_YET = gettext_lazy("No reporting period has been opened yet. The IM team opens one each month.")
COMPLETENESS_FORBIDDEN = gettext_lazy(
    "Only sector coordinators and the IM team see reporting completeness."
)



def period_from_param(value: str | None) -> ReportingPeriod:
    """Return the period named YYYY-MM by `value`, or the current one when it is empty; raise
    ValueError (malformed) or ReportingPeriod.DoesNotExist (no such period) with a message."""
    value = (value or "").strip()
    if not value:
        period = ReportingPeriod.objects.current()
        if period is None:
            raise ReportingPeriod.DoesNotExist(str(NO_PERIOD_YET))
        return period
    month = parse_month(value)
    if month is None:
        raise ValueError(NOT_A_MONTH % {"value": value})
    period = ReportingPeriod.objects.filter(month=month).first()
    if period is None:
        raise ReportingPeriod.DoesNotExist(NO_PERIOD % {"month": date_format(month, "F Y")})
    return period


def summary_filename(kind: str, period: ReportingPeriod) -> str:
    return f"gtrm-{kind}-{period.code}.xlsx"


def summary_workbook(kind: str, period: ReportingPeriod, user) -> bytes:
    """Return the XLSX of one of a month's tables, headers in the active language: `sectors`
    (sector and sub-sector figures, their sum, people assisted and CBI), `departments`, or
    `completeness` (the grid of the sectors `user` reviews; PermissionDenied for others)."""
    if kind not in SUMMARY_KINDS:
        raise ValueError(kind)
    if kind == "completeness" and not getattr(user, "may_use_admin", False):
        raise PermissionDenied(COMPLETENESS_FORBIDDEN)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = period.code
    if kind == "sectors":
        _sectors_sheet(sheet, period)
    elif kind == "departments":
        _departments_sheet(sheet, period)
    else:
        _completeness_sheet(sheet, period, user)
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _text(value) -> str:
    return neutralise(str(value))


def _month_headers() -> list[str]:
    return [_("Month"), _("Year to date")]


def _sectors_sheet(sheet, period: ReportingPeriod) -> None:
    figures = month_figures(period.month)
    sheet.append([_("Code"), _("Sector"), _("Parent sector"), *_month_headers()])
    children: dict[str, list] = {}
    for figure in figures.subsectors:
        children.setdefault(figure.parent, []).append(figure)
    for figure in figures.sectors:
        sheet.append([_text(figure.code), _text(figure.name), None, figure.month, figure.ytd])
        for child in children.get(figure.code, ()):
            sheet.append([_text(child.code), _text(child.name), _text(figure.code), child.month,
                          child.ytd])
    sheet.append([])
    sheet.append([None, _("Sum of sectors"), None, figures.sum_of_sectors_month,
                  figures.sum_of_sectors_ytd])
    sheet.append([None, _("People assisted directly"), None, figures.people_assisted_month,
                  figures.people_assisted_ytd])
    sheet.append([None, _("Cash and voucher assistance (CBI)"), None, figures.cbi_month,
                  figures.cbi_ytd])
    _widths(sheet, [10, 40, 14, 12, 14])


def _departments_sheet(sheet, period: ReportingPeriod) -> None:
    figures = month_figures(period.month)
    sheet.append([_("Code"), _("Department"), *_month_headers()])
    for area in figures.departments:
        sheet.append([_text(area.code), _text(area.name), area.month, area.ytd])
    sheet.append([None, _("Total"), sum(a.month for a in figures.departments),
                  sum(a.ytd for a in figures.departments)])
    _widths(sheet, [8, 28, 12, 14])


def _completeness_sheet(sheet, period: ReportingPeriod, user) -> None:
    grid = period_completeness(period=period, sectors=list(Sector.objects.reviewable_by(user)))
    sheet.append([_("Organisation"), *(_text(c.sector.name) for c in grid.columns),
                  _("Reported"), _("Expected"), _("Reporting rate"), _("On-time rate")])
    not_registered = _("not registered")
    for row in grid.rows:
        cells = []
        for cell in row.cells:
            if cell is None:
                cells.append(None)
            elif cell.expected:
                cells.append(str(cell.label))
            else:
                cells.append(f"{cell.label} ({not_registered})")
        sheet.append([_text(row.organisation), *cells, row.tally.reported, row.tally.expected,
                      _rate(row.tally.reporting_rate), _rate(row.tally.on_time_rate)])
    width = len(grid.columns)
    sheet.append([])
    sheet.append([_("Reported"), *(c.tally.reported for c in grid.columns),
                  grid.overall.reported])
    sheet.append([_("Expected"), *(c.tally.expected for c in grid.columns),
                  None, grid.overall.expected])
    sheet.append([_("Reporting rate"), *(_rate(c.tally.reporting_rate) for c in grid.columns),
                  None, None, _rate(grid.overall.reporting_rate)])
    sheet.append([_("On-time rate"), *(_rate(c.tally.on_time_rate) for c in grid.columns),
                  None, None, None, _rate(grid.overall.on_time_rate)])
    first_data, last = 2, sheet.max_row
    for row in sheet.iter_rows(min_row=first_data, max_row=last):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0%"
    _widths(sheet, [34, *([16] * width), 10, 10, 14, 14])


def _rate(percent: int | None) -> float | None:
    """A rate as the spreadsheet's fraction (75 % is 0.75), shown with a % format."""
    return None if percent is None else percent / 100


def _widths(sheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
