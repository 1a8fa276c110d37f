"""The monthly situation report: assembled from the aggregation results, frozen into editions.

`build_report` takes a snapshot of a month as plain JSON-serialisable data in no particular
language (both names of each sector, both texts of each narrative), so that a published edition
can be rendered later in Spanish or English exactly as it was. Every number comes from
`aggregation.month_figures`; nothing here re-applies the counting rules.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gtrm.collation import spanish_key
from partners.models import Organisation, OrganisationType
from reporting.funding.fts import NOT_SPECIFIED as FTS_NOT_SPECIFIED
from reporting.languages import spanish_or_english
from reporting.models import (
    KeyFigures,
    Location,
    Narrative,
    NarrativeKind,
    PopulationType,
    ReportingPeriod,
    SitrepEdition,
    parse_month,
)

from . import disclosure
from .aggregation import month_figures

ONLY_IM_PUBLISHES = gettext_lazy("Only an IM officer may publish the situation report.")

CSS_PATH = "css/sitrep.css"
# Where the stylesheet's screen rules start (media features such as max-width, which WeasyPrint
# does not read and warns about): the PDF inlines what comes before.
BROWSER_ONLY = "/* ---- Browser only"
# The side column of the A4 sheet, in CSS pixels: charts are drawn at the size they are shown,
# because WeasyPrint does not scale an SVG's height to a narrowed width.
CHART_WIDTH = 300
MAP_WIDTH = 270

# WeasyPrint logs every step of every PDF at INFO; its warnings still reach the log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------
# The snapshot
# --------------------------------------------------------------------------------------------

# Named in the partner list of the published situation report though not counted among its
# partners (seeds/README.md, "110 vs 111"): Proyecto LHSS, a USAID project whose partner, USAID,
# is listed too. The list follows the published report; the count stays that of the partners.
LISTED_NOT_COUNTED = ("LHSS",)

# The key that sorts names as a Spanish reader expects (gtrm/collation.py, where the database
# orders by the same rule).
spanish_sort_key = spanish_key


def _number(value: Decimal | int | None) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def build_report(period: ReportingPeriod) -> dict:
    """Return the situation report of `period` as JSON-serialisable, language-neutral data.

    A fixed number of queries whatever the number of lines: the five of `month_figures` and
    four more (key figures, narratives, partners, department names).
    """
    figures = month_figures(period.month)
    key = KeyFigures.objects.filter(period=period).first()
    narratives = list(
        Narrative.objects.filter(period=period).select_related("sector").order_by("sector__order")
    )
    listed = list(
        Organisation.objects.filter(Q(is_partner=True) | Q(acronym__in=LISTED_NOT_COUNTED),
                                    active=True)
        .values_list("short_name", "type", "rmrp_appealing", "is_partner")
    )
    partners = [(name, kind, appealing) for name, kind, appealing, partner in listed if partner]
    also_listed = sorted((name for name, *_, partner in listed if not partner),
                         key=spanish_sort_key)
    department_names = dict(Location.objects.departments().values_list("code", "name"))

    def sector(figure, with_parent: bool) -> dict:
        row = {"code": figure.code, "name_es": figure.name_es, "name_en": figure.name_en,
               "month": figure.month, "ytd": figure.ytd}
        if with_parent:
            row["parent"] = figure.parent
        return row

    def text(kind: str) -> dict:
        found = next((n for n in narratives if n.kind == kind and n.sector_id is None), None)
        return {"es": found.text_es if found else "", "en": found.text_en if found else ""}

    highlights = [
        {"sector": n.sector.code, "name_es": n.sector.name_es, "name_en": n.sector.name_en,
         "es": n.text_es, "en": n.text_en}
        for n in narratives
        if n.kind == NarrativeKind.HIGHLIGHTS and (n.text_es.strip() or n.text_en.strip())
    ]

    return {
        "period": period.code,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "people_assisted": {
            "month": figures.people_assisted_month,
            "ytd": figures.people_assisted_ytd,
            "sum_of_sectors_month": figures.sum_of_sectors_month,
            "sum_of_sectors_ytd": figures.sum_of_sectors_ytd,
        },
        "sectors": [sector(f, False) for f in figures.sectors],
        "subsectors": [sector(f, True) for f in figures.subsectors],
        "cbi": {"month": figures.cbi_month, "ytd": figures.cbi_ytd},
        "departments": [
            {"code": d.code, "name": d.name, "month": d.month, "ytd": d.ytd}
            for d in figures.departments
        ],
        "department_names": department_names,
        "population_types": [
            {"code": p.code, "month": p.month, "ytd": p.ytd} for p in figures.population_types
        ],
        "partners": {
            "total": len(partners),
            "rmo": sum(1 for _name, kind, _appealing in partners if kind == OrganisationType.RMO),
            "appealing": sum(1 for _name, _kind, appealing in partners if appealing),
            "reporting": figures.partners_reporting,
            # The list as the published report prints it; the count is the partners' alone.
            "names": sorted([*(name for name, _kind, _appealing in partners), *also_listed],
                            key=spanish_sort_key),
            "also_listed": also_listed,
        },
        "key_figures": {
            "refugees": key.refugees if key else None,
            "refugees_source": key.refugees_source if key else "",
            "refugees_date": _date(key.refugees_date) if key else None,
        },
        "funding": {
            "required_usd": _number(key.funding_required_usd) if key else None,
            "funded_usd": _number(key.funding_received_usd) if key else None,
            "percent": key.funded_percent if key else None,
            "source": key.funding_source if key else "",
            "date": _date(key.funding_date) if key else None,
            **funding_origin(key),
        },
        "narratives": {
            "situation": text(NarrativeKind.SITUATION),
            "coordination": text(NarrativeKind.COORDINATION),
            "highlights": highlights,
        },
    }


def in_language(names: dict, language: str) -> str:
    """Return the `name_es` or `name_en` of a frozen row for a reader of `language`."""
    return spanish_or_english(names.get("name_es"), names.get("name_en"), language)


def _marks(data: dict, names: dict, language: str) -> list[dict]:
    """For a reviewer: each figure the public does not see, named, with its true value."""
    tables = {"sectors": _("Sector"), "subsectors": _("Sub-sector"),
              "departments": _("Department"), "population_types": _("Population type"),
              "headline": _("Headline")}
    headline = {"people_assisted": _("People assisted directly"),
                "sum_of_sectors": _("Sum of sectors"), "cbi": _("CBI")}
    rows = []
    for mark in data.get("disclosure_marks", []):
        table, code = mark["table"], mark["code"]
        if table == "headline":
            label = headline.get(code, code)
        elif table == "departments":
            label = names.get(code, code)
        elif table == "population_types":
            label = str(PopulationType(code).label) if code in PopulationType.values else code
        else:
            row = next((r for r in data.get(table, []) if r.get("code") == code), {})
            label = in_language(row, language) or code
        rows.append({**mark, "table_label": tables.get(table, table), "label": label})
    return rows


def _sortable(value) -> int | float:
    return value if isinstance(value, int | float) else 0


def funding_rows_named(rows: list[dict], language: str) -> list[dict]:
    """The funding rows by sector, each named for a reader of `language`: our sectors by their
    name, FTS's other clusters by FTS's, and FTS's funding to no sector as "Not specified"."""
    return [{**row, "name": _("Not specified") if row["code"] is None
             and row["fts_name"] == FTS_NOT_SPECIFIED else in_language(row, language)}
            for row in rows]


def funding_origin(key: KeyFigures | None) -> dict:
    """Where the funding figures came from, and FTS's figures by sector (one query): each
    sector FTS funds, the clusters that are none of ours under FTS's name, and the funding FTS
    could give no sector ("Not specified"), never dropped."""
    if key is None:
        return {"origin": "", "override_reason": "", "fts_required_usd": None,
                "fts_funded_usd": None, "sectors": []}
    rows = []
    for row in key.sector_funding.select_related("sector").order_by(
            "sector__order", "fts_name"):
        sector = row.sector
        percent = None
        if row.required_usd and row.funded_usd is not None:
            percent = int((row.funded_usd * 100 / row.required_usd).quantize(
                Decimal(1), rounding=ROUND_HALF_UP))
        rows.append({
            "code": sector.code if sector else None,
            "name_es": sector.name_es if sector else row.fts_name,
            "name_en": sector.name_en if sector else row.fts_name,
            "fts_name": row.fts_name,
            "required_usd": _number(row.required_usd),
            "funded_usd": _number(row.funded_usd),
            "percent": percent,
        })
    # Our sectors first, then FTS's other clusters, then what FTS gave no cluster.
    rows.sort(key=lambda r: (r["code"] is None, r["fts_name"] == FTS_NOT_SPECIFIED))
    return {
        "origin": key.funding_origin,
        "override_reason": key.funding_override_reason,
        "fts_required_usd": _number(key.fts_required_usd),
        "fts_funded_usd": _number(key.fts_funded_usd),
        "sectors": rows,
    }


def as_contract_json(data: dict, language: str) -> dict:
    """Return `data` in the shape of the `situation_report` JSON contract (DESIGN §5): the
    snapshot's keys, with each sector's `name` in `language`."""
    result = dict(data)
    result["language"] = language
    result["sectors"] = [{**row, "name": in_language(row, language)} for row in data["sectors"]]
    result["subsectors"] = [
        {**row, "name": in_language(row, language)} for row in data.get("subsectors", [])
    ]
    with translation.override(language):
        result["population_types"] = [
            {**row, "name": str(PopulationType(row["code"]).label)
             if row["code"] in PopulationType.values else row["code"]}
            for row in data.get("population_types", [])
        ]
    return result


def public_json(edition: SitrepEdition, language: str) -> dict:
    """Return a published edition as the public reads it in the `situation_report` JSON
    contract: disclosure control applied, the edition's number and date added. The one builder
    of both /sitreps/<month>/<n>/json/ and the API's figures/."""
    payload = as_contract_json(disclosure.for_readers(edition.data, as_json=True), language)
    payload["edition"] = {"number": edition.number,
                          "published_at": edition.published_at.isoformat(timespec="seconds")}
    return payload


# --------------------------------------------------------------------------------------------
# Editions
# --------------------------------------------------------------------------------------------

def publish_edition(*, period: ReportingPeriod, by, note: str = "") -> SitrepEdition:
    """Freeze the situation report of `period` as its next edition, published by `by`."""
    if not getattr(by, "is_im_officer", False):
        raise PermissionDenied(ONLY_IM_PUBLISHES)
    with transaction.atomic():
        # Two officers publishing at once would otherwise both read the same last number; the
        # lock on the period row makes the second wait for the first's edition.
        ReportingPeriod.objects.select_for_update().filter(pk=period.pk).first()
        last = SitrepEdition.objects.filter(period=period).aggregate(last=Max("number"))["last"]
        return SitrepEdition.objects.create(
            period=period,
            number=(last or 0) + 1,
            data=disclosure.stamp(build_report(period)),
            note=note.strip(),
            published_by=by,
        )


@dataclass(frozen=True)
class Change:
    """One figure (or text) of an edition that differs from the live data."""

    label: str
    published: int | float | str | None
    now: int | float | str | None
    is_text: bool = False


def month_title(code: str) -> str:
    """Return the month `code` ("2023-09") as a title in the active language."""
    return capfirst(date_format(parse_month(code), "YEAR_MONTH_FORMAT"))


def changes_since(edition: SitrepEdition, *, now: dict | None = None) -> list[Change]:
    """Return what differs between the figures frozen in `edition` and the live ones (labels in
    the active language). Narratives and the partner list are flagged as changed text."""
    then = edition.data
    now = now if now is not None else build_report(edition.period)
    language = translation.get_language() or "es"
    changes: list[Change] = []

    def compare(label: str, old, new) -> None:
        if old != new:
            changes.append(Change(label=label, published=old, now=new))

    def both(label: str, old: dict, new: dict) -> None:
        compare(_("%(figure)s, month") % {"figure": label}, old.get("month", 0),
                new.get("month", 0))
        compare(_("%(figure)s, year to date") % {"figure": label}, old.get("ytd", 0),
                new.get("ytd", 0))

    old_pa, new_pa = then["people_assisted"], now["people_assisted"]
    both(_("People assisted directly"), old_pa, new_pa)
    both(_("Sum of sectors"),
         {"month": old_pa["sum_of_sectors_month"], "ytd": old_pa["sum_of_sectors_ytd"]},
         {"month": new_pa["sum_of_sectors_month"], "ytd": new_pa["sum_of_sectors_ytd"]})
    both(_("Cash-based interventions (CBI)"), then["cbi"], now["cbi"])

    for key in ("sectors", "subsectors"):
        old_rows = {row["code"]: row for row in then.get(key, [])}
        new_rows = {row["code"]: row for row in now.get(key, [])}
        for code in [*old_rows, *(c for c in new_rows if c not in old_rows)]:
            names = new_rows.get(code) or old_rows[code]
            both(in_language(names, language), old_rows.get(code, {}), new_rows.get(code, {}))

    old_deps = {row["code"]: row for row in then["departments"]}
    new_deps = {row["code"]: row for row in now["departments"]}
    for code in sorted(set(old_deps) | set(new_deps)):
        row = new_deps.get(code) or old_deps[code]
        both(row["name"], old_deps.get(code, {}), new_deps.get(code, {}))

    compare(_("Refugees and migrants in Peru"), then["key_figures"].get("refugees"),
            now["key_figures"].get("refugees"))
    compare(_("Funding requirement (USD)"), then["funding"].get("required_usd"),
            now["funding"].get("required_usd"))
    compare(_("Funds received (USD)"), then["funding"].get("funded_usd"),
            now["funding"].get("funded_usd"))
    compare(_("Percentage funded"), then["funding"].get("percent"), now["funding"].get("percent"))

    compare(_("GTRM partners"), then["partners"]["total"], now["partners"]["total"])
    compare(_("Refugee- and migrant-led organisations"), then["partners"]["rmo"],
            now["partners"]["rmo"])
    compare(_("Partners that reported"), then["partners"]["reporting"],
            now["partners"]["reporting"])

    def text_changed(label: str, old, new) -> None:
        if old != new:
            changes.append(Change(label=label, published=None, now=None, is_text=True))

    text_changed(_("Partner list"), then["partners"].get("names"), now["partners"].get("names"))
    old_text, new_text = then.get("narratives", {}), now.get("narratives", {})
    text_changed(_("Situation"), old_text.get("situation"), new_text.get("situation"))
    text_changed(_("Coordination"), old_text.get("coordination"), new_text.get("coordination"))
    old_highlights = {h["sector"]: h for h in old_text.get("highlights", [])}
    new_highlights = {h["sector"]: h for h in new_text.get("highlights", [])}
    for code in [*old_highlights, *(c for c in new_highlights if c not in old_highlights)]:
        old, new = old_highlights.get(code, {}), new_highlights.get(code, {})
        label = _("Highlights: %(sector)s") % {"sector": in_language(new or old, language)}
        text_changed(label, (old.get("es"), old.get("en")), (new.get("es"), new.get("en")))
    return changes


# --------------------------------------------------------------------------------------------
# Rendering: one document template for the page, the PDF and the command's HTML
# --------------------------------------------------------------------------------------------

def _text(texts: dict, language: str) -> str:
    """Return the `es` or `en` text of a frozen narrative for a reader of `language`."""
    return spanish_or_english(texts.get("es"), texts.get("en"), language)


def _parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def document_context(data: dict, *, edition: SitrepEdition | None = None) -> dict:
    """Return the template context of the document for `data`, in the active language."""
    from .charts import bar_chart, department_map  # drawn by reporting/numbers/charts.py

    language = translation.get_language() or settings.LANGUAGE_CODE
    month_date = parse_month(data["period"])
    sectors = [{**row, "name": in_language(row, language)} for row in data["sectors"]]
    subsectors = [{**row, "name": in_language(row, language)} for row in data.get("subsectors", [])]
    for row in sectors:
        row["subsectors"] = [sub for sub in subsectors if sub.get("parent") == row["code"]]
    highlights = [
        {"sector": in_language(h, language), "code": h["sector"], "text": _text(h, language)}
        for h in data["narratives"]["highlights"]
    ]
    highlights = [h for h in highlights if h["text"].strip()]
    names = dict(data.get("department_names") or {})
    for row in data["departments"]:
        names.setdefault(row["code"], row["name"])
    month_label = month_title(data["period"])
    chart = bar_chart(
        [(row["name"], row.get("month_true", row["month"])) for row in sectors],
        title=_("People reached per sector, %(month)s") % {"month": month_label},
        # Compact, so that the chart follows its table on the first page of the PDF.
        width=CHART_WIDTH, font=9.5, row=17,
    )
    map_values = {row["code"]: row.get("month_true", row["month"]) for row in data["departments"]}
    peru_map = department_map(
        map_values,
        title=_("People assisted directly per department, %(month)s") % {"month": month_label},
        legend_title=_("People assisted"),
        names=names,
        width=MAP_WIDTH,
    )
    funding = data["funding"]
    percent = funding.get("percent")
    return {
        "data": data,
        "edition": edition,
        "is_draft": edition is None,
        "generated_at": _datetime(data.get("generated_at")),
        "refugees_date": _parse_date(data["key_figures"].get("refugees_date")),
        "funding_date": _parse_date(funding.get("date")),
        "funding_bar": max(0, min(100, int(percent))) if percent is not None else 0,
        "month_short": capfirst(date_format(month_date, "F")),
        "month": month_date,
        "month_label": month_label,
        "sectors": sectors,
        "highlights": highlights,
        "situation": _text(data["narratives"]["situation"], language),
        "coordination": _text(data["narratives"]["coordination"], language),
        "bar_chart": chart,
        "department_map": peru_map,
        # The map's figures as a table next to it (WCAG 1.1.1): the departments it shades or
        # marks as withheld, largest first, withheld last.
        "map_rows": [
            (names.get(code, code), value) for code, value in sorted(
                map_values.items(), key=lambda item: -_sortable(item[1]))
            if value or isinstance(value, str)
        ],
        # Largest first; figures hidden from the public ("< 5", "…") last.
        "departments": sorted(data["departments"], key=lambda row: -_sortable(
            row.get("month_true", row["month"]))),
        "disclosure_note": disclosure.footnote(data),
        "disclosure_marks": _marks(data, names, language),
        "funding_sectors": funding_rows_named(funding.get("sectors", []), language),
        "funding_overridden": funding.get("origin") == "override",
    }


def stylesheet(*, browser: bool = False) -> str:
    """Return the situation report's CSS, read from disk (the PDF fetches nothing); without
    `browser`, only the part before the browser-only rules, which WeasyPrint cannot parse."""
    found = finders.find(CSS_PATH)
    path = Path(found) if found else Path(settings.BASE_DIR) / "static" / CSS_PATH
    css = path.read_text(encoding="utf-8")
    return css if browser else css.split(BROWSER_ONLY, 1)[0]


def css_string(text: str) -> SafeString:
    """Return `text` as a quoted CSS string, safe inside a <style> element."""
    escaped = "".join(
        f"\\{ord(char):X} " if char in '"\\<>&' or ord(char) < 32 else char for char in text
    )
    return mark_safe(f'"{escaped}"')


SVG_AUTO_HEIGHT = re.compile(r"(<svg\b[^>]*?style=\"[^\"]*?);?\s*height:\s*auto")
SVG_GENERIC_FONT = 'font-family="sans-serif"'
SVG_TITLE = re.compile(r"(<title\b[^>]*>)(.*?)(</title>)", re.S)
SVG_DESC = re.compile(r"<desc\b[^>]*>(.*?)</desc>", re.S)
PDF_FONT = 'font-family="Liberation Sans, Arial, Helvetica, sans-serif"'


def _for_weasyprint(svg: str) -> SafeString:
    """Return an inline SVG adapted to WeasyPrint: without `height: auto`, which makes it drop
    the width/height ratio (a 300 × 216 chart laid out 300 × 300), and in the document's font
    rather than the wider DejaVu Sans its generic sans-serif resolves to."""
    svg = SVG_AUTO_HEIGHT.sub(r"\1", svg, count=1)
    svg = svg.replace(SVG_GENERIC_FONT, PDF_FONT)
    # The tagged PDF's alternative text for a figure is its SVG <title> (WeasyPrint reads
    # nothing else): the title followed by the figures of the <desc>, so that a screen reader
    # reads the chart and the map, not only their names.
    desc = SVG_DESC.search(svg)
    if desc:
        svg = SVG_TITLE.sub(lambda m: f"{m.group(1)}{m.group(2)}. {desc.group(1)}{m.group(3)}",
                            svg, count=1)
    return mark_safe(svg)


def render_standalone(data: dict, *, edition: SitrepEdition | None = None,
                      for_pdf: bool = False) -> str:
    """Return the document as one self-contained HTML file (CSS inlined, no external URL), in
    the active language: the command's HTML, or with `for_pdf` the source of the PDF."""
    context = document_context(data, edition=edition)
    # The PDF's side column holds the map and nothing more on the first page; its alternative
    # text carries the figures (below).
    context["for_pdf"] = for_pdf
    if for_pdf:
        for key in ("bar_chart", "department_map"):
            context[key] = _for_weasyprint(context[key])
    context["css"] = mark_safe(stylesheet(browser=not for_pdf))
    footer = [_("GTRM Peru"), _("Situation report"), context["month_label"]]
    if edition is not None:
        footer.append(_("Edition %(number)s") % {"number": edition.number})
    else:
        footer.append(_("Draft — not published"))
    context["footer_label"] = css_string(" · ".join(footer))
    context["page_label"] = css_string(_("Page"))
    return render_to_string("reporting/sitrep/pdf.html", context)


def _refuse_fetch(url: str, *args, **kwargs):
    # The servers may be offline and the document must not depend on anything remote: every
    # resource is inline, so any fetch is a mistake that should fail, not hang.
    raise ValueError(f"The situation report PDF fetches nothing: {url}")


def render_pdf(data: dict, *, edition: SitrepEdition | None = None) -> bytes:
    """Return the document as an A4 PDF, in the active language."""
    from weasyprint import HTML

    html = render_standalone(data, edition=edition, for_pdf=True)
    # PDF/UA-1: a tagged PDF (headings, paragraphs, tables and figures in a structure tree),
    # the document's language from <html lang>, the figures' alternative text (issue 17).
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(pdf_variant="pdf/ua-1")


def pdf_filename(period_code: str, edition_number: int | None = None) -> str:
    suffix = f"ed{edition_number}" if edition_number else "draft"
    return f"gtrm-peru-sitrep-{period_code}-{suffix}.pdf"
