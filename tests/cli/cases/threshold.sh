#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# k-of-n escrow (issue 14): `escrow encrypt --threshold K` splits the session key across the
# authorities' share records; the owner opens the file alone, no authority alone does (a clear
# error, nothing written), every K of them do with their records; an altered share record is
# named; inspect shows the threshold and each record's share index.

# The 2-of-3 checks of one file: FILE (of PLAIN) with the share records FILE's stem .r1 .. .r3 and
# the authorities' keys KEY1..KEY3: each authority alone fails cleanly (with its record: how many
# more are needed; without: what opens the file), every ordered pair opens it.
two_of_three_opens() {  # FILE STEM PLAIN KEY1 KEY2 KEY3
    local file=$1 stem=$2 plain=$3 a b
    local -a keys=("$4" "$5" "$6")
    for a in 1 2 3; do
        fails_cleanly 1 "1 more needed" "$stem.out" "$file" \
            "$ESCROW" decrypt --key "${keys[a - 1]}" --record "$stem.r$a" -o "$stem.out" "$file"
        fails_cleanly 1 "2 of its 3 authority keys, each with its share record, open it" "$stem.out" "$file" \
            "$ESCROW" decrypt --key "${keys[a - 1]}" -o "$stem.out" "$file"
        for b in 1 2 3; do
            [[ $a == "$b" ]] && continue
            ok "$ESCROW" decrypt --key "${keys[a - 1]}" --record "$stem.r$a" --key "${keys[b - 1]}" \
                --record "$stem.r$b" -o "$stem.out" "$file"
            assert_same_content "$stem.out" "$plain"
            rm -f "$stem.out"
        done
    done
}

# 2-of-3 native files of 0, 1 and 5 MiB: owner RSA, authorities RSA, X25519 and ssh-ed25519.
case_threshold_native() {
    cd "$W"
    ok "$ESCROW" keygen --type x25519 -o x1
    ok "$ESCROW" keygen --type ssh-ed25519 -o e1
    : >s0.bin
    head -c 1048576 /dev/urandom >s1.bin
    head -c 5242880 /dev/urandom >s5.bin
    local size
    for size in 0 1 5; do
        ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority x1.pub \
            --authority e1.pub --threshold 2 --record "t$size.r1" --record "t$size.r2" --record "t$size.r3" \
            -o "t$size.enc" "s$size.bin"
        ok "$ESCROW" decrypt --key "$FIX/owner.key" -o "t$size.out" "t$size.enc"
        assert_same_content "t$size.out" "s$size.bin"
        rm -f "t$size.out"
        two_of_three_opens "t$size.enc" "t$size" "s$size.bin" "$FIX/auth1.key" x1.key e1.key
    done
    # An altered share record (its MAC's last byte) is named before combination.
    cp t1.r2 bad.r2
    printf '\x00' | dd of=bad.r2 bs=1 seek=$(($(size_of bad.r2) - 1)) conv=notrunc 2>/dev/null
    cmp -s bad.r2 t1.r2 && printf '\x01' | dd of=bad.r2 bs=1 seek=$(($(size_of bad.r2) - 1)) conv=notrunc 2>/dev/null
    fails_cleanly 1 "share 2 (record " out.bin t1.enc \
        "$ESCROW" decrypt --key "$FIX/auth1.key" --record t1.r1 --key x1.key --record bad.r2 -o out.bin t1.enc
    # A record given with another authority's key (of another wrap) is named too.
    fails_cleanly 5 "share 2 (record " out.bin t1.enc \
        "$ESCROW" decrypt --key "$FIX/auth1.key" --record t1.r1 --key e1.key --record t1.r2 -o out.bin t1.enc
    # inspect: the file's threshold, each record's share index.
    ok "$ESCROW" inspect t1.enc >t1.txt
    assert_contains t1.txt "threshold:     2 of 3 authorities"
    assert_matches t1.txt '^recipients:    1$'
    ok "$ESCROW" inspect --json t1.enc >t1.json
    assert_contains t1.json '"threshold": {"k": 2, "n": 3}'
    ok "$ESCROW" inspect t1.r3 >r3.json
    assert_contains r3.json '"version": 2'
    assert_contains r3.json '"threshold": 2'
    assert_contains r3.json '"share_count": 3'
    assert_contains r3.json '"share_index": 3'
}

# RSA keys alone with a threshold (the set host writes a file of one wrap), and the usage errors.
case_threshold_usage() {
    cd "$W"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" \
        --threshold 2 --record r1 --record r2 -o t.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth2.key" --record r2 --key "$FIX/auth1.key" --record r1 -o t.out t.enc
    assert_same_content t.out "$FIX/big.bin"
    # --threshold 1 is today's file: any one authority opens it.
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" \
        --threshold 1 -o one.enc "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/auth2.key" -o one.out one.enc
    assert_same_content one.out "$FIX/big.bin"
    fails_cleanly 2 "K must be <= N" x.enc "" "$ESCROW" encrypt --owner "$FIX/owner.pub" \
        --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" --threshold 3 --record a --record b -o x.enc "$FIX/big.bin"
    fails_cleanly 2 "give one --record per --authority" x.enc "" "$ESCROW" encrypt --owner "$FIX/owner.pub" \
        --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" --threshold 2 -o x.enc "$FIX/big.bin"
    fails_cleanly 2 "needs --format native or age" x.enc "" "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" \
        --authority "$FIX/auth1.pub" --authority "$FIX/auth2.pub" --threshold 2 --record a --record b -o x.enc "$FIX/big.bin"
    fails_cleanly 2 "one --key per --record" t.out2 t.enc \
        "$ESCROW" decrypt --key "$FIX/auth2.key" --record r2 --record r1 -o t.out2 t.enc
}

# The full 2-of-3 recovery through three authority databases: each authority holds one share
# record, keeps its own officers, quorum and audit; two of them grant, after their quorums, and
# the owner's new key then opens the file.
case_threshold_recovery() {
    cd "$W"
    local serial=CLI-KOFN-0001 i o
    local -a fp
    for o in alice bob carol; do ok "$ESCROW" officer keygen -o "$o"; done
    for i in 1 2 3; do
        ok "$ESCROW" keygen --type rsa --bits 2048 -o "a$i"
        ok "$ESCROW" authority --db "a$i.db" init --authority-key "a$i.pub" --quorum 2
        fp[i]=$(init_fingerprint)
        for o in alice bob carol; do register_officer "a$i.db" "$o" "${fp[i]}"; done
    done
    ok "$ESCROW" keygen --type rsa --bits 2048 -o owner
    ok "$ESCROW" keygen --type rsa --bits 2048 -o newowner
    ok "$ESCROW" encrypt --owner owner.pub --authority a1.pub --authority a2.pub --authority a3.pub --threshold 2 \
        --serial "$serial" --record r1 --record r2 --record r3 -o f.enc "$FIX/big.bin"
    for i in 1 2 3; do ok "$ESCROW" authority --db "a$i.db" deposit "r$i"; done
    # An authority takes only its own share record.
    fails_cleanly 4 "the record was made for a different authority key" "" r2 "$ESCROW" authority --db a1.db deposit r2
    rm owner.key  # the owner's key is lost

    note "authorities 1 and 3 grant, each after its own quorum"
    for i in 1 3; do
        ok "$ESCROW" officer request --serial "$serial" --new-owner newowner.pub --authority "a$i.pub" -o "req$i.bin"
        for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "$o$i.sig" "req$i.bin"; done
        fails_cleanly 6 "needs the signatures of 2 distinct registered officers and has 1" "b$i.bin" f.enc \
            "$ESCROW" authority --db "a$i.db" recover --request "req$i.bin" --signature "alice$i.sig" --key "a$i.key" -o "b$i.bin"
        ok "$ESCROW" authority --db "a$i.db" recover --request "req$i.bin" --signature "alice$i.sig" \
            --signature "bob$i.sig" --key "a$i.key" -o "b$i.bin"
        assert_contains "$CAP/stderr" "recovery of $serial granted"
        ok "$ESCROW" authority --db "a$i.db" audit >"audit$i.txt"
        assert_contains "audit$i.txt" "	recovery	$serial	granted	officers alice, bob"
    done
    ok "$ESCROW" authority --db a2.db audit >audit2.txt
    if grep -q "	recovery	" audit2.txt; then fail "authority 2 recorded a recovery it never made"; fi

    note "one blob is not enough; a blob with another share's record is named; two open the file"
    fails_cleanly 1 "1 more needed" "" f.enc "$ESCROW" rewrap --blob b1.bin --record r1 --key newowner.key f.enc
    fails_cleanly 1 "share 2 (record $serial): the re-wrapped blob does not open" "" f.enc \
        "$ESCROW" rewrap --blob b1.bin --record r1 --blob b3.bin --record r2 --key newowner.key f.enc
    ok "$ESCROW" rewrap --blob b1.bin --record r1 --blob b3.bin --record r3 --key newowner.key f.enc
    ok "$ESCROW" decrypt --key newowner.key -o f.out f.enc
    assert_same_content f.out "$FIX/big.bin"
    # The shares are unchanged: any two authorities still open the rewrapped file.
    ok "$ESCROW" decrypt --key a2.key --record r2 --key a3.key --record r3 -o f2.out f.enc
    assert_same_content f2.out "$FIX/big.bin"
    threshold_recovery_age
    mixed_recovery
}

# Recovery from one authority of a file whose keys mix types, the owner's new key of the
# recovering authority's type: a native file (owner RSA; authorities X25519 and ssh-ed25519) and an
# age file (owner ssh-ed25519; authorities X25519, ssh-rsa and a second X25519, whose stanza must
# stay), both recovered through one X25519 authority for a new X25519 owner key.
mixed_recovery() {
    local f
    ok "$ESCROW" keygen --type x25519 -o mx1
    ok "$ESCROW" keygen --type x25519 -o mx2
    ok "$ESCROW" keygen --type ssh-ed25519 -o me1
    ok "$ESCROW" keygen --type ssh-ed25519 -o mowner
    ok "$ESCROW" keygen --type x25519 -o mnew
    ssh-keygen -y -f "$FIX/auth2.key" >ms2.pub 2>/dev/null || fail "ssh-keygen -y (Debian package openssh-client)"
    ok "$ESCROW" authority --db mx1.db init --authority-key mx1.pub --quorum 1
    register_officer mx1.db alice "$(init_fingerprint)"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority mx1.pub --authority me1.pub \
        --record mn.r1 --record mn.r2 -o mn.enc "$FIX/big.bin"
    ok "$ESCROW" encrypt --format age --owner mowner.pub --authority mx1.pub --authority ms2.pub --authority mx2.pub \
        --record ma.r1 --record ma.r2 --record ma.r3 -o ma.age "$FIX/big.bin"
    for f in mn ma; do
        note "mixed $f: authority X25519 recovers for a new X25519 owner key; rewrap hands the file over"
        ok "$ESCROW" authority --db mx1.db deposit "$f.r1"
        ok "$ESCROW" officer request --record "$f.r1" --new-owner mnew.pub -o "$f.req"
        ok "$ESCROW" officer sign --key alice.key -o "$f.sig" "$f.req"
        ok "$ESCROW" authority --db mx1.db recover --request "$f.req" --signature "$f.sig" --key mx1.key -o "$f.blob"
    done
    ok "$ESCROW" rewrap --blob mn.blob --record mn.r1 --key mnew.key mn.enc
    ok "$ESCROW" inspect mn.enc >mn.txt
    assert_contains mn.txt "0: owner, wrapped key 48 bytes, 1 argument, x25519 (0x0203)"
    assert_contains mn.txt "2: authority, wrapped key 48 bytes, 2 arguments, ssh-ed25519 (0x0206)"
    for k in mnew.key me1.key mx1.key; do
        ok "$ESCROW" decrypt --key "$k" -o mn.out mn.enc
        assert_same_content mn.out "$FIX/big.bin"
        rm -f mn.out
    done
    fails_cleanly 1 "no_matching_key" mn.out mn.enc "$ESCROW" decrypt --key "$FIX/owner.key" -o mn.out mn.enc

    fails_cleanly 1 "or for another key than the one given" "" ma.age \
        "$ESCROW" rewrap --blob ma.blob --record ma.r1 --key mx2.key ma.age
    ok "$ESCROW" rewrap --blob ma.blob --record ma.r1 --key mnew.key ma.age
    # The owner's ssh-ed25519 stanza became the new X25519 one; the authorities' stanzas stay.
    if grep -q -- "-> ssh-ed25519 " ma.age; then fail "the old owner's stanza is still in ma.age"; fi
    assert_contains ma.age "-> ssh-rsa "
    for k in mnew.key mx1.key mx2.key "$FIX/auth2.key"; do
        ok "$ESCROW" decrypt --key "$k" -o ma.out ma.age
        assert_same_content ma.out "$FIX/big.bin"
        rm -f ma.out
    done
    fails_cleanly 1 "no_matching_key" ma.out ma.age "$ESCROW" decrypt --key mowner.key -o ma.out ma.age
    age -d -i mnew.key ma.age >ma.age.out || fail "age -d -i mnew.key refused the rewrapped mixed file"
    assert_same_content ma.age.out "$FIX/big.bin"
    age -d -i mx2.key ma.age >ma.age.out || fail "age -d -i mx2.key refused the rewrapped mixed file"
    assert_same_content ma.age.out "$FIX/big.bin"
}

# The same recovery for an age 2-of-3 file, with the officers above: owner ssh-ed25519,
# authorities X25519, ssh-ed25519 and X25519. Authorities 1 and 3 grant, each re-wrapping its
# share to the owner's new X25519 identity (a blob is of its authority's key type, so the K
# granting authorities share one); escrow and the real 'age -d -i' open the rewrapped file.
threshold_recovery_age() {
    local serial=CLI-KOFN-AGE-1 i o
    local -a fp
    command -v age >/dev/null || fail "the age tool is needed (Debian package age)"
    ok "$ESCROW" keygen --type x25519 -o g1
    ok "$ESCROW" keygen --type ssh-ed25519 -o g2
    ok "$ESCROW" keygen --type x25519 -o g3
    for i in 1 2 3; do
        ok "$ESCROW" authority --db "g$i.db" init --authority-key "g$i.pub" --quorum 2
        fp[i]=$(init_fingerprint)
        for o in alice bob; do register_officer "g$i.db" "$o" "${fp[i]}"; done
    done
    ok "$ESCROW" keygen --type ssh-ed25519 -o gowner
    ok "$ESCROW" keygen --type x25519 -o gnew
    ok "$ESCROW" encrypt --format age --owner gowner.pub --authority g1.pub --authority g2.pub --authority g3.pub \
        --threshold 2 --serial "$serial" --record gr1 --record gr2 --record gr3 -o g.age "$FIX/big.bin"
    for i in 1 2 3; do ok "$ESCROW" authority --db "g$i.db" deposit "gr$i"; done
    rm gowner.key

    note "age: authorities 1 and 3 grant, each after its own quorum"
    for i in 1 3; do
        ok "$ESCROW" officer request --record "gr$i" --new-owner gnew.pub -o "greq$i.bin"
        for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "g$o$i.sig" "greq$i.bin"; done
        ok "$ESCROW" authority --db "g$i.db" recover --request "greq$i.bin" --signature "galice$i.sig" \
            --signature "gbob$i.sig" --key "g$i.key" -o "gb$i.bin"
        ok "$ESCROW" authority --db "g$i.db" audit >"gaudit$i.txt"
        assert_contains "gaudit$i.txt" "	recovery	$serial	granted	officers alice, bob"
    done

    note "age: one blob is not enough; an armored file is refused; two hand the file to the new key"
    fails_cleanly 1 "1 more needed" "" g.age "$ESCROW" rewrap --blob gb1.bin --record gr1 --key gnew.key g.age
    fails_cleanly 1 "share 2 (record $serial): the re-wrapped blob does not open" "" g.age \
        "$ESCROW" rewrap --blob gb1.bin --record gr1 --blob gb3.bin --record gr2 --key gnew.key g.age
    ok "$ESCROW" encrypt --format age --armor --owner gnew.pub --authority g1.pub --authority g3.pub --threshold 2 \
        --serial "$serial" --record ga1 --record ga3 -o armored.age "$FIX/big.bin"
    fails_cleanly 5 "ASCII-armored age file" "" armored.age \
        "$ESCROW" rewrap --blob gb1.bin --record gr1 --blob gb3.bin --record gr3 --key gnew.key armored.age
    ok "$ESCROW" rewrap --blob gb1.bin --record gr1 --blob gb3.bin --record gr3 --key gnew.key g.age
    assert_contains g.age "-> escrow-kofn 2 3 "
    ok "$ESCROW" inspect g.age >g.txt
    assert_matches g.txt '^recipients:    1 '
    ok "$ESCROW" decrypt --key gnew.key -o g.out g.age
    assert_same_content g.out "$FIX/big.bin"
    age -d -i gnew.key g.age >g.age.out || fail "age -d -i gnew.key refused the rewrapped k-of-n file"
    assert_same_content g.age.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key g2.key --record gr2 --key g1.key --record gr1 -o g2.out g.age
    assert_same_content g2.out "$FIX/big.bin"
}

# 2-of-3 age files of 0, 1 and 5 MiB: owner ssh-ed25519, authorities X25519, ssh-rsa and
# ssh-ed25519; the real 'age -d -i' opens them with the owner's key (the k-of-n section is a
# stanza age ignores), and refuses each authority's key (it has no stanza).
case_threshold_age() {
    cd "$W"
    command -v age >/dev/null || fail "the age tool is needed (Debian package age)"
    ok "$ESCROW" keygen --type ssh-ed25519 -o owner
    ok "$ESCROW" keygen --type x25519 -o x1
    ok "$ESCROW" keygen --type ssh-ed25519 -o e1
    ssh-keygen -y -f "$FIX/auth2.key" >s2.pub 2>/dev/null || fail "ssh-keygen -y (Debian package openssh-client)"
    : >s0.bin
    head -c 1048576 /dev/urandom >s1.bin
    head -c 5242880 /dev/urandom >s5.bin
    local size
    for size in 0 1 5; do
        ok "$ESCROW" encrypt --format age --owner owner.pub --authority x1.pub --authority s2.pub \
            --authority e1.pub --threshold 2 --record "t$size.r1" --record "t$size.r2" --record "t$size.r3" \
            -o "t$size.age" "s$size.bin"
        assert_contains "t$size.age" "-> escrow-kofn 2 3 "
        # To standard output: age 1.1 creates an -o file only once it has plaintext to write.
        age -d -i owner.key "t$size.age" >"t$size.age.out" || fail "age -d -i owner.key refused t$size.age"
        assert_same_content "t$size.age.out" "s$size.bin"
        ok "$ESCROW" decrypt --key owner.key -o "t$size.out" "t$size.age"
        assert_same_content "t$size.out" "s$size.bin"
        rm -f "t$size.out"
        if age -d -i x1.key -o age-x1.out "t$size.age" 2>/dev/null; then fail "age -d opened t$size.age with one authority's key"; fi
        two_of_three_opens "t$size.age" "t$size" "s$size.bin" x1.key "$FIX/auth2.key" e1.key
    done
    cp t1.r3 bad.r3
    printf '\x00' | dd of=bad.r3 bs=1 seek=$(($(size_of bad.r3) - 1)) conv=notrunc 2>/dev/null
    cmp -s bad.r3 t1.r3 && printf '\x01' | dd of=bad.r3 bs=1 seek=$(($(size_of bad.r3) - 1)) conv=notrunc 2>/dev/null
    fails_cleanly 1 "share 3 (record " out.bin t1.age \
        "$ESCROW" decrypt --key x1.key --record t1.r1 --key e1.key --record bad.r3 -o out.bin t1.age
}

case_threshold_age_inspect() {
    cd "$W"
    ok "$ESCROW" keygen --type x25519 -o o
    ok "$ESCROW" keygen --type x25519 -o x1
    ok "$ESCROW" keygen --type x25519 -o x2
    ok "$ESCROW" encrypt --format age --armor --owner o.pub --authority x1.pub --authority x2.pub --threshold 2 \
        --record r1 --record r2 -o t.age "$FIX/big.bin"
    ok "$ESCROW" inspect t.age >t.txt
    assert_contains t.txt "threshold:     2 of 2 authorities"
    assert_matches t.txt '^recipients:    1 '
    ok "$ESCROW" decrypt --key x2.key --record r2 --key x1.key --record r1 -o t.out t.age
    assert_same_content t.out "$FIX/big.bin"
    age -d -i o.key -o t.age.out t.age || fail "age -d refused the armored k-of-n file for its owner"
    assert_same_content t.age.out "$FIX/big.bin"
}
