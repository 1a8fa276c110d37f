#!/usr/bin/env python
"""Sample the machine during a load test: CPU per process group and PostgreSQL activity.

    monitor.py --gunicorn-pid PID --locust-pid PID --database gtrm_load --out monitor.csv \
               [--queries queries.csv] [--interval 2]

Every interval it writes one row: the load average, the whole machine's CPU use, and the CPU
(percent of one core) of the gunicorn master and workers, of the PostgreSQL backends serving
the load-test database, of the other PostgreSQL processes, of locust, and of everything else
(other people's work on a shared machine); then pg_stat_activity for the database: backends
active, idle in transaction, waiting on a lock. With --queries it also samples, every half
interval, the statement each active backend is running (a poor man's pg_stat_statements, which
needs a server restart to enable): the statements seen most often are where the database
spends its time. Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import signal
import time
from collections import Counter

import psutil
import psycopg

RUNNING = True


def stop(*_args) -> None:
    global RUNNING
    RUNNING = False


def group_of(proc: psutil.Process, gunicorn: set[int], locust: set[int], database: str) -> str:
    if proc.pid in gunicorn:
        return "gunicorn"
    if proc.pid in locust:
        return "locust"
    try:
        name = " ".join(proc.cmdline()) or proc.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "other"
    if name.startswith("postgres"):
        return "postgres (load db)" if f" {database} " in f"{name} " else "postgres (other)"
    return "other"


def family(pid: int | None) -> set[int]:
    if not pid:
        return set()
    try:
        proc = psutil.Process(pid)
        return {pid} | {child.pid for child in proc.children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


NORMALISE = re.compile(r"\b\d+\b|'[^']*'")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gunicorn-pid", type=int)
    parser.add_argument("--locust-pid", type=int)
    parser.add_argument("--database", default="gtrm_load")
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--out", required=True)
    parser.add_argument("--queries", default="")
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    groups = ("gunicorn", "postgres (load db)", "postgres (other)", "locust", "other")
    connection = psycopg.connect(args.dsn, autocommit=True)
    seen: Counter = Counter()
    samples = 0
    procs: dict[int, psutil.Process] = {}
    psutil.cpu_percent()
    with open(args.out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t", "load1", "cpu_total_pct", *[f"cpu_{g}" for g in groups],
                         "pg_active", "pg_idle_in_tx", "pg_waiting_lock", "pg_backends"])
        while RUNNING:
            deadline = time.time() + args.interval
            while RUNNING and time.time() < deadline:
                if args.queries:
                    rows = connection.execute(
                        "select query from pg_stat_activity where datname = %s and state = 'active'"
                        " and pid <> pg_backend_pid()", (args.database,)).fetchall()
                    for (query,) in rows:
                        seen[NORMALISE.sub("?", " ".join(query.split()))[:300]] += 1
                    samples += 1
                time.sleep(min(args.interval / 2, max(0.0, deadline - time.time())))
            gunicorn = family(args.gunicorn_pid)
            locust = family(args.locust_pid)
            usage = dict.fromkeys(groups, 0.0)
            for proc in psutil.process_iter():
                if proc.pid not in procs:
                    procs[proc.pid] = proc
                    with contextlib.suppress(psutil.Error):
                        proc.cpu_percent()
                    continue
                try:
                    pct = procs[proc.pid].cpu_percent()
                except psutil.Error:
                    continue
                usage[group_of(proc, gunicorn, locust, args.database)] += pct
            activity = connection.execute(
                "select count(*) filter (where state = 'active'),"
                " count(*) filter (where state like 'idle in transaction%%'),"
                " count(*) filter (where wait_event_type = 'Lock'), count(*)"
                " from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
                (args.database,)).fetchone()
            writer.writerow([f"{time.time():.1f}", f"{os.getloadavg()[0]:.2f}",
                             f"{psutil.cpu_percent():.1f}",
                             *[f"{usage[g]:.1f}" for g in groups], *activity])
            handle.flush()
    if args.queries:
        with open(args.queries, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["samples_active", "share_of_samples", "statement"])
            for query, n in seen.most_common(40):
                writer.writerow([n, f"{n / max(samples, 1):.3f}", query])


if __name__ == "__main__":
    main()
