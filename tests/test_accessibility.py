"""WCAG 2.1 AA, checked by axe-core (bundled by the `axe-playwright-python` package) in the
system Chromium: every page the URL-discovery test finds, for each role, in Spanish and English,
at 1280 px and at a 390 px phone width, has no violation of the rule sets `wcag2a`, `wcag2aa`
and `wcag21aa`. No rule is switched off.

Run it alone: `DEBUG=1 .venv/bin/python -m pytest tests/test_accessibility.py -q`.
Skipped only where /usr/bin/chromium is absent (CI installs it: .ci/run).
"""

from __future__ import annotations

import pytest
from django.test import Client

from .test_no_sideways_scroll import CHROMIUM, LANGUAGES, ROLES, WIDTHS, html_pages, seeded, server  # noqa: F401  (fixtures)
from .test_url_discovery import build_world

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no Chromium at /usr/bin/chromium (apt-get install chromium): the browser test needs it",
)

# Where Django's own admin markup makes a violation unavoidable, the node (rule, and a part of
# its CSS selector) is excused here, with the reason; no rule is switched off as a whole.
DJANGO_ADMIN_EXCEPTIONS = {
    # SelectFilter2.js (filter_horizontal) builds `<span class="help-tooltip search-label-icon"
    # aria-label="…">` with no role; the widget is Django's, rebuilt by its script on load.
    ("aria-prohibited-attr", "search-label-icon"),
    # The same widget's "available" list (`<select id="id_…_from">`) is created by the script
    # without a label of its own.
    ("select-name", "_from"),
    # A TabularInline's inputs are labelled only by the column headings (Django's
    # tabular.html has no <label> per cell); the inline's fields are named in the heading row.
    ("label", "#id_indicators-"),
}

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def violations(axe, page, base: str, urls: list[str], language: str) -> list[str]:
    found = []
    for url in urls:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(base + url, wait_until="load")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            result = axe.run(page, options=AXE_OPTIONS).response
            for violation in result["violations"]:
                violation["nodes"] = [
                    node for node in violation["nodes"]
                    if not (url.startswith("/admin/") and any(
                        rule == violation["id"] and part in " ".join(map(str, node["target"]))
                        for rule, part in DJANGO_ADMIN_EXCEPTIONS))
                ]
                if not violation["nodes"]:
                    continue
                targets = "; ".join(
                    " ".join(map(str, node["target"]))
                    + (f" ({node['failureSummary'].splitlines()[-1].strip()})"
                       if node.get("failureSummary") else "")
                    for node in violation["nodes"][:3])
                found.append(f"[{language} {width}px] {url}: {violation['id']} "
                             f"({len(violation['nodes'])}×): {targets}")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_wcag_violation(role, server, org_a, alice, fiona, bob, carl,  # noqa: F811
                           paula, ivan, report, line):
    world = build_world(org_a=org_a, alice=alice, bob=bob, carl=carl, ivan=ivan, paula=paula,
                        report=report, line=line)
    client = Client()
    if role != "anonymous":
        client.force_login({"alice": alice, "fiona": fiona, "paula": paula, "ivan": ivan}[role])
    urls = html_pages(client, world)
    assert len(urls) >= 5, urls

    sync_api = pytest.importorskip("playwright.sync_api")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_module.Axe()
    found = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for language in LANGUAGES:
            context = browser.new_context()
            cookies = [{"name": "django_language", "value": language, "url": server.url}]
            if "sessionid" in client.cookies:
                cookies.append({"name": "sessionid", "value": client.cookies["sessionid"].value,
                                "url": server.url})
            context.add_cookies(cookies)
            try:
                found += violations(axe, context.new_page(), server.url, urls, language)
            finally:
                context.close()
        browser.close()
    assert not found, f"{role}: WCAG 2.1 AA violations:\n" + "\n".join(found)
