#!/usr/bin/env bash
# Courrier's benchmark: HTTP intake on SQLite and PostgreSQL, a pgbench ceiling for the same
# transaction, outbox dispatch to a loopback SMTP sink, and lettre's stock SMTP connection
# against courrier's TCP_NODELAY one. See BENCHMARKS.md.
#
# Usage (from anywhere): bench/run.sh [all|smtp|intake|pgbench|dispatch|profile]...
# `bench/run.sh intake pgbench` is the side-by-side run of the throughput issue: intake with
# group commit off and on, worker off and on, on PostgreSQL and SQLite (synchronous = full),
# pgbench's ceiling for the same rows, and a summary table with the ratios at the end.
# Environment knobs (defaults in brackets):
#   DURATION [10]      seconds measured per HTTP load run (after WARMUP [2] seconds)
#   CONNECTIONS [32]   HTTP connections of the load generator
#   DISPATCH_N [20000] outbox messages seeded for each dispatch run
#   PGHOST [127.0.0.1] PGPORT [5432] PGUSER [postgres]  a server allowing CREATE DATABASE
#   BACKENDS ["postgres sqlite-full"]  (also: sqlite-normal)
#   MODES ["intake-only worker"]  intake with the outbox worker off, and sending to the sink
#                                 (the rows, outbox included, are written either way)
#   GROUP_COMMITS ["off on"]      database.group_commit.enabled for each intake run
#   PROFILE_SECONDS [10]          the profile step: perf (cpu-clock, whole machine) or callgrind
#   CARGO_TARGET_DIR   where cargo builds (default: target)
# Results go to stdout and to $RESULTS [bench-results.txt in a fresh temporary directory].
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
DISPATCH_N=${DISPATCH_N:-20000}
DISPATCH_TIMEOUT=${DISPATCH_TIMEOUT:-120}
BACKENDS=${BACKENDS:-"postgres sqlite-full"}
MODES=${MODES:-"intake-only worker"}
GROUP_COMMITS=${GROUP_COMMITS:-"off on"}
PROFILE_SECONDS=${PROFILE_SECONDS:-10}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/courrier-bench.XXXXXX")
RESULTS=${RESULTS:-$WORK/bench-results.txt}
STEPS=${*:-all}
HTTP_PORT=${HTTP_PORT:-18080}
SINK_PORT=${SINK_PORT:-12525}
PIDS=()

log() { echo "$*" | tee -a "$RESULTS"; }
want() { [[ " $STEPS " == *" all "* || " $STEPS " == *" $1 "* ]]; }

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    # new_db runs in a subshell, so find this run's databases by name.
    for db in $(psql -Atq -c "SELECT datname FROM pg_database WHERE datname LIKE 'courrier_bench_$$_%'" postgres 2>/dev/null); do
        dropdb --if-exists "$db" 2>/dev/null || true
    done
}
trap cleanup EXIT

# --- tools --------------------------------------------------------------------------------------
need=()
command -v psql >/dev/null && command -v pgbench >/dev/null || need+=(postgresql-client)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
    echo "installing ${need[*]}"
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- build --------------------------------------------------------------------------------------
cargo build --release --bin courrier
cargo bench --bench load --no-run
LOAD=$(cargo bench --bench load --no-run --message-format=json 2>/dev/null |
    grep '"name":"load"' | grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4)
COURRIER=$TARGET/release/courrier
[[ -x $COURRIER && -x $LOAD ]] || { echo "build outputs not found" >&2; exit 1; }

# --- machine ------------------------------------------------------------------------------------
log "== machine"
log "date: $(date -u +%FT%TZ)  commit: ${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
log "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
log "memory: $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1048576}')"
log "kernel: $(uname -sr)"
log "rustc: $(rustc --version)"
log "postgresql: $(psql -Atc 'SHOW server_version' postgres)  (fsync=$(psql -Atc 'SHOW fsync' postgres), synchronous_commit=$(psql -Atc 'SHOW synchronous_commit' postgres))"
log "sqlite (CLI): $(sqlite3 --version | cut -d' ' -f1)"

# --- helpers ------------------------------------------------------------------------------------
server_env() { # $1 database URL; extra COURRIER__ variables follow
    echo COURRIER_ENV=local COURRIER__HTTP__ADDRESS=127.0.0.1:$HTTP_PORT \
        COURRIER__DATABASE__URL="$1" COURRIER__MAIL__TRANSPORT=smtp \
        COURRIER__MAIL__SMTP_URL=smtp://127.0.0.1:$SINK_PORT COURRIER__LOG__FILTER=warn \
        COURRIER__LIMITS__FORM_PER_IP_PER_MINUTE=1000000000 \
        COURRIER__LIMITS__FORM_PER_EMAIL_PER_HOUR=1000000000 \
        COURRIER__LIMITS__ACK_PER_MAILBOX_PER_DAY=1000000000 \
        COURRIER__LIMITS__ACK_PER_DOMAIN_PER_HOUR=1000000000 COURRIER__METRICS__TOKEN=bench-metrics-token-0001 \
        COURRIER__RETENTION__RUN_PURGE=false "${@:2}"
}

start_server() { # $1 database URL; extra env assignments follow. Sets SERVER_PID, STARTED.
    STARTED=$(date +%s.%N)
    env $(server_env "$@") "$COURRIER" serve >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 1 100); do
        if curl -fs "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || { tail "$WORK/server.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "server not ready" >&2
    exit 1
}

stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
}

peak_rss() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

field() { # $1 RESULT line, $2 key
    tr ' ' '\n' <<<"$1" | grep "^$2=" | cut -d= -f2
}

sql() { # $1 database URL, $2 query
    case $1 in
    sqlite://*) sqlite3 "${1#sqlite://}" "$2" ;;
    *) psql -Atq -v ON_ERROR_STOP=1 "$1" -c "$2" ;;
    esac
}

new_db() { # $1 backend, $2 name; prints a database URL
    case $1 in
    sqlite-*) mkdir -p "$WORK/$2" && echo "sqlite://$WORK/$2/courrier.db" ;;
    postgres)
        local db="courrier_bench_$$_$2"
        dropdb --if-exists "$db" 2>/dev/null && createdb "$db"
        echo "postgres://$PGUSER@$PGHOST:$PGPORT/$db"
        ;;
    esac
}

sync_env() { # SQLite's synchronous setting for a backend name
    case $1 in
    sqlite-normal) echo COURRIER__DATABASE__SQLITE_SYNCHRONOUS=normal ;;
    *) echo COURRIER__DATABASE__SQLITE_SYNCHRONOUS=full ;;
    esac
}

# --- SMTP sink (used by every step that sends mail) ---------------------------------------------
"$LOAD" smtp-sink --addr "127.0.0.1:$SINK_PORT" --threads 32 >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
sleep 0.3

# --- 1. lettre stock vs courrier's nodelay channel ----------------------------------------------
if want smtp; then
    log "== smtp: 300 messages sent sequentially to a loopback sink"
    "$LOAD" smtp-compare --messages 300 --rounds 2 | tee -a "$RESULTS"
fi

# --- 2. HTTP intake per backend -----------------------------------------------------------------
PG_LOAD_URL=
if want intake; then
    for backend in $BACKENDS; do
      for gc in $GROUP_COMMITS; do
      for mode in $MODES; do
        label=$backend-gc$gc-$mode
        log "== intake: $backend, group commit $gc, $mode (courrier serve, $CONNECTIONS connections, ${DURATION}s + ${WARMUP}s warm-up)"
        url=$(new_db "$backend" "intake_${backend/-/_}_${gc}_${mode/-/_}")
        [[ $backend == postgres ]] && PG_LOAD_URL=$url
        worker=COURRIER__MAIL__RUN_WORKER=true
        [[ $mode == intake-only ]] && worker=COURRIER__MAIL__RUN_WORKER=false
        enabled=true
        [[ $gc == off ]] && enabled=false
        start_server "$url" "$(sync_env "$backend")" "$worker" \
            COURRIER__DATABASE__GROUP_COMMIT__ENABLED=$enabled
        "$LOAD" load --addr "127.0.0.1:$HTTP_PORT" --connections "$CONNECTIONS" \
            --duration "$DURATION" --warmup "$WARMUP" --label "$label-peak" >"$WORK/peak.txt"
        log "$(cat "$WORK/peak.txt")"
        peak=$(grep '^RESULT' "$WORK/peak.txt")
        rate=$(awk -v r="$(field "$peak" rps)" 'BEGIN {printf "%.0f", r / 2}')
        "$LOAD" load --addr "127.0.0.1:$HTTP_PORT" --connections "$CONNECTIONS" --rate "$rate" \
            --duration "$DURATION" --warmup "$WARMUP" --label "$label-half" >"$WORK/half.txt"
        log "$(cat "$WORK/half.txt")"
        rss=$(peak_rss "$SERVER_PID")
        # With the worker on: how long after the load the outbox backlog takes to drain.
        drain=-
        if [[ $mode == worker ]]; then
            t0=$(date +%s.%N)
            until [[ $(sql "$url" "SELECT count(*) FROM outbox WHERE status = 'pending'") == 0 ]]; do
                if awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN {exit !(a - b > 120)}'; then break; fi
                sleep 0.2
            done
            drain=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN {printf "%.1f", a - b}')
        fi
        batches=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" -H "authorization: Bearer bench-metrics-token-0001" |
            awk '/^courrier_intake_batches_total/ {b=$2} /^courrier_intake_batched_submissions_total/ {s=$2}
                 END {if (b > 0) printf "%.1f", s / b; else print "-"}')
        stop_server
        subs=$(sql "$url" "SELECT count(*) FROM submissions")
        out=$(sql "$url" "SELECT count(*) FROM outbox")
        ev=$(sql "$url" "SELECT count(*) FROM events")
        sent=$(sql "$url" "SELECT count(*) FROM outbox WHERE status = 'sent'")
        log "  server peak RSS (VmHWM): $rss MiB; mean batch: $batches submissions; backlog drained in: $drain s"
        log "  rows: submissions $subs, outbox $out (sent $sent), events $ev; outbox = 2 x submissions: $([[ $out -eq $((2 * subs)) ]] && echo yes || echo NO)"
        log "RESULT label=$label-rows submissions=$subs outbox=$out sent=$sent events=$ev rss_mib=$rss drain_s=$drain mean_batch=$batches"
      done
      done
    done
fi

# --- 3. pgbench ceiling ---------------------------------------------------------------------------
if want pgbench; then
    log "== pgbench: the same transaction as raw SQL (bench/submission.pgbench)"
    # Body lengths as courrier wrote them, when the intake step ran; else typical values.
    lens="msg_len=700 tn_text_len=1100 tn_html_len=1700 ra_text_len=900 ra_html_len=1300"
    if [[ -n $PG_LOAD_URL ]]; then
        lens=$(psql -Atq "$PG_LOAD_URL" -F' ' -c "SELECT
            'msg_len=' || round(avg(length(message))) FROM submissions" \
            -c "SELECT 'tn_text_len=' || round(avg(length(body_text))), 'tn_html_len=' || round(avg(length(body_html)))
                FROM outbox WHERE purpose = 'team_notification'" \
            -c "SELECT 'ra_text_len=' || round(avg(length(body_text))), 'ra_html_len=' || round(avg(length(body_html)))
                FROM outbox WHERE purpose = 'reader_ack'" | tr '\n' ' ')
    fi
    log "  body lengths (chars): $lens"
    defs=()
    for l in $lens; do defs+=(-D "$l"); done
    url=$(new_db postgres pgbench)
    COURRIER__DATABASE__URL=$url COURRIER__LOG__FILTER=warn "$COURRIER" migrate >/dev/null
    db=${url##*/}
    for c in 8 32; do
        out=$(pgbench -n -M prepared -c "$c" -j 2 -T "$DURATION" -f bench/submission.pgbench \
            "${defs[@]}" "$db" 2>&1)
        tps=$(grep -o 'tps = [0-9.]*' <<<"$out" | head -1 | cut -d' ' -f3)
        lat=$(grep -o 'latency average = [0-9.]* ms' <<<"$out" | grep -o '[0-9.]*')
        fails=$(grep -o 'number of failed transactions: [0-9]*' <<<"$out" | grep -o '[0-9]*$' || echo 0)
        log "  pgbench -c$c -j2 -T$DURATION: tps $tps, latency average $lat ms, failed $fails"
        log "RESULT label=pgbench-c$c tps=$tps latency_ms=$lat failed=$fails"
    done
    log "  rows: submissions $(sql "$url" 'SELECT count(*) FROM submissions'), outbox $(sql "$url" 'SELECT count(*) FROM outbox')"
fi

# --- 4. outbox dispatch -------------------------------------------------------------------------
seed() { # $1 backend, $2 url, $3 number of messages (two per submission)
    local subs=$(($3 / 2))
    case $1 in
    postgres)
        sql "$2" "
        INSERT INTO submissions (id, reference, form, topic, queue, status, priority, name, email,
            subject, message, locale, consent, consent_version, consent_at, marketing_opt_in,
            version, created_at, updated_at)
        SELECT 'seed-' || g, 'S-' || g, 'newsroom', 'tip', 'editorial', 'new', 'normal',
            'Lectrice ' || g, 'lectrice.' || g || '@example.org', 'Dossier ' || g,
            repeat('Les faits sont les suivants, documents à l''appui. ', 14), 'fr', true,
            '2026-11', now() AT TIME ZONE 'utc', false, 1, now() AT TIME ZONE 'utc',
            now() AT TIME ZONE 'utc'
        FROM generate_series(1, $subs) g;
        INSERT INTO outbox (id, submission_id, purpose, from_addr, recipients, reply_to, subject,
            body_text, body_html, message_id, status, attempts, next_attempt_at, created_at)
        SELECT p || '-' || g, 'seed-' || g,
            CASE p WHEN 't' THEN 'team_notification' ELSE 'reader_ack' END,
            'Courrier <courrier@localhost>',
            CASE p WHEN 't' THEN 'redaction@localhost'
                ELSE '\"Lectrice ' || g || '\" <lectrice.' || g || '@example.org>' END,
            CASE p WHEN 't' THEN 'lectrice.' || g || '@example.org' END,
            '[Rédaction] Nouveau message ' || g,
            repeat('Une lectrice a écrit à la rédaction, documents à l''appui. ', 20),
            '<p>' || repeat('Une lectrice a écrit à la rédaction, documents à l''appui. ', 24) || '</p>',
            '<' || p || '-' || g || '@localhost>', 'pending', 0,
            now() AT TIME ZONE 'utc' - interval '1 minute', now() AT TIME ZONE 'utc'
        FROM generate_series(1, $subs) g, (VALUES ('t'), ('a')) v(p);"
        ;;
    sqlite-*)
        sql "$2" "
        INSERT INTO submissions (id, reference, form, topic, queue, status, priority, name, email,
            subject, message, locale, consent, consent_version, consent_at, marketing_opt_in,
            version, created_at, updated_at)
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $subs)
        SELECT 'seed-' || g, 'S-' || g, 'newsroom', 'tip', 'editorial', 'new', 'normal',
            'Lectrice ' || g, 'lectrice.' || g || '@example.org', 'Dossier ' || g,
            replace(hex(zeroblob(14)), '00', 'Les faits sont les suivants, documents à l''appui. '),
            'fr', 1, '2026-11', strftime('%Y-%m-%d %H:%M:%f', 'now'), 0, 1,
            strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
        FROM s;
        INSERT INTO outbox (id, submission_id, purpose, from_addr, recipients, reply_to, subject,
            body_text, body_html, message_id, status, attempts, next_attempt_at, created_at)
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $subs),
            v(p) AS (VALUES ('t'), ('a'))
        SELECT p || '-' || g, 'seed-' || g,
            CASE p WHEN 't' THEN 'team_notification' ELSE 'reader_ack' END,
            'Courrier <courrier@localhost>',
            CASE p WHEN 't' THEN 'redaction@localhost'
                ELSE '\"Lectrice ' || g || '\" <lectrice.' || g || '@example.org>' END,
            CASE p WHEN 't' THEN 'lectrice.' || g || '@example.org' END,
            '[Rédaction] Nouveau message ' || g,
            replace(hex(zeroblob(20)), '00', 'Une lectrice a écrit à la rédaction, documents à l''appui. '),
            '<p>' || replace(hex(zeroblob(24)), '00', 'Une lectrice a écrit à la rédaction, documents à l''appui. ') || '</p>',
            '<' || p || '-' || g || '@localhost>', 'pending', 0,
            strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 minute'), strftime('%Y-%m-%d %H:%M:%f', 'now')
        FROM s, v;"
        ;;
    esac
}

if want dispatch; then
    log "== dispatch: $DISPATCH_N seeded outbox messages to the loopback SMTP sink"
    for backend in ${DISPATCH_BACKENDS:-postgres sqlite-full}; do
        for cb in ${DISPATCH_CONFIGS:-4x16 8x16 8x64}; do
            conc=${cb%x*} batch=${cb#*x}
            url=$(new_db "$backend" "dispatch_${backend/-/_}_${conc}_$batch")
            COURRIER__DATABASE__URL=$url COURRIER__LOG__FILTER=warn "$COURRIER" migrate >/dev/null
            seed "$backend" "$url" "$DISPATCH_N"
            start_server "$url" "$(sync_env "$backend")" COURRIER__MAIL__CONCURRENCY="$conc" \
                COURRIER__MAIL__BATCH_SIZE="$batch" \
                COURRIER__MAIL__LEASE_MS=$((batch * 62000 + 60000)) # must exceed batch x (2 x smtp_timeout + 2 s)
            # Timed from the server's start: the senders begin before the HTTP listener is up.
            t0=$STARTED s0=0
            sent=$(sql "$url" "SELECT count(*) FROM outbox WHERE status = 'sent'")
            while ((sent < DISPATCH_N)); do
                sleep 0.1
                sent=$(sql "$url" "SELECT count(*) FROM outbox WHERE status = 'sent'")
                if awk -v a="$(date +%s.%N)" -v b="$t0" -v l="$DISPATCH_TIMEOUT" 'BEGIN {exit !(a - b > l)}'; then
                    log "  (timed out after ${DISPATCH_TIMEOUT}s)"
                    break
                fi
            done
            t1=$(date +%s.%N)
            rss=$(peak_rss "$SERVER_PID")
            stop_server
            rate=$(awk -v n="$((sent - s0))" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
            dead=$(sql "$url" "SELECT count(*) FROM outbox WHERE status = 'dead'")
            log "  $backend concurrency=$conc batch=$batch: $((sent - s0)) messages in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s = $rate msgs/s (sent total $sent, dead $dead, peak RSS $rss MiB)"
            log "RESULT label=dispatch-$backend-c$conc-b$batch sent=$sent msgs_per_s=$rate rss_mib=$rss"
        done
    done
    log "  sink: $(tail -1 "$WORK/sink.log")"
fi

# --- 5. profile: where the time goes, group commit off and on, worker off and on -------------
# perf samples the whole machine on its software clock (cpu-clock: no hardware counters needed),
# so the database's backends, the load generator and the SMTP sink show beside the server: on 2
# cores they share the CPU. Without perf, callgrind counts the server's instructions alone.
if want profile; then
    if perf record -e cpu-clock -o "$WORK/perf-probe.data" -- true >/dev/null 2>&1; then
        TOOL=perf
    else
        TOOL=callgrind
    fi
    log "== profile ($TOOL): PostgreSQL intake, group commit off and on, $MODES"
    for mode in $MODES; do
      for gc in off on; do
        enabled=true
        [[ $gc == off ]] && enabled=false
        worker=COURRIER__MAIL__RUN_WORKER=true
        [[ $mode == intake-only ]] && worker=COURRIER__MAIL__RUN_WORKER=false
        url=$(new_db postgres "profile_${gc}_${mode/-/_}")
        if [[ $TOOL == perf ]]; then
            start_server "$url" "$worker" COURRIER__DATABASE__GROUP_COMMIT__ENABLED=$enabled
            perf record -e cpu-clock -F 999 -a -g -o "$WORK/perf-$gc-$mode.data" \
                -- sleep "$PROFILE_SECONDS" >/dev/null 2>&1 &
            rec=$!
            "$LOAD" load --addr "127.0.0.1:$HTTP_PORT" --connections "$CONNECTIONS" \
                --duration "$PROFILE_SECONDS" --warmup 0 --label "profile-gc$gc-$mode" | tee -a "$RESULTS"
            wait "$rec" || true
            stop_server
            log "-- group commit $gc, $mode: CPU by process (perf, whole machine)"
            perf report -i "$WORK/perf-$gc-$mode.data" --stdio --no-children --sort comm -g none \
                2>/dev/null | grep -E '^ +[0-9]' | tr -s ' ' | head -8 | tee -a "$RESULTS" || true
            log "-- group commit $gc, $mode: top entries (self time, whole machine)"
            perf report -i "$WORK/perf-$gc-$mode.data" --stdio --no-children --sort comm,symbol \
                -g none 2>/dev/null | grep -E '^ +[0-9]' | tr -s ' ' | head -25 | tee -a "$RESULTS" || true
        else
            # Under valgrind the server is ~50x slower: a short, light load is enough to rank.
            STARTED=$(date +%s.%N)
            env $(server_env "$url" "$worker" COURRIER__DATABASE__GROUP_COMMIT__ENABLED=$enabled) \
                valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind-$gc-$mode.out" \
                "$COURRIER" serve >>"$WORK/server.log" 2>&1 &
            SERVER_PID=$!
            PIDS+=("$SERVER_PID")
            for _ in $(seq 1 600); do
                curl -fs "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null && break
                sleep 0.2
            done
            "$LOAD" load --addr "127.0.0.1:$HTTP_PORT" --connections 8 \
                --duration "$PROFILE_SECONDS" --warmup 0 --label "profile-gc$gc-$mode" | tee -a "$RESULTS"
            stop_server
            log "-- top entries, group commit $gc, $mode (callgrind_annotate, self cost)"
            callgrind_annotate "$WORK/callgrind-$gc-$mode.out" 2>/dev/null | grep -E '^ *[0-9,]+ ' |
                head -25 | tee -a "$RESULTS" || true
        fi
      done
    done
fi

# --- summary --------------------------------------------------------------------------------------
if grep -q '^RESULT label=.*-peak' "$RESULTS"; then
    log "== summary (ratios against pgbench -c8 of this same run)"
    awk '
        /^RESULT/ {
            delete f
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            l = f["label"]
            if (l == "pgbench-c8") pg = f["tps"]
            else if (l ~ /-peak$/) { k = substr(l, 1, length(l) - 5); runs[++n] = k; rps[k] = f["rps"]; p99[k] = f["p99_ms"]; err[k] = f["errors"] }
            else if (l ~ /-half$/) { k = substr(l, 1, length(l) - 5); half[k] = f["p99_ms"] }
            else if (l ~ /-rows$/) { k = substr(l, 1, length(l) - 5); drain[k] = f["drain_s"]; batch[k] = f["mean_batch"] }
        }
        END {
            printf "| %-32s | %9s | %9s | %12s | %10s | %8s | %10s | %6s |\n", "run", "peak/s", "p99 peak", "p99 half pk", "x pgbench", "drain s", "mean batch", "errors"
            for (i = 1; i <= n; i++) {
                k = runs[i]
                ratio = (pg > 0 && k ~ /^postgres/) ? sprintf("%.2f", rps[k] / pg) : "-"
                printf "| %-32s | %9.0f | %9s | %12s | %10s | %8s | %10s | %6s |\n", k, rps[k], p99[k], half[k], ratio, drain[k], batch[k], err[k]
            }
            if (pg > 0) printf "pgbench -c8: %.0f tps\n", pg
        }' "$RESULTS" | tee -a "$RESULTS"
fi

log "== done; results in $RESULTS"
