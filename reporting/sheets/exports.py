"""Exports: activity lines as CSV and XLSX in the template's columns (DESIGN §5), and a month's
sector totals, department table and completeness grid as XLSX.

Who may export which lines is decided here, in the query (DESIGN §2): partners their own
organisation's lines in every status, coordinators those of the reports they review,
IM officers all, everyone else nothing (`lines_visible_to`).

A million lines must not cost a million model instances: rows come from `values_list()` through
a chunked iterator (a server-side cursor on PostgreSQL), the CSV is yielded in blocks of rows
for a streaming response, and the XLSX is written by openpyxl's write-only workbook into a
temporary file that the response then streams. Memory stays flat whatever the number of rows.

Every text cell goes through `columns.neutralise()` (OWASP's rule against formula
injection); numbers are written as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from django import forms
from django.conf import settings
from django.core import validators
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from partners.models import Organisation
from reporting.models import (
    ActivityLine,
    Indicator,
    Location,
    LocationLevel,
    MonthlyReport,
    ReportingPeriod,
    ReportStatus,
    Sector,
    normalise_ubigeo,
    parse_month,
)
from reporting.numbers.aggregation import month_figures
from reporting.numbers.completeness import period_completeness

from .columns import COLUMNS, HEADERS, HXL_TAGS, Kind, neutralise

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINE_FORMATS = ("csv", "xlsx")
SUMMARY_KINDS = ("sectors", "departments", "completeness")
LINES_SHEET = "Activities"
# A worksheet holds 1,048,576 rows (the header and the HXL row take two), but a workbook is
# assembled before it is sent, at about 7,000 rows a second: above EXPORT_XLSX_MAX_LINES
# (150,000 by default, some 20 s) the page offers the CSV, which streams at any size.
XLSX_MAX_LINES = min(settings.EXPORT_XLSX_MAX_LINES, 1_048_576 - 2)

# Rows fetched from the database at a time, and CSV rows yielded to the response at a time.
CHUNK_SIZE = 2000
CSV_ROWS_PER_BLOCK = 500

# The values of one line as the database holds them: the month and the line's own columns,
# reference data by id (mapped to codes in Python: joining seven tables per row in SQL would
# cost more than the whole rest of the export).
LINE_FIELDS = (
    "report__period__month", "report__organisation_id", "implementing_partner_id",
    "report__sector_id", "indicator_id", "department_id", "location_id", "population_type",
    "modality", "girls", "boys", "women", "men", "other_under_18", "other_adults",
    "other_unknown_age", "new_beneficiaries", "total_monthly", "quantity", "cash_usd",
    "rmrp_activity", "delivery_mechanism", "activity_name", "description",
)
# Each report's lines together, reports in the order they were started (so, roughly, month by
# month), lines in the order they were entered: the report-id index gives this order without
# sorting the whole export.
LINE_ORDER = ("report_id", "pk")
TEXT_POSITIONS = tuple(
    i for i, column in enumerate(COLUMNS) if column.kind not in (Kind.COUNT, Kind.MONEY)
)

MONTH_FORMAT = "%Y-%m"
NOT_A_MONTH = gettext_lazy("“%(value)s” is not a month: write it as YYYY-MM, for example 2023-09.")
NO_SUCH_SECTOR = gettext_lazy("There is no sector with the code “%(code)s”.")
NO_SUCH_DEPARTMENT = gettext_lazy("There is no department with the code “%(code)s”.")
NO_SUCH_ORGANISATION = gettext_lazy("There is no organisation with the acronym “%(code)s”.")
NO_SUCH_STATUS = gettext_lazy("“%(value)s” is not a report status.")
MONTHS_REVERSED = gettext_lazy("The first month comes after the last one.")
NO_PERIOD = gettext_lazy("There is no reporting period for %(month)s.")
NO_PERIOD_YET = gettext_lazy("No reporting period has been opened yet. The IM team opens one each month.")
TOO_MANY_FOR_XLSX = gettext_lazy(
    "These filters select %(count)s lines, more than a workbook export holds (%(limit)s "
    "rows): download them as CSV, which has no limit, or narrow the filters."
)
COMPLETENESS_FORBIDDEN = gettext_lazy(
    "Only sector coordinators and the IM team see reporting completeness."
)


# --------------------------------------------------------------------------------------------
# Which lines
# --------------------------------------------------------------------------------------------

def lines_visible_to(user) -> QuerySet:
    """Return the lines `user` may export: those of the reports `user` may see."""
    if user.is_authenticated and user.is_im_officer:
        return ActivityLine.objects.all()  # every report, without a needless subquery
    return ActivityLine.objects.filter(report__in=MonthlyReport.objects.visible_to(user))


class CodeField(forms.ChoiceField):
    """A drop-down list on the page that also takes a code written by hand in the URL; the
    form's clean_<name> resolves the code tolerantly, so the list is only queried to render."""

    default_validators = [validators.ProhibitNullCharactersValidator()]

    def validate(self, value):
        forms.Field.validate(self, value)


def _month_choices():
    return [("", "—"), *((p.code, str(p)) for p in ReportingPeriod.objects.order_by("-month"))]


def _sector_choices():
    sectors = list(Sector.objects.select_related("parent"))
    choices = [("", _("All sectors"))]
    for sector in sectors:
        if sector.parent_id is None:
            choices.append((sector.code, sector.name))
            choices.extend((child.code, f"\u2003{child.name}")
                           for child in sectors if child.parent_id == sector.pk)
    return choices


def _department_choices():
    return [("", _("All departments")),
            *((d.code, d.name) for d in Location.objects.departments().order_by("name"))]


def _organisation_choices():
    return [("", _("All organisations")),
            *((o.acronym, str(o)) for o in Organisation.objects.order_by("short_name"))]


def _parse_month(value: str) -> dt.date:
    month = parse_month(value)
    if month is None:
        raise forms.ValidationError(NOT_A_MONTH, params={"value": value})
    return month


class LineFilterForm(forms.Form):
    """The filters of a line export, as query parameters: codes, never ids."""

    period_from = CodeField(label=gettext_lazy("From"), required=False, choices=_month_choices)
    period_to = CodeField(label=gettext_lazy("To"), required=False, choices=_month_choices)
    sector = CodeField(label=gettext_lazy("Sector"), required=False, choices=_sector_choices)
    department = CodeField(label=gettext_lazy("Department"), required=False,
                           choices=_department_choices)
    organisation = CodeField(label=gettext_lazy("Organisation"), required=False,
                             choices=_organisation_choices)
    status = CodeField(label=gettext_lazy("Status"), required=False,
                       choices=[("", gettext_lazy("All statuses")), *ReportStatus.choices])
    hxl = forms.BooleanField(label=gettext_lazy("With the HXL row"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_authenticated and user.is_partner_user:
            # A partner's export is their organisation's; the filter would only offer one.
            del self.fields["organisation"]

    def clean_hxl(self) -> bool:
        # A checkbox reads any non-empty value as ticked; a URL written by hand may say hxl=0.
        return str(self.data.get("hxl", "")).strip().lower() in ("1", "true", "on", "yes")

    def clean_period_from(self) -> dt.date | None:
        value = self.cleaned_data["period_from"]
        return _parse_month(value) if value else None

    def clean_period_to(self) -> dt.date | None:
        value = self.cleaned_data["period_to"]
        return _parse_month(value) if value else None

    def clean_sector(self) -> Sector | None:
        code = self.cleaned_data["sector"].strip()
        if not code:
            return None
        sector = Sector.objects.filter(code__iexact=code).first()
        if sector is None:
            raise forms.ValidationError(NO_SUCH_SECTOR, params={"code": code})
        return sector

    def clean_department(self) -> Location | None:
        code = self.cleaned_data["department"].strip()
        if not code:
            return None
        department = Location.objects.departments().filter(code=normalise_ubigeo(code)).first()
        if department is None:
            raise forms.ValidationError(NO_SUCH_DEPARTMENT, params={"code": code})
        return department

    def clean_organisation(self) -> Organisation | None:
        code = self.cleaned_data["organisation"].strip()
        if not code:
            return None
        organisation = Organisation.objects.filter(acronym__iexact=code).first()
        if organisation is None:
            raise forms.ValidationError(NO_SUCH_ORGANISATION, params={"code": code})
        return organisation

    def clean_status(self) -> str:
        value = self.cleaned_data["status"].strip().lower()
        if value and value not in ReportStatus.values:
            raise forms.ValidationError(NO_SUCH_STATUS, params={"value": value})
        return value

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("period_from"), cleaned.get("period_to")
        if first and last and first > last:
            self.add_error("period_to", MONTHS_REVERSED)
        return cleaned

    def filter(self, lines: QuerySet) -> QuerySet:
        """Return `lines` narrowed by the (valid) filters."""
        data = self.cleaned_data
        if data["period_from"]:
            lines = lines.filter(report__period__month__gte=data["period_from"])
        if data["period_to"]:
            lines = lines.filter(report__period__month__lte=data["period_to"])
        if data["sector"]:
            # A top-level sector's reports hold its sub-sectors' lines; a sub-sector is known
            # by its indicators.
            sector = data["sector"]
            lines = lines.filter(Q(report__sector_id=sector.pk) | Q(indicator__sector_id=sector.pk))
        if data["department"]:
            lines = lines.filter(department_id=data["department"].pk)
        if data.get("organisation"):
            lines = lines.filter(report__organisation_id=data["organisation"].pk)
        if data["status"]:
            lines = lines.filter(report__status=data["status"])
        return lines

    def filename(self, fmt: str) -> str:
        """Return the download's name, after the months it covers."""
        first, last = self.cleaned_data["period_from"], self.cleaned_data["period_to"]
        if first and last:
            months = first.strftime(MONTH_FORMAT) if first == last else \
                f"{first:{MONTH_FORMAT}}_{last:{MONTH_FORMAT}}"
        elif first:
            months = f"from-{first:{MONTH_FORMAT}}"
        elif last:
            months = f"to-{last:{MONTH_FORMAT}}"
        else:
            months = "all"
        return f"gtrm-activities-{months}.{fmt}"


# --------------------------------------------------------------------------------------------
# The lines, as rows of the template
# --------------------------------------------------------------------------------------------

class _Codes:
    """The codes a row shows for the reference data its line points to, neutralised once."""

    def __init__(self, using: str):
        def codes(model, field="code") -> dict:
            return {pk: neutralise(code)
                    for pk, code in model.objects.using(using).values_list("pk", field)}

        self.organisations = codes(Organisation, "acronym")
        self.organisations[None] = None
        self.sectors = codes(Sector)
        self.indicators = codes(Indicator)
        # location id -> (its code, the province column, the district column)
        self.places: dict[int, tuple[str, str | None, str | None]] = {}
        for pk, code, level in Location.objects.using(using).values_list("pk", "code", "level"):
            if level == LocationLevel.DISTRICT:
                columns = (code[:4], code)
            elif level == LocationLevel.PROVINCE:
                columns = (code, None)
            else:
                columns = (None, None)
            self.places[pk] = tuple(neutralise(value) for value in (code, *columns))


def line_rows(lines: QuerySet) -> Iterator[list]:
    """Yield one list per line in the order of columns.COLUMNS, text neutralised, counts as
    ints, cash as a Decimal, None for an empty cell; no model instance is built."""
    rows = iter(lines.order_by(*LINE_ORDER).values_list(*LINE_FIELDS)
                .iterator(chunk_size=CHUNK_SIZE))
    first = next(rows, None)
    if first is None:
        return
    # Read once the lines' query has run, so that every organisation or place a line names
    # is there (none can be deleted while a line points to it).
    codes = _Codes(lines.db)
    organisations, sectors, indicators, places = (
        codes.organisations, codes.sectors, codes.indicators, codes.places)
    months: dict[dt.date, str] = {}
    for (month, organisation, partner, sector, indicator, department, location,
         population_type, modality, girls, boys, women, men, other_young, other_adult,
         other_unknown, new, total, quantity, cash, rmrp, mechanism, activity_name,
         description) in itertools.chain((first,), rows):
        label = months.get(month)
        if label is None:
            label = months[month] = month.strftime(MONTH_FORMAT)
        _, province, district = places[location]
        yield [
            label, organisations[organisation], organisations[partner], sectors[sector],
            indicators[indicator], places[department][0], province, district,
            population_type, modality, girls, boys, women, men, other_young, other_adult,
            other_unknown, new, total, quantity, cash, "yes" if rmrp else "no",
            mechanism or None, neutralise(activity_name) or None, neutralise(description) or None,
        ]


def lines_csv(lines: QuerySet, *, hxl: bool) -> Iterator[str]:
    """Yield the CSV of `lines` in blocks of rows, for a StreamingHttpResponse: UTF-8 with a
    byte-order mark so that Excel reads the accents, comma-separated, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(HEADERS)
    if hxl:
        writer.writerow(HXL_TAGS)
    for number, row in enumerate(line_rows(lines), start=1):
        writer.writerow(row)
        if number % CSV_ROWS_PER_BLOCK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _safe_text(value):
    """Return `value` writable in an XLSX cell: control characters XML cannot hold removed
    (then neutralised again, as removing them may uncover a formula)."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


# Widths of the activity sheet's columns, in characters.
COLUMN_WIDTHS = {"Month": 9, "Organisation": 14, "Implementing partner": 14, "Indicator": 12,
                 "Description": 40}


def lines_xlsx(lines: QuerySet, *, hxl: bool) -> IO[bytes]:
    """Return a temporary file, at its start, holding the XLSX of `lines`: one sheet, the
    header row, the HXL row if asked, then a row per line. The file is deleted when closed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(LINES_SHEET)
    for index, header in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(
            header, max(8, len(header) + 2))
    sheet.freeze_panes = "A3" if hxl else "A2"
    sheet.append(_bold_row(sheet, HEADERS))
    if hxl:
        sheet.append(list(HXL_TAGS))
    text_positions = TEXT_POSITIONS
    for row in line_rows(lines):
        for i in text_positions:
            row[i] = _safe_text(row[i])
        sheet.append(row)
    # Handed to the response, which closes (and so deletes) it once sent.
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        workbook.save(output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output


def _bold_row(sheet, values: Iterable) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


# --------------------------------------------------------------------------------------------
# A month's summary tables
# --------------------------------------------------------------------------------------------

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
