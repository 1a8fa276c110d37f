"""What a page shows of activity lines, computed once per request in Python.

The report page is the page partners open most (a third of all requests on deadline day), and
it shows each line twice: as a card on a phone and as a table row on a wider screen. Rendered
field by field, every value went through the template engine twice, with a translation lookup
for every choice label and a locale lookup for every number. Here each value is formatted once:
labels are translated once per page, numbers grouped with the separator of the page's language
(the same text as `intcomma`), and each URL made from one `reverse()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.formats import get_format, number_format

from reporting.numbers.narratives import whole_numbers

from .models import ActivityLine, DeliveryMechanism, Indicator, Modality, PopulationType

# A line pk no database will reach: reverse() is called once with it, and each line's URL is
# that text with the line's pk in its place.
_SLOT = 987654321987654321


def url_pattern(name: str, *args) -> callable:
    """Return a function of one last argument that gives `reverse(name, args=[*args, it])`."""
    text = reverse(name, args=[*args, _SLOT])
    before, _, after = text.partition(str(_SLOT))
    return lambda last: f"{before}{last}{after}"


def int_formatter() -> callable:
    """Return a function that groups a whole number as `intcomma` does in the active language
    (1,540 in both: gtrm/formats/es/), with the locale looked up once."""
    separator = get_format("THOUSAND_SEPARATOR")
    if get_format("NUMBER_GROUPING") == 3:
        return lambda number: f"{number:,}".replace(",", separator)
    return lambda number: number_format(number, force_grouping=True)


@dataclass(frozen=True, slots=True)
class LineRow:
    """One activity line as the report page shows it: every value already text."""

    number: int
    indicator_code: str
    indicator_name: str
    indicator_name_short: str
    department: str
    province: str  # the province when the line is more precise than it, else ""
    place: str  # the province or district when the line is more precise than the department
    population: str
    modality: str
    partner: str
    girls: str
    boys: str
    women: str
    men: str
    other_under_18: str
    other_adults: str
    other_unknown_age: str
    new: str
    total: str
    quantity: str
    unit: str
    cash: str
    description: str
    description_short: str
    rmrp_activity: bool
    edit_url: str
    delete_url: str


def line_rows(lines: list[ActivityLine], *, report_pk: int) -> list[LineRow]:
    """Return the rows of a report's lines (fetched `with_related()`), in their order."""
    grouped = int_formatter()
    populations = {value: str(label) for value, label in PopulationType.choices}
    modalities = {value: str(label) for value, label in Modality.choices}
    mechanisms = {value: str(label) for value, label in DeliveryMechanism.choices}
    units = {value: str(label) for value, label in Indicator._meta.get_field("unit").choices}
    edit_url = url_pattern("reporting:line-edit", report_pk)
    delete_url = url_pattern("reporting:line-delete", report_pk)
    rows = []
    for number, line in enumerate(lines, start=1):
        location, department = line.location, line.department
        province = line.province
        rows.append(LineRow(
            number=number,
            indicator_code=line.indicator.code,
            indicator_name=line.indicator.name,
            indicator_name_short=truncatechars(line.indicator.name, 60),
            department=department.name,
            province=province.name if province and location != province else "",
            place=location.name if location != department else "",
            population=populations.get(line.population_type, line.population_type),
            modality=modality_text(line, modalities, mechanisms),
            partner=str(line.implementing_partner) if line.implementing_partner_id else "",
            girls=grouped(line.girls),
            boys=grouped(line.boys),
            women=grouped(line.women),
            men=grouped(line.men),
            other_under_18=grouped(line.other_under_18),
            other_adults=grouped(line.other_adults),
            other_unknown_age=grouped(line.other_unknown_age),
            new=grouped(line.new_beneficiaries),
            total=grouped(line.total_monthly),
            quantity=grouped(line.quantity) if line.quantity is not None else "",
            unit=units.get(line.indicator.unit, line.indicator.unit),
            cash=cash_text(line.cash_usd),
            description=whole_numbers(line.description),
            description_short=whole_numbers(truncatechars(line.description, 120)),
            rmrp_activity=line.rmrp_activity,
            edit_url=edit_url(line.pk),
            delete_url=delete_url(line.pk),
        ))
    return rows


def modality_text(line: ActivityLine, modalities: dict[str, str],
                  mechanisms: dict[str, str]) -> str:
    """Return a line's modality, with its delivery mechanism when it is cash ("Cash · Mobile
    money"), but not for a voucher, which is its own mechanism."""
    text = modalities.get(line.modality, line.modality)
    if line.delivery_mechanism and line.modality != Modality.VOUCHER:
        text += " · " + mechanisms.get(line.delivery_mechanism, line.delivery_mechanism)
    return text


def cash_text(amount: Decimal | None) -> str:
    """Return an amount as `floatformat:"2g"` shows it: two decimals, grouped; "" for none."""
    if amount is None:
        return ""
    return number_format(amount, decimal_pos=2, force_grouping=True)


def totals_row(lines: list[ActivityLine]) -> dict[str, str | bool]:
    """Return the sums of a report's people columns, grouped as the rows are."""
    grouped = int_formatter()
    return {
        # The column of "other" people whose age was not recorded shows only while a line
        # still has some (lines written before "other" was split by age).
        "unknown_age": any(line.other_unknown_age for line in lines),
    } | {
        name: grouped(sum(getattr(line, field) for line in lines))
        for name, field in (("girls", "girls"), ("boys", "boys"), ("women", "women"),
                            ("men", "men"), ("other_under_18", "other_under_18"),
                            ("other_adults", "other_adults"),
                            ("other_unknown_age", "other_unknown_age"), ("new", "new_beneficiaries"),
                            ("total", "total_monthly"))
    }
