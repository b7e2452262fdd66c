#!/usr/bin/env bash
# Reports against the forms: seeds SEED_N submissions (default 100,000), then for DURATION
# seconds 16 clients ask for the whole-range desk report back to back as a sales account (each
# again as soon as it is answered, 503 included, ignoring Retry-After), while STREAMS readers
# post the newsroom form one after another. Prints how the reports and the posts were answered.
# Every post must answer 201 (issue 21, finding 5).
#
# Usage: bench/report_contention.sh
# Knobs: SEED_N [100000] DURATION [20] CLIENTS [16] STREAMS [4] BACKENDS ["sqlite postgres"]
#        PGHOST/PGPORT/PGUSER
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SEED_N=${SEED_N:-100000}
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-16}
STREAMS=${STREAMS:-4}
BACKENDS=${BACKENDS:-"sqlite postgres"}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/courrier-contention-bench.XXXXXX")
HTTP_PORT=${HTTP_PORT:-18093}
PASSWORD="benchmark password 2026"
BASE="http://127.0.0.1:$HTTP_PORT"
SERVER_PID=
DB=

cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
    [[ -n $DB ]] && dropdb --if-exists "$DB" 2>/dev/null || true
}
trap cleanup EXIT

cargo build --release --bin courrier
COURRIER=$TARGET/release/courrier

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"

json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }

# Counts the status codes in a file of one code a line: "201 x812" or "200 x31, 503 x9102".
tally() { sort "$1" | uniq -c | awk '{printf "%s%s x%s", (NR>1 ? ", " : ""), $2, $1}'; }

for backend in $BACKENDS; do
    case $backend in
    sqlite) url="sqlite://$WORK/contention.db" ;;
    postgres)
        DB="courrier_contention_bench_$$"
        createdb "$DB"
        url="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
        ;;
    esac
    export COURRIER_ENV=local COURRIER__DATABASE__URL=$url COURRIER__LOG__FILTER=warn \
        COURRIER__HTTP__ADDRESS=127.0.0.1:$HTTP_PORT COURRIER__MAIL__RUN_WORKER=false \
        COURRIER__RETENTION__RUN_PURGE=false COURRIER__DUTIES__RUN_SCHEDULER=false \
        COURRIER__AUTH__LOGIN_PER_IP_PER_MINUTE=1000000 \
        COURRIER__LIMITS__FORM_PER_IP_PER_MINUTE=1000000 \
        COURRIER__LIMITS__FORM_PER_EMAIL_PER_HOUR=1000000 \
        COURRIER__LIMITS__ACK_PER_MAILBOX_PER_DAY=1000000 \
        COURRIER__LIMITS__ACK_PER_DOMAIN_PER_HOUR=1000000
    echo "== $backend: seeding $SEED_N submissions"
    "$COURRIER" seed --count "$SEED_N"
    echo "$PASSWORD" | "$COURRIER" user add --email "sales@journal.example" --name sales \
        --role sales >/dev/null
    "$COURRIER" serve >"$WORK/server-$backend.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -fs "$BASE/health/ready" >/dev/null && break; sleep 0.1; done
    token=$(curl -fs "$BASE/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\": \"sales@journal.example\", \"password\": \"$PASSWORD\"}" | json '["token"]')
    report="$BASE/v1/reports/desk?from=2000-01-01&to=$(date -u +%F)"
    : >"$WORK/reports" && : >"$WORK/posts"
    end=$((SECONDS + DURATION))
    pids=()
    for _ in $(seq 1 "$CLIENTS"); do
        (while ((SECONDS < end)); do
            curl -s -o /dev/null -w '%{http_code}\n' -H "authorization: Bearer $token" "$report"
        done >>"$WORK/reports") &
        pids+=($!)
    done
    for s in $(seq 1 "$STREAMS"); do
        (n=0; while ((SECONDS < end)); do
            n=$((n + 1))
            curl -s -o /dev/null -w '%{http_code}\n' -H 'content-type: application/json' \
                "$BASE/v1/forms/newsroom" -d "{\"name\": \"Lecteur $s\",
                \"email\": \"lecteur$s.$n@example.fr\", \"topic\": \"tip\",
                \"message\": \"Bonjour, une information pour la redaction.\", \"consent\": true}"
        done >>"$WORK/posts") &
        pids+=($!)
    done
    wait "${pids[@]}"
    echo "RESULT $backend rows=$SEED_N seconds=$DURATION report_clients=$CLIENTS" \
        "reports: $(tally "$WORK/reports") | reader posts: $(tally "$WORK/posts")"
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    if [[ $backend == postgres ]]; then dropdb "$DB"; DB=; fi
done
