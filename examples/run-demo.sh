#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds example 01 and runs it on a real file: the owner encrypts it, the authority receives the
# escrow record, the owner loses the key, the authority recovers it, and the decrypted file is
# compared with the original. Works from any directory. As root it installs missing Debian
# packages first.
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
escrow_ensure_deps "$ESCROW_DEBIAN_PACKAGES"

build_dir="${ESCROW_BUILD_DIR:-build}"
build_type="${ESCROW_BUILD_TYPE:-Release}"
jobs="${ESCROW_JOBS:-$(nproc)}"

# A fresh build directory builds only what the demo needs; one that tests/run-all.sh configured
# keeps its options.
options=(-DESCROW_BUILD_EXAMPLES=ON)
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    options+=(-DESCROW_BUILD_TESTS=OFF -DESCROW_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE="$build_type")
fi
cmake -S . -B "$build_dir" "${options[@]}" >/dev/null
cmake --build "$build_dir" -j "$jobs" --target 01_escrow_and_recover

workdir="$build_dir/demo"
rm -rf "$workdir"
mkdir -p "$workdir"
program="$build_dir/examples/01_escrow_and_recover"
echo "== running $program $input $workdir"
"$program" "$input" "$workdir"
