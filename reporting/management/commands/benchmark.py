"""Time the platform's heavy paths on a synthetic dataset that is never saved.

The dataset — organisations BENCH-001…, `--years` years of monthly reports (five by default, to
the end of `--month`'s year) and `--lines` activity lines (a million by default) over every
sector, department, population type and modality — is built inside a transaction that is
rolled back once the timings are taken, so the database is left exactly as it was. The
dataset is built by reporting/demo/synthetic.py and the hostile files by reporting/demo/hostile.py:
this command holds the cases, the timing and the table.

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
from collections.abc import Callable
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Case, When

from partners.models import Organisation
from reporting.demo.hostile import padded_cells_workbook, padded_rows_workbook
from reporting.demo.synthetic import (
    PREFIX,
    Dataset,
    NotReady,
    activity_workbook,
    build_dataset,
    check_ready,
    refresh_statistics,
)
from reporting.models import (
    ActivityLine,
    MonthlyReport,
    ReportingPeriod,
    Sector,
    parse_month,
)
from reporting.numbers import aggregation

from ._benchmark_table import (
    Timing,
    describe,
    load_average,
    progress,
    ratios,
    table,
    time_measure,
)

# A request as the TLS-terminating proxy passes it on: production settings (DEBUG off) trust
# X-Forwarded-Proto only, and redirect anything else to HTTPS.
BEHIND_TLS_PROXY = {"secure": True, "headers": {"X-Forwarded-Proto": "https"}}


class Rollback(Exception):
    """Raised at the end of the benchmark so that nothing it built is ever committed."""


@dataclass(frozen=True)
class Measure:
    label: str
    run: Callable[[], object]


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
    WHERE m.month BETWEEN %s AND %s AND r.status = 'approved' AND i.type = 'direct'
          AND l.rmrp_activity
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

    client = Client(**BEHIND_TLS_PROXY)
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
    response sends it, in both layouts: for re-upload (the template's columns) and for people
    (the page's default: statuses, approval days and names beside the codes). Two untimed runs
    of the people's layout first measure memory, into the label: the process's resident memory
    sampled every 10 ms (its peak during the export against its size just before), then the
    peak of Python allocations (tracemalloc, which slows a run down)."""
    import resource
    import threading
    import tracemalloc

    from reporting.sheets import exports

    lines = ActivityLine.objects.all()
    megabyte = 1024 * 1024

    def run(layout: str = exports.PEOPLE) -> None:
        with open(os.devnull, "wb") as sink:
            for block in exports.lines_csv(lines, hxl=True, layout=layout):
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
    return [
        Measure(f"lines_csv({total:,} lines, HXL, for re-upload) to /dev/null",
                lambda: run(exports.UPLOAD)),
        Measure(
            f"lines_csv({total:,} lines, HXL, for people) to /dev/null; RSS "
            f"{before / megabyte:.0f} MB before, peak +{(peak[0] - before) / megabyte:.1f} MB; "
            f"tracemalloc peak {traced / megabyte:.1f} MB; ru_maxrss "
            f"{maxrss_before / 1024:.0f}->{maxrss_after / 1024:.0f} MB",
            run,
        ),
    ]


IMPORT_LINES = 10_000


def import_case(dataset: Dataset) -> list[Measure]:
    """Time the upload of a 10,000-line workbook: the synthetic lines of whole reports, written
    with openpyxl in memory as Excel would, then read (read_table), checked (plan_import, the
    preview) and saved (apply_import, the confirmation) by an IM officer loading them as
    approved, which replaces the same reports' lines on every run."""
    from partners.models import Role
    from reporting.sheets import planner, reading

    lines = (
        ActivityLine.objects.filter(report__organisation__acronym__startswith=PREFIX)
        .select_related("report__organisation", "report__sector", "report__period",
                        "indicator", "department", "location", "implementing_partner")
        .order_by("report_id", "pk")[:IMPORT_LINES]
    )
    data, count = activity_workbook(lines)
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


def api_lines_case(dataset: Dataset) -> list[Measure]:
    """Page through every line with the read API (lines/, limit 10,000, an IM officer's token,
    through the test client: authentication, throttling, filters, rendering), as JSON following
    `next` and as CSV by offset: to compare with the export case's CSV of the same lines."""
    from django.test import Client
    from django.test.utils import override_settings

    from partners.models import Role
    from partners.tokens import create_api_token

    override_settings(ALLOWED_HOSTS=["testserver"], API_THROTTLE_RATE="1000000/hour").enable()
    _token, key = create_api_token(user=_bench_user(Role.IM_OFFICER), name="benchmark")
    client = Client(secure=True, headers={"Authorization": f"Token {key}",
                                          **BEHIND_TLS_PROXY["headers"]})
    total = ActivityLine.objects.count()
    limit = 10_000

    def json_pages() -> None:
        url, seen = f"/api/v1/lines/?limit={limit}", 0
        while url:
            page = client.get(url).json()
            seen += len(page["results"])
            url = page["next"]
        assert seen == total, (seen, total)

    def csv_pages() -> None:
        seen = 0
        for offset in range(0, total, limit):
            response = client.get(f"/api/v1/lines/?limit={limit}&offset={offset}&format=csv")
            seen += response.content.count(b"\r\n") - 1
        assert seen == total, (seen, total)

    return [
        Measure(f"API lines/ as JSON, {total:,} lines in pages of {limit:,} (IM token)",
                json_pages),
        Measure(f"API lines/ as CSV, {total:,} lines in pages of {limit:,} (IM token)",
                csv_pages),
    ]


def api_lines_csv_case(dataset: Dataset) -> list[Measure]:
    """The CSV half of api-lines alone: at a million lines the JSON pages (decoded by the client)
    take several times as long, and the CSV is what the issue compares with the export."""
    return [measure for measure in api_lines_case(dataset) if "as CSV" in measure.label]


def regional_case(dataset: Dataset) -> list[Measure]:
    """Time the regional 5W of the dataset's last year (January to December, approved lines)
    as CSV and as XLSX (with its check sheet) to a temporary file; the labels carry the lines
    and the peak of Python allocations of one untimed run of each."""
    import tempfile

    from reporting.regional import export as regional

    year = dataset.month.year
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 1)
    lines = regional.export_lines(first, last).count()

    def as_csv() -> None:
        with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
            regional.write_csv(out, first, last)

    def as_xlsx() -> None:
        with tempfile.TemporaryFile() as out:
            regional.write_xlsx(out, first, last)

    def discarded() -> None:
        with open(os.devnull, "w", encoding="utf-8") as sink:
            regional.write_csv(sink, first, last)

    memory, xlsx_memory = _memory_note(discarded), _memory_note(as_xlsx)
    return [
        Measure(f"regional 5W {year}, CSV, {lines:,} approved lines ({memory})", as_csv),
        Measure(f"regional 5W {year}, XLSX with the check sheet, {lines:,} approved lines "
                f"({xlsx_memory})", as_xlsx),
    ]


CASES: dict[str, Callable[[Dataset], list[Measure]]] = {
    "api-lines": api_lines_case,
    "api-lines-csv": api_lines_csv_case,
    "aggregation": aggregation_case,
    "floor": floor_case,
    "sitrep": sitrep_case,
    "pages": pages_case,
    "import": import_case,
    "export": export_case,
    "regional-5w": regional_case,
    "hostile": hostile_case,
}
# The order cases run in by default: the quick reads first, the export (which reads every line)
# last. The hostile files need no dataset and take minutes: only when asked for.
ORDER = [case for case in CASES if case not in ("hostile", "api-lines-csv")]


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
        try:
            check_ready(using)
        except NotReady as error:
            raise CommandError(str(error)) from error
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
                        timing = time_measure(case, measure, options["runs"], connection)
                        timings.append(timing)
                        # As each is timed, on stderr: a long run stopped or failing later
                        # keeps the figures it has.
                        self.stderr.write(progress(timing))
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
