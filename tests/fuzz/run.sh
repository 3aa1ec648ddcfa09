#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fuzz step (docs/fuzzing.md): builds the libFuzzer harnesses of tests/fuzz with clang,
# replays every seed of tests/fuzz/corpus and every reproducer of tests/fuzz/crashes, then fuzzes
# each harness for a fixed time, two at a time. Exits non-zero on any crash, sanitizer report,
# time-out or out-of-memory, and prints the reproducer's path. Works from any directory; as root
# it installs the missing Debian packages first (cmake/ensure-deps.sh).
#
#   bash tests/fuzz/run.sh                      # CI: every harness, 10 s each (about 1.5 min of fuzzing)
#   bash tests/fuzz/run.sh --minutes 10 HARNESS # a long run of one harness (or several)
#   bash tests/fuzz/run.sh --replay-only        # only the corpora and the reproducers
#
# Options: --seconds N / --minutes N (fuzzing time per harness, default 10 s), --jobs N (harnesses
# fuzzed at once, default 2), --replay-only, --no-build (use the harnesses already built), HARNESS...
# (default: all). Environment: ESCROW_FUZZ_BUILD_DIR (default: build-fuzz/ at the repository
# root), ESCROW_JOBS (build jobs, default: nproc), ESCROW_FUZZ_RUN_DIR (default:
# BUILD_DIR/fuzz-run): the run's logs, new inputs and any reproducer, kept until the next run there.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
fuzz_dir="tests/fuzz"

seconds=10
jobs=2
replay_only=0
build=1
harnesses=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --minutes) seconds=$(( $2 * 60 )); shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --replay-only) replay_only=1; shift ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '3,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) harnesses+=("$1"); shift ;;
    esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --seconds/--minutes must be a positive number" >&2; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --jobs must be a positive number" >&2; exit 2; }

# The harnesses, as tests/fuzz/CMakeLists.txt lists them.
mapfile -t all_harnesses < <(sed -n '/^set(ESCROW_FUZZ_HARNESSES/,/^)/p' "$fuzz_dir/CMakeLists.txt" |
                             sed -n 's/^  \([a-z_0-9]*\) .*/\1/p')
if [[ ${#harnesses[@]} -eq 0 ]]; then
    harnesses=("${all_harnesses[@]}")
fi
for h in "${harnesses[@]}"; do
    if [[ " ${all_harnesses[*]} " != *" $h "* ]]; then
        echo "run.sh: no harness '$h' (harnesses: ${all_harnesses[*]})" >&2
        exit 2
    fi
done

build_dir="${ESCROW_FUZZ_BUILD_DIR:-build-fuzz}"
start=$(date +%s)
if [[ $build -eq 1 ]]; then
    # shellcheck source=SCRIPTDIR/../../cmake/ensure-deps.sh
    source cmake/ensure-deps.sh
    escrow_ensure_deps "$ESCROW_BUILD_PACKAGES $ESCROW_FUZZ_PACKAGES"
    launcher=()
    if [[ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]] && command -v ccache >/dev/null 2>&1; then
        launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fi
    echo "== configure the fuzzers (clang++) in $build_dir"
    # -O1 with line tables: libFuzzer's usual flags; reports name file and line, and the harnesses
    # compile in 10 % less time than at -O2 -g (decrypt_age.cpp: 22 s against 25 s of CPU).
    CXX=clang++ cmake -S . -B "$build_dir" "${launcher[@]}" -DCMAKE_BUILD_TYPE=None \
        -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only -DNDEBUG" \
        -DESCROW_BUILD_FUZZERS=ON -DESCROW_BUILD_TESTS=OFF -DESCROW_BUILD_EXAMPLES=OFF -DESCROW_BUILD_CLI=OFF \
        -DESCROW_BUILD_BENCHMARKS=OFF -DESCROW_BUILD_DOCS=OFF -DESCROW_INSTALL=OFF >/dev/null
    compiler="$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build_dir/CMakeCache.txt")"
    if [[ "$(basename "$compiler")" != clang++* ]]; then
        echo "run.sh: $build_dir was configured with $compiler, not clang++: remove it or set ESCROW_FUZZ_BUILD_DIR" >&2
        exit 2
    fi
    echo "== build ${#harnesses[@]} harnesses (-j${ESCROW_JOBS:-$(nproc)})"
    cmake --build "$build_dir" -j "${ESCROW_JOBS:-$(nproc)}" --target "${harnesses[@]/#/fuzz_}"
fi
bin_dir="$build_dir/tests/fuzz"
build_done=$(date +%s)

# Every report fatal, readable stacks, leaks included.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
limits=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10)

run_dir="${ESCROW_FUZZ_RUN_DIR:-$build_dir/fuzz-run}"
rm -rf "$run_dir"
mkdir -p "$run_dir"
failures=()

# ---- Replay: every seed and every reproducer, once --------------------------------------------
# Files are passed one by one (not as folders), so that libFuzzer runs each whole: a folder's
# files would be cut to its -max_len. A reproducer ending in .gz is decompressed first.
echo "== replay the corpora and the crash reproducers"
for h in "${harnesses[@]}"; do
    inputs=()
    [[ -d "$fuzz_dir/corpus/$h" ]] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$fuzz_dir/corpus/$h" -type f -print0 | sort -z)
    if [[ -d "$fuzz_dir/crashes/$h" ]]; then
        while IFS= read -r -d '' f; do
            case "$f" in
                */README*) ;;
                *.gz) mkdir -p "$run_dir/crashes/$h"
                      out="$run_dir/crashes/$h/$(basename "${f%.gz}")"
                      gzip -dc "$f" > "$out"
                      inputs+=("$out") ;;
                *) inputs+=("$f") ;;
            esac
        done < <(find "$fuzz_dir/crashes/$h" -type f -print0 | sort -z)
    fi
    if [[ ${#inputs[@]} -eq 0 ]]; then
        echo "run.sh: $h has no seed in $fuzz_dir/corpus/$h" >&2
        failures+=("$h (no seed)")
        continue
    fi
    log="$run_dir/$h.replay.log"
    if "$bin_dir/fuzz_$h" "${limits[@]}" "${inputs[@]}" >"$log" 2>&1; then
        printf '   %-18s %3d inputs replayed\n' "$h" "${#inputs[@]}"
    else
        bad="$(sed -n 's/^Running: //p' "$log" | tail -n 1)"
        echo "   $h: FAILED on $bad (log: $log)"
        tail -n 30 "$log" | sed 's/^/     | /'
        failures+=("$h (replay of $bad)")
    fi
done
replay_done=$(date +%s)

# ---- Fuzz: each harness for a fixed time, $jobs at a time -------------------------------------
fuzz_one() {
    local h="$1"
    local work="$run_dir/work/$h" artifacts="$run_dir/artifacts/$h/"
    mkdir -p "$work" "$artifacts"
    # New inputs go to the work folder; the committed corpus is only read.
    if "$bin_dir/fuzz_$h" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
           -artifact_prefix="$artifacts" "$work" "$fuzz_dir/corpus/$h" >"$run_dir/$h.fuzz.log" 2>&1; then
        echo 0 >"$run_dir/$h.status"
    else
        echo $? >"$run_dir/$h.status"
    fi
}

# "#N DONE cov: C ft: F corp: U/S ..." and the final stats, as one line of the summary.
summary() {
    local h="$1"
    local log="$run_dir/$h.fuzz.log" done_line execs rate
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)"
    [[ -n "$done_line" ]] || done_line="$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1 || true)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    printf '   %-18s execs %-9s exec/s %-6s cov %-5s ft %-6s corpus %s\n' "$h" "${execs:-?}" "${rate:-?}" \
        "$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")" \
        "$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")" \
        "$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$done_line")"
}

if [[ $replay_only -eq 0 ]]; then
    echo "== fuzz ${#harnesses[@]} harnesses, ${seconds} s each, $jobs at a time"
    running=0
    for h in "${harnesses[@]}"; do
        if [[ $running -ge $jobs ]]; then
            wait -n || true
            running=$(( running - 1 ))
        fi
        fuzz_one "$h" &
        running=$(( running + 1 ))
    done
    wait || true
    for h in "${harnesses[@]}"; do
        status="$(cat "$run_dir/$h.status" 2>/dev/null || echo missing)"
        summary "$h"
        if [[ "$status" != 0 ]]; then
            reproducer="$(find "$run_dir/artifacts/$h" -type f | head -n 1)"
            echo "   $h: FAILED (exit $status; log: $run_dir/$h.fuzz.log)"
            grep -E 'ERROR: |escrow fuzz: |SUMMARY: ' "$run_dir/$h.fuzz.log" | head -n 5 | sed 's/^/     | /'
            if [[ -n "$reproducer" ]]; then
                echo "     reproducer: $reproducer"
                echo "     keep it:    mkdir -p $fuzz_dir/crashes/$h && cp $reproducer $fuzz_dir/crashes/$h/"
            fi
            failures+=("$h (fuzzing${reproducer:+: $reproducer})")
        fi
    done
fi

end=$(date +%s)
echo "== build $(( build_done - start )) s, replay $(( replay_done - build_done )) s, fuzz $(( end - replay_done )) s"
if [[ ${#failures[@]} -gt 0 ]]; then
    echo "run.sh: FAILED: ${failures[*]}" >&2
    exit 1
fi
echo "run.sh: no crash in ${#harnesses[@]} harnesses"
