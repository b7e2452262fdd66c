#!/usr/bin/env bash
# Staff console benchmark: seeds SEED_N submissions (default 1,000,000) with `courrier seed`,
# signs in through the console's form, then measures the inbox page's server time — the first
# page (the "À traiter" view), each other view (mine, unassigned, all), the unread-only switch,
# a filtered page (queue=editorial&status=open) and the 50th page by its "next" links —
# and one submission's page with THREAD items (default 200: half notes, half replies), on
# PostgreSQL (and SQLite with BACKENDS). Run it on a quiet machine; see BENCHMARKS.md.
#
# Usage: bench/console.sh      Knobs: SEED_N [1000000] THREAD [200] DURATION [10]
#                              CONNECTIONS [4] BACKENDS ["postgres"] PGHOST/PGPORT/PGUSER
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SEED_N=${SEED_N:-1000000}
THREAD=${THREAD:-200}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-4}
BACKENDS=${BACKENDS:-"postgres"}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/courrier-console-bench.XXXXXX")
HTTP_PORT=${HTTP_PORT:-18091}
PASSWORD="benchmark password 2026"
BASE="http://127.0.0.1:$HTTP_PORT"
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

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"

json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
# The first `rel="next"` link of a page on stdin.
next_link() { python3 -c "import sys, re, html; m = re.search(r'rel=\"next\" href=\"([^\"]+)\"', sys.stdin.read()); print(html.unescape(m.group(1)) if m else '')"; }

run() { # $1 label, $2 paths file
    "$LOAD" load --addr "127.0.0.1:$HTTP_PORT" --connections "$CONNECTIONS" \
        --duration "$DURATION" --warmup 2 --label "$1" --paths "$2" --cookie "$COOKIE" |
        grep -E 'requests/s|^RESULT|status'
}

for backend in $BACKENDS; do
    case $backend in
    sqlite) url="sqlite://$WORK/console.db" ;;
    postgres)
        DB="courrier_console_bench_$$"
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
    for _ in $(seq 1 100); do curl -fs "$BASE/health/ready" >/dev/null && break; sleep 0.1; done

    # Sign in through the console's form, as a browser does.
    jar=$WORK/jar
    csrf=$(curl -fs -c "$jar" "$BASE/staff/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
    curl -fs -b "$jar" -c "$jar" -o /dev/null "$BASE/staff/login" \
        --data-urlencode "csrf=$csrf" --data-urlencode "email=bench@journal.example" \
        --data-urlencode "password=$PASSWORD" --data-urlencode "next="
    COOKIE="courrier_staff=$(awk '$6 == "courrier_staff" {print $7}' "$jar")"

    # The 50th page (50 rows a page), found by following the "next" links.
    page=/staff/
    for _ in $(seq 1 49); do
        page=$(curl -fs -H "cookie: $COOKIE" "$BASE$page" | next_link)
    done
    echo "/staff/" >"$WORK/first"
    echo "/staff/?queue=editorial&status=open" >"$WORK/filtered"
    echo "$page" >"$WORK/page50"
    echo "/staff/?view=mine" >"$WORK/mine"
    echo "/staff/?view=unassigned" >"$WORK/unassigned"
    echo "/staff/?view=all" >"$WORK/all"
    echo "/staff/?view=todo&unread=1" >"$WORK/unread"
    echo "/staff/?view=todo&queue=editorial&topic=tip" >"$WORK/todo-filtered"
    for p in first mine unassigned all unread todo-filtered filtered page50; do
        run "$backend-inbox-$p" "$WORK/$p"
    done

    # One submission with THREAD items, through the API (replies stay in the outbox).
    token=$(curl -fs "$BASE/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\": \"bench@journal.example\", \"password\": \"$PASSWORD\"}" | json '["token"]')
    ref=$(curl -fs "$BASE/v1/submissions?queue=editorial&limit=1" -H "authorization: Bearer $token" |
        json '["items"][0]["reference"]')
    for i in $(seq 1 $((THREAD / 2))); do
        for kind in notes replies; do
            curl -fs -o /dev/null "$BASE/v1/submissions/$ref/$kind" -H "authorization: Bearer $token" \
                -H 'content-type: application/json' -d "{\"body\": \"Item $i of the thread, $kind.\"}"
        done
    done
    echo "/staff/submissions/$ref" >"$WORK/submission"
    run "$backend-submission-$THREAD" "$WORK/submission"

    echo "  server peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER_PID/status)"
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    if [[ $backend == postgres ]]; then dropdb "$DB"; DB=; fi
done
