"""Personas and fixtures shared by the tests.

The reference data of seeds/ is loaded once per test session; each test runs in a transaction
that is rolled back. The personas:

- alice: reporter at HIAS (organisation A), who owns `report` (HIAS · Protection · Sept 2023)
- fiona: focal point at HIAS
- bob: reporter at Cáritas del Perú (organisation B)
- paula: coordinator of Protection, who reviews `report`
- carl: coordinator of Health, another sector
- ivan: IM officer
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import translation

from partners.models import Organisation, Role
from reporting.models import ReportingPeriod, Sector

from .factories import LineFactory, ReportFactory, UserFactory


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After every test that used the database, and before its transaction is rolled back,
    check that the totals the triggers keep still equal the approved lines: every test of the
    suite, whatever path it changed data by, doubles as a test of reporting/numbers/totals.py."""
    problem = None
    if item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
            getattr(item, "fixturenames", ())):
        try:
            _check_totals(item)
        except AssertionError as error:  # reported once the fixtures are torn down
            problem = error
    result = yield
    if problem is not None:
        raise problem
    return result


def _check_totals(item) -> None:
    from django.db import DatabaseError

    from reporting.numbers import totals

    # Only where the test's database was set up (not for a test skipped before its fixtures).
    if not {"_django_db_helper", "db", "transactional_db"} & set(getattr(item, "funcargs", {})):
        return
    try:
        differences = totals.differences()
    except DatabaseError:  # the test left its transaction aborted; it has failed already
        return
    assert not differences, f"CountedTotal differs from the approved lines: {differences}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_seeds", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def test_settings(settings):
    # Requests without a language preference are answered in English, so tests can compare
    # messages; the Spanish pages are tested by asking for Spanish.
    settings.LANGUAGE_CODE = "en"
    # PBKDF2 at production strength costs a third of a second per user created.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client speaks plain HTTP; production redirects that to HTTPS (tested on its own).
    settings.SECURE_SSL_REDIRECT = False
    # Pages render without `collectstatic` having built the production manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def english():
    """Compare messages in English; tests of Spanish pages ask for Spanish explicitly."""
    with translation.override("en"):
        yield


@pytest.fixture
def org_a(db):
    return Organisation.objects.get(acronym="HIAS")


@pytest.fixture
def org_b(db):
    return Organisation.objects.get(acronym="CARITAS")


@pytest.fixture
def protection(db):
    return Sector.objects.get(code="PRO")


@pytest.fixture
def health(db):
    return Sector.objects.get(code="HEA")


@pytest.fixture
def period(db):
    return ReportingPeriod.objects.create(
        month=dt.date(2023, 9, 1), deadline=dt.date(2023, 10, 10), lock_date=dt.date(2023, 10, 25)
    )


@pytest.fixture
def alice(org_a):
    return UserFactory(username="alice", organisation=org_a, role=Role.REPORTER)


@pytest.fixture
def fiona(org_a):
    return UserFactory(username="fiona", organisation=org_a, role=Role.FOCAL_POINT)


@pytest.fixture
def bob(org_b):
    return UserFactory(username="bob", organisation=org_b, role=Role.REPORTER)


@pytest.fixture
def paula(protection):
    user = UserFactory(
        username="paula", organisation=Organisation.objects.get(acronym="ACNUR"),
        role=Role.COORDINATOR,
    )
    user.sectors.add(protection)
    return user


@pytest.fixture
def carl(health):
    user = UserFactory(
        username="carl", organisation=Organisation.objects.get(acronym="OPS/OMS"),
        role=Role.COORDINATOR,
    )
    user.sectors.add(health)
    return user


@pytest.fixture
def ivan(db):
    return UserFactory(
        username="ivan", organisation=Organisation.objects.get(acronym="GTRM"),
        role=Role.IM_OFFICER,
    )


@pytest.fixture
def report(org_a, protection, period, alice):
    return ReportFactory(organisation=org_a, sector=protection, period=period, created_by=alice)


@pytest.fixture
def line(report, alice):
    return LineFactory(report=report, created_by=alice)
