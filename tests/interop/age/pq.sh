#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# age's post-quantum recipient (mlkem768x25519: age1pq1... recipients, AGE-SECRET-KEY-PQ-1...
# identities) crossed with a second, independent implementation: the npm package age-encryption
# (its TypeScript code over @noble/post-quantum), run by node through tests/interop/age/pq.mjs,
# installed by the fixture npm-install.sh. Two node processes do all of node's work.
#
# First node against itself and the spec: its keys have the spec's shape (Bech32, 32-byte seed,
# 1216-byte recipient), its stanzas are `-> mlkem768x25519 <1120 bytes>` with a 32-byte body, and it
# opens its own files. Then the crossings, with keys from both sides (`escrow keygen --type pq`,
# node's generateHybridIdentity) in every role: node derives the recipient of escrow's identities;
# the files `escrow encrypt --format age [--armor]` writes to an owner and one or two authorities
# open with node under each of their identities, and the files node writes (binary and armored) to
# an owner and one or two authorities open with `escrow decrypt` under each; sizes 0, 1, 65536,
# 65537 and 5 MiB; plaintexts compared by SHA-256; a stranger's identity opens nothing on either
# side, and escrow then leaves no output behind. And the backup authority on node's key (`authority
# init --authority-key age1pq1...`): a record verified with node's identity, recovered by two
# officers to a new owner key node made, the file rewrapped by escrow, then opened by node under
# the new owner's and the authority's identities and no longer under the old owner's. A k-of-n file
# (two of three post-quantum authorities) opens in node under its owner's identity and in escrow
# under two authorities' (one of them node's).
#
#   bash pq.sh ESCROW_BINARY NPM_DIR SCRATCH_DIR
set -euo pipefail

ESCROW=$(realpath "$1")
NPM=$(realpath "$2")
W=$3
NODE=${ESCROW_NODE:-node}
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
sizes=(0 1 65536 65537 5242880)

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }
checks=0
pass() { checks=$((checks + $1)); }

# Runs one batch of node jobs (pq.mjs) from the job file $1; its standard output goes to $1.out.
node_jobs() {
    "$NODE" "$here/pq.mjs" "$NPM" "$1" >"$1.out" || fail "node jobs of $1 (above)"
}
# Every "SHA256  FILE" line node printed for FILE.age (binary) or FILE.age.asc must be the hash of
# the plaintext FILE came from, p.SIZE.bin (FILE is named p.SIZE.bin.<which>.age).
check_node_hashes() {
    local hash file plain n=0
    while read -r hash file; do
        [[ $hash == refused ]] && continue
        plain=${file%%.bin.*}.bin
        [[ $hash == "$(sha256sum <"$plain" | cut -d' ' -f1)" ]] || fail "node's plaintext of $file is not $plain"
        n=$((n + 1))
    done <"$1"
    [[ $n -eq $2 ]] || fail "node opened $n files of $1, expected $2"
    pass "$n"
}
# Node refused exactly N files (its "refused" lines in OUT): a stranger's identity opened nothing.
check_refused() { # OUT N
    [[ $(grep -c '^refused ' "$1") -eq $2 ]] || fail "node opened a file with a stranger's identity ($1)"
    pass "$2"
}
check_armored() { # FILE
    head -n1 "$1" | grep -qxF -- "-----BEGIN AGE ENCRYPTED FILE-----" || fail "$1 is not armored"
    pass 1
}
# A recipient and an identity have the spec's shape: lower-case Bech32 with HRP age1pq around 1216
# bytes (1952 characters after the separator, no 90-character limit), upper-case Bech32 with HRP
# AGE-SECRET-KEY-PQ- around 32 bytes (58 characters).
check_key_shape() { # PREFIX
    local pub key
    pub=$(cat "$1.pub")
    key=$(grep -v '^#' "$1.key")
    [[ $pub =~ ^age1pq1[02-9ac-hj-np-z]{1952}$ ]] || fail "$1.pub is not an age1pq1 recipient of 1216 bytes"
    [[ $key =~ ^AGE-SECRET-KEY-PQ-1[02-9AC-HJ-NP-Z]{58}$ ]] || fail "$1.key is not an AGE-SECRET-KEY-PQ-1 identity of 32 bytes"
    grep -qxF "# public key: $pub" "$1.key" || fail "$1.key does not name its recipient as age-keygen -pq does"
    pass 1
}
# A binary age file whose header holds exactly N stanzas, each `-> mlkem768x25519 ENC` with ENC the
# unpadded base64 of 1120 bytes and a body of 32 bytes (one 43-character line).
check_stanzas() { # FILE N
    local header n=0 enc body
    header=$(sed -n '/^---/q;p' "$1" | tail -n +2)
    [[ $(head -n1 "$1") == "age-encryption.org/v1" ]] || fail "$1: not an age v1 file"
    while read -r arrow type enc extra; do
        [[ $arrow == "->" && $type == mlkem768x25519 && -z $extra ]] || fail "$1: stanza '$arrow $type' is not mlkem768x25519 with one argument"
        [[ ${#enc} -eq 1494 && $(printf '%s==' "$enc" | base64 -d | wc -c) -eq 1120 ]] || fail "$1: the encapsulation is not 1120 bytes"
        read -r body
        [[ ${#body} -eq 43 && $(printf '%s=' "$body" | base64 -d | wc -c) -eq 32 ]] || fail "$1: the stanza body is not 32 bytes"
        n=$((n + 1))
    done <<<"$header"
    [[ $n -eq $2 ]] || fail "$1: $n stanzas, expected $2"
    pass 1
}

rm -rf "$W"
mkdir -p "$W"
cd "$W"
start=$(date +%s)
for size in "${sizes[@]}"; do head -c "$size" /dev/urandom >"p.$size.bin"; done

note "keys: escrow keygen --type pq"
for k in eowner eauth estranger; do
    "$ESCROW" keygen --type pq -o $k 2>/dev/null || fail "escrow keygen --type pq -o $k"
    check_key_shape $k
done

note "node: its keys, escrow's recipients, node against itself, node's files for escrow (one process)"
{
    for k in nowner nauth nstranger nnew; do echo "keygen $k"; done
    for k in eowner eauth estranger; do echo "recipient $k.key $k.pub"; done
    for size in "${sizes[@]}"; do
        # n1: node's owner, an escrow authority and a node authority; n2: escrow's owner, a node authority
        echo "encrypt p.$size.bin p.$size.bin.n1.age nowner.pub eauth.pub nauth.pub"
        echo "encrypt p.$size.bin p.$size.bin.n2.age eowner.pub nauth.pub"
        echo "open nowner.key p.$size.bin.n1.age"
        echo "open nauth.key p.$size.bin.n1.age.asc"
    done
    echo "refuse nstranger.key p.1.bin.n1.age"
    echo "refuse estranger.key p.1.bin.n2.age.asc"
} >na.jobs
node_jobs na.jobs
for k in nowner nauth nstranger; do check_key_shape $k; done
pass 3    # escrow's three identities give node the recipients escrow wrote
check_node_hashes na.jobs.out 10
check_refused na.jobs.out 2
check_stanzas p.65537.bin.n1.age 3
check_stanzas p.0.bin.n2.age 2
check_armored p.1.bin.n2.age.asc

note "escrow writes: e1 to escrow's owner and two authorities (node's, escrow's), e2 to node's owner and escrow's authority"
for size in "${sizes[@]}"; do
    for armor in "" --armor; do
        ext=.age
        [[ -n $armor ]] && ext=.age.asc
        "$ESCROW" encrypt --format age $armor --owner eowner.pub --authority nauth.pub --authority eauth.pub \
            -o "p.$size.bin.e1$ext" "p.$size.bin" || fail "escrow encrypt (e1, size $size, '$armor')"
        "$ESCROW" encrypt --format age $armor --owner "$(cat nowner.pub)" --authority eauth.pub \
            -o "p.$size.bin.e2$ext" "p.$size.bin" || fail "escrow encrypt (e2, size $size, '$armor')"
    done
done
check_stanzas p.65537.bin.e1.age 3
check_stanzas p.1.bin.e2.age 2
check_armored p.1.bin.e1.age.asc

note "the backup authority on node's key: a record deposited, verified and recovered to node's new owner key"
E() { "$ESCROW" "$@" 2>>authority.log || fail "escrow $* (authority.log)"; }
E authority --db auth.db init --authority-key nauth.pub --quorum 2
fp=$(sed -n 's/.* authority key SHA-256 \([0-9a-f]\{64\}\).*/\1/p' authority.log)
[[ $fp =~ ^[0-9a-f]{64}$ && $(grep -c "mlkem768x25519 authority key" authority.log) -eq 1 ]] ||
    fail "authority init with node's key: $(cat authority.log)"
for o in alice bob; do
    E officer keygen -o $o
    E officer prove --key $o.key --name $o --fingerprint "$fp" -o $o.proof
    E authority --db auth.db register-officer $o $o.pub --proof $o.proof
done
E encrypt --format age --owner eowner.pub --authority nauth.pub --serial PQ-0001 --record rec.rec \
    -o p.65537.bin.rw.age p.65537.bin
E authority --db auth.db deposit --key nauth.key rec.rec    # the record's MAC, under node's identity
E authority --db auth.db list --key nauth.key >list.txt
grep -q "^PQ-0001	active	.*mlkem768x25519.*	verified$" list.txt || fail "the record is not listed verified: $(cat list.txt)"
E officer request --serial PQ-0001 --new-owner nnew.pub --authority nauth.pub -o req.bin
for o in alice bob; do E officer sign --key $o.key -o $o.sig req.bin; done
E authority --db auth.db recover --request req.bin --signature alice.sig --signature bob.sig --key nauth.key -o blob.bin
E rewrap --blob blob.bin --key nnew.key --record rec.rec p.65537.bin.rw.age
check_stanzas p.65537.bin.rw.age 2
pass 2

note "k-of-n (--threshold 2 of three post-quantum authorities): node's owner key opens it in node, any two authorities in escrow"
E encrypt --format age --owner nowner.pub --authority eauth.pub --authority nauth.pub --authority estranger.pub \
    --threshold 2 --record k1.rec --record k2.rec --record k3.rec -o p.65537.bin.k.age p.65537.bin
E decrypt --key nauth.key --record k2.rec --key estranger.key --record k3.rec -o k.out p.65537.bin.k.age
cmp -s k.out p.65537.bin || fail "escrow's k-of-n decryption with node's and escrow's authority keys differs"
pass 1

note "node opens escrow's files under each identity (one process)"
{
    # the k-of-n file: its one recipient stanza is the owner's (an authority alone has none)
    echo "open nowner.key p.65537.bin.k.age"
    echo "refuse nauth.key p.65537.bin.k.age"
    # the rewrapped file: node's new owner and node's authority open it, the old owner no longer
    echo "open nnew.key p.65537.bin.rw.age"
    echo "open nauth.key p.65537.bin.rw.age"
    echo "refuse eowner.key p.65537.bin.rw.age"
    for size in "${sizes[@]}"; do
        for ext in .age .age.asc; do
            for k in eowner nauth eauth; do echo "open $k.key p.$size.bin.e1$ext"; done
            for k in nowner eauth; do echo "open $k.key p.$size.bin.e2$ext"; done
        done
    done
    for ext in .age .age.asc; do
        echo "refuse nstranger.key p.65537.bin.e1$ext"
        echo "refuse estranger.key p.65537.bin.e2$ext"
    done
} >nb.jobs
node_jobs nb.jobs
check_node_hashes nb.jobs.out 53
check_refused nb.jobs.out 6

note "escrow opens node's files under each identity"
for size in "${sizes[@]}"; do
    want=$(sha256sum <"p.$size.bin" | cut -d' ' -f1)
    for ext in .age .age.asc; do
        for job in n1:nowner n1:eauth n1:nauth n2:eowner n2:nauth; do
            f=p.$size.bin.${job%%:*}$ext
            rm -f out.bin
            "$ESCROW" decrypt --key "${job#*:}.key" -o out.bin "$f" || fail "escrow decrypt --key ${job#*:}.key $f"
            [[ $(sha256sum <out.bin | cut -d' ' -f1) == "$want" ]] || fail "escrow's plaintext of $f under ${job#*:}.key"
            pass 1
        done
    done
done
for job in n1.age:nstranger n2.age.asc:estranger; do
    rm -f out.bin err.txt
    rc=0
    "$ESCROW" decrypt --key "${job#*:}.key" -o out.bin "p.65537.bin.${job%%:*}" 2>err.txt || rc=$?
    [[ $rc -eq 1 && ! -e out.bin ]] || fail "escrow with a stranger's identity on node's file: exit $rc"
    grep -qF "no_matching_key" err.txt || fail "escrow with a stranger's identity: $(cat err.txt)"
    pass 1
done

echo "PASS: $checks interop checks with age-encryption $("$NODE" -p "require('$NPM/node_modules/age-encryption/package.json').version") on node $("$NODE" --version) in $(( $(date +%s) - start ))s"
