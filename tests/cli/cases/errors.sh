# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for failures: each exits with its code and one clear line, and leaves
# nothing behind (cli.error.*). Sourced by ../run.sh, which runs one case_NAME function (see there).

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
        local size=0
        for i in $(seq 200); do
            size=$(output_in_progress "$pid" "$(pwd -P)") || size=0
            (( size == 0 )) || break
            sleep 0.05
        done
        (( size > 0 )) || fail "no output being written while decrypting: nothing was decrypted yet"
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
    cp r.rec v2.rec  # record version 2 is a k-of-n share record; 3 is unknown
    printf '\003' | dd of=v2.rec bs=1 seek=8 conv=notrunc status=none
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
