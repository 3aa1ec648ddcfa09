# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for the security review's findings (issue "Hardening") that only the tool
# shows. Sourced by ../run.sh, which runs one case_NAME function (see there).

# Decrypted files are the owner's alone (mode 0600) whatever the umask allows; encrypted files and
# records keep the usual 0666 & ~umask. Before the fix a decrypted file was 0644 under umask 022.
case_hardening_plaintext_mode() {
    cd "$W"
    umask 022
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record n.rec -o n.esc "$FIX/big.bin"
    [[ "$(stat -c %a n.esc)" == 644 ]] || fail "n.esc has mode $(stat -c %a n.esc), expected 644"
    [[ "$(stat -c %a n.rec)" == 644 ]] || fail "n.rec has mode $(stat -c %a n.rec), expected 644"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o n.out n.esc
    [[ "$(stat -c %a n.out)" == 600 ]] || fail "decrypted n.out has mode $(stat -c %a n.out), expected 600"
    ok "$ESCROW" decrypt --key "$FIX/auth1.key" --record n.rec -o n2.out n.esc
    [[ "$(stat -c %a n2.out)" == 600 ]] || fail "decrypted n2.out has mode $(stat -c %a n2.out), expected 600"
    ok "$ESCROW" keygen --type x25519 -o ax
    ok "$ESCROW" keygen --type x25519 -o ay
    ok "$ESCROW" encrypt --format age --owner ax.pub --authority ay.pub -o a.age "$FIX/big.bin"
    ok "$ESCROW" decrypt --key ax.key -o a.out a.age
    [[ "$(stat -c %a a.out)" == 600 ]] || fail "decrypted a.out has mode $(stat -c %a a.out), expected 600"
    ok "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record c.rec -o c.bin "$FIX/big.bin"
    ok "$ESCROW" decrypt --format cryptoapi --key "$FIX/owner.key" -o c.out c.bin
    [[ "$(stat -c %a c.out)" == 600 ]] || fail "decrypted c.out has mode $(stat -c %a c.out), expected 600"
    assert_same_content c.out "$FIX/big.bin"
}

# An age identity typed where a recipient or key file belongs is never echoed, in either case
# (Bech32 ignores case). Before the fix, "age-secret-key-1..." was printed twice in the error.
case_hardening_identity_not_echoed() {
    cd "$W"
    ok "$ESCROW" keygen --type x25519 -o id
    local upper lower body
    upper="$(grep '^AGE-SECRET-KEY-1' id.key)"
    lower="$(printf '%s' "$upper" | tr 'A-Z' 'a-z')"
    body="${upper#AGE-SECRET-KEY-1}"
    local secret
    for secret in "$upper" "$lower"; do
        local args
        for args in "--format age --owner" "--format age --authority" "--owner" "--authority"; do
            local rc=0
            # shellcheck disable=SC2086  # the option words split on purpose
            if [[ "$args" == *--owner ]]; then
                "$ESCROW" encrypt $args "$secret" --authority "$FIX/auth1.pub" -o x.out "$FIX/plain.txt" 2>"$CAP/stderr" || rc=$?
            else
                "$ESCROW" encrypt $args "$secret" --owner "$FIX/owner.pub" -o x.out "$FIX/plain.txt" 2>"$CAP/stderr" || rc=$?
            fi
            [[ $rc -ne 0 ]] || fail "encrypt $args <identity> succeeded"
            if grep -qiF -- "${body:0:20}" "$CAP/stderr"; then
                cat "$CAP/stderr" >&2
                fail "encrypt $args <identity> echoed the secret key"
            fi
            assert_absent x.out
        done
    done
}

# kill -9 of `escrow decrypt -o OUT` on a 300 MiB file at ten random points leaves nothing in the
# output directory: the plaintext is written to an unnamed file (O_TMPFILE) that gets its name only
# once the whole file has authenticated. Before the fix a ".OUT.tmp-..." file holding the
# plaintext so far was left behind.
case_hardening_sigkill_leaves_nothing() {
    cd "$W"
    head -c $((300 * 1024 * 1024)) /dev/urandom >big300.bin
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o big300.esc big300.bin
    rm -f big300.bin
    mkdir out
    local i killed=0 finished=0 total=$((300 * 1024 * 1024)) dir
    dir="$(cd out && pwd -P)"
    for i in $(seq 20); do
        (( killed < 10 )) || break
        # A random point of the run, by the plaintext written so far: 1% to 80% of the file.
        local at=$(( (RANDOM % 80 + 1) * total / 100 )) size=0 n
        "$ESCROW" decrypt --key "$FIX/owner.key" -o out/big.out big300.esc 2>/dev/null &
        local pid=$!
        for n in $(seq 6000); do
            size=$(output_in_progress "$pid" "$dir") || size=0
            (( size < at )) || break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.01
        done
        if kill -9 "$pid" 2>/dev/null; then
            killed=$((killed + 1))
            wait "$pid" 2>/dev/null || true
            local left
            left="$(ls -A out)"
            [[ -z "$left" ]] || fail "kill -9 with $size of $total bytes written left in the output directory: $left"
            note "run $i: killed with $size bytes written, nothing left"
        else
            # It finished before the point was reached (a loaded machine polls slowly): the
            # output is then the whole file, committed; not a kill, so it does not count.
            wait "$pid" || fail "run $i: the decryption failed on its own"
            [[ $(stat -c %s out/big.out) -eq $total ]] || fail "run $i: finished with a partial output"
            rm -f out/big.out
            finished=$((finished + 1))
            note "run $i: finished before the kill point; not counted"
        fi
    done
    (( killed == 10 )) || fail "only $killed kills in 20 runs landed while the output was written"
    note "$killed kills mid-write, nothing left behind ($finished runs finished before their point)"
}

# C1 control characters (U+009B is a terminal's CSI) in a record's description or owner are not
# printed as they are by `inspect` or `authority list`. Before the fix only C0 controls were
# filtered, so "\xc2\x9b2J" reached the terminal.
case_hardening_c1_controls() {
    cd "$W"
    local csi=$'\xc2\x9b'
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --description "pay${csi}2Jroll" \
        --owner-id "eve${csi}31m" --record c1.rec -o c1.enc "$FIX/plain.txt"
    ok "$ESCROW" inspect c1.enc >inspect.txt
    ok "$ESCROW" inspect --json c1.rec >inspect.json
    ok "$ESCROW" authority --db c1.db init --authority-key "$FIX/auth1.pub" --quorum 1
    ok "$ESCROW" authority --db c1.db deposit c1.rec
    "$ESCROW" authority --db c1.db list >list.txt
    local f
    for f in inspect.txt inspect.json list.txt; do
        if LC_ALL=C grep -q "$csi" "$f"; then fail "$f holds a raw C1 control (U+009B)"; fi
    done
    assert_contains list.txt "pay?2Jroll"
    assert_contains inspect.json 'pay\u009b2Jroll'
}

# The fields `authority list` shows are the depositor's word: it says so, and with the authority's
# key it checks each record's MAC. A record relabelled after encryption ("payroll" -> "paYroll",
# the same length, so it still parses) deposited through a key-less authority is listed as
# NOT-VERIFIED beside the genuine one. Before, the forged row looked like any other.
case_hardening_list_verifies() {
    cd "$W"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --description "payroll.xlsx" \
        --record real.rec -o real.enc "$FIX/plain.txt"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --description "payroll.xlsx" \
        --record forged.rec -o forged.enc "$FIX/plain.txt"
    LC_ALL=C sed -i 's/payroll/paYroll/' forged.rec
    ok "$ESCROW" authority --db v.db init --authority-key "$FIX/auth1.pub" --quorum 1
    ok "$ESCROW" authority --db v.db deposit real.rec forged.rec
    ok "$ESCROW" authority --db v.db list >list.txt
    assert_contains "$CAP/stderr" "not verified (give --key"
    assert_contains list.txt "paYroll.xlsx"
    ok "$ESCROW" authority --db v.db list --key "$FIX/auth1.key" >checked.txt
    [[ $(grep -c "	verified$" checked.txt) -eq 1 ]] || fail "the genuine record is not listed as verified"
    grep "paYroll" checked.txt | grep -q "	NOT-VERIFIED$" || fail "the relabelled record is not marked NOT-VERIFIED"
    assert_contains "$CAP/stderr" "1 record does not verify"
    fails_cleanly 4 "" "" "" "$ESCROW" authority --db v.db list --key "$FIX/auth2.key"
}

# An officer registers only with its proof of possession (escrow officer prove), made for its name,
# its key and this authority; --without-proof is the explicit way round it, and the audit log says
# which way each registration went. Before, 'register-officer NAME PUB' took any key on trust.
case_hardening_officer_proof() {
    cd "$W"
    local db=a.db
    ok "$ESCROW" authority --db "$db" init --authority-key "$FIX/auth1.pub" --quorum 1
    ok "$ESCROW" officer keygen -o alice
    ok "$ESCROW" officer keygen -o bob
    note "no proof and no --without-proof: refused, with the command that makes one"
    fails_cleanly 2 "escrow officer prove --key KEY --name alice" "" "$db" \
        "$ESCROW" authority --db "$db" register-officer alice alice.pub
    note "a proof for another name, for another authority, for another key: refused, audited"
    ok "$ESCROW" officer prove --key alice.key --name alicia --authority "$FIX/auth1.pub" -o alicia.proof
    fails_cleanly 6 "was made for the name 'alicia', not 'alice'" "" "" \
        "$ESCROW" authority --db "$db" register-officer alice alice.pub --proof alicia.proof
    ok "$ESCROW" officer prove --key alice.key --name alice --authority "$FIX/auth2.pub" -o other.proof
    fails_cleanly 6 "made for another authority" "" "" \
        "$ESCROW" authority --db "$db" register-officer alice alice.pub --proof other.proof
    ok "$ESCROW" officer prove --key alice.key --name alice --authority "$FIX/auth1.pub" -o alice.proof
    fails_cleanly 6 "is for another key than 'bob.pub'" "" "" \
        "$ESCROW" authority --db "$db" register-officer alice bob.pub --proof alice.proof
    ok "$ESCROW" authority --db "$db" officers >officers.txt
    [[ ! -s officers.txt ]] || fail "an officer was registered by a refused proof: $(cat officers.txt)"
    note "the right proof registers; --without-proof registers on trust; the audit log tells them apart"
    ok "$ESCROW" authority --db "$db" register-officer alice alice.pub --proof alice.proof
    assert_contains "$CAP/stderr" "its proof of possession checked"
    ok "$ESCROW" authority --db "$db" register-officer bob bob.pub --without-proof
    assert_contains "$CAP/stderr" "without a proof of possession"
    ok "$ESCROW" authority --db "$db" audit >audit.txt
    grep -q "	registered	alice	proof of possession checked" audit.txt || fail "alice's registration is not audited as proven"
    grep -q "	registered	bob	without a proof of possession" audit.txt || fail "bob's registration is not audited as unproven"
    [[ $(grep -c "	refused	" audit.txt) -eq 1 ]] || fail "expected one audited refusal (the other authority's proof is refused by the library)"
    ok "$ESCROW" authority --db "$db" verify-audit
}
