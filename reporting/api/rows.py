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


def deleted_row(values: dict) -> dict:
    """Return a deletion as `line <id>`, or `report <id>` when an upload replaced its lines."""
    if values["action"] == LineChange.Action.DELETE:
        return {"kind": "line", "id": values["line_id"], "at": values["at"]}
    return {"kind": "report", "id": values["report_id"], "at": values["at"]}
