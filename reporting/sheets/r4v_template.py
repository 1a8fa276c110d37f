"""R4V's regional 5W template as an upload format (issue 13 point 4).

A partner who filled R4V's template (sheet "5W - RMRP 2025", the 29 columns of
`reporting.regional.columns.HEADER`) uploads it as it is. Its header tells it apart from ours;
each row becomes the values of a row of our template, which the planner then checks, previews
and saves exactly as it does ours (same errors, marked copy, all or nothing, replace semantics).

What R4V's row holds and our line does not is resolved here, without guessing figures:

- population types are columns in R4V's row and one value in our line: a row with new
  beneficiaries in exactly one population column becomes a line of that type; a row spread
  over several cannot be split without guessing each type's sex and age, so it is an error
  that says how to split it. A row with none (an indicator not counted in new people) is
  recorded as "in destination", R4V's default population;
- R4V's "CVA" says cash or voucher: a CVA row is a voucher line when its delivery mechanism
  is "Voucher", else a cash line; a row that is not CVA becomes a service line (R4V's
  template does not tell service from in-kind).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from reporting.regional import columns as r4v

from .columns import fold

# Our field → R4V's column that carries it (for reading and to place an error on its cell).
FIELD_COLUMNS: dict[str, str] = {
    "month": r4v.MONTH,
    "organisation": r4v.APPEALING_ORGANISATION,
    "implementing_partner": r4v.IMPLEMENTING_PARTNER,
    "sector": r4v.SECTOR,
    "indicator": r4v.INDICATOR,
    "department": r4v.ADMIN1,
    "province": r4v.ADMIN2,
    "population_type": r4v.IN_DESTINATION,  # an error on it points to the first population column
    "modality": r4v.CVA,
    **{field: column for field, column in r4v.SEX_AND_AGE_COLUMNS.items()},
    "new_beneficiaries": r4v.NEW_BENEFICIARIES,
    "total_monthly": r4v.TOTAL_MONTHLY,
    "quantity": r4v.QUANTITY,
    "cash_usd": r4v.VALUE_USD,
    "rmrp_activity": r4v.RMRP_ACTIVITY,
    "delivery_mechanism": r4v.DELIVERY_MECHANISM,
    "activity_name": r4v.ACTIVITY_NAME,
    "description": r4v.ACTIVITY_DESCRIPTION,
}

SEVERAL_POPULATIONS = _(
    "new beneficiaries are spread over several population types (%(columns)s). Our reports "
    "keep one population type per line, with its own sex-and-age figures: split this row into "
    "one row per population type, each with its new beneficiaries in its own column and its "
    "own girls, boys, women, men and other figures.")
POPULATION_NOT_NEW = _(
    "%(column)s has %(population)s people but new beneficiaries of the month is %(new)s: "
    "in a row of one population type they are the same people.")
MISSING_COLUMNS = _(
    "This looks like R4V's regional template, but these columns are missing: %(columns)s. "
    "Upload the template with its 29 columns as R4V provides it.")

_FOLDED = {fold(column): column for column in r4v.HEADER}
_YES = {"yes", "si", "sí", "y", "true", "1"}


def is_r4v_header(headers: list[str]) -> bool:
    """Say whether a header row is R4V's template rather than ours: it names R4V's Admin1 and
    indicator columns, which ours does not."""
    folded = {fold(header) for header in headers}
    return fold(r4v.ADMIN1) in folded and fold(r4v.INDICATOR) in folded


def header_columns(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Return R4V's column → index in the file, and R4V's columns the header lacks."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        column = _FOLDED.get(fold(header))
        if column is not None:
            found.setdefault(column, index)
    return found, [column for column in r4v.HEADER if column not in found]


def _number(raw) -> int | None:
    """Return a population cell as a number for telling which columns hold people, or None
    when it is empty; a cell that is no number is left to the planner's reader."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


def _month(raw):
    """R4V's month cell, as our reader takes it: a date on the first of the month stays as it
    is; a date later in the month (a month typed as "15/09/2023") is taken as its month."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return raw.replace(day=1)
    return raw


def row_values(cells: dict[str, object]) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """Return the values of our template's row for R4V's row `cells` (R4V column → raw value),
    and the problems found in the conversion as (our field, message)."""
    problems: list[tuple[str, str]] = []
    values = {field: cells.get(column) for field, column in FIELD_COLUMNS.items()}
    values["month"] = _month(values["month"])
    filled = []
    for population, column in r4v.POPULATION_COLUMNS.items():
        number = _number(cells.get(column))
        if number:
            filled.append((population, column, cells.get(column)))
    if len(filled) > 1:
        problems.append(("population_type", str(SEVERAL_POPULATIONS) % {
            "columns": ", ".join(column for _population, column, _raw in filled)}))
        values["population_type"] = "destination"  # the row fails on the error above anyway
    elif filled:
        population, column, raw = filled[0]
        values["population_type"] = population
        new = _number(values["new_beneficiaries"])
        if values["new_beneficiaries"] is None:
            values["new_beneficiaries"] = raw
        elif new is not None and new != _number(raw):
            problems.append(("new_beneficiaries", str(POPULATION_NOT_NEW) % {
                "column": column, "population": _number(raw), "new": new}))
    else:
        values["population_type"] = "destination"
    cva = fold(str(values["modality"] or "")) in _YES or values["modality"] is True
    mechanism = fold(str(values["delivery_mechanism"] or ""))
    values["modality"] = ("voucher" if mechanism == "voucher" else "cash") if cva else "service"
    return values, problems
