#!/usr/bin/env bash
# Inbound mail benchmark (issue 12): messages/s for N readers' replies (default 10,000) to
# existing submissions, taken in by
#   - `courrier mail ingest`, the release binary, one process per message as Postfix's pipe
#     runs it: one after the other (`pipe-1`), and as a batch loop with PIPE_PROCS processes at a
#     time (`pipe-P`, as Postfix runs several pipe deliveries at once);
#   - the IMAP poller of `courrier serve`, from a Dovecot started as tests/api/inbound starts it
#     (loopback, plain IMAP, a Maildir in a temporary folder), the N messages waiting in INBOX;
# on PostgreSQL and SQLite. Each run starts from a fresh database seeded with N submissions;
# each reply is written as a mail client answers the acknowledgement: to the submission's
# signed reply address (`redaction+<token>@…`, the token computed with the run's reply key),
# from the reader's address, `Re: [REF] …`, the new text over the quoted one. A run counts only
# if every message was stored as a `reply` (checked at the end of each run).
#
# Usage: bench/inbound.sh     Knobs: N [10000] PIPE_PROCS [2] BACKENDS ["postgres sqlite"]
#                             MODES ["pipe-1 pipe-P imap"] PGHOST/PGPORT/PGUSER
# It needs root (Dovecot's mail user owns the Maildir). Run it on a quiet machine: the load
# average is printed before and after each run. See BENCHMARKS.md.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${N:-10000}
PIPE_PROCS=${PIPE_PROCS:-2}
BACKENDS=${BACKENDS:-"postgres sqlite"}
MODES=${MODES:-"pipe-1 pipe-P imap"}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/courrier-inbound-bench.XXXXXX")
HTTP_PORT=${HTTP_PORT:-18092}
IMAP_PORT=${IMAP_PORT:-18143}
SERVER_PID=
DOVECOT_PID_FILE=
DB=

cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
    [[ -n $DOVECOT_PID_FILE && -f $DOVECOT_PID_FILE ]] && kill "$(cat "$DOVECOT_PID_FILE")" 2>/dev/null || true
    [[ -n $DB ]] && dropdb --if-exists "$DB" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

need=()
command -v psql >/dev/null || need+=(postgresql-client)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v dovecot >/dev/null || need+=(dovecot-imapd)
if ((${#need[@]})); then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --bin courrier
COURRIER=$TARGET/release/courrier

echo "== machine: $(nproc) cores, commit $(git rev-parse --short HEAD), N=$N, PIPE_PROCS=$PIPE_PROCS"
load() { echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg) ($1)"; }

export COURRIER_ENV=local RUST_LOG=warn
export COURRIER__MAIL__TRANSPORT=file COURRIER__MAIL__FILE_DIR="$WORK/mail"
export COURRIER__MAIL__RUN_WORKER=false
# The seed spreads submissions over two years: the daily purge, run at start by `serve` (the
# IMAP mode), would delete the old spam and the long-resolved ones that replies are written to.
export COURRIER__RETENTION__RUN_PURGE=false COURRIER__DUTIES__RUN_SCHEDULER=false
export COURRIER__HTTP__ADDRESS="127.0.0.1:$HTTP_PORT"
export COURRIER__QUEUES__EDITORIAL__ADDRESS="Rédaction <redaction@journal.example>"
export COURRIER__QUEUES__COMMERCIAL__ADDRESS="Service commercial <commercial@journal.example>"
export COURRIER__MAIL__REPLY_KEY="inbound benchmark reply key $$"
# Seeded readers' addresses repeat: the per-sender limit would turn most replies into stored
# noise and measure less work. Every reply here takes the whole path (store, reopen, notice).
export COURRIER__INBOUND__PER_SENDER_PER_HOUR=100000000

sql() { # the run's database, one query, unaligned
    case $backend in
    postgres) psql -Atq -F $'\t' "$COURRIER__DATABASE__URL" -c "$1" ;;
    sqlite) sqlite3 -separator $'\t' "$WORK/inbound.db" "$1" ;;
    esac
}

fresh_db() {
    case $backend in
    postgres)
        [[ -n $DB ]] && dropdb --if-exists "$DB"
        DB="courrier_inbound_bench_$$"
        createdb "$DB"
        export COURRIER__DATABASE__URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
        ;;
    sqlite)
        rm -f "$WORK"/inbound.db*
        export COURRIER__DATABASE__URL="sqlite://$WORK/inbound.db"
        ;;
    esac
    "$COURRIER" migrate >/dev/null
    "$COURRIER" seed --count "$N" >/dev/null
}

# N replies, one .eml file each, in $WORK/replies.
write_replies() {
    rm -rf "$WORK/replies" && mkdir -p "$WORK/replies"
    # The script comes as an argument: the rows come on standard input.
    local gen
    gen=$(cat <<'PY'
import hashlib, hmac, os, sys, uuid

key = os.environ["COURRIER__MAIL__REPLY_KEY"].encode()
alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
local = {"editorial": "redaction", "commercial": "commercial"}

def token(reference):
    # src/mail/reply_token.rs: the bare reference, lower-case, then 10 characters (5 bits
    # each) from the front of HMAC-SHA256(key, "courrier-reply:" + reference).
    mac = hmac.new(key, b"courrier-reply:" + reference.encode(), hashlib.sha256).digest()
    bits = int.from_bytes(mac[:8], "big")
    signature = "".join(alphabet[(bits >> (59 - 5 * i)) & 31] for i in range(10))
    return reference.replace("-", "").lower() + signature

out = sys.argv[1]
for n, line in enumerate(sys.stdin):
    reference, email, queue = line.rstrip("\n").split("\t")
    to = f"{local[queue]}+{token(reference)}@journal.example"
    body = (
        f"Merci pour votre réponse, voici la suite (message {n}).\r\n\r\n"
        f"Le mar. 1 déc. 2026 à 10:02, Rédaction <redaction@journal.example> a écrit :\r\n"
        f"> Nous avons bien reçu votre message (référence {reference}).\r\n"
        f"> La rédaction vous répondra.\r\n"
    )
    message = (
        f"From: <{email}>\r\nTo: <{to}>\r\nSubject: Re: [{reference}] Votre message\r\n"
        f"Date: Tue, 1 Dec 2026 10:05:00 +0100\r\nMessage-ID: <{uuid.uuid4().hex}@bench.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}"
    )
    with open(os.path.join(out, f"{n:06d}.eml"), "wb") as f:
        f.write(message.encode())
PY
)
    sql "SELECT reference, email, queue FROM submissions ORDER BY created_at LIMIT $N" |
        python3 -c "$gen" "$WORK/replies"
    local written
    written=$(find "$WORK/replies" -name '*.eml' | wc -l)
    [[ $written -eq $N ]] || { echo "wrote $written replies, not $N" >&2; exit 1; }
}

# Every message stored as a reply, or the run does not count.
check_stored() {
    local outcomes
    outcomes=$(sql "SELECT outcome, count(*) FROM inbound_mail GROUP BY outcome" | tr '\t\n' '= ')
    echo "   stored: $outcomes"
    [[ $outcomes == "reply=$N " ]] || { echo "not all $N messages were stored as replies" >&2; exit 1; }
}

rate() { python3 -c "import sys; n, s = int(sys.argv[1]), float(sys.argv[2]); print(f'{n} messages in {s:.1f} s: {n / s:.1f} messages/s, {1000 * s / n:.2f} ms each')" "$@"; }

start_dovecot() {
    local d=$WORK/dovecot
    rm -rf "$d" && mkdir -p "$d"/{run,state,mail}
    # Dovecot's auth and mail processes run as their own users: they must reach the folder.
    chmod 755 "$WORK" "$d"
    chown mail:mail "$d/mail"
    echo 'reader:{PLAIN}secret' >"$d/users"
    cat >"$d/dovecot.conf" <<EOF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 8
mail_location = maildir:$d/mail/%u
passdb {
 driver = passwd-file
 args = $d/users
}
userdb {
 driver = static
 args = uid=mail gid=mail home=$d/mail/%u
}
service imap-login {
 inet_listener imap {
  address = 127.0.0.1
  port = $IMAP_PORT
 }
 inet_listener imaps {
  port = 0
 }
}
EOF
    dovecot -c "$d/dovecot.conf" >/dev/null 2>&1
    DOVECOT_PID_FILE=$d/run/master.pid
    # The replies wait in INBOX, delivered as the MTA's local delivery does (files in new/).
    mkdir -p "$d/mail/reader"/{new,cur,tmp}
    cp "$WORK"/replies/*.eml "$d/mail/reader/new/"
    chown -R mail:mail "$d/mail/reader"
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null && return; sleep 0.1; done
    echo "dovecot did not start" >&2
    exit 1
}

stop_dovecot() {
    kill "$(cat "$DOVECOT_PID_FILE")" 2>/dev/null || true
    DOVECOT_PID_FILE=
}

for backend in $BACKENDS; do
    for mode in $MODES; do
        echo "== $backend, $mode"
        fresh_db
        write_replies
        load before
        case $mode in
        pipe-1)
            start=$(date +%s.%N)
            for f in "$WORK"/replies/*.eml; do
                "$COURRIER" mail ingest <"$f" >/dev/null
            done
            ;;
        pipe-P)
            start=$(date +%s.%N)
            find "$WORK/replies" -name '*.eml' -print0 |
                xargs -0 -P "$PIPE_PROCS" -n 1 sh -c '"$0" mail ingest <"$1" >/dev/null' "$COURRIER"
            ;;
        imap)
            start_dovecot
            start=$(date +%s.%N)
            COURRIER__INBOUND__IMAP_URL="imap://reader:secret@127.0.0.1:$IMAP_PORT/INBOX" \
                COURRIER__INBOUND__PROCESSED_FOLDER=Processed \
                COURRIER__INBOUND__POLL_INTERVAL_MS=1000 \
                "$COURRIER" serve 2>"$WORK/serve.log" &
            SERVER_PID=$!
            while [[ $(sql "SELECT count(*) FROM inbound_mail") -lt $N ]]; do
                kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
                sleep 0.2
            done
            ;;
        esac
        end=$(date +%s.%N)
        if [[ $mode == imap ]]; then
            kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
            SERVER_PID=
            stop_dovecot
        fi
        load after
        echo "   $(rate "$N" "$(python3 -c "print($end - $start)")")"
        check_stored
    done
done
