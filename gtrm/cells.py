"""Spreadsheet cells that never run as formulas, for every file the platform writes.

OWASP's "CSV injection": a text cell starting with one of FORMULA_TRIGGERS is read as a formula
by spreadsheet programs, so exports prefix it with an apostrophe. Shared by the platform's own
spreadsheets (reporting.sheets) and the regional 5W (reporting.regional), which may not import
each other both ways.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Return `value` safe for a spreadsheet cell: text that a spreadsheet would run as a
    formula gets a leading apostrophe; numbers and everything else are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
