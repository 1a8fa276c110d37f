"""Exports of activity lines as CSV and XLSX, in two layouts (export_layouts.py): for people,
with the report's status, its approval day and names beside the codes; and for re-upload, in
the template's columns (DESIGN §5). Lines of approved reports unless another status is asked
for. A month's tables are month_tables.py.

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
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from django import forms
from django.conf import settings
from django.core import validators
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gtrm.collation import spanish
from partners.models import Organisation
from reporting.languages import spanish_or_english
from reporting.models import (
    ActivityLine,
    DeliveryMechanism,
    Indicator,
    Location,
    LocationLevel,
    Modality,
    PopulationType,
    ReportingPeriod,
    ReportStatus,
    Sector,
    normalise_ubigeo,
    parse_month,
)

from .columns import COLUMNS, neutralise
from .export_layouts import (
    ABOUT_SHEET,
    LAYOUTS,
    LINES_SHEET_FOR_PEOPLE,
    NAMED,
    PEOPLE,
    UPLOAD,
    ExportColumn,
    about_rows,
    people_columns,
    upload_columns,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINE_FORMATS = ("csv", "xlsx")
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
# The report's status and when it was last reviewed (approved, when it is approved).
REPORT_FIELDS = ("report__status", "report__reviewed_at")

MONTH_FORMAT = "%Y-%m"
NOT_A_MONTH = gettext_lazy("“%(value)s” is not a month: write it as YYYY-MM, for example 2023-09.")
NO_SUCH_SECTOR = gettext_lazy("There is no sector with the code “%(code)s”.")
NO_SUCH_DEPARTMENT = gettext_lazy("There is no department with the code “%(code)s”.")
NO_SUCH_ORGANISATION = gettext_lazy("There is no organisation with the acronym “%(code)s”.")
NO_SUCH_STATUS = gettext_lazy("“%(value)s” is not a report status.")
NO_SUCH_LAYOUT = gettext_lazy("“%(value)s” is not a layout of the export: “people” or “upload”.")
EVERY_STATUS = "all"
APPROVED_ONLY_TEXT = gettext_lazy(
    "Lines of approved reports only: the lines that published figures count.")
EVERY_STATUS_TEXT = gettext_lazy(
    "Lines of reports in every status: draft, submitted, returned, approved and reopened. Only "
    "the approved ones count in published figures: filter or pivot on the report's status.")
ONE_STATUS_TEXT = gettext_lazy(
    "Lines of reports in the status “%(status)s” only. They are not approved: no published "
    "figure counts them.")
MONTHS_REVERSED = gettext_lazy("The first month comes after the last one.")
TOO_MANY_FOR_XLSX = gettext_lazy(
    "These filters select %(count)s lines, more than a workbook export holds (%(limit)s "
    "rows): download them as CSV, which has no limit, or narrow the filters."
)


# --------------------------------------------------------------------------------------------
# Which lines
# --------------------------------------------------------------------------------------------

def lines_visible_to(user) -> QuerySet:
    """Return the lines `user` may export: those of the reports `user` may see."""
    return ActivityLine.objects.visible_to(user)


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
            *((d.code, d.name) for d in Location.objects.departments().order_by(spanish("name")))]


def _organisation_choices():
    return [("", _("All organisations")),
            *((o.acronym, str(o)) for o in Organisation.objects.order_by(spanish("short_name")))]


def _status_choices():
    # Approved first: the default, and the only lines that published figures count.
    return [(ReportStatus.APPROVED, ReportStatus.APPROVED.label),
            (EVERY_STATUS, _("All statuses")),
            *(choice for choice in ReportStatus.choices if choice[0] != ReportStatus.APPROVED)]


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
    status = CodeField(label=gettext_lazy("Status"), required=False, choices=_status_choices)
    layout = CodeField(label=gettext_lazy("Columns"), required=False, choices=LAYOUTS)
    hxl = forms.BooleanField(label=gettext_lazy("With the HXL row"), required=False)

    def __init__(self, data=None, *args, user, **kwargs):
        if data is not None:
            # What the page shows selected, and what the file holds, when nothing is asked:
            # approved lines, the only ones published figures count, for people.
            data = data.copy()
            for name, default in (("status", ReportStatus.APPROVED), ("layout", PEOPLE)):
                if not data.get(name):
                    data[name] = default
        super().__init__(data, *args, **kwargs)
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
        value = self.cleaned_data["status"].strip().lower() or ReportStatus.APPROVED
        if value != EVERY_STATUS and value not in ReportStatus.values:
            raise forms.ValidationError(NO_SUCH_STATUS, params={"value": value})
        return value

    def clean_layout(self) -> str:
        value = self.cleaned_data["layout"].strip().lower() or PEOPLE
        if value not in dict(LAYOUTS):
            raise forms.ValidationError(NO_SUCH_LAYOUT, params={"value": value})
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
        if data["status"] != EVERY_STATUS:
            lines = lines.filter(report__status=data["status"])
        return lines

    def statuses_text(self) -> str:
        """Say which reports' lines the (valid) filters export, in the active language."""
        status = self.cleaned_data["status"]
        if status == EVERY_STATUS:
            return str(EVERY_STATUS_TEXT)
        if status == ReportStatus.APPROVED:
            return str(APPROVED_ONLY_TEXT)
        return str(ONE_STATUS_TEXT % {"status": ReportStatus(status).label})

    def described(self) -> list[tuple[str, str]]:
        """Return what the (valid) filters select, as (label, value) pairs for the file."""
        data = self.cleaned_data
        first, last = data["period_from"], data["period_to"]
        if first and first == last:
            months = date_format(first, "F Y").capitalize()
        elif first or last:
            months = " – ".join(
                date_format(month, "F Y").capitalize() if month else "…" for month in (first, last))
        else:
            months = _("All months")
        described = [(_("Statuses"), self.statuses_text()), (_("Months"), months)]
        for name, everything in (("sector", _("All sectors")),
                                 ("department", _("All departments")),
                                 ("organisation", _("All organisations"))):
            if name in self.fields:
                value = data.get(name)
                described.append((str(self.fields[name].label),
                                  str(getattr(value, "name", value)) if value else everything))
        return described

    def filename(self, fmt: str) -> str:
        """Return the download's name, after the months it covers, the statuses it holds and
        its layout."""
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
        status = self.cleaned_data["status"]
        statuses = "all-statuses" if status == EVERY_STATUS else status
        layout = "-for-upload" if self.cleaned_data["layout"] == UPLOAD else ""
        return f"gtrm-activities-{months}-{statuses}{layout}.{fmt}"


# --------------------------------------------------------------------------------------------
# The lines, as rows of the template
# --------------------------------------------------------------------------------------------

class _Codes:
    """The codes a row shows for the reference data its line points to, neutralised once;
    with `names`, each code's name in the active language too (field → code → name)."""

    def __init__(self, using: str, *, names: bool = False):
        self.names: dict[str, dict] = {}

        def codes(model, field="code", name_fields=("name_es", "name_en")) -> dict:
            rows = model.objects.using(using).values_list("pk", field, *name_fields)
            mapped, named = {}, {}
            for pk, code, *name in rows:
                mapped[pk] = code = neutralise(code)
                if names:
                    named[code] = neutralise(spanish_or_english(*name) if len(name) == 2
                                             else name[0])
            return mapped, named

        self.organisations, organisation_names = codes(Organisation, "acronym", ("name",))
        self.organisations[None] = None
        self.sectors, self.names["sector"] = codes(Sector)
        self.indicators, self.names["indicator"] = codes(Indicator)
        self.names["organisation"] = self.names["implementing_partner"] = organisation_names
        self.names["population_type"] = {code: str(label) for code, label in PopulationType.choices}
        self.names["modality"] = {code: str(label) for code, label in Modality.choices}
        self.names["delivery_mechanism"] = {
            code: str(label) for code, label in DeliveryMechanism.choices}
        # location id -> (its code, the province column, the district column)
        self.places: dict[int, tuple[str, str | None, str | None]] = {}
        place_names = {}
        for pk, code, level, name in Location.objects.using(using).values_list(
                "pk", "code", "level", "name"):
            if level == LocationLevel.DISTRICT:
                columns = (code[:4], code)
            elif level == LocationLevel.PROVINCE:
                columns = (code, None)
            else:
                columns = (None, None)
            self.places[pk] = tuple(neutralise(value) for value in (code, *columns))
            if names:
                place_names[neutralise(code)] = neutralise(name)
        self.names["department"] = self.names["province"] = self.names["district"] = place_names


def line_rows(lines: QuerySet, *, layout: str = UPLOAD) -> Iterator[list]:
    """Yield one list per line in the order of the layout's columns (`export_columns`), text
    neutralised, counts as ints, cash as a Decimal, the approval day as a date, None for an
    empty cell; no model instance is built."""
    rows = iter(lines.order_by(*LINE_ORDER).values_list(*LINE_FIELDS, *REPORT_FIELDS)
                .iterator(chunk_size=CHUNK_SIZE))
    first = next(rows, None)
    if first is None:
        return
    # Read once the lines' query has run, so that every organisation or place a line names
    # is there (none can be deleted while a line points to it).
    codes = _Codes(lines.db, names=layout == PEOPLE)
    organisations, sectors, indicators, places = (
        codes.organisations, codes.sectors, codes.indicators, codes.places)
    for_people = _people_row(codes) if layout == PEOPLE else None
    months: dict[dt.date, str] = {}
    for (month, organisation, partner, sector, indicator, department, location,
         population_type, modality, girls, boys, women, men, other_young, other_adult,
         other_unknown, new, total, quantity, cash, rmrp, mechanism, activity_name,
         description, status, reviewed_at) in itertools.chain((first,), rows):
        label = months.get(month)
        if label is None:
            label = months[month] = month.strftime(MONTH_FORMAT)
        _, province, district = places[location]
        row = [
            label, organisations[organisation], organisations[partner], sectors[sector],
            indicators[indicator], places[department][0], province, district,
            population_type, modality, girls, boys, women, men, other_young, other_adult,
            other_unknown, new, total, quantity, cash, "yes" if rmrp else "no",
            mechanism or None, neutralise(activity_name) or None, neutralise(description) or None,
        ]
        yield row if for_people is None else for_people(row, status, reviewed_at)


def _people_row(codes: _Codes):
    """Return a function turning a row of the contract, and its report's status and review
    time, into the row of the people's layout (`export_layouts.people_columns`)."""
    statuses = {value: neutralise(capfirst(str(label))) for value, label in ReportStatus.choices}
    days: dict[dt.datetime, dt.date] = {}
    # The contract's columns after the month in segments: a run of columns copied as they
    # are (names None), or one code followed by its name.
    segments: list[tuple[int, int, dict | None]] = []
    for position, column in enumerate(COLUMNS[1:], start=1):
        if column.field in NAMED:
            segments.append((position, position + 1, codes.names.get(column.field, {})))
        elif segments and segments[-1][2] is None and segments[-1][1] == position:
            segments[-1] = (segments[-1][0], position + 1, None)
        else:
            segments.append((position, position + 1, None))

    def build(row: list, status: str, reviewed_at: dt.datetime | None) -> list:
        approved = None
        if status == ReportStatus.APPROVED and reviewed_at is not None:
            approved = days.get(reviewed_at)
            if approved is None:
                approved = days[reviewed_at] = timezone.localtime(reviewed_at).date()
        out = [row[0], statuses[status], approved]
        for start, stop, names in segments:
            if names is None:
                out += row[start:stop]
            else:
                value = row[start]
                out.append(value)
                out.append(names.get(value))  # an empty cell's None has no name
        return out

    return build


def export_columns(layout: str) -> tuple[ExportColumn, ...]:
    """Return the columns of a layout, headers in the active language for people."""
    return people_columns() if layout == PEOPLE else upload_columns()


def lines_csv(lines: QuerySet, *, hxl: bool, layout: str = UPLOAD) -> Iterator[str]:
    """Return the CSV of `lines` as blocks of rows, for a StreamingHttpResponse: UTF-8 with a
    byte-order mark so that Excel reads the accents, comma-separated, CRLF line ends; headers
    and names in the language active now (the blocks are written after the view returns)."""
    return _csv_blocks(lines, hxl=hxl, layout=layout, language=translation.get_language())


def _csv_blocks(lines: QuerySet, *, hxl: bool, layout: str, language: str | None) -> Iterator[str]:
    with translation.override(language):
        yield from _csv_rows(lines, hxl=hxl, layout=layout)


def _csv_rows(lines: QuerySet, *, hxl: bool, layout: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    columns = export_columns(layout)
    writer.writerow([column.header for column in columns])
    if hxl:
        writer.writerow([column.hxl for column in columns])
    for number, row in enumerate(line_rows(lines, layout=layout), start=1):
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


# Widths of the activity sheet's columns, in characters, by where their values come from;
# others as wide as their header.
COLUMN_WIDTHS = {"month": 9, "organisation": 14, "implementing_partner": 14, "indicator": 12,
                 "description": 40, "status": 12, "approved": 12, "organisation:name": 32,
                 "implementing_partner:name": 32, "sector:name": 24, "indicator:name": 48,
                 "department:name": 16, "province:name": 16, "district:name": 20}


def lines_xlsx(lines: QuerySet, *, hxl: bool, layout: str = UPLOAD,
               described: Sequence[tuple[str, str]] | None = None) -> IO[bytes]:
    """Return a temporary file, at its start, holding the XLSX of `lines`: a sheet with the
    header row, the HXL row if asked, then a row per line; with `described` (what the filters
    select, `LineFilterForm.described`), an About sheet too, first for people, last in a file
    for re-upload. The file is deleted when closed."""
    workbook = Workbook(write_only=True)
    about = workbook.create_sheet(str(ABOUT_SHEET)) if described and layout == PEOPLE else None
    sheet = workbook.create_sheet(str(LINES_SHEET_FOR_PEOPLE) if layout == PEOPLE
                                  else LINES_SHEET)
    columns = export_columns(layout)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(
            column.source, min(24, max(8, len(column.header) + 2)))
    sheet.freeze_panes = "A3" if hxl else "A2"
    sheet.append(_bold_row(sheet, [column.header for column in columns]))
    if hxl:
        sheet.append([column.hxl for column in columns])
    text_positions = [i for i, column in enumerate(columns) if not column.is_number]
    count = 0
    for count, row in enumerate(line_rows(lines, layout=layout), start=1):  # noqa: B007
        for i in text_positions:
            row[i] = _safe_text(row[i])
        sheet.append(row)
    if described:
        if about is None:
            about = workbook.create_sheet(str(ABOUT_SHEET))
        _about_sheet(about, layout=layout, described=described, lines=count)
    # Handed to the response, which closes (and so deletes) it once sent.
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        workbook.save(output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output


def _about_sheet(sheet, *, layout: str, described: Sequence[tuple[str, str]], lines: int) -> None:
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 90
    exported = date_format(timezone.localtime(), "DATETIME_FORMAT")
    for number, (label, value) in enumerate(about_rows(
            layout=layout, described=described, lines=lines, exported=exported)):
        label, value = _safe_text(neutralise(label)), _safe_text(neutralise(value))
        sheet.append(_bold_row(sheet, [label]) if number == 0 else [label, value])


def _bold_row(sheet, values: Iterable) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells
