"""The benchmark's report: the machine's load, the ratios between measures, and the table of
timings (`benchmark`), apart from the cases so that neither module grows past 600 lines."""

from __future__ import annotations

import os
import sqlite3
import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    case: str
    label: str
    queries: int
    seconds: list[float]


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


def progress(timing: Timing) -> str:
    """One measure as soon as it is timed: case, label, median and load."""
    return (f"[{timing.case}] {timing.label}: median "
            f"{statistics.median(timing.seconds) * 1000:.1f} ms over {len(timing.seconds)} "
            f"run(s), {timing.queries} queries (load {load_average()})")


def time_measure(case: str, measure, runs: int, connection) -> Timing:
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


def describe(connection, dataset, statistics_note: str, load: str) -> str:
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
