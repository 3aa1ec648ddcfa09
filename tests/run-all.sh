#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds everything (library checks, tests, examples, the CLI, benchmarks), runs every ctest case,
# then the sanitizer step (tests/sanitize.sh), then the fuzz step (tests/fuzz/run.sh).
# Works from any directory. As root it installs missing Debian packages first.
#
#   bash tests/run-all.sh
#
# Environment: ESCROW_BUILD_DIR (default: build/ at the repository root), ESCROW_BUILD_TYPE
# (default: Release), ESCROW_JOBS (build jobs, default: nproc), ESCROW_CTEST_JOBS (default: 2).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=SCRIPTDIR/../cmake/ensure-deps.sh
source cmake/ensure-deps.sh
escrow_ensure_deps "$ESCROW_DEBIAN_PACKAGES"

build_dir="${ESCROW_BUILD_DIR:-build}"
build_type="${ESCROW_BUILD_TYPE:-Release}"
jobs="${ESCROW_JOBS:-$(nproc)}"
ctest_jobs="${ESCROW_CTEST_JOBS:-2}"
start=$(date +%s)

# ccache, where installed, makes a second run cheap (a first run is unchanged).
launcher=()
if [[ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]] && command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# When the sanitizer step follows, the unit and law test programs are built and run there only
# (each test runs once; docs/testing.md, "Where each test runs"); ESCROW_SKIP_SANITIZERS=1 keeps
# them in this build.
sanitized_only=ON
[[ "${ESCROW_SKIP_SANITIZERS:-0}" == 1 ]] && sanitized_only=OFF
echo "== configure ($build_type) in $build_dir"
cmake -S . -B "$build_dir" "${launcher[@]}" -DCMAKE_BUILD_TYPE="$build_type" \
      -DESCROW_BUILD_TESTS=ON -DESCROW_BUILD_EXAMPLES=ON -DESCROW_BUILD_CLI=ON \
      -DESCROW_BUILD_BENCHMARKS=ON -DESCROW_INSTALL=ON -DESCROW_UNIT_TESTS_SANITIZED_ONLY="$sanitized_only"
echo "== build (-j$jobs)"
cmake --build "$build_dir" -j "$jobs"
echo "== test (ctest -j$ctest_jobs)"
status=0
(cd "$build_dir" && ctest --output-on-failure -j "$ctest_jobs") || status=$?
elapsed=$(( $(date +%s) - start ))
if [[ $status -ne 0 ]]; then
    echo "run-all: FAILED (ctest exit status $status) after ${elapsed}s" >&2
    exit "$status"
fi
echo "run-all: all tests passed in ${elapsed}s"

# The sanitizer step: the unit, hardening, CLI and example tests built with clang, ASan and UBSan,
# every report fatal. ESCROW_SKIP_SANITIZERS=1 skips it.
if [[ "${ESCROW_SKIP_SANITIZERS:-0}" != 1 ]]; then
    echo "== sanitizers (tests/sanitize.sh)"
    san_start=$(date +%s)
    status=0
    bash tests/sanitize.sh || status=$?
    if [[ $status -ne 0 ]]; then
        echo "run-all: FAILED (the sanitizer step, exit status $status) after $(( $(date +%s) - start ))s" >&2
        exit "$status"
    fi
    echo "run-all: sanitizer step passed in $(( $(date +%s) - san_start ))s"
fi

# The fuzz step (docs/fuzzing.md): the libFuzzer harnesses built with clang and the sanitizers,
# every seed and past reproducer replayed, each harness fuzzed for 10 s. ESCROW_SKIP_FUZZ=1 skips it.
if [[ "${ESCROW_SKIP_FUZZ:-0}" != 1 ]]; then
    echo "== fuzz (tests/fuzz/run.sh)"
    fuzz_start=$(date +%s)
    status=0
    bash tests/fuzz/run.sh || status=$?
    if [[ $status -ne 0 ]]; then
        echo "run-all: FAILED (the fuzz step, exit status $status) after $(( $(date +%s) - start ))s" >&2
        exit "$status"
    fi
    echo "run-all: fuzz step passed in $(( $(date +%s) - fuzz_start ))s; everything in $(( $(date +%s) - start ))s"
fi
