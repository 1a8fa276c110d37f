"""The monthly loop with the keyboard alone (WCAG 2.1.1, 2.4.3, 2.4.7, 3.3.1): Alice signs in,
adds a line to her draft report (the province list follows the department), is told of an error
(focus goes to it, it is announced, the field points at its message), fixes it, saves and submits;
Paula, the protection coordinator, returns the report with a reason from the admin's review
page. Every step is a key press (Tab, Shift+Tab, Enter, Space, arrows, typing): an element that
cannot be reached by tabbing fails the walk, and each element landed on must show its focus.

Skipped only where /usr/bin/chromium is absent (CI installs it: .ci/run).
"""

from __future__ import annotations

import pytest

from reporting.forms import ActivityLineForm
from reporting.models import Location, LocationLevel, ReportStatus

from .test_no_sideways_scroll import CHROMIUM, seeded, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no Chromium at /usr/bin/chromium (apt-get install chromium): the browser test needs it",
)

PASSWORD = "correct horse battery staple"  # tests/factories.py
REASON = "Las cifras de niñas no coinciden con la lista de asistencia."

# The focused element shows a focus ring: an outline or a box shadow, as the browser draws it.
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return "nothing focused"; }
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return (outline || shadow) ? "" : (el.outerHTML.slice(0, 120) + " shows no focus");
}"""


def tab_to(page, selector: str, *, most: int = 80, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus, and
    check that it shows it; fail if it is not reached within `most` presses."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(most):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            problem = page.evaluate(FOCUS_SHOWN)
            assert not problem, f"{page.url}: {problem}"
            return
    raise AssertionError(f"{page.url}: {selector} not reached with {most} presses of {key}")


def active(page, expression: str):
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {expression}; }})()")


def sign_in(page, base: str, username: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}", wait_until="load")
    tab_to(page, "#id_username")
    page.keyboard.type(username)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def option_texts(page, selector: str) -> list[str]:
    return page.evaluate(
        "s => Array.from(document.querySelector(s).options).filter(o => o.value).map(o => o.text)",
        selector)


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_monthly_loop_works_with_the_keyboard_alone(language, server, report, alice,  # noqa: F811
                                                        paula):
    indicator = ActivityLineForm(report=report).fields["indicator"].queryset.first()
    lima = Location.objects.get(level=LocationLevel.DEPARTMENT, name="Lima")
    lima_provinces = sorted(Location.objects.filter(parent=lima).values_list("name", flat=True))
    tumbes = Location.objects.get(level=LocationLevel.DEPARTMENT, name="Tumbes")
    tumbes_provinces = sorted(Location.objects.filter(parent=tumbes).values_list("name", flat=True))
    base = server.url
    detail = f"/reports/{report.pk}/"

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context()
        context.add_cookies([{"name": "django_language", "value": language, "url": base}])
        page = context.new_page()
        try:
            sign_in(page, base, "alice", detail)
            assert page.url.endswith(detail), page.url

            tab_to(page, f'a[href="/reports/{report.pk}/lines/add/"]')
            with page.expect_navigation():
                page.keyboard.press("Enter")

            tab_to(page, "#id_indicator")
            page.keyboard.type(indicator.code)
            assert active(page, "el.value") == str(indicator.pk)

            # Tumbes first, then Lima: the province list follows each choice.
            tab_to(page, "#id_department")
            page.keyboard.type("Tumbes")
            assert active(page, "el.value") == tumbes.code, active(page, "el.value")
            page.wait_for_function(
                "n => document.querySelectorAll('#id_province option[value]:not([value=\"\"])')"
                ".length === n", arg=len(tumbes_provinces))
            assert sorted(option_texts(page, "#id_province")) == tumbes_provinces
            # The list's type-to-find forgets the typed letters after a second of silence.
            page.wait_for_timeout(1200)
            page.keyboard.type("Lima")
            page.wait_for_function(
                "n => document.querySelectorAll('#id_province option[value]:not([value=\"\"])')"
                ".length === n", arg=len(lima_provinces))
            assert sorted(option_texts(page, "#id_province")) == lima_provinces
            assert active(page, "el.value") == lima.code

            tab_to(page, "#id_province")
            page.keyboard.press("ArrowDown")
            assert page.evaluate("document.querySelector('#id_province').value").startswith(lima.code)

            tab_to(page, "#id_population_type")
            page.keyboard.press("ArrowDown")
            tab_to(page, "#id_modality")
            page.keyboard.press("ArrowDown")

            # Five girls, but a monthly total of two: fewer than the new beneficiaries.
            tab_to(page, "#id_girls")
            page.keyboard.type("5")
            tab_to(page, "#id_total_monthly")
            page.keyboard.type("2")
            tab_to(page, 'button[name="save"]')
            with page.expect_navigation():
                page.keyboard.press("Enter")

            # The first field in error has the focus, is marked invalid and names its message;
            # the page announces the failure.
            assert active(page, "el.id") == "id_total_monthly", active(page, "el.outerHTML")
            assert active(page, "el.getAttribute('aria-invalid')") == "true"
            described = active(page, "el.getAttribute('aria-describedby') || ''").split()
            messages = [page.evaluate("i => (document.getElementById(i) || {}).textContent || ''",
                                      ident) for ident in described]
            assert any(text.strip() for text in messages), described
            assert not page.evaluate(FOCUS_SHOWN)
            announced = page.locator('[role="alert"]')
            assert announced.count() >= 1
            assert announced.first.inner_text().strip()
            page.screenshot(path=f"/tmp/i17kbd_error_{language}.png", full_page=False)

            page.keyboard.press("Control+A")
            page.keyboard.type("5")
            tab_to(page, 'button[name="save"]')
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.url.endswith(detail), page.url

            tab_to(page, f'form[action="/reports/{report.pk}/submit/"] button')
            with page.expect_navigation():
                page.keyboard.press("Space")
            context.clear_cookies()
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])

            admin_page = f"/admin/reporting/monthlyreport/{report.pk}/change/"
            sign_in(page, base, "paula", admin_page)
            assert page.url.endswith(admin_page), page.url
            tab_to(page, "#review-reason")
            page.keyboard.type(REASON)
            tab_to(page, 'button[name="action"][value="return"]')
            with page.expect_navigation():
                page.keyboard.press("Enter")
        finally:
            context.close()
            browser.close()

    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert report.status_reason == REASON
    line = report.lines.get()
    assert (line.girls, line.new_beneficiaries, line.total_monthly) == (5, 5, 5)
    assert line.department == lima
    assert line.province.parent == lima
