"""The cyclic garbage collector's policy in a server process.

Most of what a request allocates is freed by reference counting the moment it is dropped; the
cyclic collector is needed only for objects that point at each other. A server runs it rarely
(`tune_for_server`), which saves CPU on every page, but then garbage made of cycles waits for
the next full collection, many requests later. openpyxl's workbooks are such webs (each cell
points at its sheet, each sheet at its workbook and back), and a large one is hundreds of
megabytes: the views that build one free it on the way out (`frees_reference_cycles`).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

# With the default thresholds (700, 10, 10) the collector ran about 1,900 times over the pages
# of the load test's mix and took ~10 % of the CPU (tests/load/costs.py); with the first at
# 50,000 allocations it runs a few times and the process uses 8–10 % less CPU.
SERVER_THRESHOLDS = (50_000, 20, 100)


def tune_for_server() -> None:
    """Run the cyclic collector rarely, and never again over what start-up loaded.

    freeze() moves what start-up loaded (Django, the apps, the URL and template caches) out of
    the collector's sight, so no collection walks it again; with `--preload` the forked
    workers also keep sharing those pages with the master.
    """
    gc.freeze()
    gc.set_threshold(*SERVER_THRESHOLDS)


def frees_reference_cycles(function: F) -> F:
    """Wrap `function` so that the cycles it leaves behind are collected when it returns.

    A full collection walks only what is not frozen: tens of milliseconds after a workbook,
    nothing beside a page that takes seconds to build."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            gc.collect()

    return wrapper  # type: ignore[return-value]
