"""A plan's indicators from a file (`load_plan`): the RMRP framework of a new plan period.

The file, CSV or XLSX (first sheet), holds two tables one after the other:

    plan,first_month,name_es,name_en
    2025-2026,2025-01,Plan … 2025-2026,Regional … Plan 2025-2026
    sector,code,name_es,name_en,regional_name,type,unit,replaces
    HEA,HEA-01,…,…,,direct,people,HEA-01

`replaces` is the code the indicator continues in the previous plan (the plan in force the month
before this one's first month): that indicator names it as its successor. A plan is created or
updated (matched on its code) with its indicators (matched on plan and code); no other plan's
data changes but the successor of the indicators replaced. All or nothing: any error and nothing
is saved, every error named by row, column and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from reporting.models import (
    Indicator,
    IndicatorType,
    IndicatorUnit,
    Plan,
    Sector,
    modalities_from_name,
    parse_month,
)

from . import files

PLAN_COLUMNS = ("plan", "first_month", "name_es", "name_en")
# `modalities` (codes joined by “;”) may be left out: each indicator then allows what its
# English name points to (reporting.models.modalities_from_name).
OPTIONAL_COLUMNS = ("modalities",)
INDICATOR_COLUMNS = ("sector", "code", "name_es", "name_en", "regional_name", "type", "unit",
                     "replaces")


@dataclass(frozen=True)
class PlanError:
    row: int  # as the file shows it: the first line is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}" if self.column else (
            f"Row {self.row}: {self.message}")


class PlanFileError(Exception):
    def __init__(self, errors: list[PlanError]):
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


@dataclass
class PlanLoad:
    plan: Plan
    created: bool
    indicators_created: int
    indicators_updated: int
    successors_set: int


def read_rows(path: Path) -> list[list[str]]:
    """Return the file's rows as lists of text cells (XLSX: its first sheet)."""
    data = path.read_bytes()
    if data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            rows = []
            for values in sheet.iter_rows(values_only=True):
                rows.append(["" if v is None else _text(v) for v in values])
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError) as error:
            raise PlanFileError([PlanError(1, "", "The file is not a readable XLSX workbook "
                                                  "(save it again from Excel, or as CSV).")]
                                ) from error
        return rows
    text = files.decode(data)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=files.delimiter(text))]


def _text(value) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def load_plan(path: Path) -> PlanLoad:
    """Create or update the plan of the file at `path` and its indicators, all or nothing;
    raise PlanFileError naming every problem."""
    rows = [[cell.strip() for cell in row] for row in read_rows(path)]
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(row)]
    errors: list[PlanError] = []
    if len(numbered) < 3:
        raise PlanFileError([PlanError(1, "", "The file needs the plan's header and row, then "
                                              "the indicators' header and rows.")])
    _, plan_values = _table_row(numbered[0], numbered[1], PLAN_COLUMNS, errors)
    indicator_header = numbered[2]
    indicator_rows = [_table_row(indicator_header, row, INDICATOR_COLUMNS, errors)
                      for row in numbered[3:]]
    if errors:
        raise PlanFileError(errors)
    with transaction.atomic():
        result = _apply(numbered[1][0], plan_values, indicator_rows, errors)
        if errors:
            transaction.set_rollback(True)
            raise PlanFileError(errors)
    return result


def _table_row(header: tuple[int, list[str]], row: tuple[int, list[str]],
               columns: tuple[str, ...], errors: list[PlanError]) -> tuple[int, dict]:
    number, names = header
    missing = [column for column in columns if column not in names]
    if missing:
        errors.append(PlanError(number, "", "Columns missing: " + ", ".join(missing) + "."))
        return row[0], {}
    values = {column: (row[1][names.index(column)] if names.index(column) < len(row[1]) else "")
              for column in (*columns, *(c for c in OPTIONAL_COLUMNS if c in names))}
    return row[0], values


def _apply(plan_row: int, values: dict, indicator_rows: list[tuple[int, dict]],
           errors: list[PlanError]) -> PlanLoad:
    month = parse_month(values["first_month"])
    if month is None:
        errors.append(PlanError(plan_row, "first_month", f"“{values['first_month']}” is not a "
                                                         "month written YYYY-MM."))
        month = dt.date(1, 1, 1)
    plan = Plan.objects.filter(code=values["plan"]).first()
    created = plan is None
    plan = plan or Plan(code=values["plan"])
    plan.first_month, plan.name_es, plan.name_en = month, values["name_es"], values["name_en"]
    _validate(plan, plan_row, errors)
    if errors:
        return PlanLoad(plan, created, 0, 0, 0)
    plan.save()
    previous = Plan.objects.filter(first_month__lt=month).order_by("-first_month").first()
    sectors = {sector.code: sector for sector in Sector.objects.all()}
    existing = {indicator.code: indicator for indicator in plan.indicators.all()}
    earlier = {indicator.code: indicator
               for indicator in (previous.indicators.all() if previous else [])}
    load = PlanLoad(plan, created, 0, 0, 0)
    seen: dict[str, int] = {}
    for number, row in indicator_rows:
        code = row["code"]
        if code in seen:
            errors.append(PlanError(number, "code", f"“{code}” is also on row {seen[code]}."))
            continue
        seen[code] = number
        sector = sectors.get(row["sector"])
        if sector is None:
            errors.append(PlanError(number, "sector", f"There is no sector “{row['sector']}”."))
            continue
        if row["type"] not in IndicatorType.values:
            errors.append(PlanError(number, "type", f"“{row['type']}” is not one of "
                                    + ", ".join(IndicatorType.values) + "."))
            continue
        if row["unit"] not in IndicatorUnit.values:
            errors.append(PlanError(number, "unit", f"“{row['unit']}” is not one of "
                                    + ", ".join(IndicatorUnit.values) + "."))
            continue
        indicator = existing.get(code) or Indicator(plan=plan, code=code)
        is_new = indicator.pk is None
        indicator.sector = sector
        indicator.name_es, indicator.name_en = row["name_es"], row["name_en"]
        indicator.regional_name, indicator.type, indicator.unit = (
            row["regional_name"], row["type"], row["unit"])
        indicator.modalities = (files.read_codes(row.get("modalities", ""))
                                or modalities_from_name(row["name_en"], row["unit"]))
        if not is_new:  # never strand a line already stored with another modality
            indicator.modalities = _with_used(indicator, indicator.modalities)
        if not _validate(indicator, number, errors):
            continue
        indicator.save()
        load.indicators_created += is_new
        load.indicators_updated += not is_new
        if row["replaces"]:
            replaced = earlier.get(row["replaces"])
            if replaced is None:
                errors.append(PlanError(number, "replaces", (
                    f"The previous plan ({previous}) has no indicator “{row['replaces']}”."
                    if previous else "There is no previous plan whose indicator it replaces.")))
                continue
            replaced.successor = indicator
            replaced.save(update_fields=["successor"])
            load.successors_set += 1
    return load


def _validate(obj, number: int, errors: list[PlanError]) -> bool:
    try:
        obj.full_clean(exclude=["plan", "successor"] if isinstance(obj, Indicator) else None)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                errors.append(PlanError(number, field if field != "__all__" else "", message))
        return False
    return True


def _with_used(indicator: Indicator, modalities: list[str]) -> list[str]:
    """Return `modalities` with those the indicator's stored lines already use."""
    used = set(indicator.lines.values_list("modality", flat=True).distinct())
    return list(dict.fromkeys([*modalities, *sorted(used - set(modalities))]))
