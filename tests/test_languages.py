"""Spanish or English: the one rule that picks a name or a text for a reader
(reporting/languages.py), used by the models, the figures and the frozen editions alike."""

from __future__ import annotations

from django.utils import translation

from reporting.languages import spanish_or_english
from reporting.models import Narrative, Sector


def test_a_reader_of_english_gets_the_english_text():
    with translation.override("en"):
        assert spanish_or_english("Salud", "Health") == "Health"


def test_every_other_reader_gets_the_spanish_text():
    for language in ("es", "es-pe", "qu", None):
        with translation.override(language):
            assert spanish_or_english("Salud", "Health") == "Salud"


def test_a_blank_text_gives_way_to_the_other_language():
    assert spanish_or_english("", "Health", "es") == "Health"
    assert spanish_or_english("Salud", None, "en") == "Salud"
    assert spanish_or_english(None, "", "en") == ""


def test_a_language_given_wins_over_the_active_one():
    with translation.override("es"):
        assert spanish_or_english("Salud", "Health", "en-gb") == "Health"


def test_names_and_narratives_follow_the_same_rule():
    sector = Sector(code="X", name_es="Salud", name_en="")
    narrative = Narrative(text_es="", text_en="Highlights")
    with translation.override("en"):
        assert sector.name == "Salud"
        assert narrative.text == "Highlights"
    with translation.override("es"):
        assert narrative.text == "Highlights"
