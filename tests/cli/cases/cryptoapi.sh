# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for the CryptoAPI format (`--format cryptoapi`). Sourced by ../run.sh,
# which runs one case_NAME function (see there).

# ---- cryptoapi -----------------------------------------------------------------------------------

CAPI_2048_PREFIX="0c 01 00 00 01 02 00 00"   # blob length 268, then SIMPLEBLOB's BLOBHEADER start

# --format cryptoapi: the file layout (blob length, SIMPLEBLOB with the AES size's ALG_ID and
# CALG_RSA_KEYX), round trips for every AES size and file size, recognised without --format, the
# authority's path through its record (a real SIMPLEBLOB), and the owner's key as PEM, DER or
# PRIVATEKEYBLOB (converted by openssl).
case_cryptoapi_round_trip() {
    cd "$W"
    local bits f alg
    for bits in 128 192 256; do
        case $bits in 128) alg="0e 66 00 00" ;; 192) alg="0f 66 00 00" ;; 256) alg="10 66 00 00" ;; esac
        for f in big chunk empty; do
            ok "$ESCROW" encrypt --format cryptoapi --aes-bits "$bits" --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" \
                --record "$f-$bits.rec" -o "$f-$bits.enc" "$FIX/$f.bin"
            [[ "$(head_hex "$f-$bits.enc" 16)" == "$CAPI_2048_PREFIX $alg 00 a4 00 00" ]] ||
                fail "$f-$bits.enc does not start like a CryptoAPI file for AES-$bits: $(head_hex "$f-$bits.enc" 16)"
            local plain_size
            plain_size=$(size_of "$FIX/$f.bin")
            [[ $(size_of "$f-$bits.enc") -eq $(( 4 + 268 + (plain_size / 16 + 1) * 16 )) ]] || fail "$f-$bits.enc has an unexpected size"
            ok "$ESCROW" decrypt --format cryptoapi --key "$FIX/owner.key" -o "$f-$bits.out" "$f-$bits.enc"
            assert_same_content "$f-$bits.out" "$FIX/$f.bin"
            ok "$ESCROW" decrypt --format cryptoapi --key "$FIX/auth1.key" --record "$f-$bits.rec" -o "$f-$bits.rec.out" "$f-$bits.enc"
            assert_same_content "$f-$bits.rec.out" "$FIX/$f.bin"
        done
        # The record's wrapped key is a SIMPLEBLOB for the same AES size.
        ok "$ESCROW" inspect "big-$bits.rec" >rec.json
        json_get rec.json wrapped_key >wk.b64
        base64 -d wk.b64 >wk.bin
        [[ "$(head_hex wk.bin 12)" == "01 02 00 00 $alg 00 a4 00 00" ]] || fail "the record's wrapped key is not a SIMPLEBLOB"
        [[ $(size_of wk.bin) -eq 268 ]] || fail "the record's SIMPLEBLOB is not 268 bytes"
    done
    note "inspect describes a CryptoAPI file"
    ok "$ESCROW" inspect big-192.enc >inspect.txt
    assert_contains inspect.txt "cryptoapi-aes192-cbc (0x0181), SIMPLEBLOB aiKeyAlg CALG_AES_192"
    assert_contains inspect.txt "rsa-pkcs1v15 (0x0202)"
    assert_contains inspect.txt "0: owner, SIMPLEBLOB 268 bytes (RSA block 256 bytes)"
    assert_contains inspect.txt "payload:       204816 bytes (204800 to 204815 bytes of plaintext)"
    ok "$ESCROW" inspect --json big-128.enc >inspect.json
    [[ "$(json_get inspect.json "cipher;name")" == cryptoapi-aes128-cbc ]] || fail "inspect --json: wrong cipher"
    [[ "$(json_get inspect.json authenticated)" == OFF || "$(json_get inspect.json authenticated)" == false ]] ||
        fail "inspect --json: authenticated is not false"
    [[ "$(json_get inspect.json payload_size)" == 204816 ]] || fail "inspect --json: wrong payload size"
    note "the default AES size is 256; decryption asks for --format cryptoapi by name"
    ok "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" \
        --record r1.rec --record r2.rec -o default.enc "$FIX/plain.txt"
    [[ "$(head_hex default.enc 16)" == "$CAPI_2048_PREFIX 10 66 00 00 00 a4 00 00" ]] || fail "the default is not AES-256"
    # Never chosen from the content: a MAC-less format would be a padding oracle for anyone who
    # can get a file decrypted.
    fails_cleanly 5 "--format cryptoapi" auto.out default.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o auto.out default.enc
    ok "$ESCROW" decrypt --format cryptoapi --key "$FIX/owner.key" -o auto.out default.enc
    assert_same_content auto.out "$FIX/plain.txt"
    ok "$ESCROW" decrypt --format cryptoapi --key "$FIX/auth2.key" --record r2.rec -o r2.out default.enc
    assert_same_content r2.out "$FIX/plain.txt"
    note "keys as DER and as CryptoAPI blobs (openssl's MSBLOB)"
    "$OPENSSL" rsa -in "$FIX/owner.key" -outform MSBLOB -out owner.blob 2>/dev/null
    "$OPENSSL" rsa -pubin -in "$FIX/auth1.pub" -outform MSBLOB -out auth1.pubblob 2>/dev/null
    ok "$ESCROW" decrypt --format cryptoapi --key owner.blob -o blob.out big-128.enc
    assert_same_content blob.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --format cryptoapi --key "$FIX/owner.key.der" -o der.out big-192.enc
    assert_same_content der.out "$FIX/big.bin"
    ok "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub.der" --authority auth1.pubblob --record blob.rec \
        -o blobkeys.enc "$FIX/plain.txt"
    ok "$ESCROW" decrypt --format cryptoapi --key "$FIX/auth1.key" --record blob.rec -o blobkeys.out blobkeys.enc
    assert_same_content blobkeys.out "$FIX/plain.txt"
    assert_no_temp "$W"
}

# keygen --key-format msblob writes a PRIVATEKEYBLOB (mode 0600) and a PUBLICKEYBLOB that openssl
# reads; the pair encrypts and decrypts in both formats.
case_cryptoapi_msblob_keys() {
    cd "$W"
    ok "$ESCROW" keygen --type rsa --bits 2048 --key-format msblob -o win
    [[ "$(stat -c %a win.key)" == 600 ]] || fail "win.key has mode $(stat -c %a win.key), expected 600"
    [[ "$(head_hex win.key 12)" == "07 02 00 00 00 a4 00 00 52 53 41 32" ]] || fail "win.key is not a PRIVATEKEYBLOB"
    [[ "$(head_hex win.pub 12)" == "06 02 00 00 00 a4 00 00 52 53 41 31" ]] || fail "win.pub is not a PUBLICKEYBLOB"
    [[ $(size_of win.key) -eq 1172 && $(size_of win.pub) -eq 276 ]] || fail "unexpected blob sizes for RSA-2048"
    "$OPENSSL" rsa -inform MSBLOB -in win.key -out win.pem 2>/dev/null || fail "openssl does not read win.key"
    "$OPENSSL" rsa -inform MSBLOB -in win.key -pubout -out win.pub.pem 2>/dev/null
    "$OPENSSL" rsa -pubin -inform MSBLOB -in win.pub -pubout -out win.pub2.pem 2>/dev/null || fail "openssl does not read win.pub"
    cmp -s win.pub.pem win.pub2.pem || fail "win.pub is not the public half of win.key as openssl sees it"
    ok "$ESCROW" encrypt --format cryptoapi --owner win.pub --authority "$FIX/auth1.pub" --record r.rec -o c.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --format cryptoapi --key win.pem -o c.out c.enc
    assert_same_content c.out "$FIX/big.bin"
    ok "$ESCROW" encrypt --owner win.pub.pem --authority "$FIX/auth1.pub" -o n.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --key win.key -o n.out n.enc
    assert_same_content n.out "$FIX/big.bin"
    fails_cleanly 4 "is a public key" x.out c.enc "$ESCROW" decrypt --format cryptoapi --key win.pub -o x.out c.enc
    fails_cleanly 4 "is a private key" x.enc "$FIX/plain.txt" "$ESCROW" encrypt --format cryptoapi --owner win.key \
        --authority "$FIX/auth1.pub" --record x.rec -o x.enc "$FIX/plain.txt"
    assert_absent x.rec
}

# CryptoAPI files that fail: a wrong key and a broken padding give the same exit code and message
# (or, about 1 time in 256 for a wrong key, garbage: never the plaintext); a key of another size;
# malformed blobs; short files; standard output refused. Nothing is ever written.
case_cryptoapi_errors() {
    cd "$W"
    # The file is made for whichever of owner and other has the smaller modulus, so that its RSA
    # block is below the other key's modulus too and the wrong key gets as far as the padding (a
    # block above a key's modulus is, publicly, "not for this key").
    local small=owner large=other
    modulus() { "$OPENSSL" rsa -in "$1" -noout -modulus 2>/dev/null | cut -d= -f2; }
    if [[ "$(modulus "$FIX/owner.key")" > "$(modulus "$FIX/other.key")" ]]; then small=other large=owner; fi
    ok "$ESCROW" encrypt --format cryptoapi --owner "$FIX/$small.pub" --authority "$FIX/auth1.pub" --record r.rec -o big.enc "$FIX/big.bin"
    local size
    size=$(size_of big.enc)
    note "wrong key, broken padding: one message"
    local wrong="" padding="" rc
    rc=0; "$ESCROW" decrypt --format cryptoapi --key "$FIX/$large.key" -o w.out big.enc 2>w.err || rc=$?
    if [[ $rc -eq 0 ]]; then
        ! cmp -s w.out "$FIX/big.bin" || fail "a wrong key gave the plaintext"
        note "the wrong key's padding happened to parse (1 in 256): garbage, not the plaintext"
    else
        [[ $rc -eq 1 ]] || fail "wrong key: exit $rc"
        assert_absent w.out
        wrong=$(cat w.err)
    fi
    flip_byte big.enc pad.enc $(( size - 20 ))   # the second-last block: the last block's padding breaks
    fails_cleanly 1 "CBC padding is wrong" out.bin pad.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" -o out.bin pad.enc
    padding=$(cat "$CAP/stderr")
    [[ -z "$wrong" || "$wrong" == "$padding" ]] || fail "wrong key and bad padding differ: '$wrong' vs '$padding'"
    note "a key of another size is not for this file"
    ok "$ESCROW" keygen --type rsa --bits 3072 -o k3072
    fails_cleanly 1 "no_matching_key" out.bin big.enc "$ESCROW" decrypt --format cryptoapi --key k3072.key -o out.bin big.enc
    note "the record is authenticated: a wrong authority key or an altered record always fails"
    fails_cleanly 1 "different authority key" out.bin big.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/auth2.key" --record r.rec -o out.bin big.enc
    flip_byte r.rec altered.rec "$(offset_of r.rec big.bin)"
    fails_cleanly 1 "record MAC" out.bin big.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/auth1.key" --record altered.rec -o out.bin big.enc
    note "malformed SIMPLEBLOBs"
    local at value what
    for at_value in "4 06 bType" "5 03 bVersion" "8 01 aiKeyAlg" "13 a0 algid"; do
        read -r at value what <<<"$at_value"
        cp big.enc m.enc
        printf "\x$value" | dd of=m.enc bs=1 seek="$at" conv=notrunc status=none
        fails_cleanly 5 "$what" out.bin m.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" -o out.bin m.enc
    done
    cp big.enc len.enc
    printf '\x0b' | dd of=len.enc bs=1 seek=0 conv=notrunc status=none
    fails_cleanly 5 "blob length 267" out.bin len.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" -o out.bin len.enc
    note "short files"
    head -c 2 big.enc >s2.enc
    fails_cleanly 1 "input ended inside the blob length" out.bin s2.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" -o out.bin s2.enc
    head -c 200 big.enc >s200.enc
    fails_cleanly 1 "truncated" out.bin s200.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" -o out.bin s200.enc
    head -c 272 big.enc >s272.enc
    fails_cleanly 1 "payload is missing" out.bin s272.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" -o out.bin s272.enc
    head -c $(( size - 1 )) big.enc >s1.enc
    fails_cleanly 1 "ends inside a 16-byte block" out.bin s1.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" -o out.bin s1.enc
    note "standard output is refused"
    fails_cleanly 2 "give -o OUT" "" big.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" big.enc
}
