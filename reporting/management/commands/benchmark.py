"""Time the platform's heavy paths on a synthetic dataset that is never saved.

The dataset — organisations BENCH-001…, a year of monthly reports and `--lines` activity lines
over every sector, department, population type and modality — is built inside a transaction
that is rolled back once the timings are taken, so the database is left exactly as it was.

On PostgreSQL the planner statistics are refreshed (ANALYZE) once the rows are in, as autovacuum
would have done on a live database; `--no-analyze` times the moment before it has. Committed
and vacuumed, the same rows are read about a tenth faster than inside the open transaction.

A case is a function that takes the dataset and returns the measures to time; add one to
CASES and it becomes a `--case` choice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.test.utils import CaptureQueriesContext

from partners.models import Organisation, OrganisationType
from reporting import aggregation
from reporting.models import (
    CASH_MODALITIES,
    ActivityLine,
    Indicator,
    IndicatorUnit,
    Location,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportingPeriod,
    ReportStatus,
    Sector,
    parse_month,
)

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

SEEDS_MISSING = (
    "The benchmark builds its data on the seeded sectors, indicators and departments, and "
    "there are none: run `python manage.py load_seeds` first."
)
NOT_MIGRATED = "The database has no tables yet: run `python manage.py migrate` and `load_seeds`."
SYNTHETIC_EXISTS = (
    "Organisations with acronyms starting with {prefix} already exist; the benchmark will not "
    "mix its synthetic organisations with them."
)


class Rollback(Exception):
    """Raised at the end of the benchmark so that nothing it built is ever committed."""


@dataclass(frozen=True)
class Dataset:
    month: dt.date  # the month the figures are computed for; the data covers its whole year
    organisations: int
    reports: int
    lines: int
    other_lines: int  # lines that were in the database already (they count in the figures too)
    build_seconds: float


@dataclass(frozen=True)
class Measure:
    label: str
    run: Callable[[], object]


@dataclass(frozen=True)
class Timing:
    case: str
    label: str
    queries: int
    seconds: list[float]


def aggregation_case(dataset: Dataset) -> list[Measure]:
    month, label = dataset.month, dataset.month.strftime("%Y-%m")
    return [
        Measure(f"month_figures({label})", lambda: aggregation.month_figures(month)),
        Measure(f"monthly_trend({label})", lambda: aggregation.monthly_trend(month)),
    ]


def export_case(dataset: Dataset) -> list[Measure]:
    """Time the CSV export of every line (HXL row included) to /dev/null, encoded as the
    response sends it. Two untimed runs first measure memory, into the label: the process's
    resident memory sampled every 10 ms (its peak during the export against its size just
    before), then the peak of Python allocations (tracemalloc, which slows a run down)."""
    import resource
    import threading
    import tracemalloc

    from reporting import exports

    lines = ActivityLine.objects.all()
    megabyte = 1024 * 1024

    def run() -> None:
        with open(os.devnull, "wb") as sink:
            for block in exports.lines_csv(lines, hxl=True):
                sink.write(block.encode())

    def resident() -> int:
        with open("/proc/self/statm") as statm:  # Linux: pages resident, second field
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    before = resident()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], resident())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run()
    finally:
        done.set()
        sampler.join()
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        run()
        traced = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    total = dataset.lines + dataset.other_lines
    return [Measure(
        f"lines_csv({total:,} lines, HXL) to /dev/null; RSS {before / megabyte:.0f} MB before, "
        f"peak +{(peak[0] - before) / megabyte:.1f} MB; tracemalloc peak "
        f"{traced / megabyte:.1f} MB; ru_maxrss {maxrss_before / 1024:.0f}"
        f"->{maxrss_after / 1024:.0f} MB",
        run,
    )]


IMPORT_LINES = 10_000


def import_case(dataset: Dataset) -> list[Measure]:
    """Time the upload of a 10,000-line workbook: the synthetic lines of whole reports, written
    with openpyxl in memory as Excel would, then read (read_table), checked (plan_import, the
    preview) and saved (apply_import, the confirmation) by an IM officer loading them as
    approved, which replaces the same reports' lines on every run."""
    import io
    import uuid

    from openpyxl import Workbook

    from partners.models import Role, User
    from reporting import imports, spreadsheets
    from reporting.resources import COLUMNS, HEADERS, HXL_TAGS

    lines = (
        ActivityLine.objects.filter(report__organisation__acronym__startswith=PREFIX)
        .select_related("report__organisation", "report__sector", "report__period",
                        "indicator", "department", "location", "implementing_partner")
        .order_by("report_id", "pk")[:IMPORT_LINES]
    )
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
            "other": line.other, "new_beneficiaries": line.new_beneficiaries,
            "total_monthly": line.total_monthly, "quantity": line.quantity,
            "cash_usd": float(line.cash_usd) if line.cash_usd is not None else None,
            "description": line.description or None,
        }
        sheet.append([values[column.field] for column in COLUMNS])
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    user = User.objects.create(username=f"{PREFIX.lower()}im-{uuid.uuid4().hex[:8]}",
                               role=Role.IM_OFFICER)

    def read() -> spreadsheets.Table:
        return spreadsheets.read_table(data, "benchmark.xlsx")

    def plan() -> None:
        checked = imports.plan_import(read(), user=user, as_approved=True)
        if not checked.ok:
            raise CommandError(imports.errors_as_text(checked.errors[:10]))

    def apply() -> None:
        imports.apply_import(read(), user=user, as_approved=True, filename="benchmark.xlsx")

    label = f"{count:,} lines, {len(data) / 1024 / 1024:.1f} MB XLSX"
    return [
        Measure(f"read_table({label})", read),
        Measure(f"read_table + plan_import({label})", plan),
        Measure(f"read_table + apply_import({label}, as approved)", apply),
    ]


CASES: dict[str, Callable[[Dataset], list[Measure]]] = {
    "aggregation": aggregation_case,
    "export": export_case,
    "import": import_case,
}


def month_argument(value: str) -> dt.date:
    month = parse_month(value)
    if month is None:
        raise argparse.ArgumentTypeError(f"takes YYYY-MM, not {value!r}")
    return month


class Command(BaseCommand):
    help = (
        "Time the heavy code paths (the aggregation behind the situation report) on a synthetic "
        "dataset built in a transaction that is rolled back: the database is left untouched. "
        "Needs the seeds (load_seeds)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--case", action="append", choices=sorted(CASES), dest="cases",
            help="What to time; repeat for several (default: every case).",
        )
        parser.add_argument("--lines", type=int, default=100_000,
                            help="Synthetic activity lines to build (default: 100000).")
        parser.add_argument("--runs", type=int, default=7,
                            help="Timed runs of each measure, after one warm-up (default: 7).")
        parser.add_argument("--month", type=month_argument, default=dt.date(2023, 9, 1),
                            help="The month the figures are computed for, YYYY-MM; the "
                                 "synthetic data covers its whole year (default: 2023-09).")
        parser.add_argument("--seed", type=int, default=1,
                            help="Seed of the random generator, for a repeatable dataset.")
        parser.add_argument(
            "--no-analyze", action="store_false", dest="analyze",
            help="On PostgreSQL, time the queries on the planner statistics of the real tables, "
                 "which know nothing of the synthetic rows, instead of refreshing them first as "
                 "autovacuum does on a live database: how the figures fare right after a bulk "
                 "load, before autovacuum has run.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        if options["lines"] < 1 or options["runs"] < 1:
            raise CommandError("--lines and --runs must be at least 1.")
        cases = options["cases"] or sorted(CASES)
        using = options["database"]
        connection = connections[using]
        postgresql = connection.vendor == "postgresql"
        analyze = options["analyze"] and postgresql
        vacuum = postgresql and not connection.in_atomic_block
        check_ready(using)
        timings: list[Timing] = []
        try:
            with transaction.atomic(using=using):
                dataset = build_dataset(lines=options["lines"], month=options["month"],
                                        seed=options["seed"], using=using)
                if analyze:
                    refresh_statistics(connection)
                load = load_average()
                for case in cases:
                    for measure in CASES[case](dataset):
                        timings.append(time_measure(case, measure, options["runs"], connection))
                raise Rollback
        except Rollback:
            pass
        finally:
            if postgresql:
                # ANALYZE writes the table sizes it saw (synthetic rows included) in place,
                # outside the rolled-back transaction, and the rolled-back rows stay behind as
                # dead tuples: clean them up and measure the real tables again, or the planner
                # goes on planning for rows that are gone.
                refresh_statistics(connection, vacuum=vacuum)
        if postgresql:
            statistics_note = "{} after the build; {} after the rollback".format(
                "refreshed (ANALYZE)" if analyze else "not refreshed",
                "VACUUM ANALYZE" if vacuum else "ANALYZE",
            )
        else:
            statistics_note = "not refreshed"
        self.stdout.write(describe(connection, dataset, statistics_note, load))
        self.stdout.write(table(timings, options["runs"]))


def check_ready(using: str) -> None:
    """Refuse to run without the seeded reference data, or beside synthetic organisations."""
    try:
        seeded = (Sector.objects.using(using).top_level().exists()
                  and Indicator.objects.using(using).exists()
                  and Location.objects.using(using).departments().exists())
    except DatabaseError as error:
        raise CommandError(NOT_MIGRATED) from error
    if not seeded:
        raise CommandError(SEEDS_MISSING)
    if Organisation.objects.using(using).filter(acronym__startswith=PREFIX).exists():
        raise CommandError(SYNTHETIC_EXISTS.format(prefix=PREFIX))


def build_dataset(*, lines: int, month: dt.date, seed: int,
                  using: str = DEFAULT_DB_ALIAS) -> Dataset:
    """Create synthetic organisations, periods, reports and `lines` lines over the year of
    `month`; the caller rolls them back."""
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
    for number in range(1, 13):
        first = dt.date(year, number, 1)
        period, _ = ReportingPeriod.objects.using(using).get_or_create(
            month=first, defaults={"deadline": (first + dt.timedelta(days=40)).replace(day=10)}
        )
        periods.append(period)

    # One organisation files about a report per sector and month.
    reports_wanted = max(1, lines // LINES_PER_REPORT)
    average_sectors = sum(SECTORS_PER_ORGANISATION) / len(SECTORS_PER_ORGANISATION)
    organisation_count = max(1, round(reports_wanted / (12 * average_sectors)))
    types = [choice for choice in OrganisationType if choice != OrganisationType.DONOR]
    organisations = Organisation.objects.using(using).bulk_create([
        Organisation(acronym=f"{PREFIX}{n:03d}", name=f"Benchmark partner {n:03d}",
                     short_name=f"Benchmark {n:03d}", type=rng.choice(types), is_partner=True)
        for n in range(1, organisation_count + 1)
    ])

    reports: list[MonthlyReport] = []
    for organisation in organisations:
        own = rng.sample(sectors, min(len(sectors), rng.choice(SECTORS_PER_ORGANISATION)))
        spare = [sector for sector in sectors if sector not in own]
        for period in periods:
            for sector in own:
                status = weighted(rng, STATUS_WEIGHTS)
                reports.append(MonthlyReport(
                    organisation=organisation, sector=sector, period=period, status=status,
                    status_reason="Synthetic." if status in (
                        ReportStatus.RETURNED, ReportStatus.REOPENED) else "",
                ))
            if spare and rng.random() < NIL_SHARE:
                reports.append(MonthlyReport(
                    organisation=organisation, sector=rng.choice(spare), period=period,
                    status=ReportStatus.APPROVED, is_nil=True,
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
    return Dataset(month=month.replace(day=1), organisations=len(organisations), reports=len(reports),
                   lines=lines, other_lines=other_lines,
                   build_seconds=time.perf_counter() - started)


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
        girls=girls, boys=boys, women=women, men=men, other=0,
        new_beneficiaries=new, total_monthly=total, quantity=quantity,
        cash_usd=Decimal(total * 40) if modality in CASH_MODALITIES else None,
    )


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


SYNTHETIC_TABLES = (ActivityLine, MonthlyReport, ReportingPeriod, Organisation)


def refresh_statistics(connection, *, vacuum: bool = False) -> None:
    """Refresh PostgreSQL's statistics of the tables the benchmark fills (VACUUM cannot run in
    a transaction, so only outside one)."""
    command = "VACUUM ANALYZE" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for model in SYNTHETIC_TABLES:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def time_measure(case: str, measure: Measure, runs: int, connection) -> Timing:
    """Run `measure` once to warm up, counting its queries, then time `runs` runs."""
    with CaptureQueriesContext(connection) as queries:
        measure.run()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        measure.run()
        seconds.append(time.perf_counter() - started)
    return Timing(case, measure.label, len(queries.captured_queries), seconds)


def describe(connection, dataset: Dataset, statistics_note: str, load: str) -> str:
    version = ""
    if connection.vendor == "postgresql":
        version = " {}.{}".format(*divmod(connection.pg_version, 10000))
    elif connection.vendor == "sqlite":
        version = f" {sqlite3.sqlite_version}"
    return (
        f"Database: {connection.display_name}{version} ({connection.vendor})\n"
        f"Data: {dataset.lines:,} synthetic lines in {dataset.reports:,} reports of "
        f"{dataset.organisations} organisations over {dataset.month.year}, plus "
        f"{dataset.other_lines:,} lines already in the database; built in "
        f"{dataset.build_seconds:.1f} s, then rolled back\n"
        f"Planner statistics: {statistics_note}\n"
        f"Machine: {os.cpu_count()} CPUs, load average {load} before the timings\n"
        f"Month: {dataset.month:%Y-%m}"
    )


def load_average() -> str:
    try:
        return " ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:  # not available on this platform
        return "unknown"


def table(timings: list[Timing], runs: int) -> str:
    header = ("case", "measure", "queries", "median ms", "min ms", "max ms")
    rows = [
        (t.case, t.label, str(t.queries), f"{statistics.median(t.seconds) * 1000:.1f}",
         f"{min(t.seconds) * 1000:.1f}", f"{max(t.seconds) * 1000:.1f}")
        for t in timings
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    left = 2  # text columns are left-aligned, numbers right-aligned

    def render(row) -> str:
        return "  ".join(cell.ljust(w) if i < left else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([
        f"{runs} timed runs after one warm-up; queries counted on the warm-up run",
        render(header), "  ".join("-" * w for w in widths), *(render(row) for row in rows),
    ])
