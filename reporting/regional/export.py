"""The regional 5W (DESIGN §6): our lines of a range of months as R4V's template's rows.

One row per month × organisation × implementing partner × department × province × indicator ×
modality and delivery mechanism × RMRP flag × activity name and description; the five
population types pivoted into their columns, every other figure summed. The database groups and
sums (one query, read with an iterator), so the export streams whatever the number of lines.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from django.db.models import Case, CharField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from gtrm.cells import neutralise
from gtrm.xlsx_stream import StreamedWorkbook
from reporting.models import (
    CASH_MODALITIES,
    R4V_DELIVERY_MECHANISMS,
    SEX_AND_AGE_FIELDS,
    ActivityLine,
    IndicatorType,
    IndicatorUnit,
    LocationLevel,
    ReportStatus,
)
from reporting.regional import columns as c
from reporting.regional.rules import Flag, Row, counts_new_people, flags

COUNTRY_NAME = "Peru"


def _r4v(prefix: str, fallback: str) -> Coalesce:
    """The R4V name in SQL: the regional name when set, else `fallback` (as `r4v_name` does)."""
    return Coalesce(NullIf(F(f"{prefix}regional_name"), Value("")), F(f"{prefix}{fallback}"))


KEYS = {
    "k_month": F("report__period__month"),
    "k_organisation_id": F("report__organisation_id"),
    "k_organisation": _r4v("report__organisation__", "name"),
    "k_partner_id": F("implementing_partner_id"),
    "k_partner": _r4v("implementing_partner__", "name"),
    "k_admin1": _r4v("department__", "name"),
    "k_admin2": Case(
        When(location__level=LocationLevel.PROVINCE, then=F("location__name")),
        When(location__parent__level=LocationLevel.PROVINCE, then=F("location__parent__name")),
        default=Value(""), output_field=CharField()),
    "k_sector": _r4v("report__sector__", "name_en"),
    "k_sector_id": F("report__sector_id"),
    "k_indicator": _r4v("indicator__", "name_en"),
    "k_indicator_type": F("indicator__type"),
    "k_unit": F("indicator__unit"),
    "k_activity": F("activity_name"),
    "k_description": F("description"),
    "k_rmrp": F("rmrp_activity"),
    "k_modality": F("modality"),
    "k_mechanism": F("delivery_mechanism"),
}
SUMS = {
    "new": Sum("new_beneficiaries"),
    "total": Sum("total_monthly"),
    "qty": Sum("quantity"),
    "usd": Sum("cash_usd"),
    **{f"sa_{name}": Sum(name) for name in SEX_AND_AGE_FIELDS},
    **{f"pop_{p}": Sum("new_beneficiaries", filter=Q(population_type=p))
       for p in c.POPULATION_COLUMNS},
}


def export_lines(first: dt.date, last: dt.date, *, preview: bool = False) -> QuerySet:
    """Return the lines of months `first`..`last`: approved ones, or every status in preview."""
    lines = ActivityLine.objects.filter(report__period__month__gte=first.replace(day=1),
                                        report__period__month__lte=last.replace(day=1))
    return lines if preview else lines.filter(report__status=ReportStatus.APPROVED)


def grouped(lines: QuerySet) -> QuerySet:
    """Return the export's rows as dicts: one grouped query, in a stable order."""
    return (lines.order_by().values(**KEYS).annotate(**SUMS)
            .order_by("k_month", "k_organisation", "k_partner", "k_admin1", "k_admin2", "k_sector",
                      "k_indicator", "k_modality", "k_mechanism", "k_rmrp", "k_activity",
                      "k_description"))


@dataclass
class ExportRow:
    """One row of the 5W: the cells in HEADER's order and the row R4V's checks read."""

    cells: list
    row: Row
    admin1: str
    sector_id: int
    counts: bool  # Direct Assistance and an RMRP activity: R4V counts its people


def to_row(data: dict) -> ExportRow:
    """Turn one grouped row into the 5W's cells, mapping figures as `rules.row_of_line` does."""
    kind = data["k_indicator_type"]
    measures_people = data["k_unit"] == IndicatorUnit.PEOPLE
    people = counts_new_people(kind)
    new = int(data["new"] or 0) if people else None
    total = int(data["total"] or 0) if measures_people else None
    population = {p: int(data[f"pop_{p}"] or 0) for p in c.POPULATION_COLUMNS
                  if data[f"pop_{p}"] is not None} if people else {}
    sex_and_age = {n: int(data[f"sa_{n}"] or 0) for n in SEX_AND_AGE_FIELDS} if people else {}
    cva = data["k_modality"] in CASH_MODALITIES
    usd = data["usd"] if cva else None
    mechanism = R4V_DELIVERY_MECHANISMS.get(data["k_mechanism"], "") if cva else ""
    qty = data["qty"]
    row = Row(indicator_type=kind, new_beneficiaries=new, total_monthly=total,
              population=population, sex_and_age=sex_and_age, quantity=qty, cva=cva,
              value_usd=usd, delivery_mechanism=mechanism)
    partner_id = data["k_partner_id"]
    set_up = partner_id is not None and partner_id != data["k_organisation_id"]

    def blank(value):
        return "" if value is None else value

    cells = [
        COUNTRY_NAME, data["k_admin1"], data["k_admin2"], data["k_organisation"],
        "Yes" if set_up else "No",
        data["k_partner"] if set_up else data["k_organisation"],
        data["k_month"].strftime("%Y-%m"), data["k_sector"], data["k_indicator"],
        data["k_activity"], data["k_description"], "Yes" if data["k_rmrp"] else "No",
        "Yes" if cva else "No", blank(usd), mechanism, blank(qty), blank(total), blank(new),
        *(blank(population.get(p)) if people else "" for p in c.POPULATION_COLUMNS),
        *(blank(sex_and_age.get(n)) if people else "" for n in SEX_AND_AGE_FIELDS),
    ]
    return ExportRow(cells=cells, row=row, admin1=data["k_admin1"], sector_id=data["k_sector_id"],
                     counts=kind == IndicatorType.DIRECT_ASSISTANCE and bool(data["k_rmrp"]))


@dataclass
class Checks:
    """What R4V's checks find in the export: every flag by row, and the consolidated figure."""

    rows: int = 0
    flagged: list[tuple[int, Flag]] = field(default_factory=list)
    # (Admin1, population type) -> sector id -> new beneficiaries of the counted rows.
    cells: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, number: int, export_row: ExportRow) -> None:
        self.rows += 1
        self.flagged.extend((number, flag) for flag in flags(export_row.row))
        if export_row.counts:
            for population, people in export_row.row.population.items():
                self.cells[export_row.admin1, population][export_row.sector_id] += people

    @property
    def consolidated(self) -> int:
        """R4V's figure: per Admin1 × population type the largest sector's new beneficiaries
        over Direct Assistance rows of RMRP activities, summed (DESIGN §6)."""
        return sum(max(sectors.values()) for sectors in self.cells.values() if sectors)


def rows(first: dt.date, last: dt.date, *, preview: bool = False,
         checks: Checks | None = None) -> Iterator[list]:
    """Yield the 5W's data rows (without header), recording each in `checks` if given. The
    first data row is row 2 of the sheet."""
    for number, data in enumerate(grouped(export_lines(first, last, preview=preview))
                                  .iterator(chunk_size=2000), start=2):
        export_row = to_row(data)
        if checks is not None:
            checks.add(number, export_row)
        yield [_safe(value) for value in export_row.cells]


def _safe(value):
    """A text cell a spreadsheet would run as a formula is written as text, and XML's illegal
    control characters are dropped, as in the platform's own exports."""
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def file_name(first: dt.date, last: dt.date, extension: str, *, preview: bool) -> str:
    span = first.strftime("%Y-%m") if first == last else \
        f"{first.strftime('%Y-%m')}_{last.strftime('%Y-%m')}"
    marker = "_PREVIEW-all-statuses" if preview else ""
    return f"5W_R4V_Peru_{span}{marker}.{extension}"


def write_csv(out: IO[str], first: dt.date, last: dt.date, *, preview: bool = False) -> Checks:
    """Write the 5W as CSV (UTF-8 with BOM, as our other CSV exports) to text stream `out`."""
    checks = Checks()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(c.HEADER)
    for cells in rows(first, last, preview=preview, checks=checks):
        writer.writerow(cells)
    return checks


def write_xlsx(path_or_file, first: dt.date, last: dt.date, *, preview: bool = False) -> Checks:
    """Write the 5W as XLSX, streamed row by row (gtrm.xlsx_stream: a year of a million lines is
    too many cells for openpyxl's pace): the 5W sheet, then the check sheet."""
    checks = Checks()
    with StreamedWorkbook(path_or_file) as book:
        with book.sheet(c.SHEET_NAME) as sheet:
            sheet.append(c.HEADER)
            for cells in rows(first, last, preview=preview, checks=checks):
                sheet.append(cells)
        with book.sheet(_("Checks"), header=False) as check_sheet:
            if preview:
                check_sheet.append([_("Preview: lines of every status, not only approved ones.")])
            check_sheet.append([_("Rows"), checks.rows])
            check_sheet.append([_("Flags"), len(checks.flagged)])
            check_sheet.append([_("Consolidated figure R4V will compute"), checks.consolidated])
            check_sheet.append([])
            check_sheet.append([_("Row"), _("Column"), _("Rule"), _("Message")])
            for number, flag in checks.flagged:
                check_sheet.append([number, _safe(flag.column), flag.rule, _safe(flag.message)])
    return checks
