#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# age's post-quantum recipient (mlkem768x25519: age1pq1... recipients, AGE-SECRET-KEY-PQ-1...
# identities) crossed with a second, independent implementation: the npm package age-encryption
# (its TypeScript code over @noble/post-quantum), run by node through tests/interop/age/pq.mjs,
# installed by the fixture npm-install.sh. Two node processes do all of node's work.
#
# First node against itself and the spec: its keys have the spec's shape (Bech32, 32-byte seed,
# 1216-byte recipient), its stanzas are `-> mlkem768x25519 <1120 bytes>` with a 32-byte body, and it
# opens its own files.
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

note "node's keys and files against the spec, and node against itself"
{
    echo "keygen nowner"
    echo "keygen nauth"
    echo "keygen nstranger"
} >n0.jobs
node_jobs n0.jobs
for k in nowner nauth nstranger; do check_key_shape $k; done
cat nowner.pub nauth.pub >nn.recipients
{
    echo "recipient nowner.key nowner.pub"
    for size in "${sizes[@]}"; do
        echo "encrypt nn.recipients p.$size.bin p.$size.bin.nn.age"
        for k in nowner nauth; do
            echo "open $k.key p.$size.bin.nn.age"
            echo "open $k.key p.$size.bin.nn.age.asc"
        done
    done
    echo "refuse nstranger.key p.1.bin.nn.age"
    echo "refuse nstranger.key p.1.bin.nn.age.asc"
} >n1.jobs
node_jobs n1.jobs
check_node_hashes n1.jobs.out 20
[[ $(grep -c '^refused ' n1.jobs.out) -eq 2 ]] || fail "node's stranger was not refused twice"
pass 2
check_stanzas p.65537.bin.nn.age 2
head -n1 p.1.bin.nn.age.asc | grep -qxF -- "-----BEGIN AGE ENCRYPTED FILE-----" || fail "node's armor"
pass 1

echo "PASS: $checks interop checks with age-encryption $("$NODE" -p "require('$NPM/node_modules/age-encryption/package.json').version") on node $("$NODE" --version) in $(( $(date +%s) - start ))s"
