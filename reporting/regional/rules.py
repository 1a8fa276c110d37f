"""What R4V's quality checks flag in a row of the regional 5W (DESIGN §6), and how one of our
lines reads as such a row.

The checks are R4V's, not ours: a flag is a warning shown beside our own rules (the line form,
the upload preview, the review page, the export's check sheet) and never blocks a save. One
function judges every row, whether it is one line being typed, a row of R4V's template being
uploaded, or a row of the export that sums many lines, so the warnings a partner sees while
typing are the flags the regional team would raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from reporting.models import (
    CASH_MODALITIES,
    R4V_DELIVERY_MECHANISMS,
    SEX_AND_AGE_FIELDS,
    ActivityLine,
    IndicatorType,
)
from reporting.regional import columns as c

# The delivery mechanisms R4V accepts, in its own words.
R4V_MECHANISM_NAMES = frozenset(R4V_DELIVERY_MECHANISMS.values())


@dataclass(frozen=True)
class Row:
    """A row of the regional 5W, as R4V's checks read it. `None` is an empty cell."""

    indicator_type: str  # an IndicatorType value
    new_beneficiaries: int | None
    total_monthly: int | None
    # New beneficiaries by population type (PopulationType values; missing ones are empty).
    population: dict[str, int] = field(default_factory=dict)
    # The six sex-and-age figures, by SEX_AND_AGE_FIELDS name (missing ones are empty).
    sex_and_age: dict[str, int] = field(default_factory=dict)
    quantity: int | None = None
    cva: bool = False
    value_usd: Decimal | None = None
    delivery_mechanism: str = ""  # R4V's words (R4V_DELIVERY_MECHANISMS' values) or ""
    # Whether the department is in R4V's location list and the indicator (with its sector) in
    # the RMRP's list of the plan in force in the row's month.
    admin1_known: bool = True
    indicator_in_plan: bool = True


@dataclass(frozen=True)
class Flag:
    """One thing R4V's checks would flag: the rule, the column and our field it concerns."""

    rule: str  # a stable name, e.g. "direct_new_zero"
    column: str  # the 5W column
    message: str  # in the active language

    @property
    def field(self) -> str:
        """The line's field the column holds, to place a warning on the form."""
        return c.FIELD_OF_COLUMN.get(self.column, "")

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


# Every rule, with what it says. Tests walk this table: each rule has a row flagged and one not.
RULES: dict[str, tuple[str, object]] = {
    "admin1_unknown": (c.ADMIN1, _("the department is not in R4V's list of locations.")),
    "indicator_not_in_plan": (
        c.INDICATOR, _("the indicator is not in the RMRP's list for this month's plan.")),
    "direct_total_not_positive": (
        c.TOTAL_MONTHLY, _("a Direct Assistance indicator needs total monthly beneficiaries "
                           "above 0.")),
    "direct_new_not_positive": (
        c.NEW_BENEFICIARIES, _("a Direct Assistance indicator needs new beneficiaries of the "
                               "month above 0; R4V flags a row that reached only people already "
                               "counted.")),
    "population_sum": (
        c.NEW_BENEFICIARIES, _("the population types add up to %(sum)s, not to the %(new)s new "
                               "beneficiaries.")),
    "sex_and_age_sum": (
        c.NEW_BENEFICIARIES, _("the six sex-and-age figures add up to %(sum)s, not to the "
                               "%(new)s new beneficiaries (people of unknown age have no R4V "
                               "column).")),
    "capacity_new_missing": (
        c.NEW_BENEFICIARIES, _("a Capacity Building indicator needs its new beneficiaries "
                               "(the people trained), with their sex and age.")),
    "new_not_empty": (
        c.NEW_BENEFICIARIES, _("indicators of type %(type)s leave new beneficiaries empty; R4V "
                               "counts new people only for Direct Assistance and Capacity "
                               "Building.")),
    "quantity_zero": (
        c.QUANTITY, _("a quantity of output of 0 (indicator type %(type)s).")),
    "cva_value_not_positive": (
        c.VALUE_USD, _("cash or voucher assistance needs a value in USD above 0.")),
    "cva_mechanism_invalid": (
        c.DELIVERY_MECHANISM, _("cash or voucher assistance needs one of R4V's delivery "
                                "mechanisms.")),
}


def _flag(rule: str, **params) -> Flag:
    column, message = RULES[rule]
    text = str(message)
    return Flag(rule, column, text % params if params else text)


def _type_label(indicator_type: str) -> str:
    return str(IndicatorType(indicator_type).label) if indicator_type in IndicatorType.values \
        else indicator_type


def flags(row: Row) -> list[Flag]:
    """Return what R4V's checks would flag in `row` (empty when it passes), in the template's
    column order."""
    found: list[Flag] = []
    if not row.admin1_known:
        found.append(_flag("admin1_unknown"))
    if not row.indicator_in_plan:
        found.append(_flag("indicator_not_in_plan"))
    new = row.new_beneficiaries
    kind = row.indicator_type
    if kind == IndicatorType.DIRECT_ASSISTANCE:
        if not row.total_monthly or row.total_monthly <= 0:
            found.append(_flag("direct_total_not_positive"))
        if not new or new <= 0:
            found.append(_flag("direct_new_not_positive"))
        _check_sums(row, found, population=True)
    elif kind == IndicatorType.CAPACITY_BUILDING:
        if new is None:
            found.append(_flag("capacity_new_missing"))
        else:
            _check_sums(row, found, population=False)
    elif new is not None:
        found.append(_flag("new_not_empty", type=_type_label(kind)))
    if kind != IndicatorType.DIRECT_ASSISTANCE and row.quantity == 0:
        found.append(_flag("quantity_zero", type=_type_label(kind)))
    if row.cva:
        if row.value_usd is None or row.value_usd <= 0:
            found.append(_flag("cva_value_not_positive"))
        if row.delivery_mechanism not in R4V_MECHANISM_NAMES:
            found.append(_flag("cva_mechanism_invalid"))
    order = {column: i for i, column in enumerate(c.HEADER)}
    return sorted(found, key=lambda f: order[f.column])


def _check_sums(row: Row, found: list[Flag], *, population: bool) -> None:
    new = row.new_beneficiaries or 0
    if population:
        total = sum(row.population.values())
        if total != new:
            found.append(_flag("population_sum", sum=total, new=new))
    total = sum(row.sex_and_age.get(name, 0) for name in SEX_AND_AGE_FIELDS)
    if total != new:
        found.append(_flag("sex_and_age_sum", sum=total, new=new))


def counts_new_people(indicator_type) -> bool:
    """Whether R4V's template wants new beneficiaries (and the six sex-and-age figures) for rows
    of an indicator of this type (an Indicator or its type)."""
    kind = getattr(indicator_type, "type", indicator_type)
    return kind in (IndicatorType.DIRECT_ASSISTANCE, IndicatorType.CAPACITY_BUILDING)


def row_of_line(line: ActivityLine, *, indicator_in_plan: bool = True,
                admin1_known: bool = True) -> Row:
    """Return the regional 5W row that `line` alone would make (DESIGN §6).

    New beneficiaries and the six sex-and-age figures go to the row where R4V counts new people
    (Direct Assistance and Capacity Building indicators; a Capacity Building indicator counted
    in sessions writes the 0 people its lines hold); elsewhere the cells stay empty, as R4V's
    template asks. The quantity is the line's (empty for indicators measured in people). Other
    people of unknown age (lines written before "other" was split by age) have no column: they
    stay out of the six figures, which R4V then flags, rather than being given an age."""
    indicator = line.indicator
    people = counts_new_people(indicator)
    new = line.new_beneficiaries if people else None
    cva = line.modality in CASH_MODALITIES
    return Row(
        indicator_type=indicator.type,
        new_beneficiaries=new,
        total_monthly=line.total_monthly if indicator.measures_people else None,
        population={line.population_type: new} if new is not None else {},
        sex_and_age={name: getattr(line, name) or 0 for name in SEX_AND_AGE_FIELDS}
        if people else {},
        quantity=line.quantity,
        cva=cva,
        value_usd=line.cash_usd if cva else None,
        delivery_mechanism=R4V_DELIVERY_MECHANISMS.get(line.delivery_mechanism, "")
        if cva else "",
        admin1_known=admin1_known,
        indicator_in_plan=indicator_in_plan,
    )


def line_warnings(line: ActivityLine, **known) -> list[Flag]:
    """Return what R4V would flag in `line` on its own: the warnings shown where it is entered.

    The population-type sum always holds for a single line (its people are of one type), so
    what is left is what our own rules allow and R4V's do not."""
    return flags(row_of_line(line, **known))
