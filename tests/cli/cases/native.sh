# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for round trips through the native format: the owner's key, the
# authorities' records, pipes, DER and openssl keys. Sourced by ../run.sh, which runs one case_NAME
# function (see there).

# ---- round trips -------------------------------------------------------------------------------

# The owner's key decrypts what was encrypted for it: 200 KiB (several chunks), exactly one
# chunk, and an empty file; the ciphertext is a native file of the expected size, fresh each time.
case_owner_round_trip() {
    cd "$W"
    local f in
    for f in big chunk empty; do
        in="$FIX/$f.bin"
        local before
        before=$(sha "$in")
        encrypt_basic "$f.bin" "$f.enc"
        [[ "$(head_hex "$f.enc" 8)" == "$NATIVE_MAGIC" ]] || fail "$f.enc does not start with the native magic"
        ok "$ESCROW" decrypt --key "$FIX/owner.key" -o "$f.out" "$f.enc"
        assert_same_content "$f.out" "$in"
        [[ "$(sha "$in")" == "$before" ]] || fail "encrypt modified its input"
        note "$f: $(size_of "$in") bytes -> $(size_of "$f.enc") bytes -> round trip ok"
    done
    # Header (its length is the u32 at offset 16) + plaintext + one 16-byte tag per 64 KiB chunk.
    [[ $(size_of big.enc) -eq $(( $(header_length big.enc) + 204800 + 4 * 16 )) ]] || fail "big.enc has an unexpected size"
    [[ $(size_of chunk.enc) -eq $(( $(header_length chunk.enc) + 65536 + 16 )) ]] || fail "chunk.enc has an unexpected size"
    [[ $(size_of empty.enc) -eq $(( $(header_length empty.enc) + 16 )) ]] || fail "empty.enc has an unexpected size"
    encrypt_basic big.bin big2.enc
    ! cmp -s big.enc big2.enc || fail "two encryptions of the same file are identical"
    assert_no_temp "$W"
}

# Two authorities, two records: each authority decrypts through its own record and directly
# through its blob copy in the header; a record opens only with its own authority's key and
# only its own file; the --record count must match the --authority count.
case_authority_record() {
    cd "$W"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" \
        --record r1.rec --record r2.rec --serial REC-TEST-1 -o big.enc "$FIX/big.bin"
    [[ "$(head_hex r1.rec 8)" == "$RECORD_MAGIC" && "$(head_hex r2.rec 8)" == "$RECORD_MAGIC" ]] ||
        fail "the records do not start with the record magic"
    ! cmp -s r1.rec r2.rec || fail "the two records are identical"

    ok "$ESCROW" decrypt --key "$FIX/auth1.key" --record r1.rec -o via-r1.out big.enc
    assert_same_content via-r1.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth2.key" --record r2.rec -o via-r2.out big.enc
    assert_same_content via-r2.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth1.key" -o auth1-header.out big.enc
    assert_same_content auth1-header.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth2.key" -o auth2-header.out big.enc
    assert_same_content auth2-header.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o owner.out big.enc
    assert_same_content owner.out "$FIX/big.bin"
    note "owner, both authorities through records and through the header: all equal to the original"

    local rec_sha
    rec_sha=$(sha r1.rec)
    fails_cleanly 1 "different authority key" x.out big.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record r2.rec -o x.out big.enc
    fails_cleanly 1 "different authority key" x.out big.enc "$ESCROW" decrypt --key "$FIX/owner.key" --record r1.rec -o x.out big.enc
    [[ "$(sha r1.rec)" == "$rec_sha" ]] || fail "decrypt modified the record"

    note "a record opens only its own file"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record empty.rec -o empty.enc "$FIX/empty.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth1.key" --record empty.rec -o empty.out empty.enc
    assert_same_content empty.out "$FIX/empty.bin"
    fails_cleanly 1 "is the record of serial" x.out big.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record empty.rec -o x.out big.enc

    note "zero records are allowed; any other count but one per authority is a usage error"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" -o norec.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth2.key" -o norec.out norec.enc
    assert_same_content norec.out "$FIX/big.bin"
    fails_cleanly 2 "one --record per --authority" c.enc "$FIX/big.bin" "$ESCROW" encrypt --owner "$FIX/owner.pub" \
        --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" --record c1.rec -o c.enc "$FIX/big.bin"
    assert_absent c1.rec
    fails_cleanly 2 "one --record per --authority" c.enc "$FIX/big.bin" "$ESCROW" encrypt --owner "$FIX/owner.pub" \
        --authority "$FIX/auth1.pub" --record c1.rec --record c2.rec -o c.enc "$FIX/big.bin"
    assert_absent c1.rec c2.rec
    assert_no_temp "$W"
}

# Standard input and output: '-' and no operand, through pipes, for both directions and the
# authority's path; ciphertext is never written to a terminal.
case_pipes() {
    cd "$W"
    local before
    before=$(sha "$FIX/big.bin")
    # shellcheck disable=SC2002  # a pipe, not a file, on standard input
    cat "$FIX/big.bin" | "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" |
        "$ESCROW" decrypt --key "$FIX/owner.key" >piped.out
    assert_same_content piped.out "$FIX/big.bin"
    "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record r.rec -o - - <"$FIX/big.bin" >big.enc
    "$ESCROW" decrypt --key "$FIX/auth1.key" --record r.rec -o - - <big.enc >dash.out
    assert_same_content dash.out "$FIX/big.bin"
    "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" <"$FIX/empty.bin" |
        "$ESCROW" decrypt --key "$FIX/auth1.key" >empty.out
    assert_same_content empty.out "$FIX/empty.bin"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o from-stdin.out <big.enc
    assert_same_content from-stdin.out "$FIX/big.bin"
    [[ "$(sha "$FIX/big.bin")" == "$before" ]] || fail "the input changed"
    note "pipes: encrypt | decrypt, '-' operands, empty input: equal to the originals"

    note "a reader that closes the pipe ends escrow by SIGPIPE, with no record or temporary file left"
    # 200 KiB of ciphertext cannot fit in the pipe's buffer, so escrow is still writing when head exits.
    local status
    set +e +o pipefail
    "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record closed.rec <"$FIX/big.bin" 2>"$CAP/stderr" |
        head -c 10 >/dev/null
    status=${PIPESTATUS[0]}
    set -e -o pipefail
    [[ $status -eq 141 ]] || fail "encrypt into a closed pipe: status $status, expected 141 (SIGPIPE)"
    assert_absent closed.rec
    assert_no_temp "$W"

    note "a wrong key on a pipe writes nothing to stdout"
    local rc=0
    "$ESCROW" decrypt --key "$FIX/auth2.key" <big.enc >wrong.out 2>"$CAP/stderr" || rc=$?
    [[ $rc -eq 1 ]] || fail "wrong key on stdin: exit $rc, expected 1"
    [[ ! -s wrong.out ]] || fail "a wrong key released bytes on stdout"
    rm -f wrong.out

    if command -v script >/dev/null 2>&1; then
        rc=0
        script -qec "'$ESCROW' encrypt --owner '$FIX/owner.pub' --authority '$FIX/auth1.pub' '$FIX/plain.txt'" \
            /dev/null >"$CAP/tty" 2>&1 || rc=$?
        [[ $rc -eq 2 ]] || { cat "$CAP/tty" >&2; fail "ciphertext to a terminal: exit $rc, expected 2"; }
        assert_contains "$CAP/tty" "refusing to write binary ciphertext to a terminal"
        note "terminal refused: $(tr -d '\r' <"$CAP/tty")"
    else
        note "script(1) not found: terminal refusal not checked"
    fi
    assert_no_temp "$W"
}

# Keys in DER (PKCS#8 and SPKI, from openssl pkey -outform DER) and PKCS#1 PEM work like PEM.
case_der_keys() {
    cd "$W"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub.der" --authority "$FIX/auth1.pub.der" --record r.rec -o der.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/owner.key.der" -o der.out der.enc
    assert_same_content der.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth1.key.der" --record r.rec -o der-rec.out der.enc
    assert_same_content der-rec.out "$FIX/big.bin"
    note "DER keys: the file decrypts with the PEM form of the same key too"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o pem.out der.enc
    assert_same_content pem.out "$FIX/big.bin"
    note "PKCS#1 ('RSA PRIVATE KEY' / 'RSA PUBLIC KEY') PEM"
    "$OPENSSL" pkey -in "$FIX/owner.key" -traditional -out owner.pkcs1.key
    assert_contains owner.pkcs1.key "BEGIN RSA PRIVATE KEY"
    "$OPENSSL" rsa -pubin -in "$FIX/owner.pub" -RSAPublicKey_out -out owner.pkcs1.pub 2>/dev/null
    assert_contains owner.pkcs1.pub "BEGIN RSA PUBLIC KEY"
    ok "$ESCROW" encrypt --owner owner.pkcs1.pub --authority "$FIX/auth1.pub" -o p1.enc "$FIX/plain.txt"
    ok "$ESCROW" decrypt --key owner.pkcs1.key -o p1.out p1.enc
    assert_same_content p1.out "$FIX/plain.txt"
    assert_no_temp "$W"
}

# A key pair from `openssl genpkey -algorithm RSA` serves as owner (and as authority).
case_openssl_key() {
    cd "$W"
    ok "$ESCROW" encrypt --owner "$FIX/ossl.pub" --authority "$FIX/auth1.pub" -o o.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/ossl.key" -o o.out o.enc
    assert_same_content o.out "$FIX/big.bin"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/ossl.pub" --record a.rec -o a.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/ossl.key" --record a.rec -o a.out a.enc
    assert_same_content a.out "$FIX/big.bin"
    assert_no_temp "$W"
}
