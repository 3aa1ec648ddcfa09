# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's memory budget (issue 19: peak RSS under 16 MiB for every command). Sourced by
# ../run.sh, which runs one case_NAME function (see there). Not registered in the sanitizer build
# (tests/cli/CMakeLists.txt): ASan's shadow memory makes the figure meaningless there.

# Encrypt and decrypt of a 64 MiB file through the mapped paths, native and age format, each with
# a peak resident set (GNU time's %M: the child's ru_maxrss, in KiB) under ESCROW_PEAK_RSS_KIB
# (default 16384, i.e. 16 MiB; set it lower to see the case fail), and the round trips exact. The
# payload pipeline's windows and buffers are a fixed budget (docs/performance.md, "Peak RSS"), so
# 64 MiB shows the steady state a 1 GiB file has, in a few seconds.
case_peak_rss() {
    local budget=${ESCROW_PEAK_RSS_KIB:-16384} time_bin=${ESCROW_GNU_TIME:-/usr/bin/time}
    [[ -x $time_bin ]] || fail "GNU time ($time_bin, Debian package time) measures the peak RSS: not found"
    # In tmpfs where there is one: the same figure (mapped page-cache pages count either way) without
    # 256 MiB of writes and fsyncs to the disk.
    local dir=$W
    if [[ -d /dev/shm && -w /dev/shm ]]; then
        dir=$(mktemp -d /dev/shm/escrow-cli-rss.XXXXXX)
        # shellcheck disable=SC2064  # the directory's name now: `dir` is local to this function
        trap "rm -rf '$dir'" EXIT
    fi
    cd "$dir"
    head -c $((64 << 20)) /dev/urandom >in.bin
    ok "$ESCROW" keygen --type x25519 -o ao
    ok "$ESCROW" keygen --type x25519 -o aa
    peak_rss_under "native encrypt" "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" \
        --record n.rec -o n.esc in.bin
    peak_rss_under "native decrypt" "$ESCROW" decrypt --key "$FIX/owner.key" -o n.out n.esc
    assert_same_content n.out in.bin
    peak_rss_under "age encrypt" "$ESCROW" encrypt --format age --owner ao.pub --authority "$(cat aa.pub)" -o a.age in.bin
    peak_rss_under "age decrypt" "$ESCROW" decrypt --key ao.key -o a.out a.age
    assert_same_content a.out in.bin
}

# Runs COMMAND, which must succeed, under GNU time; fails unless its peak RSS is under $budget KiB.
peak_rss_under() {  # NAME COMMAND...
    local name=$1 kib rc=0
    shift
    "$time_bin" -f %M -o rss.txt "$@" 2>"$CAP/stderr" || rc=$?
    [[ $rc -eq 0 ]] || { cat "$CAP/stderr" >&2; fail "$name: exit $rc from: $*"; }
    kib=$(tail -n1 rss.txt)
    [[ $kib =~ ^[0-9]+$ && $kib -gt 1024 ]] || fail "$name: GNU time gave no peak RSS ('$kib')"
    note "$name: peak RSS $kib KiB (budget: under $budget KiB)"
    [[ $kib -lt $budget ]] || fail "$name: peak RSS $kib KiB is not under $budget KiB"
}
