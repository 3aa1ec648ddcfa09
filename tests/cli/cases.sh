#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The escrow command-line tool driven end to end. One ctest case per scenario:
#
#   bash cases.sh CASE ESCROW_BINARY SCRATCH_DIR
#
# `setup` (a ctest fixture) makes the keys and data files in SCRATCH_DIR/fixtures; every other
# case works in its own SCRATCH_DIR/<case>. Environment: ESCROW_OPENSSL, ESCROW_CMAKE.
set -euo pipefail

CASE=$1
ESCROW=$2
SCRATCH=$3
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OPENSSL=${ESCROW_OPENSSL:-openssl}
CMAKE=${ESCROW_CMAKE:-cmake}
FIX="$SCRATCH/fixtures"
W="$SCRATCH/$CASE"
CAP="$SCRATCH/$CASE.capture"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

NATIVE_MAGIC="89 45 53 43 52 4f 57 0a"   # "\x89ESCROW\n"
RECORD_MAGIC="89 45 53 43 52 45 43 0a"   # "\x89ESCREC\n"

# Encrypts FIX/$1 for the owner and authority 1 to $2.
encrypt_basic() { ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o "$2" "$FIX/$1"; }

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

    note "outputs get 0666 less the umask, the private key 0600 whatever the umask"
    (umask 027 && "$ESCROW" keygen --type rsa --bits 2048 -o masked 2>/dev/null &&
        "$ESCROW" encrypt --owner k3072.pub --authority k2048.pub --record masked.rec -o masked.enc "$FIX/plain.txt" &&
        "$ESCROW" decrypt --key k3072.key -o masked.out masked.enc) || fail "the runs under umask 027 failed"
    for f in masked.pub masked.rec masked.enc masked.out; do
        [[ "$(stat -c %a "$f")" == 640 ]] || fail "$f has mode $(stat -c %a "$f") under umask 027, expected 640"
    done
    [[ "$(stat -c %a masked.key)" == 600 ]] || fail "masked.key has mode $(stat -c %a masked.key), expected 600"

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
    fails_cleanly 2 "--type" t.key "" "$ESCROW" keygen -o t
    fails_cleanly 2 "unknown --type" t.key "" "$ESCROW" keygen --type dsa -o t
    fails_cleanly 2 "-o PREFIX is required" "" "" "$ESCROW" keygen --type rsa
    fails_cleanly 3 "cannot create a temporary file" "$W/nodir/k.key" "" "$ESCROW" keygen --type rsa --bits 2048 -o nodir/k
    assert_no_temp "$W"
}

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
    fails_cleanly 1 "authentication_failed" x.out big.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record empty.rec -o x.out big.enc

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

# ---- inspect -----------------------------------------------------------------------------------

# inspect describes a file (text and JSON) and a record (JSON) without any key, from a path or
# standard input; what it prints agrees with the file's size, the options given, and openssl's
# view of the authority key.
case_inspect() {
    cd "$W"
    local t0 t1
    t0=$(date +%s)
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" \
        --record r1.rec --record r2.rec --serial SER-42 --description "quarterly report" \
        --owner-id alice@example.org -o big.enc "$FIX/big.bin"
    t1=$(date +%s)
    local enc_sha rec_sha
    enc_sha=$(sha big.enc)
    rec_sha=$(sha r1.rec)

    ok "$ESCROW" inspect big.enc >info.txt
    cat info.txt
    assert_matches info.txt '^format: +escrow native, version 1 '
    assert_matches info.txt '^cipher: +aes256-gcm-stream \(0x0101\)$'
    assert_matches info.txt '^wrap: +rsa-oaep-sha256 \(0x0201\)$'
    assert_matches info.txt '^recipients: +3$'
    assert_matches info.txt '^  0: owner, wrapped key 256 bytes$'
    assert_matches info.txt '^  1: authority, wrapped key 256 bytes$'
    assert_matches info.txt '^  2: authority, wrapped key 256 bytes$'
    assert_matches info.txt '^serial: +"SER-42"$'
    assert_matches info.txt '^description: +"quarterly report"$'
    assert_matches info.txt '^owner: +"alice@example.org"$'
    assert_matches info.txt '^created: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z \([0-9]+\)$'
    assert_matches info.txt '^payload: +204864 bytes in 4 chunks \(204800 bytes of plaintext if intact\)$'
    local created header
    created=$(sed -nE 's/^created: .*\(([0-9]+)\)$/\1/p' info.txt)
    [[ $created -ge $t0 && $created -le $t1 ]] || fail "created $created is not between $t0 and $t1"
    [[ "$(sed -nE 's/^created: +([^ ]+) .*/\1/p' info.txt)" == "$(date -u -d "@$created" +%Y-%m-%dT%H:%M:%SZ)" ]] ||
        fail "created is not the ISO-8601 UTC form of $created"
    header=$(sed -nE 's/^header size: +([0-9]+) bytes.*/\1/p' info.txt)
    [[ $(( header + 204864 )) -eq $(size_of big.enc) ]] || fail "header size $header + payload != file size"

    note "--json, read back with CMake's JSON parser"
    ok "$ESCROW" inspect --json big.enc >info.json
    [[ "$(json_get info.json format)" == escrow-native ]] || fail "json format"
    [[ "$(json_get info.json version)" == 1 ]] || fail "json version"
    [[ "$(json_get info.json 'cipher;name')" == aes256-gcm-stream ]] || fail "json cipher"
    [[ "$(json_get info.json 'wrap;id')" == 0x0201 ]] || fail "json wrap id"
    [[ "$(json_length info.json recipients)" == 3 ]] || fail "json recipient count"
    [[ "$(json_get info.json 'recipients;0;role')" == owner ]] || fail "json owner role"
    [[ "$(json_get info.json 'recipients;2;role')" == authority ]] || fail "json authority role"
    [[ "$(json_get info.json serial)" == SER-42 ]] || fail "json serial"
    [[ "$(json_get info.json description)" == "quarterly report" ]] || fail "json description"
    [[ "$(json_get info.json created)" == "$created" ]] || fail "json created"
    [[ "$(json_get info.json header_size)" == "$header" ]] || fail "json header size"
    [[ "$(json_get info.json plaintext_size)" == 204800 ]] || fail "json plaintext size"

    note "a record, as JSON; its fingerprint is the SHA-256 of the authority's SPKI DER"
    ok "$ESCROW" inspect r1.rec >r1.json
    cat r1.json
    [[ "$(json_get r1.json format)" == escrow-record ]] || fail "record format"
    [[ "$(json_get r1.json serial)" == SER-42 ]] || fail "record serial"
    [[ "$(json_get r1.json owner)" == alice@example.org ]] || fail "record owner"
    [[ "$(json_get r1.json created)" == "$created" ]] || fail "record created"
    [[ "$(json_get r1.json 'store;name')" == native ]] || fail "record store"
    local fp1 fp2
    fp1=$("$OPENSSL" pkey -pubin -in "$FIX/auth1.pub" -outform DER | sha256sum | cut -d' ' -f1)
    fp2=$("$OPENSSL" pkey -pubin -in "$FIX/auth2.pub" -outform DER | sha256sum | cut -d' ' -f1)
    [[ "$(json_get r1.json authority_fingerprint)" == "$fp1" ]] || fail "r1.rec does not name auth1's key"
    ok "$ESCROW" inspect r2.rec >r2.json
    [[ "$(json_get r2.json authority_fingerprint)" == "$fp2" ]] || fail "r2.rec does not name auth2's key"

    note "standard input"
    "$ESCROW" inspect <big.enc >stdin.txt
    assert_matches stdin.txt '^file: +-$'
    diff <(sed 1d info.txt) <(sed 1d stdin.txt) >/dev/null || fail "inspect from stdin differs from inspect of the file"
    # shellcheck disable=SC2002  # a pipe, not a file, on standard input
    cat r1.rec | "$ESCROW" inspect - >stdin.json
    cmp -s r1.json stdin.json || fail "inspect of a record from stdin differs"

    [[ "$(sha big.enc)" == "$enc_sha" && "$(sha r1.rec)" == "$rec_sha" ]] || fail "inspect modified its input"
    fails_cleanly 5 "unknown format" "" "$FIX/plain.txt" "$ESCROW" inspect "$FIX/plain.txt"
    assert_no_temp "$W"
}

# ---- help --------------------------------------------------------------------------------------

# --help and -h everywhere (exit 0, on stdout), naming every option and the exit codes;
# --version; no command or an unknown one is a usage error.
case_help() {
    cd "$W"
    local h
    for h in --help -h; do
        ok "$ESCROW" "$h" >main.txt
        assert_contains main.txt "Usage: escrow <command>"
        local c
        for c in keygen encrypt decrypt inspect; do assert_matches main.txt "^  $c "; done
        assert_contains main.txt "Exit codes:"
        local code
        for code in 0 1 2 3 4 5 6; do assert_matches main.txt "^  $code  "; done
    done
    ok "$ESCROW" keygen --help >keygen.txt
    for h in "--type rsa|x25519" "--bits N" "-o, --output PREFIX" "Exit codes:"; do assert_contains keygen.txt "$h"; done
    ok "$ESCROW" encrypt --help >encrypt.txt
    for h in "--format" "--owner RECIPIENT" "--authority RECIPIENT" "--description TEXT" "--serial S" \
        "--owner-id TEXT" "--record FILE" "--armor" "-q, --quiet" "-o, --output OUT" "Exit codes:"; do
        assert_contains encrypt.txt "$h"
    done
    ok "$ESCROW" decrypt --help >decrypt.txt
    for h in "--key IDENTITY" "--record FILE" "--format" "-q, --quiet" "-o, --output OUT" "Exit codes:"; do
        assert_contains decrypt.txt "$h"
    done
    ok "$ESCROW" inspect --help >inspect.txt
    for h in "FILE|RECORD" "--json" "Exit codes:"; do assert_contains inspect.txt "$h"; done
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
        assert_contains sub.txt "Exit codes:"
        assert_matches main.txt "^  $c "
    done
    fails_cleanly 2 "expected one FILE" "" "" "$ESCROW" rewrap
}

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
            ok "$ESCROW" decrypt --key "$FIX/auth1.key" --record "$f-$bits.rec" -o "$f-$bits.rec.out" "$f-$bits.enc"
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
    note "the default AES size is 256; the format is recognised without --format"
    ok "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" \
        --record r1.rec --record r2.rec -o default.enc "$FIX/plain.txt"
    [[ "$(head_hex default.enc 16)" == "$CAPI_2048_PREFIX 10 66 00 00 00 a4 00 00" ]] || fail "the default is not AES-256"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o auto.out default.enc
    assert_same_content auto.out "$FIX/plain.txt"
    ok "$ESCROW" decrypt --key "$FIX/auth2.key" --record r2.rec -o r2.out default.enc
    assert_same_content r2.out "$FIX/plain.txt"
    note "keys as DER and as CryptoAPI blobs (openssl's MSBLOB)"
    "$OPENSSL" rsa -in "$FIX/owner.key" -outform MSBLOB -out owner.blob 2>/dev/null
    "$OPENSSL" rsa -pubin -in "$FIX/auth1.pub" -outform MSBLOB -out auth1.pubblob 2>/dev/null
    ok "$ESCROW" decrypt --key owner.blob -o blob.out big-128.enc
    assert_same_content blob.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/owner.key.der" -o der.out big-192.enc
    assert_same_content der.out "$FIX/big.bin"
    ok "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub.der" --authority auth1.pubblob --record blob.rec \
        -o blobkeys.enc "$FIX/plain.txt"
    ok "$ESCROW" decrypt --key "$FIX/auth1.key" --record blob.rec -o blobkeys.out blobkeys.enc
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
    ok "$ESCROW" decrypt --key win.pem -o c.out c.enc
    assert_same_content c.out "$FIX/big.bin"
    ok "$ESCROW" encrypt --owner win.pub.pem --authority "$FIX/auth1.pub" -o n.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --key win.key -o n.out n.enc
    assert_same_content n.out "$FIX/big.bin"
    fails_cleanly 4 "is a public key" x.out c.enc "$ESCROW" decrypt --key win.pub -o x.out c.enc
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
    rc=0; "$ESCROW" decrypt --key "$FIX/$large.key" -o w.out big.enc 2>w.err || rc=$?
    if [[ $rc -eq 0 ]]; then
        ! cmp -s w.out "$FIX/big.bin" || fail "a wrong key gave the plaintext"
        note "the wrong key's padding happened to parse (1 in 256): garbage, not the plaintext"
    else
        [[ $rc -eq 1 ]] || fail "wrong key: exit $rc"
        assert_absent w.out
        wrong=$(cat w.err)
    fi
    flip_byte big.enc pad.enc $(( size - 20 ))   # the second-last block: the last block's padding breaks
    fails_cleanly 1 "CBC padding is wrong" out.bin pad.enc "$ESCROW" decrypt --key "$FIX/$small.key" -o out.bin pad.enc
    padding=$(cat "$CAP/stderr")
    [[ -z "$wrong" || "$wrong" == "$padding" ]] || fail "wrong key and bad padding differ: '$wrong' vs '$padding'"
    note "a key of another size is not for this file"
    ok "$ESCROW" keygen --type rsa --bits 3072 -o k3072
    fails_cleanly 1 "no_matching_key" out.bin big.enc "$ESCROW" decrypt --key k3072.key -o out.bin big.enc
    note "the record is authenticated: a wrong authority key or an altered record always fails"
    fails_cleanly 1 "different authority key" out.bin big.enc "$ESCROW" decrypt --key "$FIX/auth2.key" --record r.rec -o out.bin big.enc
    flip_byte r.rec altered.rec "$(offset_of r.rec big.bin)"
    fails_cleanly 1 "record MAC" out.bin big.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record altered.rec -o out.bin big.enc
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
    fails_cleanly 1 "payload is missing" out.bin s272.enc "$ESCROW" decrypt --key "$FIX/$small.key" -o out.bin s272.enc
    head -c $(( size - 1 )) big.enc >s1.enc
    fails_cleanly 1 "ends inside a 16-byte block" out.bin s1.enc "$ESCROW" decrypt --key "$FIX/$small.key" -o out.bin s1.enc
    note "standard output is refused"
    fails_cleanly 2 "give -o OUT" "" big.enc "$ESCROW" decrypt --format cryptoapi --key "$FIX/$small.key" big.enc
}

# ---- errors ------------------------------------------------------------------------------------

# A key that opens none of the recipients: exit 1, nothing written, input untouched.
case_error_wrong_key() {
    cd "$W"
    encrypt_basic big.bin big.enc
    fails_cleanly 1 "no_matching_key" out.bin big.enc "$ESCROW" decrypt --key "$FIX/auth2.key" -o out.bin big.enc
    fails_cleanly 1 "wrong key" out.bin big.enc "$ESCROW" decrypt --key "$FIX/other.key" -o out.bin big.enc
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" -o two.enc "$FIX/empty.bin"
    fails_cleanly 1 "no_matching_key" out.bin two.enc "$ESCROW" decrypt --key "$FIX/ossl.key" -o out.bin two.enc
}

# Any changed byte (payload, header, last tag) and a changed escrow record field: exit 1,
# nothing written.
case_error_tampered() {
    cd "$W"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record r.rec \
        --description "quarterly report" -o big.enc "$FIX/big.bin"
    local size desc_at
    size=$(size_of big.enc)
    desc_at=$(offset_of big.enc "quarterly report")
    flip_byte big.enc payload.enc $(( size - 100000 ))
    fails_cleanly 1 "authentication_failed" out.bin payload.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin payload.enc
    flip_byte big.enc last-tag.enc $(( size - 1 ))
    fails_cleanly 1 "authentication_failed" out.bin last-tag.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin last-tag.enc
    flip_byte big.enc header.enc "$desc_at"
    fails_cleanly 1 "authentication_failed" out.bin header.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin header.enc
    fails_cleanly 1 "authentication_failed" out.bin header.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record r.rec -o out.bin header.enc
    note "an altered record field is caught by the record's MAC"
    flip_byte r.rec desc.rec "$(offset_of r.rec "quarterly report")"
    fails_cleanly 1 "record MAC" out.bin big.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record desc.rec -o out.bin big.enc
    flip_byte r.rec mac.rec $(( $(size_of r.rec) - 1 ))
    fails_cleanly 1 "record MAC" out.bin big.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record mac.rec -o out.bin big.enc
    flip_byte r.rec wrapped.rec $(( $(size_of r.rec) - 40 ))
    fails_cleanly 1 "authentication_failed" out.bin big.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record wrapped.rec -o out.bin big.enc
}

# A decryption ended by a signal while it waits for more input (SIGTERM, SIGHUP) dies of
# that signal and leaves neither the output nor its temporary file, which by then holds
# authenticated plaintext.
case_error_interrupted() {
    cd "$W"
    head -c $((4 * 1024 * 1024)) /dev/urandom >plain.bin
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o plain.enc plain.bin
    local sig num pid status i
    for sig in TERM HUP; do
        num=$(kill -l "$sig")
        rm -f feed
        mkfifo feed
        "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin feed 2>err.txt &
        pid=$!
        exec 7>feed
        head -c $((2 * 1024 * 1024)) plain.enc >&7   # half the file; the writer stays open
        for i in $(seq 200); do
            [[ -n "$(find . -name '.out.bin.tmp-*')" ]] && break
            sleep 0.05
        done
        [[ -n "$(find . -name '.out.bin.tmp-*')" ]] || fail "no temporary output while decrypting"
        [[ -s "$(find . -name '.out.bin.tmp-*')" ]] || fail "the temporary output is empty: nothing was decrypted yet"
        kill -"$sig" "$pid"
        status=0
        wait "$pid" || status=$?
        exec 7>&-
        [[ $status -eq $((128 + num)) ]] || fail "SIG$sig: exit status $status, expected $((128 + num))"
        assert_absent out.bin
        assert_no_temp .
        note "SIG$sig: died of the signal ($status), no output and no temporary file left"
    done
}

# A file cut inside the header, after the header, at a chunk boundary, inside a chunk, or one
# byte short: exit 1, nothing written.
case_error_truncated() {
    cd "$W"
    encrypt_basic big.bin big.enc
    local size header
    size=$(size_of big.enc)
    header=$(( size - 204864 ))
    head -c 30 big.enc >in-header.enc
    fails_cleanly 1 "truncated" out.bin in-header.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin in-header.enc
    head -c "$header" big.enc >header-only.enc
    fails_cleanly 1 "truncated" out.bin header-only.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin header-only.enc
    head -c $(( header + 65552 )) big.enc >boundary.enc
    fails_cleanly 1 "failed authentication" out.bin boundary.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin boundary.enc
    head -c $(( header + 2 * 65552 )) big.enc >boundary2.enc
    fails_cleanly 1 "failed authentication" out.bin boundary2.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin boundary2.enc
    head -c $(( header + 10 )) big.enc >in-chunk.enc
    fails_cleanly 1 "truncated" out.bin in-chunk.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin in-chunk.enc
    head -c $(( size - 1 )) big.enc >short.enc
    fails_cleanly 1 "failed authentication" out.bin short.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin short.enc
    note "the authority's path sees the same"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record r.rec -o rec.enc "$FIX/big.bin"
    head -c $(( $(size_of rec.enc) - 70000 )) rec.enc >rec-cut.enc
    fails_cleanly 1 "failed authentication" out.bin rec-cut.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record r.rec -o out.bin rec-cut.enc
}

# Bytes appended after the final chunk: exit 1, nothing written.
case_error_trailing_data() {
    cd "$W"
    encrypt_basic big.bin big.enc
    { cat big.enc; printf 'x'; } >one-more.enc
    fails_cleanly 1 "failed authentication" out.bin one-more.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin one-more.enc
    { cat big.enc; head -c 65552 /dev/zero; } >chunk-more.enc
    fails_cleanly 1 "failed authentication" out.bin chunk-more.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin chunk-more.enc
    encrypt_basic empty.bin empty.enc
    { cat empty.enc; printf 'x'; } >empty-more.enc
    fails_cleanly 1 "failed authentication" out.bin empty-more.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin empty-more.enc
}

# Input that is not an escrow file (plain text, empty, a record, an unknown version, an age
# header, a damaged record): exit 5 (or 2 for a format this version does not implement).
case_error_unknown_format() {
    cd "$W"
    encrypt_basic big.bin big.enc
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record r.rec -o r.enc "$FIX/plain.txt"
    local k=(--key "$FIX/owner.key")
    fails_cleanly 5 "unknown format" out.bin "$FIX/plain.txt" "$ESCROW" decrypt "${k[@]}" -o out.bin "$FIX/plain.txt"
    fails_cleanly 5 "unknown format" out.bin "$FIX/empty.bin" "$ESCROW" decrypt "${k[@]}" -o out.bin "$FIX/empty.bin"
    fails_cleanly 5 "escrow record, not an encrypted file" out.bin r.rec "$ESCROW" decrypt "${k[@]}" -o out.bin r.rec
    fails_cleanly 5 "not an escrow native file" out.bin "$FIX/plain.txt" "$ESCROW" decrypt --format native "${k[@]}" -o out.bin "$FIX/plain.txt"
    fails_cleanly 5 "unknown format" "" "$FIX/empty.bin" "$ESCROW" inspect "$FIX/empty.bin"
    fails_cleanly 5 "unknown format" "" "$FIX/big.bin" "$ESCROW" inspect "$FIX/big.bin"

    note "a version this library does not read"
    cp big.enc v2.enc
    printf '\002' | dd of=v2.enc bs=1 seek=8 conv=notrunc status=none
    fails_cleanly 5 "unsupported_version" out.bin v2.enc "$ESCROW" decrypt "${k[@]}" -o out.bin v2.enc
    fails_cleanly 5 "unsupported_version" "" v2.enc "$ESCROW" inspect v2.enc
    cp r.rec v2.rec
    printf '\002' | dd of=v2.rec bs=1 seek=8 conv=notrunc status=none
    fails_cleanly 5 "unsupported_version" out.bin r.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record v2.rec -o out.bin r.enc

    note "a damaged record, or a file given as a record"
    { cat r.rec; printf 'x'; } >long.rec
    fails_cleanly 1 "trailing_data" out.bin r.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record long.rec -o out.bin r.enc
    head -c 50 r.rec >short.rec
    fails_cleanly 5 "malformed_blob" out.bin r.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record short.rec -o out.bin r.enc
    fails_cleanly 5 "not an escrow record" out.bin r.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record r.enc -o out.bin r.enc

    note "formats of later versions"
    printf 'age-encryption.org/v1\n-> X25519 abc\n' >fake.age
    fails_cleanly 5 "age header: input ended inside a stanza body" out.bin fake.age "$ESCROW" decrypt "${k[@]}" -o out.bin fake.age
    fails_cleanly 5 "age armor: the first line is not" out.bin big.enc "$ESCROW" decrypt --format age "${k[@]}" -o out.bin big.enc
    fails_cleanly 5 "not a CryptoAPI file" out.bin big.enc "$ESCROW" decrypt --format cryptoapi "${k[@]}" -o out.bin big.enc
    fails_cleanly 2 "unknown --format 'zip'" out.bin big.enc "$ESCROW" decrypt --format zip "${k[@]}" -o out.bin big.enc
}

# Missing files (input, keys, record, output directory): exit 3, nothing written.
case_error_missing_file() {
    cd "$W"
    encrypt_basic plain.txt p.enc
    local e=(--owner "$FIX/owner.pub" --authority "$FIX/auth1.pub")
    fails_cleanly 3 "not_found" out.enc "" "$ESCROW" encrypt "${e[@]}" -o out.enc no-such-input
    fails_cleanly 3 "No such file" out.enc "" "$ESCROW" encrypt "${e[@]}" -o out.enc no-such-input
    fails_cleanly 3 "no-such.pub" out.enc "$FIX/plain.txt" "$ESCROW" encrypt --owner no-such.pub --authority "$FIX/auth1.pub" -o out.enc "$FIX/plain.txt"
    fails_cleanly 3 "no-such.pub" out.enc "$FIX/plain.txt" "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority no-such.pub -o out.enc "$FIX/plain.txt"
    fails_cleanly 3 "not_found" out.bin p.enc "$ESCROW" decrypt --key no-such.key -o out.bin p.enc
    fails_cleanly 3 "not_found" out.bin "" "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin no-such.enc
    fails_cleanly 3 "no-such.rec" out.bin p.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record no-such.rec -o out.bin p.enc
    fails_cleanly 3 "not_found" "" "" "$ESCROW" inspect no-such.enc
    fails_cleanly 3 "cannot create a temporary file" "$W/no-dir/out.enc" "$FIX/plain.txt" "$ESCROW" encrypt "${e[@]}" -o no-dir/out.enc "$FIX/plain.txt"
    fails_cleanly 3 "is a directory" out.enc "" "$ESCROW" encrypt "${e[@]}" -o out.enc "$FIX"
    if [[ $(id -u) -ne 0 ]]; then
        cp "$FIX/plain.txt" unreadable.txt
        chmod 000 unreadable.txt
        fails_cleanly 3 "io_error" out.enc "" "$ESCROW" encrypt "${e[@]}" -o out.enc unreadable.txt
        chmod 600 unreadable.txt
    else
        note "running as root: the unreadable-file check is skipped"
    fi
}

# Key files that are not usable keys: garbage, the wrong kind (private for public and back),
# too small, truncated, encrypted PKCS#8, too large. Exit 4, nothing written.
case_error_bad_key_file() {
    cd "$W"
    encrypt_basic plain.txt p.enc
    head -c 300 /dev/urandom >garbage.key
    head -n 5 "$FIX/owner.key" >cut.key
    "$OPENSSL" pkey -in "$FIX/owner.key" -aes256 -passout pass:secret -out encrypted.key
    local in="$FIX/plain.txt" a=(--authority "$FIX/auth1.pub")
    fails_cleanly 4 "bad_key" out.enc "$in" "$ESCROW" encrypt --owner garbage.key "${a[@]}" -o out.enc "$in"
    fails_cleanly 4 "is a private key" out.enc "$in" "$ESCROW" encrypt --owner "$FIX/owner.key" "${a[@]}" -o out.enc "$in"
    fails_cleanly 4 "is a private key" out.enc "$in" "$ESCROW" encrypt --owner "$FIX/owner.key.der" "${a[@]}" -o out.enc "$in"
    fails_cleanly 4 "is a private key" out.enc "$in" "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.key" -o out.enc "$in"
    fails_cleanly 4 "too small" out.enc "$in" "$ESCROW" encrypt --owner "$FIX/small.pub" "${a[@]}" -o out.enc "$in"
    [[ $(grep -o "small.pub" "$CAP/stderr" | wc -l) -eq 1 ]] || fail "the message names the key file more than once"
    fails_cleanly 4 "larger than 64 KiB" out.enc "$in" "$ESCROW" encrypt --owner "$FIX/big.bin" "${a[@]}" -o out.enc "$in"
    fails_cleanly 4 "bad_key" out.enc "$in" "$ESCROW" encrypt --owner cut.key "${a[@]}" -o out.enc "$in"
    fails_cleanly 4 "is a public key" out.bin p.enc "$ESCROW" decrypt --key "$FIX/owner.pub" -o out.bin p.enc
    fails_cleanly 4 "is a public key" out.bin p.enc "$ESCROW" decrypt --key "$FIX/owner.pub.der" -o out.bin p.enc
    fails_cleanly 4 "bad_key" out.bin p.enc "$ESCROW" decrypt --key garbage.key -o out.bin p.enc
    fails_cleanly 4 "bad_key" out.bin p.enc "$ESCROW" decrypt --key cut.key -o out.bin p.enc
    fails_cleanly 4 "encrypted PKCS#8" out.bin p.enc "$ESCROW" decrypt --key encrypted.key -o out.bin p.enc
    fails_cleanly 4 "too small" out.bin p.enc "$ESCROW" decrypt --key "$FIX/small.key" -o out.bin p.enc
}

# The output naming the input (same path, another spelling, a hard link, a symbolic link) is
# refused before anything is written, for the ciphertext, the plaintext and a record.
case_error_output_is_input() {
    cd "$W"
    cp "$FIX/big.bin" in.bin
    mkdir sub
    ln in.bin hard.bin
    ln -s in.bin soft.bin
    local e=(--owner "$FIX/owner.pub" --authority "$FIX/auth1.pub")
    fails_cleanly 3 "is the input file" "" in.bin "$ESCROW" encrypt "${e[@]}" -o in.bin in.bin
    fails_cleanly 3 "is the input file" "" in.bin "$ESCROW" encrypt "${e[@]}" -o sub/../in.bin in.bin
    fails_cleanly 3 "is the input file" "" in.bin "$ESCROW" encrypt "${e[@]}" -o "$W/in.bin" in.bin
    fails_cleanly 3 "is the input file" "" in.bin "$ESCROW" encrypt "${e[@]}" -o hard.bin in.bin
    fails_cleanly 3 "is the input file" "" in.bin "$ESCROW" encrypt "${e[@]}" -o soft.bin in.bin
    fails_cleanly 3 "is the input file" out.enc in.bin "$ESCROW" encrypt "${e[@]}" --record in.bin -o out.enc in.bin
    [[ "$(sha in.bin)" == "$(sha "$FIX/big.bin")" ]] || fail "the input changed"
    ok "$ESCROW" encrypt "${e[@]}" -o in.enc in.bin
    fails_cleanly 3 "is the input file" "" in.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o in.enc in.enc
    fails_cleanly 3 "is the input file" "" in.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o ./sub/../in.enc in.enc
    fails_cleanly 2 "both name" same.out in.bin "$ESCROW" encrypt "${e[@]}" --record same.out -o same.out in.bin
}

# An existing output (ciphertext, plaintext or record) is never overwritten: exit 3, the
# existing file unchanged, no other output written.
case_error_output_exists() {
    cd "$W"
    echo "precious" >existing
    local keep
    keep=$(sha existing)
    local e=(--owner "$FIX/owner.pub" --authority "$FIX/auth1.pub")
    fails_cleanly 3 "already exists" "" "$FIX/big.bin" "$ESCROW" encrypt "${e[@]}" -o existing "$FIX/big.bin"
    fails_cleanly 3 "already exists" new.enc "$FIX/big.bin" "$ESCROW" encrypt "${e[@]}" --record existing -o new.enc "$FIX/big.bin"
    ok "$ESCROW" encrypt "${e[@]}" -o p.enc "$FIX/plain.txt"
    fails_cleanly 3 "already exists" "" p.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o existing p.enc
    [[ "$(sha existing)" == "$keep" ]] || fail "an existing file was overwritten"
}

# Command-line mistakes and features of later versions: exit 2, nothing written.
case_error_usage() {
    cd "$W"
    local in="$FIX/plain.txt" o=(--owner "$FIX/owner.pub") a=(--authority "$FIX/auth1.pub")
    fails_cleanly 2 "unknown option '--bogus'" out.enc "$in" "$ESCROW" encrypt "${o[@]}" "${a[@]}" --bogus -o out.enc "$in"
    fails_cleanly 2 "unknown option '-x'" out.enc "$in" "$ESCROW" encrypt "${o[@]}" "${a[@]}" -x -o out.enc "$in"
    fails_cleanly 2 "--owner RECIPIENT is required" out.enc "$in" "$ESCROW" encrypt "${a[@]}" -o out.enc "$in"
    fails_cleanly 2 "--authority RECIPIENT is required" out.enc "$in" "$ESCROW" encrypt "${o[@]}" -o out.enc "$in"
    fails_cleanly 2 "--owner given more than once" out.enc "$in" "$ESCROW" encrypt "${o[@]}" "${o[@]}" "${a[@]}" -o out.enc "$in"
    fails_cleanly 2 "needs a value" "" "" "$ESCROW" encrypt "${a[@]}" --owner
    fails_cleanly 2 "more than one input" out.enc "$in" "$ESCROW" encrypt "${o[@]}" "${a[@]}" -o out.enc "$in" "$in"
    fails_cleanly 2 "--armor applies to --format age only" out.enc "$in" "$ESCROW" encrypt "${o[@]}" "${a[@]}" --armor -o out.enc "$in"
    fails_cleanly 4 "is a PEM key; --format age takes age1... recipients" out.enc "$in" "$ESCROW" encrypt --format age "${o[@]}" "${a[@]}" -o out.enc "$in"
    fails_cleanly 2 "give one --record FILE per --authority" out.enc "$in" "$ESCROW" encrypt --format cryptoapi "${o[@]}" "${a[@]}" -o out.enc "$in"
    fails_cleanly 2 "--aes-bits applies to --format cryptoapi only" out.enc "$in" "$ESCROW" encrypt "${o[@]}" "${a[@]}" --aes-bits 128 -o out.enc "$in"
    fails_cleanly 2 "--aes-bits must be 128, 192 or 256" out.enc "$in" "$ESCROW" encrypt --format cryptoapi "${o[@]}" "${a[@]}" \
        --record r.rec --aes-bits 512 -o out.enc "$in"
    assert_absent r.rec
    fails_cleanly 2 "unknown --key-format 'jwk'" "" "" "$ESCROW" keygen --type rsa --key-format jwk -o kk
    assert_absent kk.key kk.pub
    fails_cleanly 2 "--serial must be printable ASCII" out.enc "$in" "$ESCROW" encrypt "${o[@]}" "${a[@]}" --serial "has space" -o out.enc "$in"
    fails_cleanly 2 "--key IDENTITY is required" out.bin "" "$ESCROW" decrypt -o out.bin "$in"
    fails_cleanly 2 "takes no value" "" "" "$ESCROW" inspect --json=yes "$in"
    ok "$ESCROW" encrypt "${o[@]}" "${a[@]}" --owner-id "" --description "" -o ok.enc "$in"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" --output=ok.out ok.enc
    assert_same_content ok.out "$in"
}

# ---- age format ----------------------------------------------------------------------------------

# keygen --type x25519 writes an age identity file (mode 0600) and PREFIX.pub with the age1...
# recipient; the pair works through --format age, binary and armored.
case_age_keygen() {
    cd "$W"
    ok "$ESCROW" keygen --type x25519 -o ax
    assert_contains "$CAP/stderr" "recipient age1"
    [[ "$(stat -c %a ax.key)" == 600 ]] || fail "ax.key has mode $(stat -c %a ax.key), expected 600"
    assert_matches ax.key '^# created: '
    assert_matches ax.key "^# public key: $(cat ax.pub)\$"
    assert_matches ax.key '^AGE-SECRET-KEY-1[0-9A-Z]{58}$'
    assert_matches ax.pub '^age1[0-9a-z]{58}$'
    ok "$ESCROW" keygen --type x25519 -o ay
    ok "$ESCROW" encrypt --format age --owner ax.pub --authority "$(cat ay.pub)" -o p.age "$FIX/big.bin"
    ok "$ESCROW" decrypt --key ax.key -o p.out p.age
    assert_same_content p.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key ay.key -o p2.out p.age
    assert_same_content p2.out "$FIX/big.bin"
    fails_cleanly 3 "already exists" "" "" "$ESCROW" keygen --type x25519 -o ax
}

# --format age: owner and authority each open the file alone (binary, armored, through standard
# streams), the record opens it with the owner's identity deleted, decrypt recognises both forms
# without --format, inspect describes them, and a wrong key or a changed byte leaves nothing.
case_age_round_trip() {
    cd "$W"
    ok "$ESCROW" keygen --type x25519 -o owner
    ok "$ESCROW" keygen --type x25519 -o auth1
    ok "$ESCROW" keygen --type x25519 -o auth2
    ok "$ESCROW" keygen --type x25519 -o other
    local e=(encrypt --format age --owner owner.pub --authority auth1.pub --authority "$(cat auth2.pub)")
    ok "$ESCROW" "${e[@]}" --record r1.rec --record r2.rec -o b.age "$FIX/big.bin"
    [[ "$(head -n1 b.age)" == "age-encryption.org/v1" ]] || fail "b.age is not a binary age file"
    ok "$ESCROW" "${e[@]}" --armor -o a.age "$FIX/chunk.bin"
    [[ "$(head -n1 a.age)" == "-----BEGIN AGE ENCRYPTED FILE-----" ]] || fail "a.age is not armored"
    [[ "$(tail -n1 a.age)" == "-----END AGE ENCRYPTED FILE-----" ]] || fail "a.age has no END line"
    local k
    for k in owner auth1 auth2; do
        ok "$ESCROW" decrypt --key $k.key -o b.$k.out b.age
        assert_same_content b.$k.out "$FIX/big.bin"
        ok "$ESCROW" decrypt --key $k.key -o a.$k.out a.age
        assert_same_content a.$k.out "$FIX/chunk.bin"
    done
    note "standard streams, and the empty file"
    "$ESCROW" "${e[@]}" --armor <"$FIX/empty.bin" | "$ESCROW" decrypt --key auth2.key >e.out
    assert_same_content e.out "$FIX/empty.bin"

    note "the owner's identity deleted: each authority opens the file through its record"
    rm owner.key
    ok "$ESCROW" decrypt --key auth1.key --record r1.rec -o r1.out b.age
    assert_same_content r1.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key auth2.key --record r2.rec -o r2.out b.age
    assert_same_content r2.out "$FIX/big.bin"
    fails_cleanly 1 "was made for a different authority key" out.bin b.age "$ESCROW" decrypt --key auth1.key --record r2.rec -o out.bin b.age
    ok "$ESCROW" inspect r1.rec >r1.json
    assert_contains r1.json '"name": "age"'
    assert_contains r1.json '"name": "x25519"'

    note "inspect"
    ok "$ESCROW" inspect b.age >b.txt
    assert_contains b.txt "age-encryption.org/v1"
    assert_contains b.txt "recipients:    3"
    assert_contains b.txt "0: X25519, 1 arguments, body 32 bytes"
    ok "$ESCROW" inspect --json a.age >a.json
    [[ "$(json_get a.json armored)" == "ON" || "$(json_get a.json armored)" == "true" ]] || fail "a.json: not armored"
    [[ "$(json_length a.json recipients)" == 3 ]] || fail "a.json: not 3 recipients"

    note "a stranger's key, a changed header byte, a changed payload byte: exit 1, nothing written"
    fails_cleanly 1 "no_matching_key" out.bin b.age "$ESCROW" decrypt --key other.key -o out.bin b.age
    local mac_at
    mac_at=$(offset_of b.age "--- ")
    cp b.age hdr.age
    # One character of the MAC replaced by another base64 character: the header still parses.
    local c
    c=$(dd if=b.age bs=1 skip=$(( mac_at + 4 )) count=1 status=none)
    if [[ $c == A ]]; then c=B; else c=A; fi
    printf '%s' "$c" | dd of=hdr.age bs=1 seek=$(( mac_at + 4 )) conv=notrunc status=none
    fails_cleanly 1 "header authentication failed" out.bin hdr.age "$ESCROW" decrypt --key auth1.key -o out.bin hdr.age
    flip_byte b.age pay.age $(( $(size_of b.age) - 100 ))
    fails_cleanly 1 "failed authentication" out.bin pay.age "$ESCROW" decrypt --key auth1.key -o out.bin pay.age
    head -c -1 a.age >cut.age
    printf 'x' >>cut.age
    fails_cleanly 5 "malformed_armor" out.bin cut.age "$ESCROW" decrypt --key auth1.key -o out.bin cut.age
}

# --format age takes OpenSSH RSA keys: .pub files or lines for recipients, PEM private keys for
# --key (ssh-keygen's own format is crossed with the real tools in the interop test); recipients
# of two kinds in one file, PEM public keys and private keys as recipients are refused clearly.
# An identity file with several identities (age-keygen's output appended to one file, as age users
# keep them): each identity opens what was made for it, through the file and through --record,
# `age -d -i` agrees, and a file made for none of them is refused with nothing written.
case_age_identity_files() {
    cd "$W"
    ok "$ESCROW" keygen --type x25519 -o k1
    ok "$ESCROW" keygen --type x25519 -o k2
    ok "$ESCROW" keygen --type x25519 -o k3
    cat k1.key k2.key >both.key
    ok "$ESCROW" encrypt --format age --owner k1.pub --authority k3.pub -o one.age "$FIX/big.bin"
    ok "$ESCROW" encrypt --format age --owner k3.pub --authority k2.pub --record two.rec -o two.age "$FIX/chunk.bin"
    ok "$ESCROW" decrypt --key both.key -o one.out one.age
    assert_same_content one.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key both.key -o two.out two.age
    assert_same_content two.out "$FIX/chunk.bin"
    ok "$ESCROW" decrypt --key both.key --record two.rec -o two.rec.out two.age
    assert_same_content two.rec.out "$FIX/chunk.bin"
    age -d -i both.key -o two.age.out two.age || fail "age -d -i both.key did not open two.age"
    assert_same_content two.age.out "$FIX/chunk.bin"
    ok "$ESCROW" encrypt --format age --owner k3.pub --authority k3.pub --record three.rec -o three.age "$FIX/chunk.bin"
    fails_cleanly 1 "none of the 2 identities in --key 'both.key' opens any of the file's 2 stanzas" out.bin three.age \
        "$ESCROW" decrypt --key both.key -o out.bin three.age
    fails_cleanly 1 "none of the 2 identities in --key 'both.key' is" out.bin three.age \
        "$ESCROW" decrypt --key both.key --record three.rec -o out.bin three.age
    { cat both.key; echo "age1notanidentity"; } >bad.key
    fails_cleanly 4 "not an age identity file" out.bin one.age "$ESCROW" decrypt --key bad.key -o out.bin one.age
}

case_age_ssh_keys() {
    cd "$W"
    local k
    for k in owner auth1; do
        "$OPENSSL" pkey -in "$FIX/$k.key" -out $k.pem
    done
    # OpenSSH public key lines made from the PEM keys by the library's own loader round trip:
    # ssh-keygen -y reads PKCS#8 PEM private keys.
    command -v ssh-keygen >/dev/null || fail "ssh-keygen is needed (Debian package openssh-client)"
    for k in owner auth1; do
        ssh-keygen -y -f $k.pem >$k.ssh.pub
    done
    ok "$ESCROW" encrypt --format age --owner owner.ssh.pub --authority "$(cat auth1.ssh.pub)" -o s.age "$FIX/big.bin"
    assert_contains s.age "-> ssh-rsa "
    ok "$ESCROW" decrypt --key owner.pem -o o.out s.age
    assert_same_content o.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth1.key" -o a.out s.age
    assert_same_content a.out "$FIX/big.bin"

    ok "$ESCROW" keygen --type x25519 -o x
    local in="$FIX/plain.txt"
    fails_cleanly 2 "give recipients of one kind" out.age "$in" "$ESCROW" encrypt --format age --owner x.pub --authority auth1.ssh.pub -o out.age "$in"
    fails_cleanly 4 "is a PEM key" out.age "$in" "$ESCROW" encrypt --format age --owner x.pub --authority "$FIX/auth1.pub" -o out.age "$in"
    fails_cleanly 4 "this is an age identity" out.age "$in" "$ESCROW" encrypt --format age --owner x.pub --authority "$(grep AGE-SECRET x.key)" -o out.age "$in"
    fails_cleanly 4 "holds no recipient" out.age "$in" "$ESCROW" encrypt --format age --owner x.pub --authority "$FIX/empty.bin" -o out.age "$in"
    ok "$ESCROW" encrypt --format age --owner x.pub --authority x.pub -o x.age "$in"
    fails_cleanly 4 "is a public key; --key takes the identity" out.bin x.age "$ESCROW" decrypt --key x.pub -o out.bin x.age
    printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEkz2tUMcjGSpkxtFYv5k0Fcp0j4sJ1yqFmx4Y0YzEAx u@h\n' >ed.pub
    fails_cleanly 4 "only ssh-rsa keys are supported" out.age "$in" "$ESCROW" encrypt --format age --owner ed.pub --authority ed.pub -o out.age "$in"
}

# ---- the backup authority ----------------------------------------------------------------------

# The whole recovery through the tool, for one format (step 4 of the escrow scheme):
#   encrypt with a record -> deposit -> the owner's key is deleted -> officers sign a request for
#   the owner's new key -> the authority recovers (refusing bad requests) -> the owner rewraps the
#   file in place -> the new key decrypts it, byte for byte the original.
# FORMAT is --format's value; WRAP is the authority's wrap name for 'authority init --wrap' and
# 'officer request --wrap' ("" for the one the key type selects); KEYGEN... are the 'escrow keygen'
# options for the owner's keys (old and new) and the authority's key. Every format runs this same
# function from its own case (case_authority_recovery_<format>).
authority_recovery_flow() {  # FORMAT WRAP KEYGEN-OPTIONS...
    local fmt=$1 wrap_name=$2
    local -a wrap=()
    [[ -n $wrap_name ]] && wrap=(--wrap "$wrap_name")
    shift 2
    local db=authority.db serial="CLI-$fmt-${wrap_name:-default}-0001" input="$FIX/big.bin"
    local -a keygen=("$@")
    # A key pair PREFIX.key and PREFIX.pub; for age's ssh-rsa recipients the public key is the
    # OpenSSH line that 'encrypt --format age' takes, made by ssh-keygen from the PEM private key.
    flow_keygen() {
        ok "$ESCROW" keygen "${keygen[@]}" -o "$1"
        if [[ $fmt == age && $wrap_name == ssh-rsa ]]; then
            command -v ssh-keygen >/dev/null || fail "ssh-keygen is needed (Debian package openssh-client)"
            ssh-keygen -y -f "$1.key" >"$1.ssh" && mv "$1.ssh" "$1.pub"
            assert_matches "$1.pub" '^ssh-rsa AAAA'
        fi
    }
    flow_keygen owner
    flow_keygen authority
    ok "$ESCROW" authority --db "$db" init --authority-key authority.pub --quorum 2 "${wrap[@]}"
    [[ -s "$db" ]] || fail "init did not create the database"
    local o
    for o in alice bob carol mallory; do ok "$ESCROW" officer keygen -o "$o"; done
    for o in alice bob carol; do ok "$ESCROW" authority --db "$db" register-officer "$o" "$o.pub"; done
    ok "$ESCROW" authority --db "$db" officers >officers.txt
    [[ $(wc -l <officers.txt) -eq 3 ]] || fail "expected three officers"

    note "encrypt with a record, deposit it (twice: the second changes nothing)"
    ok "$ESCROW" encrypt --format "$fmt" --owner owner.pub --authority authority.pub --serial "$serial" \
        --owner-id alice@example.org --description "the big file" --record file.rec -o file.enc "$input"
    ok "$ESCROW" authority --db "$db" deposit file.rec >deposit.txt
    assert_contains deposit.txt "deposited $serial"
    ok "$ESCROW" authority --db "$db" deposit file.rec >deposit2.txt
    assert_contains deposit2.txt "already present $serial"
    if [[ $fmt == cryptoapi ]]; then
        note "cryptoapi: an RSA key alone selects rsa-oaep-sha256, and that authority refuses a PKCS#1 v1.5 record"
        ok "$ESCROW" authority --db oaep.db init --authority-key authority.pub --quorum 1
        assert_contains "$CAP/stderr" "for the rsa-oaep-sha256 authority key"
        fails_cleanly 5 "is not this authority's (rsa-oaep-sha256)" "" file.rec "$ESCROW" authority --db oaep.db deposit file.rec
    fi
    ok "$ESCROW" authority --db "$db" list >list.txt
    [[ $(wc -l <list.txt) -eq 1 ]] || fail "list: expected one line"
    assert_matches list.txt "^$serial	active	alice@example.org	"
    ok "$ESCROW" authority --db "$db" list --owner nobody@example.org >list-none.txt
    [[ ! -s list-none.txt ]] || fail "list --owner nobody printed records"

    note "the owner loses the key"
    rm owner.key
    flow_keygen newowner

    note "officers sign a request for the owner's new key"
    fails_cleanly 2 "is not a wrap an authority handles" req.bin "" "$ESCROW" officer request --serial "$serial" \
        --new-owner newowner.pub --authority authority.pub --wrap rsa-oaep -o req.bin
    if [[ $fmt == age && -z $wrap_name ]]; then
        fails_cleanly 4 "is a PEM key, not an age X25519 recipient" req.bin "" "$ESCROW" officer request --serial "$serial" \
            --new-owner "$FIX/owner.pub" --authority authority.pub -o req.bin
    fi
    ok "$ESCROW" officer request --serial "$serial" --new-owner newowner.pub --authority authority.pub "${wrap[@]}" -o req.bin
    ok "$ESCROW" officer request --serial "$serial" --new-owner newowner.pub --authority authority.pub "${wrap[@]}" -o other-req.bin
    for o in alice bob mallory; do ok "$ESCROW" officer sign --key "$o.key" -o "$o.sig" req.bin; done
    ok "$ESCROW" officer sign --key carol.key -o carol-other.sig other-req.bin

    note "refusals: K-1 signatures, one officer twice, an unregistered officer, a signature over another request"
    fails_cleanly 6 "1 of the 2" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --key authority.key -o blob.bin
    fails_cleanly 6 "signed more than once" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --signature alice.sig --key authority.key -o blob.bin
    fails_cleanly 6 "unregistered key" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --signature mallory.sig --key authority.key -o blob.bin
    fails_cleanly 6 "signed a different request" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --signature carol-other.sig --key authority.key -o blob.bin
    ok "$ESCROW" officer request --serial "$serial" --new-owner newowner.pub --authority authority.pub "${wrap[@]}" \
        --expires-in 0 -o old-req.bin
    for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "old-$o.sig" old-req.bin; done
    sleep 2
    fails_cleanly 6 "expired" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request old-req.bin \
        --signature old-alice.sig --signature old-bob.sig --key authority.key -o blob.bin

    note "an output that cannot be written fails before the grant: the request stays usable"
    fails_cleanly 3 "cannot create a temporary file" "$W/nodir/blob.bin" file.enc "$ESCROW" authority --db "$db" recover \
        --request req.bin --signature alice.sig --signature bob.sig --key authority.key -o nodir/blob.bin

    note "the quorum recovers; the same request again is a replay"
    ok "$ESCROW" authority --db "$db" recover --request req.bin --signature alice.sig --signature bob.sig \
        --key authority.key -o blob.bin
    assert_contains "$CAP/stderr" "recovery of $serial granted"
    fails_cleanly 6 "replayed" blob2.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --signature bob.sig --key authority.key -o blob2.bin

    note "the owner rewraps the file in place and decrypts with the new key"
    local before
    before=$(sha file.enc)
    # With the record, a wrong private key is refused deterministically in every format: where the
    # unwrap cannot tell (PKCS#1 v1.5's implicit rejection), the record's MAC does.
    fails_cleanly 1 "or for another key than the one given" "" file.enc "$ESCROW" rewrap --blob blob.bin \
        --key authority.key --record file.rec file.enc
    fails_cleanly 2 "--blob BLOB and --key NEW_PRIV are required" "" file.enc "$ESCROW" rewrap --blob blob.bin file.enc
    case $fmt in
        age)
            note "age: stanzas carry no roles, so the record is needed to tell the owner's stanza"
            fails_cleanly 2 "give --record RECORD" "" file.enc "$ESCROW" rewrap --blob blob.bin --key newowner.key file.enc
            ok "$ESCROW" encrypt --format age --armor --owner newowner.pub --authority authority.pub -o armored.age "$FIX/plain.txt"
            fails_cleanly 5 "ASCII-armored age file" "" armored.age "$ESCROW" rewrap --blob blob.bin --key newowner.key \
                --record file.rec armored.age
            ;;
        cryptoapi)
            note "cryptoapi: no header MAC, so the payload's final padding is checked as the file is copied"
            # Complementing the last byte of the next-to-last CBC block complements the last padding
            # byte (1..16 becomes 239..254): the padding check fails whatever the key, every time.
            local size
            size=$(size_of file.enc)
            flip_byte file.enc tampered.enc $((size - 17))
            fails_cleanly 1 "the payload does not decrypt under its session key" "" tampered.enc \
                "$ESCROW" rewrap --blob blob.bin --key newowner.key tampered.enc
            note "cryptoapi: the file names its owner's blob, so the record is optional"
            cp file.enc norecord.enc
            ok "$ESCROW" rewrap --blob blob.bin --key newowner.key norecord.enc
            ok "$ESCROW" decrypt --format cryptoapi --key newowner.key -o norecord.out norecord.enc
            cmp "$input" norecord.out || fail "the file rewrapped without the record does not decrypt to the original"
            ;;
    esac
    ok "$ESCROW" rewrap --blob blob.bin --key newowner.key --record file.rec file.enc
    [[ "$(sha file.enc)" != "$before" ]] || fail "rewrap did not change the file"
    assert_no_temp "$W"
    ok "$ESCROW" decrypt --format "$fmt" --key newowner.key -o file.out file.enc
    cmp "$input" file.out || fail "the file decrypted with the new key differs from the original"
    # The authority's copy (in the file where the format has room for it) still opens it.
    ok "$ESCROW" decrypt --format "$fmt" --key authority.key --record file.rec -o auth.out file.enc
    cmp "$input" auth.out || fail "the authority's path no longer opens the rewrapped file"
    if [[ $fmt == age ]]; then
        note "age: the rewritten header (new stanza, the authority's kept, a new MAC) opens with age itself"
        command -v age >/dev/null || fail "the age tool is needed (Debian package age)"
        age -d -i newowner.key -o age.out file.enc || fail "age -d with the new identity refused the rewrapped file"
        cmp "$input" age.out || fail "age -d of the rewrapped file differs from the original"
        age -d -i authority.key -o age-auth.out file.enc || fail "age -d with the authority's identity refused the rewrapped file"
        cmp "$input" age-auth.out || fail "age -d (authority) of the rewrapped file differs from the original"
    fi

    note "the audit log holds every step and verifies; revocation stops recovery"
    ok "$ESCROW" authority --db "$db" verify-audit >verify.txt
    assert_contains verify.txt "audit log valid"
    ok "$ESCROW" authority --db "$db" audit >audit.txt
    assert_contains audit.txt "	recovery	$serial	granted	officers alice, bob"
    [[ $(grep -c "	recovery	$serial	refused	" audit.txt) -ge 5 ]] || fail "the refused recoveries are not all audited"
    ok "$ESCROW" authority --db "$db" revoke "$serial"
    ok "$ESCROW" officer request --serial "$serial" --new-owner newowner.pub --authority authority.pub "${wrap[@]}" -o req2.bin
    for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "$o-2.sig" req2.bin; done
    fails_cleanly 6 "revoked" blob3.bin "" "$ESCROW" authority --db "$db" recover --request req2.bin \
        --signature alice-2.sig --signature bob-2.sig --key authority.key -o blob3.bin
    ok "$ESCROW" authority --db "$db" list >list2.txt
    assert_matches list2.txt "^$serial	revoked	"
}

case_authority_recovery_native() {
    cd "$W"
    authority_recovery_flow native "" --type rsa --bits 2048
}

case_authority_recovery_age() {
    cd "$W"
    authority_recovery_flow age "" --type x25519
}

# age with ssh-rsa recipients: RSA keys, the authority bound with --wrap ssh-rsa.
case_authority_recovery_age_ssh() {
    cd "$W"
    authority_recovery_flow age ssh-rsa --type rsa --bits 2048
}

case_authority_recovery_cryptoapi() {
    cd "$W"
    authority_recovery_flow cryptoapi rsa-pkcs1v15 --type rsa --bits 2048
}

# The authority's database can be examined and edited with the sqlite3 shell, as an attacker with
# write access could: verify-audit catches an edited and a deleted entry (exit 1), and a record's
# metadata edited in place is caught at recovery (exit 1) by the record's MAC.
case_authority_tamper() {
    cd "$W"
    command -v sqlite3 >/dev/null || fail "the sqlite3 shell is needed (Debian package sqlite3)"
    local db=a.db
    ok "$ESCROW" authority --db "$db" init --authority-key "$FIX/auth1.pub" --quorum 1
    ok "$ESCROW" officer keygen -o alice
    ok "$ESCROW" authority --db "$db" register-officer alice alice.pub
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --serial T-1 --record t1.rec -o t1.enc "$FIX/plain.txt"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --serial T-2 --record t2.rec -o t2.enc "$FIX/plain.txt"
    ok "$ESCROW" authority --db "$db" deposit t1.rec t2.rec
    [[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" == ok ]] || fail "integrity_check"
    [[ "$(sqlite3 "$db" 'PRAGMA journal_mode')" == wal ]] || fail "the database is not in WAL mode"
    ok "$ESCROW" authority --db "$db" verify-audit

    cp "$db" edited.db
    sqlite3 edited.db "UPDATE audit SET serial = 'T-9' WHERE seq = 3"
    fails_cleanly 1 "edited" "" "" "$ESCROW" authority --db edited.db verify-audit
    cp "$db" deleted.db
    sqlite3 deleted.db "DELETE FROM audit WHERE seq = 3"
    fails_cleanly 1 "deleted" "" "" "$ESCROW" authority --db deleted.db verify-audit

    note "a description edited inside the stored record is caught by its MAC"
    # Same length, so the record still parses: only the MAC can tell.
    sqlite3 "$db" "UPDATE records SET encoded = CAST(replace(CAST(encoded AS TEXT), 'plain.txt', 'plain.TXT') AS BLOB) WHERE serial = 'T-1'"
    [[ "$(sqlite3 "$db" "SELECT instr(encoded, CAST('plain.TXT' AS BLOB)) > 0 FROM records WHERE serial = 'T-1'")" == 1 ]] ||
        fail "the tampering did not take"
    ok "$ESCROW" keygen --type rsa --bits 2048 -o newowner
    ok "$ESCROW" officer request --serial T-1 --new-owner newowner.pub --authority "$FIX/auth1.pub" -o r.bin
    ok "$ESCROW" officer sign --key alice.key -o a.sig r.bin
    fails_cleanly 1 "MAC does not verify" b.bin "" "$ESCROW" authority --db "$db" recover --request r.bin --signature a.sig \
        --key "$FIX/auth1.key" -o b.bin
    note "usage and setup errors"
    fails_cleanly 3 "does not exist" "" "" "$ESCROW" authority --db missing.db list
    fails_cleanly 2 "--db FILE is required" "" "" "$ESCROW" authority list
    fails_cleanly 2 "unknown subcommand" "" "" "$ESCROW" authority --db "$db" frobnicate
    fails_cleanly 4 "another authority key" "" "" "$ESCROW" authority --db "$db" init --authority-key "$FIX/auth2.pub" --quorum 1
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth2.pub" --serial T-3 --record t3.rec -o t3.enc "$FIX/plain.txt"
    fails_cleanly 4 "different authority key" "" "" "$ESCROW" authority --db "$db" deposit t3.rec
    fails_cleanly 5 "not an escrow record" "" "" "$ESCROW" authority --db "$db" deposit t3.enc
}

# ---- progress ----------------------------------------------------------------------------------

PROGRESS_MIB=64

# A file of PROGRESS_MIB MiB of random bytes: large enough for a bar (over 4 MiB).
make_big_input() { head -c $((PROGRESS_MIB * 1024 * 1024)) /dev/urandom >"$1"; }

# Checks the terminal capture of the last successful `on_tty` run for a bar whose line starts with
# LABEL and whose input is TOTAL ("64.0 MiB"): drawn in place ("\r", the label, erase to the end of
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
    on_tty 0 "$ESCROW" encrypt --format age --owner x.pub --authority x.pub -o big.age big
    assert_progress_drawn encrypting "$size"
    on_tty 0 "$ESCROW" decrypt --key x.key -o big.age.out big.age
    assert_progress_drawn decrypting "$size"
    cmp -s big big.age.out || fail "the age round trip differs from the input"
    on_tty 0 "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" \
        --record capi.rec -o big.capi big
    assert_progress_drawn encrypting "$size"
    on_tty 0 "$ESCROW" decrypt --key "$FIX/owner.key" -o big.capi.out big.capi
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
    rm -f big ./*.enc ./*.out big.age big.capi   # 64 MiB each: not kept in the build tree
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
    on_tty 0 "$ESCROW" encrypt --format age --armor --owner x.pub --authority x.pub text
    assert_contains "$CAP/tty" "-----END AGE ENCRYPTED FILE-----"
    ! grep -qF $'\x1b[K' "$CAP/tty" || fail "encrypt --armor to the terminal drew a bar"   # ESC: not in base64
    ok "$ESCROW" encrypt --format age --owner x.pub --authority x.pub -o text.age text
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

# ---- dispatch ----------------------------------------------------------------------------------

fn="case_${CASE//./_}"
declare -F "$fn" >/dev/null || fail "unknown case '$CASE'"
if [[ $CASE != setup ]]; then
    [[ -d "$FIX" ]] || fail "fixtures missing: run the cli.setup case first"
    rm -rf "$W"
    mkdir -p "$W"
fi
rm -rf "$CAP"
mkdir -p "$CAP"
"$fn"
echo "PASS: cli.$CASE"
