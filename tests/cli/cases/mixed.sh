#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Files whose owner and authorities mix key types (issue 14): the native format with RSA, age
# X25519 and ssh-ed25519 keys (escrow::native_mixed_encryptor), the age format with X25519, ssh-rsa
# and ssh-ed25519 keys (escrow::age_mixed_encryptor); each key alone opens the file, through its
# header entry or its escrow record; inspect names each recipient's wrap.

# Makes the keys of the three kinds for both formats in the case's directory: RSA (the fixtures),
# X25519 (escrow keygen), ssh-ed25519 (escrow keygen), ssh-rsa (an OpenSSH line of an RSA key).
mixed_keys() {
    ok "$ESCROW" keygen --type x25519 -o x1
    ok "$ESCROW" keygen --type x25519 -o x2
    ok "$ESCROW" keygen --type ssh-ed25519 -o e1
    ok "$ESCROW" keygen --type ssh-ed25519 -o e2
    ssh-keygen -y -f "$FIX/auth2.key" >s2.pub 2>/dev/null || fail "ssh-keygen -y (Debian package openssh-client)"
}

# The native format: every owner kind with two authorities of the two other kinds, and the owner
# RSA with an X25519 and an ssh-ed25519 authority as the issue asks; each key alone opens.
case_mixed_native() {
    cd "$W"
    mixed_keys
    local in="$FIX/big.bin" n=0 o a b
    # owner:key authority:key authority:key
    for combo in "$FIX/owner.pub:$FIX/owner.key x1.pub:x1.key e1.pub:e1.key" \
                 "x1.pub:x1.key $FIX/auth1.pub:$FIX/auth1.key e1.pub:e1.key" \
                 "e1.pub:e1.key x1.pub:x1.key $FIX/auth1.pub:$FIX/auth1.key" \
                 "e1.pub:e1.key e2.pub:e2.key x2.pub:x2.key"; do
        read -r o a b <<<"$combo"
        n=$((n + 1))
        ok "$ESCROW" encrypt --owner "${o%%:*}" --authority "${a%%:*}" --authority "${b%%:*}" \
            --record "m$n.r1" --record "m$n.r2" -o "m$n.enc" "$in"
        local k
        for k in "${o#*:}" "${a#*:}" "${b#*:}"; do
            ok "$ESCROW" decrypt --key "$k" -o "m$n.out" "m$n.enc"
            assert_same_content "m$n.out" "$in"
            rm -f "m$n.out"
        done
        ok "$ESCROW" decrypt --key "${a#*:}" --record "m$n.r1" -o "m$n.out" "m$n.enc"
        assert_same_content "m$n.out" "$in"
        rm -f "m$n.out"
        ok "$ESCROW" decrypt --key "${b#*:}" --record "m$n.r2" -o "m$n.out" "m$n.enc"
        assert_same_content "m$n.out" "$in"
        rm -f "m$n.out"
    done
    ok "$ESCROW" inspect m1.enc >m1.txt
    assert_contains m1.txt "several (each recipient names its own)"
    assert_contains m1.txt "0: owner, wrapped key 256 bytes, rsa-oaep-sha256 (0x0201)"
    assert_contains m1.txt "1: authority, wrapped key 48 bytes, 1 argument, x25519 (0x0203)"
    assert_contains m1.txt "2: authority, wrapped key 48 bytes, 2 arguments, ssh-ed25519 (0x0206)"
    ok "$ESCROW" inspect --json m1.enc >m1.json
    assert_contains m1.json '"wrap": "several"'
    assert_contains m1.json '"wrap": {"id": "0x0206", "name": "ssh-ed25519"}' 
    # A key of a kind the file holds, but not a recipient's, opens nothing; nothing is written.
    fails_cleanly 1 "no_matching_key" out.bin m1.enc "$ESCROW" decrypt --key x2.key -o out.bin m1.enc
    # RSA keys alone: the native preset's file, as before (wrap id 0x0201, no per-entry wraps).
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o r.enc "$in"
    ok "$ESCROW" inspect r.enc >r.txt
    assert_contains r.txt "rsa-oaep-sha256 (0x0201)"
    assert_matches r.txt '^  0: owner, wrapped key 256 bytes$' 
}

# The age format: the owner ssh-ed25519, the authorities X25519 and ssh-rsa, and other mixes;
# each key alone opens the file, and its stanzas are of the three types.
case_mixed_age() {
    cd "$W"
    mixed_keys
    local in="$FIX/big.bin"
    ok "$ESCROW" encrypt --format age --owner e1.pub --authority x1.pub --authority s2.pub --record a.r1 --record a.r2 -o a.age "$in"
    assert_contains a.age "-> ssh-ed25519 "
    assert_contains a.age "-> X25519 "
    assert_contains a.age "-> ssh-rsa "
    local k
    for k in e1.key x1.key "$FIX/auth2.key"; do
        ok "$ESCROW" decrypt --key "$k" -o a.out a.age
        assert_same_content a.out "$in"
        rm -f a.out
    done
    ok "$ESCROW" decrypt --key x1.key --record a.r1 -o a.out a.age
    assert_same_content a.out "$in"
    rm -f a.out
    ok "$ESCROW" decrypt --key "$FIX/auth2.key" --record a.r2 -o a.out a.age
    assert_same_content a.out "$in"
    rm -f a.out
    ok "$ESCROW" encrypt --format age --armor --owner x1.pub --authority "$(cat e2.pub)" -o b.age "$in"
    ok "$ESCROW" decrypt --key e2.key -o b.out b.age
    assert_same_content b.out "$in"
    fails_cleanly 1 "no_matching_key" out.bin a.age "$ESCROW" decrypt --key e2.key -o out.bin a.age
}
