#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The authority service under load: deposits at 1, 16 and 64 concurrent connections against
# `escrow authority serve` on SQLite, for an X25519 and an RSA-3072 authority;
# reports deposits per second, p50 and p99 latency and the server's peak RSS. Not a test: it
# prints figures (docs/performance.md).
#
#   benchmarks/bench_service.sh [BUILD_DIR] [RECORDS]
#
# BUILD_DIR (default build) holds examples/escrow and tests/cli's escrow_test_deposit_load and
# escrow_test_make_records (cmake --build BUILD_DIR --target escrow_cli escrow_test_deposit_load
# escrow_test_make_records). RECORDS (default 1000) deposits per run at 16 and 64 connections,
# a fifth of them at 1.
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
N=${2:-1000}
E=$B/examples/escrow
LOAD=$B/tests/cli/escrow_test_deposit_load
MAKE=$B/tests/cli/escrow_test_make_records
for t in "$E" "$LOAD" "$MAKE"; do [[ -x $t ]] || { echo "bench_service: $t not built" >&2; exit 2; }; done
W=$(mktemp -d)
PID=""
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
cd "$W"
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

# One run: a fresh database DB for KIND, the server, CONNS connections depositing COUNT records.
run() {  # KIND DB CONNS COUNT LABEL
    local kind=$1 db=$2 conns=$3 count=$4 label=$5 url i
    "$E" authority --db "$db" init --authority-key "$kind/authority.pub" --quorum 1 2>/dev/null
    "$E" authority --db "$db" serve --listen 127.0.0.1:0 --tls-cert tls.crt --tls-key tls.key --key "$kind/authority.key" \
        --max-connections 256 >serve.out 2>serve.err &
    PID=$!
    for i in $(seq 100); do
        url=$(sed -n 's/^listening on //p' serve.out)
        [[ -n $url ]] && break
        sleep 0.1
    done
    local -a files
    mapfile -t files < <(find "$kind" -name '*.rec' | sort | head -n "$count")
    "$LOAD" "$url" tls.crt "$conns" "${files[@]}" >/dev/null 2>sum.txt
    local rss
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
    kill -TERM "$PID"
    wait "$PID" || true
    PID=""
    read -r _ total _ acked _ failed _ secs _ rate _ p50 _ p99 <sum.txt
    printf '%-8s %-7s %5s %6s %6s %8s %9s %9s %8s\n' "$kind" "$label" "$conns" "$acked" "$failed" "$rate" "$p50" "$p99" "$((rss / 1024)) MiB"
    [[ $total == "$count" ]] || echo "bench_service: $total of $count reported" >&2
}

echo "# escrow authority serve: deposits (each acknowledged once committed), $(nproc) cores"
printf '%-8s %-7s %5s %6s %6s %8s %9s %9s %8s\n' key db conns acked failed per_s p50_ms p99_ms peak_rss
for kind in x25519 rsa3072; do
    make_records "$kind"
    for conns in 1 16 64; do
        count=$N
        [[ $conns -eq 1 ]] && count=$((N / 5))
        rm -f "$kind.db" "$kind.db-wal" "$kind.db-shm"
        run "$kind" "$W/$kind.db" "$conns" "$count" sqlite
    done
done
