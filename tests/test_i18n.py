"""Spanish and English both ship: the catalogue is complete and compiled, pages switch."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from reporting.models import ReportStatus, ReviewEvent

LOCALE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"


def po_entries(path: Path) -> dict[str, str | list[str]]:
    """Read msgctxt/msgid/msgstr of a .po file (enough of the format for our catalogue)."""
    entries, current, field = {}, {}, None

    def flush():
        if current.get("msgid"):
            key = current["msgid"]
            if "msgctxt" in current:
                key = f"{current['msgctxt']}\x04{key}"
            plural = sorted(k for k in current if k.startswith("msgstr["))
            entries[key] = [current[k] for k in plural] if plural else current.get("msgstr", "")

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            current[field] += ast.literal_eval(line)
            continue
        keyword, _, value = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and ("msgstr" in current or any(
            k.startswith("msgstr[") for k in current
        )):
            flush()
            current = {}
        field = keyword
        current[field] = ast.literal_eval(value)
    flush()
    return entries


def test_every_spanish_message_is_translated_and_compiled():
    entries = po_entries(LOCALE / "django.po")
    untranslated = [key for key, value in entries.items()
                    if value == "" or (isinstance(value, list) and "" in value)]
    assert untranslated == []
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    for key, value in entries.items():
        if isinstance(value, list):
            assert [catalog.get((key, n)) for n in range(len(value))] == value, key
        else:
            assert catalog.get(key) == value, f"django.mo is older than django.po: {key!r}"


def test_statuses_and_history_read_naturally_in_spanish():
    with translation.override("es"):
        assert str(ReportStatus.APPROVED.label) == "aprobado"
        assert str(ReviewEvent.Action.APPROVE.label) == "aprobó el reporte"


@pytest.mark.parametrize(
    ("language", "words"),
    [("es", ["Iniciar sesión", "¿Olvidó su contraseña?"]),
     ("en", ["Sign in", "Forgotten your password?"])],
)
def test_the_sign_in_page_speaks_the_chosen_language(language, words, client):
    client.cookies["django_language"] = language
    html = client.get("/accounts/login/").content.decode()
    assert f'<html lang="{language}">' in html
    for word in words:
        assert word in html


def test_the_language_switcher_remembers_the_choice(client, alice):
    client.force_login(alice)
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/reports/"})
    assert response.status_code == 302 and response.url == "/reports/"
    assert "Reportes" in client.get("/reports/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Reports" in client.get("/reports/").content.decode()
