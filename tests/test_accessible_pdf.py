"""The situation report PDF is a tagged, accessible PDF (issue 17 point 4): WeasyPrint's PDF/UA-1
variant, read back here from the PDF's own objects (no PDF library is needed: the structure
lives in the PDF's dictionaries, some of them inside compressed object streams, which are
inflated first).
"""

from __future__ import annotations

import re
import zlib

import pytest
from django.utils import translation

from reporting.numbers import sitrep

from .test_sitrep import data, food  # noqa: F401  (fixtures)

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def readable(pdf: bytes) -> str:
    """Return the PDF's objects as text, its compressed streams inflated."""
    parts = [pdf]
    for match in STREAM.finditer(pdf):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue  # a stream that is not Flate-compressed (or an image): not structure
    return b"\n".join(parts).decode("latin-1")




@pytest.fixture
def pdf_text(data, period):  # noqa: F811
    with translation.override("es"):
        pdf = sitrep.render_pdf(sitrep.build_report(period))
    return pdf, readable(pdf)


def test_the_pdf_declares_itself_tagged_and_pdf_ua(pdf_text):
    pdf, text = pdf_text
    assert pdf.startswith(b"%PDF-1.7")
    assert "/StructTreeRoot" in text
    assert re.search(r"/MarkInfo\s*<<\s*/Marked\s+true", text)
    assert "pdfuaid:part" in text and re.search(r"pdfuaid:part[^0-9]*1", text)


def test_the_pdf_says_its_language(pdf_text):
    _, text = pdf_text
    assert re.search(r"/Lang\s*\(es\)", text)


def test_headings_tables_and_figures_are_tagged(pdf_text):
    _, text = pdf_text
    types = set(re.findall(r"/S\s*/(\w+)", text))
    assert {"H1", "H2", "Table", "TR", "TH", "TD", "Figure"} <= types, types


def test_the_chart_and_the_map_carry_their_figures_as_alternative_text(pdf_text, period):
    _, text = pdf_text
    alts = re.findall(r"/Alt\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]+>)", text)
    decoded = [_decode(alt) for alt in alts]
    assert len(decoded) == 2, decoded  # the bar chart and the map, nothing else is a figure
    chart, peru_map = decoded
    assert chart.startswith("Personas alcanzadas por sector")
    assert "Salud: " in chart  # the figures follow the title
    assert peru_map.startswith("Personas asistidas directamente por departamento")
    assert "Lima: " in peru_map


def _decode(literal: str) -> str:
    if literal.startswith("<"):
        raw = bytes.fromhex(literal[1:-1])
    else:
        body = literal[1:-1]
        raw = re.sub(r"\\([()\\])", r"\1", body).encode("latin-1")
        raw = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), raw)
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be")
    return raw.decode("latin-1")
