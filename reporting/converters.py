"""URL converters: a month written as YYYY-MM, the way partners and the sitrep name it."""

from __future__ import annotations

import datetime as dt


class MonthConverter:
    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> dt.date:
        year, month = value.split("-")
        try:
            return dt.date(int(year), int(month), 1)
        except ValueError as error:  # "2023-13" is not a month: the URL does not match
            raise ValueError(value) from error

    def to_url(self, value: dt.date | str) -> str:
        return value if isinstance(value, str) else f"{value.year:04d}-{value.month:02d}"
