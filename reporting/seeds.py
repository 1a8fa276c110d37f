"""Load the reference data of seeds/*.csv into the database, changing only what differs.

Each file is upserted by its natural key (acronym, code, ubigeo), so running the loader again
creates nothing and changes nothing unless a CSV changed. Rows are never deleted: reference data
that reports point to is deactivated in the admin instead.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from partners.models import Organisation

from .models import Indicator, Location, LocationLevel, Sector

SEED_FILES = ("organisations.csv", "sectors.csv", "indicators.csv", "locations.csv")


class SeedError(Exception):
    """A seed file is missing or has a row that cannot be loaded; str() names file and row."""


@dataclass
class SeedReport:
    counts: dict[str, Counter] = field(default_factory=dict)

    def count(self, name: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(name, Counter())[outcome] += n

    @property
    def changed(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.counts.values())

    def lines(self) -> list[str]:
        return [
            f"{name}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            for name, c in self.counts.items()
        ]


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    path = directory / name
    if not path.exists():
        raise SeedError(f"{path}: file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _yes(value: str) -> bool:
    return value.strip().lower() in {"yes", "true", "1", "sí", "si"}


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.split(";") if code.strip()]


def _apply(obj, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _set_m2m(manager, wanted_ids: set[int]) -> bool:
    current = set(manager.values_list("pk", flat=True))
    if current == wanted_ids:
        return False
    manager.set(wanted_ids)
    return True


@transaction.atomic
def load_seeds(directory: Path) -> SeedReport:
    """Load every seed file of `directory`; all or nothing."""
    report = SeedReport()
    org_rows = _rows(directory, "organisations.csv")
    sector_rows = _rows(directory, "sectors.csv")
    indicator_rows = _rows(directory, "indicators.csv")
    location_rows = _rows(directory, "locations.csv")

    organisations = _load_organisations(org_rows, report)
    sectors = _load_sectors(sector_rows, organisations, report)
    _link_organisation_sectors(org_rows, organisations, sectors, report)
    _load_indicators(indicator_rows, sectors, report)
    _load_locations(location_rows, report)
    return report


def _load_organisations(rows, report: SeedReport) -> dict[str, Organisation]:
    existing = {org.acronym: org for org in Organisation.objects.all()}
    for number, row in enumerate(rows, start=2):
        acronym = row["acronym"]
        if not acronym:
            raise SeedError(f"organisations.csv row {number}: acronym is empty")
        try:
            joined = dt.date.fromisoformat(row["joined_on"]) if row["joined_on"] else None
        except ValueError as error:
            raise SeedError(f"organisations.csv row {number}: joined_on: {error}") from error
        values = {
            "name": row["name"],
            "short_name": row["short_name"],
            "type": row["type"],
            "is_partner": _yes(row["is_partner"]),
            "rmrp_appealing": _yes(row["rmrp_appealing"]),
            "joined_on": joined,
        }
        org = existing.get(acronym)
        if org is None:
            org = Organisation(acronym=acronym, **values)
            _save(org, "organisations.csv", number)
            existing[acronym] = org
            report.count("organisations", "created")
        elif _apply(org, values):
            _save(org, "organisations.csv", number)
            report.count("organisations", "updated")
        else:
            report.count("organisations", "unchanged")
    return existing


def _save(obj, filename: str, number: int) -> None:
    try:
        obj.full_clean(validate_unique=True)
    except ValidationError as error:
        problems = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
        raise SeedError(f"{filename} row {number}: {problems}") from error
    obj.save()


def _load_sectors(rows, organisations, report: SeedReport) -> dict[str, Sector]:
    existing = {sector.code: sector for sector in Sector.objects.all()}
    # Parents first, so that a sub-sector can point at its sector.
    ordered = sorted(enumerate(rows, start=2), key=lambda item: bool(item[1]["parent"]))
    for number, row in ordered:
        parent = None
        if row["parent"]:
            parent = existing.get(row["parent"])
            if parent is None:
                raise SeedError(f"sectors.csv row {number}: parent {row['parent']} is unknown")
        values = {
            "name_es": row["name_es"],
            "name_en": row["name_en"],
            "parent": parent,
            "order": int(row["order"] or 0),
        }
        sector = existing.get(row["code"])
        created = sector is None
        if created:
            sector = Sector(code=row["code"], **values)
            changed = True
        else:
            changed = _apply(sector, values)
        if changed:
            _save(sector, "sectors.csv", number)
        existing[sector.code] = sector
        leads = set()
        for acronym in _codes(row["lead_organisations"]):
            if acronym not in organisations:
                raise SeedError(f"sectors.csv row {number}: lead organisation {acronym} is unknown")
            leads.add(organisations[acronym].pk)
        changed = _set_m2m(sector.lead_organisations, leads) or changed
        report.count("sectors", "created" if created else "updated" if changed else "unchanged")
    return existing


def _link_organisation_sectors(rows, organisations, sectors, report: SeedReport) -> None:
    for number, row in enumerate(rows, start=2):
        wanted = set()
        for code in _codes(row["sectors"]):
            if code not in sectors:
                raise SeedError(f"organisations.csv row {number}: sector {code} is unknown")
            wanted.add(sectors[code].pk)
        if _set_m2m(organisations[row["acronym"]].sectors, wanted):
            report.count("organisation sectors", "updated")
        else:
            report.count("organisation sectors", "unchanged")


def _load_indicators(rows, sectors, report: SeedReport) -> None:
    existing = {indicator.code: indicator for indicator in Indicator.objects.all()}
    for number, row in enumerate(rows, start=2):
        sector = sectors.get(row["sector"])
        if sector is None:
            raise SeedError(f"indicators.csv row {number}: sector {row['sector']} is unknown")
        values = {
            "sector": sector,
            "name_es": row["name_es"],
            "name_en": row["name_en"],
            "unit": row["unit"],
            "counts_people": _yes(row["counts_people"]),
        }
        indicator = existing.get(row["code"])
        if indicator is None:
            _save(Indicator(code=row["code"], **values), "indicators.csv", number)
            report.count("indicators", "created")
        elif _apply(indicator, values):
            _save(indicator, "indicators.csv", number)
            report.count("indicators", "updated")
        else:
            report.count("indicators", "unchanged")


def _load_locations(rows, report: SeedReport) -> None:
    """Upsert ~2,100 places level by level in bulk (a row at a time takes minutes)."""
    existing = {loc.code: loc for loc in Location.objects.all()}
    by_level: dict[str, list[tuple[int, dict]]] = {level: [] for level in LocationLevel.values}
    for number, row in enumerate(rows, start=2):
        if row["level"] not in by_level:
            raise SeedError(f"locations.csv row {number}: level {row['level']!r} is unknown")
        by_level[row["level"]].append((number, row))
    for level in (LocationLevel.DEPARTMENT, LocationLevel.PROVINCE, LocationLevel.DISTRICT):
        to_create, to_update = [], []
        for number, row in by_level[level]:
            expected_length = {"department": 2, "province": 4, "district": 6}[level]
            if len(row["code"]) != expected_length or not row["code"].isdigit():
                raise SeedError(
                    f"locations.csv row {number}: code {row['code']!r} is not a {level} ubigeo"
                )
            parent = None
            if level != LocationLevel.DEPARTMENT:
                parent = existing.get(row["parent"])
                if parent is None or not row["code"].startswith(row["parent"]):
                    raise SeedError(
                        f"locations.csv row {number}: parent {row['parent']!r} of "
                        f"{row['code']} is unknown or does not contain it"
                    )
            values = {"name": row["name"], "level": level, "parent": parent}
            location = existing.get(row["code"])
            if location is None:
                location = Location(code=row["code"], **values)
                to_create.append(location)
                existing[location.code] = location
            elif _apply(location, values):
                to_update.append(location)
            else:
                report.count("locations", "unchanged")
        Location.objects.bulk_create(to_create)
        Location.objects.bulk_update(to_update, ["name", "level", "parent"])
        report.count("locations", "created", len(to_create))
        report.count("locations", "updated", len(to_update))
        if to_create and not all(loc.pk for loc in to_create):
            # SQLite before 3.35 returns no ids from bulk_create; fetch them for the children.
            for loc in Location.objects.filter(code__in=[loc.code for loc in to_create]):
                existing[loc.code] = loc
