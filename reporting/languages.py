"""Spanish or English: which of a pair of texts a reader is given.

Names of sectors and indicators, narratives and the situation report's frozen editions all
come in both languages; this is the one rule for choosing, so that a page, a PDF and the JSON
of an edition never disagree."""

from __future__ import annotations

from django.utils.translation import get_language


def spanish_or_english(spanish: str | None, english: str | None,
                       language: str | None = None) -> str:
    """Return `english` to a reader of any English and `spanish` to everyone else, or the other
    of the two when that one is blank. `language` is a language code, by default the active
    language."""
    if language is None:
        language = get_language()
    if (language or "es").startswith("en"):
        return english or spanish or ""
    return spanish or english or ""
