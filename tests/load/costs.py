#!/usr/bin/env python
"""What one request of each page of the scenario costs, measured in one process.

    DATABASE_URL=… SECRET_KEY=… STATIC_ROOT=<collected> .venv/bin/python tests/load/costs.py \
        --manifest tests/load/results/<run>/manifest.json [--repeat 15] [--mix requests.csv]

Runs each request of the load test's flows through Django's test client (no HTTP server, no
locust) `--repeat` times and prints the median CPU time of the process, the queries and the
time spent in them. CPU time hardly depends on what else the machine is doing, so the table
holds on a shared machine where latencies do not. With --mix (a requests.csv of a run) it also
weighs the costs by how often each page was requested in the run's steady state, which gives
the CPU one request of the mix needs, hence the most requests a second the machine's cores can
serve. Everything runs inside a transaction that is rolled back: the database is left as it was
(which adds a SAVEPOINT and a RELEASE around each query that Django protects with one inside a
transaction, so writes show a few more queries here than in gunicorn: `--probe` counts those).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtrm.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from loadkit import build_workbook, multipart  # noqa: E402

from partners.models import User  # noqa: E402
from reporting.models import ActivityLine, MonthlyReport  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def measure(label, call, repeat, results, *, check=None) -> None:
    cpu, wall, queries, db = [], [], [], []
    response = None
    for i in range(repeat + 1):
        with CaptureQueriesContext(connection) as captured:
            c0, w0 = time.process_time(), time.perf_counter()
            response = call(i)
            c1, w1 = time.process_time(), time.perf_counter()
        if check and (problem := check(response)):
            raise SystemExit(f"{label}: {problem}")
        if i == 0:
            continue  # the first of each: templates and translations being loaded
        cpu.append((c1 - c0) * 1000)
        wall.append((w1 - w0) * 1000)
        queries.append(len(captured.captured_queries))
        db.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    results.append({
        "endpoint": label, "cpu_ms": statistics.median(cpu), "wall_ms": statistics.median(wall),
        "queries": statistics.median(queries), "db_ms": statistics.median(db),
        "bytes": len(getattr(response, "content", b"") or b""),
    })


def status(expected):
    return lambda r: None if r.status_code == expected else f"HTTP {r.status_code}, expected {expected}"


def run(manifest: dict, repeat: int) -> list[dict]:
    results: list[dict] = []
    password = manifest["password"]
    account = manifest["reporters"][0]
    slot = account["slots"][0]
    pk = slot["report_pk"]
    indicators = manifest["indicators"][str(slot["sector_pk"])]
    departments = manifest["departments"]
    reporter = Client(HTTP_ACCEPT_LANGUAGE="es")

    # Signing in: the password hash is the cost (PBKDF2, Django's default iterations).
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="es")
    measure("GET /accounts/login/", lambda i: anonymous.get("/accounts/login/"), repeat, results,
            check=status(200))
    measure("POST /accounts/login/", lambda i: Client(HTTP_ACCEPT_LANGUAGE="es").post(
        "/accounts/login/", {"username": account["username"], "password": password}),
        max(3, repeat // 3), results, check=status(302))
    reporter.force_login(User.objects.get(username=account["username"]))

    report = MonthlyReport.objects.get(pk=pk)
    MonthlyReport.objects.filter(pk=pk).update(status="draft")
    identities = iter([(ind[0], dep, pop, "service") for ind in indicators for dep in departments
                       for pop in ("destination", "transit", "host", "pendular", "returnee")])

    def add(i):
        indicator, department, population, modality = next(identities)
        return reporter.post(f"/reports/{pk}/lines/add/", {
            "indicator": indicator, "department": department, "province": "", "district": "",
            "population_type": population, "modality": modality, "implementing_partner": "",
            "girls": 3, "boys": 4, "women": 5, "men": 6, "other_under_18": 0, "other_adults": 0,
            "new_beneficiaries": 18,
            "total_monthly": 20, "quantity": "", "cash_usd": "", "description": "",
        })

    measure("POST /reports/[id]/lines/add/", add, repeat, results, check=status(302))
    line = ActivityLine.objects.filter(report=report).order_by("pk").first()
    for _ in range(3):  # a report of a few lines, as in the test
        add(0)
    measure("GET / (home, reporter)", lambda i: reporter.get("/"), repeat, results, check=status(200))
    measure("GET /reports/[id]/", lambda i: reporter.get(f"/reports/{pk}/"), repeat, results,
            check=status(200))
    measure("GET /reports/[id]/lines/add/", lambda i: reporter.get(f"/reports/{pk}/lines/add/"),
            repeat, results, check=status(200))
    measure("GET /reports/[id]/lines/[n]/", lambda i: reporter.get(f"/reports/{pk}/lines/{line.pk}/"),
            repeat, results, check=status(200))

    def edit(i):
        return reporter.post(f"/reports/{pk}/lines/{line.pk}/", {
            "indicator": line.indicator_id, "department": line.department.code, "province": "",
            "district": "", "population_type": line.population_type, "modality": line.modality,
            "implementing_partner": "", "girls": 3 + i + 1, "boys": 4, "women": 5, "men": 6,
            "other_under_18": 0, "other_adults": 0, "new_beneficiaries": 18 + i + 1,
            "total_monthly": 20 + i + 1,
            "quantity": "", "cash_usd": "", "description": "",
        })

    measure("POST /reports/[id]/lines/[n]/", edit, repeat, results, check=status(302))
    measure("GET /reports/ (list)", lambda i: reporter.get("/reports/"), repeat, results,
            check=status(200))
    measure("GET /locations/?parent=[dept]", lambda i: reporter.get("/locations/?parent=15"), repeat,
            results, check=status(200))
    measure("GET /imports/template/", lambda i: reporter.get(
        f"/imports/template/?organisation={account['organisation']}&period={manifest['period']['code']}"),
        max(3, repeat // 3), results, check=status(200))
    measure("GET /imports/ (upload form)", lambda i: reporter.get("/imports/"), repeat, results,
            check=status(200))
    content, _identities = build_workbook(
        month=manifest["period"]["code"], organisation=account["organisation"],
        sector=slot["sector"], indicators=indicators, departments=departments)
    batches = []

    def upload(i):
        body, content_type = multipart({}, {"file": ("actividades.xlsx", content, XLSX)})
        response = reporter.generic("POST", "/imports/", body, content_type=content_type)
        batches.append(response["Location"])
        return response

    measure("POST /imports/ (upload)", upload, repeat, results, check=status(302))
    measure("GET /imports/[id]/ (preview)", lambda i: reporter.get(batches[i]), repeat, results,
            check=status(200))
    measure("POST /imports/[id]/confirm/", lambda i: reporter.post(batches[i] + "confirm/"),
            repeat, results, check=status(302))

    reporter.post(f"/reports/{pk}/submit/")
    coordinator_account = next(c for c in manifest["coordinators"] if c["sector"] == slot["sector"])
    coordinator = Client(HTTP_ACCEPT_LANGUAGE="es")
    coordinator.force_login(User.objects.get(username=coordinator_account["username"]))
    queue = "/admin/reporting/monthlyreport/?status=submitted"
    change = f"/admin/reporting/monthlyreport/{pk}/change/"
    measure("GET /admin/…/monthlyreport/ (queue)", lambda i: coordinator.get(queue), repeat, results,
            check=status(200))
    measure("GET /admin/…/monthlyreport/[id]/change/", lambda i: coordinator.get(change), repeat,
            results, check=status(200))
    measure("GET / (home, coordinator)", lambda i: coordinator.get("/"), repeat, results,
            check=status(200))

    def review(i):
        MonthlyReport.objects.filter(pk=pk).update(status="submitted")
        return coordinator.post(f"/admin/reporting/monthlyreport/{pk}/review/",
                                {"action": "return", "reason": "Revisen Lima."})

    measure("POST /admin/…/[id]/review/ (return)", review, repeat, results, check=status(302))

    def submit_withdraw(i):
        reporter.post(f"/reports/{pk}/submit/")
        return reporter.post(f"/reports/{pk}/withdraw/")

    measure("POST submit + POST withdraw", submit_withdraw, repeat, results, check=status(302))
    reporter.post(f"/reports/{pk}/submit/")
    events = report.events.count()
    measure(f"GET /admin/…/monthlyreport/[id]/change/ (after {events} review events)",
            lambda i: coordinator.get(change), repeat, results, check=status(200))

    public = Client(HTTP_ACCEPT_LANGUAGE="es")
    if manifest["editions"]:
        month, number = manifest["editions"][0]
        measure("GET /sitreps/", lambda i: public.get("/sitreps/"), repeat, results, check=status(200))
        measure("GET /sitreps/[month]/[n]/", lambda i: public.get(f"/sitreps/{month}/{number}/"),
                repeat, results, check=status(200))
        measure("GET /sitreps/[month]/[n]/json/", lambda i: public.get(f"/sitreps/{month}/{number}/json/"),
                repeat, results, check=status(200))
        from django.core.cache import cache
        measure("GET /sitreps/[month]/[n]/pdf/ (not cached)",
                lambda i: (cache.clear(), public.get(f"/sitreps/{month}/{number}/pdf/"))[1],
                max(2, repeat // 5), results, check=status(200))
        measure("GET /sitreps/[month]/[n]/pdf/ (cached)",
                lambda i: public.get(f"/sitreps/{month}/{number}/pdf/"), repeat, results,
                check=status(200))
    return results


MIX_NAMES = {
    # locust request name → the costs table's row
    "GET / (home)": "GET / (home, reporter)",
    "GET / (home, review queue)": "GET / (home, coordinator)",
    "GET /admin/…/monthlyreport/ (queue after review)": "GET /admin/…/monthlyreport/ (queue)",
    "GET /admin/…/monthlyreport/[id]/change/ (after review)": "GET /admin/…/monthlyreport/[id]/change/",
    "POST /admin/…/[id]/review/ (approve)": "POST /admin/…/[id]/review/ (return)",
    "GET /sitreps/[month]/ (latest)": "GET /sitreps/",
    "GET /sitreps/[month]/[n]/pdf/": "GET /sitreps/[month]/[n]/pdf/ (cached)",
    "POST /reports/[id]/submit/": "POST submit + POST withdraw",
    "POST /reports/[id]/withdraw/": "POST submit + POST withdraw",
    "POST /reports/start/": "POST submit + POST withdraw",
    "POST /reports/[id]/lines/[n]/delete/": "POST /reports/[id]/lines/[n]/",
    "GET /reports/[id]/lines/[n]/delete/": "GET /imports/ (upload form)",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--mix", help="requests.csv of a run: weigh the costs by its steady state")
    args = parser.parse_args()
    manifest = json.loads(Path(args.manifest).read_text())
    with transaction.atomic():
        results = run(manifest, args.repeat)
        transaction.set_rollback(True)
    print("| endpoint | CPU ms | wall ms | queries | DB ms | bytes |")
    print("|---|--:|--:|--:|--:|--:|")
    for r in results:
        print(f"| `{r['endpoint']}` | {r['cpu_ms']:.0f} | {r['wall_ms']:.0f} | {r['queries']:.0f} | "
              f"{r['db_ms']:.1f} | {r['bytes']:,} |")
    if args.mix:
        costs = {r["endpoint"]: r["cpu_ms"] for r in results}
        counts: Counter = Counter()
        with open(args.mix, newline="") as handle:
            for row in csv.DictReader(handle):
                if row["phase"] == "steady":
                    counts[row["name"]] += 1
        total, cpu, missing = sum(counts.values()), 0.0, Counter()
        by_key: Counter = Counter()
        requests_by_key: Counter = Counter()
        for name, n in counts.items():
            key = MIX_NAMES.get(name) or next((k for k in costs if name.startswith(k.split(" (")[0])
                                               and k.split(" (")[0] == name.split(" (")[0]), None)
            if key is None:
                missing[name] += n
                continue
            cpu += costs[key] * n
            by_key[key] += costs[key] * n
            requests_by_key[key] += n
        print("\n| page (as costed) | requests in the mix | share of requests | share of the mix's CPU |")
        print("|---|--:|--:|--:|")
        for key, spent in by_key.most_common():
            print(f"| `{key}` | {requests_by_key[key]:,} | {100 * requests_by_key[key] / total:.1f} % | "
                  f"{100 * spent / cpu:.1f} % |")
        known = total - sum(missing.values())
        per_request = cpu / max(known, 1)
        cores = os.cpu_count() or 1
        print(f"\nMix of {args.mix}: {total} steady-state requests; {per_request:.1f} ms of app CPU "
              f"per request on average; {cores} cores serve at most {1000 * cores / per_request:.0f} "
              f"requests a second with nothing else running (PostgreSQL and the load generator "
              f"take their share of the same cores).")
        if missing:
            print(f"Not costed: {dict(missing)}")


if __name__ == "__main__":
    main()
