"""Checking and saving an uploaded activity table (DESIGN §5), all or nothing.

`plan_import` checks every row of a `reading.Table` against the reference data and the
rules of an activity line (`ActivityLine.row_errors`, the same rules as the web form) and says
which monthly reports the file would fill and what it would replace. `apply_import` does it
again under the reports' locks and saves the lines only if nothing is wrong.

Values are matched tolerantly but never guessed: codes and names ignore case, accents and
spacing, a ubigeo may be written `15`, `PE15`, `150000` or as the number 1 for `01`; anything
that matches nothing, or more than one thing, is an error that names the row and the column.

The reference data is read once per file and every row is checked in memory, so the number of
queries does not grow with the number of rows.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext

from partners.models import Organisation, User
from reporting import texts as msg
from reporting.models import (
    DISAGGREGATION_FIELDS,
    EDITABLE_STATUSES,
    MAX_PEOPLE,
    ActivityLine,
    Indicator,
    LineChange,
    Location,
    LocationLevel,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
    normalise_ubigeo,
    parse_month,
)

from . import columns
from .columns import BY_FIELD, COLUMNS

if TYPE_CHECKING:
    from .reading import SheetRow, Table

BATCH_SIZE = 1000
# The largest amount the cash column holds (12 digits, 2 of them decimals).
MAX_CASH = Decimal("9999999999.99")
SUGGESTIONS = 3
COLUMN_ORDER = {column.field: position for position, column in enumerate(COLUMNS)}
# Where a rule of ActivityLine.row_errors points in the file ("location" is resolved per row).
RULE_COLUMNS = {
    "indicator": "indicator",
    "department": "department",
    "new_beneficiaries": "new_beneficiaries",
    "total_monthly": "total_monthly",
    "quantity": "quantity",
    "cash_usd": "cash_usd",
}

DIGITS = re.compile(r"[0-9]+")
GROUPED = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{3})+(?:[.,][0-9]+)?")
DECIMAL = re.compile(r"[0-9]+[.,][0-9]+")
DATE_TEXT = re.compile(
    r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}(?:[ T].*)?|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}"
)


@dataclass(frozen=True)
class RowError:
    row: int | None  # the sheet row as the user sees it; None for a problem of the whole file
    field: str | None  # the column contract's field, None for the whole row
    column: str | None  # the header as in the contract ("Department"), None for the whole row
    value: str  # the offending value as text ("" when empty)
    message: str  # the plain reason, translated


@dataclass
class ReportPlan:
    organisation: Organisation
    sector: Sector  # top-level: a sub-sector's lines go to its parent's report
    month: dt.date
    period: ReportingPeriod | None  # None only when loading as approved creates it
    report: MonthlyReport | None  # None when the upload creates it
    existing_lines: int  # the lines it has now, which the upload replaces
    lines: list[ActivityLine]  # checked and unsaved; their report is set when applied
    rows: list[int]  # the sheet rows that go to it


@dataclass
class ImportPlan:
    reports: list[ReportPlan]
    errors: list[RowError]
    row_count: int

    @property
    def ok(self) -> bool:
        return not self.errors and any(report.lines for report in self.reports)

    @property
    def line_count(self) -> int:
        return sum(len(report.lines) for report in self.reports)


class ImportFailed(Exception):
    """The file has errors, so nothing was saved; `plan.errors` says what they are."""

    def __init__(self, plan: ImportPlan):
        self.plan = plan
        super().__init__(errors_as_text(plan.errors))


def plan_import(table: Table, *, user: User, as_approved: bool = False) -> ImportPlan:
    """Return what importing `table` as `user` would do, and every error in it."""
    _check_may_import(user, as_approved)
    return _Planner(table, user=user, as_approved=as_approved).plan(lock=False)


def apply_import(
    table: Table, *, user: User, as_approved: bool = False, filename: str = ""
) -> ImportPlan:
    """Replace the lines of every report `table` covers with its rows, all or nothing.

    The rows are checked again under the locks of the reports and periods concerned, so a
    report submitted or a period locked since the preview turns the upload down. Raise
    ImportFailed, having saved nothing, on any error."""
    _check_may_import(user, as_approved)
    try:
        with transaction.atomic():
            plan = _Planner(table, user=user, as_approved=as_approved).plan(lock=True)
            if not plan.ok:
                raise ImportFailed(plan)
            _save(plan, user=user, as_approved=as_approved, filename=filename)
    except IntegrityError as error:
        # Another upload created one of these reports or periods a moment before this one.
        failed = ImportPlan(
            reports=[], row_count=len(table.rows),
            errors=[RowError(None, None, None, "", str(msg.UPLOAD_CHANGED_MEANWHILE))],
        )
        raise ImportFailed(failed) from error
    return plan


def errors_as_text(errors: Iterable[RowError]) -> str:
    """Return the errors one per line, as `import_activities` prints them."""
    lines = []
    for error in errors:
        if error.row is None:
            lines.append(error.message)
        elif error.column:
            lines.append(msg.ERROR_AT_CELL % {
                "row": error.row, "column": error.column, "message": error.message})
        else:
            lines.append(msg.ERROR_AT_ROW % {"row": error.row, "message": error.message})
    return "\n".join(lines)


def default_deadline(month: dt.date) -> dt.date:
    """Return the usual deadline of a month's reports: the 10th of the next month."""
    return (month + dt.timedelta(days=40)).replace(day=10)


def _check_may_import(user: User, as_approved: bool) -> None:
    if as_approved:
        if not user.is_im_officer:
            raise PermissionDenied(msg.ONLY_IM)
    elif not (user.is_partner_user or user.is_im_officer):
        raise PermissionDenied(msg.UPLOAD_NOT_ALLOWED)


# Matching --------------------------------------------------------------------------------------


_FOLDED: dict[str, str] = {}


def fold(text: str) -> str:
    """Return `text` as values are compared: case, accents and spacing ignored."""
    folded = _FOLDED.get(text)
    if folded is None:
        folded = columns.fold(text)
        if len(_FOLDED) < 50_000:
            _FOLDED[text] = folded
    return folded


def _as_text(value) -> str:
    """Return a cell's value as the text the person typed (an XLSX number 15.0 is "15")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _name_text(value) -> str:
    """Return the text of a cell that holds a name, a code or a description, without the
    apostrophe that the template and the exports put before text a spreadsheet would run as a
    formula (columns.neutralise): "'-Org" chosen from the template's list is "-Org"."""
    return columns.restore(_as_text(value))


class _Index:
    """Objects found by any of their names, folded; a name of two objects is ambiguous."""

    def __init__(self) -> None:
        self.by_key: dict[str, list] = {}

    def add(self, obj, *names: str) -> None:
        for name in names:
            if not name:
                continue
            found = self.by_key.setdefault(fold(name), [])
            if obj not in found:
                found.append(obj)

    def get(self, text: str) -> list:
        return self.by_key.get(fold(text), [])


def _quoted(names: Iterable[str]) -> str:
    return get_text_list([f"“{name}”" for name in names], gettext("or"))


def _suggest(text: str, choices: dict[str, str]) -> str:
    """Return " Did you mean …?" for the choices (folded → shown) close to `text`, or ""."""
    close = difflib.get_close_matches(fold(text), list(choices), n=SUGGESTIONS, cutoff=0.7)
    if not close:
        return ""
    shown = list(dict.fromkeys(choices[key] for key in close))
    return " " + msg.DID_YOU_MEAN % {"suggestions": _quoted(shown)}


class _Problem(Exception):
    """A value that cannot be used; `message` says why."""

    def __init__(self, message):
        self.message = str(message)


class _Reference:
    """The reference data a file is checked against, read once (four queries)."""

    def __init__(self) -> None:
        self.organisations = _Index()
        for organisation in Organisation.objects.all():
            self.organisations.add(
                organisation, organisation.acronym, organisation.name, organisation.short_name
            )
        self.sectors = _Index()
        sectors = {sector.pk: sector for sector in Sector.objects.all()}
        for sector in sectors.values():
            sector.parent = sectors.get(sector.parent_id)
            self.sectors.add(sector, sector.code, sector.name_es, sector.name_en)
        self.indicators = _Index()
        for indicator in Indicator.objects.all():
            indicator.sector = sectors[indicator.sector_id]
            self.indicators.add(indicator, indicator.code, indicator.name_es, indicator.name_en)

        self.locations: dict[str, Location] = {}
        locations = list(Location.objects.all())
        by_pk = {location.pk: location for location in locations}
        self.departments = _Index()
        self.children: dict[str, _Index] = {}  # parent code → its provinces or districts
        self.districts: dict[str, _Index] = {}  # department code → its districts
        for location in locations:
            location.parent = by_pk.get(location.parent_id)
            self.locations[location.code] = location
            if location.level == LocationLevel.DEPARTMENT:
                self.departments.add(location, location.name)
                continue
            self.children.setdefault(location.parent.code, _Index()).add(location, location.name)
            if location.level == LocationLevel.DISTRICT:
                self.districts.setdefault(location.code[:2], _Index()).add(
                    location, location.name
                )

        self.population_types = self._choices(PopulationType)
        self.modalities = self._choices(Modality)

    @staticmethod
    def _choices(choices) -> _Index:
        index = _Index()
        for choice in choices:
            with translation.override("es"):
                spanish = str(choice.label)
            with translation.override("en"):
                english = str(choice.label)
            index.add(choice.value, choice.value, choice.value.replace("_", " "), spanish, english)
        return index


@dataclass
class _Group:
    organisation: Organisation
    sector: Sector
    month: dt.date
    rows: list[int] = field(default_factory=list)
    lines: list[ActivityLine] = field(default_factory=list)
    month_values: dict[int, str] = field(default_factory=dict)


class _Planner:
    def __init__(self, table: Table, *, user: User, as_approved: bool):
        self.table = table
        self.user = user
        self.as_approved = as_approved
        self.reference = _Reference()
        self.errors: list[RowError] = []
        self.groups: dict[tuple, _Group] = {}
        self.keys: dict[tuple, int] = {}  # the identity of a line → the row that has it
        self.cache: dict[tuple, object] = {}

    # The plan ----------------------------------------------------------------------------------

    def plan(self, *, lock: bool) -> ImportPlan:
        rows = self.table.rows
        for row in rows:
            self._check_row(row)
        reports = self._report_plans(lock=lock)
        if not rows:
            self.errors.append(RowError(None, None, None, "", str(msg.UPLOAD_NO_LINES)))
        self.errors.sort(key=lambda error: (
            error.row is not None, error.row or 0,
            COLUMN_ORDER.get(error.field, len(COLUMN_ORDER)),
        ))
        return ImportPlan(reports=reports, errors=self.errors, row_count=len(rows))

    def _report_plans(self, *, lock: bool) -> list[ReportPlan]:
        if not self.groups:
            return []
        periods_query = ReportingPeriod.objects.filter(
            month__in={group.month for group in self.groups.values()}
        ).order_by("month")
        if lock:
            periods_query = periods_query.select_for_update(no_key=True)
        periods = {period.month: period for period in periods_query}
        reports_query = MonthlyReport.objects.filter(
            organisation_id__in={key[0] for key in self.groups},
            sector_id__in={key[1] for key in self.groups},
            period__in=list(periods.values()),
        ).order_by("pk")
        if lock:
            # The filter may take in a few more of these organisations' reports than the file
            # covers: one short query, and they stay locked only while the file is saved.
            reports_query = reports_query.select_for_update(no_key=True)
        reports = {
            (report.organisation_id, report.sector_id, report.period_id): report
            for report in (reports_query if periods else [])
        }
        found: dict[tuple, tuple[ReportingPeriod | None, MonthlyReport | None]] = {}
        for key, group in self.groups.items():
            period = periods.get(group.month)
            report = reports.get((key[0], key[1], period.pk)) if period else None
            if report is not None:
                report.organisation, report.sector, report.period = (
                    group.organisation, group.sector, period)
            found[key] = (period, report)
        ids = [report.pk for _period, report in found.values() if report is not None]
        counts = dict(
            ActivityLine.objects.filter(report_id__in=ids)
            .values_list("report_id").annotate(count=Count("pk")).order_by()
        ) if ids else {}

        plans = []
        for key, group in self.groups.items():
            period, report = found[key]
            self._check_report(group, period, report)
            plans.append(ReportPlan(
                organisation=group.organisation, sector=group.sector, month=group.month,
                period=period, report=report,
                existing_lines=counts.get(report.pk, 0) if report else 0,
                lines=group.lines, rows=group.rows,
            ))
        plans.sort(key=lambda plan: (plan.month, plan.organisation.short_name.casefold(),
                                     plan.sector.order, plan.sector.code))
        return plans

    def _check_report(self, group: _Group, period: ReportingPeriod | None,
                      report: MonthlyReport | None) -> None:
        """Refuse every row of a report the upload may not change."""
        month = group.month.strftime("%Y-%m")
        params = {"sector": group.sector, "organisation": group.organisation, "month": month}
        field_name, message = None, None
        if period is None:
            if not self.as_approved:
                field_name, message = "month", msg.PERIOD_MISSING % params
        elif self.as_approved:
            return
        elif period.is_locked:
            field_name, message = "month", msg.PERIOD_LOCKED_ROW % params
        elif report is not None and report.status not in EDITABLE_STATUSES:
            if report.status == ReportStatus.APPROVED:
                message = msg.REPORT_APPROVED_ROW % params
            else:
                message = msg.REPORT_SUBMITTED_ROW % params
        if message is None:
            return
        column = BY_FIELD[field_name].header if field_name else None
        for number in group.rows:
            value = group.month_values.get(number, "") if field_name else ""
            self.errors.append(RowError(number, field_name, column, value, message))

    # One row -----------------------------------------------------------------------------------

    def _check_row(self, row: SheetRow) -> None:
        values = row.values
        errors: list[RowError] = []

        def fail(field_name: str | None, message) -> None:
            raw = values.get(field_name) if field_name else None
            column = BY_FIELD[field_name].header if field_name else None
            errors.append(RowError(row.number, field_name, column, _as_text(raw), str(message)))

        def read(field_name: str, reader: Callable, *, required: bool = False, **context):
            raw = values.get(field_name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if required:
                    fail(field_name, msg.VALUE_REQUIRED)
                return None
            key = (field_name, raw.__class__, raw, *context.values())
            found = self.cache.get(key)
            if found is None:
                try:
                    found = reader(raw, **context)
                except _Problem as problem:
                    found = problem
                self.cache[key] = found
            if isinstance(found, _Problem):
                fail(field_name, found.message)
                return None
            return found

        month = read("month", _month, required=True)
        organisation = read("organisation", self._organisation, required=True)
        named_sector = read("sector", self._sector, required=True)
        indicator = read("indicator", self._indicator, required=True)
        department = read("department", self._department, required=True)
        province = district = None
        if department is not None:
            province = read("province", self._province, department=department)
            if not (values.get("province") and province is None):
                district = read("district", self._district, department=department,
                                province=province)
        population_type = read("population_type", self._population_type, required=True)
        modality = read("modality", self._modality, required=True)
        partner = read("implementing_partner", self._organisation)
        counts = {name: read(name, _count) for name in
                  (*DISAGGREGATION_FIELDS, "new_beneficiaries", "total_monthly", "quantity")}
        cash = read("cash_usd", _money)
        description = _name_text(values.get("description"))

        sector = None
        if named_sector is not None:
            sector = named_sector.parent or named_sector
            if not self.as_approved:
                for inactive in dict.fromkeys((named_sector, sector)):
                    if not inactive.active:
                        fail("sector", msg.SECTOR_INACTIVE % {"sector": inactive})
        if organisation is not None:
            if self.user.is_partner_user and organisation.pk != self.user.organisation_id:
                own = self.user.organisation
                fail("organisation", msg.NOT_YOUR_ORGANISATION_ROW % {
                    "organisation": organisation, "own": own})
                # Nothing about another organisation's reports is looked up, let alone told.
                organisation = None
            elif not organisation.active and not self.as_approved:
                fail("organisation", msg.ORGANISATION_INACTIVE % {"organisation": organisation})
        if partner is not None and not partner.active and not self.as_approved:
            fail("implementing_partner", msg.ORGANISATION_INACTIVE % {"organisation": partner})

        group = key = None
        if month is not None and organisation is not None and sector is not None:
            key = (organisation.pk, sector.pk, month)
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group(organisation, sector, month)
            group.rows.append(row.number)
            group.month_values[row.number] = _as_text(values.get("month"))

        if (not errors and indicator is not None and counts["total_monthly"] is None
                and indicator.measures_people):
            fail("total_monthly", msg.TOTAL_REQUIRED % {"indicator": indicator.code})

        if errors:
            self.errors.extend(errors)
            return
        people = [counts[name] or 0 for name in DISAGGREGATION_FIELDS]
        new = counts["new_beneficiaries"]
        location = district or province or department
        # Ids, then the objects in the instance's cache: what `indicator=indicator` does, at a
        # third of the cost, which counts over 10,000 rows.
        line = ActivityLine(
            indicator_id=indicator.pk,
            department_id=department.pk,
            location_id=location.pk,
            population_type=population_type,
            modality=modality,
            implementing_partner_id=partner.pk if partner else None,
            girls=people[0], boys=people[1], women=people[2], men=people[3], other=people[4],
            new_beneficiaries=sum(people) if new is None else new,
            total_monthly=counts["total_monthly"] or 0,
            quantity=counts["quantity"],
            cash_usd=cash,
            description=description,
            created_by_id=self.user.pk,
            updated_by_id=self.user.pk,
        )
        line._state.fields_cache.update(
            indicator=indicator, department=department, location=location,
            implementing_partner=partner, created_by=self.user, updated_by=self.user,
        )
        place_field = "district" if district else "province" if province else "department"
        for rule_field, rule_errors in line.row_errors(
            sector=sector, accept_inactive=self.as_approved
        ).items():
            if rule_field == NON_FIELD_ERRORS:
                target = None
            elif rule_field == "location":
                target = place_field
            else:
                target = RULE_COLUMNS.get(rule_field)
            for error in rule_errors:
                for message in error.messages:
                    fail(target, message)
        if errors:
            self.errors.extend(errors)
            return

        identity = (key, indicator.pk, location.pk, population_type, modality,
                    partner.pk if partner else None)
        first = self.keys.setdefault(identity, row.number)
        if first != row.number:
            fail(None, msg.DUPLICATE_ROW % {"row": first})
            self.errors.extend(errors)
            return
        group.lines.append(line)

    # Matching one value (each distinct value once per file) ------------------------------------

    def _organisation(self, raw) -> Organisation:
        text = _name_text(raw)
        found = self.reference.organisations.get(text)
        if len(found) == 1:
            return found[0]
        if found:
            raise _Problem(msg.AMBIGUOUS_ORGANISATION % {
                "value": text,
                "candidates": _quoted(f"{o.acronym} ({o.name})" for o in found),
            })
        choices = {key: objects[0].acronym
                   for key, objects in self.reference.organisations.by_key.items()}
        raise _Problem(msg.UNKNOWN_ORGANISATION % {"value": text} + _suggest(text, choices))

    def _sector(self, raw) -> Sector:
        text = _name_text(raw)
        return self._one(self.reference.sectors, text, msg.UNKNOWN_SECTOR,
                         lambda sector: sector.code)

    def _indicator(self, raw) -> Indicator:
        text = _name_text(raw)
        return self._one(self.reference.indicators, text, msg.UNKNOWN_INDICATOR,
                         lambda indicator: indicator.code)

    def _population_type(self, raw) -> str:
        return self._choice(self.reference.population_types, raw, msg.UNKNOWN_POPULATION_TYPE,
                            PopulationType.values)

    def _modality(self, raw) -> str:
        return self._choice(self.reference.modalities, raw, msg.UNKNOWN_MODALITY,
                            Modality.values)

    @staticmethod
    def _one(index: _Index, text: str, unknown, code: Callable):
        found = index.get(text)
        if len(found) == 1:
            return found[0]
        if found:
            raise _Problem(msg.AMBIGUOUS_VALUE % {
                "value": text, "candidates": _quoted(code(obj) for obj in found)})
        choices = {fold(code(obj)): code(obj)
                   for objects in index.by_key.values() for obj in objects}
        raise _Problem(unknown % {"value": text} + _suggest(text, choices))

    @staticmethod
    def _choice(index: _Index, raw, unknown, values: list[str]) -> str:
        text = _name_text(raw)
        found = index.get(text)
        if len(found) == 1:
            return found[0]
        choices = {fold(value): value for value in values}
        raise _Problem(unknown % {"value": text, "choices": get_text_list(values, gettext("or"))}
                       + _suggest(text, choices))

    def _place(self, text: str, level: str, names: _Index | None, unknown) -> Location:
        """Return the location of `level` written as `text`, a ubigeo or a name among `names`."""
        code = normalise_ubigeo(text)
        if code.isdigit():
            location = self.reference.locations.get(code)
            if location is None:
                raise _Problem(unknown)
            if location.level != level:
                raise _Problem(msg.WRONG_LEVEL % {
                    "value": text, "place": location.name,
                    "level": LocationLevel(location.level).label,
                    "expected": LocationLevel(level).label,
                })
            return location
        found = names.get(text) if names is not None else []
        if len(found) == 1:
            return found[0]
        if found:
            raise _Problem(msg.AMBIGUOUS_VALUE % {
                "value": text, "candidates": _quoted(f"{p.name} ({p.code})" for p in found)})
        choices = {key: objects[0].name for key, objects in names.by_key.items()} if names else {}
        raise _Problem(str(unknown) + _suggest(text, choices))

    def _department(self, raw) -> Location:
        text = _name_text(raw)
        return self._place(text, LocationLevel.DEPARTMENT, self.reference.departments,
                           msg.UNKNOWN_DEPARTMENT % {"value": text})

    def _province(self, raw, *, department: Location) -> Location:
        text = _name_text(raw)
        province = self._place(
            text, LocationLevel.PROVINCE, self.reference.children.get(department.code),
            msg.UNKNOWN_PROVINCE % {"value": text, "department": department.name},
        )
        if not province.lies_in(department):
            raise _Problem(msg.PROVINCE_OUTSIDE_DEPARTMENT % {
                "province": province.name, "department": department.name})
        return province

    def _district(self, raw, *, department: Location, province: Location | None) -> Location:
        text = _name_text(raw)
        within = province or department
        names = (self.reference.children.get(province.code) if province
                 else self.reference.districts.get(department.code))
        district = self._place(
            text, LocationLevel.DISTRICT, names,
            msg.UNKNOWN_DISTRICT % {"value": text, "place": within.name},
        )
        if province is not None and not district.lies_in(province):
            raise _Problem(msg.DISTRICT_OUTSIDE_PROVINCE % {
                "district": district.name, "province": province.name})
        if not district.lies_in(department):
            raise _Problem(msg.LOCATION_OUTSIDE_DEPARTMENT % {
                "location": district.name, "department": department.name})
        return district


# Reading one value -------------------------------------------------------------------------


def _month(raw) -> dt.date:
    if isinstance(raw, (dt.date, dt.datetime)):
        # Excel stores "2023-09" typed into a General cell as 1 September 2023: that is the
        # month, so take it. Any other day is a date where a month belongs.
        whole_day = not isinstance(raw, dt.datetime) or raw.time() == dt.time(0)
        if raw.day == 1 and whole_day and 2000 <= raw.year <= 2100:
            return dt.date(raw.year, raw.month, 1)
        raise _Problem(msg.MONTH_IS_A_DATE)
    text = _as_text(raw)
    month = parse_month(text)
    if month and 2000 <= month.year <= 2100:
        return month
    if DATE_TEXT.fullmatch(text):
        raise _Problem(msg.MONTH_IS_A_DATE)
    raise _Problem(msg.MONTH_FORMAT % {"value": text})


def _count(raw) -> int:
    """Return a whole number of people or units ≥ 0 (12, 12.0 from a workbook, "12")."""
    text = _as_text(raw)
    if isinstance(raw, (bool, dt.date, dt.datetime)):
        raise _Problem(msg.NOT_A_WHOLE_NUMBER % {"value": text})
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, float):
        if not (math.isfinite(raw) and raw.is_integer()):
            if math.isfinite(raw) and raw < 0:
                raise _Problem(msg.NEGATIVE_VALUE)
            raise _Problem(msg.NOT_A_WHOLE_NUMBER % {"value": text})
        number = int(raw)
    else:
        unsigned = text[1:].strip() if text.startswith("-") else text
        if DIGITS.fullmatch(text):
            # More digits than any plausible count is a typing error; int() of thousands of
            # digits would also fail on Python's conversion limit.
            if len(text.lstrip("0")) > len(str(MAX_PEOPLE)):
                raise _Problem(msg.IMPLAUSIBLE % {"limit_value": MAX_PEOPLE})
            number = int(text)
        elif text.startswith("-") and (DIGITS.fullmatch(unsigned) or DECIMAL.fullmatch(unsigned)):
            raise _Problem(msg.NEGATIVE_VALUE)
        elif GROUPED.fullmatch(text):
            # "1,200" is 1200 to one reader and 1.2 to another.
            raise _Problem(msg.THOUSANDS_SEPARATOR % {"value": text})
        else:
            raise _Problem(msg.NOT_A_WHOLE_NUMBER % {"value": text})
    if number < 0:
        raise _Problem(msg.NEGATIVE_VALUE)
    if number > MAX_PEOPLE:
        raise _Problem(msg.IMPLAUSIBLE % {"limit_value": MAX_PEOPLE})
    return number


def _money(raw) -> Decimal:
    """Return an amount in USD ≥ 0 with at most two decimals; a decimal comma is read only
    where it cannot be a thousands separator ("12,50" yes, "1,250" no)."""
    text = _as_text(raw)
    if isinstance(raw, (bool, dt.date, dt.datetime)):
        raise _Problem(msg.NOT_AN_AMOUNT % {"value": text})
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise _Problem(msg.NOT_AN_AMOUNT % {"value": text})
        amount = Decimal(raw) if isinstance(raw, int) else Decimal(repr(raw))
    else:
        unsigned = text[1:].strip() if text.startswith("-") else text
        if text.startswith("-") and (DIGITS.fullmatch(unsigned) or DECIMAL.fullmatch(unsigned)
                                     or GROUPED.fullmatch(unsigned)):
            raise _Problem(msg.NEGATIVE_VALUE)
        if DIGITS.fullmatch(text):
            amount = Decimal(text)
        elif re.fullmatch(r"[0-9]+[.,][0-9]{1,2}", text):
            amount = Decimal(text.replace(",", "."))
        elif GROUPED.fullmatch(text):
            raise _Problem(msg.AMOUNT_AMBIGUOUS % {"value": text})
        elif DECIMAL.fullmatch(text):
            raise _Problem(msg.AMOUNT_DECIMALS % {"value": text})
        else:
            raise _Problem(msg.NOT_AN_AMOUNT % {"value": text})
    if amount < 0:
        raise _Problem(msg.NEGATIVE_VALUE)
    try:
        if amount != amount.quantize(Decimal("0.01")):
            raise _Problem(msg.AMOUNT_DECIMALS % {"value": text})
    except InvalidOperation as error:
        raise _Problem(msg.AMOUNT_TOO_LARGE % {"value": text}) from error
    if amount > MAX_CASH:
        raise _Problem(msg.AMOUNT_TOO_LARGE % {"value": text})
    return amount.quantize(Decimal("0.01"))


# Saving ------------------------------------------------------------------------------------


def _save(plan: ImportPlan, *, user: User, as_approved: bool, filename: str) -> None:
    now = timezone.now()
    missing = sorted({report.month for report in plan.reports if report.period is None})
    if missing:
        created = ReportingPeriod.objects.bulk_create(
            [ReportingPeriod(month=month, deadline=default_deadline(month)) for month in missing]
        )
        periods = {period.month: period for period in created}
        for report_plan in plan.reports:
            if report_plan.period is None:
                report_plan.period = periods[report_plan.month]

    before = {report_plan.report.pk: report_plan.report.status
              for report_plan in plan.reports if report_plan.report is not None}
    new = [report_plan for report_plan in plan.reports if report_plan.report is None]
    if new:
        created = MonthlyReport.objects.bulk_create([
            MonthlyReport(organisation=report_plan.organisation, sector=report_plan.sector,
                          period=report_plan.period, created_by=user)
            for report_plan in new
        ])
        for report_plan, report in zip(new, created, strict=True):
            report_plan.report = report

    if before:
        ActivityLine.objects.filter(report_id__in=list(before)).delete()
    lines = []
    for report_plan in plan.reports:
        for line in report_plan.lines:
            line.report = report_plan.report
            lines.append(line)
    ActivityLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)

    LineChange.objects.bulk_create([
        LineChange(
            report=report_plan.report, line_id=0, action=LineChange.Action.IMPORT,
            summary=str(msg.IMPORT_SUMMARY % {"added": len(report_plan.lines),
                                              "removed": report_plan.existing_lines})[:255],
            changes={"file": filename, "removed": report_plan.existing_lines,
                     "added": len(report_plan.lines)},
            by=user, at=now,
        )
        for report_plan in plan.reports
    ])

    ids = [report_plan.report.pk for report_plan in plan.reports]
    changes: dict = {"updated_at": now, "is_nil": False}
    if as_approved:
        changes.update(
            status=ReportStatus.APPROVED, reviewed_by=user, reviewed_at=now, submitted_at=now,
            submitted_by=user, first_submitted_at=Coalesce(F("first_submitted_at"), Value(now)),
        )
    MonthlyReport.objects.filter(pk__in=ids).update(**changes)
    if as_approved:
        reason = msg.LOADED_AS_HISTORIC % {"file": filename or gettext("a spreadsheet")}
        ReviewEvent.objects.bulk_create([
            ReviewEvent(
                report=report_plan.report, action=ReviewEvent.Action.APPROVE,
                from_status=before.get(report_plan.report.pk, ReportStatus.DRAFT),
                to_status=ReportStatus.APPROVED, by=user, at=now, reason=reason,
            )
            for report_plan in plan.reports
        ])
    for report_plan in plan.reports:
        report = report_plan.report
        report.organisation, report.sector, report.period = (
            report_plan.organisation, report_plan.sector, report_plan.period)
        report.updated_at, report.is_nil = now, False
        if as_approved:
            report.status, report.reviewed_by, report.reviewed_at = ReportStatus.APPROVED, user, now
            report.submitted_at, report.submitted_by = now, user
            report.first_submitted_at = report.first_submitted_at or now
