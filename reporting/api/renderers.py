"""CSV for Excel and Power BI: UTF-8 with a byte-order mark, so Excel reads the accents."""

from __future__ import annotations

import csv
import io

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    """Render a list of flat rows (or a page's `results`) as CSV, a header row first; an error
    (a dict with no rows) is rendered as one `detail` column."""

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
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _cell(value) for key, value in row.items()})
        return out.getvalue().encode("utf-8")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return value
