"""The security settings and what they promise: a clean `check --deploy`, HTTPS only, the
Content-Security-Policy on every page, sessions that end when idle, lock-outs that can be lifted,
CSRF on every state change, and uploads that are never served back as they came.

The URLs are discovered (tests/test_url_discovery.py), so that a new page is covered here too.
Personas from conftest: alice (reporter, HIAS), paula (Protection coordinator), ivan (IM).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.views import static
from openpyxl import load_workbook

from gtrm.admin import GtrmAdminSite
from gtrm.security import SESSION_REFRESHED_AT, csp_header
from reporting.models import ImportBatch

from .test_url_discovery import (
    ADMIN_LOGIN,
    LOGIN,
    ROUTES,
    build_urls,
    build_world,
    outcome,
    upload_csv,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(org_a, alice, bob, carl, ivan, paula, report, line):
    """Objects to fill every discovered URL with (see tests/test_url_discovery.py)."""
    return build_world(org_a=org_a, alice=alice, bob=bob, carl=carl, ivan=ivan, paula=paula,
                       report=report, line=line)


# --------------------------------------------------------------------------------------------
# Production settings: `check --deploy`, HTTPS, cookies
# --------------------------------------------------------------------------------------------

def production_env(**overrides) -> dict:
    """The environment of a production server: no DEBUG, a long random key, a host name, and
    none of the variables that relax a default."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DEBUG", "SECURE_", "SESSION_", "DJANGO_SETTINGS"))}
    env.update(SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="reportes.example.org")
    env.update(overrides)
    return env


def manage(*args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=production_env(**env),
        capture_output=True, text=True, timeout=120,
    )


PRINT_SETTINGS = """
from django.conf import settings as s
names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE",
         "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS"]
print(json.dumps({name: getattr(s, name) for name in names}))
"""


def production_settings(**env) -> dict:
    result = manage("shell", "--no-imports", "-c", "import json\n" + PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_it_passes_check_deploy_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("env", "warning"),
    [({"SECURE_SSL_REDIRECT": "0"}, "security.W008"), ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
     ({"SECURE_COOKIES": "0"}, "security.W012"), ({"SECRET_KEY": "short"}, "security.W009")],
)
def test_it_makes_check_deploy_warn_when_a_default_is_relaxed(env, warning):
    # The clean run above means something: each relaxation is caught.
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert warning in result.stderr + result.stdout


def test_it_is_secure_by_default_in_production():
    assert production_settings() == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_AGE": 8 * 3600,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": False,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
    }


def test_it_lets_the_environment_relax_https_for_a_local_load_test():
    relaxed = production_settings(
        SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0", SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0", SESSION_IDLE_MINUTES="30",
    )

    assert relaxed["SECURE_SSL_REDIRECT"] is False
    assert relaxed["SESSION_COOKIE_SECURE"] is relaxed["CSRF_COOKIE_SECURE"] is False
    assert relaxed["SECURE_HSTS_SECONDS"] == 3600
    assert relaxed["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert relaxed["SESSION_COOKIE_AGE"] == 30 * 60


def test_it_redirects_plain_http_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # the test settings turn it off for the test client

    response = client.get("/accounts/login/?next=/reports/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/?next=/reports/"


def test_it_sends_hsts_over_https(client):
    response = client.get("/accounts/login/", secure=True)

    assert response["Strict-Transport-Security"] == (
        f"max-age={settings.SECURE_HSTS_SECONDS}; includeSubDomains"
    )
    assert settings.SECURE_HSTS_SECONDS >= 365 * 24 * 3600


def test_it_sends_the_session_and_csrf_cookies_over_https_only(client, alice):
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    assert client.cookies[settings.CSRF_COOKIE_NAME]["secure"]


# --------------------------------------------------------------------------------------------
# Content-Security-Policy and the other headers, on every discovered page
# --------------------------------------------------------------------------------------------

class InlineScriptFinder(HTMLParser):
    """Find what the policy would block: inline <script> blocks, on…="" handler attributes and
    javascript: links."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f'<{tag} {name}="{value}">')
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f'<{tag} {name}="{value}">')
        is_data = (attrs.get("type") or "").lower() in ("application/json", "application/ld+json")
        self._inline_script = tag == "script" and "src" not in attrs and not is_data

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:80]}</script>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False


def test_it_allows_scripts_only_from_the_sites_own_files():
    policy = settings.SECURE_CSP
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-eval'" not in policy.get("default-src", [])


@pytest.mark.parametrize("persona", ["anonymous", "alice", "ivan"])
def test_it_sends_the_security_headers_with_every_page_and_no_inline_script(
    client, world, persona
):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    expected_csp = csp_header(settings.SECURE_CSP)
    wrong = []
    for route in ROUTES:
        for url in build_urls(route, world):
            response = client.get(url)
            headers = {
                "Content-Security-Policy": expected_csp,
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "same-origin",
            }
            for header, value in headers.items():
                if response.get(header) != value:
                    wrong.append(f"{url}: {header} is {response.get(header)!r}")
            if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
                finder = InlineScriptFinder()
                finder.feed(response.content.decode())
                wrong += [f"{url}: {found}" for found in finder.found]
    assert not wrong, "\n".join(wrong)


def test_it_sends_the_policy_with_errors_and_redirects_too(client, alice):
    client.force_login(alice)
    for response in (client.get("/no/such/page/"), client.get("/reports"),
                     client.post("/reports/start/", {}, HTTP_X_CSRFTOKEN="forged")):
        assert response["Content-Security-Policy"] == csp_header(settings.SECURE_CSP)


# --------------------------------------------------------------------------------------------
# Sessions end when idle, at the cost of one write per half timeout
# --------------------------------------------------------------------------------------------

def sign_in(client: Client, username: str, ip: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD},
                       REMOTE_ADDR=ip)


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def idle_for(client: Client, seconds: int) -> None:
    """Make the session look as if its last save was `seconds` ago."""
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = SessionStore(session_key=key)
    store[SESSION_REFRESHED_AT] = int(time.time()) - seconds
    store.save()
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - seconds)
    )


def assert_about(value, expected, tolerance=timedelta(seconds=60)):
    assert abs(value - expected) < tolerance, (value, expected)


def test_it_gives_a_new_session_the_idle_timeout(client, alice):
    response = sign_in(client, "alice")

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
    assert_about(session_row(client).expire_date,
                 timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))


def test_it_signs_out_a_session_idle_past_the_timeout(client, alice):
    sign_in(client, "alice")
    assert client.get("/reports/").status_code == 200

    Session.objects.filter(pk=session_row(client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get("/reports/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/reports/"


def test_it_does_not_write_the_session_on_every_request(client, alice):
    sign_in(client, "alice")
    ends = session_row(client).expire_date

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/reports/").status_code == 200
        assert client.get("/").status_code == 200

    writes = [q["sql"] for q in queries if "django_session" in q["sql"]
              and not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert session_row(client).expire_date == ends


def test_it_moves_the_end_forward_once_half_the_timeout_has_gone(client, alice):
    sign_in(client, "alice")
    half = settings.SESSION_COOKIE_AGE // 2
    idle_for(client, half + 60)  # would end in half the timeout, less a minute

    response = client.get("/reports/")

    assert response.status_code == 200
    assert_about(session_row(client).expire_date,
                 timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_it_keeps_the_end_while_less_than_half_the_timeout_has_gone(client, alice):
    sign_in(client, "alice")
    idle_for(client, settings.SESSION_COOKIE_AGE // 2 - 60)
    ends = session_row(client).expire_date

    response = client.get("/reports/")

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert session_row(client).expire_date == ends


def test_it_creates_no_session_for_an_anonymous_visitor(client, db):
    response = client.get("/sitreps/")

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


# --------------------------------------------------------------------------------------------
# Lock-outs: lifted by an IM officer in the admin, or by a command on the server
# --------------------------------------------------------------------------------------------

def lock_out(client: Client, username: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": username, "password": "wrong"},
                    REMOTE_ADDR="10.0.0.1")
    assert sign_in(client, username).status_code == 429


def test_it_lists_login_attempts_in_the_projects_admin():
    assert isinstance(admin.site, GtrmAdminSite)
    assert AccessAttempt in admin.site._registry


def test_it_lets_an_im_officer_unlock_someone_by_deleting_the_attempt(alice, ivan):
    lock_out(Client(), "alice")
    attempt = AccessAttempt.objects.get(username="alice")
    im = Client()
    im.force_login(ivan)

    listing = im.get("/admin/axes/accessattempt/?locked_out=yes")
    assert f"/admin/axes/accessattempt/{attempt.pk}/change/" in listing.content.decode()
    assert im.get(f"/admin/axes/accessattempt/{attempt.pk}/delete/").status_code == 200
    response = im.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert sign_in(Client(), "alice").status_code == 302


def test_it_lets_an_im_officer_unlock_several_people_at_once(alice, bob, ivan):
    lock_out(Client(), "alice")
    lock_out(Client(), "bob")
    im = Client()
    im.force_login(ivan)

    im.post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "post": "yes",
        "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
    })

    assert sign_in(Client(), "alice").status_code == 302
    assert sign_in(Client(), "bob").status_code == 302


@pytest.mark.parametrize(("persona", "status"), [("paula", 403), ("bob", 404)])
def test_it_lets_no_one_else_unlock_anyone(request, alice, persona, status):
    lock_out(Client(), "alice")
    attempt = AccessAttempt.objects.get(username="alice")
    other = Client()
    other.force_login(request.getfixturevalue(persona))

    response = other.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert response.status_code == status
    assert sign_in(Client(), "alice").status_code == 429


def test_it_unlocks_someone_with_the_axes_reset_username_command(alice):
    lock_out(Client(), "alice")

    call_command("axes_reset_username", "alice", stdout=io.StringIO())

    assert sign_in(Client(), "alice").status_code == 302


# --------------------------------------------------------------------------------------------
# CSRF: every URL refuses a POST without the token
# --------------------------------------------------------------------------------------------

CSRF_FAILED = "CSRF verification failed"


@pytest.mark.parametrize("persona", ["anonymous", "alice", "ivan"])
def test_it_refuses_a_post_without_csrf_token_on_every_url(world, persona):
    browser = Client(enforce_csrf_checks=True)
    if persona != "anonymous":
        browser.force_login(getattr(world, persona))
    wrong = []
    for route in ROUTES:
        for url in build_urls(route, world):
            response = browser.post(url, {"username": "alice", "password": PASSWORD,
                                          "email": "alice@example.org", "action": "approve"})
            refused = response.status_code == 403 and CSRF_FAILED in response.content.decode()
            # A signed-out visitor may instead be sent to sign in, with nothing done.
            to_sign_in = persona == "anonymous" and outcome(response, url) in (LOGIN, ADMIN_LOGIN)
            # The read API has no unsafe method (tests/test_api.py): a POST is refused before
            # any view code, as unauthenticated (401), by DRF's own CSRF check for a session
            # (403) or as not allowed (405).
            read_only_api = route.key.startswith("api:") and response.status_code in (401, 403, 405)
            if not (refused or to_sign_in or read_only_api):
                wrong.append(f"{url} [{route.key}]: {response.status_code}")
    assert not wrong, "POST without a CSRF token not refused:\n" + "\n".join(wrong)


def test_it_accepts_the_same_sign_in_with_the_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value

    response = browser.post("/accounts/login/", {
        "username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token,
    })

    assert response.status_code == 302
    assert response["Location"] == "/"


# --------------------------------------------------------------------------------------------
# Uploads: kept in the database, never served or sent back as they came
# --------------------------------------------------------------------------------------------

HOSTILE = '<script>alert("upload")</script>'


def test_it_has_no_url_that_serves_files_from_a_folder():
    assert not [route.key for route in ROUTES if route.pattern.callback is static.serve]
    for path in (settings.MEDIA_URL or "/media/", "/media/", "/uploads/"):
        with pytest.raises(Resolver404):
            resolve("/" + path.strip("/") + "/actividades.csv")


def test_it_stores_no_file_in_a_model_field():
    file_fields = [f"{model._meta.label}.{field.name}" for model in apps.get_models()
                   for field in model._meta.fields if isinstance(field, models.FileField)]
    assert file_fields == []


def test_it_keeps_an_upload_in_the_database_and_writes_nothing_to_disk(
    client, alice, report, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "tmp"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # larger uploads go through a temporary file
    content = upload_csv("Orientación legal")
    client.force_login(alice)

    response = client.post("/imports/", {"file": SimpleUploadedFile("actividades.csv", content)})
    batch = ImportBatch.objects.get()
    client.get(f"/imports/{batch.pk}/")
    client.get(f"/imports/{batch.pk}/errors.xlsx")
    client.post(f"/imports/{batch.pk}/confirm/")

    assert response.status_code == 302
    assert bytes(batch.content) == content
    assert not settings.MEDIA_ROOT.exists()
    assert list(settings.FILE_UPLOAD_TEMP_DIR.iterdir()) == []


@pytest.mark.parametrize("persona", ["alice", "ivan"])
def test_it_never_sends_an_upload_back_as_it_came(client, world, persona):
    raw = upload_csv(HOSTILE).replace(b"service", b"teleportation")  # an error to mark
    world.batch.content, world.batch.size = raw, len(raw)
    world.batch.save()
    client.force_login(getattr(world, persona))
    wrong = []
    for route in ROUTES:
        for url in build_urls(route, world):
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if raw in body:
                wrong.append(f"{url}: returns the uploaded file")
            if HOSTILE.encode() in body:
                wrong.append(f"{url}: returns the uploaded script unescaped")
    assert not wrong, "\n".join(wrong)


def test_it_sends_the_marked_workbook_as_an_attachment_never_sniffed(client, alice):
    raw = upload_csv(HOSTILE).replace(b"service", b"teleportation")
    client.force_login(alice)
    client.post("/imports/", {"file": SimpleUploadedFile("actividades.csv", raw)})
    batch = ImportBatch.objects.get()

    response = client.get(f"/imports/{batch.pk}/errors.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    workbook = load_workbook(io.BytesIO(response.content))  # a real workbook, built anew
    assert HOSTILE in [cell.value for row in workbook.active.iter_rows() for cell in row]
