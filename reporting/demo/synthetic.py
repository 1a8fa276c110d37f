"""The benchmark's synthetic dataset: `BENCH-` organisations, years of monthly reports and as
many activity lines as asked for, over every sector, department, population type and modality,
built in the caller's transaction for the caller to roll back (`manage.py benchmark`)."""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from openpyxl import Workbook

from partners.models import Organisation, OrganisationType
from reporting.models import (
    CASH_MODALITIES,
    ActivityLine,
    DeliveryMechanism,
    Indicator,
    IndicatorUnit,
    Location,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportingPeriod,
    ReportStatus,
    Sector,
)
from reporting.sheets.columns import COLUMNS, HEADERS, HXL_TAGS

from .lines import weighted

PREFIX = "BENCH-"
BATCH = 5000
LINES_PER_REPORT = 25  # about what a partner reports per sector and month
SECTORS_PER_ORGANISATION = (1, 2, 2, 3, 3, 4)
NIL_SHARE = 0.03

# Weights of the synthetic data: most people are in Lima and on the northern and southern
# border crossings; most reports are approved by the time the figures are computed.
DEPARTMENT_WEIGHTS = {"15": 40, "07": 8, "13": 8, "04": 6, "24": 6, "23": 5, "20": 5, "14": 4}
POPULATION_WEIGHTS = {
    PopulationType.DESTINATION: 60, PopulationType.TRANSIT: 15, PopulationType.HOST: 15,
    PopulationType.PENDULAR: 5, PopulationType.RETURNEE: 5,
}
MODALITY_WEIGHTS = {Modality.SERVICE: 60, Modality.IN_KIND: 20, Modality.CASH: 12,
                    Modality.VOUCHER: 8}
STATUS_WEIGHTS = {
    ReportStatus.APPROVED: 85, ReportStatus.SUBMITTED: 6, ReportStatus.DRAFT: 4,
    ReportStatus.RETURNED: 3, ReportStatus.REOPENED: 2,
}

# Why the benchmark refuses to start.
SEEDS_MISSING = (
    "The benchmark builds its data on the seeded sectors, indicators and departments, and "
    "there are none: run `python manage.py load_seeds` first."
)
NOT_MIGRATED = "The database has no tables yet: run `python manage.py migrate` and `load_seeds`."
SYNTHETIC_EXISTS = (
    "Organisations with acronyms starting with {prefix} already exist; the benchmark will not "
    "mix its synthetic organisations with them."
)


class NotReady(Exception):
    """The database cannot take the synthetic dataset; str() says what to do."""


@dataclass(frozen=True)
class Dataset:
    month: dt.date  # the month the figures are computed for; the data ends with its year
    first_year: int
    organisations: int
    reports: int
    lines: int
    other_lines: int  # lines that were in the database already (they count in the figures too)
    build_seconds: float


def check_ready(using: str) -> None:
    """Refuse to run without the seeded reference data, or beside synthetic organisations."""
    try:
        seeded = (Sector.objects.using(using).top_level().exists()
                  and Indicator.objects.using(using).exists()
                  and Location.objects.using(using).departments().exists())
    except DatabaseError as error:
        raise NotReady(NOT_MIGRATED) from error
    if not seeded:
        raise NotReady(SEEDS_MISSING)
    if Organisation.objects.using(using).filter(acronym__startswith=PREFIX).exists():
        raise NotReady(SYNTHETIC_EXISTS.format(prefix=PREFIX))


def build_dataset(*, lines: int, month: dt.date, seed: int, years: int = 1,
                  using: str = DEFAULT_DB_ALIAS) -> Dataset:
    """Create synthetic organisations, periods, reports and `lines` lines over the `years`
    years up to `month`'s; the caller rolls them back."""
    started = time.perf_counter()
    rng = random.Random(seed)
    year = month.year
    sectors = list(Sector.objects.using(using).top_level().order_by("order", "code"))
    departments = list(Location.objects.using(using).departments().order_by("code"))
    indicators: dict[int, list[Indicator]] = {}
    for indicator in Indicator.objects.using(using).select_related("sector").order_by("code"):
        top = indicator.sector.parent_id or indicator.sector_id
        indicators.setdefault(top, []).append(indicator)
    sectors = [sector for sector in sectors if sector.pk in indicators]
    other_lines = ActivityLine.objects.using(using).count()

    periods = []
    for first in (dt.date(y, number, 1) for y in range(year - years + 1, year + 1)
                  for number in range(1, 13)):
        period, _ = ReportingPeriod.objects.using(using).get_or_create(
            month=first, defaults={"deadline": (first + dt.timedelta(days=40)).replace(day=10)}
        )
        periods.append(period)

    # One organisation files about a report per sector and month.
    reports_wanted = max(1, lines // LINES_PER_REPORT)
    average_sectors = sum(SECTORS_PER_ORGANISATION) / len(SECTORS_PER_ORGANISATION)
    organisation_count = max(1, round(reports_wanted / (len(periods) * average_sectors)))
    types = [choice for choice in OrganisationType if choice != OrganisationType.DONOR]
    organisations = Organisation.objects.using(using).bulk_create([
        Organisation(acronym=f"{PREFIX}{n:03d}", name=f"Benchmark partner {n:03d}",
                     short_name=f"Benchmark {n:03d}", type=rng.choice(types), is_partner=True)
        for n in range(1, organisation_count + 1)
    ])

    # Reports are created as drafts and given their status once their lines are in, as on the
    # platform (lines are written, then the report is approved): the totals' trigger then adds
    # each report's lines once, in one statement (see set_statuses).
    reports: list[MonthlyReport] = []
    statuses: list[str] = []
    for organisation in organisations:
        own = rng.sample(sectors, min(len(sectors), rng.choice(SECTORS_PER_ORGANISATION)))
        spare = [sector for sector in sectors if sector not in own]
        for period in periods:
            for sector in own:
                status = weighted(rng, STATUS_WEIGHTS)
                statuses.append(status)
                reports.append(MonthlyReport(
                    organisation=organisation, sector=sector, period=period,
                    status=ReportStatus.DRAFT, status_reason="Synthetic." if status in (
                        ReportStatus.RETURNED, ReportStatus.REOPENED) else "",
                ))
            if spare and rng.random() < NIL_SHARE:
                statuses.append(ReportStatus.APPROVED)
                reports.append(MonthlyReport(
                    organisation=organisation, sector=rng.choice(spare), period=period,
                    status=ReportStatus.DRAFT, is_nil=True,
                ))
    reports = MonthlyReport.objects.using(using).bulk_create(reports, batch_size=BATCH)
    with_lines = [report for report in reports if not report.is_nil]

    department_weights = [DEPARTMENT_WEIGHTS.get(d.code, 1) for d in departments]
    taken: set[tuple] = set()
    batch: list[ActivityLine] = []
    for report in rng.choices(with_lines, k=lines):
        while True:
            line = synthetic_line(
                rng, report, rng.choice(indicators[report.sector_id]),
                rng.choices(departments, weights=department_weights)[0],
            )
            key = (report.pk, line.indicator_id, line.location_id, line.population_type,
                   line.modality)
            if key not in taken:
                taken.add(key)
                break
        batch.append(line)
        if len(batch) == BATCH:
            ActivityLine.objects.using(using).bulk_create(batch)
            batch = []
    ActivityLine.objects.using(using).bulk_create(batch)
    set_statuses(reports, statuses, using)
    return Dataset(month=month.replace(day=1), first_year=periods[0].month.year,
                   organisations=len(organisations), reports=len(reports),
                   lines=lines, other_lines=other_lines,
                   build_seconds=time.perf_counter() - started)


def set_statuses(reports: list[MonthlyReport], statuses: list[str], using: str) -> None:
    """Give the reports their statuses: on PostgreSQL in one UPDATE over two arrays, so the
    totals' trigger adds every approved line in one grouped upsert."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE reporting_monthlyreport r SET status = s.status "
                "FROM unnest(%s::bigint[], %s::text[]) AS s(id, status) WHERE r.id = s.id",
                [[report.pk for report in reports], [str(status) for status in statuses]],
            )
        return
    by_status: dict[str, list[int]] = {}
    for report, status in zip(reports, statuses, strict=True):
        by_status.setdefault(status, []).append(report.pk)
    for status, ids in by_status.items():
        for start in range(0, len(ids), 500):
            MonthlyReport.objects.using(using).filter(pk__in=ids[start:start + 500]).update(
                status=status)


# A voucher is its own delivery mechanism; synthetic cash is handed over in cash.
SYNTHETIC_MECHANISMS = {
    Modality.VOUCHER: DeliveryMechanism.VOUCHER,
    Modality.CASH: DeliveryMechanism.CASH_IN_HAND,
}


def synthetic_line(rng: random.Random, report: MonthlyReport, indicator: Indicator,
                   department: Location) -> ActivityLine:
    modality = weighted(rng, MODALITY_WEIGHTS)
    total = max(1, int(rng.lognormvariate(4.0, 0.9)))
    new = int(total * rng.uniform(0.3, 1.0))
    girls, boys = new // 6, new // 7
    women = (new - girls - boys) // 2
    men = new - girls - boys - women
    quantity = None
    if indicator.unit != IndicatorUnit.PEOPLE:
        total = new = girls = boys = women = men = 0
        quantity = rng.randint(1, 50)
    return ActivityLine(
        report=report, indicator=indicator, department=department, location=department,
        population_type=weighted(rng, POPULATION_WEIGHTS), modality=modality,
        girls=girls, boys=boys, women=women, men=men,
        new_beneficiaries=new, total_monthly=total, quantity=quantity,
        cash_usd=Decimal(total * 40) if modality in CASH_MODALITIES else None,
        delivery_mechanism=SYNTHETIC_MECHANISMS.get(modality, ""),
    )


SYNTHETIC_TABLES = (ActivityLine, MonthlyReport, ReportingPeriod, Organisation)


def refresh_statistics(connection, *, vacuum: bool = False) -> None:
    """Refresh PostgreSQL's statistics of the tables the benchmark fills (VACUUM cannot run in
    a transaction, so only outside one)."""
    command = "VACUUM ANALYZE" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for model in SYNTHETIC_TABLES:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def activity_workbook(lines: Iterable[ActivityLine]) -> tuple[bytes, int]:
    """Return `lines` written as an activity workbook (the contract's headers and HXL row), in
    memory as Excel would save it, and how many rows it holds."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Activities")
    sheet.append(HEADERS)
    sheet.append(HXL_TAGS)
    count = 0
    for line in lines:
        location = line.location
        values = {
            "month": line.report.period.code,
            "organisation": line.report.organisation.acronym,
            "implementing_partner": (line.implementing_partner.acronym
                                     if line.implementing_partner_id else None),
            "sector": line.report.sector.code,
            "indicator": line.indicator.code,
            "department": line.department.code,
            "province": location.code[:4] if len(location.code) > 2 else None,
            "district": location.code if len(location.code) == 6 else None,
            "population_type": line.population_type,
            "modality": line.modality,
            "girls": line.girls, "boys": line.boys, "women": line.women, "men": line.men,
            "other_under_18": line.other_under_18, "other_adults": line.other_adults,
            "other_unknown_age": line.other_unknown_age,
            "new_beneficiaries": line.new_beneficiaries,
            "total_monthly": line.total_monthly, "quantity": line.quantity,
            "cash_usd": float(line.cash_usd) if line.cash_usd is not None else None,
            "description": line.description or None,
            "rmrp_activity": "yes" if line.rmrp_activity else "no",
            "delivery_mechanism": line.delivery_mechanism or None,
            "activity_name": line.activity_name or None,
        }
        sheet.append([values[column.field] for column in COLUMNS])
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count
