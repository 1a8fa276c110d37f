"""Lines as the API writes them: flat rows from `values()`, the same columns in JSON and CSV."""

from __future__ import annotations

from functools import lru_cache
from operator import itemgetter

from reporting.models import LineChange, LocationLevel

LINE_VALUES = (
    "id", "report_id", "report__status", "report__period__month", "report__organisation__acronym",
    "report__sector__code", "indicator__code", "indicator__sector__code", "indicator__name_en",
    "indicator__type", "department__code", "department__name", "location__code",
    "location__name", "location__level", "location__parent__code", "location__parent__name",
    "population_type", "modality", "implementing_partner__acronym",
    "girls", "boys", "women", "men", "other_under_18", "other_adults", "other_unknown_age",
    "new_beneficiaries", "total_monthly", "quantity", "cash_usd", "delivery_mechanism",
    "rmrp_activity", "activity_name", "description", "changed_at",
)
FIGURES = ("girls", "boys", "women", "men", "other_under_18", "other_adults",
           "other_unknown_age", "new_beneficiaries", "total_monthly", "quantity", "cash_usd",
           "delivery_mechanism", "rmrp_activity", "activity_name", "description")
LINE_COLUMNS = [
    "id", "report", "status", "month", "organisation", "sector", "indicator",
    "indicator_sector", "indicator_name", "indicator_type", "department", "department_name",
    "province", "province_name", "district", "population_type", "modality",
    "implementing_partner", *FIGURES, "updated_at",
]


# A line's columns straight from its values_list() tuple: each column's source, the place
# columns filled from the location and fixed up by its level in _cells.
_AT = {name: index for index, name in enumerate(LINE_VALUES)}
_SOURCE = {"report": "report_id", "status": "report__status", "month": "report__period__month",
           "organisation": "report__organisation__acronym", "sector": "report__sector__code",
           "indicator": "indicator__code", "indicator_sector": "indicator__sector__code",
           "indicator_name": "indicator__name_en", "indicator_type": "indicator__type",
           "department": "department__code", "department_name": "department__name",
           "province": "location__code", "province_name": "location__name",
           "district": "location__code", "implementing_partner": "implementing_partner__acronym",
           "updated_at": "changed_at"}
_PICK = itemgetter(*(_AT[_SOURCE.get(column, column)] for column in LINE_COLUMNS))
_POSITION = {column: index for index, column in enumerate(LINE_COLUMNS)}
_MONTH, _RMRP = _POSITION["month"], _POSITION["rmrp_activity"]
_PROVINCE, _PROVINCE_NAME, _DISTRICT = (_POSITION["province"], _POSITION["province_name"],
                                        _POSITION["district"])
_LEVEL = _AT["location__level"]
_PARENT_CODE, _PARENT_NAME = _AT["location__parent__code"], _AT["location__parent__name"]
_AT_PROVINCE, _AT_DISTRICT = str(LocationLevel.PROVINCE.value), str(LocationLevel.DISTRICT.value)


@lru_cache(maxsize=512)
def _month_text(month) -> str:
    return month.strftime("%Y-%m")  # once per month on a page, not once per line


def _cells(values: tuple) -> list:
    """Return one line's values in LINE_COLUMNS' order from its `values_list()` tuple
    (LINE_VALUES), without a query: the month as YYYY-MM, the province and district from the
    location by its level."""
    cells = list(_PICK(values))
    cells[_MONTH] = _month_text(cells[_MONTH])
    level = values[_LEVEL]
    if level == _AT_PROVINCE:
        cells[_DISTRICT] = None
    elif level == _AT_DISTRICT:
        cells[_PROVINCE], cells[_PROVINCE_NAME] = values[_PARENT_CODE], values[_PARENT_NAME]
    else:
        cells[_PROVINCE] = cells[_PROVINCE_NAME] = cells[_DISTRICT] = None
    return cells


def line_row(values: tuple) -> dict:
    """Return one line's JSON row from its `values_list()` tuple (LINE_VALUES)."""
    return dict(zip(LINE_COLUMNS, _cells(values), strict=True))


def line_cells(values: tuple) -> list:
    """Return one line's CSV cells from its `values_list()` tuple: `line_row`'s values
    without a dict per line, for pages of 10,000 lines (None for an empty cell, true/false
    for the RMRP flag, as CSVRenderer writes them)."""
    cells = _cells(values)
    cells[_RMRP] = "true" if cells[_RMRP] else "false"
    return cells


def deleted_row(values: dict) -> dict:
    """Return a deletion as `line <id>`, or `report <id>` when an upload replaced its lines."""
    if values["action"] == LineChange.Action.DELETE:
        return {"kind": "line", "id": values["line_id"], "at": values["at"]}
    return {"kind": "report", "id": values["report_id"], "at": values["at"]}
