# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Helpers for the escrow CLI test cases (sourced by run.sh, before the cases/*.sh files).
#
# Every failing run is checked the same way by `fails_cleanly`: its exit code, a one-line message
# on stderr that starts with "escrow: " and holds a stable fragment, the work directory listed
# identically before and after (so no output and no temporary file is left behind), no
# ".*.tmp-*" file anywhere in it, and the input's SHA-256 unchanged.

# shellcheck disable=SC2034  # used by the cases (cases/*.sh)
NATIVE_MAGIC="89 45 53 43 52 4f 57 0a"   # "\x89ESCROW\n"
# shellcheck disable=SC2034
RECORD_MAGIC="89 45 53 43 52 45 43 0a"   # "\x89ESCREC\n"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

note() { echo "-- $*"; }

sha() { sha256sum "$1" | cut -d' ' -f1; }

# First N bytes of a file as space-separated lower-case hex.
head_hex() { head -c "$2" "$1" | od -An -tx1 | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'; }

size_of() { stat -c %s "$1"; }

# The header length field of a native file (u32 little-endian at offset 16).
header_length() { od -An -tu4 -j16 -N4 "$1" | tr -d ' '; }

listing() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort); }

assert_absent() {
    local p
    for p in "$@"; do
        [[ ! -e "$p" && ! -L "$p" ]] || fail "'$p' exists but must not"
    done
}

assert_no_temp() {
    local left
    left="$(find "$1" -name '.*.tmp-*' 2>/dev/null || true)"
    [[ -z "$left" ]] || fail "temporary files left behind in $1: $left"
}

# The size of the output process PID is writing into directory DIR: its unnamed O_TMPFILE file
# (/proc shows it as "DIR/#N (deleted)") or a named ".NAME.tmp-*" file; nothing (status 1) while
# it has none open.
output_in_progress() {
    local fd target
    for fd in /proc/"$1"/fd/*; do
        target=$(readlink "$fd" 2>/dev/null) || continue
        case "$target" in
            "$2"/\#*|"$2"/.*.tmp-*) stat -L -c %s "$fd" 2>/dev/null && return 0 ;;
        esac
    done
    return 1
}

assert_same_content() {
    [[ "$(sha "$1")" == "$(sha "$2")" ]] || fail "'$1' and '$2' differ"
}

assert_contains() {  # FILE FRAGMENT
    grep -qF -- "$2" "$1" || { echo "---- $1:" >&2; cat "$1" >&2; fail "'$1' does not contain '$2'"; }
}

assert_matches() {  # FILE EXTENDED-REGEX
    grep -qE -- "$2" "$1" || { echo "---- $1:" >&2; cat "$1" >&2; fail "'$1' does not match /$2/"; }
}

# Runs a command that must succeed, its stderr kept in $CAP/stderr.
ok() {
    local rc=0
    "$@" 2>"$CAP/stderr" || rc=$?
    if [[ $rc -ne 0 ]]; then
        cat "$CAP/stderr" >&2
        fail "exit $rc from: $*"
    fi
}

# Registers officer NAME (NAME.key and NAME.pub in the current directory) with the authority of
# DB, with its proof of possession made for AUTHORITY: the authority's public key (file or string)
# or the 64-hex-digit fingerprint that 'escrow authority init' printed.
register_officer() {  # DB NAME AUTHORITY
    local -a auth=(--authority "$3")
    [[ $3 =~ ^[0-9a-f]{64}$ ]] && auth=(--fingerprint "$3")
    local proof="$2.proof" n=1
    while [[ -e $proof ]]; do proof="$2.$((n++)).proof"; done  # one per authority it registers with
    ok "$ESCROW" officer prove --key "$2.key" --name "$2" "${auth[@]}" -o "$proof"
    ok "$ESCROW" authority --db "$1" register-officer "$2" "$2.pub" --proof "$proof"
}

# The authority fingerprint a successful 'escrow authority init' just printed (via ok).
init_fingerprint() {
    sed -n 's/.* authority key SHA-256 \([0-9a-f]\{64\}\).*/\1/p' "$CAP/stderr"
}

# Runs a command that must exit with CODE and print one line on stderr: "escrow: ..." holding
# FRAGMENT. Its stdout goes to $CAP/stdout (never a terminal).
expect_exit() {  # CODE FRAGMENT COMMAND...
    local want=$1 fragment=$2 rc=0
    shift 2
    "$@" >"$CAP/stdout" 2>"$CAP/stderr" || rc=$?
    [[ $rc -eq $want ]] || { cat "$CAP/stderr" >&2; fail "exit $rc, expected $want, from: $*"; }
    local lines
    lines=$(wc -l <"$CAP/stderr")
    [[ $lines -eq 1 ]] || { cat "$CAP/stderr" >&2; fail "expected one line on stderr, got $lines, from: $*"; }
    assert_matches "$CAP/stderr" '^escrow: '
    assert_contains "$CAP/stderr" "$fragment"
}

# A failing run that leaves nothing behind: exit CODE, message FRAGMENT, OUT absent (give "" for
# none), IN unchanged (give "" for none), the work directory as it was, and no temporary file.
fails_cleanly() {  # CODE FRAGMENT OUT IN COMMAND...
    local code=$1 fragment=$2 out=$3 in=$4
    shift 4
    local before_sha="" before_list
    [[ -n "$in" && -f "$in" ]] && before_sha="$(sha "$in")"
    before_list="$(listing "$W")"
    expect_exit "$code" "$fragment" "$@"
    [[ -n "$out" ]] && assert_absent "$out"
    [[ -z "$before_sha" || "$(sha "$in")" == "$before_sha" ]] || fail "input '$in' was modified by: $*"
    [[ "$(listing "$W")" == "$before_list" ]] || fail "the work directory changed after a failed run: $*"
    assert_no_temp "$W"
    if [[ -n "$out" ]]; then assert_no_temp "$(dirname "$out")"; fi
    note "exit $code as expected: $(cat "$CAP/stderr")"
}

# Copies SRC to DST and overwrites one byte at OFFSET with its bitwise complement.
flip_byte() {  # SRC DST OFFSET
    cp "$1" "$2"
    local old new
    old=$(od -An -tu1 -j "$3" -N1 "$2" | tr -d ' ')
    [[ -n "$old" ]] || fail "offset $3 is beyond the end of $1"
    new=$(( 255 - old ))
    # shellcheck disable=SC2059  # the format is the octal escape of the new byte
    printf "$(printf '\\%03o' "$new")" | dd of="$2" bs=1 seek="$3" conv=notrunc status=none
    [[ "$(sha "$1")" != "$(sha "$2")" ]] || fail "flip_byte did not change $2"
}

# Byte offset of the first occurrence of TEXT in FILE.
offset_of() {  # FILE TEXT
    local o
    o=$(grep -obUaF -- "$2" "$1" | head -n1 | cut -d: -f1)
    [[ -n "$o" ]] || fail "'$2' not found in $1"
    echo "$o"
}

# One member of a JSON document, read with CMake's JSON parser (fails on invalid JSON).
json_get() {  # FILE MEMBER-PATH (a CMake list, e.g. "recipients;0;role")
    "$CMAKE" -DJSON_FILE="$1" -DMEMBER="$2" -DOP=GET -P "$HERE/json_get.cmake"
}
json_length() {  # FILE MEMBER-PATH
    "$CMAKE" -DJSON_FILE="$1" -DMEMBER="$2" -DOP=LENGTH -P "$HERE/json_get.cmake"
}

# Runs a command under a pseudo-terminal (util-linux `script`, from Debian's essential bsdutils),
# so that its standard input, output and error are a terminal; what the terminal received goes to
# $CAP/tty. It must exit with CODE. With --stderr FILE, the command's standard error goes to FILE
# instead (the terminal keeps standard input and output).
on_tty() {  # [--stderr FILE] CODE COMMAND...
    local err=""
    if [[ $1 == --stderr ]]; then
        err=$2
        shift 2
    fi
    local want=$1 cmd rc=0
    shift
    command -v script >/dev/null || fail "util-linux script is needed (Debian package bsdutils)"
    printf -v cmd '%q ' "$@"
    [[ -n "$err" ]] && cmd+="2>$(printf '%q' "$err")"
    # -e: script exits with the command's status; -f: flush as it goes; -q: no banner of its own.
    SHELL="$BASH" script -qfec "$cmd" /dev/null </dev/null >"$CAP/tty" || rc=$?
    [[ $rc -eq $want ]] || { cat -v "$CAP/tty" >&2; fail "exit $rc under a terminal, expected $want, from: $*"; }
}

# Fails unless the terminal capture of the last `on_tty` is empty.
assert_tty_silent() {  # WHAT
    [[ ! -s "$CAP/tty" ]] || { cat -v "$CAP/tty" >&2; fail "$1: something was drawn on the terminal"; }
}

# Encrypts FIX/$1 for the owner and authority 1 to $2.
encrypt_basic() { ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o "$2" "$FIX/$1"; }
