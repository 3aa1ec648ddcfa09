# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for the age format (`--format age`): X25519 and ssh-rsa keys, age identity
# files. Sourced by ../run.sh, which runs one case_NAME function (see there).

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
    assert_contains b.txt "0: X25519, 1 argument, body 32 bytes"
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
    ok "$ESCROW" keygen --type x25519 -o k4
    ok "$ESCROW" encrypt --format age --owner k3.pub --authority k4.pub --record three.rec -o three.age "$FIX/chunk.bin"
    fails_cleanly 1 "--key 'both.key' opens none of the input's 2 recipients" out.bin three.age \
        "$ESCROW" decrypt --key both.key -o out.bin three.age
    fails_cleanly 1 "--record 'three.rec' was made for a different authority key than --key 'both.key'" out.bin three.age \
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
    # Recipients of two kinds in one file (escrow::age_mixed_encryptor, case mixed_age has more).
    ok "$ESCROW" encrypt --format age --owner x.pub --authority auth1.ssh.pub -o xs.age "$in"
    ok "$ESCROW" decrypt --key "$FIX/auth1.key" -o xs.out xs.age
    assert_same_content xs.out "$in"
    fails_cleanly 4 "is a PEM key" out.age "$in" "$ESCROW" encrypt --format age --owner x.pub --authority "$FIX/auth1.pub" -o out.age "$in"
    fails_cleanly 4 "this is an age identity" out.age "$in" "$ESCROW" encrypt --format age --owner x.pub --authority "$(grep AGE-SECRET x.key)" -o out.age "$in"
    fails_cleanly 4 "holds no recipient" out.age "$in" "$ESCROW" encrypt --format age --owner x.pub --authority "$FIX/empty.bin" -o out.age "$in"
    ok "$ESCROW" keygen --type x25519 -o xa
    ok "$ESCROW" encrypt --format age --owner x.pub --authority xa.pub -o x.age "$in"
    fails_cleanly 4 "is a public key; --key takes the identity" out.bin x.age "$ESCROW" decrypt --key x.pub -o out.bin x.age
    # ssh-ed25519: escrow keygen's keys round trip, for the owner and the authority.
    ok "$ESCROW" keygen --type ssh-ed25519 -o ed
    ok "$ESCROW" keygen --type ssh-ed25519 -o eda
    assert_contains ed.key "-----BEGIN OPENSSH PRIVATE KEY-----"
    ok "$ESCROW" encrypt --format age --owner ed.pub --authority "$(cat eda.pub)" -o ed.age "$FIX/big.bin"
    assert_contains ed.age "-> ssh-ed25519 "
    ok "$ESCROW" decrypt --key ed.key -o edo.out ed.age
    assert_same_content edo.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key eda.key -o eda.out ed.age
    assert_same_content eda.out "$FIX/big.bin"
    fails_cleanly 1 "no_matching_key" out.bin ed.age "$ESCROW" decrypt --key xa.key -o out.bin ed.age
    fails_cleanly 2 "is the owner's own key" out.age "$in" "$ESCROW" encrypt --format age --owner ed.pub --authority ed.pub -o out.age "$in"
    # An Ed25519 "key" that is the identity point is refused by name.
    printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA u@h\n' >bad.pub
    fails_cleanly 4 "small order" out.age "$in" "$ESCROW" encrypt --format age --owner bad.pub --authority eda.pub -o out.age "$in"
    printf 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY u@h\n' >ec.pub
    fails_cleanly 4 "SSH recipients are ssh-rsa and ssh-ed25519" out.age "$in" "$ESCROW" encrypt --format age --owner ec.pub --authority eda.pub -o out.age "$in"
}
