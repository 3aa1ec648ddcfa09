# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI with the authority's private key in a PKCS#11 token: SoftHSM2, its token
# directory in this case's scratch space (SOFTHSM2_CONF), an RSA-3072 pair generated inside the
# token (non-extractable, sensitive) by escrow_p11_tool. Sourced by ../run.sh (see there).
# Environment: ESCROW_P11_TOOL (tests/pkcs11's escrow_p11_tool), ESCROW_SOFTHSM_MODULE.

# Makes a token "escrow" in $SCRATCH/$CASE.token (outside the work directory, whose listing the
# failure checks compare), with the RSA-3072 pair "authority" generated inside it; writes the
# user PIN to $W/../$CASE.pin and a wrong one to wrong.pin, the public key (read from the token) to
# authority.pub; sets TOKEN_URI, TOKEN_PIN.
pkcs11_token() {
    [[ -x ${ESCROW_P11_TOOL:-} ]] || fail "ESCROW_P11_TOOL is not set: the PKCS#11 cases need escrow_p11_tool (Debian: libp11-kit-dev)"
    [[ -f ${ESCROW_SOFTHSM_MODULE:-} ]] || fail "ESCROW_SOFTHSM_MODULE is not set: the PKCS#11 cases need SoftHSM2 (Debian: softhsm2)"
    local dir="$SCRATCH/$CASE.token"
    rm -rf "$dir"
    mkdir -p "$dir"
    TOKEN_PIN="$dir/user.pin"
    printf 'so-pin-%s\n' "$RANDOM$RANDOM" >"$dir/so.pin"
    printf 'pin-%s-secret\n' "$RANDOM$RANDOM" >"$TOKEN_PIN"
    printf 'wrong-%s-pin\n' "$RANDOM$RANDOM" >"$dir/wrong.pin"
    "$ESCROW_P11_TOOL" init "$dir" escrow "$dir/so.pin" "$TOKEN_PIN" || fail "could not initialise the SoftHSM2 token"
    "$ESCROW_P11_TOOL" keygen "$dir" escrow "$TOKEN_PIN" authority 3072 || fail "could not generate the key in the token"
    "$ESCROW_P11_TOOL" public "$dir" escrow "$TOKEN_PIN" authority authority.pub || fail "could not read the public key"
    export SOFTHSM2_CONF="$dir/softhsm2.conf"
    # SoftHSM 2.6 does RSA-OAEP over SHA-1 only: OAEP is decoded on the host (x-oaep=host).
    TOKEN_URI="pkcs11:token=escrow;object=authority?module-path=$ESCROW_SOFTHSM_MODULE&x-oaep=host"
    note "the private key cannot leave the token"
    local a
    for a in value private-exponent prime-1; do
        [[ "$("$ESCROW_P11_TOOL" attribute "$dir" escrow "$TOKEN_PIN" authority "$a")" != CKR_OK ]] ||
            fail "the token gave the private key's $a"
    done
    [[ "$("$ESCROW_P11_TOOL" attribute "$dir" escrow "$TOKEN_PIN" authority private-exponent)" == CKR_ATTRIBUTE_SENSITIVE ]] ||
        fail "CKA_PRIVATE_EXPONENT is not refused as sensitive"
    [[ "$("$ESCROW_P11_TOOL" attribute "$dir" escrow "$TOKEN_PIN" authority modulus)" == CKR_OK ]] ||
        fail "the public modulus is not readable"
}

# Fails when the PIN files' contents appear in FILE.
assert_no_pin() {  # FILE
    local p
    for p in "$TOKEN_PIN" "$SCRATCH/$CASE.token/wrong.pin"; do
        ! grep -qF -- "$(head -n1 "$p")" "$1" || fail "a PIN appears in $1"
    done
}

# The README's demonstration flow with the authority's key generated in the token: deposit,
# officers sign, recovery through the token, rewrap, decrypt (native format, rsa-oaep-sha256).
case_pkcs11_recovery_native() {
    cd "$W"
    pkcs11_token
    FLOW_TOKEN_URI=$TOKEN_URI FLOW_TOKEN_PIN=$TOKEN_PIN authority_recovery_flow native "" --type rsa --bits 2048
    ok "$ESCROW" authority --db authority.db audit >audit.txt
    assert_no_pin audit.txt
    assert_no_pin authority.db
    note "the recovery through the token signed the audit head, and its audit key checks it"
    ok "$ESCROW" authority --db authority.db audit-key --key "$TOKEN_URI" --pin-file "$TOKEN_PIN" -o audit.pub
    assert_contains audit.pub "BEGIN PUBLIC KEY"
    ok "$ESCROW" authority --db authority.db verify-audit --audit-key audit.pub >verify.txt
    assert_contains verify.txt "head signed up to seq"
    ! grep -q "not checked" verify.txt || fail "the token's audit key did not check the signed head"
    fails_cleanly 2 "--pin-file goes with a pkcs11: --key" audit2.pub "" "$ESCROW" authority --db authority.db \
        audit-key --key owner.key --pin-file "$TOKEN_PIN" -o audit2.pub
}

# The same for a CryptoAPI authority (rsa-pkcs1v15, CKM_RSA_PKCS on the token).
case_pkcs11_recovery_cryptoapi() {
    cd "$W"
    pkcs11_token
    FLOW_TOKEN_URI=$TOKEN_URI FLOW_TOKEN_PIN=$TOKEN_PIN authority_recovery_flow cryptoapi rsa-pkcs1v15 --type rsa --bits 2048
    ok "$ESCROW" authority --db authority.db audit >audit.txt
    assert_no_pin audit.txt
}

# A wrong PIN, a missing token, module or key, a key of the wrong type: one line each, with its
# documented exit status, and no PIN in any message nor in the audit log.
case_pkcs11_errors() {
    cd "$W"
    pkcs11_token
    local dir="$SCRATCH/$CASE.token" module=$ESCROW_SOFTHSM_MODULE
    "$ESCROW_P11_TOOL" ec-keygen "$dir" escrow "$TOKEN_PIN" ec-key || fail "could not generate the EC key"
    local db=a.db
    ok "$ESCROW" authority --db "$db" init --authority-key "$TOKEN_URI" --pin-file "$TOKEN_PIN" --quorum 1
    local fp
    fp=$(init_fingerprint)
    ok "$ESCROW" officer keygen -o alice
    register_officer "$db" alice "$fp"
    ok "$ESCROW" keygen --type rsa --bits 2048 -o owner
    ok "$ESCROW" encrypt --owner owner.pub --authority authority.pub --serial P-1 --record p1.rec -o p1.enc "$FIX/plain.txt"
    ok "$ESCROW" authority --db "$db" deposit p1.rec
    ok "$ESCROW" keygen --type rsa --bits 2048 -o newowner
    ok "$ESCROW" officer request --serial P-1 --new-owner newowner.pub --authority authority.pub -o r.bin
    ok "$ESCROW" officer sign --key alice.key -o a.sig r.bin
    local -a rec=(authority --db "$db" recover --request r.bin --signature a.sig -o b.bin)
    local stderr_all="$W/../$CASE.stderr-all"
    : >"$stderr_all"
    check() {  # CODE FRAGMENT KEY [PIN-FILE]
        local -a pin=()
        [[ -n ${4:-} ]] && pin=(--pin-file "$4")
        fails_cleanly "$1" "$2" b.bin "" "$ESCROW" "${rec[@]}" --key "$3" "${pin[@]}"
        cat "$CAP/stderr" >>"$stderr_all"
    }
    note "wrong PIN: exit 4"
    check 4 "wrong PIN (CKR_PIN_INCORRECT)" "$TOKEN_URI" "$dir/wrong.pin"
    check 4 "wrong PIN (CKR_PIN_INCORRECT)" "$TOKEN_URI""&pin-source=file:$dir/wrong.pin"
    note "missing token: exit 3"
    check 3 "no token matches token 'no-such-token'" "${TOKEN_URI/token=escrow/token=no-such-token}" "$TOKEN_PIN"
    note "missing module: exit 3"
    check 3 "PKCS#11 module '/nonexistent/libp11.so' cannot be loaded" "${TOKEN_URI/$module//nonexistent/libp11.so}" "$TOKEN_PIN"
    note "missing key: exit 3; a key of the wrong type: exit 4"
    check 3 "no private key token 'escrow', object 'nothing'" "${TOKEN_URI/object=authority/object=nothing}" "$TOKEN_PIN"
    check 4 "is not an RSA key (wrong key type)" "${TOKEN_URI/object=authority/object=ec-key}" "$TOKEN_PIN"
    note "no PIN, a PIN in the URI, a PIN twice, the token's OAEP: exit 2 and 4"
    check 2 "no PIN for the PKCS#11 token" "$TOKEN_URI"
    check 2 "pin-value is refused" "$TOKEN_URI&pin-value=1234" "$TOKEN_PIN"
    check 2 "the PIN is given twice" "$TOKEN_URI&pin-source=file:$TOKEN_PIN" "$TOKEN_PIN"
    check 4 "add x-oaep=host to the URI" "${TOKEN_URI%&x-oaep=host}" "$TOKEN_PIN"
    fails_cleanly 2 "--pin-file goes with a pkcs11: --key" b.bin "" "$ESCROW" "${rec[@]}" --key owner.key --pin-file "$TOKEN_PIN"
    fails_cleanly 2 "give the file's escrow record with --record" p1.out "" "$ESCROW" decrypt --key "$TOKEN_URI" \
        --pin-file "$TOKEN_PIN" -o p1.out p1.enc
    fails_cleanly 4 "wrong PIN" p1.out "" "$ESCROW" decrypt --key "$TOKEN_URI" --pin-file "$dir/wrong.pin" \
        --record p1.rec -o p1.out p1.enc
    cat "$CAP/stderr" >>"$stderr_all"
    fails_cleanly 4 "wrong PIN" "" "" "$ESCROW" authority --db b.db init --authority-key "$TOKEN_URI" --pin-file "$dir/wrong.pin"
    cat "$CAP/stderr" >>"$stderr_all"
    note "then the right PIN recovers, and no PIN is in any message nor in the audit log"
    ok "$ESCROW" "${rec[@]}" --key "$TOKEN_URI" --pin-file "$TOKEN_PIN"
    cat "$CAP/stderr" >>"$stderr_all"
    assert_contains "$CAP/stderr" "recovery of P-1 granted"
    ok "$ESCROW" authority --db "$db" audit >audit.txt
    assert_contains audit.txt "	recovery	P-1	granted	"
    assert_no_pin "$stderr_all"
    assert_no_pin audit.txt
    assert_no_pin "$db"
    [[ $(wc -l <"$stderr_all") -eq 13 ]] || fail "not every message was collected"
}

# The service with the authority's key in the token (`serve --key pkcs11:... --pin-file`): a
# deposit verified through the token, a forged one refused, a recovery with two signatures
# granted through it, the audit key the one the token gives locally; the PIN is never printed.
case_pkcs11_service() {
    cd "$W"
    pkcs11_token
    ok "$ESCROW" authority --db authority.db init --authority-key "$TOKEN_URI" --pin-file "$TOKEN_PIN" --quorum 2
    AUTH_FP=$(init_fingerprint)
    local o
    for o in alice bob; do
        ok "$ESCROW" officer keygen -o "$o"
        register_officer authority.db "$o" "$AUTH_FP"
    done
    service_cert tls
    expect_exit 2 "--pin-file goes with a pkcs11: --key" "$ESCROW" authority --db authority.db serve --listen 127.0.0.1:0 \
        --tls-cert tls.crt --tls-key tls.key --key owner-missing.key --pin-file "$TOKEN_PIN"
    service_start authority.db "$TOKEN_URI" --pin-file "$TOKEN_PIN"
    assert_contains serve.err "private key operation: PKCS#11 token"
    local -a srv=(authority --server "$SERVICE_URL" --ca tls.crt)

    note "a deposit verified through the token; a forged one refused"
    ok "$ESCROW" keygen --type rsa --bits 2048 -o owner
    ok "$ESCROW" encrypt --owner owner.pub --authority authority.pub --serial TOK-S-1 --owner-id alice@example.org \
        --record file.rec -o file.enc "$FIX/plain.txt"
    flip_byte file.rec forged.rec $(($(size_of file.rec) - 1))
    expect_exit 1 "does not verify under the authority key" "$ESCROW" "${srv[@]}" deposit forged.rec
    ok "$ESCROW" "${srv[@]}" deposit file.rec
    assert_contains "$CAP/stderr" "escrow: deposited TOK-S-1"

    note "a recovery through the service and the token"
    ok "$ESCROW" keygen --type rsa --bits 2048 -o newowner
    ok "$ESCROW" officer request --record file.rec --new-owner newowner.pub -o req.bin
    for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "$o.sig" req.bin; done
    ok "$ESCROW" "${srv[@]}" recover --request req.bin --signature alice.sig --signature bob.sig -o blob.bin
    ok "$ESCROW" rewrap --blob blob.bin --key newowner.key --record file.rec file.enc
    ok "$ESCROW" decrypt --key newowner.key -o file.out file.enc
    cmp "$FIX/plain.txt" file.out || fail "the file recovered through the token's service differs from the original"

    note "the server's audit key is the token's, and it signed the head"
    ok "$ESCROW" "${srv[@]}" audit-key -o audit.pub
    ok "$ESCROW" authority --db authority.db audit-key --key "$TOKEN_URI" --pin-file "$TOKEN_PIN" -o audit-local.pub
    assert_same_content audit.pub audit-local.pub
    ok "$ESCROW" "${srv[@]}" --officer-key alice.key verify-audit --audit-key audit.pub >verify.txt
    assert_contains verify.txt "head signed up to seq"
    service_stop
    assert_no_pin serve.err
    assert_no_pin serve.out
}
