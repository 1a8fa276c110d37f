"""Time the platform's heavy paths on a synthetic dataset that is never saved.

The dataset — organisations BENCH-001…, `--years` years of monthly reports (five by default, to
the end of `--month`'s year) and `--lines` activity lines (a million by default) over every
sector, department, population type and modality — is built inside a transaction that is
rolled back once the timings are taken, so the database is left exactly as it was.

Pages are timed through Django's test client (middleware, view, template; no network), signed
in as the role that opens them, which is the server time of a request.

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
from django.db.models import Case, When

from partners.models import Organisation, OrganisationType
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
from reporting.numbers import aggregation

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
    month: dt.date  # the month the figures are computed for; the data ends with its year
    first_year: int
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


# The floor: what the month's figures cost read straight from the lines with one hand-written
# query each for the month and for the year to date — sector and sub-sector sums, people
# assisted (Σ over cells of the largest sector) and CBI (the same over cash and voucher lines).
FLOOR_SQL = """
WITH l AS (
    SELECT r.sector_id AS s, i.sector_id AS si, sub.parent_id IS NOT NULL AS is_sub,
           l.department_id AS d, l.population_type AS p, l.modality IN ('cash', 'voucher') AS c,
           l.{value} AS v
    FROM reporting_activityline l
    JOIN reporting_monthlyreport r ON r.id = l.report_id
    JOIN reporting_reportingperiod m ON m.id = r.period_id
    JOIN reporting_indicator i ON i.id = l.indicator_id
    JOIN reporting_sector sub ON sub.id = i.sector_id
    WHERE m.month BETWEEN %s AND %s AND r.status = 'approved' AND i.counts_people
),
cells AS (
    SELECT d, p, s, SUM(v) AS v, COALESCE(SUM(v) FILTER (WHERE c), 0) AS cv
    FROM l GROUP BY d, p, s
)
SELECT 'sector', s, SUM(v) FROM cells GROUP BY s
UNION ALL SELECT 'subsector', si, SUM(v) FROM l WHERE is_sub GROUP BY si
UNION ALL SELECT 'people', NULL, SUM(top) FROM (SELECT MAX(v) AS top FROM cells GROUP BY d, p) x
UNION ALL SELECT 'cbi', NULL, SUM(top) FROM (SELECT MAX(cv) AS top FROM cells GROUP BY d, p) x
"""


# The same query over the counted totals the figures read (reporting/numbers/totals.py): the floor for
# month_figures on its own data, which shows what the ORM and Python add.
FLOOR_TOTALS_SQL = """
WITH l AS (
    SELECT t.sector_id AS s, t.indicator_sector_id AS si, sub.parent_id IS NOT NULL AS is_sub,
           t.department_id AS d, t.population_type AS p, t.cash AS c, t.{value} AS v
    FROM reporting_countedtotal t
    JOIN reporting_reportingperiod m ON m.id = t.period_id
    JOIN reporting_sector sub ON sub.id = t.indicator_sector_id
    WHERE m.month BETWEEN %s AND %s
),
""" + FLOOR_SQL.split("),\n", 1)[1]


def floor_figures(month: dt.date, *, ytd: bool, totals: bool = False) -> dict:
    start = month.replace(month=1) if ytd else month
    sql = (FLOOR_TOTALS_SQL if totals else FLOOR_SQL).format(
        value="new_beneficiaries" if ytd else "total_monthly")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, [start, month])
        rows = cursor.fetchall()
    return {(kind, key): int(value or 0) for kind, key, value in rows if value}


def floor_case(dataset: Dataset) -> list[Measure]:
    """The hand-written queries, checked against month_figures so the floor is the same work."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []  # FILTER and the planner it is written for are PostgreSQL's
    month, label = dataset.month, dataset.month.strftime("%Y-%m")
    figures = aggregation.month_figures(month)
    sectors = dict(Sector.objects.values_list("code", "pk"))
    for scope, totals in (("month", False), ("ytd", False), ("month", True), ("ytd", True)):
        floor = floor_figures(month, ytd=scope == "ytd", totals=totals)
        expected = {("people", None): getattr(figures, f"people_assisted_{scope}"),
                    ("cbi", None): getattr(figures, f"cbi_{scope}")}
        for kind, items in (("sector", figures.sectors), ("subsector", figures.subsectors)):
            expected.update({(kind, sectors[f.code]): getattr(f, scope) for f in items})
        expected = {key: value for key, value in expected.items() if value}
        if floor != expected:
            raise CommandError(f"The hand-written {scope} query disagrees with month_figures: "
                               f"{sorted(set(floor.items()) ^ set(expected.items()), key=str)}")
    return [
        Measure(f"hand-written SQL, month ({label})", lambda: floor_figures(month, ytd=False)),
        Measure(f"hand-written SQL, year to date ({label})",
                lambda: floor_figures(month, ytd=True)),
        Measure(f"hand-written SQL, month + year to date ({label})",
                lambda: (floor_figures(month, ytd=False), floor_figures(month, ytd=True))),
        Measure(f"hand-written SQL on the counted totals, month + year to date ({label})",
                lambda: (floor_figures(month, ytd=False, totals=True),
                         floor_figures(month, ytd=True, totals=True))),
    ]


def sitrep_case(dataset: Dataset) -> list[Measure]:
    """The situation report's JSON (DESIGN §5), as `situation_report --format json` and the
    public JSON of an edition build it: figures, key figures, narratives, partners."""
    import json

    from reporting.numbers import sitrep

    period = ReportingPeriod.objects.get(month=dataset.month)

    def run() -> str:
        return json.dumps(sitrep.as_contract_json(sitrep.build_report(period), "es"))

    return [Measure(f"situation report JSON ({dataset.month:%Y-%m})", run)]


def _page(path: str, user) -> Callable[[], object]:
    from django.test import Client

    client = Client(secure=True)
    client.force_login(user)

    def run() -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise CommandError(f"GET {path} answered {response.status_code}.")
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return run


def _bench_user(role: str, organisation: Organisation | None = None):
    import uuid

    from partners.models import User

    return User.objects.create(
        username=f"{PREFIX.lower()}{role}-{uuid.uuid4().hex[:8]}", role=role, is_staff=role in (
            "coordinator", "im_officer"), organisation=organisation)


def pages_case(dataset: Dataset) -> list[Measure]:
    """The pages of the targets, signed in as who opens them: the dashboard (IM officer), a
    partner's report page (its reporter), the admin changelists of reports and of lines (IM
    officer, unfiltered, the largest lists there are)."""
    from django.test.utils import override_settings

    from partners.models import Role

    # The test client's requests name the host "testserver"; this process serves nobody else.
    override_settings(ALLOWED_HOSTS=["testserver"]).enable()
    month = f"{dataset.month:%Y-%m}"
    im = _bench_user(Role.IM_OFFICER)
    # A report of the month with lines, else (on a small dataset) the latest report with lines.
    report = (MonthlyReport.objects.filter(organisation__acronym__startswith=PREFIX,
                                           lines__isnull=False)
              .order_by(Case(When(period__month=dataset.month, then=0), default=1),
                        "-period__month", "pk").first())
    reporter = _bench_user(Role.REPORTER, report.organisation)
    lines = report.lines.count()
    return [
        Measure(f"dashboard ({month}, IM officer)", _page(f"/dashboard/?period={month}", im)),
        Measure(f"partner's report page ({lines} lines, reporter)",
                _page(f"/reports/{report.pk}/", reporter)),
        Measure("admin changelist of reports (IM officer)",
                _page("/admin/reporting/monthlyreport/", im)),
        Measure("admin changelist of lines (IM officer)",
                _page("/admin/reporting/activityline/", im)),
        Measure(f"admin changelist of lines, filtered to {month} (IM officer)",
                _page(f"/admin/reporting/activityline/?period={month}", im)),
    ]


def export_case(dataset: Dataset) -> list[Measure]:
    """Time the CSV export of every line (HXL row included) to /dev/null, encoded as the
    response sends it. Two untimed runs first measure memory, into the label: the process's
    resident memory sampled every 10 ms (its peak during the export against its size just
    before), then the peak of Python allocations (tracemalloc, which slows a run down)."""
    import resource
    import threading
    import tracemalloc

    from reporting.sheets import exports

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

    from openpyxl import Workbook

    from partners.models import Role
    from reporting.sheets import planner, reading
    from reporting.sheets.columns import COLUMNS, HEADERS, HXL_TAGS

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
    user = _bench_user(Role.IM_OFFICER)

    def read() -> reading.Table:
        return reading.read_table(data, "benchmark.xlsx")

    def plan() -> None:
        checked = planner.plan_import(read(), user=user, as_approved=True)
        if not checked.ok:
            raise CommandError(planner.errors_as_text(checked.errors[:10]))

    def apply() -> None:
        planner.apply_import(read(), user=user, as_approved=True, filename="benchmark.xlsx")

    label = f"{count:,} lines, {len(data) / 1024 / 1024:.1f} MB XLSX"
    return [
        Measure(f"read_table({label})", read),
        Measure(f"read_table + plan_import({label})", plan),
        Measure(f"read_table + apply_import({label}, as approved)", apply),
    ]


# Hostile workbooks ----------------------------------------------------------------------------
# Files under the upload's 10 MB cap that unpack to a workbook far larger than any activity
# file: what a hostile partner account would upload to exhaust a worker (issue 11). The tests
# use them too, at full size, to show they are refused before anything is parsed.

SHEET_OPEN = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def _activity_workbook() -> bytes:
    """Return a small valid activity workbook (one line of HIAS) with a second sheet, "Other",
    and a second cell format (bold), so that `s="1"` names a real one."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from reporting.sheets.columns import COLUMNS, HEADERS

    values = {"month": "2023-09", "organisation": "HIAS", "sector": "PRO",
              "indicator": "PRO-01", "department": "15", "population_type": "destination",
              "modality": "service", "girls": 1, "boys": 1, "women": 1, "men": 1, "other": 0,
              "new_beneficiaries": 4, "total_monthly": 4, "description": "Talleres"}
    book = Workbook()
    sheet = book.active
    sheet.title = "Activities"
    sheet.append(list(HEADERS))
    sheet.append([values.get(column.field) for column in COLUMNS])
    sheet["A1"].font = Font(bold=True)
    book.create_sheet("Other")["A1"] = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_part(data: bytes, path: str, write: Callable) -> bytes:
    """Return the zip `data` with the part at `path` written anew, chunk by chunk, by `write`."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == path:
                with target.open(path, "w", force_zip64=True) as member:
                    write(member, source.read(path))
            else:
                target.writestr(info, source.read(info.filename))
    return buffer.getvalue()


def padded_cells_workbook(*, rows: int = 2000, columns: int = 2000) -> bytes:
    """Return an activity workbook whose second sheet holds rows × columns empty cells with a
    format (`<c r="A1" s="1"/>`): four million by default, in about 8 MB."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(index).encode() for index in range(1, columns + 1)]

    def write(member, _old: bytes) -> None:
        member.write(SHEET_OPEN + b"<sheetData>")
        for number in range(1, rows + 1):
            row = str(number).encode()
            member.write(b'<row r="' + row + b'">'
                         + b"".join(b'<c r="' + letter + row + b'" s="1"/>' for letter in letters)
                         + b"</row>")
        member.write(b"</sheetData></worksheet>")

    return _with_part(_activity_workbook(), "xl/worksheets/sheet2.xml", write)


def padded_rows_workbook(*, rows: int = 1_000_000) -> bytes:
    """Return an activity workbook whose data sheet goes on, below its line, with `rows` empty
    rows that have a format, while its <dimension> says A1:T3: a million by default, in about
    2.5 MB."""
    import re

    def write(member, old: bytes) -> None:
        head, _closing, tail = old.partition(b"</sheetData>")
        member.write(re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:T3"/>', head))
        for start in range(3, rows + 3, 10_000):
            member.write(b"".join(b'<row r="%d" s="1" customFormat="1"/>' % number
                                  for number in range(start, min(start + 10_000, rows + 3))))
        member.write(b"</sheetData>" + tail)

    return _with_part(_activity_workbook(), "xl/worksheets/sheet1.xml", write)


def _memory_note(run: Callable[[], object]) -> str:
    """Return the peak of Python allocations while `run` runs once (tracemalloc, untimed)."""
    import tracemalloc

    tracemalloc.start()
    try:
        run()
        return f"peak {tracemalloc.get_traced_memory()[1] / 1024 / 1024:.0f} MB"
    finally:
        tracemalloc.stop()


def hostile_case(dataset: Dataset) -> list[Measure]:
    """Time what the worst files a partner may upload cost a worker (issue 11): the two hostile
    workbooks refused at upload, and the marked copy of the largest workbook an upload takes
    (IMPORT_MAX_ROWS rows, every one with an error) and of the largest loaded whole. Each
    label carries the peak of Python allocations of one untimed run."""
    import io

    from django.conf import settings
    from openpyxl import Workbook

    from reporting.sheets import marked_copy, reading
    from reporting.sheets.columns import HEADERS
    from reporting.sheets.planner import RowError

    def refused(data: bytes) -> Callable[[], None]:
        def run() -> None:
            try:
                reading.read_table(data, "hostile.xlsx")
            except reading.FileRejected:
                return
            raise CommandError("A hostile workbook was read instead of refused.")
        return run

    def marked(rows: int) -> tuple[str, Callable[[], bytes]]:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Activities")
        sheet.append(HEADERS)
        for number in range(rows):
            sheet.append(["2023-09", "HIAS", None, "PRO", "PRO-01", "99", None, None,
                          "destination", "service", 1, 1, 1, 1, 0, 4, 4, None, None,
                          f"Actividad {number}"])
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
        table = reading.read_table(data, "large.xlsx")
        errors = [RowError(row=row.number, field="department", column="Department", value="99",
                           message="“99” is not a department of Peru.") for row in table.rows]
        how = "loaded whole" if marked_copy.loads_whole(table.extent) else "values copied"
        return (f"{rows:,} rows, {len(errors):,} errors, {how}",
                lambda: marked_copy.mark_errors(data, "large.xlsx", table, errors))

    cells, rows = padded_cells_workbook(), padded_rows_workbook()
    measures = [
        (f"refuse 4,000,000 formatted empty cells ({len(cells) / 1024 / 1024:.1f} MB)",
         refused(cells)),
        (f"refuse 1,000,000 formatted empty rows ({len(rows) / 1024 / 1024:.1f} MB)",
         refused(rows)),
    ]
    whole = marked_copy.FULL_LOAD_MAX_CELLS // (len(HEADERS) + 1) - 10
    for size in sorted({min(whole, settings.IMPORT_MAX_ROWS), settings.IMPORT_MAX_ROWS}):
        label, run = marked(size)
        measures.append((f"marked copy: {label}", run))
    return [Measure(f"{label}; {_memory_note(run)}", run) for label, run in measures]


CASES: dict[str, Callable[[Dataset], list[Measure]]] = {
    "aggregation": aggregation_case,
    "floor": floor_case,
    "sitrep": sitrep_case,
    "pages": pages_case,
    "import": import_case,
    "export": export_case,
    "hostile": hostile_case,
}
# The order cases run in by default: the quick reads first, the export (which reads every line)
# last. The hostile files need no dataset and take minutes: only when asked for.
ORDER = [case for case in CASES if case != "hostile"]


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
            help="What to time; repeat for several (default: every case but hostile).",
        )
        parser.add_argument("--lines", type=int, default=1_000_000,
                            help="Synthetic activity lines to build (default: 1000000).")
        parser.add_argument("--years", type=int, default=5,
                            help="Years of monthly reports the lines spread over, ending with "
                                 "--month's year (default: 5).")
        parser.add_argument("--runs", type=int, default=7,
                            help="Timed runs of each measure, after one warm-up (default: 7).")
        parser.add_argument("--month", type=month_argument, default=dt.date(2023, 9, 1),
                            help="The month the figures are computed for, YYYY-MM; the "
                                 "synthetic data ends with its year (default: 2023-09).")
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
        if options["lines"] < 1 or options["runs"] < 1 or options["years"] < 1:
            raise CommandError("--lines, --years and --runs must be at least 1.")
        cases = options["cases"] or ORDER
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
                                        years=options["years"], seed=options["seed"],
                                        using=using)
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
        self.stdout.write(ratios(timings))


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
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    # An execute wrapper rather than CaptureQueriesContext, whose log a page request resets.
    with connection.execute_wrapper(counter):
        measure.run()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        measure.run()
        seconds.append(time.perf_counter() - started)
    return Timing(case, measure.label, count[0], seconds)


def describe(connection, dataset: Dataset, statistics_note: str, load: str) -> str:
    version = ""
    if connection.vendor == "postgresql":
        version = " {}.{}".format(*divmod(connection.pg_version, 10000))
    elif connection.vendor == "sqlite":
        version = f" {sqlite3.sqlite_version}"
    return (
        f"Database: {connection.display_name}{version} ({connection.vendor})\n"
        f"Data: {dataset.lines:,} synthetic lines in {dataset.reports:,} reports of "
        f"{dataset.organisations} organisations over {dataset.first_year}–{dataset.month.year}, "
        f"plus "
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


def ratios(timings: list[Timing]) -> str:
    """Each aggregation's median against the hand-written floors' (month + year to date), on
    the lines and on the counted totals."""
    medians = {t.label: statistics.median(t.seconds) for t in timings}
    lines = []
    for name, prefix in (("on the lines", "hand-written SQL, month + year to date"),
                         ("on the counted totals", "hand-written SQL on the counted totals")):
        floor = next((m for label, m in medians.items() if label.startswith(prefix)), None)
        if not floor:
            continue
        lines += ["", f"Against the hand-written query {name} (month + year to date, "
                      f"{floor * 1000:.1f} ms):"]
        for label, median in medians.items():
            if label.startswith(("month_figures", "situation report JSON", "dashboard")):
                lines.append(f"  {label}: {median / floor:.2f}×")
    return "\n".join(lines)


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
