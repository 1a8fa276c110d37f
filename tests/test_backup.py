"""Backups restore what was saved: every table, and the figures computed from it.

The two procedures of the README are tested as an operator runs them:

- `dumpdata` → a new, empty database → `loaddata` → `rebuild_totals` (any database; the way to
  back up a SQLite install or move it to PostgreSQL). The restored database is dumped again and
  the two dumps must be equal, every table must hold the same rows, and the month's figures
  must be the same.
- on PostgreSQL, `pg_dump -Fc` → `pg_restore` into a new database: every table must have the
  same number of rows and the same checksum, every sequence the same position, and the
  triggers, constraints and indexes must all be there.

Both start from a representative dataset built by the code paths people use: the seeds; the
demo's September 2023 and a slice of its July and August (reports in every status with their
review history, a locked month, a reopened report, key figures, narratives, a published
situation report); lines added, changed and deleted by hand (the audit trail), an uploaded and
confirmed file and one waiting for confirmation; reminders sent; a group with permissions; an
admin log entry; a failed sign-in.
Tables are found through Django's model registry and PostgreSQL's catalogue, so a table added
later is compared without anyone listing it here.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from partners.models import HeldInvitation, User
from partners.services import next_account_id
from reporting import services, workflow
from reporting.models import (
    EDITABLE_STATUSES,
    ActivityLine,
    ImportBatch,
    ImportStatus,
    Indicator,
    Location,
    MonthlyReport,
    ReportingPeriod,
    ReportStatus,
    Sector,
)
from reporting.numbers.aggregation import month_figures
from reporting.sheets.columns import COLUMNS, HEADERS

SEPTEMBER = dt.date(2023, 9, 1)

# What `dumpdata` leaves out, and why (the README gives the same command):
EXCLUDED = [
    # Rebuilt by `migrate` in the new database, with ids of its own; the rows that point to
    # them (admin log, group and user permissions) are written with natural keys instead
    # (--natural-foreign), so they find them whatever their ids.
    "contenttypes",
    "auth.permission",
    # Who is signed in: after a restore people sign in again.
    "sessions",
    # Derived data: database triggers keep it equal to the approved lines and fill it in again
    # as `loaddata` inserts the lines (`rebuild_totals` then recomputes it from scratch). Loaded
    # from the dump as well it would collide with what the triggers wrote ("duplicate key").
    "reporting.countedtotal",
]
DERIVED = {"reporting.CountedTotal"}
DUMPDATA = {"natural_foreign": True, "use_base_manager": True, "exclude": EXCLUDED, "indent": 1}

# The dataset must exercise every table of the project's own apps, and these.
ALSO_COVERED = {"auth.Group", "auth.Group_permissions", "admin.LogEntry",
                "partners.User_groups", "partners.User_user_permissions"}


# The dataset ---------------------------------------------------------------------------------


def table_bytes(*rows: dict) -> bytes:
    lines = [",".join(HEADERS)]
    for values in rows:
        lines.append(",".join(str(values.get(column.field, "")) for column in COLUMNS))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def dataset(transactional_db):
    """Build the representative dataset (committed: the backups read it from outside)."""
    if not Sector.objects.exists():
        call_command("load_seeds", stdout=io.StringIO())
    call_command("demo_data", stdout=io.StringIO())
    # A slice of July and August is enough next to the whole of September, and keeps the
    # backup of the test quick (their periods, July's lock and their figures stay).
    for month in (dt.date(2023, 7, 1), dt.date(2023, 8, 1)):
        reports = MonthlyReport.objects.filter(period__month=month)
        reports.exclude(pk__in=list(reports.order_by("pk").values_list("pk", flat=True)[:25])
                        ).delete()
    reporter = User.objects.get(username="reporter.hias")
    im = User.objects.get(username="im")
    september = ReportingPeriod.objects.get(month=SEPTEMBER)

    # An upload confirmed (its lines and audit entry), and one left waiting for confirmation.
    report = services.start_report(organisation_id=reporter.organisation_id,
                                   sector=Sector.objects.get(code="PRO"), period=september,
                                   by=reporter)
    assert report.status in EDITABLE_STATUSES
    row = {
        "month": "2023-09", "organisation": "HIAS", "sector": "PRO", "indicator": "PRO-01",
        "department": "15", "population_type": "destination", "modality": "service",
        "girls": 10, "boys": 12, "women": 30, "men": 25, "other_adults": 3,
        "new_beneficiaries": 80, "total_monthly": 100, "description": "Orientación legal “CPP”",
    }
    browser = Client()
    browser.force_login(reporter)
    for name in ("julio.csv", "septiembre.csv"):
        data = table_bytes(row, {**row, "department": "13", "indicator": "PRO-05",
                               "modality": "cash", "cash_usd": "50.5",
                               "delivery_mechanism": "mobile_money"})
        assert browser.post("/imports/", {"file": SimpleUploadedFile(name, data)}).status_code == 302
    first = ImportBatch.objects.order_by("pk").first()
    assert browser.post(f"/imports/{first.pk}/confirm/").status_code == 302
    assert ImportBatch.objects.filter(status=ImportStatus.APPLIED).count() == 1

    # Lines added, changed and deleted by hand: the audit trail's three kinds of entry.
    indicator = Indicator.objects.get(code="PRO-02")
    lima = Location.objects.get(code="15")
    line = services.save_line(line=ActivityLine(
        report=report, indicator=indicator, department=lima, location=lima,
        population_type="transit", modality="service", girls=1, boys=2, women=3, men=4, other_adults=0,
        new_beneficiaries=10, total_monthly=12, description="Añadida a mano",
    ), by=reporter)
    line.total_monthly = 15
    services.save_line(line=line, by=reporter)
    services.delete_line(line=line, by=reporter)

    # An approved report of August reopened by the IM team, with its reason.
    august = MonthlyReport.objects.filter(period__month=dt.date(2023, 8, 1),
                                          status=ReportStatus.APPROVED).order_by("pk").first()
    workflow.reopen_report(report=august, by=im, reason="Línea duplicada en Tumbes")

    # The funding of September from FTS (its CSV download, as an offline server reads it),
    # with its rows by sector.
    fts = Path(__file__).parent / "fixtures" / "fts"
    call_command("fetch_funding", "2023", "--month", "2023-09",
                 "--file", str(fts / "fts_requirements_funding_per.csv"),
                 "--file", str(fts / "fts_requirements_funding_cluster_per.csv"),
                 stdout=io.StringIO())

    # An API token of the IM team (only its hash is stored).
    from partners.tokens import create_api_token
    create_api_token(user=im, name="Power BI")

    # Reminders, as the daily cron job sends them after the deadline.
    call_command("send_reminders", "--date", "2023-10-17", "--period", "2023-09",
                 stdout=io.StringIO())

    # Permissions given through a group and directly, and the admin's log of a change.
    readers = Group.objects.create(name="Lectores del informe")
    readers.permissions.add(Permission.objects.get(codename="view_monthlyreport"))
    reporter.groups.add(readers)
    reporter.user_permissions.add(Permission.objects.get(codename="view_sitrepedition"))
    LogEntry.objects.create(
        # Microseconds below a millisecond: what the JSON of `dumpdata` cannot keep.
        action_time=dt.datetime(2023, 10, 2, 15, 4, 5, 456, tzinfo=dt.UTC),
        user=im, content_type=ContentType.objects.get_for_model(Sector),
        object_id=str(Sector.objects.get(code="PRO").pk), object_repr="Protección",
        action_flag=CHANGE, change_message='[{"changed": {"fields": ["Name (English)"]}}]',
    )
    # A failed sign-in, kept by the lockout.
    Client().post("/accounts/login/", {"username": "reporter.hias", "password": "wrong"})
    # A password-reset request, kept for the reset limits.
    Client().post("/accounts/password_reset/", {"email": "nadie@example.org"})

    # An invitation held for the IM team: HIAS invited the address of Cáritas's reporter.
    focal = Client()
    focal.force_login(User.objects.get(username="focal.hias"))
    caritas = User.objects.get(username="reporter.caritas")
    assert focal.post("/team/", {"email": caritas.email, "first_name": "José",
                                 "last_name": "Quispe"}).status_code == 302

    empty = [
        model._meta.label for model in apps.get_models(include_auto_created=True)
        if (model._meta.app_label in ("partners", "reporting") or model._meta.label in ALSO_COVERED)
        and not model._base_manager.exists()
    ]
    assert empty == [], f"the dataset leaves these tables empty: {empty}"
    assert set(MonthlyReport.objects.values_list("status", flat=True)) == set(ReportStatus.values)


# Comparing -----------------------------------------------------------------------------------


def millisecond(value):
    """Django's JSON serialiser writes times to the millisecond: compare them so."""
    if isinstance(value, dt.datetime | dt.time):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


# Recreated by `migrate` rather than restored: compared, and referred to, by natural key.
BY_NATURAL_KEY = (ContentType, Permission)


def as_restored(dump: str) -> str:
    """Return `dump` with its times written as they read once restored: a time whose
    microseconds are below 1,000 is written "…:54.000Z", and after the restore (the
    microseconds gone) "…:54Z"."""
    return re.sub(r'(T\d\d:\d\d:\d\d)\.000(Z|[+-]\d\d:\d\d)"', r'\1\2"', dump)


def contents() -> dict[str, list[tuple]]:
    """Every row of every table Django knows (many-to-many tables included), sessions aside.

    Content types and permissions get new ids in the new database (`migrate` creates them in
    its own order), so they, and every reference to them, are compared by natural key. A
    derived table is compared without its ids, which the triggers assign as they go, and so
    are the many-to-many tables: `dumpdata` keeps the pairs, not the ids of the rows joining
    them."""
    natural = {
        model: {obj.pk: obj.natural_key() for obj in model._base_manager.all()}
        for model in BY_NATURAL_KEY
    }
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if label == "sessions.Session" or not model._meta.managed:
            continue
        if model in natural:
            tables[label] = sorted(natural[model].values())
            continue
        fields = model._meta.concrete_fields
        rows = []
        for row in model._base_manager.order_by("pk").values_list(*[f.attname for f in fields]):
            rows.append(tuple(
                natural[field.related_model][value] if field.related_model in natural
                else millisecond(value)
                for field, value in zip(fields, row, strict=True)
            ))
        without_ids = label in DERIVED or model._meta.auto_created
        tables[label] = sorted(row[1:] for row in rows) if without_ids else rows
    return tables


def figures() -> dict:
    """The figures of every month, from the counted totals and from the lines themselves."""
    months = ReportingPeriod.objects.order_by("month").values_list("month", flat=True)
    return {
        (month, source): month_figures(month, lines=lines)
        for month in months
        for source, lines in (("totals", None), ("lines", ActivityLine.objects.all()))
    }


# dumpdata and loaddata (any database) ----------------------------------------------------------


def test_dumpdata_and_loaddata_restore_every_table(dataset, tmp_path):
    backup, again = tmp_path / "gtrm-backup.json", tmp_path / "gtrm-restored.json"
    call_command("dumpdata", output=str(backup), stdout=io.StringIO(), **DUMPDATA)
    tables, numbers = contents(), figures()
    assert numbers[(SEPTEMBER, "totals")].people_assisted_month == 25_290

    # A new database: `flush` empties every table and, like `migrate` on a new database,
    # creates the content types and permissions again.
    call_command("flush", interactive=False, stdout=io.StringIO())
    assert not MonthlyReport.objects.exists() and not User.objects.exists()
    call_command("loaddata", str(backup), stdout=io.StringIO())
    call_command("rebuild_totals", stdout=io.StringIO())
    call_command("rebuild_totals", "--check", stdout=io.StringIO())

    call_command("dumpdata", output=str(again), stdout=io.StringIO(), **DUMPDATA)
    assert as_restored(again.read_text()) == as_restored(backup.read_text())
    restored = contents()
    assert restored.keys() == tables.keys()
    for label in tables:
        assert restored[label] == tables[label], f"{label} differs after the restore"
    assert figures() == numbers

    # People sign in to the restored database with the passwords they had.
    response = Client().post("/accounts/login/", {"username": "reporter.hias", "password": "demo"})
    assert response.status_code == 302
    # `loaddata` set the accounts' sequence back below the held invitation: a new account
    # still gets a number of its own.
    held = HeldInvitation.objects.get()
    assert next_account_id() > max(held.pk, *User.objects.values_list("pk", flat=True))


# pg_dump and pg_restore (PostgreSQL) ---------------------------------------------------------


def _libpq(settings: dict, name: str) -> dict:
    return {
        "dbname": name, "user": settings["USER"] or None, "password": settings["PASSWORD"] or None,
        "host": settings["HOST"] or None, "port": settings["PORT"] or None,
    }


def _command_line(settings: dict) -> tuple[list[str], dict]:
    options = []
    if settings["HOST"]:
        options += ["--host", settings["HOST"]]
    if settings["PORT"]:
        options += ["--port", str(settings["PORT"])]
    if settings["USER"]:
        options += ["--username", settings["USER"]]
    environment = dict(os.environ)
    if settings["PASSWORD"]:
        environment["PGPASSWORD"] = settings["PASSWORD"]
    return options, environment


def catalogue(parameters: dict) -> dict:
    """Count and checksum every table of the database, the position of every sequence, and
    the names of its triggers, constraints and indexes."""
    found = {}
    with psycopg.connect(**parameters) as database, database.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        )
        for schema, table in cursor.fetchall():
            cursor.execute(
                f'SELECT count(*), md5(coalesce(string_agg(t::text, E\'\\n\' '
                f'ORDER BY t::text COLLATE "C"), \'\')) FROM "{schema}"."{table}" t'
            )
            found[f"table {schema}.{table}"] = cursor.fetchone()
        cursor.execute(
            "SELECT schemaname, sequencename, last_value FROM pg_sequences "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        for schema, sequence, last_value in cursor.fetchall():
            found[f"sequence {schema}.{sequence}"] = last_value
        cursor.execute(
            "SELECT tgrelid::regclass::text || ' ' || tgname FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY 1"
        )
        found["triggers"] = [name for (name,) in cursor.fetchall()]
        # By name and kind: PostgreSQL may print a restored CHECK's expression differently.
        cursor.execute(
            "SELECT conrelid::regclass::text || ' ' || conname || ' ' || contype::text "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1"
        )
        found["constraints"] = [name for (name,) in cursor.fetchall()]
        cursor.execute(
            "SELECT tablename || ' ' || indexname FROM pg_indexes WHERE schemaname = 'public' "
            "ORDER BY 1"
        )
        found["indexes"] = [name for (name,) in cursor.fetchall()]
    return found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is PostgreSQL's")
@pytest.mark.skipif(not shutil.which("pg_dump") or not shutil.which("pg_restore"),
                    reason="pg_dump and pg_restore are not installed")
def test_pg_dump_and_pg_restore_restore_every_table(dataset, tmp_path):
    settings = connection.settings_dict
    source = settings["NAME"]
    target = f"{source}_restored"[:63]
    options, environment = _command_line(settings)
    backup = tmp_path / "gtrm.dump"

    subprocess.run(["pg_dump", *options, "--format=custom", "--file", str(backup), source],
                   check=True, env=environment, capture_output=True)
    with psycopg.connect(**_libpq(settings, "postgres"), autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{target}"')
        server.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(
            ["pg_restore", *options, "--no-owner", "--exit-on-error", "--dbname", target,
             str(backup)],
            check=True, env=environment, capture_output=True,
        )
        original, restored = catalogue(_libpq(settings, source)), catalogue(_libpq(settings, target))
    finally:
        with psycopg.connect(**_libpq(settings, "postgres"), autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')

    tables = [key for key in original if key.startswith("table ")]
    assert "table public.reporting_activityline" in tables
    assert original["table public.reporting_activityline"][0] > 500
    assert restored.keys() == original.keys()
    for key in original:
        assert restored[key] == original[key], f"{key} differs after the restore"
