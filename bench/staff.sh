#!/usr/bin/env bash
# Staff API benchmark: seeds SEED_N submissions (default 1,000,000) with `courrier seed`, then
# measures GET /v1/submissions — the first page, a filtered page and the 50th page by cursor —
# and the sign-in rate, on SQLite and PostgreSQL. See BENCHMARKS.md.
#
# Usage: bench/staff.sh        Knobs: SEED_N [1000000] DURATION [10] CONNECTIONS [4]
#                              BACKENDS ["sqlite postgres"] PGHOST/PGPORT/PGUSER, CARGO_TARGET_DIR
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SEED_N=${SEED_N:-1000000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-4}
BACKENDS=${BACKENDS:-"sqlite postgres"}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/courrier-staff-bench.XXXXXX")
HTTP_PORT=${HTTP_PORT:-18090}
PASSWORD="benchmark password 2026"
SERVER_PID=
DB=

cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
    [[ -n $DB ]] && dropdb --if-exists "$DB" 2>/dev/null || true
}
trap cleanup EXIT

command -v psql >/dev/null && command -v curl >/dev/null && command -v python3 >/dev/null || {
    apt-get update -qq && apt-get install -y -qq postgresql-client curl python3 >/dev/null
}

cargo build --release --bin courrier
cargo bench --bench load --no-run
COURRIER=$TARGET/release/courrier
LOAD=$(cargo bench --bench load --no-run --message-format=json 2>/dev/null |
    grep '"name":"load"' | grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4)

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), commit $(git rev-parse --short HEAD)"

json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }

run() { # $1 label, then load options
    local label=$1
    shift
    "$LOAD" load --addr "127.0.0.1:$HTTP_PORT" --connections "$CONNECTIONS" \
        --duration "$DURATION" --warmup 2 --label "$label" "$@" | grep -E 'requests/s|^RESULT|status'
}

for backend in $BACKENDS; do
    case $backend in
    sqlite) url="sqlite://$WORK/staff.db" ;;
    postgres)
        DB="courrier_staff_bench_$$"
        createdb "$DB"
        url="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
        ;;
    esac
    export COURRIER_ENV=local COURRIER__DATABASE__URL=$url COURRIER__LOG__FILTER=warn \
        COURRIER__HTTP__ADDRESS=127.0.0.1:$HTTP_PORT COURRIER__MAIL__RUN_WORKER=false \
        COURRIER__RETENTION__RUN_PURGE=false \
        COURRIER__AUTH__LOGIN_PER_IP_PER_MINUTE=1000000
    echo "== $backend: seeding $SEED_N submissions"
    "$COURRIER" seed --count "$SEED_N"
    [[ $backend == postgres ]] && psql -q -c "VACUUM ANALYZE" "$DB"
    echo "$PASSWORD" | "$COURRIER" user add --email bench@journal.example --name Bench --role admin >/dev/null
    "$COURRIER" serve >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -fs "127.0.0.1:$HTTP_PORT/health/ready" >/dev/null && break; sleep 0.1; done
    token=$(curl -fs "127.0.0.1:$HTTP_PORT/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\": \"bench@journal.example\", \"password\": \"$PASSWORD\"}" | json '["token"]')
    # The cursor of page 50 (25 per page), found by walking the pages.
    cursor=
    for _ in $(seq 1 49); do
        cursor=$(curl -fs "127.0.0.1:$HTTP_PORT/v1/submissions${cursor:+?cursor=$cursor}" \
            -H "authorization: Bearer $token" | json '["next"]')
    done
    echo "/v1/submissions" >"$WORK/first"
    echo "/v1/submissions?queue=editorial&status=open" >"$WORK/filtered"
    echo "/v1/submissions?cursor=$cursor" >"$WORK/page50"
    for page in first filtered page50; do
        run "$backend-$page" --paths "$WORK/$page" --token "$token"
    done
    run "$backend-login" --login "bench@journal.example:$PASSWORD"
    echo "  server peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER_PID/status)"
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    if [[ $backend == postgres ]]; then dropdb "$DB"; DB=; fi
done
