"""Template filters for the figures of the platform: `{% load numbers %}`.

Numbers follow the active language's formats (1,540 in both, as Peru writes them); a missing figure is
shown as an en dash, never as 0, because "not reported" and "none" are different facts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import pgettext

from reporting.numbers.narratives import render_narrative, whole_numbers

register = template.Library()

MISSING = "–"
MILLION = 10**6


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _units() -> tuple[tuple[int, str], ...]:
    # Abbreviations are looked up at render time so they follow the language of the page.
    return (
        (10**9, pgettext("billions, abbreviated: $1.2B", "B")),
        (MILLION, pgettext("millions, abbreviated: $44.8M", "M")),
        (10**3, pgettext("thousands, abbreviated: $950K", "K")),
    )


def _three_significant(number: Decimal) -> Decimal:
    if number == 0:
        return number
    return number.quantize(Decimal(1).scaleb(number.adjusted() - 2), rounding=ROUND_HALF_UP)


def _abbreviated(number: Decimal, smallest_unit: int) -> str:
    """Return `number` to three significant digits with a K, M or B suffix, or as a grouped
    whole number when it is below `smallest_unit`."""
    sign = "-" if number < 0 else ""
    rounded = _three_significant(abs(number))
    for size, suffix in _units():
        # Units are chosen after rounding, so 999,999,999 becomes 1B rather than 1,000M.
        if size >= smallest_unit and abs(number) >= smallest_unit and rounded >= size:
            mantissa = (rounded / size).normalize()
            places = max(0, -mantissa.as_tuple().exponent)
            mantissa = mantissa.quantize(Decimal(1).scaleb(-places))
            return sign + number_format(mantissa, decimal_pos=places, force_grouping=True) + suffix
    whole = int(abs(number).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return sign + number_format(whole, force_grouping=True)


@register.filter
def thousands(value) -> str:
    """Return a whole number with the thousands separator of the page's language."""
    number = _decimal(value)
    if number is None:
        return MISSING if value is None or value == "" else str(value)
    return number_format(int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
                         force_grouping=True)


@register.filter
def compact(value) -> str:
    """Return a number as the sitrep headlines print it: 1.54M from a million up, 25,290 below."""
    number = _decimal(value)
    if number is None:
        return MISSING if value is None or value == "" else str(value)
    return _abbreviated(number, MILLION)


@register.filter
def compact_usd(value) -> str:
    """Return an amount in US dollars abbreviated: $44.8M, $318M, $950K."""
    number = _decimal(value)
    if number is None:
        return MISSING if value is None or value == "" else str(value)
    return pgettext("an amount in US dollars", "$%(amount)s") % {
        "amount": _abbreviated(number, 10**3)
    }


@register.filter
def narrative(value) -> SafeString:
    """Return a narrative's text as HTML (see reporting.numbers.narratives)."""
    return render_narrative(value or "")


@register.filter
def unbroken_numbers(value) -> str:
    """Return text someone typed with the spaces inside its numbers made no-break spaces."""
    return whole_numbers(str(value)) if value else value
