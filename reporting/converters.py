"""URL converters: a month written as YYYY-MM, the way partners and the sitrep name it."""

from __future__ import annotations

import datetime as dt

from .models import parse_month


class MonthConverter:
    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> dt.date:
        month = parse_month(value)
        if month is None:  # "2023-13" is not a month: the URL does not match
            raise ValueError(value)
        return month

    def to_url(self, value: dt.date | str) -> str:
        return value if isinstance(value, str) else f"{value.year:04d}-{value.month:02d}"
