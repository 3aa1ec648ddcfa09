# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for the backup authority: recovery through `escrow authority`, `escrow
# officer` and `escrow rewrap`, for every format. Sourced by ../run.sh, which runs one case_NAME
# function (see there).

# ---- the backup authority ----------------------------------------------------------------------

# The whole recovery through the tool, for one format (step 4 of the escrow scheme):
#   encrypt with a record -> deposit -> the owner's key is deleted -> officers sign a request for
#   the owner's new key -> the authority recovers (refusing bad requests) -> the owner rewraps the
#   file in place -> the new key decrypts it, byte for byte the original.
# FORMAT is --format's value; WRAP is the authority's wrap name for 'authority init --wrap' and
# 'officer request --wrap' ("" for the one the key type selects); KEYGEN... are the 'escrow keygen'
# options for the owner's keys (old and new) and the authority's key. Every format runs this same
# function from its own case (case_authority_recovery_<format>). With FLOW_TOKEN_URI set (and
# FLOW_TOKEN_PIN, the PIN file), the authority's key is that key in a PKCS#11 token, whose public
# key the caller wrote to authority.pub (cases/pkcs11.sh).
authority_recovery_flow() {  # FORMAT WRAP KEYGEN-OPTIONS...
    local fmt=$1 wrap_name=$2
    local -a wrap=()
    [[ -n $wrap_name ]] && wrap=(--wrap "$wrap_name")
    shift 2
    local db=${FLOW_DB:-authority.db} serial="CLI-$fmt-${wrap_name:-default}-0001" input="$FIX/big.bin"
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
    # The authority's private key as the commands take it, and a file key that is not the owner's.
    local -a auth_key=(--key authority.key)
    local authority_fp
    local not_owner_key=authority.key
    flow_keygen owner
    if [[ -n ${FLOW_TOKEN_URI:-} ]]; then
        auth_key=(--key "$FLOW_TOKEN_URI" --pin-file "$FLOW_TOKEN_PIN")
        ok "$ESCROW" authority --db "$db" init --authority-key "$FLOW_TOKEN_URI" --pin-file "$FLOW_TOKEN_PIN" \
            --quorum 2 "${wrap[@]}"
        authority_fp=$(init_fingerprint)
        flow_keygen not-owner
        not_owner_key=not-owner.key
    else
        flow_keygen authority
        ok "$ESCROW" authority --db "$db" init --authority-key authority.pub --quorum 2 "${wrap[@]}"
        authority_fp=$(init_fingerprint)
    fi
    [[ $authority_fp =~ ^[0-9a-f]{64}$ ]] || fail "init printed no authority fingerprint"
    [[ -n ${FLOW_DB:-} || -s "$db" ]] || fail "init did not create the database"
    local o
    for o in alice bob carol mallory; do ok "$ESCROW" officer keygen -o "$o"; done
    for o in alice bob carol; do register_officer "$db" "$o" "$authority_fp"; done
    ok "$ESCROW" authority --db "$db" officers >officers.txt
    [[ $(wc -l <officers.txt) -eq 3 ]] || fail "expected three officers"

    note "encrypt with a record, deposit it (twice: the second changes nothing)"
    ok "$ESCROW" encrypt --format "$fmt" --owner owner.pub --authority authority.pub --serial "$serial" \
        --owner-id alice@example.org --description "the big file" --record file.rec -o file.enc "$input"
    ok "$ESCROW" authority --db "$db" deposit file.rec >deposit.txt
    assert_contains "$CAP/stderr" "escrow: deposited $serial"
    [[ ! -s deposit.txt ]] || fail "deposit wrote to standard output (its confirmation goes to stderr, as the others)"
    ok "$ESCROW" authority --db "$db" deposit file.rec >deposit2.txt
    assert_contains "$CAP/stderr" "escrow: already present $serial"
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
        fails_cleanly 4 "is a PEM key, not an age" req.bin "" "$ESCROW" officer request --serial "$serial" \
            --new-owner "$FIX/owner.pub" --authority authority.pub -o req.bin
    fi
    ok "$ESCROW" officer request --serial "$serial" --new-owner newowner.pub --authority authority.pub "${wrap[@]}" -o req.bin
    ok "$ESCROW" officer request --serial "$serial" --new-owner newowner.pub --authority authority.pub "${wrap[@]}" -o other-req.bin
    for o in alice bob mallory; do ok "$ESCROW" officer sign --key "$o.key" -o "$o.sig" req.bin; done
    ok "$ESCROW" officer sign --key carol.key -o carol-other.sig other-req.bin

    note "refusals: K-1 signatures, one officer twice, an unregistered officer, a signature over another request"
    fails_cleanly 6 "needs the signatures of 2 distinct registered officers and has 1" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig "${auth_key[@]}" -o blob.bin
    fails_cleanly 6 "signed more than once" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --signature alice.sig "${auth_key[@]}" -o blob.bin
    fails_cleanly 6 "unregistered key" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --signature mallory.sig "${auth_key[@]}" -o blob.bin
    fails_cleanly 6 "signed a different request" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --signature carol-other.sig "${auth_key[@]}" -o blob.bin
    ok "$ESCROW" officer request --serial "$serial" --new-owner newowner.pub --authority authority.pub "${wrap[@]}" \
        --expires-in 0 -o old-req.bin
    for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "old-$o.sig" old-req.bin; done
    sleep 2
    fails_cleanly 6 "expired" blob.bin file.enc "$ESCROW" authority --db "$db" recover --request old-req.bin \
        --signature old-alice.sig --signature old-bob.sig "${auth_key[@]}" -o blob.bin

    note "an output that cannot be written fails before the grant: the request stays usable"
    fails_cleanly 3 "cannot create a temporary file" "$W/nodir/blob.bin" file.enc "$ESCROW" authority --db "$db" recover \
        --request req.bin --signature alice.sig --signature bob.sig "${auth_key[@]}" -o nodir/blob.bin

    note "the quorum recovers; the same request again is a replay"
    ok "$ESCROW" authority --db "$db" recover --request req.bin --signature alice.sig --signature bob.sig \
        "${auth_key[@]}" -o blob.bin
    assert_contains "$CAP/stderr" "recovery of $serial granted"
    fails_cleanly 6 "replayed" blob2.bin file.enc "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature alice.sig --signature bob.sig "${auth_key[@]}" -o blob2.bin

    note "the owner rewraps the file in place and decrypts with the new key"
    local before
    before=$(sha file.enc)
    # With the record, a wrong private key is refused deterministically in every format: where the
    # unwrap cannot tell (PKCS#1 v1.5's implicit rejection), the record's MAC does.
    fails_cleanly 1 "or for another key than the one given" "" file.enc "$ESCROW" rewrap --blob blob.bin \
        --key "$not_owner_key" --record file.rec file.enc
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
    ok "$ESCROW" decrypt --format "$fmt" "${auth_key[@]}" --record file.rec -o auth.out file.enc
    cmp "$input" auth.out || fail "the authority's path no longer opens the rewrapped file"
    if [[ $fmt == age ]] && grep -q '^AGE-SECRET-KEY-PQ-1' newowner.key && ! age-keygen --help 2>&1 | grep -q -- -pq; then
        note "age: this age ($(age --version)) has no post-quantum recipients; the interop test crosses them"
    elif [[ $fmt == age ]]; then
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
        --signature alice-2.sig --signature bob-2.sig "${auth_key[@]}" -o blob3.bin
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

# The bytes an audit entry's hash covers after its previous hash (authority/audit.hpp), written
# to stdout: the domain, seq and time as u64 little-endian, then kind, serial, actor, outcome and
# reason each as a u16 little-endian length and its bytes.
audit_canonical() {  # SEQ TIME KIND SERIAL ACTOR OUTCOME REASON
    local LC_ALL=C v i f
    printf 'escrow/v1 audit\n'
    for v in "$1" "$2"; do
        for i in 0 1 2 3 4 5 6 7; do
            # shellcheck disable=SC2059  # the format is the octal escape of one byte
            printf "$(printf '\\%03o' $(( (v >> (8 * i)) & 255 )))"
        done
    done
    shift 2
    for f in "$@"; do
        # shellcheck disable=SC2059
        printf "$(printf '\\%03o\\%03o' $(( ${#f} & 255 )) $(( ${#f} >> 8 )))"
        printf '%s' "$f"
    done
}

# Rewrites the whole audit chain of the SQLite database DB as a writer of the file could: entry
# SEQ gets the actor ACTOR, and every entry's link and hash and the head row are computed again.
# Checks first that it computes the stored hashes of the chain as it is.
audit_rewrite() {  # DB SEQ ACTOR
    local db=$1 edit=$2 actor=$3 prev seq time kind serial who outcome reason hash stored
    prev=$(printf '0%.0s' {1..64})
    while IFS=$'\x1f' read -r seq time kind serial who outcome reason stored; do
        hash=$({ printf '%s' "$prev" | xxd -r -p; audit_canonical "$seq" "$time" "$kind" "$serial" "$who" "$outcome" "$reason"; } |
            openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')
        [[ $hash == "$stored" ]] || fail "audit_rewrite computes entry $seq's hash as $hash, stored $stored"
        prev=$hash
    done < <(sqlite3 -separator $'\x1f' "$db" "SELECT seq, time, kind, serial, actor, outcome, reason, lower(hex(hash)) FROM audit ORDER BY seq")
    prev=$(printf '0%.0s' {1..64})
    while IFS=$'\x1f' read -r seq time kind serial who outcome reason; do
        [[ $seq == "$edit" ]] && who=$actor
        hash=$({ printf '%s' "$prev" | xxd -r -p; audit_canonical "$seq" "$time" "$kind" "$serial" "$who" "$outcome" "$reason"; } |
            openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')
        sqlite3 "$db" "UPDATE audit SET actor = '$who', prev_hash = X'$prev', hash = X'$hash' WHERE seq = $seq"
        prev=$hash
    done < <(sqlite3 -separator $'\x1f' "$db" "SELECT seq, time, kind, serial, actor, outcome, reason FROM audit ORDER BY seq")
    sqlite3 "$db" "UPDATE audit_head SET hash = X'$prev'"
}

# The audit head signed with the key derived from the authority's private key (issue 13): the
# review's rewrite of the whole chain (every hash and the head recomputed in the SQLite file)
# verified before; now verify-audit catches it. The audit public key and the exported head check
# the log elsewhere; a wrong audit key, a tampered head and a removed signed head are refused;
# deposits without the key leave the head signed up to the last entry made with it.
case_authority_signed_head() {
    cd "$W"
    command -v sqlite3 >/dev/null || fail "the sqlite3 shell is needed (Debian package sqlite3)"
    command -v xxd >/dev/null || fail "xxd is needed (Debian package xxd)"
    local db=a.db
    ok "$ESCROW" authority --db "$db" init --authority-key "$FIX/auth1.pub" --quorum 1
    ok "$ESCROW" officer keygen -o alice
    register_officer "$db" alice "$FIX/auth1.pub"
    for i in 1 2 3; do
        ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --serial "H-$i" --record "h$i.rec" \
            -o "h$i.enc" "$FIX/plain.txt"
    done
    ok "$ESCROW" authority --db "$db" verify-audit >v.txt
    assert_contains v.txt "audit log valid: 2 entries"
    assert_contains v.txt "head unsigned"
    fails_cleanly 3 "not signed yet" head.bin "" "$ESCROW" authority --db "$db" export-head -o head.bin
    ok "$ESCROW" authority --db "$db" deposit --key "$FIX/auth1.key" h1.rec h2.rec
    ok "$ESCROW" authority --db "$db" verify-audit >v.txt
    assert_contains v.txt "audit log valid: 4 entries"
    assert_contains v.txt "head signed up to seq 4 (signature not checked: no audit key)"

    note "the audit public key and the signed head, checked elsewhere"
    ok "$ESCROW" authority --db "$db" audit-key --key "$FIX/auth1.key" -o audit.pub
    assert_contains audit.pub "-----BEGIN PUBLIC KEY-----"
    ok "$ESCROW" authority --db "$db" export-head -o head.bin
    [[ $(wc -c <head.bin) -eq 154 ]] || fail "the signed head is not 154 bytes"
    fails_cleanly 4 "another authority key" other.pub "" "$ESCROW" authority --db "$db" audit-key --key "$FIX/auth2.key" -o other.pub
    cp "$db" copy.db
    ok "$ESCROW" authority --db copy.db verify-audit --audit-key audit.pub --head head.bin >v.txt
    assert_contains v.txt "head signed up to seq 4"
    fails_cleanly 2 "--head goes with --audit-key" "" "" "$ESCROW" authority --db copy.db verify-audit --head head.bin

    note "a deposit without the key: the head stays signed up to seq 4"
    ok "$ESCROW" authority --db "$db" deposit h3.rec
    ok "$ESCROW" authority --db "$db" verify-audit --audit-key audit.pub --head head.bin >v.txt
    assert_contains v.txt "audit log valid: 5 entries"
    assert_contains v.txt "head signed up to seq 4, 1 entry after it unsigned"

    note "the whole chain rewritten in the file, every hash and the head recomputed"
    cp "$db" rewritten.db
    audit_rewrite rewritten.db 3 "someone else"
    [[ "$(sqlite3 rewritten.db "SELECT actor FROM audit WHERE seq = 3")" == "someone else" ]] || fail "the rewrite did not take"
    fails_cleanly 1 "rewritten" "" "" "$ESCROW" authority --db rewritten.db verify-audit
    fails_cleanly 1 "rewritten" "" "" "$ESCROW" authority --db rewritten.db verify-audit --audit-key audit.pub
    note "the same rewrite with the signed head removed: unsigned, which --audit-key refuses"
    sqlite3 rewritten.db "DELETE FROM meta WHERE key = 'authority.signed_head'"
    ok "$ESCROW" authority --db rewritten.db verify-audit >v.txt
    assert_contains v.txt "head unsigned"
    fails_cleanly 1 "not signed" "" "" "$ESCROW" authority --db rewritten.db verify-audit --audit-key audit.pub

    note "a wrong audit key, a tampered head, another authority's head"
    ok "$ESCROW" authority --db b.db init --authority-key "$FIX/auth2.pub" --quorum 1
    ok "$ESCROW" authority --db b.db audit-key --key "$FIX/auth2.key" -o audit2.pub
    register_officer b.db alice "$FIX/auth2.pub"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth2.pub" --serial B-1 --record b1.rec -o b1.enc "$FIX/plain.txt"
    ok "$ESCROW" authority --db b.db deposit --key "$FIX/auth2.key" b1.rec
    ok "$ESCROW" authority --db b.db export-head -o head2.bin
    fails_cleanly 1 "does not verify under the audit key" "" "" "$ESCROW" authority --db "$db" verify-audit --audit-key audit2.pub
    flip_byte head.bin tampered.bin 150
    fails_cleanly 1 "does not verify" "" "" "$ESCROW" authority --db "$db" verify-audit --audit-key audit.pub --head tampered.bin
    fails_cleanly 1 "another authority's" "" "" "$ESCROW" authority --db "$db" verify-audit --audit-key audit.pub --head head2.bin
    fails_cleanly 5 "h1.rec" "" "" "$ESCROW" authority --db "$db" verify-audit --audit-key audit.pub --head h1.rec
}

# A request made from a record binds the record's hash (issue 13): officers sign a request for the
# record they were shown, a squatter's; the genuine record displaces it; the signed request is then
# refused (exit 6, audited), and a request for the stored record is granted.
case_authority_request_binds_record() {
    cd "$W"
    local db=a.db size
    ok "$ESCROW" authority --db "$db" init --authority-key "$FIX/auth1.pub" --quorum 1
    ok "$ESCROW" officer keygen -o alice
    register_officer "$db" alice "$FIX/auth1.pub"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --serial Q-1 --record g.rec -o g.enc "$FIX/plain.txt"
    size=$(wc -c <g.rec)
    flip_byte g.rec forged.rec $(( size - 1 ))  # the last byte of the record's MAC
    ok "$ESCROW" authority --db "$db" deposit forged.rec
    ok "$ESCROW" keygen --type rsa --bits 2048 -o newowner
    ok "$ESCROW" officer request --record forged.rec --new-owner newowner.pub -o req.bin
    assert_contains "$CAP/stderr" "record SHA-256 "
    ok "$ESCROW" officer sign --key alice.key -o a.sig req.bin
    ok "$ESCROW" authority --db "$db" deposit --key "$FIX/auth1.key" g.rec
    assert_contains "$CAP/stderr" "in place of a stored record that does not verify"
    fails_cleanly 6 "another record under serial 'Q-1'" blob.bin "" "$ESCROW" authority --db "$db" recover --request req.bin \
        --signature a.sig --key "$FIX/auth1.key" -o blob.bin
    ok "$ESCROW" authority --db "$db" audit >audit.txt
    tail -n1 audit.txt >last.txt
    assert_contains last.txt "refused"
    assert_contains last.txt "another record under serial"
    ok "$ESCROW" officer request --record g.rec --new-owner newowner.pub -o req2.bin
    ok "$ESCROW" officer sign --key alice.key -o a2.sig req2.bin
    ok "$ESCROW" authority --db "$db" recover --request req2.bin --signature a2.sig --key "$FIX/auth1.key" -o blob.bin
    ok "$ESCROW" rewrap --blob blob.bin --key newowner.key --record g.rec g.enc
    ok "$ESCROW" decrypt --key newowner.key -o g.out g.enc
    assert_same_content g.out "$FIX/plain.txt"
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
    register_officer "$db" alice "$FIX/auth1.pub"
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
