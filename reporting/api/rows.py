"""Lines as the API writes them: flat rows from `values()`, the same columns in JSON and CSV."""

from __future__ import annotations

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


def line_row(values: dict) -> dict:
    """Return one line's row from its `values()` dict (LINE_VALUES), without a query."""
    level = values["location__level"]
    if level == LocationLevel.PROVINCE:
        province, province_name = values["location__code"], values["location__name"]
    elif level == LocationLevel.DISTRICT:
        province, province_name = values["location__parent__code"], values["location__parent__name"]
    else:
        province = province_name = None
    row = {
        "id": values["id"],
        "report": values["report_id"],
        "status": values["report__status"],
        "month": values["report__period__month"].strftime("%Y-%m"),
        "organisation": values["report__organisation__acronym"],
        "sector": values["report__sector__code"],
        "indicator": values["indicator__code"],
        "indicator_sector": values["indicator__sector__code"],
        "indicator_name": values["indicator__name_en"],
        "indicator_type": values["indicator__type"],
        "department": values["department__code"],
        "department_name": values["department__name"],
        "province": province,
        "province_name": province_name,
        "district": values["location__code"] if level == LocationLevel.DISTRICT else None,
        "population_type": values["population_type"],
        "modality": values["modality"],
        "implementing_partner": values["implementing_partner__acronym"],
    }
    for name in FIGURES:
        row[name] = values[name]
    row["updated_at"] = values["changed_at"]
    return row


_AT = {name: index for index, name in enumerate(LINE_VALUES)}
_LEVEL, _CODE, _NAME = _AT["location__level"], _AT["location__code"], _AT["location__name"]
_PARENT_CODE, _PARENT_NAME = _AT["location__parent__code"], _AT["location__parent__name"]
_MONTH, _RMRP = _AT["report__period__month"], _AT["rmrp_activity"]
_HEAD = [_AT[name] for name in (
    "id", "report_id", "report__status", "report__period__month",
    "report__organisation__acronym", "report__sector__code", "indicator__code",
    "indicator__sector__code", "indicator__name_en", "indicator__type", "department__code",
    "department__name")]
_MIDDLE = [_AT[name] for name in ("population_type", "modality", "implementing_partner__acronym")]
_TAIL = [_AT[name] for name in (*FIGURES, "changed_at")]


def line_cells(values: tuple) -> list:
    """Return one line's CSV cells, in LINE_COLUMNS' order, from its `values_list()` tuple
    (LINE_VALUES): the same values as `line_row`, without a dict per line, for pages of
    10,000 lines (an empty cell for None, true/false for the RMRP flag, as CSVRenderer
    writes them)."""
    head = [values[index] for index in _HEAD]
    head[3] = head[3].strftime("%Y-%m")
    level = values[_LEVEL]
    if level == LocationLevel.PROVINCE:
        place = [values[_CODE], values[_NAME], None]
    elif level == LocationLevel.DISTRICT:
        place = [values[_PARENT_CODE], values[_PARENT_NAME], values[_CODE]]
    else:
        place = [None, None, None]
    tail = [values[index] for index in _TAIL]
    tail[FIGURES.index("rmrp_activity")] = "true" if values[_RMRP] else "false"
    return [*head, *place, *(values[index] for index in _MIDDLE), *tail]


def deleted_row(values: dict) -> dict:
    """Return a deletion as `line <id>`, or `report <id>` when an upload replaced its lines."""
    if values["action"] == LineChange.Action.DELETE:
        return {"kind": "line", "id": values["line_id"], "at": values["at"]}
    return {"kind": "report", "id": values["report_id"], "at": values["at"]}
