"""The lines an upload would replace, each compared with the file's, for the preview.

Confirming an upload replaces every line of each report it covers, those typed in the web form
included. Before the confirmation the preview lists them, each marked: the file has the same
line (same indicator, place, population type, modality and implementing partner: the line's
identity, as the line rules define it) with the same figures; it has it with other values; or
it does not have it, and confirming removes it.

One query for every report of the file, rows as dictionaries, no model instances.
"""

from __future__ import annotations

from dataclasses import dataclass

from reporting.languages import spanish_or_english
from reporting.models import ActivityLine, Modality, PopulationType

from .planner import ImportPlan

SAME, CHANGED, REMOVED = "same", "changed", "removed"
IDENTITY = ("indicator_id", "location_id", "population_type", "modality",
            "implementing_partner_id")
# Compared between a line and the file's line of the same identity: every value the line holds
# but its identity, report and audit fields (so a field added to lines is compared too).
NOT_COMPARED = frozenset({"id", "report_id", *IDENTITY, "created_at", "created_by_id",
                          "updated_at", "updated_by_id"})
COMPARED = tuple(field.attname for field in ActivityLine._meta.concrete_fields
                 if field.attname not in NOT_COMPARED)
# What the preview shows of a line, beside the compared values.
SHOWN = ("pk", "report_id", *IDENTITY, "indicator__code", "indicator__name_es",
         "indicator__name_en", "department__name", "location__name",
         "implementing_partner__short_name")


@dataclass(frozen=True)
class ReplacedLine:
    values: dict  # the line's fields (COMPARED, IDENTITY) and names, as `values()` gives them
    outcome: str  # SAME, CHANGED or REMOVED

    @property
    def indicator_name(self) -> str:
        return spanish_or_english(self.values["indicator__name_es"],
                                  self.values["indicator__name_en"])

    @property
    def place(self) -> str:
        department, location = self.values["department__name"], self.values["location__name"]
        if self.values["location_id"] == self.values["department_id"]:
            return department
        return f"{department} · {location}"

    @property
    def population_label(self) -> str:
        return str(PopulationType(self.values["population_type"]).label)

    @property
    def modality_label(self) -> str:
        return str(Modality(self.values["modality"]).label)

    def __getitem__(self, name: str):
        return self.values[name]


@dataclass(frozen=True)
class ReplacedLines:
    """The lines a report has now, which the upload replaces: the first `shown` of them, and
    how many in all the file keeps as they are, changes, or removes."""

    lines: list[ReplacedLine]
    hidden: int
    same: int
    changed: int
    removed: int


def replaced_lines(plan: ImportPlan, *, shown: int) -> dict[int, ReplacedLines]:
    """Return, for each existing report of `plan` that has lines, those lines (at most
    `shown` listed) compared with the lines the file gives it, keyed by the report's id."""
    planned = {report_plan.report.pk: report_plan for report_plan in plan.reports
               if report_plan.report is not None and report_plan.existing_lines}
    if not planned:
        return {}
    incoming = {
        pk: {_identity(vars(line)): line for line in report_plan.lines}
        for pk, report_plan in planned.items()
    }
    rows = ActivityLine.objects.filter(report_id__in=list(planned)).order_by(
        "report_id", "pk").values(*SHOWN, *COMPARED)
    found: dict[int, dict] = {pk: {"lines": [], SAME: 0, CHANGED: 0, REMOVED: 0}
                              for pk in planned}
    for row in rows:
        report = found[row["report_id"]]
        match = incoming[row["report_id"]].get(_identity(row))
        if match is None:
            outcome = REMOVED
        elif all(getattr(match, name) == row[name] for name in COMPARED):
            outcome = SAME
        else:
            outcome = CHANGED
        report[outcome] += 1
        if len(report["lines"]) < shown:
            report["lines"].append(ReplacedLine(row, outcome))
    return {
        pk: ReplacedLines(lines=report["lines"],
                          hidden=report[SAME] + report[CHANGED] + report[REMOVED]
                          - len(report["lines"]),
                          same=report[SAME], changed=report[CHANGED], removed=report[REMOVED])
        for pk, report in found.items()
    }


def _identity(values: dict) -> tuple:
    return tuple(values[name] for name in IDENTITY)
