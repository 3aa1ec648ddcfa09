# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for `--help` of the tool and of each command. Sourced by ../run.sh, which
# runs one case_NAME function (see there).

# ---- help --------------------------------------------------------------------------------------

# --help and -h everywhere (exit 0, on stdout), naming every option, and pointing to the table
# of errors and exit codes (docs/cli.md, the man page) instead of repeating it;
# --version; no command or an unknown one is a usage error.
case_help() {
    cd "$W"
    local h
    for h in --help -h; do
        ok "$ESCROW" "$h" >main.txt
        assert_contains main.txt "Usage: escrow <command>"
        local c
        for c in keygen encrypt decrypt inspect; do assert_matches main.txt "^  $c "; done
        assert_contains main.txt "Exit status: 0 ok, 1 decryption failed, 2 usage"
        assert_contains main.txt "docs/cli.md"
    done
    ok "$ESCROW" keygen --help >keygen.txt
    for h in "--type rsa|x25519" "--bits N" "-o, --output PREFIX" "Exit status:"; do assert_contains keygen.txt "$h"; done
    ok "$ESCROW" encrypt --help >encrypt.txt
    for h in "--format" "--owner RECIPIENT" "--authority RECIPIENT" "--description TEXT" "--serial S" \
        "--owner-id TEXT" "--record FILE" "--armor" "-q, --quiet" "-o, --output OUT" "Exit status:"; do
        assert_contains encrypt.txt "$h"
    done
    ok "$ESCROW" decrypt --help >decrypt.txt
    for h in "--key IDENTITY" "--record FILE" "--format" "-q, --quiet" "-o, --output OUT" "Exit status:"; do
        assert_contains decrypt.txt "$h"
    done
    ok "$ESCROW" inspect --help >inspect.txt
    for h in "FILE|RECORD" "--json" "Exit status:"; do assert_contains inspect.txt "$h"; done
    for c in keygen encrypt decrypt inspect; do
        ok "$ESCROW" "$c" -h >short.txt
        assert_contains short.txt "Usage: escrow $c"
        [[ ! -s "$CAP/stderr" ]] || fail "$c -h wrote to stderr"
    done
    ok "$ESCROW" --version >version.txt
    assert_matches version.txt '^escrow [0-9]+\.[0-9]+\.[0-9]+$'

    local rc=0
    "$ESCROW" >/dev/null 2>"$CAP/stderr" || rc=$?
    [[ $rc -eq 2 ]] || fail "no command: exit $rc, expected 2"
    assert_contains "$CAP/stderr" "Usage: escrow <command>"
    fails_cleanly 2 "unknown command 'frobnicate'" "" "" "$ESCROW" frobnicate
    for c in authority officer rewrap; do
        ok "$ESCROW" "$c" --help >sub.txt
        assert_contains sub.txt "Usage: escrow $c"
        assert_contains sub.txt "Exit status:"
        assert_matches main.txt "^  $c "
    done
    fails_cleanly 2 "expected one FILE" "" "" "$ESCROW" rewrap
}
