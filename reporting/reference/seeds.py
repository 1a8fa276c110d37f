"""Load the reference data of seeds/*.csv into the database.

Rows are matched by their natural key (acronym, code, ubigeo). By default the loader only
creates what is missing and leaves existing rows as they are, so that what IM officers edit in
the admin survives `make run`; it reports the rows that differ from the files. With
`update=True` it makes existing rows match the files. Running it twice changes nothing. Rows are
never deleted: reference data that reports point to is deactivated in the admin instead.

The files and their cells are read as the admin's reference-data import reads them
(reference/files.py): a file exported from the admin loads here, and a cell that one refuses (a
typo in a yes/no column, a date that is not one) the other refuses too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from partners.models import Organisation
from reporting.models import (
    ActivityLine,
    Indicator,
    Location,
    LocationLevel,
    Modality,
    Plan,
    Sector,
    modalities_from_name,
)

from . import files


class SeedError(Exception):
    """A seed file is missing or has a row that cannot be loaded; str() names file and row."""


@dataclass
class SeedReport:
    update: bool = False
    counts: dict[str, Counter] = field(default_factory=dict)
    created: set = field(default_factory=set)  # (kind, key) of rows created in this run
    # What this run wrote, for the audit trail: the rows it created, and for each row it
    # changed the fields (verbose names) it changed.
    added: list = field(default_factory=list)
    changes: dict = field(default_factory=dict)  # row → [field names]

    def record_change(self, obj, names) -> None:
        fields = self.changes.setdefault(obj, [])
        for name in names:
            label = str(type(obj)._meta.get_field(name).verbose_name)
            if label not in fields:
                fields.append(label)

    def count(self, name: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(name, Counter())[outcome] += n

    @property
    def changed(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.counts.values())

    @property
    def differing(self) -> int:
        return sum(c["differs"] for c in self.counts.values())

    def lines(self) -> list[str]:
        lines = []
        for name, c in self.counts.items():
            line = f"{name}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            if c["differs"]:
                line += f", {c['differs']} kept as edited (differ from the file)"
            lines.append(line)
        return lines

    def outcome(self, differs: bool) -> str:
        if not differs:
            return "unchanged"
        return "updated" if self.update else "differs"


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    """Return the rows of seed file `name`, read as the admin's import reads a file (encoding,
    delimiter, each cell): an export of the admin, saved again by Excel or not, reads the same."""
    path = directory / name
    if not path.exists():
        raise SeedError(f"{path}: file not found")
    text = files.decode(path.read_bytes())
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=files.delimiter(text))
    reader.fieldnames = [(header or "").strip().lower() for header in reader.fieldnames or []]
    missing = [column for column in files.FILE_COLUMNS[name] if column not in reader.fieldnames]
    if missing:
        raise SeedError(f"{path}: no column {', '.join(missing)}")
    return [
        {header: files.read_cell(value or "") for header, value in row.items()
         if isinstance(header, str)}
        for row in reader
    ]


def _read(reader, row: dict[str, str], column: str, filename: str, number: int):
    """Return the cell of `column` read by `reader`, or raise SeedError naming file, row and
    column with the reader's reason."""
    try:
        return reader(row[column])
    except ValueError as error:
        raise SeedError(f"{filename} row {number}: {column}: {error}") from error


def _differs(obj, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _apply(obj, values: dict, report: SeedReport) -> bool:
    """Return whether `obj` must be saved: it differs from the file and we update."""
    if not _differs(obj, values) or not report.update:
        return False
    report.record_change(obj, [name for name, value in values.items() if getattr(obj, name) != value])
    for name, value in values.items():
        setattr(obj, name, value)
    return True


def _set_m2m(manager, wanted_ids: set[int], *, report: SeedReport, new: bool) -> bool:
    """Return whether the relation differs from the file; set it if new or updating."""
    current = set(manager.values_list("pk", flat=True))
    if current == wanted_ids:
        return False
    if new or report.update:
        manager.set(wanted_ids)
        if not new:
            report.record_change(manager.instance, [manager.prefetch_cache_name])
    return True


@transaction.atomic
def load_seeds(directory: Path, *, update: bool = False) -> SeedReport:
    """Load every seed file of `directory`; all or nothing."""
    report = SeedReport(update=update)
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


def record_in_admin_history(report: SeedReport, user) -> int:
    """Write one entry of the admin's history, in `user`'s name, for every row the run added
    or changed (with the fields it changed); return how many. The messages are stored in the
    admin's own format, so each reader sees them in their language."""
    from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    def entry(obj, flag, message) -> LogEntry:
        return LogEntry(
            user=user, content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk),
            object_repr=str(obj)[:200], action_flag=flag, change_message=json.dumps(message),
        )

    entries = [entry(obj, ADDITION, [{"added": {}}]) for obj in report.added]
    entries += [entry(obj, CHANGE, [{"changed": {"fields": fields}}])
                for obj, fields in report.changes.items()]
    LogEntry.objects.bulk_create(entries)
    return len(entries)


def _load_organisations(rows, report: SeedReport) -> dict[str, Organisation]:
    existing = {org.acronym: org for org in Organisation.objects.all()}
    for number, row in enumerate(rows, start=2):
        acronym = row["acronym"]
        if not acronym:
            raise SeedError(f"organisations.csv row {number}: acronym is empty")
        values = {
            "name": row["name"],
            "short_name": row["short_name"],
            "type": row["type"],
            "is_partner": _read(files.read_yes_no, row, "is_partner", "organisations.csv", number),
            "rmrp_appealing": _read(files.read_yes_no, row, "rmrp_appealing", "organisations.csv", number),
            "joined_on": _read(files.read_date, row, "joined_on", "organisations.csv", number),
        }
        org = existing.get(acronym)
        if org is None:
            org = Organisation(acronym=acronym, **values)
            _save(org, "organisations.csv", number)
            report.added.append(org)
            existing[acronym] = org
            report.created.add(("organisation", acronym))
            report.count("organisations", "created")
            continue
        report.count("organisations", report.outcome(_differs(org, values)))
        if _apply(org, values, report):
            _save(org, "organisations.csv", number)
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
            "order": _read(files.read_whole_number, row, "order", "sectors.csv", number) or 0,
        }
        sector = existing.get(row["code"])
        created = sector is None
        differs = False
        if created:
            sector = Sector(code=row["code"], **values)
            _save(sector, "sectors.csv", number)
            report.added.append(sector)
        else:
            differs = _differs(sector, values)
            if _apply(sector, values, report):
                _save(sector, "sectors.csv", number)
        existing[sector.code] = sector
        leads = set()
        for acronym in files.read_codes(row["lead_organisations"]):
            if acronym not in organisations:
                raise SeedError(f"sectors.csv row {number}: lead organisation {acronym} is unknown")
            leads.add(organisations[acronym].pk)
        differs = _set_m2m(sector.lead_organisations, leads, report=report, new=created) or differs
        report.count("sectors", "created" if created else report.outcome(differs))
    return existing


def _link_organisation_sectors(rows, organisations, sectors, report: SeedReport) -> None:
    for number, row in enumerate(rows, start=2):
        wanted = set()
        for code in files.read_codes(row["sectors"]):
            if code not in sectors:
                raise SeedError(f"organisations.csv row {number}: sector {code} is unknown")
            wanted.add(sectors[code].pk)
        new = ("organisation", row["acronym"]) in report.created
        differs = _set_m2m(organisations[row["acronym"]].sectors, wanted, report=report, new=new)
        report.count("organisation sectors", "created" if new else report.outcome(differs))


# The plan whose indicators seeds/indicators.csv holds; later plans come with `load_plan`.
SEED_PLAN = {
    "code": "2023-2024",
    "first_month": dt.date(2023, 1, 1),
    "name_es": "Plan Regional de Respuesta para Refugiados y Migrantes 2023-2024",
    "name_en": "Regional Refugee and Migrant Response Plan 2023-2024",
}


def _load_indicators(rows, sectors, report: SeedReport) -> None:
    plan, _ = Plan.objects.get_or_create(
        code=SEED_PLAN["code"], defaults={k: v for k, v in SEED_PLAN.items() if k != "code"})
    existing = {indicator.code: indicator for indicator in Indicator.objects.filter(plan=plan)}
    used_modalities: dict[int, set[str]] = {}
    for indicator_id, modality in (ActivityLine.objects.filter(indicator__plan=plan)
                                   .values_list("indicator_id", "modality").distinct()):
        used_modalities.setdefault(indicator_id, set()).add(modality)
    for number, row in enumerate(rows, start=2):
        sector = sectors.get(row["sector"])
        if sector is None:
            raise SeedError(f"indicators.csv row {number}: sector {row['sector']} is unknown")
        values = {
            "sector": sector,
            "name_es": row["name_es"],
            "name_en": row["name_en"],
            "unit": row["unit"],
            "type": row["type"],
            # Optional column: without it, what the name points to.
            "modalities": (files.read_codes(row.get("modalities", ""))
                           or modalities_from_name(row["name_en"], row["unit"])),
        }
        indicator = existing.get(row["code"])
        if indicator is not None:
            # Never strand a stored line: keep the modalities its lines already use.
            used = used_modalities.get(indicator.pk, set())
            values["modalities"] = [code for code in Modality.values
                                    if code in set(values["modalities"]) | used]
        if indicator is None:
            indicator = Indicator(plan=plan, code=row["code"], **values)
            _save(indicator, "indicators.csv", number)
            report.added.append(indicator)
            report.count("indicators", "created")
            continue
        report.count("indicators", report.outcome(_differs(indicator, values)))
        if _apply(indicator, values, report):
            _save(indicator, "indicators.csv", number)


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
                continue
            report.count("locations", report.outcome(_differs(location, values)))
            if _apply(location, values, report):
                to_update.append(location)
        Location.objects.bulk_create(to_create)
        Location.objects.bulk_update(to_update, ["name", "level", "parent"])
        report.count("locations", "created", len(to_create))
        if to_create and not all(loc.pk for loc in to_create):
            # SQLite before 3.35 returns no ids from bulk_create; fetch them for the children.
            for loc in Location.objects.filter(code__in=[loc.code for loc in to_create]):
                existing[loc.code] = loc
        report.added.extend(existing[loc.code] for loc in to_create)
