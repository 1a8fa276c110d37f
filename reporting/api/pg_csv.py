"""A page of lines written as CSV by PostgreSQL: each line comes back as its CSV text, exactly
as `rows.line_cells` and Python's csv module would write it, so that a page of 10,000 lines
costs the database's formatting instead of forty Python values per line (issue 15: paging a
million lines at the export's pace). Other databases take the Python path; the tests compare
the two line for line on PostgreSQL.

Python's csv (QUOTE_MINIMAL, "\\r\\n" lines) writes None as nothing, numbers and dates with
str(), and quotes a text only when it holds a comma, a double quote or a line break, doubling
its quotes; booleans here are `true`/`false` (CSVRenderer) and `updated_at` is str() of an
aware UTC datetime: `2023-09-01 12:30:00.123456+00:00`, without the fraction when it is 0.
"""

from __future__ import annotations

import re

from django.db.models import F, Func, TextField

from .rows import LINE_COLUMNS

_PLACEHOLDER = re.compile(r"\{(\d+)\}")


class _Sql(Func):
    """SQL written around compiled expressions: `{0}`, `{1}`… may each appear several times,
    and each appearance brings its expression's parameters, in order. (A `Func` template
    repeating `%(expressions)s` would pass the parameters once.) No `%` in templates: the
    driver reads it as a placeholder."""

    output_field = TextField()

    def __init__(self, template: str, *expressions):
        super().__init__(*expressions)
        self.sql_template = template

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        params: list = []

        def substitute(match: re.Match) -> str:
            sql, expression_params = compiled[int(match.group(1))]
            params.extend(expression_params)
            return sql

        return _PLACEHOLDER.sub(substitute, self.sql_template), params


def _cell(expression) -> _Sql:
    """A value as csv writes it: empty for NULL, quoted when it holds , " CR or LF."""
    return _Sql(
        "CASE WHEN ({0})::text ~ '[\",\\r\\n]' "
        "THEN '\"' || replace(({0})::text, '\"', '\"\"') || '\"' "
        "ELSE COALESCE(({0})::text, '') END",
        expression,
    )


def _number(expression) -> _Sql:
    """A number as csv writes it: str() of it (PostgreSQL's text of an integer or a
    numeric(12, 2) is Python's), empty for NULL; never quoted."""
    return _Sql("COALESCE(({0})::text, '')", expression)


NUMBERS = ("id", "girls", "boys", "women", "men", "other_under_18", "other_adults",
           "other_unknown_age", "new_beneficiaries", "total_monthly", "quantity", "cash_usd")


def _place(province_level: str, district_level: str):
    """Province code or name of a line: its location's when the line is at province level,
    the location's parent's when it is at district level, nothing otherwise."""
    def column(field: str):
        return _cell(_Sql(
            f"CASE {{0}} WHEN '{province_level}' THEN {{1}} WHEN '{district_level}' THEN {{2}} END",
            F("location__level"), F(f"location__{field}"), F(f"location__parent__{field}")))
    return column


def csv_line():
    """The expression of one line's CSV text, in LINE_COLUMNS' order (the page's queryset must
    carry the `changed_at` annotation)."""
    from reporting.models import LocationLevel

    place = _place(LocationLevel.PROVINCE.value, LocationLevel.DISTRICT.value)
    cells = {
        "report": _number(F("report_id")),
        "status": _cell(F("report__status")),
        "month": _Sql("to_char({0}, 'YYYY-MM')", F("report__period__month")),
        "organisation": _cell(F("report__organisation__acronym")),
        "sector": _cell(F("report__sector__code")),
        "indicator": _cell(F("indicator__code")),
        "indicator_sector": _cell(F("indicator__sector__code")),
        "indicator_name": _cell(F("indicator__name_en")),
        "indicator_type": _cell(F("indicator__type")),
        "department": _cell(F("department__code")),
        "department_name": _cell(F("department__name")),
        "province": place("code"),
        "province_name": place("name"),
        "district": _cell(_Sql(f"CASE {{0}} WHEN '{LocationLevel.DISTRICT.value}' THEN {{1}} END",
                               F("location__level"), F("location__code"))),
        "implementing_partner": _cell(F("implementing_partner__acronym")),
        "rmrp_activity": _Sql("CASE WHEN {0} THEN 'true' ELSE 'false' END", F("rmrp_activity")),
        "updated_at": _Sql(
            "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || "
            "CASE WHEN mod(date_part('microseconds', {0})::bigint, 1000000) = 0 THEN '' "
            "ELSE to_char({0} AT TIME ZONE 'UTC', '.US') END || '+00:00'",
            F("changed_at")),
    }
    cells |= {name: _number(F(name)) for name in NUMBERS}
    ordered = [cells.get(column) or _cell(F(column)) for column in LINE_COLUMNS]
    return _Sql("concat_ws(',', " + ", ".join(f"{{{i}}}" for i in range(len(ordered))) + ")",
                *ordered)
