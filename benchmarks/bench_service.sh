#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The authority service under load: deposits at 1, 16 and 64 concurrent connections against
# `escrow authority serve` on SQLite and PostgreSQL, for an X25519 and an RSA-3072 authority;
# prints one Markdown table (the issue's): deposits per second, p50 and p99 latency, the server's
# peak RSS, and the load average when each row was measured (the machine may be shared). Not a
# test: it prints figures (docs/performance.md).
#
#   benchmarks/bench_service.sh [BUILD_DIR] [RECORDS]
#
# BUILD_DIR (default build) holds examples/escrow and tests/cli's escrow_test_deposit_load and
# escrow_test_make_records (cmake --build BUILD_DIR --target escrow_cli escrow_test_deposit_load
# escrow_test_make_records). RECORDS (default 1000) deposits per run at 16 and 64 connections,
# a fifth of them at 1. BENCH_DBS (default "sqlite postgresql") chooses the databases; PostgreSQL
# is a throwaway server started by tests/postgres/server.sh (Debian's postgresql-15), skipped
# with a note when it cannot start. BENCH_KEYS (default "x25519 rsa3072") chooses the authorities.
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
N=${2:-1000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
E=$B/examples/escrow
LOAD=$B/tests/cli/escrow_test_deposit_load
MAKE=$B/tests/cli/escrow_test_make_records
for t in "$E" "$LOAD" "$MAKE"; do [[ -x $t ]] || { echo "bench_service: $t not built" >&2; exit 2; }; done
W=$(mktemp -d)
PID=""
PG=""
cleanup() {
    [[ -n $PID ]] && kill "$PID" 2>/dev/null
    [[ -n $PG ]] && bash "$SRC/tests/postgres/server.sh" stop "$W/pg" >/dev/null 2>&1
    rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
[[ $(id -u) -eq 0 ]] && chmod 755 "$W"  # the PostgreSQL server runs as nobody
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1" -keyout tls.key -out tls.crt 2>/dev/null

# Records for KIND (x25519 or rsa3072) in KIND/, N of them.
make_records() {
    local kind=$1 i
    mkdir -p "$kind"
    if [[ $kind == rsa3072 ]]; then
        "$E" keygen --type rsa --bits 3072 -o "$kind/authority" 2>/dev/null
        "$E" keygen --type rsa --bits 2048 -o "$kind/owner" 2>/dev/null
        "$MAKE" "$kind/owner.pub" "$kind/authority.pub" R "$N" "$kind"
    else
        "$E" keygen --type x25519 -o "$kind/authority" 2>/dev/null
        "$E" keygen --type x25519 -o "$kind/owner" 2>/dev/null
        echo "a small file" >plain.txt
        for i in $(seq 0 $((N - 1))); do
            "$E" encrypt --format age --owner "$kind/owner.pub" --authority "$kind/authority.pub" --serial "X-$i" \
                --record "$kind/X-$i.rec" -o "$kind/X-$i.age" plain.txt 2>/dev/null
        done
    fi
}

# One run: the fresh database DB for KIND, the server, CONNS connections depositing COUNT records.
run() {  # KIND DB CONNS COUNT LABEL
    local kind=$1 db=$2 conns=$3 count=$4 label=$5 url i load
    "$E" authority --db "$db" init --authority-key "$kind/authority.pub" --quorum 1 2>/dev/null
    "$E" authority --db "$db" serve --listen 127.0.0.1:0 --tls-cert tls.crt --tls-key tls.key --key "$kind/authority.key" \
        --max-connections 256 >serve.out 2>serve.err &
    PID=$!
    for i in $(seq 300); do
        url=$(sed -n 's/^listening on //p' serve.out)
        [[ -n $url ]] && break
        sleep 0.1
    done
    [[ -n $url ]] || { echo "bench_service: the server did not start: $(cat serve.err)" >&2; exit 1; }
    local -a files
    mapfile -t files < <(find "$kind" -name '*.rec' | sort | head -n "$count")
    load=$(cut -d' ' -f1 /proc/loadavg)
    "$LOAD" "$url" tls.crt "$conns" "${files[@]}" >/dev/null 2>sum.txt
    local rss
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
    kill -TERM "$PID"
    wait "$PID" || true
    PID=""
    read -r _ total _ acked _ failed _ secs _ rate _ p50 _ p99 <sum.txt
    local name=X25519
    [[ $kind == rsa3072 ]] && name=RSA-3072
    printf '| %s | %s | %s | %s | %s | %s ms | %s ms | %s MiB | %s |\n' "$name" "$label" "$conns" "$acked/$count" "$rate" "$p50" "$p99" \
        "$((rss / 1024))" "$load"
    [[ $total == "$count" && $failed == 0 ]] || echo "bench_service: $failed of $count failed" >&2
}

# A fresh database for one run: an SQLite file, or a new PostgreSQL database.
fresh_db() {  # KIND DBKIND RUN
    local kind=$1 dbkind=$2 n=$3
    if [[ $dbkind == sqlite ]]; then
        echo "$W/$kind-$n.db"
    else
        bash "$SRC/tests/postgres/server.sh" psql "$W/pg" postgres -c "CREATE DATABASE bench_${kind}_$n" >/dev/null
        echo "$(cat "$W/pg/conninfo") dbname=bench_${kind}_$n"
    fi
}

dbs=${BENCH_DBS:-sqlite postgresql}
if [[ " $dbs " == *" postgresql "* ]]; then
    if bash "$SRC/tests/postgres/server.sh" start "$W/pg" >/dev/null 2>pg.err; then
        PG=1
    else
        echo "bench_service: PostgreSQL did not start, measured on SQLite only: $(head -c 300 pg.err)" >&2
        dbs=${dbs//postgresql/}
    fi
fi

echo "escrow authority serve: deposits, each acknowledged once its group's commit is durable; $(nproc) cores; $(date -u +%FT%TZ)"
echo
echo "| authority | database | connections | acknowledged | deposits/s | p50 | p99 | server peak RSS | load avg (1 min) |"
echo "|---|---|---|---|---|---|---|---|---|"
run_no=0
for kind in ${BENCH_KEYS:-x25519 rsa3072}; do
    make_records "$kind"
    for dbkind in $dbs; do
        for conns in 1 16 64; do
            count=$N
            [[ $conns -eq 1 ]] && count=$((N / 5))
            run_no=$((run_no + 1))
            run "$kind" "$(fresh_db "$kind" "$dbkind" "$run_no")" "$conns" "$count" "$dbkind"
        done
    done
done
