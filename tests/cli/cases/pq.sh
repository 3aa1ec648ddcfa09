# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for age's hybrid post-quantum recipients (ML-KEM-768 + X25519,
# `age1pq1...`, `AGE-SECRET-KEY-PQ-1...`). Sourced by ../run.sh, which runs one case_NAME function
# (see there). The crossings with a second implementation are in the interop tests.

# keygen --type pq writes the identity file as 'age-keygen -pq' does (mode 0600) and PREFIX.pub
# with the age1pq1... recipient; a post-quantum owner and two post-quantum authorities each open
# the file alone (binary and armored, and through a record); inspect names the stanza; a stranger's
# identity, a changed stanza and a changed payload are refused with nothing written; mixing
# post-quantum and classical recipients is refused.
case_pq_round_trip() {
    cd "$W"
    ok "$ESCROW" keygen --type pq -o po
    assert_contains "$CAP/stderr" "recipient age1pq1"
    [[ "$(stat -c %a po.key)" == 600 ]] || fail "po.key has mode $(stat -c %a po.key), expected 600"
    assert_matches po.key '^# created: '
    assert_matches po.key "^# public key: $(cat po.pub)\$"
    # 32 bytes of seed are 52 Bech32 characters, 1216 bytes of key 1946; then 6 of checksum.
    assert_matches po.key '^AGE-SECRET-KEY-PQ-1[0-9A-Z]{58}$'
    assert_matches po.pub '^age1pq1[0-9a-z]{1952}$'
    ok "$ESCROW" keygen --type pq -o pa1
    ok "$ESCROW" keygen --type pq -o pa2
    ok "$ESCROW" keygen --type pq -o stranger
    local e=(encrypt --format age --owner po.pub --authority pa1.pub --authority "$(cat pa2.pub)")
    ok "$ESCROW" "${e[@]}" --record r1.rec --record r2.rec -o b.age "$FIX/big.bin"
    ok "$ESCROW" "${e[@]}" --armor -o a.age "$FIX/chunk.bin"
    [[ "$(head -n1 a.age)" == "-----BEGIN AGE ENCRYPTED FILE-----" ]] || fail "a.age is not armored"
    [[ $(grep -c '^-> mlkem768x25519 ' b.age) -eq 3 ]] || fail "b.age does not hold three mlkem768x25519 stanzas"
    local k
    for k in po pa1 pa2; do
        ok "$ESCROW" decrypt --key $k.key -o b.$k.out b.age
        assert_same_content b.$k.out "$FIX/big.bin"
        ok "$ESCROW" decrypt --key $k.key -o a.$k.out a.age
        assert_same_content a.$k.out "$FIX/chunk.bin"
    done
    ok "$ESCROW" decrypt --key pa2.key --record r2.rec -o r2.out b.age
    assert_same_content r2.out "$FIX/big.bin"
    ok "$ESCROW" inspect r1.rec >r1.json
    assert_contains r1.json '"name": "mlkem768x25519"'
    ok "$ESCROW" inspect b.age >b.txt
    assert_contains b.txt "0: mlkem768x25519, 1 argument, body 32 bytes"
    note "an identity file holding several identities, post-quantum and X25519"
    ok "$ESCROW" keygen --type x25519 -o cx
    cat cx.key stranger.key pa1.key >several.key
    ok "$ESCROW" decrypt --key several.key -o s.out b.age
    assert_same_content s.out "$FIX/big.bin"

    note "a stranger's identity, a changed stanza body, a changed enc, an extra argument, a changed payload"
    fails_cleanly 1 "no_matching_key" out.bin b.age "$ESCROW" decrypt --key stranger.key -o out.bin b.age
    # The first stanza: "-> mlkem768x25519 " (18 characters), enc in 1494 base64 characters, a line
    # feed, the body in 43 (32 bytes). One character of the body, then one of enc, is replaced by
    # another base64 character: the body's tag fails, or enc decapsulates to another secret (ML-KEM
    # rejects implicitly): both are "not for this key". An extra argument is a malformed stanza.
    local stanza_at body_at enc_at
    stanza_at=$(offset_of b.age "-> mlkem768x25519 ")
    enc_at=$(( stanza_at + 18 + 100 ))
    body_at=$(( stanza_at + 18 + 1494 + 1 + 10 ))
    replace_char() {  # SRC DST OFFSET
        local c
        cp "$1" "$2"
        c=$(dd if="$1" bs=1 skip="$3" count=1 status=none)
        if [[ $c == A ]]; then c=B; else c=A; fi
        printf '%s' "$c" | dd of="$2" bs=1 seek="$3" conv=notrunc status=none
    }
    replace_char b.age body.age "$body_at"
    fails_cleanly 1 "no_matching_key" out.bin body.age "$ESCROW" decrypt --key po.key -o out.bin body.age
    replace_char b.age enc.age "$enc_at"
    fails_cleanly 1 "no_matching_key" out.bin enc.age "$ESCROW" decrypt --key po.key -o out.bin enc.age
    { head -c $(( stanza_at + 18 + 1494 )) b.age; printf ' extra'; tail -c +$(( stanza_at + 18 + 1494 + 1 )) b.age; } >arg.age
    fails_cleanly 5 "an mlkem768x25519 stanza has exactly one argument" out.bin arg.age \
        "$ESCROW" decrypt --key po.key -o out.bin arg.age
    flip_byte b.age pay.age $(( $(size_of b.age) - 100 ))
    fails_cleanly 1 "failed authentication" out.bin pay.age "$ESCROW" decrypt --key pa1.key -o out.bin pay.age

    note "post-quantum and classical recipients do not mix in one file"
    fails_cleanly 2 "mix post-quantum (age1pq1...) and classical recipients" out.age "" \
        "$ESCROW" encrypt --format age --owner po.pub --authority cx.pub -o out.age "$FIX/chunk.bin"
    fails_cleanly 2 "mix post-quantum (age1pq1...) and classical recipients" out.age "" \
        "$ESCROW" encrypt --format age --owner cx.pub --authority pa1.pub --authority pa2.pub -o out.age "$FIX/chunk.bin"
    fails_cleanly 2 "mix post-quantum (age1pq1...) and classical recipients" out.age "" \
        "$ESCROW" encrypt --format age --owner po.pub --authority pa1.pub --authority cx.pub --threshold 2 \
        --record m1.rec --record m2.rec -o out.age "$FIX/chunk.bin"
}

# k-of-n with post-quantum authorities: 2 of 3 share records open the file, one does not.
case_pq_threshold() {
    cd "$W"
    local k
    for k in owner a1 a2 a3; do ok "$ESCROW" keygen --type pq -o $k; done
    ok "$ESCROW" encrypt --format age --owner owner.pub --authority a1.pub --authority a2.pub --authority a3.pub \
        --threshold 2 --record s1.rec --record s2.rec --record s3.rec -o t.age "$FIX/chunk.bin"
    ok "$ESCROW" decrypt --key owner.key -o o.out t.age
    assert_same_content o.out "$FIX/chunk.bin"
    ok "$ESCROW" decrypt --key a1.key --record s1.rec --key a3.key --record s3.rec -o s.out t.age
    assert_same_content s.out "$FIX/chunk.bin"
    expect_exit 1 "2 of" "$ESCROW" decrypt --key a2.key -o x.out t.age
    assert_absent x.out
}

# The backup authority with a post-quantum key: init --authority-key age1pq1..., deposit, the
# officers' quorum, recover to the owner's new post-quantum key, rewrap, decrypt (the whole flow of
# cases/authority.sh); the records are post-quantum end to end.
case_authority_recovery_age_pq() {
    cd "$W"
    authority_recovery_flow age "" --type pq
}
