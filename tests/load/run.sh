#!/usr/bin/env bash
# The deadline-peak load test (issue 5): a fresh PostgreSQL database with the demo and the load
# accounts, gunicorn with production settings on 127.0.0.1:8800, locust headless, then the
# results in tests/load/results/<label>/ and a summary (see tests/load/README.md).
#
#   tests/load/run.sh [--users 330] [--duration 300] [--rps 50] [--spawn-rate 2]
#                     [--step-rps 0] [--step-seconds 60] [--workers N] [--worker-class sync]
#                     [--threads 1] [--label NAME] [--reuse-db] [--probe] [--pdf-share 0.02]
#                     [--wait-quiet LOAD] [--settle 10]
#                     [--burst 100] [--burst-at 60] [--burst-seconds 10] [--hasher NAME]
#
# --duration is the steady state, which starts --settle seconds after every user has started
# (ramp = users / spawn rate; the last ones are still signing in);
# --step-rps N raises the target by N req/s every --step-seconds (the search for the breaking
# point); --probe serves the app through tests/load/probe.py (per-request CPU and database time,
# for diagnosis, not for the measured runs); --reuse-db keeps the database of the previous run;
# --wait-quiet 1.0 waits (up to 30 minutes) until the 1-minute load average is below 1.0 before
# measuring, on a machine shared with other people's test suites and benchmarks.
# --burst N signs N more people in within --burst-seconds, --burst-at seconds into the steady
# state (tests/load/burst.py: a training room, issue 16); --hasher gives the load accounts
# hashes of that hasher (e.g. pbkdf2_sha256: their first sign-ins upgrade them).
# PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (PGHOST, PGPORT, PGUSER to change).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PY=$ROOT/.venv/bin/python
BIN=$ROOT/.venv/bin

USERS=330 DURATION=300 RPS=50 SPAWN_RATE=2 STEP_RPS=0 STEP_SECONDS=60
CORES=$(nproc)
WORKERS=$((2 * CORES + 1)) WORKER_CLASS=sync THREADS=1
LABEL="" REUSE_DB=0 PROBE=0 PDF_SHARE=0.02 QUIET="" SETTLE=10
BURST=0 BURST_AT=60 BURST_SECONDS=10 HASHER=default
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --rps) RPS=$2; shift 2 ;;
    --spawn-rate) SPAWN_RATE=$2; shift 2 ;;
    --step-rps) STEP_RPS=$2; shift 2 ;;
    --step-seconds) STEP_SECONDS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --worker-class) WORKER_CLASS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --label) LABEL=$2; shift 2 ;;
    --reuse-db) REUSE_DB=1; shift ;;
    --probe) PROBE=1; shift ;;
    --pdf-share) PDF_SHARE=$2; shift 2 ;;
    --wait-quiet) QUIET=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --burst) BURST=$2; shift 2 ;;
    --burst-at) BURST_AT=$2; shift 2 ;;
    --burst-seconds) BURST_SECONDS=$2; shift 2 ;;
    --hasher) HASHER=$2; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
LABEL=${LABEL:-$(date +%Y%m%d-%H%M%S)-u${USERS}-r${RPS}}
RUN=$ROOT/tests/load/results/$LABEL
mkdir -p "$RUN"

PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
DB=gtrm_load
PORT=8800
HOST=http://127.0.0.1:$PORT

# Production settings, passed explicitly (the defaults may become stricter): no DEBUG, a
# secret key, this host only, plain HTTP on localhost (no HTTPS redirect, cookies not
# HTTPS-only, no HSTS).
unset DEBUG
export SECRET_KEY=load-test-secret-not-for-production-$$
export ALLOWED_HOSTS=127.0.0.1 CSRF_TRUSTED_ORIGINS=$HOST
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0
export DATABASE_URL=postgres://$PGUSER@$PGHOST:$PGPORT/$DB
export CONN_MAX_AGE=60
STATIC_ROOT=$(mktemp -d /tmp/gtrm-load-static.XXXXXX)
export STATIC_ROOT

GUNICORN_PID="" LOCUST_PID="" MONITOR_PID="" BURST_PID=""
cleanup() {
  for pid in "$LOCUST_PID" "$MONITOR_PID" "$BURST_PID"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 1; done
  fi
  rm -rf "$STATIC_ROOT"
}
trap cleanup EXIT

machine() {
  echo "nproc: $CORES; $(uptime)"
  free -m | sed -n 2p | awk '{print "memory: " $2 " MB, " $7 " MB available"}'
  echo "busiest processes:"
  ps -eo pcpu,etime,args --sort=-pcpu | head -6 | cut -c1-150 | sed 's/^/  /'
}

if [ -n "$QUIET" ]; then
  for _ in $(seq 1 180); do
    awk -v q="$QUIET" '{exit !($1 < q)}' /proc/loadavg && break
    sleep 10
  done
fi
echo "== machine before the run"
machine | tee "$RUN/machine-before.txt"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$REUSE_DB" = 0 ]; then
  echo "== fresh database $DB"
  psql -d postgres -qc "drop database if exists $DB" >/dev/null
  psql -d postgres -qc "create database $DB"
  $PY manage.py migrate --no-input >/dev/null
  $PY manage.py load_seeds | tail -1
  $PY manage.py demo_data | tail -1
fi
$PY tests/load/prepare.py --manifest "$RUN/manifest.json" --room "$((BURST > 100 ? BURST : 100))" \
  --hasher "$HASHER"
psql -d $DB -qc "analyze" && psql -d $DB -qAtc "select pg_stat_reset()" >/dev/null
$PY manage.py collectstatic --no-input -v0

APP=gtrm.wsgi:application
if [ "$PROBE" = 1 ]; then
  APP=tests.load.probe:application
  export PROBE_DIR=$RUN
fi
CONTROL=""
if $BIN/gunicorn --help | grep -q -- --no-control-socket; then CONTROL=--no-control-socket; fi
echo "== gunicorn $APP: $WORKERS workers, $WORKER_CLASS, $THREADS threads"
$BIN/gunicorn "$APP" --bind 127.0.0.1:$PORT --workers "$WORKERS" --worker-class "$WORKER_CLASS" \
  --threads "$THREADS" --timeout 120 $CONTROL --log-file "$RUN/gunicorn.log" &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
  curl -fs -o /dev/null "$HOST/sitreps/" && break
  sleep 0.5
done
curl -fs -o /dev/null "$HOST/sitreps/" || { echo "gunicorn did not start"; cat "$RUN/gunicorn.log"; exit 1; }

RAMP=$(( (USERS + ${SPAWN_RATE%.*} - 1) / ${SPAWN_RATE%.*} ))
RUNTIME=$((DURATION + RAMP + SETTLE + 2))
cat > "$RUN/run.json" <<EOF
{"label": "$LABEL", "started": "$(date -Is)", "users": $USERS, "target_rps": $RPS,
 "step_rps": $STEP_RPS, "step_seconds": $STEP_SECONDS, "spawn_rate": $SPAWN_RATE,
 "ramp_s": $RAMP, "settle_s": $SETTLE, "steady_s": $DURATION, "workers": $WORKERS, "worker_class": "$WORKER_CLASS",
 "threads": $THREADS, "probe": $PROBE, "burst": $BURST, "burst_at_s": $BURST_AT,
 "burst_seconds": $BURST_SECONDS, "hasher": "$HASHER", "cores": $CORES, "load_before": "$LOAD_BEFORE",
 "commit": "$(git rev-parse --short HEAD) + $(git status --porcelain | wc -l) changed files in the working tree",
 "versions": "$($PY -c 'import django, gunicorn, locust, psycopg; print(f"Django {django.__version__}, gunicorn {gunicorn.__version__}, locust {locust.__version__}, psycopg {psycopg.__version__}")'), $(psql -d postgres -qAtc 'show server_version' | cut -d' ' -f1 | sed 's/^/PostgreSQL /')"}
EOF

echo "== locust: $USERS users (ramp ${RAMP}s at $SPAWN_RATE/s), ${RPS} req/s target, ${DURATION}s steady"
set +e
$BIN/locust -f tests/load/locustfile.py --headless --host "$HOST" -u "$USERS" -r "$SPAWN_RATE" \
  -t "${RUNTIME}s" --stop-timeout 10 --reset-stats --only-summary \
  --csv "$RUN/locust" --html "$RUN/locust.html" --manifest "$RUN/manifest.json" \
  --target-rps "$RPS" --step-rps "$STEP_RPS" --step-seconds "$STEP_SECONDS" \
  --pdf-share "$PDF_SHARE" --settle "$SETTLE" --request-log "$RUN/requests.csv" --outcomes "$RUN/outcomes.json" \
  > "$RUN/locust.log" 2>&1 &
LOCUST_PID=$!
$PY tests/load/monitor.py --gunicorn-pid "$GUNICORN_PID" --locust-pid "$LOCUST_PID" \
  --database $DB --out "$RUN/monitor.csv" --queries "$RUN/queries.csv" &
MONITOR_PID=$!
if [ "$BURST" -gt 0 ]; then
  ( sleep $((RAMP + SETTLE + BURST_AT))
    $PY tests/load/burst.py --host "$HOST" --manifest "$RUN/manifest.json" --people "$BURST" \
      --seconds "$BURST_SECONDS" --out "$RUN/burst.csv" > "$RUN/burst.log" 2>&1 ) &
  BURST_PID=$!
fi
wait "$LOCUST_PID"
LOCUST_RC=$?
LOCUST_PID=""
if [ -n "$BURST_PID" ]; then wait "$BURST_PID" || true; BURST_PID=""; fi
set -e
kill -TERM "$MONITOR_PID" 2>/dev/null || true
wait "$MONITOR_PID" 2>/dev/null || true
MONITOR_PID=""

psql -d $DB -qc "select relname, seq_scan, seq_tup_read, idx_scan, n_live_tup, n_tup_ins, n_tup_upd, n_tup_del
                  from pg_stat_user_tables order by seq_tup_read desc limit 15" > "$RUN/db-tables.txt"
kill -TERM "$GUNICORN_PID"
for _ in $(seq 1 30); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 1; done
GUNICORN_PID=""

echo "== machine after the run"
machine | tee "$RUN/machine-after.txt"
$PY tests/load/analyse.py "$RUN" --out "$RUN/summary.md" >/dev/null
cp "$RUN/summary.md" "$ROOT/tests/load/results/summary-$LABEL.md"
echo
echo "== results in $RUN (locust exit code $LOCUST_RC); summary tests/load/results/summary-$LABEL.md"
echo "== machine: $CORES cores; load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$RUN/summary.md"
