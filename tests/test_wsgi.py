"""The WSGI module gunicorn loads: the application, and the collector tuned for a server,
which must not keep a large workbook's memory after the request that built it."""

from __future__ import annotations

import gc
import importlib
import io

import pytest
from openpyxl import Workbook
from openpyxl.cell.cell import Cell

from gtrm import garbage
from reporting.sheets import marked_copy, reading
from reporting.sheets.columns import HEADERS


@pytest.fixture
def server_collector():
    """The collector as gtrm/wsgi.py leaves it in a gunicorn worker, for one test."""
    before = gc.get_threshold()
    gc.collect()
    garbage.tune_for_server()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_wsgi_module_serves_the_app_and_tunes_the_collector(server_collector):
    import gtrm.wsgi

    importlib.reload(gtrm.wsgi)
    assert callable(gtrm.wsgi.application)
    assert gc.get_threshold() == (50_000, 20, 100)
    assert gc.get_freeze_count() > 0


def cells_alive() -> int:
    return sum(1 for thing in gc.get_objects() if type(thing) is Cell)


def workbook_with_errors(rows: int = 400) -> tuple[bytes, reading.Table, list]:
    book = Workbook()
    sheet = book.active
    sheet.title = "Activities"
    sheet.append(list(HEADERS))
    for number in range(rows):
        sheet.append(["2023-09", "HIAS", None, "PRO", "PRO-01", "99", None, None, "destination",
                      "service", 1, 1, 1, 1, 0, 4, 4, None, None, f"Actividad {number}"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    del book, sheet
    table = reading.read_table(data, "a.xlsx")
    errors = [spreadsheets_error(row.number) for row in table.rows]
    return data, table, errors


def spreadsheets_error(number: int):
    from reporting.sheets.planner import RowError

    return RowError(row=number, field="department", column="Department", value="99",
                    message="“99” is not a department of Peru.")


def test_a_marked_copy_leaves_no_cell_behind_in_a_server_process(server_collector):
    data, table, errors = workbook_with_errors()
    gc.collect()
    assert marked_copy.loads_whole(table.extent)

    marked_copy.mark_errors(data, "a.xlsx", table, errors)
    marked_copy.mark_errors(data, "a.xlsx", table, errors)

    # Without the collection on the way out, each copy's 8,000 cells would wait, in their
    # web of cycles, for a full collection that a server process runs only now and then.
    assert cells_alive() == 0
