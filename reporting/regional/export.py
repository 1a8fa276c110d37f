"""The regional 5W export (DESIGN §6): our approved lines as R4V's template rows.

One row per month × organisation × implementing partner × department × province × indicator
× modality and delivery mechanism × RMRP flag × activity name and description (and the report's
sector, which is the sector our counting and R4V's consolidated figure use), the population
types of its lines pivoted into the five population columns (of new beneficiaries), every other
figure summed. The database does the grouping: one query returns a row per group and
population type, ordered so that a group's population types come together, and the rows stream
from it — a year of a million lines never sits in memory.

Beside the rows, what R4V's quality rules would flag in each (`rules.flags`) and the
consolidated figure R4V will compute: over Direct Assistance rows that are RMRP activities, per
Admin1 × population type, the largest sector figure of new beneficiaries (summed over the
export's months), summed — for an export from January to month M, our year-to-date people
assisted of M.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.db.models import Case, Count, F, IntegerField, QuerySet, Sum, When
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from gtrm.cells import neutralise
from partners.models import Organisation
from reporting.models import (
    CASH_MODALITIES,
    R4V_DELIVERY_MECHANISMS,
    SEX_AND_AGE_FIELDS,
    ActivityLine,
    Indicator,
    IndicatorType,
    Location,
    LocationLevel,
    Plan,
    ReportStatus,
    Sector,
)

from . import columns as c
from .rules import Flag, Row, counts_new_people, flags

GROUP = ("month", "organisation", "partner", "sector", "admin1", "province", "indicator_pk",
         "modality", "delivery_mechanism", "rmrp_activity", "activity_name", "description")
SUMMED = ("new_beneficiaries", "total_monthly", "quantity", "cash_usd", *SEX_AND_AGE_FIELDS,
          "other_unknown_age")
CHECKS_SHEET = "Checks"


def lines_for(first: dt.date, last: dt.date, *, preview: bool = False) -> QuerySet:
    """Return the lines of the months from `first` to `last`: approved ones, or every status
    for an IM officer's preview."""
    lines = ActivityLine.objects.filter(report__period__month__gte=first.replace(day=1),
                                        report__period__month__lte=last.replace(day=1))
    return lines if preview else lines.filter(report__status=ReportStatus.APPROVED)


def grouped(lines: QuerySet) -> QuerySet:
    """One row per group and population type, summed, in group order (one query)."""
    province = Case(
        When(location__level=LocationLevel.PROVINCE, then=F("location_id")),
        When(location__level=LocationLevel.DISTRICT, then=F("location__parent_id")),
        default=None, output_field=IntegerField(),
    )
    keys = {"month": F("report__period__month"), "organisation": F("report__organisation_id"),
            "partner": F("implementing_partner_id"), "sector": F("report__sector_id"),
            "admin1": F("department_id"), "province": province,
            "indicator_pk": F("indicator_id")}
    plain = ("modality", "delivery_mechanism", "rmrp_activity", "activity_name", "description",
             "population_type")
    return (lines.order_by().values(*plain, **keys)
            .annotate(lines=Count("pk"), **{f"sum_{name}": Sum(name) for name in SUMMED})
            .order_by(*GROUP, "population_type"))


@dataclass
class Names:
    """Everything a row names, read once (small tables) rather than joined per row."""

    organisations: dict[int, str]
    sectors: dict[int, str]
    locations: dict[int, str]
    indicators: dict[int, Indicator]
    plan_of_month: dict[dt.date, int | None] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Names:
        return cls(
            organisations={o.pk: o.r4v_name for o in Organisation.objects.all()},
            sectors={s.pk: s.r4v_name for s in Sector.objects.all()},
            locations={loc.pk: (loc.r4v_name if loc.level == LocationLevel.DEPARTMENT
                                else loc.name)
                       for loc in Location.objects.exclude(level=LocationLevel.DISTRICT)},
            indicators={i.pk: i for i in Indicator.objects.all()},
        )

    def plan(self, month: dt.date) -> int | None:
        if month not in self.plan_of_month:
            plan = Plan.objects.in_force(month)
            self.plan_of_month[month] = plan.pk if plan else None
        return self.plan_of_month[month]


@dataclass
class ExportRow:
    values: list  # the 29 cells, in HEADER's order
    row: Row  # as R4V's checks read it
    month: dt.date
    admin1: str
    sector: str
    flags: list[Flag]


def _blank(value):
    return "" if value is None else value


def _merge(group: list[dict], names: Names) -> ExportRow:
    first = group[0]
    indicator = names.indicators[first["indicator_pk"]]
    people = counts_new_people(indicator)
    sums = {name: sum(g[f"sum_{name}"] or 0 for g in group) for name in SUMMED}
    any_quantity = any(g["sum_quantity"] is not None for g in group)
    population: dict[str, int] = defaultdict(int)
    for g in group:
        population[g["population_type"]] += g["sum_new_beneficiaries"] or 0
    cva = first["modality"] in CASH_MODALITIES
    mechanism = R4V_DELIVERY_MECHANISMS.get(first["delivery_mechanism"], "") if cva else ""
    new = sums["new_beneficiaries"] if people else None
    total = sums["total_monthly"] if indicator.measures_people else None
    sex_and_age = {name: sums[name] for name in SEX_AND_AGE_FIELDS} if people else {}
    row = Row(
        indicator_type=indicator.type, new_beneficiaries=new, total_monthly=total,
        population=dict(population) if people else {}, sex_and_age=sex_and_age,
        quantity=sums["quantity"] if any_quantity else None, cva=cva,
        value_usd=Decimal(sums["cash_usd"]) if cva else None, delivery_mechanism=mechanism,
        indicator_in_plan=indicator.plan_id == names.plan(first["month"]),
    )
    organisation = names.organisations.get(first["organisation"], "")
    partner_id = first["partner"]
    set_up = partner_id is not None and partner_id != first["organisation"]
    admin1 = names.locations.get(first["admin1"], "")
    sector = names.sectors.get(first["sector"], "")
    cells = {
        c.COUNTRY: "Peru",
        c.ADMIN1: admin1,
        c.ADMIN2: names.locations.get(first["province"], "") if first["province"] else "",
        c.APPEALING_ORGANISATION: organisation,
        c.IMPLEMENTATION_SET_UP: "Yes" if set_up else "No",
        c.IMPLEMENTING_PARTNER: names.organisations.get(partner_id, "") if set_up
        else organisation,
        c.MONTH: first["month"].strftime("%Y-%m"),
        c.SECTOR: sector,
        c.INDICATOR: indicator.r4v_name,
        c.ACTIVITY_NAME: first["activity_name"],
        c.ACTIVITY_DESCRIPTION: first["description"],
        c.RMRP_ACTIVITY: "Yes" if first["rmrp_activity"] else "No",
        c.CVA: "Yes" if cva else "No",
        c.VALUE_USD: _blank(row.value_usd),
        c.DELIVERY_MECHANISM: mechanism,
        c.QUANTITY: _blank(row.quantity),
        c.TOTAL_MONTHLY: _blank(total),
        c.NEW_BENEFICIARIES: _blank(new),
        **{column: (population.get(code, 0) if people else "")
           for code, column in c.POPULATION_COLUMNS.items()},
        **{column: (sums[name] if people else "")
           for name, column in c.SEX_AND_AGE_COLUMNS.items()},
    }
    return ExportRow([cells[header] for header in c.HEADER], row, first["month"], admin1,
                     sector, flags(row))


def export_rows(lines: QuerySet, names: Names | None = None) -> Iterator[ExportRow]:
    """Yield the 5W rows of `lines`, streamed from one grouped query."""
    names = names or Names.load()
    group: list[dict] = []
    key = None
    for record in grouped(lines).iterator(chunk_size=5000):
        record_key = tuple(record[k] for k in GROUP)
        if group and record_key != key:
            yield _merge(group, names)
            group = []
        key = record_key
        group.append(record)
    if group:
        yield _merge(group, names)


@dataclass
class Checks:
    """What the export's check sheet says: R4V's flags row by row, and the consolidated
    figure R4V will compute from the rows."""

    rows: int = 0
    flagged: list[tuple[int, Flag]] = field(default_factory=list)
    _cells: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, number: int, row: ExportRow) -> None:
        self.rows += 1
        self.flagged.extend((number, flag) for flag in row.flags)
        values = dict(zip(c.HEADER, row.values, strict=True))
        if row.row.indicator_type == IndicatorType.DIRECT_ASSISTANCE \
                and values[c.RMRP_ACTIVITY] == "Yes":
            for column in c.POPULATION_COLUMNS.values():
                if values[column]:
                    self._cells[row.admin1, column, row.sector] += values[column]

    @property
    def consolidated(self) -> int:
        """Σ over Admin1 × population type of the largest sector figure of new beneficiaries
        over the whole export (the year-to-date rule of DESIGN §4)."""
        largest: dict = defaultdict(int)
        for (admin1, population, _sector), value in self._cells.items():
            cell = (admin1, population)
            largest[cell] = max(largest[cell], value)
        return sum(largest.values())


def write_csv(lines: QuerySet, out: IO[str]) -> Checks:
    """Write the 5W rows as CSV (UTF-8 with a byte-order mark, for Excel) and return the
    checks."""
    checks = Checks()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(c.HEADER)
    for number, row in enumerate(export_rows(lines), start=2):
        writer.writerow(row.values)
        checks.add(number, row)
    return checks


def csv_blocks(lines: QuerySet) -> Iterator[str]:
    """The CSV in blocks, for a streaming response."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(c.HEADER)
    for number, row in enumerate(export_rows(lines), start=1):
        writer.writerow(row.values)
        if number % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(lines: QuerySet, *, first: dt.date, last: dt.date, preview: bool = False
               ) -> tuple[IO[bytes], Checks]:
    """Return a temporary file holding the XLSX (the 5W sheet named as R4V's, exactly the
    template's header; then the check sheet) and the checks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(c.SHEET_NAME)
    sheet.append(list(c.HEADER))
    checks = Checks()
    for number, row in enumerate(export_rows(lines), start=2):
        sheet.append([_safe(value) for value in row.values])
        checks.add(number, row)
    report = workbook.create_sheet(_(CHECKS_SHEET))
    for line in check_lines(checks, first=first, last=last, preview=preview):
        report.append([_safe(value) for value in line])
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
    try:
        workbook.save(output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output, checks


def _safe(value):
    """A cell a spreadsheet would run as a formula is written as text; XML's illegal control
    characters are dropped (the platform's own exports do the same)."""
    if isinstance(value, str):
        value = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def check_lines(checks: Checks, *, first: dt.date, last: dt.date, preview: bool) -> list[list]:
    """The check sheet's rows, in the active language."""
    span = first.strftime("%Y-%m") if first == last else \
        f"{first.strftime('%Y-%m')} – {last.strftime('%Y-%m')}"
    lines: list[list] = [
        [_("Regional 5W of GTRM Peru"), span],
        [_("Lines"), _("PREVIEW: every status, not for R4V") if preview
         else _("approved reports only")],
        [_("Rows"), checks.rows],
        [_("Rows R4V's checks would flag"), len({number for number, _flag in checks.flagged})],
        [_("Consolidated figure R4V will compute (people assisted)"), checks.consolidated],
        [],
        [_("Row"), _("Column"), _("What R4V's checks would flag")],
    ]
    lines.extend([number, flag.column, flag.message] for number, flag in checks.flagged)
    return lines
