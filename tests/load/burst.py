#!/usr/bin/env python
"""A training room signing in at once (issue 16), beside the running load test.

    burst.py --host http://127.0.0.1:8800 --manifest results/<run>/manifest.json \
             --people 100 --seconds 10 --out results/<run>/burst.csv

Starts `--people` people evenly over `--seconds` (100 in 10 s: ten a second), each in a thread
of its own, as each person's browser would: the sign-in page, the sign-in (username and
password of a `load.room.<n>` account from the manifest), then the home page the sign-in leads
to. Every request is written to the CSV (start time, what, milliseconds, status, ok), which
tests/load/analyse.py reads beside locust's requests: how long each sign-in took, and what the
burst did to everybody else's requests. Needs `requests` (a dependency of locust).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import threading
import time
from pathlib import Path

import requests

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMEOUT = 120  # seconds: a sign-in that takes longer is a failure, not a wait for ever


def person(host: str, username: str, password: str, rows: list, lock: threading.Lock) -> None:
    session = requests.Session()

    def record(name: str, started: float, response: requests.Response | None, error: str = ""):
        ms = (time.time() - started) * 1000
        status = response.status_code if response is not None else 0
        with lock:
            rows.append([f"{started:.3f}", name, f"{ms:.1f}", status, 0 if error else 1, error])

    started = time.time()
    try:
        page = session.get(f"{host}/accounts/login/", timeout=TIMEOUT)
        token = CSRF.search(page.text)
        record("GET /accounts/login/", started, page,
               "" if page.status_code == 200 and token else f"status {page.status_code}")
        if not token:
            return
        started = time.time()
        done = session.post(f"{host}/accounts/login/", timeout=TIMEOUT, allow_redirects=False,
                            data={"csrfmiddlewaretoken": token.group(1), "username": username,
                                  "password": password},
                            headers={"Referer": f"{host}/accounts/login/"})
        signed_in = done.status_code == 302 and "/accounts/login/" not in done.headers.get(
            "Location", "")
        record("POST /accounts/login/", started, done, "" if signed_in else
               f"status {done.status_code}: not signed in")
        if not signed_in:
            return
        started = time.time()
        home = session.get(f"{host}/", timeout=TIMEOUT)
        record("GET / (after sign-in)", started, home,
               "" if home.status_code == 200 else f"status {home.status_code}")
    except requests.RequestException as error:
        record("request", started, None, str(error)[:200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    manifest = json.loads(Path(args.manifest).read_text())
    accounts = manifest["room"][: args.people]
    if len(accounts) < args.people:
        raise SystemExit(f"The manifest has {len(accounts)} room accounts; prepare.py makes more "
                         "with --room.")
    rows: list = []
    lock = threading.Lock()
    threads = []
    began = time.time()
    for number, username in enumerate(accounts):
        delay = began + number * args.seconds / args.people - time.time()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=person, args=(args.host, username, manifest["password"],
                                                       rows, lock), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(TIMEOUT * 3)
    with open(args.out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["t", "name", "ms", "status", "ok", "error"])
        writer.writerows(sorted(rows))
    signins = [float(row[2]) for row in rows if row[1] == "POST /accounts/login/" and row[4]]
    print(f"{len(signins)} of {args.people} signed in; slowest {max(signins or [0]) / 1000:.1f} s")


if __name__ == "__main__":
    main()
