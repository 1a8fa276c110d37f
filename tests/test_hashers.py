"""Passwords are stored with Argon2id at the strength of the ARGON2_* settings, and a hash of
another kind (PBKDF2, from before) is replaced at the person's next sign-in; gunicorn.conf.py
starts the sync workers the load test chose (issue 16)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    check_password,
    identify_hasher,
    make_password,
)

REAL_HASHERS = [
    "partners.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
PASSWORD = "largo-y-poco-comun-2023"


@pytest.fixture(autouse=True)
def real_hashers(settings):
    # conftest swaps in MD5 so that creating users costs nothing; these tests are about the
    # production list.
    settings.PASSWORD_HASHERS = REAL_HASHERS


def sign_in(client, username: str) -> int:
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code


def test_a_new_password_is_stored_with_argon2id_at_the_configured_strength():
    encoded = make_password(PASSWORD)

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password(PASSWORD, encoded)


def test_the_strength_follows_the_settings(settings):
    settings.ARGON2_MEMORY_KIB, settings.ARGON2_TIME_COST = 12 * 1024, 3

    assert make_password(PASSWORD).startswith("argon2$argon2id$v=19$m=12288,t=3,p=1$")


@pytest.mark.parametrize("old_hasher", ["pbkdf2_sha256", "pbkdf2_sha1"])
def test_a_pbkdf2_hash_is_replaced_at_the_next_sign_in(client, alice, old_hasher):
    alice.password = make_password(PASSWORD, hasher=old_hasher)
    alice.save(update_fields=["password"])

    assert sign_in(client, "alice") == 302

    alice.refresh_from_db()
    assert identify_hasher(alice.password).algorithm == "argon2"
    assert "m=19456,t=2,p=1" in alice.password
    client.logout()
    assert sign_in(client, "alice") == 302  # and the new hash signs in


def test_an_argon2_hash_of_another_strength_is_brought_to_the_settings_one(client, alice):
    django_default = Argon2PasswordHasher()  # 100 MiB, 8 lanes
    alice.password = django_default.encode(PASSWORD, django_default.salt())
    alice.save(update_fields=["password"])
    assert "m=102400,t=2,p=8" in alice.password

    assert sign_in(client, "alice") == 302

    alice.refresh_from_db()
    assert "m=19456,t=2,p=1" in alice.password


def test_a_wrong_password_leaves_the_old_hash_alone(client, alice):
    old = make_password(PASSWORD, hasher="pbkdf2_sha256")
    alice.password = old
    alice.save(update_fields=["password"])

    client.post("/accounts/login/", {"username": "alice", "password": "not-the-password-1"})

    alice.refresh_from_db()
    assert alice.password == old


def _gunicorn_settings(monkeypatch, **environ):
    import runpy
    from pathlib import Path

    for name in ("WEB_WORKERS", "WEB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))


def test_gunicorn_defaults_to_sync_workers_two_per_core_plus_one(monkeypatch):
    import multiprocessing

    settings = _gunicorn_settings(monkeypatch)
    assert settings["worker_class"] == "sync"
    assert settings["threads"] == 1
    assert settings["workers"] == 2 * multiprocessing.cpu_count() + 1


def test_gunicorn_threads_from_the_environment_switch_to_gthread(monkeypatch):
    settings = _gunicorn_settings(monkeypatch, WEB_WORKERS="3", WEB_THREADS="4")
    assert (settings["workers"], settings["worker_class"], settings["threads"]) == (3, "gthread", 4)
