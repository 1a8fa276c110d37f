#!/usr/bin/env python
"""Summarise a load-test run directory written by run.sh as Markdown tables.

    analyse.py tests/load/results/<run> [--out summary.md]

Reads requests.csv (every request, from the locustfile), monitor.csv (CPU per process group
and PostgreSQL activity, from monitor.py), queries.csv (the statements seen running most
often), probe-*.csv (per-request server-side costs, with run.sh --probe), run.json and
outcomes.json. Prints: the steady-state totals; latency per endpoint group and per endpoint;
for a step-up run, one row per load step with the CPU of each process group; the sign-ins of
the ramp; the failures; the probe's CPU / database split per endpoint; the busiest statements.
Needs nothing beyond the standard library.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

GROUPS = (
    # (group, test on "METHOD name")
    ("sign-in", lambda m, n: "/accounts/login/" in n),
    ("public PDF", lambda m, n: n.startswith("GET /sitreps/") and n.endswith("pdf/")),
    ("public sitreps", lambda m, n: n.startswith("GET /sitreps/")),
    ("admin review", lambda m, n: "/admin/" in n or "review queue" in n),
    ("spreadsheet upload", lambda m, n: "/imports/" in n),
    ("reporter writes (POST)", lambda m, n: m == "POST"),
    ("reporter pages (GET)", lambda m, n: m == "GET"),
)


def group_of(method: str, name: str) -> str:
    for group, test in GROUPS:
        if test(method, name):
            return group
    return "other"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def fmt(value: float, digits: int = 0) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:,.{digits}f}"


def latency_row(label: str, rows: list[dict], seconds: float) -> list[str]:
    times = [float(r["ms"]) for r in rows]
    failures = sum(1 for r in rows if r["ok"] == "0")
    return [label, fmt(len(rows)), fmt(len(rows) / seconds if seconds else float("nan"), 1),
            fmt(percentile(times, 0.5)), fmt(percentile(times, 0.95)), fmt(percentile(times, 0.99)),
            fmt(max(times) if times else float("nan")),
            f"{failures} ({100 * failures / len(rows):.2f} %)" if rows else "0"]


def table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join("---" if i == 0 else "--:" for i in range(len(headers))) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def window(monitor: list[dict], start: float, end: float) -> list[dict]:
    return [m for m in monitor if start <= float(m["t"]) <= end]


def mean(rows: list[dict], key: str) -> float:
    values = [float(r[key]) for r in rows if r.get(key) not in (None, "")]
    return sum(values) / len(values) if values else float("nan")


LATENCY = ["", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "failures"]
CPU_KEYS = ("cpu_gunicorn", "cpu_postgres (load db)", "cpu_locust", "cpu_postgres (other)",
            "cpu_other")


def summarise(run: Path) -> str:
    meta = json.loads((run / "run.json").read_text()) if (run / "run.json").exists() else {}
    requests = read_csv(run / "requests.csv")
    monitor = read_csv(run / "monitor.csv")
    outcomes = json.loads((run / "outcomes.json").read_text()) if (run / "outcomes.json").exists() else {}
    steady = [r for r in requests if r["phase"] == "steady"]
    ramp = [r for r in requests if r["phase"] == "ramp"]
    out = [f"# Load test {run.name}", ""]
    if meta:
        out += ["| setting | value |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in meta.items()]
        out.append("")
    if not steady:
        out.append("No steady-state requests recorded.")
        return "\n".join(out)
    start, end = float(steady[0]["t"]), max(float(r["t"]) for r in steady)
    seconds = max(end - start, 1.0)

    out += ["## Steady state (after every user has started)", ""]
    overall = latency_row("all requests", steady, seconds)
    rows = [overall]
    by_group: dict[str, list[dict]] = defaultdict(list)
    by_name: dict[str, list[dict]] = defaultdict(list)
    for r in steady:
        by_group[group_of(r["method"], r["name"])].append(r)
        by_name[r["name"]].append(r)
    for group, _test in GROUPS:
        if by_group.get(group):
            rows.append(latency_row(group, by_group[group], seconds))
    out += [f"{fmt(seconds)} s of steady state.", "", table(["endpoint group", *LATENCY[1:]], rows), ""]

    steady_monitor = window(monitor, start, end)
    if steady_monitor:
        out += ["CPU during the steady state (percent of one core; the machine has "
                f"{meta.get('cores', '?')} cores):", ""]
        out.append(table(["process group", "mean %", "max %"], [
            [key.removeprefix("cpu_"), fmt(mean(steady_monitor, key)),
             fmt(max(float(m[key]) for m in steady_monitor))] for key in CPU_KEYS
        ] + [["whole machine (% of all cores)", fmt(mean(steady_monitor, "cpu_total_pct")),
              fmt(max(float(m["cpu_total_pct"]) for m in steady_monitor))],
             ["load average (1 min)", fmt(mean(steady_monitor, "load1"), 2),
              fmt(max(float(m["load1"]) for m in steady_monitor), 2)],
             ["PostgreSQL backends active", fmt(mean(steady_monitor, "pg_active"), 1),
              fmt(max(float(m["pg_active"]) for m in steady_monitor))],
             ["PostgreSQL backends waiting on a lock", fmt(mean(steady_monitor, "pg_waiting_lock"), 2),
              fmt(max(float(m["pg_waiting_lock"]) for m in steady_monitor))]]))
        out.append("")

    out += ["### Per endpoint (steady state, slowest p95 first)", ""]
    named = sorted(by_name.items(), key=lambda item: -percentile([float(r["ms"]) for r in item[1]], 0.95))
    out += [table(["endpoint", *LATENCY[1:]],
                  [latency_row(f"`{name}`", rows_, seconds) for name, rows_ in named]), ""]

    steps = sorted({float(r["target_rps"]) for r in steady})
    if len(steps) > 1:
        out += ["## Load steps", ""]
        step_rows = []
        for target in steps:
            rows_ = [r for r in steady if float(r["target_rps"]) == target]
            s0, s1 = float(rows_[0]["t"]), max(float(r["t"]) for r in rows_)
            span = max(s1 - s0, 1.0)
            base = latency_row(fmt(target), rows_, span)
            mon = window(monitor, s0, s1)
            step_rows.append([*base[:2], base[2], *base[3:6], base[7],
                              fmt(mean(mon, "cpu_gunicorn")), fmt(mean(mon, "cpu_postgres (load db)")),
                              fmt(mean(mon, "cpu_locust")),
                              fmt(mean(mon, "cpu_other") + mean(mon, "cpu_postgres (other)")),
                              fmt(mean(mon, "cpu_total_pct")), fmt(mean(mon, "pg_active"), 1)])
        out += [table(["target req/s", "requests", "achieved req/s", "p50 ms", "p95 ms", "p99 ms",
                       "failures", "CPU gunicorn %", "CPU postgres %", "CPU locust %",
                       "CPU others %", "machine CPU %", "pg active"], step_rows), ""]
        # Per group p95 per step
        groups_seen = [g for g, _t in GROUPS if by_group.get(g)]
        grid = []
        for target in steps:
            rows_ = [r for r in steady if float(r["target_rps"]) == target]
            cells = [fmt(target)]
            for g in groups_seen:
                times = [float(r["ms"]) for r in rows_ if group_of(r["method"], r["name"]) == g]
                cells.append(fmt(percentile(times, 0.95)))
            grid.append(cells)
        out += ["p95 (ms) per endpoint group and step:", "",
                table(["target req/s", *groups_seen], grid), ""]

    logins = [r for r in ramp if r["name"] == "POST /accounts/login/"]
    if ramp:
        r0, r1 = float(ramp[0]["t"]), max(float(r["t"]) for r in ramp)
        out += ["## Ramp-up (users starting and signing in)", "",
                table(["", *LATENCY[1:]], [
                    latency_row("all requests", ramp, max(r1 - r0, 1.0)),
                    latency_row("POST /accounts/login/", logins, max(r1 - r0, 1.0)),
                ]), ""]
        mon = window(monitor, r0, r1)
        if mon:
            out += [f"CPU during the ramp: gunicorn {fmt(mean(mon, 'cpu_gunicorn'))} %, "
                    f"postgres {fmt(mean(mon, 'cpu_postgres (load db)'))} %, locust "
                    f"{fmt(mean(mon, 'cpu_locust'))} %, machine {fmt(mean(mon, 'cpu_total_pct'))} %.", ""]

    out += burst_section(run, requests, meta, monitor)

    failures = Counter((r["name"], r["error"]) for r in requests if r["ok"] == "0")
    out += ["## Failures (whole run)", ""]
    if failures:
        out.append(table(["endpoint", "error", "count"], [
            [f"`{n}`", e.replace("|", "/")[:160], str(c)] for (n, e), c in failures.most_common(20)
        ]))
    else:
        out.append("None.")
    out.append("")
    if outcomes:
        out += ["## Flow outcomes (whole run)", "",
                table(["outcome", "count"], [[k, str(v)] for k, v in sorted(outcomes.items())]), ""]

    probes = []
    for path in sorted(run.glob("probe-*.csv")):
        probes += read_csv(path)
    if probes:
        out += ["## Inside gunicorn (probe): where a request's time goes", ""]
        t_steady = start
        probes = [p for p in probes if float(p["t"]) >= t_steady] or probes
        by_endpoint: dict[str, list[dict]] = defaultdict(list)
        for p in probes:
            by_endpoint[f"{p['method']} {p['endpoint']}"].append(p)
        rows = []
        all_cpu = max(sum(float(p["cpu_ms"]) for p in probes), 1.0)
        ordered = sorted(by_endpoint.items(), key=lambda kv: -sum(float(p["cpu_ms"]) for p in kv[1]))
        for name, items in ordered:
            n = len(items)
            wall = sum(float(p["wall_ms"]) for p in items)
            cpu = sum(float(p["cpu_ms"]) for p in items)
            db = sum(float(p["db_ms"]) for p in items)
            queries = sum(int(p["queries"]) for p in items)
            rows.append([f"`{name}`", str(n), fmt(wall / n), fmt(cpu / n), fmt(db / n),
                         fmt(queries / n, 1), fmt(100 * cpu / all_cpu, 1)])
        out += [table(["endpoint", "requests", "wall ms", "worker CPU ms", "DB wait ms", "queries",
                       "share of all worker CPU %"], rows[:30]), ""]
    queries = read_csv(run / "queries.csv")
    if queries:
        out += ["## Statements seen running most often (pg_stat_activity samples)", "",
                table(["samples", "share", "statement"], [
                    [q["samples_active"], q["share_of_samples"],
                     "`" + q["statement"][:180].replace("|", "/") + "`"] for q in queries[:12]
                ]), ""]
    return "\n".join(out)


SIGN_IN = "POST /accounts/login/"
AFTER = 30.0  # seconds after a burst from which everybody else's requests must be quick again


def windows_table(others: list[dict], spans: list[tuple[str, float, float]],
                  monitor: list[dict]) -> str:
    rows = []
    for label, t0, t1 in spans:
        inside = [r for r in others if t0 <= float(r["t"]) < t1]
        if not inside:
            continue
        row = latency_row(label, inside, max(t1 - t0, 1.0))
        mon = window(monitor, t0, t1)
        rows.append([*row, fmt(mean(mon, "cpu_total_pct")) if mon else "–"])
    return table(["window", *LATENCY[1:], "machine CPU %"], rows)


def burst_section(run: Path, requests: list[dict], meta: dict, monitor: list[dict]) -> list[str]:
    """The sign-ins of a burst (burst.csv), or of the ramp, and everybody else's requests
    before, during and after them (issue 16)."""
    out: list[str] = []
    if not requests:
        return out
    end = max(float(r["t"]) for r in requests)
    burst = read_csv(run / "burst.csv")
    if burst:
        signins = [r for r in burst if r["name"] == SIGN_IN]
        b0 = min(float(r["t"]) for r in burst)
        b1 = max(float(r["t"]) + float(r["ms"]) / 1000 for r in burst if r["name"] == SIGN_IN)
        ok = [r for r in signins if r["ok"] == "1"]
        slowest = max((float(r["ms"]) for r in signins), default=float("nan")) / 1000
        out += [f"## Sign-in burst: {meta.get('burst', len(signins))} people in "
                f"{meta.get('burst_seconds', '?')} s", "",
                f"{len(ok)} of {len(signins)} signed in; the slowest sign-in took "
                f"{fmt(slowest, 1)} s; the burst lasted {fmt(b1 - b0, 1)} s from the first "
                "request to the last sign-in's answer.", "",
                table(["burst requests", *LATENCY[1:]], [
                    latency_row(name, [r for r in burst if r["name"] == name], max(b1 - b0, 1.0))
                    for name in ("GET /accounts/login/", SIGN_IN, "GET / (after sign-in)")
                ]), "",
                "Everybody else's requests (the load test's people; their own sign-ins "
                "excluded):", "",
                windows_table([r for r in requests if r["name"] != SIGN_IN and r["phase"] == "steady"], [
                    ("before the burst", min(float(r["t"]) for r in requests if r["phase"] == "steady"), b0),
                    ("during the burst", b0, b1),
                    (f"first {AFTER:.0f} s after it", b1, b1 + AFTER),
                    (f"from {AFTER:.0f} s after it", b1 + AFTER, end),
                ], monitor), ""]
        return out
    ramp = [r for r in requests if r["phase"] == "ramp"]
    steady = [r for r in requests if r["phase"] == "steady"]
    if not ramp or not steady:
        return out
    r0 = float(ramp[0]["t"])
    r1 = min(float(r["t"]) for r in steady) - float(meta.get("settle_s", 0) or 0)
    signins = [r for r in requests if r["name"] == SIGN_IN]
    slowest = max((float(r["ms"]) for r in signins), default=float("nan")) / 1000
    out += ["## People arriving: the ramp's sign-ins and everybody else's requests", "",
            f"{len(signins)} sign-ins at {meta.get('spawn_rate', '?')} a second; the slowest took "
            f"{fmt(slowest, 1)} s.", "",
            windows_table([r for r in requests if r["name"] != SIGN_IN], [
                ("during the ramp", r0, r1),
                (f"first {AFTER:.0f} s after it", r1, r1 + AFTER),
                (f"from {AFTER:.0f} s after it", r1 + AFTER, end),
            ], monitor), ""]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    text = summarise(args.run)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
