#!/usr/bin/env python
"""Prepare a database for the deadline-peak load test (issue 5). Idempotent.

Run after `migrate`, `load_seeds` and `demo_data`, with the same settings as the server:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gtrm_load SECRET_KEY=… \
        .venv/bin/python tests/load/prepare.py --manifest tests/load/results/manifest.json

It creates, when missing:

- the reporting period of the current month (open; deadline the 10th of the next month), which
  `ReportingPeriod.objects.current()` then offers on everyone's home page, and the previous
  month's (open too);
- three accounts per partner organisation (110): `load.<acronym>.1` and `.2` (reporters) and
  `.3` (focal point), password LOAD_PASSWORD (`--password`);
- four coordinators per top-level sector (`load.coord.<code>.<n>`, in a lead organisation);
- `--room` reporters (`load.room.<n>`, 100 by default) spread over the partner organisations:
  the people of a training room who all sign in at once (tests/load/burst.py, issue 16);
- for each partner account a draft report of the current month in its first sector, opened
  with `reporting.services.start_report` (the same call as the "Start report" button). Each of
  an organisation's three accounts has its own sectors (its organisation's sectors first, then
  the others), so two simulated people never edit the same report;

and writes the manifest the locustfile reads (accounts, their sectors and reports, the
people-counting indicators of each sector, the departments, the published editions).

Accounts are plain model instances checked with `full_clean()`, as `reporting/demo/builder.py` makes
its accounts: `partners.services.invite_reporter` sends an invitation email and leaves the
password unusable, which is the right thing for people and the wrong one for a load test. The
password is hashed once (with the preferred hasher, or `--hasher`) and the same hash is given
to every account.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtrm.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    check_password,
    get_hasher,
    identify_hasher,
    make_password,
)
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from partners.models import Organisation, Role, User  # noqa: E402
from reporting import services, workflow  # noqa: E402
from reporting.models import (  # noqa: E402
    ActivityLine,
    Indicator,
    Location,
    MonthlyReport,
    PeriodStatus,
    ReportingPeriod,
    Sector,
    SitrepEdition,
)

ACCOUNTS_PER_ORGANISATION = 3  # two reporters and a focal point
COORDINATORS_PER_SECTOR = 4
SLOTS_PER_ACCOUNT = 3  # sectors an account may report in during the test, one at a time
DEFAULT_PASSWORD = "load-test-pw-2025"


def open_period(month: dt.date) -> tuple[ReportingPeriod, bool]:
    following = (month + dt.timedelta(days=32)).replace(day=1)
    period = ReportingPeriod.objects.filter(month=month).first()
    if period is not None:
        return period, False
    period = ReportingPeriod(
        month=month, deadline=following.replace(day=10), lock_date=following.replace(day=25)
    )
    period.full_clean()
    period.save()
    return period, True


def account(username: str, *, organisation: Organisation, role: str, password_hash: str,
            password: str, first_name: str, last_name: str) -> tuple[User, bool]:
    user = User.objects.filter(username=username).first()
    if user is not None:
        if not user.is_active or user.password != password_hash:
            User.objects.filter(pk=user.pk).update(is_active=True, password=password_hash)
            user.refresh_from_db()
        return user, False
    user = User(
        username=username, email=f"{username}@load.example.org", organisation=organisation,
        role=role, first_name=first_name, last_name=last_name[:150], password=password_hash,
    )
    user.full_clean()  # also sets is_staff from the role (coordinators use the admin)
    user.save()
    return user, True


def submitted_backlog(user: User, sector: Sector, period: ReportingPeriod, departments) -> int:
    """Last month's report of `sector` with two lines, submitted; 1 if it was made now."""
    if MonthlyReport.objects.filter(organisation_id=user.organisation_id, sector=sector,
                                    period=period).exists():
        return 0
    report = services.start_report(organisation_id=user.organisation_id, sector=sector,
                                   period=period, by=user)
    indicators = list(Indicator.objects.for_sector(sector).filter(active=True, type="direct")
                      .order_by("code")[:2])
    for n, indicator in enumerate(indicators):
        department = departments[(user.pk + 7 * n) % len(departments)]
        girls, boys, women, men = 3 + n, 4, 10 + n, 8
        services.save_line(line=ActivityLine(
            report=report, indicator=indicator, department=department, location=department,
            population_type="destination", modality="service", girls=girls, boys=boys,
            women=women, men=men, other_adults=0, new_beneficiaries=girls + boys + women + men,
            total_monthly=girls + boys + women + men + 5,
        ), by=user)
    workflow.submit_report(report=report, by=user)
    return 1


def shared_hash(password: str, hasher: str = "default") -> str:
    """Return the hash the load accounts share: the existing one if it still matches the
    password and is of the wanted hasher (the preferred one, or `hasher`) at its current
    strength, else a new one. A run with `--hasher pbkdf2_sha256` gives every account the old
    kind of hash, so that their first sign-ins upgrade it, as after a change of hasher."""
    sample = User.objects.filter(username__startswith="load.").order_by("pk").first()
    wanted = get_hasher(hasher)
    if sample is not None and check_password(password, sample.password):
        current = identify_hasher(sample.password)
        if current.algorithm == wanted.algorithm and not current.must_update(sample.password):
            return sample.password
    return make_password(password, hasher=hasher)


def sector_order(org: Organisation, top_level: list[Sector]) -> list[Sector]:
    """The organisation's own (top-level) sectors first, then the others, in display order."""
    own = {sector.parent_id or sector.pk for sector in org.sectors.all()}
    return ([s for s in top_level if s.pk in own] + [s for s in top_level if s.pk not in own])


@transaction.atomic
def prepare(password: str, room_size: int = 100, hasher: str = "default") -> dict:
    if not Sector.objects.exists() or not User.objects.filter(username="im").exists():
        raise SystemExit("Run migrate, load_seeds and demo_data first.")
    created = {"accounts": 0, "coordinators": 0, "reports": 0, "periods": 0, "backlog": 0}
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    period, new_period = open_period(this_month)
    backlog_period, new_backlog_period = open_period(last_month)
    created["periods"] += new_period + new_backlog_period
    for p in (period, backlog_period):
        if p.status != PeriodStatus.OPEN:
            raise SystemExit(f"{p} is locked: unlock it in the admin before a load test.")
    departments = list(Location.objects.departments().order_by("code"))
    password_hash = shared_hash(password, hasher)

    top_level = list(Sector.objects.top_level().filter(active=True).order_by("order", "code"))
    reporters = []
    organisations = Organisation.objects.partners().prefetch_related("sectors").order_by("acronym")
    for org in organisations:
        sectors = sector_order(org, top_level)
        slug = slugify(org.acronym.replace("/", "-"))
        for n in range(1, ACCOUNTS_PER_ORGANISATION + 1):
            role = Role.FOCAL_POINT if n == ACCOUNTS_PER_ORGANISATION else Role.REPORTER
            user, new = account(
                f"load.{slug}.{n}", organisation=org, role=role, password_hash=password_hash,
                password=password, first_name=f"Carga {n}", last_name=org.short_name,
            )
            created["accounts"] += new
            slots = sectors[n - 1::ACCOUNTS_PER_ORGANISATION][:SLOTS_PER_ACCOUNT]
            existing = {
                r.sector_id: r for r in MonthlyReport.objects.filter(
                    organisation=org, period=period, sector__in=slots)
            }
            if slots and slots[0].pk not in existing:
                existing[slots[0].pk] = services.start_report(
                    organisation_id=org.pk, sector=slots[0], period=period, by=user)
                created["reports"] += 1
            if slots:
                created["backlog"] += submitted_backlog(user, slots[0], backlog_period, departments)
            reporters.append({
                "username": user.username,
                "organisation": org.acronym,
                "role": role,
                "slots": [
                    {"sector_pk": s.pk, "sector": s.code,
                     "report_pk": existing[s.pk].pk if s.pk in existing else None,
                     "status": existing[s.pk].status if s.pk in existing else None}
                    for s in slots
                ],
            })

    room = []
    partners = list(organisations)
    for n in range(1, room_size + 1):
        user, new = account(
            f"load.room.{n:03d}", organisation=partners[n % len(partners)], role=Role.REPORTER,
            password_hash=password_hash, password=password, first_name=f"Taller {n}",
            last_name="Participante",
        )
        created["accounts"] += new
        room.append(user.username)

    coordinators = []
    gtrm = Organisation.objects.filter(is_partner=False).order_by("pk").first()
    for sector in top_level:
        lead = sector.lead_organisations.order_by("pk").first() or gtrm
        for n in range(1, COORDINATORS_PER_SECTOR + 1):
            user, new = account(
                f"load.coord.{sector.code.lower()}.{n}", organisation=lead, role=Role.COORDINATOR,
                password_hash=password_hash, password=password, first_name=f"Coordinación {n}",
                last_name=sector.name_es,
            )
            if new:
                user.sectors.set([sector])
            created["coordinators"] += new
            coordinators.append({"username": user.username, "sector": sector.code})

    indicators = {
        str(sector.pk): [
            [i.pk, i.code] for i in Indicator.objects.for_sector(sector)
            .filter(active=True, type="direct").order_by("sector__order", "code")
        ]
        for sector in top_level
    }
    editions = [
        [e.period.code, e.number]
        for e in SitrepEdition.objects.select_related("period").order_by("-period__month", "-number")
    ]
    return {
        "created": created,
        "manifest": {
            "password": password,
            "period": {"pk": period.pk, "code": period.code},
            "backlog_period": {"pk": backlog_period.pk, "code": backlog_period.code},
            "reporters": reporters,
            "coordinators": coordinators,
            "room": room,
            "indicators": indicators,
            "sectors": {str(s.pk): s.code for s in top_level},
            "departments": list(Location.objects.departments().values_list("code", flat=True)),
            "editions": editions,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", default=str(Path(__file__).parent / "results" / "manifest.json"))
    parser.add_argument("--password", default=os.environ.get("LOAD_PASSWORD", DEFAULT_PASSWORD))
    parser.add_argument("--room", type=int, default=100,
                        help="Accounts of a training room signing in at once (burst.py)")
    parser.add_argument("--hasher", default="default",
                        help="Hash the passwords with this hasher (an algorithm of "
                             "PASSWORD_HASHERS, e.g. pbkdf2_sha256) instead of the preferred one")
    args = parser.parse_args()
    result = prepare(args.password, room_size=args.room, hasher=args.hasher)
    manifest = result["manifest"]
    path = Path(args.manifest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    created = ", ".join(f"{what}: {n}" for what, n in result["created"].items())
    print(f"Load-test data for {manifest['period']['code']}: created {created}; "
          f"{len(manifest['reporters'])} partner accounts, {len(manifest['coordinators'])} "
          f"coordinators; manifest {path}")


if __name__ == "__main__":
    main()
