"""No page scrolls sideways: every page the URL-discovery test finds, opened in a real browser
(the system Chromium, driven by Playwright) by each role, in Spanish and English, at 1280 px and
at a 390 px phone width.

A page scrolls sideways when the document is wider than the window
(`document.documentElement.scrollWidth > clientWidth`). A wide table may keep its own scroll
box: that box scrolls, the page does not.

Skipped only where /usr/bin/chromium is absent (CI installs it: .ci/run).
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from reporting.models import Location, LocationLevel, Modality, PopulationType, Sector

from .factories import LineFactory
from .test_url_discovery import ROUTES, build_urls, build_world

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no Chromium at /usr/bin/chromium (apt-get install chromium): the browser test needs it",
)

WIDTHS = (1280, 390)
LANGUAGES = ("es", "en")
# One persona per role: anonymous, reporter, focal point, coordinator (of the report's sector,
# so that the review pages open), IM officer.
ROLES = ("anonymous", "alice", "fiona", "paula", "ivan")


@pytest.fixture(autouse=True)
def seeded(transactional_db):
    # The live server's thread sees only committed rows, and a transactional test starts from
    # empty tables once an earlier one has flushed them.
    if not Sector.objects.exists():
        call_command("load_seeds", stdout=io.StringIO())


@pytest.fixture
def server(transactional_db, test_settings):
    """A live server started after the test settings apply (pytest-django's `live_server` is
    started once per session, before them, and would keep production's HTTPS redirect)."""
    from pytest_django.live_server_helper import LiveServer

    live = LiveServer("localhost")
    live._live_server_modified_settings.enable()
    yield live
    live._live_server_modified_settings.disable()
    live.stop()


def html_pages(client: Client, world) -> list[str]:
    """Return the discovered URLs that answer this client with an HTML page."""
    urls = []
    for route in ROUTES:
        for url in build_urls(route, world):
            response = client.get(url)
            if response.status_code == 200 and not response.streaming and (
                    response["Content-Type"].startswith("text/html")):
                urls.append(url)
    return urls


def overflowing(page, base: str, urls: list[str]) -> list[str]:
    wide = []
    for url in urls:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(base + url, wait_until="load")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            scroll, client = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if scroll > client:
                wide.append(f"{url} at {width} px: {scroll} px wide in a {client} px window")
    return wide


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways(role, server, org_a, alice, fiona, bob, carl,
                                  paula, ivan, report, line):
    world = build_world(org_a=org_a, alice=alice, bob=bob, carl=carl, ivan=ivan, paula=paula,
                        report=report, line=line)
    client = Client()
    if role != "anonymous":
        client.force_login({"alice": alice, "fiona": fiona, "paula": paula, "ivan": ivan}[role])
    urls = html_pages(client, world)
    assert len(urls) >= 5, urls  # the walk found this role's pages

    # Playwright's synchronous API runs an event loop in this thread, and Django refuses database
    # queries while one runs: the browser starts once the queries are done and stops before the
    # test's tables are flushed.
    sync_api = pytest.importorskip("playwright.sync_api")
    wide = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for language in LANGUAGES:
            wide += [f"[{language}] {problem}"
                     for problem in in_browser(browser, server.url, client, language, urls)]
        browser.close()
    assert not wide, f"{role}: pages that scroll sideways:\n" + "\n".join(wide)


def in_browser(browser, base: str, client: Client, language: str, urls: list[str]) -> list[str]:
    context = browser.new_context()
    cookies = [{"name": "django_language", "value": language, "url": base}]
    if "sessionid" in client.cookies:
        cookies.append({"name": "sessionid", "value": client.cookies["sessionid"].value,
                        "url": base})
    context.add_cookies(cookies)
    try:
        return overflowing(context.new_page(), base, urls)
    finally:
        context.close()


# Issue 14: a wide table may scroll in its own box, but the report's lines must not need to:
# at 1280 px every column of the partner's table and of the admin's inline is in view.
TABLES = {
    "alice": ("/reports/{pk}/", ".table-lines"),
    # The review page of the admin; the IM officer's, as a coordinator never sees a draft.
    "ivan": ("/admin/reporting/monthlyreport/{pk}/change/", "#lines-group table"),
}


def test_the_lines_tables_show_every_column_at_1280_px(server, alice, ivan, bob, report):
    # The widest lines a report holds: every figure column filled, large figures, an
    # implementing partner, a district, the unknown-age column, a long description.
    district = Location.objects.filter(level=LocationLevel.DISTRICT,
                                       code__startswith="15").order_by("code").first()
    LineFactory(report=report, created_by=alice, location=district, girls=12345, boys=23456,
                women=34567, men=45678, other_under_18=1234, other_adults=2345,
                other_unknown_age=3456, implementing_partner=bob.organisation,
                modality=Modality.CASH, cash_usd=Decimal("1234567.89"), quantity=987654,
                description="Entrega de kits de higiene y orientación legal " * 4)
    LineFactory(report=report, created_by=alice, population_type=PopulationType.HOST)
    clients = {}
    for name, person in (("alice", alice), ("ivan", ivan)):
        clients[name] = Client()
        clients[name].force_login(person)
        assert clients[name].get(TABLES[name][0].format(pk=report.pk)).status_code == 200

    sync_api = pytest.importorskip("playwright.sync_api")
    hidden = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for name, (url, selector) in TABLES.items():
            for language in LANGUAGES:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_cookies([
                    {"name": "django_language", "value": language, "url": server.url},
                    {"name": "sessionid", "value": clients[name].cookies["sessionid"].value,
                     "url": server.url},
                ])
                page = context.new_page()
                page.goto(server.url + url.format(pk=report.pk), wait_until="load")
                widths = page.evaluate(
                    """selector => { const table = document.querySelector(selector);
                    if (!table) return null; const box = table.parentElement;
                    return [box.scrollWidth, box.clientWidth, table.rows[1].cells.length]; }""",
                    selector)
                context.close()
                assert widths is not None, f"[{language}] {url}: no {selector}"
                scroll, client, cells = widths
                assert cells >= 10, widths  # the line's row, not an empty table
                if scroll > client:
                    hidden.append(f"[{language}] {name}: {scroll} px of columns in {client} px")
        browser.close()
    assert not hidden, "tables with columns off-screen:\n" + "\n".join(hidden)
