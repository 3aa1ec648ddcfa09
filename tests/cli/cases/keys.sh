# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for the fixture (cli.setup: the keys and data files the other cases use)
# and `escrow keygen`. Sourced by ../run.sh, which runs one case_NAME function (see there).

# ---- fixture -----------------------------------------------------------------------------------

# Keys (the tool's own keygen, and openssl's), DER copies, and the data files.
case_setup() {
    rm -rf "$FIX"
    mkdir -p "$FIX"
    cd "$FIX"
    local k
    for k in owner auth1 auth2 other; do
        ok "$ESCROW" keygen --type rsa --bits 2048 -o "$k"
    done
    "$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ossl.key 2>/dev/null
    "$OPENSSL" pkey -in ossl.key -pubout -out ossl.pub
    "$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out small.key 2>/dev/null
    "$OPENSSL" pkey -in small.key -pubout -out small.pub
    for k in owner auth1 auth2; do
        "$OPENSSL" pkey -in "$k.key" -outform DER -out "$k.key.der"
        "$OPENSSL" pkey -pubin -in "$k.pub" -outform DER -out "$k.pub.der"
    done
    head -c 204800 /dev/urandom >big.bin     # 200 KiB: three full 64 KiB chunks and a part
    head -c 65536 /dev/urandom >chunk.bin    # exactly one chunk
    : >empty.bin
    printf 'just some plain text\n' >plain.txt
    note "fixtures in $FIX: $(find . -type f -printf '%f\n' | LC_ALL=C sort | tr '\n' ' ')"
}

# ---- keygen ------------------------------------------------------------------------------------

# keygen writes a PKCS#8 PEM private key (mode 0600) and an SPKI PEM public key that openssl
# reads, default 3072 bits, exponent 65537; the pair works; it never overwrites; x25519 and bad
# sizes are refused with nothing written (x25519 keys: case age_keygen).
case_keygen() {
    cd "$W"
    ok "$ESCROW" keygen --type rsa -o k3072
    assert_contains "$CAP/stderr" "k3072.pub"
    [[ "$(stat -c %a k3072.key)" == 600 ]] || fail "k3072.key has mode $(stat -c %a k3072.key), expected 600"
    [[ "$(head -n1 k3072.key)" == "-----BEGIN PRIVATE KEY-----" ]] || fail "k3072.key is not PKCS#8 PEM"
    [[ "$(head -n1 k3072.pub)" == "-----BEGIN PUBLIC KEY-----" ]] || fail "k3072.pub is not SPKI PEM"
    "$OPENSSL" pkey -in k3072.key -noout -text >k3072.txt
    assert_contains k3072.txt "(3072 bit"
    assert_contains k3072.txt "publicExponent: 65537"
    "$OPENSSL" pkey -in k3072.key -pubout -out k3072.openssl.pub
    cmp -s k3072.pub k3072.openssl.pub || fail "k3072.pub is not the public half of k3072.key as openssl sees it"
    "$OPENSSL" pkey -pubin -in k3072.pub -noout

    ok "$ESCROW" keygen --type rsa --bits 2048 -o k2048
    "$OPENSSL" pkey -in k2048.key -noout -text | grep -qF "(2048 bit" || fail "k2048.key is not 2048 bits"

    note "the generated 3072-bit pair encrypts and decrypts"
    ok "$ESCROW" encrypt --owner k3072.pub --authority k2048.pub -o plain.enc "$FIX/plain.txt"
    ok "$ESCROW" decrypt --key k3072.key -o plain.out plain.enc
    assert_same_content plain.out "$FIX/plain.txt"

    note "outputs get 0666 less the umask, the private key and decrypted plaintext 0600 whatever the umask"
    (umask 027 && "$ESCROW" keygen --type rsa --bits 2048 -o masked 2>/dev/null &&
        "$ESCROW" encrypt --owner k3072.pub --authority k2048.pub --record masked.rec -o masked.enc "$FIX/plain.txt" &&
        "$ESCROW" decrypt --key k3072.key -o masked.out masked.enc) || fail "the runs under umask 027 failed"
    for f in masked.pub masked.rec masked.enc; do
        [[ "$(stat -c %a "$f")" == 640 ]] || fail "$f has mode $(stat -c %a "$f") under umask 027, expected 640"
    done
    for f in masked.key masked.out; do
        [[ "$(stat -c %a "$f")" == 600 ]] || fail "$f has mode $(stat -c %a "$f"), expected 600"
    done

    note "existing files are never overwritten"
    local key_sha pub_sha
    key_sha=$(sha k3072.key)
    pub_sha=$(sha k3072.pub)
    fails_cleanly 3 "already exists" "" "" "$ESCROW" keygen --type rsa --bits 2048 -o k3072
    [[ "$(sha k3072.key)" == "$key_sha" && "$(sha k3072.pub)" == "$pub_sha" ]] || fail "keygen changed existing keys"
    echo "not a key" >half.pub
    fails_cleanly 3 "already exists" half.key half.pub "$ESCROW" keygen --type rsa --bits 2048 -o half

    note "refused requests write nothing"
    fails_cleanly 2 "--bits applies to --type rsa only" x.key "" "$ESCROW" keygen --type x25519 --bits 2048 -o x
    assert_absent x.pub
    fails_cleanly 2 "2048 to 16384" small.key "" "$ESCROW" keygen --type rsa --bits 1024 -o small
    fails_cleanly 2 "decimal number" bad.key "" "$ESCROW" keygen --type rsa --bits 3k -o bad
    fails_cleanly 2 "unknown --type" t.key "" "$ESCROW" keygen --type dsa -o t
    fails_cleanly 2 "-o PREFIX is required" "" "" "$ESCROW" keygen --type rsa
    fails_cleanly 3 "cannot create a temporary file" "$W/nodir/k.key" "" "$ESCROW" keygen --type rsa --bits 2048 -o nodir/k
    assert_no_temp "$W"
}
