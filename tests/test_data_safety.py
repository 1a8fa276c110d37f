"""No data lost: people acting on the same report at the same moment, and uploads cut off halfway.

The races run on PostgreSQL with real connections: each person is a thread with its own
database connection and its own browser (a test client), going through the same views
coordinators and partners use. To make a race certain rather than lucky, the test holds the
report's row lock while the people start, and lets go only once PostgreSQL shows every one of
them waiting for a lock: by then each has read the report as it was before anyone acted. They
are let in in the order they started, so the test knows who wins.

The uploads cut off halfway run on both databases: a failure injected into the SQL the upload
sends (as a lost connection would make it fail), a connection killed by the server, and a
request body that stops in the middle of the file. (The injected failures run inside the
test's transaction, where the upload's own transaction is a savepoint: what it wrote is undone
the same way, and anything written outside it would still show.)
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import NamedTuple

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from reporting import workflow
from reporting.models import (
    ActivityLine,
    ImportBatch,
    ImportStatus,
    Indicator,
    LineChange,
    MonthlyReport,
    ReportStatus,
    Sector,
)
from reporting.sheets import planner
from reporting.sheets.columns import COLUMNS, HEADERS

from .factories import LineFactory

S = ReportStatus
CHANGELIST = "/admin/reporting/monthlyreport/"
CHANGED_BY_SOMEONE_ELSE = "This report changed while you were looking at it: "
CHANGED_BY_YOU = "You have already acted on this report, perhaps in another tab: "

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs connections writing at once, row locks and a server to end a connection; "
    "SQLite lets one writer at a time into the whole file, so there is no race to test",
)
# The races need committed data that other connections can see.
real_transactions = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def seeds(request):
    """A transactional test starts from an empty database (the first one flushes the session's
    seeds when it ends), so load the reference data again when it is missing."""
    request.getfixturevalue("db")
    if not Sector.objects.exists():
        call_command("load_seeds", stdout=io.StringIO())


# People acting side by side ---------------------------------------------------------------


class Person(threading.Thread):
    """One person at their browser: a thread, so a database connection of their own."""

    def __init__(self, act: Callable):
        super().__init__(daemon=True)
        self.act = act
        self.result = None
        self.error: BaseException | None = None
        self.backend_pid: int | None = None
        self.connected = threading.Event()

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend_pid = cursor.fetchone()[0]
            self.connected.set()
            self.result = self.act()
        except BaseException as error:  # the test reports it
            self.error = error
        finally:
            self.connected.set()
            connections.close_all()

    def finish(self, timeout: float = 30):
        self.join(timeout)
        assert not self.is_alive(), f"still running after {timeout} s"
        if self.error is not None:
            raise self.error
        return self.result


def waiting(people: list[Person]) -> int:
    """Return how many of `people` are waiting for a lock in PostgreSQL now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)",
            [[person.backend_pid for person in people]],
        )
        return cursor.fetchone()[0]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def start_waiting(person: Person, others: list[Person] = ()) -> None:
    """Start `person` and return once they wait for a lock (as `others` already do)."""
    person.start()
    assert person.connected.wait(10) and person.backend_pid, "could not connect"
    everyone = [*others, person]
    wait_until(lambda: waiting(everyone) == len(everyone), "every request waits for its lock")


def race(report: MonthlyReport, *acts: Callable) -> list:
    """Run `acts` at once on `report`: each reads the report as it is now, then they are let
    through its lock one by one in the order given. Return what each act returned."""
    people = [Person(act) for act in acts]
    with transaction.atomic():
        MonthlyReport.objects.select_for_update().filter(pk=report.pk).values_list("pk").get()
        for number, person in enumerate(people):
            start_waiting(person, people[:number])
    return [person.finish() for person in people]


def browser(user, **options) -> Client:
    client = Client(raise_request_exception=False, **options)
    client.force_login(user)
    return client


class Answer(NamedTuple):
    code: int
    messages: list[str]  # what the next page shows
    location: str  # where the browser goes next


def post(client: Client, url: str, data: dict | None = None) -> Answer:
    """POST as a browser would."""
    response = client.post(url, data or {})
    return Answer(response.status_code,
                  [str(message) for message in get_messages(response.wsgi_request)],
                  response.get("Location", ""))


def review(client: Client, report: MonthlyReport, action: str, reason: str = ""):
    """Press a review button on the report's admin page."""
    return lambda: post(client, f"{CHANGELIST}{report.pk}/review/",
                        {"action": action, "reason": reason})


def bulk(client: Client, report: MonthlyReport, action: str, reason: str = ""):
    """Tick the report in the admin's review queue and apply an action to it."""
    data = {"action": f"{action}_selected", "_selected_action": [report.pk]}
    if reason:
        data.update(apply="1", reason=reason)
    return lambda: post(client, CHANGELIST, data)


def partner(client: Client, report: MonthlyReport, action: str):
    """Press a workflow button on the report's page (submit, withdraw)."""
    return lambda: post(client, f"/reports/{report.pk}/{action}/")


def events(report: MonthlyReport) -> list[tuple[str, str]]:
    return list(report.events.order_by("at", "pk").values_list("action", "by__username"))


# 1. Two coordinators review the same report at once ----------------------------------------


@pytest.fixture
def submitted(report, line, alice):
    return workflow.submit_report(report=report, by=alice)


REVIEW_PATHS = {"review buttons": review, "bulk actions": bulk}
SUCCESS = {"review buttons": "{report} is now {done}.", "bulk actions": "{Done} 1 report."}
REASON = "Revisen las cifras de Tumbes."


@postgres_only
@real_transactions
@pytest.mark.parametrize("path", list(REVIEW_PATHS))
@pytest.mark.parametrize("first", ["approve", "return"])
def test_approve_and_return_at_once_one_wins_and_the_other_is_told_who(
    path, first, submitted, paula, ivan
):
    press = REVIEW_PATHS[path]
    paula_approves = press(browser(paula), submitted, "approve")
    ivan_returns = press(browser(ivan), submitted, "return", REASON)
    acts = [paula_approves, ivan_returns] if first == "approve" else [ivan_returns, paula_approves]
    won, lost = race(submitted, *acts)

    assert (won.code, lost.code) == (302, 302)  # no error page for either
    winner, done = (paula, "approved") if first == "approve" else (ivan, "returned")
    assert won.messages == [SUCCESS[path].format(report=submitted, done=done,
                                                 Done=done.capitalize())]
    [refusal] = lost.messages
    assert CHANGED_BY_SOMEONE_ELSE in refusal
    assert f": {winner.get_full_name()} {done} on " in refusal
    assert f"it is now {done}" in refusal and "Nothing was changed" in refusal

    submitted.refresh_from_db()
    reviews = [event for event in events(submitted) if event[0] != "submit"]
    if first == "approve":
        assert submitted.status == S.APPROVED
        assert reviews == [("approve", "paula")]
        # Nothing of the losing return stuck to the report.
        assert (submitted.status_reason, submitted.reviewed_by) == ("", paula)
    else:
        assert submitted.status == S.RETURNED
        assert reviews == [("return", "ivan")]
        assert (submitted.status_reason, submitted.reviewed_by) == (REASON, ivan)


@postgres_only
@real_transactions
@pytest.mark.parametrize("path", list(REVIEW_PATHS))
def test_two_coordinators_approving_at_once_approve_once(path, submitted, paula, ivan):
    press = REVIEW_PATHS[path]
    won, lost = race(
        submitted, press(browser(paula), submitted, "approve"),
        press(browser(ivan), submitted, "approve"),
    )
    assert (won.code, lost.code) == (302, 302)
    assert won.messages == [SUCCESS[path].format(report=submitted, done="approved",
                                                 Done="Approved")]
    [refusal] = lost.messages
    assert CHANGED_BY_SOMEONE_ELSE in refusal
    assert f"{paula.get_full_name()} approved on" in refusal
    assert "you cannot approve it" in refusal
    submitted.refresh_from_db()
    assert (submitted.status, submitted.reviewed_by) == (S.APPROVED, paula)
    assert events(submitted) == [("submit", "alice"), ("approve", "paula")]


def test_a_review_refused_later_still_says_who_acted_first(client, submitted, paula, ivan):
    """The usual race is slower than a click: Ivan opened the report, Paula approved it a few
    minutes later, and then Ivan pressed Return on the page he still had open."""
    workflow.approve_report(report=submitted, by=paula)
    client.force_login(ivan)
    response = client.post(f"{CHANGELIST}{submitted.pk}/review/",
                           {"action": "return", "reason": REASON}, follow=True)
    [refusal] = [str(message) for message in response.context["messages"]]
    assert refusal.startswith(CHANGED_BY_SOMEONE_ELSE)
    assert f"{paula.get_full_name()} approved on" in refusal
    assert "so it is now approved and you cannot return it" in refusal
    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_reason) == (S.APPROVED, "")


# The partner's side --------------------------------------------------------------------------


@postgres_only
@real_transactions
@pytest.mark.parametrize("first", ["withdraw", "approve"])
def test_a_partner_withdrawing_while_a_coordinator_approves(first, submitted, alice, paula):
    alice_withdraws = partner(browser(alice), submitted, "withdraw")
    paula_approves = review(browser(paula), submitted, "approve")
    acts = [alice_withdraws, paula_approves] if first == "withdraw" else [paula_approves,
                                                                           alice_withdraws]
    results = dict(zip([first, "approve" if first == "withdraw" else "withdraw"],
                       race(submitted, *acts), strict=True))
    submitted.refresh_from_db()
    if first == "withdraw":
        # Back with the partner; the coordinator is told, on a page they may see (the
        # report's own page is a 404 to them now).
        assert submitted.status == S.DRAFT
        lost = results["approve"]
        [refusal] = lost.messages
        assert CHANGED_BY_SOMEONE_ELSE in refusal
        assert f"{alice.get_full_name()} withdrew the submission on" in refusal
        assert "you cannot approve it" in refusal
        assert events(submitted) == [("submit", "alice"), ("withdraw", "alice")]
        assert browser(paula).get(lost.location).status_code == 200
    else:
        assert submitted.status == S.APPROVED
        lost = results["withdraw"]
        [refusal] = lost.messages
        assert CHANGED_BY_SOMEONE_ELSE in refusal
        assert f"{paula.get_full_name()} approved on" in refusal
        assert "you cannot withdraw it" in refusal
        assert events(submitted) == [("submit", "alice"), ("approve", "paula")]
        assert lost.location == f"/reports/{submitted.pk}/"
    assert lost.code == 302


@pytest.mark.parametrize("path", list(REVIEW_PATHS))
def test_a_coordinator_pressing_approve_after_the_partner_withdrew_is_told_so(
    path, client, submitted, alice, paula
):
    """A withdrawn report is a draft again, which coordinators do not see: the button on the
    page Paula still has open, or the queue she ticked it in, must neither end on a 404 page
    nor do nothing without a word."""
    workflow.withdraw_report(report=submitted, by=alice)
    client.force_login(paula)
    if path == "review buttons":
        response = client.post(f"{CHANGELIST}{submitted.pk}/review/", {"action": "approve"},
                               follow=True)
    else:
        response = client.post(CHANGELIST, {"action": "approve_selected",
                                            "_selected_action": [submitted.pk]}, follow=True)
    assert response.status_code == 200
    [refusal] = [str(message) for message in response.context["messages"]]
    assert CHANGED_BY_SOMEONE_ELSE in refusal
    assert f"{alice.get_full_name()} withdrew the submission on" in refusal
    assert "you cannot approve it" in refusal
    # The draft itself stays out of sight.
    assert client.get(f"{CHANGELIST}{submitted.pk}/change/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == S.DRAFT


@postgres_only
@real_transactions
def test_two_tabs_submitting_at_once_submit_once(report, line, alice):
    first_tab, second_tab = browser(alice), browser(alice)
    sent, again = race(
        report, partner(first_tab, report, "submit"), partner(second_tab, report, "submit")
    )
    assert sent.messages == ["Report submitted to the sector coordinators."]
    assert again.code == 302
    [refusal] = again.messages
    assert refusal.startswith(CHANGED_BY_YOU) and "you submitted on" in refusal
    assert "you cannot submit it" in refusal
    report.refresh_from_db()
    assert report.status == S.SUBMITTED
    assert events(report) == [("submit", "alice")]


# An upload saved while the same report is being submitted or edited -------------------------


def table_bytes(*rows: dict) -> bytes:
    lines = [",".join(HEADERS)]
    for values in rows:
        lines.append(",".join(str(values.get(column.field, "")) for column in COLUMNS))
    return ("\n".join(lines) + "\n").encode()


ROW = {
    "month": "2023-09", "organisation": "HIAS", "sector": "PRO", "indicator": "PRO-01",
    "department": "15", "population_type": "destination", "modality": "service",
    "girls": 10, "boys": 12, "women": 30, "men": 25, "other_adults": 3,
    "new_beneficiaries": 80, "total_monthly": 100, "description": "Orientación legal",
}
TWO_ROWS = table_bytes(ROW, {**ROW, "indicator": "PRO-03", "department": "13"})


def uploaded(client: Client, data: bytes = TWO_ROWS, name: str = "actividades.csv") -> ImportBatch:
    response = client.post("/imports/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:300]
    return ImportBatch.objects.order_by("-pk").first()


@contextmanager
def upload_paused_after_locking_its_months(monkeypatch):
    """Stop the next confirmed upload right after it has locked the months of its file and
    before it locks their reports; yield (paused, resume) events."""
    paused, resume = threading.Event(), threading.Event()
    real = planner.MonthlyReport

    class PauseBeforeReports:
        """planner.MonthlyReport, pausing the first time the upload reaches for its reports."""

        def __call__(self, *args, **kwargs):
            return real(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(real, name)

        @property
        def objects(self):
            if not paused.is_set():
                paused.set()
                assert resume.wait(20), "never resumed"
            return real.objects

    monkeypatch.setattr(planner, "MonthlyReport", PauseBeforeReports())
    try:
        yield paused, resume
    finally:
        resume.set()


def line_form(**changes) -> dict:
    return {
        "indicator": Indicator.objects.get(code="PRO-02").pk, "department": "15",
        "province": "1501", "district": "150132", "population_type": "destination",
        "modality": "service", "implementing_partner": "", "girls": 4, "boys": 6, "women": 40,
        "men": 30, "other_under_18": 0, "other_adults": 0, "new_beneficiaries": 80,
        "total_monthly": 110, "quantity": "",
        "cash_usd": "", "description": "Regularización migratoria (CPP)", **changes,
    }


@postgres_only
@real_transactions
@pytest.mark.parametrize("second_tab", ["submit", "add a line"])
def test_an_upload_and_a_change_of_the_same_report_at_once_wait_for_each_other(
    second_tab, report, line, alice, monkeypatch
):
    """The upload locks the month, then its reports; a submission or a line saved in another
    tab at that moment used to lock the report, then the month: each held what the other
    wanted, PostgreSQL aborted one with "deadlock detected", and the person got an error page.
    Now the second waits for the upload and then acts on the report as the upload left it."""
    upload_tab, other_tab = browser(alice), browser(alice)
    batch = uploaded(upload_tab)
    with upload_paused_after_locking_its_months(monkeypatch) as (paused, resume):
        uploader = Person(lambda: post(upload_tab, f"/imports/{batch.pk}/confirm/"))
        uploader.start()
        assert paused.wait(20)
        if second_tab == "submit":
            other = Person(partner(other_tab, report, "submit"))
        else:
            other = Person(lambda: post(other_tab, f"/reports/{report.pk}/lines/add/",
                                        line_form()))
        start_waiting(other)
        resume.set()
        upload_code, upload_messages, _ = uploader.finish()
        other_code, other_messages, _ = other.finish()

    assert (upload_code, other_code) == (302, 302), (upload_messages, other_messages)
    assert upload_messages[0].startswith("Saved 2 lines in HIAS · Protection · September 2023.")
    report.refresh_from_db()
    codes = sorted(report.lines.values_list("indicator__code", flat=True))
    if second_tab == "submit":
        assert other_messages == ["Report submitted to the sector coordinators."]
        assert report.status == S.SUBMITTED
        assert codes == ["PRO-01", "PRO-03"]  # what was in the report when it was submitted
    else:
        assert other_messages == ["Line added."]
        assert codes == ["PRO-01", "PRO-02", "PRO-03"]
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.APPLIED


# 2. An upload interrupted midway leaves nothing ---------------------------------------------

# Written on signing in, not by an upload.
OUTSIDE_THE_UPLOAD = {"sessions.Session"}


def everything() -> dict[str, list[tuple]]:
    """Every row of every table Django knows (many-to-many tables included), as plain values."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label in OUTSIDE_THE_UPLOAD or not model._meta.managed:
            continue
        values = model._base_manager.order_by("pk").values_list()
        rows[model._meta.label] = [
            tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
            for row in values
        ]
    return rows


class FailAt:
    """Make the `nth` SQL statement that starts with `statement` fail as a lost connection
    does (an execute wrapper: the failure happens where the database would have failed)."""

    def __init__(self, statement: str, nth: int = 1):
        self.statement, self.nth, self.seen = statement, nth, 0

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().startswith(self.statement):
            self.seen += 1
            if self.seen == self.nth:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.fixture
def upload_over_old_lines(report, alice, period):
    """An upload that replaces HIAS's Protection lines (one line now, with its audit entry)
    and creates HIAS's Health report: every kind of write an upload makes."""
    from reporting import services

    services.save_line(line=LineFactory.build(report=report), by=alice)
    client = browser(alice)
    health = {**ROW, "sector": "HEA", "indicator": "HEA-01"}
    batch = uploaded(client, table_bytes(
        ROW, {**ROW, "indicator": "PRO-03", "department": "13"},
        {**ROW, "indicator": "PRO-04", "department": "24"}, health,
    ))
    assert batch.status == ImportStatus.PREVIEWED, batch.summary
    return client, batch


STAGES = {
    "creating a new report": ('INSERT INTO "reporting_monthlyreport"', 1),
    "removing the replaced lines": ('DELETE FROM "reporting_activityline"', 1),
    "the second batch of lines": ('INSERT INTO "reporting_activityline"', 2),
    "the audit trail": ('INSERT INTO "reporting_linechange"', 1),
    "the reports' state": ('UPDATE "reporting_monthlyreport"', 1),
    "the upload's own summary": ('UPDATE "reporting_importbatch"', 2),
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_an_upload_failing_midway_leaves_the_database_as_it_was(
    stage, upload_over_old_lines, report, monkeypatch
):
    client, batch = upload_over_old_lines
    monkeypatch.setattr(planner, "BATCH_SIZE", 1)  # one INSERT per line
    before = everything()
    failure = FailAt(*STAGES[stage])
    with connection.execute_wrapper(failure):
        response = client.post(f"/imports/{batch.pk}/confirm/")
    assert failure.seen == failure.nth, f"the upload never reached {stage}"
    assert response.status_code == 500
    assert everything() == before
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED

    # Nothing is stuck: confirming again saves the file.
    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 302
    assert sorted(report.lines.values_list("indicator__code", flat=True)) == [
        "PRO-01", "PRO-03", "PRO-04"]
    assert MonthlyReport.objects.filter(sector__code="HEA", organisation=report.organisation,
                                        period=report.period).exists()


HISTORIC_STAGES = {
    "creating the month": ('INSERT INTO "reporting_reportingperiod"', 1),
    "the second batch of lines": ('INSERT INTO "reporting_activityline"', 2),
    "the approvals": ('INSERT INTO "reporting_reviewevent"', 1),
}


@pytest.mark.parametrize("stage", list(HISTORIC_STAGES))
def test_a_historic_load_failing_midway_leaves_the_database_as_it_was(
    stage, ivan, monkeypatch, tmp_path
):
    """`import_activities --as-approved`, the IM officer's load of already validated data,
    creates months and approval events too."""
    path = tmp_path / "historico.csv"
    path.write_bytes(table_bytes(
        {**ROW, "month": "2022-11"}, {**ROW, "month": "2022-11", "department": "13"},
        {**ROW, "month": "2022-12"},
    ))
    monkeypatch.setattr(planner, "BATCH_SIZE", 1)
    before = everything()
    failure = FailAt(*HISTORIC_STAGES[stage])
    with connection.execute_wrapper(failure), pytest.raises(OperationalError):
        call_command("import_activities", str(path), "--as-approved", "--user", "ivan",
                     stdout=io.StringIO())
    assert failure.seen == failure.nth
    assert everything() == before

    call_command("import_activities", str(path), "--as-approved", "--user", "ivan",
                 stdout=io.StringIO())
    assert ActivityLine.objects.filter(report__status=S.APPROVED).count() == 3


@postgres_only
@real_transactions
def test_an_upload_whose_connection_is_killed_midway_leaves_nothing(
    upload_over_old_lines, monkeypatch
):
    """The database server ends the connection (restart, out of memory, an administrator's
    pg_terminate_backend) while the lines are being written."""
    client, batch = upload_over_old_lines
    monkeypatch.setattr(planner, "BATCH_SIZE", 1)
    before = everything()

    def kill_at_second_batch(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "reporting_activityline"'):
            kill_at_second_batch.seen += 1
            if kill_at_second_batch.seen == 2:
                execute("SELECT pg_terminate_backend(pg_backend_pid())", None, False, context)
        return execute(sql, params, many, context)

    kill_at_second_batch.seen = 0

    def confirm():
        with connection.execute_wrapper(kill_at_second_batch):
            return client.post(f"/imports/{batch.pk}/confirm/").status_code

    uploader = Person(confirm)
    uploader.start()
    assert uploader.finish() == 500
    assert kill_at_second_batch.seen == 2
    assert everything() == before


def test_an_upload_cut_off_by_the_browser_stores_nothing(alice, period):
    """The connection drops while the file is being sent: the server gets part of the body.
    Whether the body simply ends or reading it fails, nothing is stored, and never a part of
    the file as if it were all of it (that would replace a report's lines with fewer)."""
    client = browser(alice, enforce_csrf_checks=True)
    token = client.get("/imports/").context["csrf_token"]
    data = table_bytes(*[{**ROW, "department": code} for code in ("15", "13", "24", "14")])
    body = encode_multipart(BOUNDARY, {
        "csrfmiddlewaretoken": str(token), "file": SimpleUploadedFile("actividades.csv", data),
    })
    start, closing = body.index(data), body.rindex(f"--{BOUNDARY}--".encode())
    # Cut just before, at and after every line break of the file, and in the closing boundary.
    cuts = sorted({
        position + offset
        for position in [start, *(start + i for i, byte in enumerate(data) if byte == 10)]
        for offset in (-1, 0, 1)
    } | {closing + 5})
    for cut in cuts:
        for ends_with in (None, OSError("Connection reset by peer")):
            response = client.generic(
                "POST", "/imports/", body[:cut], content_type=MULTIPART_CONTENT,
                CONTENT_LENGTH=str(len(body)), **{"wsgi.input": CutOff(body[:cut], ends_with)},
            )
            assert response.status_code == 400, (cut, ends_with, response.status_code)
            page = response.content.decode()
            expected = ("The upload was interrupted before the whole file arrived"
                        if ends_with else "Choose an XLSX or CSV file to upload.")
            assert expected in page, (cut, ends_with)
            assert not ImportBatch.objects.exists()
    # Past the closing boundary the file has arrived whole, and is taken whole.
    cut = closing + len(BOUNDARY) + 3
    response = client.generic(
        "POST", "/imports/", body[:cut], content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(body)), **{"wsgi.input": CutOff(body[:cut], None)},
    )
    assert response.status_code == 302
    assert bytes(ImportBatch.objects.get().content) == data


class CutOff:
    """The request body as the server reads it when the sender stops after `data`: the read
    comes back short (end of data), or fails (connection reset)."""

    def __init__(self, data: bytes, error: Exception | None):
        self.stream, self.error = io.BytesIO(data), error

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        if not chunk and size and self.error is not None:
            raise self.error
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.stream.readline(size)


@postgres_only
@real_transactions
def test_confirm_pressed_twice_at_once_saves_once(report, line, alice):
    first, second = browser(alice), browser(alice)
    batch = uploaded(first)
    people = [Person(lambda client=client: post(client, f"/imports/{batch.pk}/confirm/"))
              for client in (first, second)]
    with transaction.atomic():
        # Both read the upload as not yet saved, then queue for its row.
        ImportBatch.objects.select_for_update().filter(pk=batch.pk).values_list("pk").get()
        start_waiting(people[0])
        start_waiting(people[1], people[:1])
    saved, again = [person.finish() for person in people]
    assert (saved.code, again.code) == (302, 302)
    assert saved.messages[0].startswith("Saved 2 lines")
    assert again.messages == ["This file was already saved; nothing changed."]
    assert sorted(report.lines.values_list("indicator__code", flat=True)) == ["PRO-01", "PRO-03"]
    assert LineChange.objects.filter(report=report, action=LineChange.Action.IMPORT).count() == 1


@postgres_only
@real_transactions
def test_two_uploads_sent_at_once_by_a_person_at_the_hourly_cap_store_one(alice, period, settings):
    """Both pass the check made before the file is read; the person's row lock makes the
    second count the first before it stores anything."""
    from partners.models import User

    settings.IMPORT_UPLOADS_PER_HOUR = 1

    def send(client: Client) -> Callable[[], int]:
        file = SimpleUploadedFile("actividades.csv", TWO_ROWS)
        return lambda: client.post("/imports/", {"file": file}).status_code

    people = [Person(send(browser(alice))) for _ in range(2)]
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=alice.pk).values_list("pk").get()
        start_waiting(people[0])
        start_waiting(people[1], people[:1])
    assert sorted(person.finish() for person in people) == [302, 429]
    assert ImportBatch.objects.filter(uploaded_by=alice).count() == 1
