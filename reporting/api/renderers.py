"""CSV for Excel and Power BI: UTF-8 with a byte-order mark, so Excel reads the accents."""

from __future__ import annotations

import csv
import io

from rest_framework.renderers import BaseRenderer


class CsvLines(list):
    """A page's rows already written as CSV text, one string a line (api/pg_csv.py)."""


class CSVRenderer(BaseRenderer):
    """Render a list of flat rows (or a page's `results`) as CSV, a header row first; an error
    (a dict with no rows) is rendered as one `detail` column. Rows are dicts, lists of cells
    already in the view's `csv_header` order (rows.line_cells), or CsvLines."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        renderer_context = renderer_context or {}
        if isinstance(data, dict) and "results" in data:
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        else:
            rows = [{"detail": data.get("detail", data)}] if isinstance(data, dict) else []
        view = renderer_context.get("view")
        header = list(getattr(view, "csv_header", None) or (rows[0].keys() if rows else []))
        if rows and "detail" in rows[0] and len(rows[0]) == 1:
            header = ["detail"]
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        if isinstance(rows, CsvLines):  # already CSV text, a line each (pg_csv)
            if rows:
                out.write("\r\n".join(rows))
                out.write("\r\n")
            return out.getvalue().encode("utf-8")
        if rows and isinstance(rows[0], list):  # already cells, in the header's order
            writer.writerows(rows)
            return out.getvalue().encode("utf-8")
        # Dict rows: the cells taken in the header's order, and only the few that are not
        # text, numbers or empty (None: csv writes "") converted.
        cells_of = _getter(header)
        writer.writerows(
            [_cell(value) if value.__class__ in _CONVERTED else value for value in cells_of(row)]
            for row in rows
        )
        return out.getvalue().encode("utf-8")


def _getter(header: list[str]):
    """Return a function giving a row's cells in the header's order (None where it has none)."""
    return lambda row: [row.get(key) for key in header]


_CONVERTED = frozenset({bool, list, tuple})


def _cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return ";".join(str(item) for item in value)
