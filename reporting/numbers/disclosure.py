"""Disclosure control on what the public reads (DESIGN §7, issue 15 point 3).

A published figure is an aggregate of cells department × population type × sector; a small one
can point at a handful of people. The rule, applied to every table of a published situation
report (its page, PDF and JSON, and the public API's `figures/`):

1. **Primary suppression.** A non-zero figure below the threshold (`DISCLOSURE_THRESHOLD`, 5;
   `DISCLOSURE_STRICT_THRESHOLD`, 10, for the sectors `DISCLOSURE_STRICT_SECTORS` names, by
   default Protection's sub-sectors) is shown as "< 5" (or "< 10"). The headline figures (people
   assisted, the sum of sectors, cash and vouchers) follow the same rule.
2. **Complementary suppression.** Where a table also publishes its total — the sectors add up to
   the sum of sectors; the departments, and the population types, add up to the people assisted
   — a hidden figure could be worked out by subtraction. Knowing the total, a reader knows the sum
   of the hidden figures, that each figure shown as "< T" lies between 1 and T − 1, and that each
   figure withheld to protect it lies between its threshold and the smallest figure still shown
   (the rule withholds the smallest first). From those bounds every hidden figure has a range of
   possible values (interval arithmetic on a sum is exact for such bounds); while any range holds
   a single value, the next smallest figure shown is withheld too ("…"); when none is left, the
   total is withheld as well.

Zeros are shown: a zero points at nobody. Signed-in reviewers see the true figures, marked where
the public sees "< 5" or "…". The rule is stored with each edition when it is published: an
edition published before the rule existed keeps the figures it was published with, and gains
the rule when it is published again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

SMALL, WITHHELD = "small", "withheld"
COLUMNS = ("month", "ytd")


@dataclass(frozen=True)
class Rule:
    threshold: int
    strict_threshold: int
    strict_sectors: tuple[str, ...]

    def of(self, sector: str | None) -> int:
        return self.strict_threshold if sector in self.strict_sectors else self.threshold

    def as_json(self) -> dict:
        return {"threshold": self.threshold, "strict_threshold": self.strict_threshold,
                "strict_sectors": list(self.strict_sectors)}

    @classmethod
    def from_json(cls, data: dict) -> Rule:
        return cls(int(data["threshold"]), int(data["strict_threshold"]),
                   tuple(data.get("strict_sectors") or ()))


def current_rule() -> Rule:
    return Rule(settings.DISCLOSURE_THRESHOLD, settings.DISCLOSURE_STRICT_THRESHOLD,
                tuple(settings.DISCLOSURE_STRICT_SECTORS))


def protect(values: dict[str, int], thresholds: dict[str, int], total: int | None
            ) -> tuple[dict[str, str], bool]:
    """Return which figures of one table column to hide ({key: SMALL or WITHHELD}) and whether
    its published total must be hidden too. `total` is None where the table publishes none."""
    hidden = {key: SMALL for key, value in values.items()
              if value and value < thresholds[key]}
    if total is None or not hidden:
        return hidden, False
    while _recoverable(values, thresholds, hidden, total):
        shown = sorted((value, key) for key, value in values.items()
                       if value and key not in hidden)
        if not shown:
            return hidden, True
        hidden[shown[0][1]] = WITHHELD
    return hidden, False


def _bounds(values, thresholds, hidden) -> dict[str, tuple[int, int]]:
    """What a reader knows of each hidden figure from what is shown: "< T" is 1 to T − 1; a
    withheld figure is at least its threshold and at most the smallest figure still shown."""
    shown = [value for key, value in values.items() if value and key not in hidden]
    ceiling = min(shown) if shown else sum(values.values())
    return {key: (1, thresholds[key] - 1) if kind == SMALL
            else (thresholds[key], max(ceiling, thresholds[key]))
            for key, kind in hidden.items()}


def _recoverable(values, thresholds, hidden, total) -> bool:
    """Whether some hidden figure has a single possible value, the sum of the hidden figures
    being known (the total less the figures shown)."""
    known = total - sum(value for key, value in values.items() if key not in hidden)
    bounds = _bounds(values, thresholds, hidden)
    low_sum = sum(low for low, _ in bounds.values())
    high_sum = sum(high for _, high in bounds.values())
    for low, high in bounds.values():
        least = max(low, known - (high_sum - high))
        most = min(high, known - (low_sum - low))
        if least >= most:
            return True
    return False


def hidden_cells(data: dict, rule: Rule) -> list[list[str]]:
    """Return every figure of a situation report's data to hide from the public, as
    [table, key, column, SMALL or WITHHELD] (JSON, stored with the edition)."""
    found: list[list[str]] = []
    base = rule.threshold
    people = data["people_assisted"]
    for column in COLUMNS:
        headline = {"people_assisted": people[column],
                    "sum_of_sectors": people[f"sum_of_sectors_{column}"],
                    "cbi": data["cbi"][column]}
        hidden_headline = {key: SMALL for key, value in headline.items()
                           if value and value < base}
        sectors = {row["code"]: row[column] for row in data["sectors"]}
        subsectors = {row["code"]: row[column] for row in data.get("subsectors", [])}
        departments = {row["code"]: row[column] for row in data["departments"]}
        populations = {row["code"]: row[column] for row in data["population_types"]}
        tables = [
            ("sectors", sectors, {code: rule.of(code) for code in sectors}, "sum_of_sectors"),
            ("departments", departments, dict.fromkeys(departments, base), "people_assisted"),
            ("population_types", populations, dict.fromkeys(populations, base),
             "people_assisted"),
            # Protection's figure is not the sum of its sub-sectors': no total to subtract from.
            ("subsectors", subsectors, {code: rule.of(code) for code in subsectors}, None),
        ]
        for table, values, thresholds, total_key in tables:
            total = None if total_key is None or total_key in hidden_headline \
                else headline[total_key]
            cells, hide_total = protect(values, thresholds, total)
            found.extend([table, key, column, kind] for key, kind in sorted(cells.items()))
            if hide_total:
                hidden_headline[total_key] = WITHHELD
        found.extend(["headline", key, column, kind]
                     for key, kind in sorted(hidden_headline.items()))
    return found


def stamp(data: dict, rule: Rule | None = None) -> dict:
    """Return `data` with the rule and the figures it hides (what `publish_edition` stores)."""
    rule = rule or current_rule()
    return {**data, "disclosure": {"rule": rule.as_json(), "hidden": hidden_cells(data, rule)}}


def _threshold(rule: Rule, table: str, key: str) -> int:
    return rule.of(key) if table in ("sectors", "subsectors") else rule.threshold


def _locate(data: dict, table: str, key: str) -> dict | None:
    """Return the dict holding the figure: a table's row, or the headline's."""
    if table == "headline":
        return data["cbi"] if key == "cbi" else data["people_assisted"]
    return next((row for row in data.get(table, []) if row.get("code") == key), None)


def _field(table: str, key: str, column: str) -> str:
    if table == "headline" and key == "sum_of_sectors":
        return f"sum_of_sectors_{column}"
    return column


def for_readers(data: dict, *, reviewer: bool = False, as_json: bool = False) -> dict:
    """Return a copy of an edition's data as a reader may see it.

    The public sees "< 5" and "…" (JSON: null, with the row's `suppressed` naming why); a
    reviewer sees the true figures marked. Data without a stored rule (an edition published
    before disclosure control) is returned as it was published."""
    stored = data.get("disclosure")
    if not stored:
        return data
    rule = Rule.from_json(stored["rule"])
    shown = copy.deepcopy(data)
    marks = []
    for table, key, column, kind in stored["hidden"]:
        holder = _locate(shown, table, key)
        if holder is None:
            continue
        field = _field(table, key, column)
        value = holder.get(field)
        limit = _threshold(rule, table, key)
        if as_json:
            holder[field] = None
            holder.setdefault("suppressed", {})[field] = kind
        elif reviewer:
            note = _("below %(limit)s, hidden from the public") % {"limit": limit} \
                if kind == SMALL else _("withheld from the public")
            holder[field] = f"{number_format(value, force_grouping=True)} ({note})"
            holder[f"{field}_true"] = value  # what the charts draw for a reviewer
            marks.append({"table": table, "code": key, "name": holder.get("name", ""),
                          "column": column, "value": value, "kind": kind, "limit": limit})
        else:
            holder[field] = f"< {limit}" if kind == SMALL else "…"
    if reviewer:
        shown["disclosure_marks"] = marks
    return shown


def footnote(data: dict) -> str:
    """The rule, as the footnote of a report that applies it ("" for one that does not)."""
    stored = data.get("disclosure")
    if not stored:
        return ""
    rule = Rule.from_json(stored["rule"])
    text = _("To protect the people counted, figures between 1 and %(limit)s are shown as "
             "“< %(threshold)s”, and where such a figure could be worked out from a total, "
             "the next smallest figures are withheld (“…”).") % {
        "limit": rule.threshold - 1, "threshold": rule.threshold}
    if rule.strict_sectors and rule.strict_threshold != rule.threshold:
        text += " " + _("For %(sectors)s the threshold is %(strict)s.") % {
            "sectors": ", ".join(rule.strict_sectors), "strict": rule.strict_threshold}
    return text
