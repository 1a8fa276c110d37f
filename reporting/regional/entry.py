"""R4V's warnings where lines are entered and reviewed (issue 13 point 2).

Beside our own rules, which block a save, what R4V's checks would flag in a line
(`rules.line_warnings`) is shown as a warning naming the field: on the line form, in the upload
preview row by row, and on the review pages as a count with the lines. Nothing here blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reporting.models import ActivityLine
from reporting.regional.rules import Flag, line_warnings


def warnings_of(line: ActivityLine) -> list[Flag]:
    """Return what R4V would flag in `line`, or nothing when the line is too incomplete to
    judge (no indicator yet: our own rules say so first)."""
    if line.indicator_id is None:
        return []
    try:
        return line_warnings(line)
    except (TypeError, ValueError, AttributeError):
        # A form re-rendered with errors may hold half-read values; our errors come first.
        return []


@dataclass(frozen=True)
class FlaggedLine:
    line: ActivityLine
    flags: list[Flag]


def flagged_lines(lines: Iterable[ActivityLine]) -> list[FlaggedLine]:
    """Return the lines R4V would flag, with their flags, in the order given. The lines must
    have their indicator loaded (`with_related()`): no query is made per line."""
    found = []
    for line in lines:
        flags = warnings_of(line)
        if flags:
            found.append(FlaggedLine(line, flags))
    return found


@dataclass(frozen=True)
class RowWarning:
    row: int | None
    column: str
    field: str
    message: str


def plan_warnings(plan) -> list[RowWarning]:
    """Return R4V's warnings on the lines an upload's plan would save, by sheet row."""
    found = []
    for report_plan in plan.reports:
        for line in report_plan.lines:
            for flag in warnings_of(line):
                found.append(RowWarning(getattr(line, "sheet_row", None), flag.column,
                                        flag.field, flag.message))
    found.sort(key=lambda warning: (warning.row or 0))
    return found
