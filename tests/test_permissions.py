"""Who may open what: a permission matrix over every URL of the app and of the admin.

The personas come from conftest: alice (reporter, HIAS = organisation A, owns `report`), fiona
(focal point, HIAS), bob (reporter, Cáritas = organisation B), paula (coordinator of the report's
sector, Protection), carl (coordinator of another sector, Health), ivan (IM officer); plus, here,
fred (focal point of Cáritas) and nina (a HIAS reporter invited but not signed up yet).

The rules (DESIGN.md §2): a partner never sees another organisation's report, in pages or in the
admin, nor learns that it exists (404, like a made-up id); a coordinator sees the submitted and
reviewed reports of the sectors they coordinate, read-only, never drafts; an IM officer sees
everything; partner-only actions answer 403 to coordinators and IM officers on a report they may
see. Every URL is written out literally, so that the tests pin the URLs as well.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from axes.models import AccessFailureLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from import_export.admin import ImportMixin

from partners.models import Organisation, Role, User
from reporting import services, workflow
from reporting.models import (
    ActivityLine,
    Indicator,
    KeyFigures,
    MonthlyReport,
    Narrative,
    NarrativeKind,
    PopulationType,
    Reminder,
    ReminderKind,
    ReportStatus,
    Sector,
    SitrepEdition,
)
from reporting.numbers import sitrep

from .factories import (
    HeldInvitationFactory,
    LineFactory,
    PeriodFactory,
    ReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "Asesoría legal confidencial HIAS-7731 en San Juan de Lurigancho"
PASSWORD = "correct horse battery staple"


# --------------------------------------------------------------------------------------------
# Personas and the report in each of its states
# --------------------------------------------------------------------------------------------

@pytest.fixture
def fred(org_b):
    """Focal point of Cáritas (organisation B)."""
    return UserFactory(username="fred", organisation=org_b, role=Role.FOCAL_POINT)


@pytest.fixture
def nina(org_a, fiona):
    """A HIAS reporter whom fiona invited and who has not chosen a password yet."""
    user = UserFactory(username="nina", organisation=org_a, role=Role.REPORTER, invited_by=fiona)
    user.set_unusable_password()
    user.save()
    return user


def as_persona(client, request, persona: str):
    """Sign `client` in as `persona` ("anonymous" stays signed out) and return the user."""
    if persona == "anonymous":
        return None
    user = request.getfixturevalue(persona)
    client.force_login(user)
    return user


STATES = ("draft", "submitted", "returned", "approved", "reopened")


def bring_to(report: MonthlyReport, state: str, *, alice, paula, ivan) -> MonthlyReport:
    """Move `report` through the real workflow to `state`, leaving its review events."""
    if state != "draft":
        workflow.submit_report(report=report, by=alice)
    if state == "returned":
        workflow.return_report(report=report, by=paula, reason="Desagregue por distrito.")
    if state in ("approved", "reopened"):
        workflow.approve_report(report=report, by=paula)
    if state == "reopened":
        workflow.reopen_report(report=report, by=ivan, reason="Corregir el total de Lima.")
    report.refresh_from_db()
    assert report.status == state
    return report


@pytest.fixture
def secret_line(line):
    line.description = SECRET
    line.save()
    return line


@pytest.fixture
def hias_report(request, report, secret_line, alice, paula, ivan):
    """HIAS · Protection · Sept 2023 in the state named by the test's `state` parameter."""
    return bring_to(report, request.getfixturevalue("state"), alice=alice, paula=paula, ivan=ivan)


def fill(template: str, report=None, line=None, **extra) -> str:
    return template.format(report=getattr(report, "pk", 0), line=getattr(line, "pk", 0), **extra)


def login_url(path: str, login: str = "/accounts/login/") -> str:
    return f"{login}?{urlencode({'next': path}, safe='/')}"


def assert_tells_nothing_of_hias(response, viewer) -> None:
    """The body holds none of HIAS's report data, nor HIAS's name unless the viewer works
    there (every page shows the viewer's own organisation in the navigation bar)."""
    body = response.content.decode()
    assert SECRET not in body
    if viewer is None or viewer.organisation is None or viewer.organisation.acronym != "HIAS":
        assert "HIAS" not in body


def new_line_data(report: MonthlyReport, **overrides) -> dict:
    """A valid new line for the report's sector, distinct from the `line` fixture."""
    indicator = Indicator.objects.filter(sector=report.sector, type="direct").order_by("code")
    data = {
        "indicator": indicator[1].pk,
        "department": "15",
        "province": "1501",
        "district": "",
        "population_type": PopulationType.TRANSIT,
        "modality": "service",
        "implementing_partner": "",
        "girls": 1, "boys": 2, "women": 3, "men": 4, "other_under_18": 0, "other_adults": 0,
        "new_beneficiaries": 10,
        "total_monthly": 12,
        "quantity": "",
        "cash_usd": "",
        "description": "Nueva línea",
    }
    return {**data, **overrides}


def edited_line_data(line: ActivityLine) -> dict:
    """The line as it is, with another description and total."""
    return {
        "indicator": line.indicator_id,
        "department": line.department.code,
        "province": "",
        "district": "",
        "population_type": line.population_type,
        "modality": line.modality,
        "implementing_partner": "",
        "girls": line.girls, "boys": line.boys, "women": line.women, "men": line.men,
        "other_under_18": line.other_under_18, "other_adults": line.other_adults,
        "new_beneficiaries": line.new_beneficiaries,
        "total_monthly": line.total_monthly + 5,
        "quantity": "",
        "cash_usd": "",
        "description": "Editada",
    }


def post_data(action: str, report: MonthlyReport, line: ActivityLine) -> dict:
    if action == "line-add":
        return new_line_data(report)
    if action == "line-edit":
        return edited_line_data(line)
    if action == "nil":
        return {"note": "Sin actividades", "confirm": "yes"}
    return {}


# --------------------------------------------------------------------------------------------
# Every URL of the app (the admin is covered below through admin.site._registry)
# --------------------------------------------------------------------------------------------

# name: (method, literal URL, view name). {report} and {line} are HIAS's report and its line.
APP_URLS = {
    "home": ("GET", "/", "reporting:home"),
    "report-list": ("GET", "/reports/", "reporting:report-list"),
    "report-start": ("POST", "/reports/start/", "reporting:report-start"),
    "detail": ("GET", "/reports/{report}/", "reporting:report-detail"),
    "submit": ("POST", "/reports/{report}/submit/", "reporting:report-submit"),
    "withdraw": ("POST", "/reports/{report}/withdraw/", "reporting:report-withdraw"),
    "nil": ("POST", "/reports/{report}/nil/", "reporting:report-nil"),
    "line-add-form": ("GET", "/reports/{report}/lines/add/", "reporting:line-add"),
    "line-add": ("POST", "/reports/{report}/lines/add/", "reporting:line-add"),
    "line-edit-form": ("GET", "/reports/{report}/lines/{line}/", "reporting:line-edit"),
    "line-edit": ("POST", "/reports/{report}/lines/{line}/", "reporting:line-edit"),
    "line-delete-form": ("GET", "/reports/{report}/lines/{line}/delete/", "reporting:line-delete"),
    "line-delete": ("POST", "/reports/{report}/lines/{line}/delete/", "reporting:line-delete"),
    "locations": ("GET", "/locations/?parent=15", "reporting:locations"),
    "notifications": ("GET", "/account/notifications/", "partners:notifications"),
    "notifications-save": ("POST", "/account/notifications/", "partners:notifications"),
    "team": ("GET", "/team/", "partners:team"),
    "team-invite": ("POST", "/team/", "partners:team"),
    "member-deactivate": ("POST", "/team/{member}/deactivate/", "partners:member-deactivate"),
    "member-reactivate": ("POST", "/team/{member}/reactivate/", "partners:member-reactivate"),
    "member-resend": ("POST", "/team/{member}/resend/", "partners:member-resend"),
    "dashboard": ("GET", "/dashboard/?period=2023-09", "reporting:dashboard"),
    "dashboard-explain": (
        "GET", "/dashboard/explain/?period=2023-09&figure=headline&scope=month",
        "reporting:dashboard-explain",
    ),
    "dashboard-indicator": ("GET", "/dashboard/indicator/?period=2023-09&indicator=PRO-01",
                            "reporting:dashboard-indicator"),
    "completeness": ("GET", "/completeness/?period=2023-09", "reporting:completeness"),
    "sitrep-draft": ("GET", "/situation-report/2023-09/", "reporting:sitrep-draft"),
    "sitrep-draft-pdf": ("GET", "/situation-report/2023-09/pdf/", "reporting:sitrep-draft-pdf"),
    "sitrep-publish": ("POST", "/situation-report/2023-09/publish/", "reporting:sitrep-publish"),
    "import-upload-form": ("GET", "/imports/", "reporting:import-upload"),
    "import-upload": ("POST", "/imports/", "reporting:import-upload"),
    "import-template": ("GET", "/imports/template/?period=2023-09", "reporting:import-template"),
    "import-preview": ("GET", "/imports/{batch}/", "reporting:import-preview"),
    "import-confirm": ("POST", "/imports/{batch}/confirm/", "reporting:import-confirm"),
    "import-submit": ("POST", "/imports/{batch}/submit/", "reporting:import-submit"),
    "import-errors": ("GET", "/imports/{batch}/errors.xlsx", "reporting:import-errors"),
    "export-index": ("GET", "/exports/", "reporting:export-index"),
    "export-lines": ("GET", "/exports/lines.csv", "reporting:export-lines"),
    "export-summary": ("GET", "/exports/sectors.xlsx?period=2023-09", "reporting:export-summary"),
    "export-regional-5w": ("GET", "/exports/regional-5w/?from=2023-09",
                           "reporting:export-regional-5w"),
    "password-change": ("GET", "/accounts/password_change/", "password_change"),
    "password-change-done": ("GET", "/accounts/password_change/done/", "password_change_done"),
}

# Pages anyone may open, signed in or not (signing in, resetting a password, the language).
PUBLIC_URLS = {
    "login": ("GET", "/accounts/login/", "login"),
    "logout": ("POST", "/accounts/logout/", "logout"),
    "password-reset": ("GET", "/accounts/password_reset/", "password_reset"),
    "password-reset-done": ("GET", "/accounts/password_reset/done/", "password_reset_done"),
    "password-reset-confirm": (
        "GET", "/accounts/reset/{uid}/{token}/", "password_reset_confirm"
    ),
    "password-reset-complete": ("GET", "/accounts/reset/done/", "password_reset_complete"),
    "set-language": ("POST", "/i18n/setlang/", "set_language"),
    # Published situation reports: frozen editions, open to everyone.
    "public-sitreps": ("GET", "/sitreps/", "reporting:public-sitreps"),
    "public-sitrep-latest": ("GET", "/sitreps/2023-09/", "reporting:public-sitrep-latest"),
    "public-sitrep": ("GET", "/sitreps/2023-09/1/", "reporting:public-sitrep"),
    "public-sitrep-pdf": ("GET", "/sitreps/2023-09/1/pdf/", "reporting:public-sitrep-pdf"),
    "public-sitrep-json": ("GET", "/sitreps/2023-09/1/json/", "reporting:public-sitrep-json"),
}


def _named_routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            # The admin is walked below through its registry; the API in test_api.py (every
            # route for every persona, with tokens), which also covers the token pages.
            if pattern.namespace in ("admin", "api"):
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _named_routes(pattern.url_patterns, namespace)
        elif pattern.name:
            yield prefix + pattern.name


def test_it_covers_every_named_url_of_the_app_outside_the_admin():
    covered = {view for _, _, view in [*APP_URLS.values(), *PUBLIC_URLS.values()]}
    covered |= {"partners:api-tokens", "partners:api-token-revoke"}  # tests/test_api.py
    assert set(_named_routes(get_resolver().url_patterns)) == covered


@pytest.mark.parametrize(
    ("method", "template", "view"),
    [*APP_URLS.values(), *PUBLIC_URLS.values()],
    ids=[*APP_URLS, *PUBLIC_URLS],
)
def test_it_routes_each_literal_url_to_its_view(method, template, view):
    path = template.format(report=7, line=8, member=9, batch=10, uid="MQ", token="set-password")
    assert resolve(path.split("?")[0]).view_name == view


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", list(APP_URLS))
def test_it_sends_anonymous_visitors_of_every_app_page_to_the_login_page(
    client, report, line, alice, name, method
):
    path = fill(APP_URLS[name][1], report, line, member=alice.pk, batch=1)
    response = client.generic(method, path)
    assert response.status_code == 302
    assert response["Location"] == login_url(path)


def test_it_lets_anonymous_visitors_open_the_public_pages(client, alice, period, ivan):
    sitrep.publish_edition(period=period, by=ivan)
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    token = default_token_generator.make_token(alice)
    for name, (method, template, _) in PUBLIC_URLS.items():
        path = template.format(uid=uid, token=token)
        data = {"language": "en", "next": "/"} if name == "set-language" else {}
        response = client.generic(method, path, urlencode(data),
                                  content_type="application/x-www-form-urlencoded")
        assert response.status_code in (200, 302), name
        if response.status_code == 302:
            assert not response["Location"].startswith("/accounts/login/?next="), name


@pytest.mark.parametrize("persona", ["alice", "bob", "paula", "ivan"])
def test_it_opens_the_password_change_page_for_every_signed_in_user(client, request, persona):
    as_persona(client, request, persona)
    assert client.get("/accounts/password_change/").status_code == 200
    assert client.get("/accounts/password_change/done/").status_code == 200


# --------------------------------------------------------------------------------------------
# The report of organisation A, in each state, for each persona
# --------------------------------------------------------------------------------------------

REPORT_ACTIONS = (
    "detail", "submit", "withdraw", "nil",
    "line-add-form", "line-add", "line-edit-form", "line-edit", "line-delete-form", "line-delete",
)

# 302 for alice is a redirect back to the report (done, or refused with a message); for an
# anonymous visitor, to the login page.
A, N = 302, 404  # short names keep the table aligned
MATRIX = {
    #                        detail subm with nil  add-f add edit-f edit del-f del
    ("anonymous", "any"):       (A,   A,   A,   A,   A,   A,   A,    A,   A,   A),
    ("alice", "draft"):         (200, A,   A,   A,   200, A,   200,  A,   200, A),
    ("alice", "submitted"):     (200, A,   A,   A,   A,   A,   A,    A,   A,   A),
    ("alice", "returned"):      (200, A,   A,   A,   200, A,   200,  A,   200, A),
    ("alice", "approved"):      (200, A,   A,   A,   A,   A,   A,    A,   A,   A),
    ("alice", "reopened"):      (200, A,   A,   A,   200, A,   200,  A,   200, A),
    ("bob", "any"):             (N,   N,   N,   N,   N,   N,   N,    N,   N,   N),
    ("carl", "any"):            (N,   N,   N,   N,   N,   N,   N,    N,   N,   N),
    ("paula", "draft"):         (N,   N,   N,   N,   N,   N,   N,    N,   N,   N),
    ("paula", "submitted"):     (200, 403, 403, 403, 403, 403, 403,  403, 403, 403),
    ("paula", "returned"):      (200, 403, 403, 403, 403, 403, 403,  403, 403, 403),
    ("paula", "approved"):      (200, 403, 403, 403, 403, 403, 403,  403, 403, 403),
    ("paula", "reopened"):      (200, 403, 403, 403, 403, 403, 403,  403, 403, 403),
    ("ivan", "any"):            (200, 403, 403, 403, 403, 403, 403,  403, 403, 403),
}


def expected_status(persona: str, state: str, action: str) -> int:
    row = MATRIX.get((persona, state)) or MATRIX[(persona, "any")]
    return row[REPORT_ACTIONS.index(action)]


MATRIX_CASES = [
    pytest.param(persona, state, action, id=f"{persona}-{state}-{action}")
    for persona in ("anonymous", "alice", "bob", "carl", "paula", "ivan")
    for state in STATES
    for action in REPORT_ACTIONS
]


@pytest.mark.parametrize(("persona", "state", "action"), MATRIX_CASES)
def test_it_answers_every_report_url_as_the_permission_matrix_says(
    client, request, hias_report, secret_line, persona, state, action
):
    user = as_persona(client, request, persona)
    method = "GET" if action == "detail" or action.endswith("-form") else "POST"
    path = fill(APP_URLS[action][1], hias_report, secret_line)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, post_data(action, hias_report, secret_line))

    expected = expected_status(persona, state, action)
    assert response.status_code == expected
    if expected == 302:
        target = login_url(path) if persona == "anonymous" else f"/reports/{hias_report.pk}/"
        assert response["Location"] == target
    if expected == 404:  # a 403 only ever goes to someone who may see the report
        assert_tells_nothing_of_hias(response, user)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ["submit", "withdraw", "nil"])
@pytest.mark.parametrize("persona", ["alice", "bob", "carl", "paula", "ivan"])
def test_it_refuses_a_get_on_a_transition_url_the_same_way_whether_the_report_exists(
    client, request, hias_report, persona, action, state
):
    # require_POST answers before the report is looked up: 405 for any id, so a GET tells
    # nothing about which reports exist.
    as_persona(client, request, persona)
    real = client.get(f"/reports/{hias_report.pk}/{action}/")
    made_up = client.get(f"/reports/{hias_report.pk + 10_000}/{action}/")
    assert real.status_code == made_up.status_code == 405


@pytest.mark.parametrize("state", ["draft", "returned", "reopened"])
def test_it_lets_the_owner_add_edit_and_delete_lines_while_the_report_is_editable(
    client, alice, hias_report, secret_line, state
):
    client.force_login(alice)
    base = f"/reports/{hias_report.pk}"
    client.post(f"{base}/lines/add/", new_line_data(hias_report))
    assert hias_report.lines.count() == 2
    client.post(f"{base}/lines/{secret_line.pk}/", edited_line_data(secret_line))
    secret_line.refresh_from_db()
    assert secret_line.description == "Editada"
    client.post(f"{base}/lines/{secret_line.pk}/delete/")
    assert not hias_report.lines.filter(pk=secret_line.pk).exists()
    assert hias_report.line_changes.count() == 3


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_it_keeps_the_lines_of_a_submitted_or_approved_report_unchanged_for_its_owner(
    client, alice, hias_report, secret_line, state
):
    client.force_login(alice)
    base = f"/reports/{hias_report.pk}"
    client.post(f"{base}/lines/add/", new_line_data(hias_report))
    client.post(f"{base}/lines/{secret_line.pk}/", edited_line_data(secret_line))
    client.post(f"{base}/lines/{secret_line.pk}/delete/")
    assert list(hias_report.lines.values_list("pk", "description")) == [(secret_line.pk, SECRET)]
    assert not hias_report.line_changes.exists()


@pytest.mark.parametrize("persona", ["paula", "carl", "ivan", "bob"])
@pytest.mark.parametrize("state", STATES)
def test_it_changes_nothing_when_anyone_but_the_owner_posts_to_a_report(
    client, request, hias_report, secret_line, persona, state
):
    as_persona(client, request, persona)
    for action in ("submit", "withdraw", "nil", "line-add", "line-edit", "line-delete"):
        path = fill(APP_URLS[action][1], hias_report, secret_line)
        client.post(path, post_data(action, hias_report, secret_line))
    hias_report.refresh_from_db()
    assert hias_report.status == state
    assert list(hias_report.lines.values_list("pk", "description")) == [(secret_line.pk, SECRET)]


@pytest.mark.parametrize("state", ["submitted", "returned", "approved", "reopened"])
@pytest.mark.parametrize("persona", ["paula", "ivan"])
def test_it_shows_a_reviewer_the_report_read_only(client, request, hias_report, persona, state):
    as_persona(client, request, persona)
    response = client.get(f"/reports/{hias_report.pk}/")
    assert response.status_code == 200
    assert response.context["can_edit"] is False
    assert not {"submit", "withdraw", "declare_nil"} & set(response.context["actions"])
    body = response.content.decode()
    assert SECRET in body
    assert f"/reports/{hias_report.pk}/lines/add/" not in body
    assert f"/reports/{hias_report.pk}/submit/" not in body


def test_it_shows_the_owner_the_edit_buttons_of_a_draft(client, alice, report, secret_line):
    client.force_login(alice)
    body = client.get(f"/reports/{report.pk}/").content.decode()
    assert f"/reports/{report.pk}/lines/add/" in body
    assert f"/reports/{report.pk}/lines/{secret_line.pk}/delete/" in body
    assert f"/reports/{report.pk}/submit/" in body


@pytest.mark.parametrize("action", ["line-edit-form", "line-edit", "line-delete-form", "line-delete"])
def test_it_hides_a_line_of_organisation_a_behind_a_report_of_organisation_b(
    client, bob, org_b, protection, period, secret_line, action
):
    # Bob's own report id with HIAS's line id: the line is looked up inside bob's report only.
    own = ReportFactory(organisation=org_b, sector=protection, period=period, created_by=bob)
    client.force_login(bob)
    path = fill(APP_URLS[action][1], own, secret_line)
    response = client.get(path) if action.endswith("-form") else client.post(
        path, edited_line_data(secret_line)
    )
    assert response.status_code == 404
    assert SECRET not in response.content.decode()
    secret_line.refresh_from_db()
    assert secret_line.description == SECRET


@pytest.mark.parametrize("action", ["line-edit-form", "line-delete-form"])
def test_it_answers_404_for_a_line_of_another_report_of_the_same_organisation(
    client, alice, org_a, health, period, secret_line, action
):
    other = ReportFactory(organisation=org_a, sector=health, period=period, created_by=alice)
    client.force_login(alice)
    assert client.get(fill(APP_URLS[action][1], other, secret_line)).status_code == 404


# --------------------------------------------------------------------------------------------
# Lists, the home page, starting a report, the location look-up
# --------------------------------------------------------------------------------------------

# Whether the persona sees HIAS's report in /reports/ (and in the admin changelist).
SEES_REPORT = {
    "alice": set(STATES),
    "fiona": set(STATES),
    "bob": set(),
    "carl": set(),
    "paula": set(STATES) - {"draft"},
    "ivan": set(STATES),
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", list(SEES_REPORT))
def test_it_lists_a_report_only_for_those_who_may_see_it(
    client, request, hias_report, persona, state
):
    as_persona(client, request, persona)
    link = f'href="/reports/{hias_report.pk}/"'
    for query in ("", "?status=" + state, f"?period={hias_report.period.pk}",
                  f"?sector={hias_report.sector.pk}"):
        response = client.get("/reports/" + query)
        assert response.status_code == 200
        assert (link in response.content.decode()) is (state in SEES_REPORT[persona]), query


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", list(SEES_REPORT))
def test_it_opens_the_home_page_for_every_persona_without_other_organisations_data(
    client, request, hias_report, persona, state
):
    as_persona(client, request, persona)
    response = client.get("/?period=2023-09")
    assert response.status_code == 200
    body = response.content.decode()
    if persona in ("alice", "fiona"):
        assert f'href="/reports/{hias_report.pk}/"' in body
    else:
        assert f'href="/reports/{hias_report.pk}/"' not in body
    if persona == "bob":
        assert "HIAS" not in body
        assert SECRET not in body


@pytest.mark.parametrize("state", STATES)
def test_it_shows_bob_nothing_of_hias_on_any_page(client, bob, hias_report, secret_line, state):
    client.force_login(bob)
    pages = [
        "/", "/?period=2023-09", "/reports/", f"/reports/?period={hias_report.period.pk}",
        f"/reports/?sector={hias_report.sector.pk}&status={state}",
        *[fill(APP_URLS[action][1], hias_report, secret_line) for action in REPORT_ACTIONS],
        "/admin/", "/admin/reporting/monthlyreport/",
        f"/admin/reporting/monthlyreport/{hias_report.pk}/change/",
        f"/admin/reporting/monthlyreport/{hias_report.pk}/history/",
        f"/admin/reporting/monthlyreport/{hias_report.pk}/review/",
    ]
    for path in pages:
        for response in (client.get(path), client.post(path)):
            body = response.content.decode()
            assert "HIAS" not in body, path
            assert SECRET not in body, path
            assert str(hias_report.organisation.name) not in body, path


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", 302), ("alice", 302), ("fiona", 302), ("bob", 302),
     ("paula", 403), ("carl", 403), ("ivan", 403)],
)
def test_it_lets_only_partners_start_a_report(client, request, protection, period, persona,
                                              expected):
    user = as_persona(client, request, persona)
    response = client.post("/reports/start/", {"period": period.pk, "sector": protection.pk})
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"] == login_url("/reports/start/")
    elif expected == 302:
        started = MonthlyReport.objects.get(organisation=user.organisation, sector=protection,
                                            period=period)
        assert response["Location"] == f"/reports/{started.pk}/"
    else:
        assert not MonthlyReport.objects.exists()


def test_it_starts_bobs_own_report_never_opening_hias_one(client, bob, report):
    client.force_login(bob)
    response = client.post("/reports/start/", {"period": report.period.pk,
                                               "sector": report.sector.pk})
    started = MonthlyReport.objects.get(organisation__acronym="CARITAS")
    assert response["Location"] == f"/reports/{started.pk}/"
    assert started.pk != report.pk


@pytest.mark.parametrize("persona", ["alice", "fiona", "bob", "paula", "carl", "ivan"])
def test_it_returns_the_provinces_of_a_department_to_any_signed_in_user(
    client, request, persona
):
    as_persona(client, request, persona)
    response = client.get("/locations/?parent=15")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    assert payload["parent"] == "15"
    assert {"code": "1501", "name": "Lima"} in payload["children"]


def test_it_sends_an_anonymous_location_lookup_to_the_login_page(client):
    response = client.get("/locations/?parent=15")
    assert response.status_code == 302
    assert response["Location"] == login_url("/locations/?parent=15")


# --------------------------------------------------------------------------------------------
# Team pages (focal points)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("persona", "expected"),
    [("fiona", 200), ("fred", 200), ("alice", 403), ("bob", 403), ("paula", 403),
     ("carl", 403), ("ivan", 403), ("anonymous", 302)],
)
def test_it_opens_the_team_page_only_for_focal_points(client, request, persona, expected):
    as_persona(client, request, persona)
    response = client.get("/team/")
    assert response.status_code == expected


def test_it_lists_only_the_focal_points_own_organisation_on_the_team_page(
    client, fiona, alice, bob, fred
):
    client.force_login(fred)
    body = client.get("/team/").content.decode()
    assert bob.email in body
    assert alice.email not in body
    assert fiona.email not in body
    assert "HIAS" not in body


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("fiona", 302), ("alice", 403), ("bob", 403), ("paula", 403), ("ivan", 403),
     ("anonymous", 302)],
)
def test_it_lets_only_a_focal_point_invite_a_reporter(
    client, request, persona, expected
):
    as_persona(client, request, persona)
    response = client.post("/team/", {"email": "new@hias.example", "first_name": "Nueva",
                                      "last_name": "Reportera"})
    assert response.status_code == expected
    invited = persona == "fiona"
    assert len(mail.outbox) == (1 if invited else 0)
    assert User.objects.filter(email="new@hias.example").exists() is invited


# (actor, target, expected status) for deactivate, reactivate and resend.
TEAM_CASES = [
    ("fiona", "alice", {"deactivate": 302, "reactivate": 302, "resend": 403}),  # alice signed up
    ("fiona", "nina", {"deactivate": 302, "reactivate": 302, "resend": 302}),
    ("fiona", "fiona", {"deactivate": 403, "reactivate": 403, "resend": 403}),  # not herself
    ("fiona", "bob", {"deactivate": 404, "reactivate": 404, "resend": 404}),
    ("fiona", "paula", {"deactivate": 404, "reactivate": 404, "resend": 404}),
    ("alice", "nina", {"deactivate": 403, "reactivate": 403, "resend": 403}),
    ("fred", "alice", {"deactivate": 404, "reactivate": 404, "resend": 404}),
    ("fred", "nina", {"deactivate": 404, "reactivate": 404, "resend": 404}),
    ("bob", "alice", {"deactivate": 403, "reactivate": 403, "resend": 403}),
    ("paula", "alice", {"deactivate": 403, "reactivate": 403, "resend": 403}),
    ("ivan", "alice", {"deactivate": 403, "reactivate": 403, "resend": 403}),
    ("anonymous", "alice", {"deactivate": 302, "reactivate": 302, "resend": 302}),
]


@pytest.mark.parametrize("verb", ["deactivate", "reactivate", "resend"])
@pytest.mark.parametrize(
    ("actor", "target", "expected"), TEAM_CASES, ids=[f"{a}-on-{t}" for a, t, _ in TEAM_CASES]
)
def test_it_lets_a_focal_point_manage_only_the_reporters_of_their_organisation(
    client, request, actor, target, expected, verb
):
    member = request.getfixturevalue(target)
    was_active = member.is_active
    user = as_persona(client, request, actor)
    path = f"/team/{member.pk}/{verb}/"
    response = client.post(path)
    assert response.status_code == expected[verb]
    member.refresh_from_db()
    if actor == "anonymous":
        assert response["Location"] == login_url(path)
    elif response.status_code == 302:
        assert response["Location"] == "/team/"
        assert member.is_active is (verb != "deactivate")
    else:
        assert member.is_active is was_active
        assert not mail.outbox
        body = response.content.decode()
        assert member.email not in body
        if user.organisation_id != member.organisation_id:
            assert member.organisation.short_name not in body


@pytest.mark.parametrize("verb", ["deactivate", "reactivate", "resend"])
def test_it_refuses_a_get_on_the_team_actions(client, fiona, alice, verb):
    client.force_login(fiona)
    assert client.get(f"/team/{alice.pk}/{verb}/").status_code == 405
    alice.refresh_from_db()
    assert alice.is_active


def test_it_signs_a_deactivated_reporter_out_of_every_page(client, fiona, alice, report):
    client.force_login(alice)
    assert client.get(f"/reports/{report.pk}/").status_code == 200
    fiona_client = Client()
    fiona_client.force_login(fiona)
    assert fiona_client.post(f"/team/{alice.pk}/deactivate/").status_code == 302
    response = client.get(f"/reports/{report.pk}/")
    assert response.status_code == 302
    assert response["Location"] == login_url(f"/reports/{report.pk}/")


# --------------------------------------------------------------------------------------------
# The admin: the report's pages, for each persona and state
# --------------------------------------------------------------------------------------------

ADMIN_ACTIONS = {
    "index": ("GET", "/admin/"),
    "app-index": ("GET", "/admin/reporting/"),
    "changelist": ("GET", "/admin/reporting/monthlyreport/"),
    "change": ("GET", "/admin/reporting/monthlyreport/{report}/change/"),
    "history": ("GET", "/admin/reporting/monthlyreport/{report}/history/"),
    "review-form": ("GET", "/admin/reporting/monthlyreport/{report}/review/"),
    "review": ("POST", "/admin/reporting/monthlyreport/{report}/review/"),
    "delete": ("GET", "/admin/reporting/monthlyreport/{report}/delete/"),
}

# Deleting a report is refused to everyone (403) before the object is looked up, so the
# answer is the same for a report the user may not see: it tells nothing.
ADMIN_MATRIX = {
    #                      index app  list change hist rev-f rev  delete
    ("anonymous", "any"): (A,    A,   A,   A,     A,   A,    A,   A),
    ("alice", "any"):     (N,    N,   N,   N,     N,   N,    N,   N),
    ("bob", "any"):       (N,    N,   N,   N,     N,   N,    N,   N),
    ("carl", "any"):      (200,  200, 200, N,     N,   N,    N,   403),
    ("paula", "draft"):   (200,  200, 200, N,     N,   N,    N,   403),
    ("paula", "any"):     (200,  200, 200, 200,   200, A,    A,   403),
    ("ivan", "any"):      (200,  200, 200, 200,   200, A,    A,   403),
}

ADMIN_CASES = [
    pytest.param(persona, state, action, id=f"{persona}-{state}-{action}")
    for persona in ("anonymous", "alice", "bob", "carl", "paula", "ivan")
    for state in STATES
    for action in ADMIN_ACTIONS
]


@pytest.mark.parametrize(("persona", "state", "action"), ADMIN_CASES)
def test_it_answers_every_admin_url_of_the_report_as_the_permission_matrix_says(
    client, request, hias_report, persona, state, action
):
    user = as_persona(client, request, persona)
    method, template = ADMIN_ACTIONS[action]
    path = fill(template, hias_report)
    response = client.post(path, {"action": "approve"}) if method == "POST" else client.get(path)

    row = ADMIN_MATRIX.get((persona, state)) or ADMIN_MATRIX[(persona, "any")]
    expected = row[list(ADMIN_ACTIONS).index(action)]
    assert response.status_code == expected
    if expected == 302 and persona == "anonymous":
        assert response["Location"] == login_url(path, login="/admin/login/")
    elif expected == 302:
        assert response["Location"] in (
            f"/admin/reporting/monthlyreport/{hias_report.pk}/change/",
            "/admin/reporting/monthlyreport/?status=submitted",
        )
    if expected == 404:
        assert_tells_nothing_of_hias(response, user)
    hias_report.refresh_from_db()
    approved = action == "review" and persona in ("paula", "ivan") and state == "submitted"
    assert hias_report.status == ("approved" if approved else state)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", ["paula", "carl", "ivan"])
def test_it_lists_in_the_admin_only_the_reports_a_user_reviews(
    client, request, hias_report, persona, state
):
    as_persona(client, request, persona)
    change = f"/admin/reporting/monthlyreport/{hias_report.pk}/change/"
    for query in ("", "?status=" + state, "?q=HIAS", "?sector=PRO", "?period=2023-09",
                  "?department=15", f"?organisation__id__exact={hias_report.organisation_id}"):
        response = client.get("/admin/reporting/monthlyreport/" + query)
        assert response.status_code == 200, query
        assert (change in response.content.decode()) is (state in SEES_REPORT[persona]), query


@pytest.mark.parametrize("state", ["submitted", "returned", "approved", "reopened"])
@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("paula", True),
        ("ivan", True),
        ("carl", False),
    ],
)
def test_it_opens_a_review_event_in_the_admin_only_for_reviewers_of_its_sector(
    client, request, hias_report, persona, visible, state
):
    as_persona(client, request, persona)
    event = hias_report.events.first()
    response = client.get(f"/admin/reporting/reviewevent/{event.pk}/change/")
    assert response.status_code == (200 if visible else 404)
    listing = client.get("/admin/reporting/reviewevent/").content.decode()
    assert (f"/admin/reporting/reviewevent/{event.pk}/change/" in listing) is visible


def test_it_hides_the_review_events_of_a_withdrawn_draft_from_coordinators(
    client, alice, paula, report, secret_line
):
    workflow.submit_report(report=report, by=alice)
    workflow.withdraw_report(report=report, by=alice)
    client.force_login(paula)
    listing = client.get("/admin/reporting/reviewevent/").content.decode()
    for event in report.events.all():
        assert f"/admin/reporting/reviewevent/{event.pk}/change/" not in listing


@pytest.mark.parametrize("state", STATES)
def test_it_lets_the_coordinator_of_a_sub_sector_review_the_parent_sectors_reports(
    client, hias_report, state
):
    # Child Protection lines live in Protection reports: its lead reviews those.
    cora = UserFactory(username="cora", organisation=Organisation.objects.get(acronym="ACNUR"),
                       role=Role.COORDINATOR)
    cora.sectors.add(Sector.objects.get(code="PRO-CP"))
    client.force_login(cora)
    expected = 404 if state == "draft" else 200
    assert client.get(f"/reports/{hias_report.pk}/").status_code == expected
    change = client.get(f"/admin/reporting/monthlyreport/{hias_report.pk}/change/")
    assert change.status_code == expected
    assert client.post(f"/reports/{hias_report.pk}/lines/add/",
                       new_line_data(hias_report)).status_code == (404 if state == "draft" else 403)


def test_it_answers_404_for_a_made_up_report_in_the_admin(client, ivan):
    client.force_login(ivan)
    for suffix in ("change/", "history/", "review/"):
        assert client.get(f"/admin/reporting/monthlyreport/999999/{suffix}").status_code == 404


def test_it_lets_paula_return_and_ivan_reopen_through_the_review_url(
    client, paula, ivan, alice, report, secret_line
):
    workflow.submit_report(report=report, by=alice)
    client.force_login(paula)
    url = f"/admin/reporting/monthlyreport/{report.pk}/review/"
    client.post(url, {"action": "return", "reason": "Falta Callao."})
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    workflow.submit_report(report=report, by=alice)
    client.post(url, {"action": "approve"})
    client.post(url, {"action": "reopen", "reason": "No puedo"})
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED  # a coordinator may not reopen
    client.force_login(ivan)
    client.post(url, {"action": "reopen", "reason": "Corregir Lima."})
    report.refresh_from_db()
    assert report.status == ReportStatus.REOPENED


def test_it_does_not_let_carl_review_another_sectors_report_through_the_bulk_action(
    client, carl, alice, report, secret_line
):
    workflow.submit_report(report=report, by=alice)
    client.force_login(carl)
    response = client.post(
        "/admin/reporting/monthlyreport/",
        {"action": "approve_selected", "_selected_action": [report.pk]},
    )
    assert response.status_code in (200, 302)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


# --------------------------------------------------------------------------------------------
# The admin: every registered model, for each persona
# --------------------------------------------------------------------------------------------

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
REVIEW_MODELS = {"reporting.MonthlyReport", "reporting.ReviewEvent", "reporting.LineChange",
                 "reporting.ActivityLine"}
# What a coordinator writes in the admin: their sectors' highlights for the situation report.
COORDINATOR_WRITES = {"reporting.Narrative"}
COORDINATOR_MODELS = REVIEW_MODELS | COORDINATOR_WRITES


def admin_url(model, suffix: str = "") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


@pytest.fixture
def one_of_everything(report, secret_line, alice, paula, ivan):
    """At least one object of every model registered in the admin."""
    services.save_line(line=LineFactory.build(
        report=report, population_type=PopulationType.HOST, description="via services"
    ), by=alice)  # a LineChange
    workflow.submit_report(report=report, by=alice)  # a ReviewEvent
    workflow.lock_period(period=PeriodFactory(month=dt.date(2023, 8, 1)), by=ivan)
    Group.objects.create(name="Lectores")
    KeyFigures.objects.create(period=report.period, refugees=1540000, updated_by=ivan)
    Narrative.objects.create(period=report.period, kind=NarrativeKind.HIGHLIGHTS,
                             sector=report.sector, text_es="Protección.", updated_by=paula)
    Narrative.objects.create(period=report.period, kind=NarrativeKind.SITUATION,
                             text_es="Situación.", updated_by=ivan)
    SitrepEdition.objects.create(period=report.period, number=1, data={}, published_by=ivan)
    Reminder.objects.create(period=report.period, recipient=alice, kind=ReminderKind.OVERDUE,
                            sent_on=dt.date(2023, 10, 11), missing=["Protection"])
    HeldInvitationFactory(invited_by=alice, holder=paula)
    # axes records the sign-ins and the failed attempts; its failure log is off by default.
    Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    Client().post("/accounts/login/", {"username": "bob", "password": "wrong"})
    AccessFailureLog.objects.create(
        username="bob", ip_address="127.0.0.1", user_agent="pytest", http_accept="*/*",
        path_info="/accounts/login/",
    )
    return report


@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
def test_it_opens_every_admin_page_of_every_model_for_the_im_officer(
    client, ivan, one_of_everything, model
):
    client.force_login(ivan)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = ivan

    assert client.get(f"/admin/{model._meta.app_label}/").status_code == 200
    assert client.get(admin_url(model)).status_code == 200
    add = client.get(admin_url(model, "add/"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)
    obj = model_admin.get_queryset(request).order_by("pk").first()
    assert obj is not None, f"one_of_everything should create a {model._meta.label}"
    assert client.get(admin_url(model, f"{obj.pk}/change/")).status_code == 200
    assert client.get(admin_url(model, f"{obj.pk}/history/")).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
@pytest.mark.parametrize("persona", ["paula", "carl"])
def test_it_opens_only_the_review_and_highlights_pages_of_the_admin_for_coordinators(
    client, request, one_of_everything, persona, model
):
    as_persona(client, request, persona)
    assert client.get("/admin/").status_code == 200
    allowed = model._meta.label in COORDINATOR_MODELS
    writes = model._meta.label in COORDINATOR_WRITES
    assert client.get(admin_url(model)).status_code == (200 if allowed else 403)
    assert client.get(admin_url(model, "add/")).status_code == (200 if writes else 403)
    app_index = client.get(f"/admin/{model._meta.app_label}/")
    assert app_index.status_code == (200 if model._meta.app_label == "reporting" else 404)
    if not allowed:
        obj = model._default_manager.order_by("pk").first()
        assert client.get(admin_url(model, f"{obj.pk}/change/")).status_code == 403


@pytest.mark.parametrize(("persona", "own"), [("paula", 200), ("carl", 404)])
def test_it_opens_to_a_coordinator_only_the_highlights_of_their_sectors(
    client, request, one_of_everything, persona, own
):
    as_persona(client, request, persona)
    highlights = Narrative.objects.get(kind=NarrativeKind.HIGHLIGHTS)
    situation = Narrative.objects.get(kind=NarrativeKind.SITUATION)
    assert client.get(f"/admin/reporting/narrative/{highlights.pk}/change/").status_code == own
    assert client.get(f"/admin/reporting/narrative/{situation.pk}/change/").status_code == 404


def test_it_does_not_let_a_coordinator_change_a_user_or_its_password(client, paula, alice):
    client.force_login(paula)
    assert client.get(f"/admin/partners/user/{alice.pk}/password/").status_code == 403
    response = client.post(f"/admin/partners/user/{alice.pk}/change/", {"role": "im_officer"})
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.role == Role.REPORTER


@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
@pytest.mark.parametrize("persona", ["alice", "fiona", "bob"])
def test_it_answers_404_to_partners_on_every_admin_page_of_every_model(
    client, request, one_of_everything, persona, model
):
    user = as_persona(client, request, persona)
    obj = model._default_manager.order_by("pk").first()
    paths = [
        f"/admin/{model._meta.app_label}/", admin_url(model), admin_url(model, "add/"),
        admin_url(model, f"{obj.pk}/change/"), admin_url(model, f"{obj.pk}/history/"),
        admin_url(model, f"{obj.pk}/delete/"),
    ]
    for path in paths:
        for response in (client.get(path), client.post(path, {"action": "delete_selected"})):
            assert response.status_code == 404, path
            assert_tells_nothing_of_hias(response, user)


@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
def test_it_sends_anonymous_visitors_of_every_admin_page_to_the_admin_login(
    client, one_of_everything, model
):
    obj = model._default_manager.order_by("pk").first()
    for path in (f"/admin/{model._meta.app_label}/", admin_url(model), admin_url(model, "add/"),
                 admin_url(model, f"{obj.pk}/change/"), admin_url(model, f"{obj.pk}/history/")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == login_url(path, login="/admin/login/")


# Import and export of reference data (django-import-export): IM officers only. A coordinator
# is answered 403 as on the model's other admin pages, a partner 404 as everywhere in the admin.
IMPORT_EXPORT_MODELS = {
    "partners.Organisation", "reporting.Sector", "reporting.Indicator", "reporting.Location",
    "reporting.KeyFigures",
}
IMPORT_EXPORT = [m for m in REGISTERED if isinstance(admin.site._registry[m], ImportMixin)]
IMPORT_EXPORT_SUFFIXES = ("import/", "process_import/", "export/")


def test_it_offers_import_and_export_for_the_reference_data_only():
    assert {model._meta.label for model in IMPORT_EXPORT} == IMPORT_EXPORT_MODELS


@pytest.mark.parametrize("model", IMPORT_EXPORT, ids=[m._meta.label for m in IMPORT_EXPORT])
def test_it_opens_import_and_export_to_the_im_officer(client, ivan, model):
    client.force_login(ivan)
    changelist = client.get(admin_url(model)).content.decode()
    assert admin_url(model, "import/") in changelist
    assert admin_url(model, "export/") in changelist
    assert client.get(admin_url(model, "import/")).status_code == 200
    assert client.get(admin_url(model, "export/")).status_code == 200
    assert client.get(admin_url(model, "process_import/")).status_code == 405


@pytest.mark.parametrize("model", IMPORT_EXPORT, ids=[m._meta.label for m in IMPORT_EXPORT])
@pytest.mark.parametrize("persona", ["paula", "carl"])
def test_it_refuses_import_and_export_to_coordinators(client, request, persona, model):
    as_persona(client, request, persona)
    for suffix in IMPORT_EXPORT_SUFFIXES:
        path = admin_url(model, suffix)
        assert client.get(path).status_code == 403, path
        assert client.post(path, {"format": "0", "resource": "0"}).status_code == 403, path


@pytest.mark.parametrize("model", IMPORT_EXPORT, ids=[m._meta.label for m in IMPORT_EXPORT])
@pytest.mark.parametrize("persona", ["alice", "fiona", "bob"])
def test_it_answers_404_to_partners_on_import_and_export(client, request, persona, model):
    user = as_persona(client, request, persona)
    for suffix in IMPORT_EXPORT_SUFFIXES:
        path = admin_url(model, suffix)
        for response in (client.get(path), client.post(path, {"format": "0", "resource": "0"})):
            assert response.status_code == 404, path
            assert_tells_nothing_of_hias(response, user)


@pytest.mark.parametrize("model", IMPORT_EXPORT, ids=[m._meta.label for m in IMPORT_EXPORT])
def test_it_sends_anonymous_visitors_of_import_and_export_to_the_admin_login(client, model):
    for suffix in IMPORT_EXPORT_SUFFIXES:
        path = admin_url(model, suffix)
        for response in (client.get(path), client.post(path, {"format": "0", "resource": "0"})):
            assert response.status_code == 302, path
            assert response["Location"] == login_url(path, login="/admin/login/")


@pytest.mark.parametrize("persona", ["alice", "fiona", "bob"])
@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/jsi18n/", "/admin/password_change/",
             "/admin/password_change/done/", "/admin/autocomplete/", "/admin/r/1/1/",
             "/admin/no/such/page/"]
)
def test_it_answers_404_to_partners_on_the_admin_site_pages(client, request, persona, path):
    as_persona(client, request, persona)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_it_does_not_sign_a_partner_out_through_the_admin(client, request, persona):
    user = as_persona(client, request, persona)
    assert client.post("/admin/logout/").status_code == 404
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_it_answers_404_to_a_signed_in_partner_on_the_admin_login_page(client, request, persona):
    as_persona(client, request, persona)
    assert client.get("/admin/login/").status_code == 404


def test_it_refuses_the_admin_login_to_a_partner(client, alice):
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("persona", ["paula", "ivan"])
def test_it_lets_staff_sign_in_to_the_admin(client, request, persona):
    user = request.getfixturevalue(persona)
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD,
                                             "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
