"""The activity spreadsheet's column contract (DESIGN §5), in one place.

The template download, the web upload, `import_activities` and the exports all read these
definitions, so a column is named, tagged and parsed the same way everywhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

from django.utils.translation import gettext_lazy as _

from gtrm.cells import FORMULA_TRIGGERS, neutralise  # noqa: F401 (the column contract's)


class Kind(Enum):
    MONTH = "month"  # YYYY-MM
    TEXT = "text"
    CODE = "code"  # matched against reference data
    COUNT = "count"  # a whole number ≥ 0
    MONEY = "money"  # a decimal ≥ 0, two places
    YES_NO = "yes_no"  # yes or no (sí, no, true, false…)


@dataclass(frozen=True)
class Column:
    header: str  # exactly as in the template's first row (English, as the contract says)
    hxl: str
    field: str  # the key of a parsed row
    kind: Kind
    required: bool
    help: str  # shown in the template's instructions (translated there)
    optional_column: bool = False  # files without this column still import
    # Read and exported, but not in the template: a column that new entry no longer uses.
    legacy: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("Month", "#date+reported", "month", Kind.MONTH, True,
           _("The month reported, as YYYY-MM (2023-09).")),
    Column("Organisation", "#org+prog", "organisation", Kind.CODE, True,
           _("The reporting organisation: its acronym or name.")),
    Column("Implementing partner", "#org+impl", "implementing_partner", Kind.CODE, False,
           _("Optional: the organisation that carried out the activity, if another.")),
    Column("Sector", "#sector+code", "sector", Kind.CODE, True,
           _("Sector code (HEA, PRO, …) or its name.")),
    Column("Indicator", "#indicator+code", "indicator", Kind.CODE, True,
           _("Indicator code (HEA-01, …) of that sector or its sub-sectors.")),
    Column("Department", "#adm1+code", "department", Kind.CODE, True,
           _("Department: INEI ubigeo (15), P-code (PE15) or name (Lima).")),
    Column("Province", "#adm2+code", "province", Kind.CODE, False,
           _("Optional: province ubigeo (1501), P-code or name, inside the department.")),
    Column("District", "#adm3+code", "district", Kind.CODE, False,
           _("Optional: district ubigeo (150132), inside the province."),
           optional_column=True),
    Column("Population type", "#beneficiary+type", "population_type", Kind.CODE, True,
           _("destination, transit, host, pendular or returnee.")),
    Column("Modality", "#modality+type", "modality", Kind.CODE, True,
           _("service, in_kind, cash or voucher.")),
    Column("Girls", "#reached+f+children", "girls", Kind.COUNT, False, _("Girls, 0–17.")),
    Column("Boys", "#reached+m+children", "boys", Kind.COUNT, False, _("Boys, 0–17.")),
    Column("Women", "#reached+f+adults", "women", Kind.COUNT, False, _("Women, 18 and over.")),
    Column("Men", "#reached+m+adults", "men", Kind.COUNT, False, _("Men, 18 and over.")),
    # Files made before "other" was split by age have neither column.
    Column("Other under 18", "#reached+i+children", "other_under_18", Kind.COUNT, False,
           _("People of another or unrecorded sex, 0–17."), optional_column=True),
    Column("Other 18+", "#reached+i+adults", "other_adults", Kind.COUNT, False,
           _("People of another or unrecorded sex, 18 and over."), optional_column=True),
    # The single "other" of files made before the split, and of the lines recorded then: an
    # upload takes it only when it is 0 or empty (historic loads as approved take any value);
    # exports write it so that nothing recorded is lost.
    Column("Other", "#reached+i", "other_unknown_age", Kind.COUNT, False,
           _("Only in files made before “other” was split by age: other people whose age was "
             "not recorded. Write new figures under “Other under 18” and “Other 18+”."),
           optional_column=True, legacy=True),
    Column("New beneficiaries", "#reached+new", "new_beneficiaries", Kind.COUNT, False,
           _("Reached for the first time this year: the sum of girls, boys, women, men and "
             "other.")),
    Column("Total monthly beneficiaries", "#reached+total", "total_monthly", Kind.COUNT, False,
           _("Reached this month, repeats included; at least the new beneficiaries.")),
    Column("Quantity", "#output+num", "quantity", Kind.COUNT, False,
           _("For indicators counted in kits, sessions and other units.")),
    Column("Cash USD", "#value+transfer+usd", "cash_usd", Kind.MONEY, False,
           _("Cash transferred in USD; only for cash and voucher modalities.")),
    # R4V's regional 5W (DESIGN §6); files without it load with its default. Description
    # stays last.
    Column("RMRP activity", "#activity+rmrp", "rmrp_activity", Kind.YES_NO, False,
           _("Optional: yes (the default) when the activity is part of the RMRP, no otherwise. "
             "Only RMRP activities count toward people reached."), optional_column=True),
    Column("Delivery mechanism", "#modality+mechanism", "delivery_mechanism", Kind.CODE, False,
           _("Cash lines: bank_account, mobile_money, prepaid_card, otc, cash_in_hand, "
             "cardless_atm or other (or R4V's name for it); voucher lines: voucher, filled in "
             "when left empty. Empty for service and in-kind lines."), optional_column=True),
    Column("Activity name", "#activity+name", "activity_name", Kind.TEXT, False,
           _("Optional: a short name for the activity (100 characters at most)."),
           optional_column=True),
    Column("Description", "#activity+description", "description", Kind.TEXT, False,
           _("Optional free text.")),
)

# The Spanish header of each column: the template a Spanish speaker downloads uses these,
# and the import reads them as well as the English ones (files already out there keep loading).
SPANISH = {
    "month": "Mes", "organisation": "Organización", "implementing_partner": "Socio implementador",
    "sector": "Sector", "indicator": "Indicador", "department": "Departamento",
    "province": "Provincia", "district": "Distrito", "population_type": "Tipo de población",
    "modality": "Modalidad", "girls": "Niñas", "boys": "Niños", "women": "Mujeres",
    "men": "Hombres", "other_under_18": "Otros menores de 18", "other_adults": "Otros 18+",
    "other_unknown_age": "Otros", "new_beneficiaries": "Nuevos beneficiarios",
    "total_monthly": "Total de beneficiarios mensuales", "quantity": "Cantidad",
    "cash_usd": "Efectivo USD", "rmrp_activity": "Actividad RMRP",
    "delivery_mechanism": "Mecanismo de entrega", "activity_name": "Nombre de la actividad",
    "description": "Descripción",
}
# Between a code and its name in the template's drop-downs ("15 · Lima"); the import reads
# the code alone, the name alone or both.
CODE_NAME_SEPARATOR = " · "


def header_in(column: Column, language: str | None) -> str:
    """Return the header of `column` in `language` (Spanish when it starts with "es")."""
    if language and language.startswith("es"):
        return SPANISH[column.field]
    return column.header


def code_part(text: str) -> str:
    """Return the code of a "code · name" drop-down value; any other text unchanged."""
    head, separator, _name = text.partition(CODE_NAME_SEPARATOR)
    return head.strip() if separator and head.strip() else text


HEADERS = tuple(column.header for column in COLUMNS)
HXL_TAGS = tuple(column.hxl for column in COLUMNS)
# What the template offers for new entry: every column but the legacy ones.
TEMPLATE_COLUMNS = tuple(column for column in COLUMNS if not column.legacy)
TEMPLATE_HEADERS = tuple(column.header for column in TEMPLATE_COLUMNS)
BY_HEADER = {column.header.casefold(): column for column in COLUMNS}
BY_FIELD = {column.field: column for column in COLUMNS}
REQUIRED_COLUMNS = tuple(column for column in COLUMNS if not column.optional_column)



def fold(text: str) -> str:
    """Return `text` as spreadsheet values and headers are compared: case, accents and
    spacing ignored ("Áncash", "ANCASH " and "ancash" are one)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(bare.casefold().split())


def restore(text: str) -> str:
    """Undo `neutralise` on text read back from an export, so a round trip keeps it exact."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


