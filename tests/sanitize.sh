#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The sanitizer step: builds the unit, golden, hardening, law, PKCS#11, CLI and example tests (and
# the tool they drive) with clang, AddressSanitizer and UndefinedBehaviorSanitizer, every report
# fatal (-fno-sanitize-recover=all), and runs them with ctest. Leaks are reported too. Exits
# non-zero on any failure or sanitizer report. Works from any directory; as root it installs the
# missing Debian packages first (cmake/ensure-deps.sh).
#
#   bash tests/sanitize.sh            # build in build-sanitize/ and run every test it registers
#   bash tests/sanitize.sh -R REGEX   # only the tests matching REGEX (other arguments go to ctest)
#
# Environment: ESCROW_SANITIZE_BUILD_DIR (default: build-sanitize/ at the repository root),
# ESCROW_SANITIZE_FLAGS (optimisation and debug flags, default: -O0 -g0), ESCROW_JOBS (build
# jobs, default: nproc), ESCROW_CTEST_JOBS (default: 2).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=SCRIPTDIR/../cmake/ensure-deps.sh
source cmake/ensure-deps.sh
escrow_ensure_deps "$ESCROW_DEBIAN_PACKAGES"

build_dir="${ESCROW_SANITIZE_BUILD_DIR:-build-sanitize}"
jobs="${ESCROW_JOBS:-$(nproc)}"
ctest_jobs="${ESCROW_CTEST_JOBS:-2}"
clangxx="$(command -v clang++ || command -v clang++-14 || true)"
if [[ -z "$clangxx" ]]; then
    echo "sanitize.sh: clang++ not found (Debian package clang; run as root to install it)" >&2
    exit 1
fi
start=$(date +%s)

launcher=()
if [[ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]] && command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# -O0 -g0 by default: on the 2-core CI machine a test program compiles in a quarter of the time
# it takes at -O1 -g1 (test_core.cpp: 6 s against 22 s of CPU), and most of the suite's running
# time is in Crypto++, which is not instrumented either way. Reports still name the functions;
# ESCROW_SANITIZE_FLAGS="-O1 -g" gives file and line.
flags="${ESCROW_SANITIZE_FLAGS:--O0 -g0}"
echo "== configure (clang $flags, ASan+UBSan) in $build_dir"
cmake -S . -B "$build_dir" "${launcher[@]}" -DCMAKE_CXX_COMPILER="$clangxx" -DCMAKE_BUILD_TYPE=None \
      -DCMAKE_CXX_FLAGS="$flags" -DESCROW_SANITIZE=ON \
      -DESCROW_BUILD_TESTS=ON -DESCROW_BUILD_EXAMPLES=ON -DESCROW_BUILD_CLI=ON \
      -DESCROW_BUILD_BENCHMARKS=OFF -DESCROW_BUILD_DOCS=OFF -DESCROW_INSTALL=OFF >/dev/null
echo "== build (-j$jobs)"
cmake --build "$build_dir" -j "$jobs"

# Every report stops the program with a non-zero status. The fork test preloads a clock shim, so
# ASan must not insist on being first in the library list.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:verify_asan_link_order=0:detect_stack_use_after_return=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# The durability stress cases (a server or the tool killed mid-load, many concurrent writers)
# check the repositories' and the service's crash behaviour, not memory safety, and take minutes
# under the sanitizers: they run in the normal build only. Arguments replace this selection.
args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then
    args=(-E '^cli\.(pg_crash_restart|pg_concurrency|pg_sigkill|service_fault_sigkill|service_fault_sigterm)$')
fi
echo "== test (ctest -j$ctest_jobs ${args[*]})"
status=0
(cd "$build_dir" && ctest --output-on-failure -j "$ctest_jobs" "${args[@]}") || status=$?
elapsed=$(( $(date +%s) - start ))
if [[ $status -ne 0 ]]; then
    echo "sanitize.sh: FAILED (ctest exit status $status) after ${elapsed}s" >&2
    exit "$status"
fi
echo "sanitize.sh: every test passed under ASan+UBSan in ${elapsed}s"
