"""Every filter and search box of the app and the admin, sent a NUL byte and other junk.

The pages are those tests/test_url_discovery.py finds by walking the resolver; the parameters
are read from each page as a browser would see them: the query strings of the links that lead
back to the same page (the admin's filter sidebar, column sorting, paging, the dashboard's
choices) and the fields of its GET forms (the admin's search box `q`, the app's filter forms,
wherever their `action` points). Each parameter then gets, one at a time, every value of JUNK.
Whatever the value, the answer is a page, an empty list, a redirect or a 400: never a server
error, on SQLite and on PostgreSQL (which cannot hold a NUL byte in text and raised DataError,
issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

import pytest
from django.contrib import admin
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from reporting.admin.filters import (
    DepartmentFilter,
    LineDepartmentFilter,
    LinePeriodFilter,
    LineSectorFilter,
    PeriodFilter,
    StatusFilter,
    TopLevelSectorFilter,
)
from reporting.models import ActivityLine, MonthlyReport, Narrative, ReportStatus

from .test_url_discovery import QUERIES, ROUTES, CannotFill, World, build_urls, build_world

# Values a person or a script may put in a query string; each is sent already percent-encoded.
JUNK = {
    "a NUL byte": "%00",
    "a NUL byte inside text": quote("PRO\x00"),
    "text where a number belongs": "abc",
    "a huge number": "9" * 40,
    "the last year a date can have": "9999",
    "a negative number": "-1",
    "a quote": quote("'\""),
    "a very long string": "x" * 4000,
    "unusual Unicode": quote("\u202e\U0001f4a9\ufeff\u0301Ω"),
    "bytes that are not UTF-8": "%FF%FE",
    "an empty value": "",
}


@pytest.fixture
def world(org_a, alice, bob, carl, ivan, paula, report, line) -> World:
    return build_world(org_a=org_a, alice=alice, bob=bob, carl=carl, ivan=ivan, paula=paula,
                       report=report, line=line)


class _Page(HTMLParser):
    """Collect the links and the GET forms' fields of an HTML page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, set[str]]] = []  # (action, field names)
        self._fields: set[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            # A form without a method is sent with GET.
            if (attrs.get("method") or "get").lower() == "get":
                self._fields = set()
                self.forms.append((attrs.get("action") or "", self._fields))
            else:
                self._fields = None
        elif tag in ("input", "select", "textarea") and self._fields is not None and attrs.get("name"):
            self._fields.add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None


@dataclass(frozen=True)
class Target:
    """A page's path and one query parameter it reads."""

    path: str
    parameter: str


def _base_query(path: str) -> dict:
    """The query that makes the page at `path` show something real (test_url_discovery)."""
    try:
        view_name = resolve(path).view_name
    except Resolver404:
        return {}
    return QUERIES.get(view_name, {})


def discover_parameters(client: Client, world: World) -> set[Target]:
    """Open every discovered URL and return each (page, parameter) that its links and GET
    forms offer."""
    targets = set()
    for route in ROUTES:
        if route.key.endswith("-pdf"):
            continue  # documents, without links or forms, and slow to render
        try:
            urls = build_urls(route, world)
        except CannotFill:
            continue
        for url in urls:
            response = client.get(url)
            if response.status_code != 200 or response.streaming:
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            page = _Page()
            page.feed(response.content.decode())
            path = urlsplit(url).path
            for href in page.links:
                link = urlsplit(urljoin(url, href))
                if link.path == path and link.query:
                    targets.update(Target(path, name)
                                   for name, _ in parse_qsl(link.query, keep_blank_values=True))
            for action, fields in page.forms:
                action_path = urlsplit(urljoin(url, action)).path
                if action_path.startswith("/"):
                    targets.update(Target(action_path, name) for name in fields)
    return targets


def probe(client: Client, targets: set[Target]) -> list[str]:
    """Send every JUNK value to every target; return what answered with a server error."""
    wrong = []
    for target in sorted(targets, key=lambda t: (t.path, t.parameter)):
        base = {k: v for k, v in _base_query(target.path).items() if k != target.parameter}
        prefix = urlencode(base) + "&" if base else ""
        for what, value in JUNK.items():
            url = f"{target.path}?{prefix}{quote(target.parameter)}={value}"
            try:
                # A database error aborts the test's transaction on PostgreSQL: the savepoint
                # lets the next request run.
                with transaction.atomic():
                    status = client.get(url).status_code
            except Exception as error:  # noqa: BLE001 - the test client re-raises the view's
                wrong.append(f"{url[:160]} ({what}): {type(error).__name__}: {error}"[:400])
                continue
            if status >= 500:
                wrong.append(f"{url[:160]} ({what}): {status}")
    return wrong


def test_it_finds_the_filters_of_the_pages_and_of_the_admin(client, world):
    client.force_login(world.ivan)
    found = discover_parameters(client, world)
    assert {
        Target("/reports/", "sector"),
        Target("/reports/", "status"),
        Target("/exports/", "period"),
        Target("/dashboard/", "sector"),
        Target("/dashboard/", "period"),
        Target("/completeness/", "period"),
        Target("/imports/template/", "organisation"),
        Target("/admin/reporting/monthlyreport/", "department"),
        Target("/admin/reporting/monthlyreport/", "sector"),
        Target("/admin/reporting/monthlyreport/", "q"),
        Target("/admin/reporting/activityline/", "population_type__exact"),
        Target("/admin/reporting/activityline/", "department"),
        Target("/admin/reporting/narrative/", "sector"),
        Target("/admin/partners/organisation/", "q"),
        Target("/admin/partners/user/", "role__exact"),
    } <= found


@pytest.mark.parametrize("persona", ["ivan", "carl", "alice"])
def test_no_junk_in_any_filter_or_search_box_is_a_server_error(client, world, persona):
    client.force_login(getattr(world, persona))
    targets = discover_parameters(client, world)
    assert targets
    wrong = probe(client, targets)
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


def test_a_nul_byte_in_a_filter_answers_400_and_mails_nobody(client, world, settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    client = Client(raise_request_exception=False)
    client.force_login(world.ivan)
    for url in (
        "/admin/reporting/monthlyreport/?department=%00",
        "/admin/reporting/monthlyreport/?sector=%00",
        "/admin/reporting/activityline/?sector=%00",
        "/admin/reporting/activityline/?department=%00",
        "/admin/reporting/activityline/?population_type__exact=%00",
        "/admin/reporting/narrative/?sector=%00",
        "/admin/reporting/monthlyreport/?q=HIAS%00",
        "/admin/reporting/monthlyreport/?%00=1",
        "/reports/?sector=%00",
    ):
        assert client.get(url).status_code == 400, url
    assert mail.outbox == []


def test_a_nul_byte_in_a_path_answers_400(client, world):
    client.force_login(world.ivan)
    assert client.get("/admin/reporting/location/%00/change/").status_code == 400
    assert client.get("/reports/%00/").status_code == 400


def test_the_refusal_of_a_nul_byte_says_what_is_wrong_in_the_visitors_language(client):
    response = client.get("/?period=%00", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response
    assert "NUL" in response.content.decode()
    assert "Quítelo" in response.content.decode()


@pytest.mark.parametrize("url", [
    "/admin/reporting/reviewevent/?at__year=9999",
    "/admin/reporting/reviewevent/?at__year=" + "9" * 40,
    "/admin/reporting/linechange/?at__year=2023&at__month=13",
    "/admin/reporting/reminder/?sent_on__year=9998&sent_on__month=12&sent_on__day=32",
    "/admin/axes/accessattempt/?attempt_time__year=99999999999999999999",
])
def test_an_impossible_date_in_the_admins_date_hierarchy_is_a_bad_filter(client, ivan, url):
    client.force_login(ivan)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == url.split("?")[0] + "?e=1"


# Each custom filter with a value it does not offer: one PostgreSQL cannot hold, a month that
# has no period, a status a coordinator never sees.
UNOFFERED = [
    (MonthlyReport, DepartmentFilter, "ivan", "15\x00"),
    (MonthlyReport, TopLevelSectorFilter, "ivan", "PRO\x00"),
    (MonthlyReport, PeriodFilter, "ivan", "2019-01"),
    (MonthlyReport, StatusFilter, "ivan", "approved\x00"),
    (MonthlyReport, StatusFilter, "carl", "draft"),
    (MonthlyReport, TopLevelSectorFilter, "carl", "PRO"),
    (ActivityLine, LineDepartmentFilter, "ivan", "15\x00"),
    (ActivityLine, LineSectorFilter, "ivan", "PRO\x00"),
    (ActivityLine, LinePeriodFilter, "ivan", "2019-01"),
    (Narrative, TopLevelSectorFilter, "ivan", "PRO\x00"),
    (Narrative, PeriodFilter, "ivan", "'; --"),
]


@pytest.mark.parametrize(("model", "filter_class", "persona", "value"), UNOFFERED)
def test_a_filter_answers_a_value_it_does_not_offer_with_an_empty_list_without_a_query(
    rf, world, django_assert_num_queries, model, filter_class, persona, value
):
    request = rf.get("/admin/", {filter_class.parameter_name: value})
    request.user = getattr(world, persona)
    model_admin = admin.site._registry[model]
    list_filter = filter_class(
        request, {filter_class.parameter_name: [value]}, model, model_admin
    )
    with django_assert_num_queries(0):
        assert list(list_filter.queryset(request, model.objects.all())) == []


def test_a_filter_still_filters_by_a_value_it_offers(client, world):
    client.force_login(world.ivan)
    for query, expected in (("sector=PRO", 1), ("sector=HEA", 0), ("period=2023-09", 1),
                            ("department=15", 1), ("department=07", 0),
                            (f"status={ReportStatus.DRAFT}", 1)):
        response = client.get(f"/admin/reporting/monthlyreport/?{query}")
        assert response.context["cl"].result_count == expected, query
