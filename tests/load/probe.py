"""A WSGI wrapper for diagnosis runs (`run.sh --probe`): what each request cost inside gunicorn.

gunicorn serves `tests.load.probe:application` instead of `gtrm.wsgi:application`. For every
request it appends to PROBE_DIR/probe-<pid>.csv: the endpoint (ids replaced by [id]), the status,
the wall time, the CPU time of the worker thread (Python, templates, psycopg), the time spent
waiting for PostgreSQL and the number of queries. The app itself is not changed; the wrapper
costs a few microseconds a query. Not for the measured runs: use it to find out why.
"""

from __future__ import annotations

import csv
import os
import re
import threading
import time

from django.db import connections

from gtrm.wsgi import application as django_application

PROBE_DIR = os.environ.get("PROBE_DIR", "/tmp")
IDS = re.compile(r"/\d+(?=/|$)")
MONTHS = re.compile(r"/\d{4}-\d{2}(?=/|$)")
_local = threading.local()
_files: dict[int, tuple] = {}
_lock = threading.Lock()


def endpoint(path: str) -> str:
    return IDS.sub("/[id]", MONTHS.sub("/[month]", path))


def _writer():
    pid = os.getpid()
    with _lock:
        if pid not in _files:
            handle = open(os.path.join(PROBE_DIR, f"probe-{pid}.csv"), "a", newline="")  # noqa: SIM115
            writer = csv.writer(handle)
            if handle.tell() == 0:
                writer.writerow(["t", "pid", "method", "endpoint", "status", "wall_ms", "cpu_ms",
                                 "db_ms", "queries"])
            _files[pid] = (handle, writer)
        return _files[pid]


def _count(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        stats = _local.stats
        stats[0] += 1
        stats[1] += time.perf_counter() - started


def application(environ, start_response):
    status_line = {}

    def remember(status, headers, exc_info=None):
        status_line["status"] = status.split(" ", 1)[0]
        return start_response(status, headers, exc_info)

    _local.stats = [0, 0.0]
    wall, cpu = time.perf_counter(), time.thread_time()
    with connections["default"].execute_wrapper(_count):
        result = django_application(environ, remember)
        try:
            body = list(result)  # the app's work is done once the body has been produced
        finally:
            if hasattr(result, "close"):
                result.close()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    queries, db = _local.stats
    handle, writer = _writer()
    with _lock:
        writer.writerow([f"{time.time():.3f}", os.getpid(), environ.get("REQUEST_METHOD"),
                         endpoint(environ.get("PATH_INFO", "")), status_line.get("status", ""),
                         f"{wall * 1000:.1f}", f"{cpu * 1000:.1f}", f"{db * 1000:.1f}", queries])
        handle.flush()
    return body
