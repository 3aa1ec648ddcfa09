#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The age format crossed with the real tools, both directions: keys from age-keygen, ssh-keygen
# (OpenSSH-format RSA and Ed25519 keys without a passphrase) and `escrow keygen --type x25519` and
# `--type ssh-ed25519`; files written by `escrow encrypt --format age` (binary and --armor) opened
# by `age -d -i`, and files written by `age -r/-R [-a]` opened by `escrow decrypt --key`; X25519,
# ssh-rsa and ssh-ed25519, and age's files mixing the three; the owner's and the
# authority's stanza each opening the file alone; sizes 0, 1, 65536, 65537 and 10 MiB; the
# escrow-record path with the owner's identity deleted; the library-level example's output.
#
#   bash run.sh ESCROW_BINARY EXAMPLE_04_BINARY SCRATCH_DIR
set -euo pipefail

ESCROW=$(realpath "$1")
EXAMPLE=$(realpath "$2")
W=$3
AGE=${ESCROW_AGE:-age}
AGE_KEYGEN=${ESCROW_AGE_KEYGEN:-age-keygen}
SSH_KEYGEN=${ESCROW_SSH_KEYGEN:-ssh-keygen}

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }
same() { cmp -s "$1" "$2" || fail "'$1' and '$2' differ"; }
checks=0
pass() { checks=$((checks + 1)); }

rm -rf "$W"
mkdir -p "$W"
cd "$W"
start=$(date +%s)

note "keys"
"$AGE_KEYGEN" -o owner.txt 2>/dev/null
"$AGE_KEYGEN" -o auth.txt 2>/dev/null
OWNER=$("$AGE_KEYGEN" -y owner.txt)
"$AGE_KEYGEN" -y auth.txt >auth.recipients    # an age recipients file
"$SSH_KEYGEN" -q -t rsa -b 3072 -N '' -C owner@test -f sowner
"$SSH_KEYGEN" -q -t rsa -b 2048 -N '' -C auth@test -f sauth
head -n1 sowner | grep -qF -- "-----BEGIN OPENSSH PRIVATE KEY-----" || fail "ssh-keygen did not write the OpenSSH format"
"$SSH_KEYGEN" -q -t ed25519 -N '' -C edowner@test -f edowner
"$SSH_KEYGEN" -q -t ed25519 -N '' -C edauth@test -f edauth
"$ESCROW" keygen --type ssh-ed25519 -o eed 2>/dev/null
[[ "$("$SSH_KEYGEN" -y -f eed.key | cut -d' ' -f1-2)" == "$(cut -d' ' -f1-2 eed.pub)" ]] ||
    fail "ssh-keygen -y disagrees with escrow keygen --type ssh-ed25519"
"$ESCROW" keygen --type x25519 -o eowner 2>/dev/null
"$ESCROW" keygen --type x25519 -o eauth 2>/dev/null
[[ "$("$AGE_KEYGEN" -y eowner.key)" == "$(cat eowner.pub)" ]] || fail "age-keygen -y disagrees with escrow keygen's recipient"
pass

for size in 0 1 65536 65537 10485760; do
    note "size $size"
    head -c "$size" /dev/urandom >p.bin

    # escrow -> age, X25519, binary, with an escrow record for the authority.
    rm -f x.age r.rec
    "$ESCROW" encrypt --format age --owner "$OWNER" --authority auth.recipients --record r.rec -o x.age p.bin
    head -c 22 x.age | grep -qF "age-encryption.org/v1" || fail "not a binary age file"
    "$AGE" -d -i owner.txt x.age >o.out && same o.out p.bin && pass
    "$AGE" -d -i auth.txt x.age >a.out && same a.out p.bin && pass
    rm -f o.out a.out

    # escrow -> age, ssh-rsa, armored.
    rm -f s.age
    "$ESCROW" encrypt --format age --armor --owner sowner.pub --authority sauth.pub -o s.age p.bin
    head -n1 s.age | grep -qF -- "-----BEGIN AGE ENCRYPTED FILE-----" || fail "not an armored age file"
    "$AGE" -d -i sowner s.age >o.out && same o.out p.bin && pass
    "$AGE" -d -i sauth s.age >a.out && same a.out p.bin && pass
    rm -f o.out a.out

    # escrow -> age, escrow's own X25519 keys, armored.
    rm -f e.age
    "$ESCROW" encrypt --format age --armor --owner eowner.pub --authority "$(cat eauth.pub)" -o e.age p.bin
    "$AGE" -d -i eowner.key e.age >o.out && same o.out p.bin && pass
    "$AGE" -d -i eauth.key e.age >a.out && same a.out p.bin && pass
    rm -f o.out a.out

    # escrow -> age, ssh-ed25519 (ssh-keygen's keys, and escrow keygen's as the authority),
    # binary and armored.
    for armor in "" "--armor"; do
        rm -f d.age
        "$ESCROW" encrypt --format age $armor --owner edowner.pub --authority "$(cat edauth.pub)" \
            --authority eed.pub -o d.age p.bin
        "$AGE" -d -i edowner d.age >o.out && same o.out p.bin && pass
        "$AGE" -d -i edauth d.age >a.out && same a.out p.bin && pass
        "$AGE" -d -i eed.key d.age >a.out && same a.out p.bin && pass
        rm -f o.out a.out
    done

    # escrow -> age, recipients of three kinds in one file (escrow::age_mixed_encryptor): the owner
    # ssh-ed25519, the authorities X25519 and ssh-rsa; each opens it with age alone.
    for armor in "" "--armor"; do
        rm -f em.age
        "$ESCROW" encrypt --format age $armor --owner edowner.pub --authority auth.recipients --authority sauth.pub \
            --record em1.rec --record em2.rec -o em.age p.bin
        "$AGE" -d -i edowner em.age >o.out && same o.out p.bin && pass
        "$AGE" -d -i auth.txt em.age >a.out && same a.out p.bin && pass
        "$AGE" -d -i sauth em.age >a.out && same a.out p.bin && pass
        "$ESCROW" decrypt --key sauth --record em2.rec -o r.out em.age && same r.out p.bin && pass
        rm -f o.out a.out r.out em1.rec em2.rec
    done

    # age -> escrow, ssh-ed25519, binary and armored; and mixed with X25519 and ssh-rsa.
    for armor in "" "-a"; do
        rm -f dz.age
        "$AGE" -R edowner.pub -R edauth.pub $armor -o dz.age p.bin
        "$ESCROW" decrypt --key edowner -o o.out dz.age && same o.out p.bin && pass
        "$ESCROW" decrypt --key edauth -o a.out dz.age && same a.out p.bin && pass
        rm -f o.out a.out
    done
    rm -f dm.age
    "$AGE" -R edowner.pub -r "$OWNER" -R sauth.pub -R eed.pub -o dm.age p.bin
    for k in edowner owner.txt sauth eed.key; do
        "$ESCROW" decrypt --key $k -o o.out dm.age && same o.out p.bin && pass
        rm -f o.out
    done

    # age -> escrow, X25519, binary and armored.
    for armor in "" "-a"; do
        rm -f y.age
        "$AGE" -r "$OWNER" -R auth.recipients $armor -o y.age p.bin
        "$ESCROW" decrypt --key owner.txt -o o.out y.age && same o.out p.bin && pass
        "$ESCROW" decrypt --key auth.txt -o a.out y.age && same a.out p.bin && pass
        rm -f o.out a.out
    done

    # age -> escrow, ssh-rsa, binary and armored.
    for armor in "" "-a"; do
        rm -f z.age
        "$AGE" -R sowner.pub -R sauth.pub $armor -o z.age p.bin
        "$ESCROW" decrypt --key sowner -o o.out z.age && same o.out p.bin && pass
        "$ESCROW" decrypt --key sauth -o a.out z.age && same a.out p.bin && pass
        rm -f o.out a.out
    done

    # age -> escrow, an X25519 owner and an ssh-rsa authority in one file: each opens it.
    rm -f m.age
    "$AGE" -r "$OWNER" -R sauth.pub -o m.age p.bin
    "$ESCROW" decrypt --key owner.txt -o o.out m.age && same o.out p.bin && pass
    "$ESCROW" decrypt --key sauth -o a.out m.age && same a.out p.bin && pass
    rm -f o.out a.out

    # The owner's identity deleted: the authority opens the file through its escrow record.
    cp owner.txt owner.txt.saved
    rm owner.txt
    "$ESCROW" decrypt --key auth.txt --record r.rec -o r.out x.age && same r.out p.bin && pass
    rm -f r.out
    mv owner.txt.saved owner.txt

    # A stranger's key opens nothing, and leaves nothing behind.
    "$AGE_KEYGEN" -o stranger.txt 2>/dev/null
    rc=0
    "$ESCROW" decrypt --key stranger.txt -o s.out x.age 2>err.txt || rc=$?
    [[ $rc -eq 1 && ! -e s.out ]] || fail "a stranger's key: exit $rc"
    grep -qF "no_matching_key" err.txt || fail "a stranger's key: $(cat err.txt)"
    rm -f stranger.txt err.txt
    pass
done

note "a passphrase-protected OpenSSH key (RSA, Ed25519) is refused with a clear word, and nothing is written"
"$SSH_KEYGEN" -q -t rsa -b 2048 -N 'secret pass' -f slocked
"$SSH_KEYGEN" -q -t ed25519 -N 'secret pass' -f edlocked
for k in slocked edlocked; do
    "$AGE" -R $k.pub -o locked.age p.bin
    rc=0
    "$ESCROW" decrypt --key $k -o locked.out locked.age 2>err.txt || rc=$?
    [[ $rc -eq 4 && ! -e locked.out ]] || fail "a passphrase-protected $k: exit $rc"
    grep -qF "passphrase-protected; decrypt it first" err.txt || fail "a passphrase-protected $k: $(cat err.txt)"
    pass
done

note "the library-level example's file opens with age"
"$EXAMPLE" "$W/example" >example.log
"$AGE" -d -i example/authority.txt example/report.age >ex.out && same ex.out example/report.txt && pass
"$AGE" -d -i example/owner.txt example/report.age >ex2.out && same ex2.out example/report.txt && pass

echo "PASS: $checks interop checks with $("$AGE" --version) in $(( $(date +%s) - start ))s"
