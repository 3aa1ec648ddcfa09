#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's demonstration, through the escrow command-line tool and the backup authority's
# SQLite database: the owner encrypts a real file, the authority receives the escrow record
# (deposit), the owner loses the key, two officers sign a recovery request, the authority
# recovers the session key re-wrapped to the owner's new key, the owner rewraps the file in place
# and decrypts it, and the result is compared byte for byte with the original. Works from any
# directory. As root it installs missing Debian packages first.
#
#   bash examples/run-demo.sh [FILE]      (default FILE: the repository's README.md)
#
# Environment: ESCROW_BUILD_DIR (default: build/ at the repository root), ESCROW_BUILD_TYPE
# (default: Release), ESCROW_JOBS (default: nproc).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
input="${1:-$repo_root/README.md}"
# Resolve the input before leaving the caller's directory.
if [[ ! -f "$input" ]]; then
    echo "run-demo: no such file: $input" >&2
    exit 2
fi
input="$(cd "$(dirname "$input")" && pwd)/$(basename "$input")"

cd "$repo_root"
# shellcheck source=SCRIPTDIR/../cmake/ensure-deps.sh
source cmake/ensure-deps.sh
escrow_ensure_deps "$ESCROW_BUILD_PACKAGES"

build_dir="${ESCROW_BUILD_DIR:-build}"
build_type="${ESCROW_BUILD_TYPE:-Release}"
jobs="${ESCROW_JOBS:-$(nproc)}"

# A fresh build directory builds only what the demo needs; one that tests/run-all.sh configured
# keeps its options.
options=(-DESCROW_BUILD_CLI=ON)
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    options+=(-DESCROW_BUILD_TESTS=OFF -DESCROW_BUILD_EXAMPLES=OFF -DESCROW_BUILD_BENCHMARKS=OFF
              -DCMAKE_BUILD_TYPE="$build_type")
fi
cmake -S . -B "$build_dir" "${options[@]}" >/dev/null
cmake --build "$build_dir" -j "$jobs" --target escrow_cli

escrow="$(cd "$build_dir/examples" && pwd)/escrow"
workdir="$build_dir/demo"
rm -rf "$workdir"
mkdir -p "$workdir"
cd "$workdir"
name="$(basename "$input")"

step() { printf '\n== %s\n' "$*"; }
run() {
    printf '$ escrow'
    printf ' %q' "$@"
    printf '\n'
    "$escrow" "$@" 2>&1 | sed 's/^/    /'
    return "${PIPESTATUS[0]}"
}

echo "input file: $input ($(stat -c %s "$input") bytes)"
echo "work dir:   $(pwd)"

step "keys: the owner's and the authority's RSA-3072 pairs, three recovery officers' Ed25519 pairs"
run keygen --type rsa -o owner
run keygen --type rsa -o authority
for o in olivia oscar opal; do run officer keygen -o "$o"; done

step "the authority creates its SQLite database (2 of its officers must sign a recovery) and registers them, each with its proof of possession"
run authority --db authority.db init --authority-key authority.pub --quorum 2
for o in olivia oscar opal; do
    run officer prove --key "$o.key" --name "$o" --authority authority.pub -o "$o.proof"
    run authority --db authority.db register-officer "$o" "$o.pub" --proof "$o.proof"
done

step "steps 1-3: the owner encrypts the file; the session key is wrapped for the owner (in the file) and for the authority (the escrow record)"
run encrypt --owner owner.pub --authority authority.pub --owner-id alice@example.com --record "$name.rec" \
    -o "$name.escrow" "$input"
run inspect "$name.escrow"

step "the authority receives the escrow record (deposit) and lists what it holds"
run authority --db authority.db deposit "$name.rec"
run authority --db authority.db list
serial="$("$escrow" authority --db authority.db list | cut -f1 | head -n1)"

step "step 4: the owner loses the key pair, and makes a new one"
rm owner.key
echo "deleted owner.key; exists now: $([[ -e owner.key ]] && echo yes || echo no)"
run keygen --type rsa -o owner-new

step "the owner's identity is established by two officers, who sign a recovery request for the new key"
run officer request --serial "$serial" --new-owner owner-new.pub --authority authority.pub -o request.bin
run officer sign --key olivia.key -o olivia.sig request.bin
run officer sign --key opal.key -o opal.sig request.bin

step "one signature is not enough: the authority refuses (exit 6) and audits the refusal"
if run authority --db authority.db recover --request request.bin --signature olivia.sig \
    --key authority.key -o owner-blob.bin; then
    echo "run-demo: the authority granted a request with one signature" >&2
    exit 1
fi

step "with two signatures the authority recovers the session key, re-wrapped to the owner's new public key"
run authority --db authority.db recover --request request.bin --signature olivia.sig --signature opal.sig \
    --key authority.key -o owner-blob.bin

step "the owner applies the re-wrapped blob to the file in place, and decrypts with the new key"
run rewrap --blob owner-blob.bin --key owner-new.key "$name.escrow"
run decrypt --key owner-new.key -o "$name.recovered" "$name.escrow"

step "the authority's audit log, and its hash chain checked"
run authority --db authority.db audit
run authority --db authority.db verify-audit

step "result"
sha256sum "$input" "$name.recovered"
if cmp "$input" "$name.recovered"; then
    echo "OK: the file recovered with the new key is identical to the original (byte for byte)"
else
    echo "FAILED: the recovered file differs from the original" >&2
    exit 1
fi
