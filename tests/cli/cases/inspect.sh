# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for `escrow inspect`. Sourced by ../run.sh, which runs one case_NAME
# function (see there).

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
