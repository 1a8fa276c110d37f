"""The deadline peak (issue 5): partners' reporters, sector coordinators and public readers.

Three kinds of simulated people, weighted like the platform's population on a deadline day:

- Reporter (85 %): signs in, opens the home page and their own report of the current month,
  adds lines (half of the time choosing a department loads its provinces, as the page's script
  does), edits and deletes them, uploads the activity spreadsheet (an XLSX in the template's
  format; one in five downloads the template first) and confirms it, submits; withdraws a
  submission now and then to fix it; fixes and resubmits what a coordinator returned; once a
  report is approved, starts the report of their next sector from the home page. Each account
  has its own reports (prepare.py), so two simulated people never edit the same report.
- Coordinator (10 %): the admin review queue of their sector (the submitted reports: last
  month's backlog made by prepare.py and this month's as reporters submit them), opens one and
  approves it or returns it with a reason.
- PublicReader (5 %): the published situation reports at /sitreps/ (list, latest edition, the
  edition, sometimes its JSON, rarely the PDF), without signing in.

Every request goes out on its own (redirects are not followed automatically) and is checked
with catch_response: an unexpected status, a form shown again with errors, an error message
after a redirect or a missing CSRF token is a failure. A lost race between a reporter and a
coordinator (a withdrawal and an approval of the same report at the same moment) is what the
app must answer with a message, not an error: it is counted apart as a conflict.

Pacing: each simulated person makes requests at a constant average rate (think time included)
so that N people make LOAD_RPS requests a second in all: a person's think time is
N / LOAD_RPS seconds per request (±50 %, at random), minus the time the server took. With
LOAD_STEP_RPS > 0 the target rises by that much every LOAD_STEP_SECONDS once every person has
started (the step-up run that looks for the breaking point).

Options (command line or environment): --manifest / LOAD_MANIFEST (written by prepare.py),
--target-rps / LOAD_RPS (50), --step-rps / LOAD_STEP_RPS (0), --step-seconds /
LOAD_STEP_SECONDS (60), --request-log / LOAD_REQUEST_LOG (a CSV of every request, for
tests/load/analyse.py), --pdf-share / LOAD_PDF_SHARE (0.02: a public reader's visits that
download the PDF).
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import re
import time
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from loadkit import build_workbook, multipart, people
from locust import FastHttpUser, events, task
from locust.exception import StopUser

HERE = Path(__file__).resolve().parent
STATE: dict = {"manifest": None, "started": None, "steady": None, "options": None}
OUTCOMES: Counter = Counter()  # conflicts and flow events, written next to the results
_REQUEST_LOG: dict = {"file": None, "writer": None}


# --------------------------------------------------------------------------------------------
# Options, manifest, pacing and the request log
# --------------------------------------------------------------------------------------------


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--manifest", env_var="LOAD_MANIFEST",
                        default=str(HERE / "results" / "manifest.json"),
                        help="Accounts and reports written by tests/load/prepare.py")
    parser.add_argument("--target-rps", env_var="LOAD_RPS", type=float, default=50.0,
                        help="Requests a second made by all the simulated people together")
    parser.add_argument("--step-rps", env_var="LOAD_STEP_RPS", type=float, default=0.0,
                        help="Raise the target by this much every --step-seconds (0: constant)")
    parser.add_argument("--step-seconds", env_var="LOAD_STEP_SECONDS", type=float, default=60.0)
    parser.add_argument("--request-log", env_var="LOAD_REQUEST_LOG", default="",
                        help="Write every request to this CSV file")
    parser.add_argument("--pdf-share", env_var="LOAD_PDF_SHARE", type=float, default=0.02,
                        help="Share of public visits that download the PDF")
    parser.add_argument("--settle", env_var="LOAD_SETTLE", type=float, default=10.0,
                        help="Seconds after the last user started before the steady state")
    parser.add_argument("--outcomes", env_var="LOAD_OUTCOMES", default="",
                        help="Write the conflict and flow counters to this JSON file")


@events.init.add_listener
def _init(environment, **_kwargs) -> None:
    options = environment.parsed_options
    STATE["options"] = options
    if options is None:
        return
    path = Path(options.manifest)
    if not path.exists():
        raise SystemExit(f"No manifest at {path}: run tests/load/prepare.py first.")
    STATE["manifest"] = json.loads(path.read_text())
    if options.request_log:
        handle = open(options.request_log, "w", newline="", buffering=1 << 16)  # noqa: SIM115
        _REQUEST_LOG["file"] = handle
        _REQUEST_LOG["writer"] = csv.writer(handle)
        _REQUEST_LOG["writer"].writerow(
            ["t", "phase", "target_rps", "method", "name", "ms", "bytes", "ok", "error"])


@events.test_start.add_listener
def _test_start(environment, **_kwargs) -> None:
    STATE["started"] = time.time()


@events.spawning_complete.add_listener
def _spawning_complete(user_count, **_kwargs) -> None:
    # The last people to start are still signing in for a few seconds: the steady state (and
    # the steps of a step-up run) begins --settle seconds after the last one started.
    if STATE["steady"] is None:
        STATE["steady"] = time.time() + (STATE["options"].settle if STATE["options"] else 0)


@events.request.add_listener
def _log_request(request_type, name, response_time, response_length, exception=None,
                 start_time=None, **_kwargs) -> None:
    writer = _REQUEST_LOG["writer"]
    if writer is None or STATE["started"] is None:
        return
    now = start_time or time.time()
    phase = "steady" if STATE["steady"] is not None and now >= STATE["steady"] else "ramp"
    writer.writerow([
        f"{now:.3f}", phase, f"{target_rps(now):.0f}", request_type, name,
        f"{response_time:.1f}", response_length or 0, 0 if exception else 1,
        str(exception)[:200] if exception else "",
    ])


@events.quitting.add_listener
def _quitting(environment, **_kwargs) -> None:
    if _REQUEST_LOG["file"] is not None:
        _REQUEST_LOG["file"].close()
        _REQUEST_LOG["file"] = None
        _REQUEST_LOG["writer"] = None
    options = STATE["options"]
    if options is not None and options.outcomes:
        Path(options.outcomes).write_text(json.dumps(dict(sorted(OUTCOMES.items())), indent=1))


def target_rps(now: float | None = None) -> float:
    options = STATE["options"]
    base = options.target_rps if options else 50.0
    steady = STATE["steady"]
    if not options or not options.step_rps or steady is None:
        return base
    steps = int(max(0.0, (now or time.time()) - steady) // options.step_seconds)
    return base + steps * options.step_rps


def next_of(kind: str):
    """Give each simulated person the next account of a kind, round robin."""
    counters = STATE.setdefault("counters", {})
    if kind not in counters:
        counters[kind] = itertools.count()
    accounts = STATE["manifest"][kind]
    return accounts[next(counters[kind]) % len(accounts)]


# --------------------------------------------------------------------------------------------
# Reading pages
# --------------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FLASH = re.compile(r'class="alert alert-(\w+) alert-dismissible[^"]*"[^>]*>\s*(.*?)\s*<button', re.S)
ADMIN_MESSAGE = re.compile(r'<ul class="messagelist">(.*?)</ul>', re.S)
ADMIN_ITEM = re.compile(r'<li class="(\w+)">(.*?)</li>', re.S)
STATUS = re.compile(r'status-badge status-(\w+)')
FIELD_ERROR = re.compile(r'class="invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?(.*?)<', re.S)
TAGS = re.compile(r"<[^>]+>")
# The app's answers to a lost race or a stale page (reporting/texts.py), in Spanish and English.
CONFLICT_TEXTS = (
    "cambió mientras", "changed while you were looking", "already acted on this report",
    "No se puede", "You cannot", "ya actuó",
)


def csrf(text: str) -> str | None:
    match = CSRF.search(text)
    return match.group(1) if match else None


def flashes(text: str) -> list[tuple[str, str]]:
    return [(kind, " ".join(unescape(TAGS.sub("", body)).split())) for kind, body in FLASH.findall(text)]


def admin_messages(text: str) -> list[tuple[str, str]]:
    block = ADMIN_MESSAGE.search(text)
    if not block:
        return []
    return [(kind, " ".join(unescape(TAGS.sub("", body)).split()))
            for kind, body in ADMIN_ITEM.findall(block.group(1))]


def is_conflict(message: str) -> bool:
    return any(text in message for text in CONFLICT_TEXTS)


def preview_errors(text: str) -> str:
    found = re.findall(r'<div class="small">(.*?)</div>', text, re.S)[:3]
    return "; ".join(" ".join(unescape(TAGS.sub(" ", e)).split()) for e in found)[:300]


def form_errors(text: str) -> str:
    errors = [" ".join(unescape(e).split()) for e in FIELD_ERROR.findall(text)]
    return "; ".join(e for e in errors if e)[:300] or "form shown again"


class FormReader(HTMLParser):
    """The values a browser would send for the form posting to `action` (a form without an
    action posts to the page it is on: pass the page's path), as a list of pairs: inputs, the
    selected option of each select, textareas."""

    def __init__(self, action: str | None = None):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = action is None
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is not None:
            # A form without an action posts to the page itself (the line form does).
            self.inside = (a.get("action") or self.action).split("?")[0] == self.action
            return
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._first_option, self._selected = a.get("name"), None, False
        elif tag == "option" and self._select:
            value = a.get("value") or ""
            if self._first_option is None:
                self._first_option = value
            if "selected" in a and not self._selected:
                self.fields.append((self._select, value))
                self._selected = True
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_endtag(self, tag):
        if tag == "form" and self.action is not None:
            self.inside = False
        elif tag == "select" and self._select:
            if not self._selected:
                self.fields.append((self._select, self._first_option or ""))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text).strip("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_values(text: str, action: str | None = None) -> list[tuple[str, str]]:
    reader = FormReader(action)
    reader.feed(text)
    return reader.fields


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --------------------------------------------------------------------------------------------
# The simulated people
# --------------------------------------------------------------------------------------------


class Person(FastHttpUser):
    abstract = True
    host = "http://127.0.0.1:8800"
    network_timeout = 60.0
    connection_timeout = 10.0
    languages = ("es-PE,es;q=0.9", "es-PE,es;q=0.9", "es-PE,es;q=0.9", "en-US,en;q=0.9")

    def __init__(self, environment):
        super().__init__(environment)
        self._due = time.monotonic()
        self.language = random.choice(self.languages)
        options = environment.parsed_options
        self.population = max(1, options.num_users or 1) if options else 1

    # Pacing: every request adds one interval of think time; wait_time sleeps until it is due.
    def wait_time(self) -> float:
        now = time.monotonic()
        if self._due < now:
            self._due = now  # behind (a slow server): no catching up in bursts
        return self._due - now

    def _spend(self) -> None:
        interval = self.population / max(target_rps(), 0.1)
        self._due = max(self._due, time.monotonic() - interval) + interval * random.uniform(0.5, 1.5)

    def think(self) -> None:
        self.wait()

    def call(self, method: str, path: str, name: str, *, expect=(200,), data=None,
             content_type: str | None = None, check=None, referer: str | None = None):
        """Make one request; return the response if it was what `expect` and `check` allow,
        else mark it failed and return None. `check(response)` returns a problem or None."""
        self._spend()
        headers = {"Accept-Language": self.language, "Referer": self.host + (referer or path)}
        body = data
        if isinstance(data, (dict, list)):
            body = urlencode(data)
            content_type = "application/x-www-form-urlencoded"
        if content_type:
            headers["Content-Type"] = content_type
        with self.client.request(method, path, name=name, data=body, headers=headers,
                                 allow_redirects=False, catch_response=True) as response:
            if response.status_code not in expect:
                detail = ""
                if response.status_code == 200 and method == "POST":
                    detail = ": " + form_errors(response.text or "")
                response.failure(f"HTTP {response.status_code}, expected {expect}{detail}")
                return None
            problem = check(response) if check else None
            if problem:
                response.failure(problem)
                return None
            response.success()
            return response

    def get(self, path: str, name: str, **kwargs):
        return self.call("GET", path, name, **kwargs)

    def post(self, path: str, name: str, data, **kwargs):
        kwargs.setdefault("expect", (302,))
        return self.call("POST", path, name, data=data, **kwargs)

    def login(self, username: str, password: str) -> None:
        page = self.get("/accounts/login/", "GET /accounts/login/", check=lambda r: None
                        if csrf(r.text) else "no CSRF token on the sign-in page")
        if page is None:
            raise StopUser()
        self.think()
        done = self.post("/accounts/login/", "POST /accounts/login/", {
            "csrfmiddlewaretoken": csrf(page.text), "username": username,
            "password": password, "next": "",
        }, check=lambda r: None if path_of(r.headers.get("Location", "")) == "/"
            else f"sign-in went to {r.headers.get('Location')}")
        if done is None:
            OUTCOMES["login failed"] += 1
            raise StopUser()

    @staticmethod
    def flash_check(response) -> str | None:
        """A page after a redirect: fail on an error message that is not a lost race."""
        for kind, message in flashes(response.text):
            if kind == "danger" and not is_conflict(message):
                return f"error message: {message[:200]}"
        return None


class Reporter(Person):
    """A partner's reporter (or focal point) working on their organisation's reports."""

    weight = 85

    def on_start(self) -> None:
        manifest = STATE["manifest"]
        self.account = next_of("reporters")
        self.period = manifest["period"]
        self.indicators = {int(k): v for k, v in manifest["indicators"].items()}
        self.departments = manifest["departments"]
        self.slots = [dict(slot) for slot in self.account["slots"]]
        self.slot = 0
        self.lines: set[tuple] = set()  # what the lines of the current report are, by identity
        self.known = False  # whether self.lines is the report's content (else upload first)
        self.actions_left = 0
        self.login(self.account["username"], manifest["password"])
        self.think()
        self.home()

    # The report being worked on
    @property
    def report_pk(self) -> int | None:
        return self.slots[self.slot]["report_pk"] if self.slot < len(self.slots) else None

    @property
    def sector_pk(self) -> int:
        return self.slots[self.slot]["sector_pk"]

    @property
    def report_url(self) -> str:
        return f"/reports/{self.report_pk}/"

    def home(self):
        page = self.get("/", "GET / (home)", check=lambda r: None if self.account["organisation"]
                        and "status-badge" in r.text else "home page without reports")
        if page is not None:
            self.think()
        return page

    def detail(self, *, name="GET /reports/[id]/", after_redirect=False):
        page = self.get(self.report_url, name,
                        check=self.flash_check if after_redirect else None)
        if page is not None:
            self.think()
        return page

    @task
    def work(self) -> None:
        if self.report_pk is None:
            self.browse()
            return
        if random.random() < 0.15:
            self.home()
        page = self.detail()
        if page is None:
            return
        status = (STATUS.search(page.text) or [None, "unknown"])[1]
        editable = f"/reports/{self.report_pk}/lines/add/" in page.text
        if editable:
            links = self.line_links(page)
            if links and not self.known:
                self.upload()  # lines from an earlier run: replace them with a known file
                return
            self.known = True
            if status == "returned" and self.actions_left == 0:
                OUTCOMES["returned reports taken up"] += 1
                self.actions_left = random.randint(1, 2)
            elif self.actions_left == 0:
                self.actions_left = random.randint(3, 6)
            self.edit_step(page, links)
        elif status == "submitted":
            if random.random() < 0.25:
                self.transition(page, "withdraw")
            else:
                self.wait_for_review()
        elif status == "approved":
            OUTCOMES["reports approved (seen by the reporter)"] += 1
            self.next_report()
        else:
            OUTCOMES[f"report in status {status}"] += 1
            self.browse()

    def line_links(self, page) -> list[str]:
        return sorted(set(re.findall(rf'href="/reports/{self.report_pk}/lines/(\d+)/"', page.text)))

    def edit_step(self, page, links: list[str]) -> None:
        if links and (self.actions_left <= 0 or (self.actions_left == 1 and random.random() < 0.5)):
            self.transition(page, "submit")
            return
        self.actions_left -= 1
        roll = random.random()
        if (not links and roll < 0.25) or roll < 0.12:
            self.upload()
        elif len(links) > 6 and roll < 0.35:
            self.delete_line(random.choice(links))
        elif links and roll < 0.55:
            self.edit_line(random.choice(links))
        else:
            self.add_line()

    # Lines ------------------------------------------------------------------------------------
    def free_identity(self) -> tuple:
        indicators = self.indicators[self.sector_pk]
        for _ in range(200):
            identity = (random.choice(indicators)[0], random.choice(self.departments),
                        random.choice(("destination", "transit", "host", "pendular", "returnee")),
                        random.choice(("service", "service", "in_kind")))
            if identity not in self.lines:
                return identity
        raise RuntimeError("no free line identity")

    def add_line(self) -> None:
        url = f"/reports/{self.report_pk}/lines/add/"
        form = self.get(url, "GET /reports/[id]/lines/add/",
                        check=lambda r: None if csrf(r.text) else "no CSRF token in the line form")
        if form is None:
            return
        identity = self.free_identity()
        indicator, department, population, modality = identity
        if random.random() < 0.5:
            # Choosing a department refreshes the province list (static/js/gtrm.js).
            self.get(f"/locations/?parent={department}", "GET /locations/?parent=[dept]",
                     check=lambda r: None if '"children"' in r.text else "no province list")
        self.think()
        data = {
            "csrfmiddlewaretoken": csrf(form.text), "indicator": indicator,
            "department": department, "province": "", "district": "",
            "population_type": population, "modality": modality, "implementing_partner": "",
            **people(), "quantity": "", "cash_usd": "",
            "description": random.choice(("", "", "Atención en el punto de orientación.",
                                          "Campaña itinerante en asentamientos humanos.")),
        }
        done = self.post(url, "POST /reports/[id]/lines/add/", data, check=self.back_to_report)
        if done is not None:
            self.lines.add(identity)
            self.detail(name="GET /reports/[id]/ (after add)", after_redirect=True)

    def back_to_report(self, response) -> str | None:
        location = path_of(response.headers.get("Location", ""))
        return None if location == self.report_url else f"redirected to {location}"

    def edit_line(self, line_pk: str) -> None:
        url = f"/reports/{self.report_pk}/lines/{line_pk}/"
        form = self.get(url, "GET /reports/[id]/lines/[n]/",
                        check=lambda r: None if csrf(r.text) else "no CSRF token in the line form")
        if form is None:
            return
        self.think()
        values = dict(form_values(form.text, url))
        if "girls" not in values:
            OUTCOMES["edit form without fields"] += 1
            return
        values["csrfmiddlewaretoken"] = csrf(form.text)
        extra = random.randint(1, 9)
        for field in ("girls", "new_beneficiaries", "total_monthly"):
            values[field] = str(int(values.get(field) or 0) + extra)
        done = self.post(url, "POST /reports/[id]/lines/[n]/", list(values.items()),
                         check=self.back_to_report)
        if done is not None:
            self.detail(name="GET /reports/[id]/ (after edit)", after_redirect=True)

    def delete_line(self, line_pk: str) -> None:
        url = f"/reports/{self.report_pk}/lines/{line_pk}/delete/"
        form = self.get(url, "GET /reports/[id]/lines/[n]/delete/",
                        check=lambda r: None if csrf(r.text) else "no CSRF token")
        if form is None:
            return
        self.think()
        done = self.post(url, "POST /reports/[id]/lines/[n]/delete/",
                         {"csrfmiddlewaretoken": csrf(form.text)}, check=self.back_to_report)
        if done is not None:
            # The line's identity is forgotten: the report page is the truth, but a free
            # identity is only needed for new lines, and a deleted one is free again.
            self.detail(name="GET /reports/[id]/ (after delete)", after_redirect=True)

    # The spreadsheet --------------------------------------------------------------------------
    def upload(self) -> None:
        form = self.get("/imports/", "GET /imports/ (upload form)",
                        check=lambda r: None if csrf(r.text) else "no CSRF token in the upload form")
        if form is None:
            return
        self.think()
        if random.random() < 0.2:
            # Some download the month's template first (their organisation's, with its lists).
            template = self.get(
                f"/imports/template/?organisation={self.account['organisation']}"
                f"&period={self.period['code']}", "GET /imports/template/",
                check=lambda r: None if r.content[:2] == b"PK" else "not an XLSX file")
            if template is not None:
                self.think()
        content, identities = build_workbook(
            month=self.period["code"], organisation=self.account["organisation"],
            sector=self.slots[self.slot]["sector"],
            indicators=self.indicators[self.sector_pk], departments=self.departments,
        )
        body, content_type = multipart(
            {"csrfmiddlewaretoken": csrf(form.text)},
            {"file": (f"actividades-{self.period['code']}.xlsx", content,
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
        )
        sent = self.call("POST", "/imports/", "POST /imports/ (upload)", data=body,
                         content_type=content_type, expect=(302,), referer="/imports/",
                         check=lambda r: None if re.fullmatch(
                             r"/imports/\d+/", path_of(r.headers.get("Location", "")))
                         else f"upload went to {r.headers.get('Location')}")
        if sent is None:
            return
        preview_url = path_of(sent.headers["Location"])
        preview = self.get(preview_url, "GET /imports/[id]/ (preview)",
                           check=lambda r: None if f"{preview_url}confirm/" in r.text
                           else "preview without a confirm button: " + preview_errors(r.text))
        if preview is None:
            return
        self.think()
        # A saved upload lands on its confirmation page (which offers to submit every report
        # it completed, issue 14); the reporter then opens the report.
        confirmed = self.post(f"{preview_url}confirm/", "POST /imports/[id]/confirm/",
                              {"csrfmiddlewaretoken": csrf(preview.text)},
                              check=lambda r: None if path_of(r.headers.get("Location", ""))
                              == preview_url else f"redirected to {r.headers.get('Location')}")
        if confirmed is not None:
            self.lines = identities
            self.known = True
            saved = self.get(preview_url, "GET /imports/[id]/ (saved)", check=self.flash_check)
            if saved is not None:
                self.think()
                self.detail(name="GET /reports/[id]/ (after upload)")

    # Workflow ---------------------------------------------------------------------------------
    def transition(self, page, action: str) -> None:
        token = csrf(page.text)
        url = f"/reports/{self.report_pk}/{action}/"
        if url not in page.text or token is None:
            OUTCOMES[f"{action} button missing"] += 1
            return
        done = self.post(url, f"POST /reports/[id]/{action}/", {"csrfmiddlewaretoken": token},
                         check=self.back_to_report)
        if done is None:
            return
        after = self.get(self.report_url, f"GET /reports/[id]/ (after {action})",
                         check=self.flash_check)
        if after is None:
            return
        if any(kind == "danger" for kind, _message in flashes(after.text)):
            OUTCOMES[f"conflict: {action} lost a race with a coordinator"] += 1
        else:
            OUTCOMES[f"{action} done"] += 1
            if action == "submit":
                self.actions_left = 0
        self.think()

    def wait_for_review(self) -> None:
        """While the report waits for the coordinator: the list of reports, now and then."""
        if random.random() < 0.5:
            page = self.get(f"/reports/?period={self.period['pk']}", "GET /reports/ (list)")
        else:
            page = self.home()
            return
        if page is not None:
            self.think()

    def next_report(self) -> None:
        """Start the report of the next sector from the home page's "Start report" button."""
        self.slot += 1
        self.known, self.lines, self.actions_left = True, set(), 0
        if self.slot >= len(self.slots):
            OUTCOMES["reporters with every sector approved"] += 1
            return
        page = self.home()
        if page is None:
            return
        slot = self.slots[self.slot]
        if slot["report_pk"] is not None:
            return
        done = self.post("/reports/start/", "POST /reports/start/", {
            "csrfmiddlewaretoken": csrf(page.text), "period": self.period["pk"],
            "sector": slot["sector_pk"],
        }, check=lambda r: None if re.fullmatch(r"/reports/\d+/", path_of(
            r.headers.get("Location", ""))) else f"start went to {r.headers.get('Location')}")
        if done is None:
            self.slot -= 1
            return
        slot["report_pk"] = int(path_of(done.headers["Location"]).strip("/").split("/")[1])
        OUTCOMES["reports started"] += 1
        self.detail(name="GET /reports/[id]/ (after start)", after_redirect=True)

    def browse(self) -> None:
        """Nothing left to report: look at the reports list and the home page."""
        if random.random() < 0.5:
            page = self.get("/reports/", "GET /reports/ (list)")
            if page is not None:
                self.think()
        else:
            self.home()


class Coordinator(Person):
    """A sector coordinator reviewing the month's submitted reports in the admin."""

    weight = 10

    def on_start(self) -> None:
        manifest = STATE["manifest"]
        self.account = next_of("coordinators")
        self.period = manifest["period"]
        # Every submitted report of their sector: this month's and last month's backlog.
        self.queue_url = "/admin/reporting/monthlyreport/?status=submitted"
        self.queue = None
        self.login(self.account["username"], manifest["password"])
        self.think()

    @task
    def review(self) -> None:
        queue = self.queue
        self.queue = None
        if queue is None:
            queue = self.get(self.queue_url, "GET /admin/…/monthlyreport/ (queue)",
                             check=lambda r: None if 'id="changelist"' in r.text
                             else "not the admin changelist")
            if queue is None:
                return
            self.think()
        links = re.findall(r'href="(/admin/reporting/monthlyreport/\d+/change/[^"]*)"', queue.text)
        if not links:
            OUTCOMES["coordinator found the queue empty"] += 1
            if random.random() < 0.5:
                page = self.get("/", "GET / (home, review queue)")
                if page is not None:
                    self.think()
            return
        link = unescape(random.choice(links[:50]))
        # 404: the partner withdrew the report after the queue was shown (a draft is out of the
        # coordinators' sight), a race the app answers correctly.
        page = self.get(link, "GET /admin/…/monthlyreport/[id]/change/", expect=(200, 404))
        if page is None:
            return
        if page.status_code == 404:
            OUTCOMES["conflict: report withdrawn before the coordinator opened it"] += 1
            return
        self.think()
        review = re.search(
            r'<form method="post" action="(/admin/reporting/monthlyreport/\d+/review/[^"]*)"', page.text)
        if review is None or 'value="approve"' not in page.text:
            OUTCOMES["conflict: report no longer waiting when opened"] += 1
            return
        approve = random.random() < 0.5
        data = {"csrfmiddlewaretoken": csrf(page.text), "action": "approve" if approve else "return",
                "reason": "" if approve else random.choice((
                    "Por favor revisen la desagregación por sexo y edad de Lima.",
                    "Los beneficiarios nuevos parecen repetir los del mes anterior.",
                    "Please split the line by province."))}
        name = "POST /admin/…/[id]/review/ (" + ("approve" if approve else "return") + ")"
        done = self.post(unescape(review.group(1)), name, data,
                         check=lambda r: None if "/admin/reporting/monthlyreport/" in r.headers.get(
                             "Location", "") else f"review went to {r.headers.get('Location')}")
        if done is None:
            return
        location = path_of(done.headers["Location"])
        after_name = ("GET /admin/…/monthlyreport/ (queue after review)" if "/change/" not in location
                      else "GET /admin/…/monthlyreport/[id]/change/ (after review)")
        after = self.get(location, after_name, check=self.review_outcome)
        if after is None:
            return
        kinds = {kind for kind, _message in admin_messages(after.text)}
        if "success" in kinds:
            OUTCOMES["approved" if approve else "returned"] += 1
        else:
            OUTCOMES["conflict: review lost a race (withdrawn, or reviewed by another coordinator)"] += 1
        if "/change/" not in location:
            self.queue = after
        self.think()

    @staticmethod
    def review_outcome(response) -> str | None:
        """Success, or a refusal that explains a lost race; anything else is a failure."""
        messages = admin_messages(response.text)
        if any(kind == "success" for kind, _m in messages):
            return None
        errors = [m for kind, m in messages if kind == "error"]
        if errors and all(is_conflict(m) for m in errors):
            return None
        return f"no success message after a review: {messages}"[:300]


class PublicReader(Person):
    """Someone reading the published situation reports, without an account."""

    weight = 5

    @task
    def read(self) -> None:
        editions = STATE["manifest"]["editions"]
        listing = self.get("/sitreps/", "GET /sitreps/")
        if listing is None or not editions:
            return
        self.think()
        month, number = random.choice(editions)
        latest = self.get(f"/sitreps/{month}/", "GET /sitreps/[month]/ (latest)", expect=(302,))
        if latest is None:
            return
        edition = self.get(path_of(latest.headers["Location"]), "GET /sitreps/[month]/[n]/")
        if edition is None:
            return
        self.think()
        roll = random.random()
        options = STATE["options"]
        if roll < (options.pdf_share if options else 0.02):
            pdf = self.get(f"/sitreps/{month}/{number}/pdf/", "GET /sitreps/[month]/[n]/pdf/",
                           check=lambda r: None if r.content[:5] == b"%PDF-" else "not a PDF")
            if pdf is not None:
                self.think()
        elif roll < 0.15:
            data = self.get(f"/sitreps/{month}/{number}/json/", "GET /sitreps/[month]/[n]/json/",
                            check=lambda r: None if '"people_assisted"' in r.text else "not the JSON")
            if data is not None:
                self.think()
