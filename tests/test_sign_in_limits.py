"""The limits a hostile partner account cannot get round (issue 11): one account is one
lock-out however its name is spelt, one address cannot try a password on every account, and
the password-reset page cannot be used to flood a mailbox.

Run on SQLite and on PostgreSQL: the two databases compare text differently (PostgreSQL folds
ı to I, SQLite only A–Z), and the rule of partners.accounts must be the same on both.

Personas: carla is the demo's `reporter.caritas` (Cáritas del Perú), alice and bob as in
conftest. Mallory signs in from 10.6.6.6; a GTRM training room sits behind 192.0.2.10.
"""

from __future__ import annotations

import io
import ipaddress
import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client

from partners.accounts import account_key, find_account
from partners.models import PasswordResetRequest, User

from .factories import UserFactory

PASSWORD = "correct horse battery staple"
MALLORY = "10.6.6.6"
TRAINING_ROOM = "192.0.2.10"

# Letters that PostgreSQL's UPPER() folds onto A–Z, and SQLite's does not.
DOTLESS_I = "ı"  # U+0131, upper case I
DOTTED_CAPITAL_I = "İ"  # U+0130
LONG_S = "ſ"  # U+017F, upper case S


@pytest.fixture
def carla(org_b):
    return UserFactory(
        username="reporter.caritas", email="reporter.caritas@example.org", organisation=org_b
    )


def sign_in(client: Client, username: str, password: str = PASSWORD, ip: str = MALLORY):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(client: Client, username: str, times: int = 1, ip: str = MALLORY) -> list[int]:
    return [sign_in(client, username, "wrong password", ip).status_code for _ in range(times)]


def is_signed_in(client: Client) -> bool:
    return client.get("/reports/").status_code == 200


def without_csrf_token(response) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)


def notice(response) -> str:
    return re.search(r'class="alert[^"]*">(.*?)</div>', response.content.decode(), re.S).group(1)


# --------------------------------------------------------------------------------------------
# One account, one lock-out, whatever the spelling (issue 11, item 2)
# --------------------------------------------------------------------------------------------

SAME_ACCOUNT = [
    "reporter.caritas",
    "REPORTER.CARITAS",
    "Reporter.Caritas",
    "  reporter.caritas ",
    "reporter.caritas@example.org",
    "REPORTER.CARITAS@EXAMPLE.ORG",
    "Reporter.Caritas@Example.Org",
]
# What was typed, and the name its failures are counted under.
NO_ACCOUNT = {
    f"reporter.car{DOTLESS_I}tas": f"reporter.car{DOTLESS_I}tas",
    f"REPORTER.CAR{DOTTED_CAPITAL_I}TAS": f"reporter.car{DOTTED_CAPITAL_I}tas",
    f"reporter.carita{LONG_S}": f"reporter.carita{LONG_S}",
    f"Reporter.Car{DOTLESS_I}tas@Example.org": f"reporter.car{DOTLESS_I}tas@example.org",
    "reporter.caritas@example": "reporter.caritas@example",
    " Reporter ": "reporter",
    "": "",
}


@pytest.mark.parametrize("typed", SAME_ACCOUNT)
def test_it_resolves_every_a_to_z_case_of_the_username_or_email_to_the_account(carla, typed):
    assert find_account(typed) == carla
    assert account_key(typed) == "reporter.caritas"


@pytest.mark.parametrize(("typed", "key"), NO_ACCOUNT.items())
def test_it_resolves_other_unicode_case_pairs_to_no_account(carla, typed, key):
    assert find_account(typed) is None
    assert account_key(typed) == key


def test_it_decides_in_python_where_the_databases_disagree(carla):
    dotless = f"reporter.car{DOTLESS_I}tas"
    # The cause of the bypass: PostgreSQL's case-insensitive match takes ı for i, SQLite's not.
    found_by_the_database = User.objects.filter(username__iexact=dotless).exists()
    assert found_by_the_database is (connection.vendor == "postgresql")
    # The rule is the same on both.
    assert find_account(dotless) is None


def test_it_prefers_the_exact_username_when_the_rule_matches_two_accounts(org_a):
    ana = UserFactory(username="Ana", email="ana.torres@example.org", organisation=org_a)
    other = UserFactory(username="ana", email="ana.ruiz@example.org", organisation=org_a)

    assert find_account("Ana") == ana
    assert find_account("ana") == other
    assert find_account("ANA") is None
    assert find_account("ANA.TORRES@example.org") == ana


def test_it_signs_in_with_every_spelling_of_the_account_and_none_other(carla):
    for typed in SAME_ACCOUNT:
        browser = Client()
        assert sign_in(browser, typed).status_code == 302, typed
        assert browser.get("/").context["user"] == carla
    # (ſ is left out: the form applies NFKC, which makes it an s.)
    for typed in [name for name in NO_ACCOUNT if name.strip() and LONG_S not in name]:
        browser = Client()
        response = sign_in(browser, typed)
        assert response.status_code == 200, typed
        assert response.context["form"].errors
        assert not is_signed_in(browser)


def test_it_does_not_let_the_dotless_spelling_past_a_lock_out(client, carla):
    """The reproduction of the issue: locked out as reporter.caritas, in as reporter.carıtas."""
    assert fail(client, "reporter.caritas", 5)[-1] == 429
    assert sign_in(client, "reporter.caritas").status_code == 429

    response = sign_in(client, f"reporter.car{DOTLESS_I}tas")

    assert response.status_code != 302
    assert not is_signed_in(client)


@pytest.mark.parametrize("locked_as", ["REPORTER.CARITAS@EXAMPLE.ORG", "Reporter.Caritas"])
def test_it_holds_the_lock_out_of_one_spelling_for_every_spelling_that_signs_in(
    client, carla, locked_as
):
    assert fail(client, locked_as, 5)[-1] == 429

    for typed in SAME_ACCOUNT + [f"reporter.carita{LONG_S}"]:  # the form turns ſ into s
        assert sign_in(Client(), typed).status_code == 429, typed
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["reporter.caritas"]


def test_it_adds_up_the_failures_of_every_spelling(client, carla):
    statuses = [
        *fail(client, "REPORTER.CARITAS", 2),
        *fail(client, "reporter.caritas@example.org", 2),
        *fail(client, "Reporter.Caritas", 1),
    ]

    assert statuses == [200, 200, 200, 200, 429]
    assert sign_in(client, "reporter.caritas").status_code == 429


def test_it_locks_a_name_that_is_no_account_whatever_the_case_of_a_to_z(client, carla):
    assert fail(client, "nobody", 5)[-1] == 429

    assert fail(client, "NOBODY") == [429]
    assert AccessAttempt.objects.get().username == "nobody"
    assert sign_in(client, "reporter.caritas").status_code == 302


def test_it_unlocks_every_spelling_with_axes_reset_username_and_the_username(carla):
    fail(Client(), "REPORTER.CARITAS@EXAMPLE.ORG", 5)

    call_command("axes_reset_username", "reporter.caritas", stdout=io.StringIO())

    assert sign_in(Client(), "Reporter.Caritas@example.org").status_code == 302


def test_it_unlocks_every_spelling_when_the_password_is_reset(client, carla, mailoutbox):
    fail(client, "REPORTER.CARITAS", 5)
    client.post("/accounts/password_reset/", {"email": "Reporter.Caritas@Example.ORG"})
    link = re.search(r"http://testserver(/accounts/reset/[\w-]+/[\w-]+/)", mailoutbox[0].body)
    form_url = client.get(link.group(1)).url
    client.post(form_url, {"new_password1": "Lluvia-en-Tumbes-2024",
                           "new_password2": "Lluvia-en-Tumbes-2024"})

    assert sign_in(client, "reporter.caritas@example.org", "Lluvia-en-Tumbes-2024").status_code == 302
    assert not AccessAttempt.objects.exists()


def test_it_resets_the_attempts_of_the_account_when_it_signs_in(client, carla):
    fail(client, "REPORTER.CARITAS@example.org", 4)

    assert sign_in(client, "reporter.caritas").status_code == 302

    assert not AccessAttempt.objects.exists()


# --------------------------------------------------------------------------------------------
# One address, many accounts: password spraying (issue 11, item 3)
# --------------------------------------------------------------------------------------------

def spray(count: int, ip: str = MALLORY) -> list[int]:
    """One wrong password each for `count` different names, from one address."""
    return [fail(Client(), f"user{n}@example.org", ip=ip)[0] for n in range(count)]


def test_it_refuses_every_sign_in_from_an_address_that_sprays_passwords(alice, bob):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit == 30

    statuses = spray(limit)

    assert statuses == [200] * (limit - 1) + [429]
    for name in ("alice", "bob@example.org"):  # the right password, not tried before
        response = sign_in(Client(), name)
        assert response.status_code == 429
        assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_it_refuses_the_twelfth_name_with_a_limit_of_twelve(settings, alice):
    """The reproduction of the issue: twelve names, one wrong password each, never locked."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12

    assert spray(12)[-1] == 429
    assert sign_in(Client(), "alice").status_code == 429


def test_it_says_the_whole_connection_is_blocked_and_for_how_long(alice):
    spray(settings.LOGIN_ADDRESS_FAILURE_LIMIT)

    response = sign_in(Client(), "alice")

    text = " ".join(notice(response).split())
    assert "from your connection, whatever the account" in text
    assert "15 minutes" in text
    assert "ask the IM team" in response.content.decode()
    spanish = Client()
    spanish.cookies["django_language"] = "es"
    text = " ".join(notice(sign_in(spanish, "alice")).split())
    assert "desde su conexión, sea cual sea la cuenta" in text
    assert "15 minutos" in text


def test_it_tells_a_person_locked_by_name_only_that_a_reset_lifts_it(client, alice):
    fail(client, "alice", 5)

    response = sign_in(client, "alice")

    assert "with this name from this address" in notice(response)
    assert "/accounts/password_reset/" in response.content.decode()


def test_it_does_not_lock_an_office_out_for_one_person_who_keeps_trying(client, alice, bob):
    statuses = fail(client, "alice", settings.LOGIN_ADDRESS_FAILURE_LIMIT + 10)

    assert set(statuses[settings.AXES_FAILURE_LIMIT - 1:]) == {429}  # alice's own lock-out
    assert sign_in(Client(), "bob").status_code == 302


def test_it_counts_each_name_up_to_its_own_limit(alice):
    limit, per_name = settings.LOGIN_ADDRESS_FAILURE_LIMIT, settings.AXES_FAILURE_LIMIT
    for n in range(limit // per_name - 1):
        fail(Client(), f"user{n}", per_name + 3)
    # (limit // per_name - 1) names at their cap, and one name short of it: the limit less one.
    assert fail(Client(), "someone", limit % per_name + per_name - 1) == [200] * (
        limit % per_name + per_name - 1
    )

    assert fail(Client(), "someone.else") == [429]


def test_it_lets_the_same_accounts_in_from_another_address(alice):
    spray(settings.LOGIN_ADDRESS_FAILURE_LIMIT)

    browser = Client()
    assert sign_in(browser, "alice", ip="10.0.0.2").status_code == 302
    assert is_signed_in(browser)


def test_it_keeps_counting_the_others_when_one_account_signs_in(alice, bob):
    spray(settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1)

    assert sign_in(Client(), "alice").status_code == 302  # deletes alice's attempts only

    assert fail(Client(), "someone.else") == [429]
    assert sign_in(Client(), "bob").status_code == 429


def test_it_counts_the_address_in_the_database_for_every_app_server(alice):
    spray(settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1)

    AxesProxyHandler.get_implementation(force=True)  # a fresh process, as on another server
    assert fail(Client(), "one.more") == [429]
    assert AccessAttempt.objects.filter(ip_address=MALLORY).count() == (
        settings.LOGIN_ADDRESS_FAILURE_LIMIT
    )


def test_it_lifts_the_address_block_after_the_cool_off(alice):
    spray(settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    assert sign_in(Client(), "alice").status_code == 429

    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    assert sign_in(Client(), "alice").status_code == 302


def test_it_keeps_the_address_block_until_the_cool_off_has_passed(alice):
    spray(settings.LOGIN_ADDRESS_FAILURE_LIMIT)

    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    )

    assert sign_in(Client(), "alice").status_code == 429


def test_it_lifts_the_address_block_with_axes_reset_ip(alice):
    spray(settings.LOGIN_ADDRESS_FAILURE_LIMIT)

    call_command("axes_reset_ip", MALLORY, stdout=io.StringIO())

    assert sign_in(Client(), "alice").status_code == 302


def test_it_lets_a_training_room_exempt_from_the_address_limit_sign_in(settings, alice):
    settings.ADDRESS_LIMIT_EXEMPT = [ipaddress.ip_network("192.0.2.0/28")]

    assert set(spray(settings.LOGIN_ADDRESS_FAILURE_LIMIT + 10, ip=TRAINING_ROOM)) == {200}

    browser = Client()
    assert sign_in(browser, "alice", ip=TRAINING_ROOM).status_code == 302
    # The limit per account still holds there.
    assert fail(Client(), "bob", 5, ip=TRAINING_ROOM)[-1] == 429


def test_it_keeps_the_limit_per_account_below_the_address_limit(client, alice, bob):
    assert fail(client, "alice", 5) == [200, 200, 200, 200, 429]
    assert sign_in(client, "bob").status_code == 302


# --------------------------------------------------------------------------------------------
# Password-reset requests (issue 11, item 3)
# --------------------------------------------------------------------------------------------

def ask_reset(email: str, ip: str = MALLORY, language: str = "en"):
    browser = Client()
    browser.cookies["django_language"] = language
    return browser.post("/accounts/password_reset/", {"email": email}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("email", ["alice@example.org", "nobody@example.org"])
def test_it_sends_three_reset_links_for_an_address_and_refuses_the_fourth(
    alice, mailoutbox, email
):
    assert settings.PASSWORD_RESET_LIMIT == 3
    statuses = [ask_reset(email, ip=f"10.0.0.{n}").status_code for n in range(1, 5)]

    assert statuses == [302, 302, 302, 429]
    assert len(mailoutbox) == (3 if email.startswith("alice") else 0)


def test_it_refuses_known_and_unknown_addresses_alike(alice, mailoutbox):
    for email in ("alice@example.org", "nobody@example.org"):
        for _ in range(settings.PASSWORD_RESET_LIMIT):
            ask_reset(email)
    mailoutbox.clear()

    known, unknown = ask_reset("alice@example.org"), ask_reset("nobody@example.org")

    assert known.status_code == unknown.status_code == 429
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert without_csrf_token(known) == without_csrf_token(unknown)
    assert mailoutbox == []


def test_it_counts_the_resets_of_every_spelling_of_an_account(alice, mailoutbox):
    for email in ("alice@example.org", "ALICE@EXAMPLE.ORG", "Alice@Example.org"):
        assert ask_reset(email).status_code == 302

    assert ask_reset("alice@example.ORG", ip="10.0.0.2").status_code == 429
    assert len(mailoutbox) == 3


def test_it_refuses_resets_from_an_address_that_asks_for_many_accounts(alice, mailoutbox):
    limit = settings.PASSWORD_RESET_ADDRESS_LIMIT
    assert limit == 30
    statuses = [ask_reset(f"user{n}@example.org").status_code for n in range(limit)]

    response = ask_reset("alice@example.org")

    assert statuses == [302] * limit
    assert response.status_code == 429
    assert mailoutbox == []
    assert ask_reset("alice@example.org", ip="10.0.0.2").status_code == 302
    assert len(mailoutbox) == 1


def test_it_keeps_no_row_for_a_refused_reset(alice):
    for _ in range(settings.PASSWORD_RESET_LIMIT + 5):
        ask_reset("alice@example.org")

    assert PasswordResetRequest.objects.count() == settings.PASSWORD_RESET_LIMIT


def test_it_accepts_resets_again_after_the_cool_off(alice, mailoutbox):
    for _ in range(settings.PASSWORD_RESET_LIMIT):
        ask_reset("alice@example.org")
    PasswordResetRequest.objects.update(
        requested_at=F("requested_at") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    mailoutbox.clear()

    assert ask_reset("alice@example.org").status_code == 302
    assert len(mailoutbox) == 1
    assert PasswordResetRequest.objects.count() == 1  # the old ones are gone


def test_it_does_not_count_resets_per_address_for_a_training_room(settings, alice, mailoutbox):
    settings.ADDRESS_LIMIT_EXEMPT = [ipaddress.ip_network(TRAINING_ROOM)]

    statuses = [ask_reset(f"user{n}@example.org", ip=TRAINING_ROOM).status_code
                for n in range(settings.PASSWORD_RESET_ADDRESS_LIMIT + 5)]

    assert set(statuses) == {302}
    for _ in range(settings.PASSWORD_RESET_LIMIT):
        ask_reset("alice@example.org", ip=TRAINING_ROOM)
    assert ask_reset("alice@example.org", ip=TRAINING_ROOM).status_code == 429


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["no email was sent", "15 minutes"]), ("es", ["no se envió ningún correo", "15 minutos"])],
)
def test_it_explains_a_refused_reset_in_both_languages(alice, language, words):
    for _ in range(settings.PASSWORD_RESET_LIMIT):
        ask_reset("alice@example.org")

    response = ask_reset("alice@example.org", language=language)

    assert response.status_code == 429
    text = " ".join(notice(response).split())
    for word in words:
        assert word in text
    assert "alice" not in response.content.decode()


# --------------------------------------------------------------------------------------------
# The settings come from the environment
# --------------------------------------------------------------------------------------------

PRINT_LIMITS = """
import json
from django.conf import settings as s
print(json.dumps({
    "LOGIN_ADDRESS_FAILURE_LIMIT": s.LOGIN_ADDRESS_FAILURE_LIMIT,
    "PASSWORD_RESET_LIMIT": s.PASSWORD_RESET_LIMIT,
    "PASSWORD_RESET_ADDRESS_LIMIT": s.PASSWORD_RESET_ADDRESS_LIMIT,
    "ADDRESS_LIMIT_EXEMPT": [str(n) for n in s.ADDRESS_LIMIT_EXEMPT],
    "PASSWORD_MIN_LENGTH": s.PASSWORD_MIN_LENGTH,
}))
"""


def read_settings(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT_LIMITS],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DEBUG": "1", **env},
    )


def test_it_reads_the_limits_from_the_environment():
    result = read_settings(
        LOGIN_ADDRESS_FAILURE_LIMIT="200", PASSWORD_RESET_LIMIT="5",
        PASSWORD_RESET_ADDRESS_LIMIT="100", PASSWORD_MIN_LENGTH="12",
        ADDRESS_LIMIT_EXEMPT="192.0.2.10, 198.51.100.0/24",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "LOGIN_ADDRESS_FAILURE_LIMIT": 200,
        "PASSWORD_RESET_LIMIT": 5,
        "PASSWORD_RESET_ADDRESS_LIMIT": 100,
        "ADDRESS_LIMIT_EXEMPT": ["192.0.2.10/32", "198.51.100.0/24"],
        "PASSWORD_MIN_LENGTH": 12,
    }


def test_it_refuses_to_start_with_a_mistyped_exempt_address():
    result = read_settings(ADDRESS_LIMIT_EXEMPT="192.0.2.300")

    assert result.returncode != 0
    assert "ADDRESS_LIMIT_EXEMPT" in result.stderr
