#!/usr/bin/env bash
# Desk report benchmark: seeds SEED_N submissions (default 1,000,000, spread over two years) with
# `courrier seed`, gives the resolved rights of reply and corrections an outcome, then times
# `GET /v1/reports/desk` as an admin (every desk) and as an editor (one desk) over the last 30
# days, the last year and the whole two years, REPEAT times each, JSON and CSV, on PostgreSQL
# (and SQLite with BACKENDS). Run it on a quiet machine; see BENCHMARKS.md.
#
# Usage: bench/report.sh      Knobs: SEED_N [1000000] REPEAT [5] BACKENDS ["postgres"]
#                             PGHOST/PGPORT/PGUSER
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SEED_N=${SEED_N:-1000000}
REPEAT=${REPEAT:-5}
BACKENDS=${BACKENDS:-"postgres"}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/courrier-report-bench.XXXXXX")
HTTP_PORT=${HTTP_PORT:-18092}
PASSWORD="benchmark password 2026"
BASE="http://127.0.0.1:$HTTP_PORT"
SERVER_PID=
DB=

cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
    [[ -n $DB ]] && dropdb --if-exists "$DB" 2>/dev/null || true
}
trap cleanup EXIT

command -v psql >/dev/null && command -v curl >/dev/null && command -v python3 >/dev/null &&
    command -v sqlite3 >/dev/null || {
    apt-get update -qq && apt-get install -y -qq postgresql-client curl python3 sqlite3 >/dev/null
}

cargo build --release --bin courrier
COURRIER=$TARGET/release/courrier

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"

json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }

# Gives outcomes to the seeded resolved rights of reply (7 in 10 inserted) and corrections.
OUTCOMES="UPDATE submissions SET outcome_kind = CASE
    WHEN topic = 'correction' THEN 'corrected'
    WHEN substr(id, 36, 1) IN ('0', '1', '2', '3', '4') THEN 'refused'
    ELSE 'inserted' END
  WHERE status = 'resolved' AND topic IN ('right_of_reply', 'correction');"

# Times one report REPEAT times: prints min, median and max server-to-client seconds.
measure() { # $1 label, $2 token, $3 query, $4 accept
    local times=()
    for _ in $(seq 1 "$REPEAT"); do
        times+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "authorization: Bearer $2" \
            -H "accept: $4" "$BASE/v1/reports/desk?$3")")
    done
    printf '%s\n' "${times[@]}" | sort -n | python3 -c "
import sys
t = [float(x) for x in sys.stdin]
print(f'RESULT $1 n={len(t)} min={t[0]*1000:.0f}ms median={t[len(t)//2]*1000:.0f}ms max={t[-1]*1000:.0f}ms')"
}

for backend in $BACKENDS; do
    case $backend in
    sqlite) url="sqlite://$WORK/report.db" ;;
    postgres)
        DB="courrier_report_bench_$$"
        createdb "$DB"
        url="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
        ;;
    esac
    export COURRIER_ENV=local COURRIER__DATABASE__URL=$url COURRIER__LOG__FILTER=warn \
        COURRIER__HTTP__ADDRESS=127.0.0.1:$HTTP_PORT COURRIER__MAIL__RUN_WORKER=false \
        COURRIER__RETENTION__RUN_PURGE=false COURRIER__DUTIES__RUN_SCHEDULER=false \
        COURRIER__AUTH__LOGIN_PER_IP_PER_MINUTE=1000000
    echo "== $backend: seeding $SEED_N submissions"
    "$COURRIER" seed --count "$SEED_N"
    case $backend in
    postgres) psql -q -c "$OUTCOMES" "$DB" && psql -q -c "VACUUM ANALYZE" "$DB" ;;
    sqlite) sqlite3 "$WORK/report.db" "$OUTCOMES" "ANALYZE;" ;;
    esac
    for who in admin editor; do
        echo "$PASSWORD" | "$COURRIER" user add --email "$who@journal.example" --name "$who" \
            --role "$who" >/dev/null
    done
    "$COURRIER" serve >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -fs "$BASE/health/ready" >/dev/null && break; sleep 0.1; done

    today=$(date -u +%F)
    for who in admin editor; do
        token=$(curl -fs "$BASE/v1/auth/login" -H 'content-type: application/json' \
            -d "{\"email\": \"$who@journal.example\", \"password\": \"$PASSWORD\"}" | json '["token"]')
        for days in 30 365 730; do
            from=$(date -u -d "$today - $days days" +%F)
            measure "$backend-$who-${days}d-json" "$token" "from=$from&to=$today" application/json
        done
        measure "$backend-$who-365d-csv" "$token" \
            "from=$(date -u -d "$today - 365 days" +%F)&to=$today" text/csv
        if [[ $who == admin ]]; then
            curl -fs -H "authorization: Bearer $token" \
                "$BASE/v1/reports/desk?from=$(date -u -d "$today - 730 days" +%F)&to=$today" |
                python3 -m json.tool | head -60
        fi
    done

    echo "  server peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER_PID/status)"
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    if [[ $backend == postgres ]]; then dropdb "$DB"; DB=; fi
done
