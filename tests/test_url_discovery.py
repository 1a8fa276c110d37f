"""Every URL of the app and of the admin, found by walking the resolver, opened by every persona.

test_permissions.py writes its URLs out literally; this file finds them itself, so that a page
added tomorrow is checked without anyone remembering to: the app's patterns, the admin site's,
every registered ModelAdmin's (changelist, add, change, delete, history, their custom pages) and
django-import-export's import and export pages. Each URL is built with real objects (a report of
organisation A with a line, A's upload, a published situation report...) and opened as an
anonymous visitor, alice (reporter, A), bob (reporter, B), carl (coordinator of another sector
than the report's) and ivan (IM officer).

A discovered pattern that no rule below names fails the test with its name: a new page needs a
line here saying who may open it. Whatever the rules say, nobody ever gets a server error, an
anonymous visitor gets a page only where it is public, a partner never gets an admin page, and
bob never gets a page of A's objects nor sees A's data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from partners.models import HeldInvitation, Organisation, User
from reporting import services, workflow
from reporting.models import (
    ActivityLine,
    ImportBatch,
    ImportStatus,
    Indicator,
    KeyFigures,
    LineChange,
    Location,
    MonthlyReport,
    Narrative,
    NarrativeKind,
    Notification,
    NotificationKind,
    Plan,
    PopulationType,
    Reminder,
    ReminderKind,
    ReportingPeriod,
    ReviewEvent,
    Sector,
    SitrepEdition,
)
from reporting.numbers import sitrep
from reporting.sheets.columns import COLUMNS, HEADERS

from .factories import HeldInvitationFactory, LineFactory

PASSWORD = "correct horse battery staple"
SECRET = "Asesoria legal confidencial HIAS-7731"  # ASCII: the same bytes in HTML, JSON, CSV
PERSONAS = ("anonymous", "alice", "bob", "carl", "ivan")


# --------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """One URL pattern, with what is needed to build a URL for it and to name it."""

    key: str  # the namespaced URL name, or the route of an unnamed pattern
    route: str  # the whole route, as Django's ResolverMatch.route writes it
    pattern: URLPattern = field(compare=False)
    model: type | None = field(default=None, compare=False)  # a ModelAdmin's model

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def suffix(self) -> str:
        """The part of a ModelAdmin's URL after `<app>/<model>/`, e.g. `<path:object_id>/change/`."""
        prefix = f"admin/{self.model._meta.app_label}/{self.model._meta.model_name}/"
        return self.route.removeprefix(prefix)


def _join(first: str, second: str) -> str:
    # As django.urls.resolvers.URLResolver._join_route does.
    return first + second.removeprefix("^")


def _walk(patterns, models: dict, route: str = "", namespace: str = "", model=None):
    for pattern in patterns:
        here = _join(route, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            inner = models.get(str(pattern.pattern)) if namespace == "admin:" else None
            yield from _walk(pattern.url_patterns, models, here, space, inner or model)
        else:
            key = f"{namespace}{pattern.name}" if pattern.name else here
            yield Route(key=key, route=here, pattern=pattern, model=model)


def discover() -> list[Route]:
    """Return every URL pattern of the project, the admin's included, once each."""
    # The admin site includes each ModelAdmin's URLs under "<app_label>/<model_name>/".
    models = {f"{m._meta.app_label}/{m._meta.model_name}/": m for m in admin.site._registry}
    seen, routes = set(), []
    for found in _walk(get_resolver().url_patterns, models):
        # accounts/ includes django.contrib.auth.urls, whose login and reset patterns the project
        # overrides above it: the first one is what a request reaches.
        if found.route not in seen:
            seen.add(found.route)
            routes.append(found)
    return routes


ROUTES = discover()


# --------------------------------------------------------------------------------------------
# The objects the URLs are filled with
# --------------------------------------------------------------------------------------------

@dataclass
class World:
    alice: object
    bob: object
    carl: object
    ivan: object
    report: MonthlyReport  # A's Protection report of September 2023, a draft with history
    line: object
    batch: ImportBatch  # alice's upload
    objects: dict  # one object per model registered in the admin

    def admin_object(self, model):
        return self.objects.get(model)


def upload_csv(description: str) -> bytes:
    row = {
        "month": "2023-09", "organisation": "HIAS", "sector": "PRO", "indicator": "PRO-01",
        "department": "15", "population_type": "destination", "modality": "service",
        "girls": 10, "boys": 12, "women": 30, "men": 25, "other_adults": 3,
        "new_beneficiaries": 80, "total_monthly": 100, "description": description,
    }
    values = [str(row.get(column.field, "")).replace(",", " ") for column in COLUMNS]
    return (",".join(HEADERS) + "\n" + ",".join(values) + "\n").encode()


@pytest.fixture
def world(org_a, alice, bob, carl, ivan, paula, report, line) -> World:
    return build_world(org_a=org_a, alice=alice, bob=bob, carl=carl, ivan=ivan, paula=paula,
                       report=report, line=line)


def build_world(*, org_a, alice, bob, carl, ivan, paula, report, line) -> World:
    """A's report with a confidential line and some history, and one object of every model
    registered in the admin."""
    line.description = SECRET
    line.save()
    services.save_line(line=LineFactory.build(
        report=report, population_type=PopulationType.HOST, description=SECRET
    ), by=alice)
    # Submitted then withdrawn: a draft again (only A and the IM team see it), with events.
    workflow.submit_report(report=report, by=alice)
    workflow.withdraw_report(report=report, by=alice)
    sitrep.publish_edition(period=report.period, by=ivan)
    content = upload_csv(SECRET)
    batch = ImportBatch.objects.create(
        uploaded_by=alice, filename="actividades.csv", content=content, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), status=ImportStatus.PREVIEWED,
    )
    KeyFigures.objects.create(period=report.period, refugees=1540000, updated_by=ivan)
    highlights = Narrative.objects.create(
        period=report.period, kind=NarrativeKind.HIGHLIGHTS, sector=report.sector,
        text_es="Protección.", updated_by=paula,
    )
    reminder = Reminder.objects.create(
        period=report.period, recipient=alice, kind=ReminderKind.OVERDUE,
        sent_on=dt.date(2023, 10, 11), missing=["Protection"],
    )
    notification = Notification.objects.create(
        recipient=alice, kind=NotificationKind.RETURNED, report=report, period=report.period,
        reason="Incompleto.", language="es",
    )
    # axes: a failed sign-in (an attempt) and a successful one (a log).
    Client().post("/accounts/login/", {"username": "alice", "password": "wrong"})
    Client().post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    failure = AccessFailureLog.objects.create(
        username="alice", ip_address="127.0.0.1", user_agent="pytest", http_accept="*/*",
        path_info="/accounts/login/",
    )

    objects = {
        MonthlyReport: report,
        ActivityLine: line,
        ReviewEvent: report.events.order_by("pk").first(),
        LineChange: LineChange.objects.filter(report=report).order_by("pk").first(),
        ReportingPeriod: report.period,
        Sector: report.sector,
        Indicator: Indicator.objects.filter(sector=report.sector).order_by("code").first(),
        Plan: Plan.objects.order_by("first_month").first(),
        Location: Location.objects.get(code="15"),
        Organisation: org_a,
        User: alice,
        HeldInvitation: HeldInvitationFactory(invited_by=alice, holder=bob),
        KeyFigures: KeyFigures.objects.get(period=report.period),
        Narrative: highlights,
        SitrepEdition: SitrepEdition.objects.get(period=report.period),
        Reminder: reminder,
        Notification: notification,
        Group: Group.objects.create(name="Lectores"),
        AccessAttempt: AccessAttempt.objects.get(username="alice"),
        AccessLog: AccessLog.objects.filter(username="bob").first(),
        AccessFailureLog: failure,
    }
    return World(alice=alice, bob=bob, carl=carl, ivan=ivan, report=report, line=line,
                 batch=batch, objects=objects)


class CannotFill(Exception):
    pass


# Which object an `<int:pk>` stands for, by the route it is in.
PK_BY_PREFIX = {
    "reports/": lambda w: w.report.pk,
    "team/": lambda w: w.alice.pk,
    "imports/": lambda w: w.batch.pk,
    "account/api-tokens/": lambda w: w.alice.pk,  # POST only: any number is refused alike
}

# Values that make a page show something real (a month with data, a figure to explain...).
QUERIES = {
    "reporting:home": {"period": "2023-09"},
    "reporting:locations": {"parent": "15"},
    "reporting:dashboard": {"period": "2023-09"},
    "reporting:dashboard-explain": {"period": "2023-09", "figure": "headline", "scope": "month"},
    "reporting:dashboard-indicator": {"period": "2023-09", "indicator": "PRO-01"},
    "reporting:completeness": {"period": "2023-09"},
    "reporting:import-template": {"organisation": "HIAS", "period": "2023-09"},
    "reporting:export-summary": {"period": "2023-09"},
    "api:lines-deleted": {"since": "2023-01-01T00:00:00Z"},
    "api:regional-5w": {"month": "2023-09"},
}



def points_at_a(route: Route) -> bool:
    """Whether the app URL is about organisation A: every id in an app URL is one of A's
    objects (PK_BY_PREFIX), and a query may name A."""
    return bool(re.search(r"<int:(pk|line_pk)>", route.route)) or (
        QUERIES.get(route.key, {}).get("organisation") == "HIAS"
    )


def _value(route: Route, name: str, world: World):
    if name == "pk":
        for prefix, value in PK_BY_PREFIX.items():
            if route.route.startswith(prefix):
                return value(world)
    if name == "line_pk":
        return world.line.pk
    if name == "month":
        return "2023-09"  # the month whose edition 1 is published
    if name == "number":
        return 1
    if name == "fmt":
        return "csv"
    if name == "kind":
        return "sectors"
    if name in ("uidb64", "token"):
        uid = urlsafe_base64_encode(force_bytes(world.alice.pk))
        return uid if name == "uidb64" else default_token_generator.make_token(world.alice)
    if name == "object_id" and route.model is not None:
        obj = world.admin_object(route.model)
        if obj is None:
            raise CannotFill(f"the world fixture has no {route.model._meta.label} to open")
        return obj.pk
    if name == "id" and route.model is not None:  # the user admin's password page
        return world.admin_object(route.model).pk
    if route.key == "admin:view_on_site":
        report = world.report
        return {"content_type_id": ContentType.objects.get_for_model(report).pk,
                "object_id": report.pk}[name]
    raise CannotFill(f"no value for <{name}>")


def build_urls(route: Route, world: World) -> list[str]:
    """Return the URLs to open for `route` (an app index once per app), or raise CannotFill."""
    if route.key == "admin:app_list":
        labels = sorted({model._meta.app_label for model in admin.site._registry})
        urls = [f"/admin/{label}/" for label in labels]
    elif route.route == "admin/(?P<url>.*)$":
        urls = ["/admin/no/such/page/"]
    elif not isinstance(route.pattern.pattern, RoutePattern):
        raise CannotFill(f"{route.key}: a regular-expression pattern: say here how to fill it")
    else:
        try:
            path = re.sub(r"<(?:\w+:)?(\w+)>",
                          lambda m: str(_value(route, m.group(1), world)), route.route)
        except CannotFill as error:
            raise CannotFill(f"{route.key} ({route.route}): {error}") from None
        urls = ["/" + path]
    for url in urls:
        match = resolve(url)
        if match.route != route.route:
            raise CannotFill(f"{route.key}: {url} reaches {match.route}, not this pattern")
    query = QUERIES.get(route.key)
    return [f"{url}?{urlencode(query)}" if query else url for url in urls]


# --------------------------------------------------------------------------------------------
# What each persona gets
# --------------------------------------------------------------------------------------------

# An outcome is a status code, or "login" / "admin-login" for a redirect to the sign-in page
# with `next` pointing back.
LOGIN, ADMIN_LOGIN = "login", "admin-login"


def outcome(response, url: str):
    if response.status_code == 302:
        location = response["Location"]
        if location == f"/accounts/login/?{urlencode({'next': url}, safe='/')}":
            return LOGIN
        if location == f"/admin/login/?{urlencode({'next': url}, safe='/')}":
            return ADMIN_LOGIN
    return response.status_code


def each(anonymous, alice, bob, carl, ivan) -> dict:
    return dict(zip(PERSONAS, (anonymous, alice, bob, carl, ivan), strict=True))


def everyone(value) -> dict:
    return dict.fromkeys(PERSONAS, value)


SIGNED_IN_PAGE = each(LOGIN, 200, 200, 200, 200)
POST_ONLY = each(LOGIN, 405, 405, 405, 405)  # require_POST, after login_required
SIGNED_IN_API = each(401, 200, 200, 200, 200)  # an API answers 401, never a redirect

APP_RULES = {
    # Signing in, resetting a password, the language: for everyone.
    "login": everyone(200),
    "logout": everyone(405),
    "password_reset": everyone(200),
    "password_reset_done": everyone(200),
    # Django moves the token into the session and redirects to the form.
    "password_reset_confirm": everyone(302),
    "password_reset_complete": everyone(200),
    "set_language": everyone(302),  # a GET changes nothing and goes back
    # Published situation reports: public.
    "reporting:public-sitreps": everyone(200),
    "reporting:public-sitrep-latest": everyone(302),
    "reporting:public-sitrep": everyone(200),
    "reporting:public-sitrep-pdf": everyone(200),
    "reporting:public-sitrep-json": everyone(200),
    # Any signed-in user, each in their scope.
    "password_change": SIGNED_IN_PAGE,
    "password_change_done": SIGNED_IN_PAGE,
    "reporting:home": SIGNED_IN_PAGE,
    "reporting:report-list": SIGNED_IN_PAGE,
    "reporting:locations": SIGNED_IN_PAGE,
    "reporting:dashboard": SIGNED_IN_PAGE,
    "reporting:dashboard-explain": SIGNED_IN_PAGE,
    "reporting:dashboard-indicator": SIGNED_IN_PAGE,
    "reporting:export-index": SIGNED_IN_PAGE,
    "reporting:export-lines": SIGNED_IN_PAGE,
    "reporting:export-summary": SIGNED_IN_PAGE,
    "reporting:export-regional-5w": each(LOGIN, 403, 403, 403, 200),
    "reporting:report-start": POST_ONLY,
    # A's report: A and the IM team see it; nobody else learns it exists. Only A edits lines.
    "reporting:report-detail": each(LOGIN, 200, 404, 404, 200),
    "reporting:report-submit": POST_ONLY,
    "reporting:report-withdraw": POST_ONLY,
    "reporting:report-nil": POST_ONLY,
    "reporting:line-add": each(LOGIN, 200, 404, 404, 403),
    "reporting:line-edit": each(LOGIN, 200, 404, 404, 403),
    "reporting:line-delete": each(LOGIN, 200, 404, 404, 403),
    # The team page is for focal points (none of these personas is one).
    "partners:notifications": SIGNED_IN_PAGE,
    "partners:team": each(LOGIN, 403, 403, 403, 403),
    "partners:member-deactivate": POST_ONLY,
    "partners:member-reactivate": POST_ONLY,
    "partners:member-resend": POST_ONLY,
    # Reviewers' pages.
    "reporting:completeness": each(LOGIN, 403, 403, 200, 200),
    "reporting:sitrep-draft": each(LOGIN, 403, 403, 200, 200),
    "reporting:sitrep-draft-pdf": each(LOGIN, 403, 403, 200, 200),
    "reporting:sitrep-publish": POST_ONLY,
    # Spreadsheets: partners for their own organisation, the IM team for any.
    "reporting:import-upload": each(LOGIN, 200, 200, 403, 200),
    "reporting:import-template": each(LOGIN, 200, 404, 403, 200),
    "reporting:import-preview": each(LOGIN, 200, 404, 404, 200),
    "reporting:import-confirm": POST_ONLY,
    "reporting:import-submit": POST_ONLY,
    "reporting:import-errors": each(LOGIN, 200, 404, 404, 200),
    # Anyone's API tokens are on their own page.
    "partners:api-tokens": SIGNED_IN_PAGE,
    "partners:api-token-revoke": POST_ONLY,
    # The read API (a signed-in browser reads it too; tokens are in tests/test_api.py): the
    # published figures, the schema and the index are public, the rest answers 401 to the
    # anonymous. The lines are each one's scope: A's draft line for alice and ivan only.
    "api:root": everyone(200),
    "api:schema": everyone(200),
    "api:docs": everyone(200),
    "api:figure-months": everyone(200),
    "api:figures": everyone(200),
    "api:lines": SIGNED_IN_API,
    "api:lines-deleted": SIGNED_IN_API,
    "api:regional-5w": each(401, 403, 403, 403, 200),  # IM officers, as /exports/regional-5w/
    "api:sectors": SIGNED_IN_API,
    "api:indicators": SIGNED_IN_API,
    "api:organisations": SIGNED_IN_API,
    "api:locations": SIGNED_IN_API,
}

# The admin site's own pages. A signed-in partner gets 404 on every admin URL.
ADMIN_SITE_RULES = {
    "admin:index": each(ADMIN_LOGIN, 404, 404, 200, 200),
    "admin:login": each(200, 404, 404, 302, 302),  # staff already signed in go to the index
    "admin:logout": each(302, 404, 404, 405, 405),  # nobody to sign out: to the admin index
    "admin:password_change": each(ADMIN_LOGIN, 404, 404, 200, 200),
    "admin:password_change_done": each(ADMIN_LOGIN, 404, 404, 200, 200),
    "admin:jsi18n": each(ADMIN_LOGIN, 404, 404, 200, 200),
    "admin:autocomplete": each(ADMIN_LOGIN, 404, 404, 403, 403),  # no field named: refused
    # Django's redirect to an object's page on the site: no model of ours has one.
    "admin:view_on_site": each(ADMIN_LOGIN, 404, 404, 404, 404),
    "admin/(?P<url>.*)$": each(ADMIN_LOGIN, 404, 404, 404, 404),
}

# The pages an anonymous visitor may open.
PUBLIC = {
    key for key, rule in {**APP_RULES, **ADMIN_SITE_RULES}.items()
    if rule["anonymous"] not in (LOGIN, ADMIN_LOGIN, 302, 405)
}

# What a coordinator may open in the admin (partners.models.COORDINATOR_PERMISSIONS).
COORDINATOR_MODELS = {"reporting.MonthlyReport", "reporting.ActivityLine", "reporting.ReviewEvent",
                      "reporting.LineChange", "reporting.Narrative"}
COORDINATOR_ADDS = {"reporting.Narrative"}

MODEL_PAGES = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/": "legacy",  # Django's redirect from the old change URL
    "<path:object_id>/change/": "change",
    "<path:object_id>/history/": "history",
    "<path:object_id>/delete/": "delete",
    "import/": "import",
    "process_import/": "process_import",
    "export/": "export",
    # Custom pages of our ModelAdmins.
    "<int:object_id>/review/": "review",
    "<id>/password/": "password",
    "load/": "load",
}


def _permission(model, persona_user, what: str, obj=None) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = persona_user
    model_admin = admin.site._registry[model]
    return getattr(model_admin, f"has_{what}_permission")(request, *([obj] if obj else []))


def admin_model_rule(route: Route, world: World) -> dict | None:
    """Who gets what on a ModelAdmin's page: derived from the page's kind and the model."""
    page = MODEL_PAGES.get(route.suffix)
    if page is None:
        return None
    label = route.model._meta.label
    obj = world.admin_object(route.model)
    ivan = {
        "changelist": 200, "legacy": 302, "change": 200, "history": 200,
        "add": 200 if _permission(route.model, world.ivan, "add") else 403,
        "delete": 200 if _permission(route.model, world.ivan, "delete", obj) else 403,
        "import": 200, "export": 200, "process_import": 405,
        "review": 302,  # a draft cannot be reviewed: back to the report
        "password": 200,
        "load": 200,
    }[page]
    if label in COORDINATOR_MODELS:
        # Carl coordinates Health; the world's objects are Protection's (and A's draft).
        carl = {
            "changelist": 200, "legacy": 302, "change": 404, "history": 404, "review": 404,
            "add": 200 if label in COORDINATOR_ADDS else 403, "delete": 403,
        }[page]
    else:
        carl = 302 if page == "legacy" else 403
    return each(ADMIN_LOGIN, 404, 404, carl, ivan)


def app_list_rule(url: str) -> dict:
    carl = 200 if url == "/admin/reporting/" else 404  # the only app with coordinators' models
    return each(ADMIN_LOGIN, 404, 404, carl, 200)


def rule_for(route: Route, url: str, world: World) -> dict | None:
    if route.key == "admin:app_list":
        return app_list_rule(url)
    if route.model is not None:
        return admin_model_rule(route, world)
    return APP_RULES.get(route.key) or ADMIN_SITE_RULES.get(route.key)


def test_it_finds_the_pages_of_the_app_and_of_every_admin():
    keys = {route.key for route in ROUTES}
    assert {"reporting:report-detail", "partners:team", "login", "admin:index",
            "admin:reporting_monthlyreport_review", "admin:reporting_sector_import",
            "admin:partners_organisation_export", "admin:axes_accessattempt_delete"} <= keys
    for model in admin.site._registry:
        opts = model._meta
        for page in ("changelist", "add", "change", "history", "delete"):
            assert f"admin:{opts.app_label}_{opts.model_name}_{page}" in keys


def test_it_names_no_url_that_does_not_exist():
    # A renamed URL must not leave a rule behind that checks nothing.
    keys = {route.key for route in ROUTES}
    for table in (APP_RULES, ADMIN_SITE_RULES, QUERIES):
        assert set(table) <= keys, set(table) - keys
    suffixes = {route.suffix for route in ROUTES if route.model is not None}
    assert set(MODEL_PAGES) <= suffixes, set(MODEL_PAGES) - suffixes


def test_it_has_a_rule_and_arguments_for_every_url_pattern(world):
    missing = []
    for route in ROUTES:
        try:
            urls = build_urls(route, world)
        except CannotFill as error:
            missing.append(f"cannot build a URL for {error}")
            continue
        for url in urls:
            if rule_for(route, url, world) is None:
                missing.append(f"{route.key} ({route.route}): no rule says who may open it")
    assert not missing, "Add these patterns to tests/test_url_discovery.py:\n" + "\n".join(missing)


def as_persona(client: Client, world: World, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(getattr(world, persona))


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_answers_every_discovered_url_as_the_rules_say(client, world, persona):
    as_persona(client, world, persona)
    wrong = []
    for route in ROUTES:
        for url in build_urls(route, world):
            response = client.get(url)
            got = outcome(response, url)
            expected = rule_for(route, url, world)[persona]
            body = b"".join(response.streaming_content) if response.streaming else response.content
            problems = []
            if got != expected:
                problems.append(f"got {got}, expected {expected}")
            if response.status_code >= 500:
                problems.append("server error")
            if persona == "anonymous" and got == 200 and route.key not in PUBLIC:
                problems.append("a page for signed-in users opened to anonymous")
            if persona == "bob" and got == 200 and points_at_a(route):
                problems.append("bob opened a page of A's data")
            if persona in ("alice", "bob") and got == 200 and route.is_admin:
                problems.append("a partner opened an admin page")
            if persona != "ivan" and persona != "alice" and SECRET.encode() in body:
                problems.append("shows A's confidential line")
            if problems:
                wrong.append(f"{url} [{route.key}]: {'; '.join(problems)}")
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)
