"""Charts and the department map as inline SVG, drawn on the server.

The same markup goes into web pages and into the PDF situation report (WeasyPrint), so it uses
plain SVG only: explicit width, height and viewBox, colours as attributes, no CSS classes or
variables, no scripts, no external resources. Every label passes through `format_html`, which
escapes it; numbers are formatted in the active language (`number_format`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

GEOJSON = Path(settings.BASE_DIR) / "seeds" / "departments.geojson"

FONT = "sans-serif"
TEXT_COLOUR = "#212529"
MUTED_COLOUR = "#6c757d"
GRID_COLOUR = "#dee2e6"
# ColorBrewer "Blues", light to dark; departments with nothing reported stay grey.
MAP_CLASSES = ("#c6dbef", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
MAP_EMPTY = "#e9ecef"
# A department whose figure is hidden from the public (disclosure control).
MAP_WITHHELD = "#c8bfa8"
MAP_STROKE = "#ffffff"
HIGHLIGHT_STROKE = "#ff7f0e"
# The 1-2-5 ladder that class breaks and axis steps are taken from (2.5 only from 25 up, so
# every step stays a whole number).
LADDER = (1, 2, 2.5, 5)


MISSING = "–"


def thousands(value: int | None) -> str:
    """Return `value` with the thousands separator of the active language; a dash for None."""
    return MISSING if value is None else number_format(value, force_grouping=True)


def _text_width(text: str, size: float) -> float:
    """Return an estimate of the rendered width of `text`: SVG cannot measure text for us."""
    return len(text) * size * 0.56


def _fit(text: str, size: float, room: float) -> str:
    """Return `text` shortened with an ellipsis so that it fits in `room` pixels."""
    if _text_width(text, size) <= room:
        return text
    keep = max(1, int(room / (size * 0.56)) - 1)
    return text[:keep].rstrip() + "…"


def _lines(text: str, size: float, room: float) -> list[str]:
    """Return `text` as one line, or two broken between words when one does not fit in `room`
    pixels (the second shortened with an ellipsis only if it still does not fit)."""
    if _text_width(text, size) <= room:
        return [text]
    words = text.split()
    first = words[0]
    for index, word in enumerate(words[1:], start=1):
        if _text_width(f"{first} {word}", size) > room:
            return [_fit(first, size, room), _fit(" ".join(words[index:]), size, room)]
        first = f"{first} {word}"
    return [_fit(text, size, room)]


def _svg(width: float, height: float, title: str, body: Iterable[SafeString],
         desc: str = "") -> SafeString:
    """Wrap `body` in an <svg> that says what it shows to a screen reader: role="img", named by
    its <title> and described by its <desc> (the figures), through ids unique to the chart (a
    page may show several; the same chart drawn twice gets the same ids, which is harmless as
    only one of them is ever displayed)."""
    body = list(body)
    key = hashlib.sha1(
        "\x1f".join([title, desc, _n(width), _n(height), *map(str, body)]).encode()
    ).hexdigest()[:10]
    title_id, desc_id = f"chart-{key}-title", f"chart-{key}-desc"
    labelled_by = title_id if title else desc_id if desc else ""
    head = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'viewBox="0 0 {w} {h}" role="img"{labelled}{described} font-family="{font}" '
        'style="max-width:100%;height:auto">',
        w=_n(width), h=_n(height), font=FONT,
        labelled=format_html(' aria-labelledby="{}"', labelled_by) if labelled_by else "",
        described=format_html(' aria-describedby="{}"', desc_id) if title and desc else "",
    )
    parts = [head]
    if title:
        parts.append(format_html('<title id="{}">{}</title>', title_id, title))
    if desc:
        parts.append(format_html('<desc id="{}">{}</desc>', desc_id, desc))
    parts.extend(body)
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def _n(value: float) -> str:
    """Return a coordinate as SVG wants it: a dot as decimal separator, whatever the language."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, text: str, *, size: float = 12, anchor: str = "start",
          colour: str = TEXT_COLOUR, weight: str = "normal") -> SafeString:
    return format_html(
        '<text x="{}" y="{}" font-family="{}" font-size="{}" text-anchor="{}" fill="{}" '
        'font-weight="{}">{}</text>',
        _n(x), _n(y), FONT, _n(size), anchor, colour, weight, text,
    )


def _empty_note(width: float, y: float) -> SafeString:
    return _text(width / 2, y, _("No data"), anchor="middle", colour=MUTED_COLOUR)


# --------------------------------------------------------------------------------------------
# Bar chart
# --------------------------------------------------------------------------------------------

BAR_ROW = 24
BAR_HEIGHT = 16
BAR_FONT = 12


def bar_chart(bars: list[tuple[str, int]], *, title: str = "", colour: str = "#00558C",
              width: int = 480, font: float = BAR_FONT, row: float = BAR_ROW) -> SafeString:
    """Return a horizontal bar chart, one row per (label, value) in the given order; `font`
    and `row` (its height) make it more compact."""
    desc = "; ".join(f"{label}: {thousands(value)}" for label, value in bars)
    if not bars:
        return _svg(width, row * 2, title, [_empty_note(width, row)])
    label_room = round(width * 0.4)
    value_room = max(_text_width(thousands(value), font) for _, value in bars) + 8
    bar_room = max(width - label_room - 8 - value_room, 1)
    # A figure hidden from the public (disclosure control: "< 5", "…") has its text, no bar.
    top = max((value for _, value in bars if isinstance(value, int | float)), default=0) or 1
    bar = row * BAR_HEIGHT / BAR_ROW
    body = []
    y = 0
    for label, value in bars:
        # A long sector name takes two lines rather than being cut ("Humanitarian T…").
        lines = _lines(label, font, label_room - 6)
        line = font * 1.1
        row_height = row + line * (len(lines) - 1)
        middle = y + row_height / 2
        length = bar_room * max(value, 0) / top if isinstance(value, int | float) else 0
        first = middle + font / 3 - line * (len(lines) - 1) / 2
        label_text = mark_safe("".join(
            _text(label_room - 6, first + line * index, text, anchor="end", size=font)
            for index, text in enumerate(lines)
        ))
        body.append(format_html(
            "<g><title>{}: {}</title>{}"
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>{}</g>',
            label, thousands(value), label_text,
            _n(label_room), _n(middle - bar / 2), _n(length), _n(bar), colour,
            _text(label_room + length + 4, middle + font / 3, thousands(value), size=font),
        ))
        y += row_height
    return _svg(width, y, title, body, desc)


# --------------------------------------------------------------------------------------------
# Map of departments
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Department:
    code: str
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]  # projected, in units of the map


@dataclass(frozen=True)
class Outline:
    departments: tuple[Department, ...]
    width: float
    height: float


@lru_cache(maxsize=1)
def departments_outline() -> Outline:
    """Return the 25 departments projected once: longitude × cos(mean latitude) and latitude
    flipped (north up), translated so that the map starts at (0, 0)."""
    features = json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]
    polygons = []
    for feature in features:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            rings = list(geometry["coordinates"])
        else:  # MultiPolygon
            rings = [ring for polygon in geometry["coordinates"] for ring in polygon]
        polygons.append((feature["properties"], rings))
    points = [point for _, rings in polygons for ring in rings for point in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    scale = math.cos(math.radians((south + north) / 2))
    departments = tuple(
        Department(
            code=properties["inei"],
            name=properties["name"],
            rings=tuple(
                tuple(((lon - west) * scale, north - lat) for lon, lat in ring) for ring in rings
            ),
        )
        for properties, rings in sorted(polygons, key=lambda item: item[0]["inei"])
    )
    return Outline(departments, (east - west) * scale, north - south)


def _nice_at_least(value: float) -> int:
    """Return the smallest 1, 2 or 5 × 10ⁿ that is at least `value` (and at least 1)."""
    exponent = 0
    while True:
        for step in (1, 2, 5):
            candidate = step * 10**exponent
            if candidate >= value:
                return candidate
        exponent += 1


def class_breaks(top: int) -> list[int]:
    """Return the upper bounds of the map's classes for a largest value `top`.

    The last bound is `top` itself. The others come from the 1-2-5 ladder below the smallest
    ladder number ≥ `top`, taking every other rung (200,000 → 50,000, 10,000, 2,000, 500):
    each class is about four to five times the one below, which suits figures where Lima has
    a hundred times more than the Amazon departments. Rungs below 1 are dropped, so small
    maxima get fewer classes; the department with the largest value is always in the last,
    darkest class.
    """
    if top <= 0:
        return []
    ceiling = _nice_at_least(top)
    rungs = [
        step * 10**power
        for power in range(len(str(ceiling)) - 1, -1, -1)
        for step in (5, 2, 1)
        if step * 10**power < ceiling
    ]
    inner = rungs[1::2][:4]
    return sorted(inner) + [top]


def _class_of(value: int, breaks: list[int]) -> int | None:
    if value <= 0:
        return None
    for index, bound in enumerate(breaks):
        if value <= bound:
            return index
    return len(breaks) - 1


def _palette(classes: int) -> tuple[str, ...]:
    """Return `classes` colours, always ending with the darkest blue."""
    return MAP_CLASSES[len(MAP_CLASSES) - classes:]


def _ring_path(ring: tuple[tuple[float, float], ...], scale: float, dx: float, dy: float) -> str:
    return "M" + "L".join(f"{_n(x * scale + dx)} {_n(y * scale + dy)}" for x, y in ring) + "Z"


def _code(code: str) -> str:
    """Return an INEI department code from `15`, `PE15` or `1`."""
    code = str(code).strip().upper().removeprefix("PE")
    return code.zfill(2)


def department_map(values: dict[str, int], *, title: str = "", legend_title: str = "",
                   width: int = 360, highlight: str | None = None,
                   names: dict[str, str] | None = None) -> SafeString:
    """Return Peru's departments shaded by `values` ({INEI code: value}) in up to five classes,
    with a legend and a hover title per department."""
    outline = departments_outline()
    # A figure hidden from the public (disclosure control: "< 5", "…") is drawn as withheld,
    # never in the class its true value would fall in.
    withheld = {_code(code): value for code, value in values.items() if isinstance(value, str)}
    values = {_code(code): value or 0 for code, value in values.items()
              if not isinstance(value, str)}
    names = {_code(code): name for code, name in (names or {}).items()}
    highlight = _code(highlight) if highlight else None
    margin = 4
    scale = (width - 2 * margin) / outline.width
    height = math.ceil(outline.height * scale + 2 * margin)
    breaks = class_breaks(max(values.values(), default=0))
    palette = _palette(len(breaks))

    paths, on_top = [], []
    for department in outline.departments:
        value = values.get(department.code, 0)
        index = _class_of(value, breaks)
        fill = MAP_EMPTY if index is None else palette[index]
        if department.code in withheld:
            value, fill = withheld[department.code], MAP_WITHHELD
        highlighted = department.code == highlight
        d = "".join(_ring_path(ring, scale, margin, margin) for ring in department.rings)
        path = format_html(
            '<path d="{}" fill="{}" stroke="{}" stroke-width="{}" stroke-linejoin="round" '
            'data-code="{}"><title>{}: {}</title></path>',
            d, fill, HIGHLIGHT_STROKE if highlighted else MAP_STROKE,
            "2.5" if highlighted else "0.8", department.code,
            names.get(department.code, department.name), thousands(value),
        )
        # Drawn last, so that its neighbours do not paint over its outline.
        (on_top if highlighted else paths).append(path)

    legend = _map_legend(breaks, palette, legend_title, x=margin + 2, bottom=height - margin,
                         withheld=bool(withheld))
    desc = "; ".join(
        f"{names.get(d.code, d.name)}: {withheld.get(d.code) or thousands(values[d.code])}"
        for d in outline.departments if values.get(d.code) or d.code in withheld
    )
    return _svg(width, height, title, [*paths, *on_top, legend], desc)


def _map_legend(breaks: list[int], palette: tuple[str, ...], legend_title: str, *,
                x: float, bottom: float, withheld: bool = False) -> SafeString:
    """Return the legend, drawn in the lower-left corner: the Pacific, south of Lima."""
    rows = [(MAP_EMPTY, thousands(0))]
    if withheld:
        rows.insert(0, (MAP_WITHHELD, _("small, not shown")))
    lower = 1
    for colour, bound in zip(palette, breaks, strict=True):
        label = thousands(bound) if lower == bound else f"{thousands(lower)} – {thousands(bound)}"
        rows.append((colour, label))
        lower = bound + 1
    swatch, row = 12, 16
    height = row * len(rows) + (row if legend_title else 0)
    y = bottom - height
    parts = []
    if legend_title:
        parts.append(_text(x, y + 11, legend_title, size=11, weight="bold"))
        y += row
    for colour, label in reversed(rows):
        parts.append(format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" '
            'stroke-width="0.5"/>{}',
            _n(x), _n(y + 1), swatch, swatch, colour, MUTED_COLOUR,
            _text(x + swatch + 5, y + 11, label, size=11),
        ))
        y += row
    return format_html("<g>{}</g>", mark_safe("".join(parts)))


# --------------------------------------------------------------------------------------------
# Line chart
# --------------------------------------------------------------------------------------------

def axis_ticks(top: int) -> list[int]:
    """Return 0 and the multiples of a 1-2-2.5-5 step up to the first at or above `top`:
    three to five ticks for any `top` of 2 or more."""
    top = max(top, 1)
    exponent = 0
    while True:
        for step in LADDER:
            size = step * 10**exponent
            if size != int(size):
                continue
            size = int(size)
            count = math.ceil(top / size)
            if count <= 4:
                return [size * i for i in range(count + 1)]
        exponent += 1


def line_chart(labels: list[str], series: list[tuple[str, list[int | None], str]], *,
               title: str = "", width: int = 560, height: int = 220) -> SafeString:
    """Return a line chart of `series` ((name, values, colour), one value per label) over the
    `labels` of the x axis, with a legend below. A None value is a month without data: no
    point, and the line is broken there rather than drawn down to 0."""
    font = 11
    legend_row = 18
    top_pad, right_pad, bottom_pad = 10, 12, 20
    values = [value for _, points, _ in series for value in points if value is not None]
    ticks = axis_ticks(max(values, default=0))
    left = max(_text_width(thousands(tick), font) for tick in ticks) + 10
    plot_w = width - left - right_pad
    plot_h = height - top_pad - bottom_pad - legend_row
    base = top_pad + plot_h
    widest = max((_text_width(label, font) for label in labels), default=0) + 6
    # The first and last points sit inside the axis, so that their labels are not cut off.
    inset = min(widest / 2, plot_w / 8)
    body = []

    def y_of(value: float) -> float:
        return base - plot_h * value / ticks[-1]

    def x_of(index: int) -> float:
        if len(labels) <= 1:
            return left + plot_w / 2
        return left + inset + (plot_w - 2 * inset) * index / (len(labels) - 1)

    for tick in ticks:
        body.append(format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>{}',
            _n(left), _n(y_of(tick)), _n(left + plot_w), _n(y_of(tick)),
            MUTED_COLOUR if tick == 0 else GRID_COLOUR,
            _text(left - 6, y_of(tick) + 4, thousands(tick), size=font, anchor="end",
                  colour=MUTED_COLOUR),
        ))
    # Skip x labels when they would overlap: every second, third… label is printed.
    spacing = (plot_w - 2 * inset) / max(len(labels) - 1, 1)
    every = max(1, math.ceil(widest / spacing)) if len(labels) > 1 else 1
    for index, label in enumerate(labels):
        if index % every == 0:
            body.append(_text(x_of(index), base + 15, label, size=font, anchor="middle",
                              colour=MUTED_COLOUR))

    for name, points, colour in series:
        coords = {i: (x_of(i), y_of(value)) for i, value in enumerate(points[: len(labels)])
                  if value is not None}
        # One polyline per run of consecutive months with data.
        runs, run = [], []
        for i in range(len(labels)):
            if i in coords:
                run.append(coords[i])
            elif run:
                runs.append(run)
                run = []
        runs.append(run)
        for run in runs:
            if len(run) > 1:
                body.append(format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" '
                    'stroke-linejoin="round"/>',
                    " ".join(f"{_n(x)},{_n(y)}" for x, y in run), colour,
                ))
        body.append(format_html_join(
            "", '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{} · {}: {}</title></circle>',
            ((_n(x), _n(y), colour, name, labels[i], thousands(points[i]))
             for i, (x, y) in coords.items()),
        ))

    x = left
    legend_y = height - 5
    for name, _points, colour in series:
        body.append(format_html(
            '<rect x="{}" y="{}" width="12" height="3" fill="{}"/>{}',
            _n(x), _n(legend_y - 5), colour, _text(x + 16, legend_y, name, size=font),
        ))
        x += 16 + _text_width(name, font) + 18
    if not values:
        body.append(_empty_note(width, top_pad + plot_h / 2))
    desc = "; ".join(
        f"{name}: " + ", ".join(
            f"{label} {thousands(value)}" for label, value in zip(labels, points, strict=False)
        )
        for name, points, _ in series
    )
    return _svg(width, height, title, body, desc)
