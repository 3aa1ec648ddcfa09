# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for the progress bar of `escrow encrypt` and `escrow decrypt`. Sourced by
# ../run.sh, which runs one case_NAME function (see there).

# ---- progress ----------------------------------------------------------------------------------

PROGRESS_MIB=16

# A file of PROGRESS_MIB MiB of random bytes: large enough for a bar (over 4 MiB) and for a first
# draw below 100% (the first read is a window of a few MiB).
make_big_input() { head -c $((PROGRESS_MIB * 1024 * 1024)) /dev/urandom >"$1"; }

# Checks the terminal capture of the last successful `on_tty` run for a bar whose line starts with
# LABEL and whose input is TOTAL ("16.0 MiB"): drawn in place ("\r", the label, erase to the end of
# the line) at least twice, below 100% at least once (the first read draws at once), and last at
# 100% with the whole input, a rate and "ETA 0:00", then the line ended.
assert_progress_drawn() {  # LABEL TOTAL
    local t="$CAP/tty" draws last
    draws=$(grep -aoF $'\r'"$1 " "$t" | wc -l)
    [[ $draws -ge 2 ]] || { cat -v "$t" >&2; fail "$1: $draws draws, expected a redraw and the final one"; }
    assert_contains "$t" $'\x1b[K'
    assert_contains "$t" "/ $2"
    assert_matches "$t" '(^|[^0-9])[0-9]{1,2}%'     # a percentage below 100
    assert_contains "$t" "100%"
    last=$(tr '\r' '\n' <"$t" | grep -a . | tail -n1)
    [[ $last =~ ^"$1 "\ +"$2 / $2 ".*" 100% "\ +[0-9.-]+" MiB/s  ETA 0:00" ]] ||
        { cat -v "$t" >&2; fail "$1: the last draw is not the whole input at 100%: $(printf '%q' "$last")"; }
    [[ "$(tail -c1 "$t" | od -An -tx1 | tr -d ' ')" == 0a ]] || { cat -v "$t" >&2; fail "$1: the bar's line was not ended"; }
}

# With standard error a terminal and an input file over 4 MiB, encrypt and decrypt draw a bar on
# it, for every format, and their outputs are right; a failed decryption ends the bar's line
# before its message and never shows 100%; --quiet and -q draw nothing.
case_progress_tty() {
    cd "$W"
    make_big_input big
    local size="$PROGRESS_MIB.0 MiB"
    note "native"
    on_tty 0 "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o big.enc big
    assert_progress_drawn encrypting "$size"
    on_tty 0 "$ESCROW" decrypt --key "$FIX/owner.key" -o big.out big.enc
    assert_progress_drawn decrypting "$size"
    cmp -s big big.out || fail "the decrypted file differs from the input"

    note "age and cryptoapi"
    ok "$ESCROW" keygen --type x25519 -o x
    ok "$ESCROW" keygen --type x25519 -o xa
    on_tty 0 "$ESCROW" encrypt --format age --owner x.pub --authority xa.pub -o big.age big
    assert_progress_drawn encrypting "$size"
    on_tty 0 "$ESCROW" decrypt --key x.key -o big.age.out big.age
    assert_progress_drawn decrypting "$size"
    cmp -s big big.age.out || fail "the age round trip differs from the input"
    on_tty 0 "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" \
        --record capi.rec -o big.capi big
    assert_progress_drawn encrypting "$size"
    on_tty 0 "$ESCROW" decrypt --format cryptoapi --key "$FIX/owner.key" -o big.capi.out big.capi
    assert_progress_drawn decrypting "$size"
    cmp -s big big.capi.out || fail "the cryptoapi round trip differs from the input"

    note "a failed decryption: the message on a line of its own, no 100%, no output"
    # The last byte: the whole input has been read when the last chunk fails its check.
    flip_byte big.enc bad.enc $(( $(size_of big.enc) - 1 ))
    on_tty 1 "$ESCROW" decrypt --key "$FIX/owner.key" -o bad.out bad.enc
    assert_contains "$CAP/tty" $'\r''decrypting '
    assert_matches "$CAP/tty" '^escrow: .*authentication'
    ! grep -qF "100%" "$CAP/tty" || { cat -v "$CAP/tty" >&2; fail "100% drawn for a failed decryption"; }
    assert_absent bad.out

    note "--quiet and -q"
    on_tty 0 "$ESCROW" encrypt --quiet --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o q.enc big
    ! grep -qF "%" "$CAP/tty" || { cat -v "$CAP/tty" >&2; fail "encrypt --quiet drew a bar"; }
    assert_tty_silent "encrypt --quiet"
    on_tty 0 "$ESCROW" decrypt -q --key "$FIX/owner.key" -o q.out q.enc
    ! grep -qF "%" "$CAP/tty" || { cat -v "$CAP/tty" >&2; fail "decrypt -q drew a bar"; }
    assert_tty_silent "decrypt -q"
    cmp -s big q.out || fail "the quiet round trip differs from the input"
    rm -f big ./*.enc ./*.out big.age big.capi   # 16 MiB each: not kept in the build tree
}

# Nothing at all on standard error when it is not a terminal, when the input is standard input
# or not a regular file, when the output goes to the terminal, or when the input file is 4 MiB
# or smaller.
case_progress_silent() {
    cd "$W"
    make_big_input big
    local enc=("$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub")
    note "standard error a file, not a terminal"
    ok "${enc[@]}" -o a.enc big
    [[ ! -s "$CAP/stderr" ]] || fail "encrypt wrote to stderr: $(cat -v "$CAP/stderr")"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o a.out a.enc
    [[ ! -s "$CAP/stderr" ]] || fail "decrypt wrote to stderr: $(cat -v "$CAP/stderr")"
    cmp -s big a.out || fail "the decrypted file differs from the input"
    note "standard input and output a terminal, standard error a file"
    on_tty --stderr err 0 "${enc[@]}" -o b.enc big
    assert_tty_silent "encrypt with stderr to a file"
    [ ! -s err ] || fail "encrypt wrote to stderr: $(cat -v err)"
    on_tty --stderr err 0 "$ESCROW" decrypt --key "$FIX/owner.key" -o b.out b.enc
    assert_tty_silent "decrypt with stderr to a file"
    [ ! -s err ] || fail "decrypt wrote to stderr: $(cat -v err)"

    note "under a terminal: standard input, '-', a pipe named /dev/stdin"
    on_tty 0 bash -c '"$@" -o c.enc <big' _ "${enc[@]}"
    assert_tty_silent "encrypt from standard input"
    on_tty 0 bash -c '"$@" -o d.enc - <big' _ "${enc[@]}"
    assert_tty_silent "encrypt from '-'"
    on_tty 0 bash -c 'cat big | "$@" -o e.enc /dev/stdin' _ "${enc[@]}"
    assert_tty_silent "encrypt from a pipe"
    on_tty 0 bash -c '"$@" -o c.out <c.enc' _ "$ESCROW" decrypt --key "$FIX/owner.key"
    assert_tty_silent "decrypt from standard input"
    cmp -s big c.out || fail "the round trip through standard input differs from the input"

    note "under a terminal: the output on it too (the bar would be mixed into it)"
    head -c $((8 * 1024 * 1024)) < <(yes 'some plain text') >text   # not a pipe: yes ends by SIGPIPE
    ok "$ESCROW" keygen --type x25519 -o x
    ok "$ESCROW" keygen --type x25519 -o xa
    on_tty 0 "$ESCROW" encrypt --format age --armor --owner x.pub --authority xa.pub text
    assert_contains "$CAP/tty" "-----END AGE ENCRYPTED FILE-----"
    ! grep -qF $'\x1b[K' "$CAP/tty" || fail "encrypt --armor to the terminal drew a bar"   # ESC: not in base64
    ok "$ESCROW" encrypt --format age --owner x.pub --authority xa.pub -o text.age text
    on_tty 0 "$ESCROW" decrypt --key x.key text.age
    assert_contains "$CAP/tty" "some plain text"
    ! grep -qF $'\x1b[K' "$CAP/tty" || fail "decrypt to the terminal drew a bar"

    note "under a terminal: small inputs (200 KiB, exactly 4 MiB), then 4 MiB + 1 byte, which draws"
    on_tty 0 "${enc[@]}" -o small.enc "$FIX/big.bin"
    assert_tty_silent "encrypt of 200 KiB"
    on_tty 0 "$ESCROW" decrypt --key "$FIX/owner.key" -o small.out small.enc
    assert_tty_silent "decrypt of 200 KiB"
    head -c $((4 * 1024 * 1024)) big >four
    on_tty 0 "${enc[@]}" -o four.enc four
    assert_tty_silent "encrypt of exactly 4 MiB"
    head -c $((4 * 1024 * 1024 + 1)) big >four1
    on_tty 0 "${enc[@]}" -o four1.enc four1
    assert_contains "$CAP/tty" "100%"
    rm -f big ./*.enc ./*.out four four1 text text.age
}
