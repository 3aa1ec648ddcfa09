#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CryptoAPI under Wine against the library, both directions. One ctest case per function below;
# each starts Wine once and batches its operations into one winpeer script.
#
#   run.sh CASE WORKDIR
#
# Environment (set by CMakeLists.txt): WINE (the wine64 loader), WINESERVER, WINEPREFIX, WINEPEER
# (winpeer.exe), PEER (the library side), ESCROW (the CLI), OPENSSL.
set -euo pipefail

case_name=$1
W=$2
export WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
note() { echo "-- $*"; }
same() { cmp -s "$1" "$2" || fail "$2 differs from $1"; }

AES_SIZES="128 192 256"
# 0 bytes, 1 byte, an exact multiple of 16 (and of the library's 64 KiB chunks), several MiB.
FILE_SIZES="0 1 131072 3145733"

# Runs winpeer.exe on a script. winpeer ends every run with a "winpeer: N operations, M failed"
# line on standard output; when that line is missing, the program never ran (Wine could not reach
# its server, which happens when one case starts while the server of another is shutting down):
# that is retried, twice, and reported as such. A failed operation is never retried.
winpeer() {  # SCRIPT
    local rc attempt out
    for attempt in 1 2 3; do
        rc=0
        out="$("$WINE" "$WINEPEER" "$1")" || rc=$?
        printf '%s\n' "$out"
        if grep -q '^winpeer: [0-9]* operations' <<<"$out"; then
            [[ $rc -eq 0 ]] || fail "winpeer: $rc operation(s) of $1 failed"
            return 0
        fi
        note "Wine did not run winpeer.exe (exit status $rc, attempt $attempt of 3)"
        sleep 2
    done
    fail "Wine did not start winpeer.exe three times (last exit status $rc)"
}

case_setup() {
    # The packages are normally present already (tests/run-all.sh installs them); as root this
    # installs them when missing, with --no-install-recommends.
    # shellcheck source=/dev/null
    source "$(dirname "${BASH_SOURCE[0]}")/../../../cmake/ensure-deps.sh"
    escrow_ensure_deps "wine64 gcc-mingw-w64-x86-64"
    rm -rf "$W"
    mkdir -p "$W/data" "$WINEPREFIX"
    if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
        note "initialising the Wine prefix $WINEPREFIX (about 10 s)"
        "$WINE" wineboot --init >/dev/null 2>&1 || true
        "$WINESERVER" -w
    fi
    [[ -f "$WINEPREFIX/system.reg" ]] || fail "wineboot did not create $WINEPREFIX"
    local s
    for s in $FILE_SIZES; do head -c "$s" /dev/urandom >"$W/data/plain-$s"; done
    ls -l "$W/data"
}

# Library -> CryptoAPI: the library makes PRIVATEKEYBLOB key pairs and files for every AES size
# and file size; winpeer opens each with the owner's key, and with the authority's key through
# the SIMPLEBLOB of the escrow record (the owner's key plays no part there).
case_to_cryptoapi() {  # RSA-BITS
    local bits=$1 d="$W/to-$1" aes s script
    rm -rf "$d" && mkdir -p "$d"
    "$PEER" keygen "$bits" "$d/owner.priv" "$d/owner.pub"
    "$PEER" keygen "$bits" "$d/auth.priv" "$d/auth.pub"
    script="$d/script.txt"
    : >"$script"
    for aes in $AES_SIZES; do
        for s in $FILE_SIZES; do
            local f="$d/aes$aes-$s"
            "$PEER" encrypt "$aes" "$d/owner.pub" "$d/auth.pub" "$W/data/plain-$s" "$f.enc" "$f.rec"
            "$PEER" record-blob "$f.rec" "$f.simpleblob"
            echo "decrypt $d/owner.priv $f.enc $f.owner.out" >>"$script"
            echo "decrypt-blob $d/auth.priv $f.simpleblob $f.enc $f.auth.out" >>"$script"
        done
    done
    # The authority's key does not open the file's own (owner's) SIMPLEBLOB.
    echo "expect-fail $d/auth.priv $d/aes256-1.enc" >>"$script"
    winpeer "$script"
    for aes in $AES_SIZES; do
        for s in $FILE_SIZES; do
            same "$W/data/plain-$s" "$d/aes$aes-$s.owner.out"
            same "$W/data/plain-$s" "$d/aes$aes-$s.auth.out"
        done
    done
    note "CryptoAPI opened $(wc -l <"$script") library outputs (RSA-$bits)"
}

# CryptoAPI -> library: winpeer makes the key pair (CryptGenKey, exported as PRIVATEKEYBLOB and
# PUBLICKEYBLOB) and the files (CryptExportKey(SIMPLEBLOB) + CryptEncrypt in chunks); the library
# opens them with the PRIVATEKEYBLOB and, converted by OpenSSL, with PEM.
case_from_cryptoapi() {  # RSA-BITS
    local bits=$1 d="$W/from-$1" aes s script
    rm -rf "$d" && mkdir -p "$d"
    script="$d/script.txt"
    echo "keygen $bits $d/owner.priv $d/owner.pub" >"$script"
    for aes in $AES_SIZES; do
        for s in $FILE_SIZES; do echo "encrypt $d/owner.pub $aes $W/data/plain-$s $d/aes$aes-$s.enc" >>"$script"; done
    done
    winpeer "$script"
    "$OPENSSL" rsa -inform MSBLOB -in "$d/owner.priv" -outform PEM -out "$d/owner.pem" 2>/dev/null ||
        fail "openssl does not read CryptoAPI's PRIVATEKEYBLOB"
    "$OPENSSL" rsa -pubin -inform MSBLOB -in "$d/owner.pub" -outform PEM -out "$d/owner.pub.pem" 2>/dev/null ||
        fail "openssl does not read CryptoAPI's PUBLICKEYBLOB"
    for aes in $AES_SIZES; do
        for s in $FILE_SIZES; do
            local f="$d/aes$aes-$s"
            [[ $(od -An -tx1 -j8 -N2 "$f.enc" | tr -d ' ') == "$(case $aes in 128) echo 0e66;; 192) echo 0f66;; 256) echo 1066;; esac)" ]] ||
                fail "$f.enc does not name CALG_AES_$aes"
            "$PEER" decrypt "$d/owner.priv" "$f.enc" "$f.out"
            same "$W/data/plain-$s" "$f.out"
        done
    done
    # The same key through OpenSSL's PEM, once per AES size.
    for aes in $AES_SIZES; do
        "$PEER" decrypt "$d/owner.pem" "$d/aes$aes-1.enc" "$d/aes$aes-1.pem.out"
        same "$W/data/plain-1" "$d/aes$aes-1.pem.out"
    done
    # The library writes a file for CryptoAPI's public key that CryptoAPI's private key opens.
    "$PEER" keygen 2048 "$d/auth.priv" "$d/auth.pub"
    "$PEER" encrypt 256 "$d/owner.pub" "$d/auth.pub" "$W/data/plain-131072" "$d/back.enc" "$d/back.rec"
    echo "decrypt $d/owner.priv $d/back.enc $d/back.out" >"$d/back.txt"
    winpeer "$d/back.txt"
    same "$W/data/plain-131072" "$d/back.out"
    note "the library opened $(( $(wc -l <"$script") - 1 )) CryptoAPI files (RSA-$bits)"
}

# The same crossings through the escrow tool.
case_cli() {
    local d="$W/cli" aes
    rm -rf "$d" && mkdir -p "$d"
    "$ESCROW" keygen --type rsa --bits 2048 -o "$d/owner" 2>/dev/null
    "$ESCROW" keygen --type rsa --bits 3072 -o "$d/auth" 2>/dev/null
    # The Windows program takes PRIVATEKEYBLOBs: OpenSSL converts the tool's PEM keys.
    "$OPENSSL" rsa -in "$d/owner.key" -outform MSBLOB -out "$d/owner.priv" 2>/dev/null
    "$OPENSSL" rsa -in "$d/auth.key" -outform MSBLOB -out "$d/auth.priv" 2>/dev/null
    : >"$d/script.txt"
    for aes in $AES_SIZES; do
        "$ESCROW" encrypt --format cryptoapi --aes-bits "$aes" --owner "$d/owner.pub" --authority "$d/auth.pub" \
            --serial "WIN-$aes" --record "$d/aes$aes.rec" -o "$d/aes$aes.enc" "$W/data/plain-3145733"
        "$PEER" record-blob "$d/aes$aes.rec" "$d/aes$aes.simpleblob"
        echo "decrypt $d/owner.priv $d/aes$aes.enc $d/aes$aes.win.out" >>"$d/script.txt"
        echo "decrypt-blob $d/auth.priv $d/aes$aes.simpleblob $d/aes$aes.enc $d/aes$aes.winauth.out" >>"$d/script.txt"
    done
    # Recovery through the backup authority: a copy of each file rewrapped (its SIMPLEBLOB replaced
    # by the one the authority re-wrapped) opens in CryptoAPI with the new owner's key.
    "$ESCROW" keygen --type rsa --bits 2048 -o "$d/newowner" 2>/dev/null
    "$OPENSSL" rsa -in "$d/newowner.key" -outform MSBLOB -out "$d/newowner.priv" 2>/dev/null
    "$ESCROW" authority --db "$d/authority.db" init --authority-key "$d/auth.pub" --wrap rsa-pkcs1v15 --quorum 1 2>/dev/null
    "$ESCROW" officer keygen -o "$d/officer" 2>/dev/null
    "$ESCROW" officer prove --key "$d/officer.key" --name olivia --authority "$d/auth.pub" -o "$d/officer.proof" 2>/dev/null
    "$ESCROW" authority --db "$d/authority.db" register-officer olivia "$d/officer.pub" --proof "$d/officer.proof" 2>/dev/null
    for aes in $AES_SIZES; do
        "$ESCROW" authority --db "$d/authority.db" deposit "$d/aes$aes.rec" 2>/dev/null
        "$ESCROW" officer request --serial "WIN-$aes" --new-owner "$d/newowner.pub" --authority "$d/auth.pub" \
            --wrap rsa-pkcs1v15 -o "$d/req$aes.bin" 2>/dev/null
        "$ESCROW" officer sign --key "$d/officer.key" -o "$d/sig$aes.bin" "$d/req$aes.bin" 2>/dev/null
        "$ESCROW" authority --db "$d/authority.db" recover --request "$d/req$aes.bin" --signature "$d/sig$aes.bin" \
            --key "$d/auth.key" -o "$d/blob$aes.bin" 2>/dev/null
        cp "$d/aes$aes.enc" "$d/aes$aes.rewrapped.enc"
        "$ESCROW" rewrap --blob "$d/blob$aes.bin" --key "$d/newowner.key" --record "$d/aes$aes.rec" "$d/aes$aes.rewrapped.enc" 2>/dev/null
        echo "decrypt $d/newowner.priv $d/aes$aes.rewrapped.enc $d/aes$aes.rewrapped.win.out" >>"$d/script.txt"
        echo "expect-fail $d/owner.priv $d/aes$aes.rewrapped.enc" >>"$d/script.txt"
    done
    # CryptoAPI's own files for the CLI to open.
    echo "keygen 2048 $d/win.priv $d/win.pub" >>"$d/script.txt"
    for aes in $AES_SIZES; do echo "encrypt $d/win.pub $aes $W/data/plain-131072 $d/win$aes.enc" >>"$d/script.txt"; done
    winpeer "$d/script.txt"
    for aes in $AES_SIZES; do
        same "$W/data/plain-3145733" "$d/aes$aes.win.out"
        same "$W/data/plain-3145733" "$d/aes$aes.winauth.out"
        same "$W/data/plain-3145733" "$d/aes$aes.rewrapped.win.out"
        # The authority's path through the tool, the owner's key out of the picture.
        "$ESCROW" decrypt --format cryptoapi --record "$d/aes$aes.rec" --key "$d/auth.key" -o "$d/aes$aes.rec.out" "$d/aes$aes.enc"
        same "$W/data/plain-3145733" "$d/aes$aes.rec.out"
        # CryptoAPI's file, the key as PRIVATEKEYBLOB, then as PEM (converted by OpenSSL).
        "$ESCROW" decrypt --format cryptoapi --key "$d/win.priv" -o "$d/win$aes.blob.out" "$d/win$aes.enc"
        same "$W/data/plain-131072" "$d/win$aes.blob.out"
    done
    "$OPENSSL" rsa -inform MSBLOB -in "$d/win.priv" -out "$d/win.pem" 2>/dev/null
    "$ESCROW" decrypt --format cryptoapi --key "$d/win.pem" -o "$d/win256.pem.out" "$d/win256.enc"
    same "$W/data/plain-131072" "$d/win256.pem.out"
    # The CryptoAPI format is opened only when named (--format cryptoapi), never from its content.
    "$ESCROW" decrypt --format cryptoapi --key "$d/win.priv" -o "$d/win128.auto.out" "$d/win128.enc"
    same "$W/data/plain-131072" "$d/win128.auto.out"
    note "CLI crossings passed"
}

case "$case_name" in
    setup) case_setup ;;
    teardown) "$WINESERVER" -k 2>/dev/null || true ;;
    to_cryptoapi.*) case_to_cryptoapi "${case_name#to_cryptoapi.}" ;;
    from_cryptoapi.*) case_from_cryptoapi "${case_name#from_cryptoapi.}" ;;
    cli) case_cli ;;
    *) fail "unknown case $case_name" ;;
esac
