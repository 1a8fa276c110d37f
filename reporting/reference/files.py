"""The reference data's files: the columns of seeds/*.csv, and how each of their cells is read.

`load_seeds` reads the seed files, and the admin's import and export (IM officers edit reference
data in a spreadsheet) use the same columns, with `active` beside them where the model has it.
Both read a cell through the functions below, so that a file exported from the admin loads with
`load_seeds`, and a cell one of them refuses the other refuses too, with the same message.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from reporting.sheets.columns import restore

# Error messages, as constants so that tests can assert the text.
NOT_YES_OR_NO = _("Write yes or no.")
NOT_A_DATE = _("Write the date as YYYY-MM-DD (2023-09-30), not “%(value)s”.")
NOT_A_WHOLE_NUMBER = _("Write a whole number without separators, not “%(value)s”.")

# The columns of each file, in the order the seed files and the admin's exports have them.
FILE_COLUMNS = {
    "organisations.csv": ("acronym", "name", "short_name", "type", "is_partner",
                          "rmrp_appealing", "joined_on", "sectors"),
    "sectors.csv": ("code", "parent", "name_es", "name_en", "order", "lead_organisations"),
    "indicators.csv": ("code", "sector", "name_es", "name_en", "unit", "type"),
    "locations.csv": ("code", "level", "parent", "name"),
}

# A yes/no cell as people write it, in English or Spanish; anything else is refused, never
# taken for "no".
YES = frozenset({"yes", "y", "sí", "si", "s", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})
WHOLE_NUMBER = re.compile(r"-?\d+")


def decode(data: bytes) -> str:
    """Return a CSV file's text: UTF-8, with or without a byte-order mark (the admin's exports
    have one, for Excel), or else Windows-1252, which Excel in Spanish saves CSV in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def delimiter(text: str) -> str:
    """Return a CSV file's delimiter: `;` when its header row has `;` and no `,` (Excel in
    Spanish saves CSV so), else `,`."""
    header = text.lstrip("\ufeff").partition("\n")[0]
    return ";" if ";" in header and "," not in header else ","


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_cell(value):
    """Return a cell without its surrounding spaces or the apostrophe that an export puts before
    text a spreadsheet would run as a formula, so that an exported file reads back unchanged."""
    if not isinstance(value, str):
        return value
    return restore(value.strip())


def read_yes_no(value) -> bool:
    """Return a yes/no cell (`yes`, `no`, `sí`, `s`, `y`, `n`, `true`, `false`, `1`, `0`, any
    case, or a spreadsheet's own true and false); raise ValueError for anything else, blank
    included."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else force_str(value).strip().casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(NOT_YES_OR_NO)


def write_yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return "yes" if value else "no"


def read_date(value) -> dt.date | None:
    """Return a date cell, YYYY-MM-DD (or a spreadsheet's date), None when blank; raise
    ValueError for anything else."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(force_str(value).strip())
    except ValueError:
        raise ValueError(NOT_A_DATE % {"value": value}) from None


def read_whole_number(value) -> int | None:
    """Return a whole-number cell written without separators (or a spreadsheet's number with
    nothing after the point), None when blank; raise ValueError for anything else."""
    if is_blank(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = force_str(value).strip()
    if WHOLE_NUMBER.fullmatch(text):
        return int(text)
    raise ValueError(NOT_A_WHOLE_NUMBER % {"value": value})


def read_codes(value) -> list[str]:
    """Return the codes of a list cell, written joined by `;` as in the seed files (`,` is read
    too), each once, in the order written."""
    if is_blank(value):
        return []
    return list(dict.fromkeys(
        code.strip() for code in re.split(r"[;,]", force_str(value)) if code.strip()
    ))
