"""Reading one cell of an activity file: what the person typed, as text, a month, a count or an
amount, or a `ValueProblem` that says in plain words why it cannot be used."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from django.utils import translation

from reporting import texts as msg
from reporting.models import MAX_PEOPLE, R4V_DELIVERY_MECHANISMS, DeliveryMechanism, parse_month

from . import columns

# The largest amount the cash column holds (12 digits, 2 of them decimals).
MAX_CASH = Decimal("9999999999.99")
DIGITS = re.compile(r"[0-9]+")
GROUPED = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{3})+(?:[.,][0-9]+)?")
DECIMAL = re.compile(r"[0-9]+[.,][0-9]+")
DATE_TEXT = re.compile(
    r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}(?:[ T].*)?|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}"
)


def as_text(value) -> str:
    """Return a cell's value as the text the person typed (an XLSX number 15.0 is "15")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def name_text(value) -> str:
    """Return the text of a cell that holds a name, a code or a description, without the
    apostrophe that the template and the exports put before text a spreadsheet would run as a
    formula (columns.neutralise): "'-Org" chosen from the template's list is "-Org"."""
    return columns.restore(as_text(value))


class ValueProblem(Exception):
    """A value that cannot be used; `message` says why."""

    def __init__(self, message):
        self.message = str(message)


def read_month(raw) -> dt.date:
    if isinstance(raw, (dt.date, dt.datetime)):
        # Excel stores "2023-09" typed into a General cell as 1 September 2023: that is the
        # month, so take it. Any other day is a date where a month belongs.
        whole_day = not isinstance(raw, dt.datetime) or raw.time() == dt.time(0)
        if raw.day == 1 and whole_day and 2000 <= raw.year <= 2100:
            return dt.date(raw.year, raw.month, 1)
        raise ValueProblem(msg.MONTH_IS_A_DATE)
    text = as_text(raw)
    month = parse_month(text)
    if month and 2000 <= month.year <= 2100:
        return month
    if DATE_TEXT.fullmatch(text):
        raise ValueProblem(msg.MONTH_IS_A_DATE)
    raise ValueProblem(msg.MONTH_FORMAT % {"value": text})


def read_count(raw) -> int:
    """Return a whole number of people or units ≥ 0 (12, 12.0 from a workbook, "12")."""
    text = as_text(raw)
    if isinstance(raw, (bool, dt.date, dt.datetime)):
        raise ValueProblem(msg.NOT_A_WHOLE_NUMBER % {"value": text})
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, float):
        if not (math.isfinite(raw) and raw.is_integer()):
            if math.isfinite(raw) and raw < 0:
                raise ValueProblem(msg.NEGATIVE_VALUE)
            raise ValueProblem(msg.NOT_A_WHOLE_NUMBER % {"value": text})
        number = int(raw)
    else:
        unsigned = text[1:].strip() if text.startswith("-") else text
        if DIGITS.fullmatch(text):
            # More digits than any plausible count is a typing error; int() of thousands of
            # digits would also fail on Python's conversion limit.
            if len(text.lstrip("0")) > len(str(MAX_PEOPLE)):
                raise ValueProblem(msg.IMPLAUSIBLE % {"limit_value": MAX_PEOPLE})
            number = int(text)
        elif text.startswith("-") and (DIGITS.fullmatch(unsigned) or DECIMAL.fullmatch(unsigned)):
            raise ValueProblem(msg.NEGATIVE_VALUE)
        elif GROUPED.fullmatch(text):
            # "1,200" is 1200 to one reader and 1.2 to another.
            raise ValueProblem(msg.THOUSANDS_SEPARATOR % {"value": text})
        else:
            raise ValueProblem(msg.NOT_A_WHOLE_NUMBER % {"value": text})
    if number < 0:
        raise ValueProblem(msg.NEGATIVE_VALUE)
    if number > MAX_PEOPLE:
        raise ValueProblem(msg.IMPLAUSIBLE % {"limit_value": MAX_PEOPLE})
    return number


def read_amount(raw) -> Decimal:
    """Return an amount in USD ≥ 0 with at most two decimals; a decimal comma is read only
    where it cannot be a thousands separator ("12,50" yes, "1,250" no)."""
    text = as_text(raw)
    if isinstance(raw, (bool, dt.date, dt.datetime)):
        raise ValueProblem(msg.NOT_AN_AMOUNT % {"value": text})
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise ValueProblem(msg.NOT_AN_AMOUNT % {"value": text})
        amount = Decimal(raw) if isinstance(raw, int) else Decimal(repr(raw))
    else:
        unsigned = text[1:].strip() if text.startswith("-") else text
        if text.startswith("-") and (DIGITS.fullmatch(unsigned) or DECIMAL.fullmatch(unsigned)
                                     or GROUPED.fullmatch(unsigned)):
            raise ValueProblem(msg.NEGATIVE_VALUE)
        if DIGITS.fullmatch(text):
            amount = Decimal(text)
        elif re.fullmatch(r"[0-9]+[.,][0-9]{1,2}", text):
            amount = Decimal(text.replace(",", "."))
        elif GROUPED.fullmatch(text):
            raise ValueProblem(msg.AMOUNT_AMBIGUOUS % {"value": text})
        elif DECIMAL.fullmatch(text):
            raise ValueProblem(msg.AMOUNT_DECIMALS % {"value": text})
        else:
            raise ValueProblem(msg.NOT_AN_AMOUNT % {"value": text})
    if amount < 0:
        raise ValueProblem(msg.NEGATIVE_VALUE)
    try:
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueProblem(msg.AMOUNT_DECIMALS % {"value": text})
    except InvalidOperation as error:
        raise ValueProblem(msg.AMOUNT_TOO_LARGE % {"value": text}) from error
    if amount > MAX_CASH:
        raise ValueProblem(msg.AMOUNT_TOO_LARGE % {"value": text})
    return amount.quantize(Decimal("0.01"))


YES = frozenset({"yes", "y", "sí", "si", "s", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})


def read_yes_no(raw) -> bool:
    """Return a yes/no cell (yes, no, sí, s, y, n, true, false, 1, 0, any case, or a
    spreadsheet's own TRUE and FALSE); anything else is a problem, never taken for no."""
    if isinstance(raw, bool):
        return raw
    text = as_text(raw).strip()
    folded = text.casefold()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise ValueProblem(msg.NOT_YES_OR_NO % {"value": text})


def _mechanism_names() -> dict[str, str]:
    """Return a delivery mechanism's code by its code, R4V's name and its Spanish and English
    labels, folded."""
    names = {columns.fold(code): code for code in DeliveryMechanism.values}
    names |= {columns.fold(name): code for code, name in R4V_DELIVERY_MECHANISMS.items()}
    for language in ("es", "en"):
        with translation.override(language):
            names |= {columns.fold(str(label)): code for code, label in DeliveryMechanism.choices}
    return names


ACTIVITY_NAME_LIMIT = 100


def read_delivery_mechanism(raw) -> str:
    """Return the code of a delivery mechanism written as its code (mobile_money), as R4V
    names it (Mobile Money), by its label in Spanish or English, or as the template's
    drop-down writes it ("mobile_money · Dinero móvil")."""
    text = as_text(raw).strip()
    code = _mechanism_names().get(columns.fold(columns.code_part(text)))
    if code is None:
        raise ValueProblem(msg.NOT_A_MECHANISM % {"value": text})
    return str(code)


def read_activity_name(raw) -> str:
    """Return a short activity name (the column holds 100 characters at most)."""
    text = name_text(raw)
    if len(text) > ACTIVITY_NAME_LIMIT:
        raise ValueProblem(msg.ACTIVITY_NAME_TOO_LONG % {"limit": ACTIVITY_NAME_LIMIT,
                                                         "length": len(text)})
    return text
