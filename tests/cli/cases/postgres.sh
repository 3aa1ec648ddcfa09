# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for the backup authority on PostgreSQL: the real server of the ctest
# fixture escrow_pg (tests/postgres/server.sh; its connection string in ESCROW_PG_CONNINFO_FILE),
# or, for the crash case, a server of the case's own. Sourced by ../run.sh, which runs one
# case_NAME function (see there); the cases named pg_* get the server (tests/cli/CMakeLists.txt).

# A new, empty database on the fixture's server; prints its libpq keyword string.
pg_new_db() {  # NAME
    local base db="cli_$1_$$"
    base=$(cat "${ESCROW_PG_CONNINFO_FILE:?the pg_* cases need the ctest fixture escrow_pg}")
    pg_sql postgres "DROP DATABASE IF EXISTS $db" >/dev/null
    pg_sql postgres "CREATE DATABASE $db" >/dev/null
    echo "$base dbname=$db"
}

# The same database as a postgresql:// URI (the socket directory as the host parameter).
pg_uri() {  # KEYWORD-STRING
    local host db
    host=$(sed -E 's/.*host=([^ ]+).*/\1/' <<<"$1")
    db=$(sed -E 's/.*dbname=([^ ]+).*/\1/' <<<"$1")
    echo "postgresql://escrow@/$db?host=$host&port=5432"
}

# Runs SQL on a database of the fixture's server (or of STATE, when ESCROW_PG_STATE_OVERRIDE is set).
pg_sql() {  # DBNAME SQL
    bash "$ESCROW_PG_SERVER" psql "${ESCROW_PG_STATE_OVERRIDE:-$ESCROW_PG_STATE}" "$1" -tA -c "$2"
}
pg_dbname() { sed -E 's/.*dbname=([^ ]+).*/\1/' <<<"$1"; }

# An authority on DB for auth1 with one officer (alice), quorum 1.
pg_init_authority() {  # DB
    ok "$ESCROW" authority --db "$1" init --authority-key "$FIX/auth1.pub" --quorum 1
    [[ -f alice.key ]] || ok "$ESCROW" officer keygen -o alice
    register_officer "$1" alice "$FIX/auth1.pub"
}

# The recovery flow of every format, with the database on PostgreSQL: a URI for one, a keyword
# string for the other (every subcommand as on SQLite).
case_pg_recovery_native() {
    cd "$W"
    FLOW_DB=$(pg_uri "$(pg_new_db flow_native)") authority_recovery_flow native "" --type rsa --bits 2048
}
case_pg_recovery_age() {
    cd "$W"
    FLOW_DB=$(pg_new_db flow_age) authority_recovery_flow age "" --type x25519
}

# 4 processes depositing 500 distinct records each into one database while a fifth runs
# recoveries: 2,000 records, none twice, every recovery granted or refused with a reason, the
# audit chain valid, and no process stuck (each has a deadline).
case_pg_concurrency() {
    cd "$W"
    local db p i
    db=$(pg_new_db concurrency)
    pg_init_authority "$db"
    ok "$ESCROW" officer keygen -o bob
    register_officer "$db" bob "$FIX/auth1.pub"
    for p in 0 1 2 3; do
        mkdir "r$p"
        "$ESCROW_MAKE_RECORDS" "$FIX/owner.pub" "$FIX/auth1.pub" "P$p" 500 "r$p" || fail "make_records"
    done
    # Requests for records of the first depositor, signed by alice: some are deposited by the
    # time they are tried (granted), some not yet (refused: no such record).
    for i in $(seq 0 40 480); do
        ok "$ESCROW" officer request --serial "P0-$i" --new-owner "$FIX/auth2.pub" --authority "$FIX/auth1.pub" -o "req$i.bin"
        ok "$ESCROW" officer sign --key alice.key -o "sig$i.bin" "req$i.bin"
    done
    local start=$SECONDS
    local -a pids=()
    for p in 0 1 2 3; do
        timeout 300 "$ESCROW" authority --db "$db" deposit "r$p"/*.rec >/dev/null 2>"dep$p.out" &
        pids+=($!)
    done
    (
        for round in 1 2; do
            for i in $(seq 0 40 480); do
                rc=0
                timeout 120 "$ESCROW" authority --db "$db" recover --request "req$i.bin" --signature "sig$i.bin" \
                    --key "$FIX/auth1.key" -o "blob$i-$round.bin" 2>"rec$i-$round.err" || rc=$?
                echo "$i $round $rc" >>recoveries.txt
            done
        done
    ) &
    pids+=($!)
    local rc
    for p in 0 1 2 3 4; do
        rc=0
        wait "${pids[$p]}" || rc=$?
        [[ $rc -eq 0 ]] || { cat "dep$p.out" 2>/dev/null >&2 || true; fail "process $p exited $rc (124: stuck)"; }
    done
    note "4 x 500 deposits and $(wc -l <recoveries.txt) recoveries in $((SECONDS - start)) s"
    cat dep0.out dep1.out dep2.out dep3.out | grep -c '^escrow: deposited ' | grep -qx 2000 || fail "not 2000 deposits acknowledged"
    ok "$ESCROW" authority --db "$db" list >list.txt
    [[ $(wc -l <list.txt) -eq 2000 ]] || fail "expected 2000 records, found $(wc -l <list.txt)"
    [[ $(cut -f1 list.txt | sort -u | wc -l) -eq 2000 ]] || fail "duplicated serials"
    for p in 0 1 2 3; do
        [[ $(grep -c "^P$p-[0-9]*	active	" list.txt) -eq 500 ]] || fail "records of process $p missing"
    done
    [[ "$(pg_sql "$(pg_dbname "$db")" "SELECT count(*), count(DISTINCT serial) FROM records")" == "2000|2000" ]] ||
        fail "the records table does not hold 2000 distinct serials"
    local granted=0 refused=0 i round
    while read -r i round rc; do
        case $rc in
            0) granted=$((granted + 1)); [[ -s "blob$i-$round.bin" ]] || fail "granted without a blob ($i)" ;;
            3 | 6)
                refused=$((refused + 1))
                [[ $(wc -l <"rec$i-$round.err") -eq 1 ]] || fail "refusal $i/$round: not one line"
                grep -qE '^escrow: .*(no escrow record|replayed)' "rec$i-$round.err" || { cat "rec$i-$round.err"; fail "refusal $i/$round without a reason"; }
                ;;
            *) cat "rec$i-$round.err" >&2; fail "recovery $i/$round exited $rc" ;;
        esac
    done <recoveries.txt
    [[ $granted -ge 1 ]] || fail "no recovery was granted"
    ok "$ESCROW" authority --db "$db" verify-audit >verify.txt
    assert_contains verify.txt "audit log valid: $((3 + 2000 + granted + refused)) entries"
    note "recoveries: $granted granted, $refused refused with a reason; $(cat verify.txt)"
}

# A depositing process killed with SIGKILL at a random point, 20 times: every deposit it printed
# is present and intact, at most the one in flight more, and the audit chain stays valid.
case_pg_sigkill() {
    cd "$W"
    local db run printed stored total=0
    db=$(pg_new_db sigkill)
    pg_init_authority "$db"
    for run in $(seq 1 20); do
        mkdir "k$run"
        "$ESCROW_MAKE_RECORDS" "$FIX/owner.pub" "$FIX/auth1.pub" "K$run" 150 "k$run" || fail "make_records"
    done
    for run in $(seq 1 20); do
        "$ESCROW" authority --db "$db" deposit "k$run"/*.rec >/dev/null 2>"k$run.out" &
        local pid=$!
        sleep "0.$(printf '%03d' $((RANDOM % 400 + 20)))"
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        printed=$(grep -c '^escrow: deposited ' "k$run.out" || true)
        ok "$ESCROW" authority --db "$db" list >"k$run.list"
        stored=$(grep -c "^K$run-" "k$run.list" || true)
        while read -r serial; do
            grep -q "^$serial	active	" "k$run.list" || fail "run $run: '$serial' was acknowledged but is missing"
        done < <(sed -n 's/^escrow: deposited //p' "k$run.out")
        [[ $stored -le $((printed + 1)) ]] || fail "run $run: $stored stored but only $printed acknowledged"
        total=$((total + printed))
    done
    ok "$ESCROW" authority --db "$db" verify-audit >verify.txt
    assert_contains verify.txt "audit log valid"
    note "20 SIGKILLs: $total acknowledged deposits, all present; $(cat verify.txt)"
}

# The server stopped with 'pg_ctl stop -m immediate' (a crash: no checkpoint) in the middle of
# deposits by three processes, then started again: every acknowledged deposit is there, the
# client that was inside a transaction is cut off and exits 3 with one clear line, the two that
# were waiting to start one connect again and finish, and the audit chain is valid. On a server of
# this case's own, so that the others' server keeps running.
#
# The crash lands inside a transaction whatever the machine's speed: the clients are stopped
# (SIGSTOP), and the crash comes only when the server shows a session idle in a transaction while
# holding the authority's advisory lock; otherwise they go on and the case tries again. (Crashing
# at a moment chosen by a timer alone once found no transaction open: all three reconnected and
# finished.)
case_pg_crash_restart() {
    cd "$W"
    local state="$W/server" p rc cut=0 finished=0
    # shellcheck disable=SC2064  # expanded now: the trap runs after this function's locals are gone
    trap "bash '$ESCROW_PG_SERVER' stop '$state' >/dev/null 2>&1 || true" EXIT
    bash "$ESCROW_PG_SERVER" start "$state" >/dev/null
    export ESCROW_PG_STATE_OVERRIDE=$state
    local db="$(cat "$state/conninfo") dbname=postgres"
    pg_init_authority "$db"
    for p in 0 1 2; do
        mkdir "c$p"
        "$ESCROW_MAKE_RECORDS" "$FIX/owner.pub" "$FIX/auth1.pub" "C$p" 1500 "c$p" || fail "make_records"
    done
    local -a pids=()
    for p in 0 1 2; do
        "$ESCROW" authority --db "$db" deposit "c$p"/*.rec >/dev/null 2>"c$p.out" &
        pids+=($!)
    done
    # A client still running after 300 s is stuck: the watchdog kills it (exit 137).
    (sleep 300; kill -KILL "${pids[@]}") >/dev/null 2>&1 &
    local watchdog=$!
    # Wait for a few acknowledged deposits, then stop the clients.
    local waited=0 tries=0 holders
    until [[ $(cat c0.out c1.out c2.out | grep -c '^escrow: deposited ' || true) -ge 30 ]]; do
        sleep 0.05
        waited=$((waited + 1))
        [[ $waited -lt 600 ]] || fail "no deposits before the crash"
    done
    while :; do
        kill -STOP "${pids[@]}" 2>/dev/null || true
        sleep 0.2
        holders=$(pg_sql postgres "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                                   WHERE l.locktype = 'advisory' AND l.granted AND a.state = 'idle in transaction'")
        [[ $holders == 1 ]] && break
        kill -CONT "${pids[@]}" 2>/dev/null || true
        tries=$((tries + 1))
        [[ $tries -lt 100 ]] || fail "no client was stopped inside a transaction in 100 tries"
        sleep "0.0$((RANDOM % 9 + 1))"
    done
    bash "$ESCROW_PG_SERVER" crash "$state"
    sleep 1
    bash "$ESCROW_PG_SERVER" restart "$state"
    kill -CONT "${pids[@]}" 2>/dev/null || true
    for p in 0 1 2; do
        rc=0
        wait "${pids[$p]}" || rc=$?
        if [[ $rc -eq 0 ]]; then
            finished=$((finished + 1))
            [[ $(grep -c '^escrow: deposited ' "c$p.out") -eq 1500 ]] || fail "client $p exited 0 without all its deposits"
        else
            cut=$((cut + 1))
            grep -v '^escrow: deposited ' "c$p.out" >"c$p.err" || true
            [[ $rc -ne 137 ]] || fail "client $p was stuck"
            [[ $rc -eq 3 ]] || { cat "c$p.err" >&2; fail "client $p exited $rc, expected 3 (I/O error)"; }
            [[ $(wc -l <"c$p.err") -eq 1 ]] || { cat "c$p.err" >&2; fail "client $p: not one line on stderr"; }
            assert_matches "c$p.err" '^escrow: .*postgres: .*(connection|server|terminat)'
            note "client $p cut off (exit $rc): $(cat "c$p.err")"
        fi
    done
    kill "$watchdog" 2>/dev/null || true
    [[ $cut -eq 1 ]] || fail "$cut clients were cut off by the crash, expected the one inside a transaction"
    ok "$ESCROW" authority --db "$db" list >list.txt
    for p in 0 1 2; do
        while read -r serial; do
            grep -q "^$serial	active	" list.txt || fail "'$serial' was acknowledged before the crash but is missing"
        done < <(sed -n 's/^escrow: deposited //p' "c$p.out")
    done
    ok "$ESCROW" authority --db "$db" verify-audit >verify.txt
    assert_contains verify.txt "audit log valid"
    note "crash after $tries retries: $cut client cut off, $finished finished; $(wc -l <list.txt) records; $(cat verify.txt)"
}

# A row deleted or edited directly in PostgreSQL (psql, as an attacker with write access) is
# found by verify-audit (exit 1), as with SQLite.
case_pg_tamper() {
    cd "$W"
    local db name
    db=$(pg_new_db tamper)
    name=$(pg_dbname "$db")
    pg_init_authority "$db"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --serial T-1 --record t1.rec -o t1.enc "$FIX/plain.txt"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --serial T-2 --record t2.rec -o t2.enc "$FIX/plain.txt"
    ok "$ESCROW" authority --db "$db" deposit t1.rec t2.rec
    ok "$ESCROW" authority --db "$db" verify-audit >keywords.txt
    # The same database as a postgres:// URI (the other scheme libpq takes).
    local uri
    uri=$(pg_uri "$db")
    ok "$ESCROW" authority --db "postgres://${uri#postgresql://}" verify-audit >uri.txt
    cmp keywords.txt uri.txt || fail "the keyword string and the postgres:// URI do not name the same authority"
    pg_sql "$name" "CREATE TABLE audit_copy AS SELECT * FROM audit" >/dev/null
    pg_sql "$name" "UPDATE audit SET serial = 'T-9' WHERE seq = 4" >/dev/null
    fails_cleanly 1 "edited" "" "" "$ESCROW" authority --db "$db" verify-audit
    pg_sql "$name" "DELETE FROM audit; INSERT INTO audit SELECT * FROM audit_copy" >/dev/null
    ok "$ESCROW" authority --db "$db" verify-audit
    pg_sql "$name" "DELETE FROM audit WHERE seq = 3" >/dev/null
    fails_cleanly 1 "deleted" "" "" "$ESCROW" authority --db "$db" verify-audit
}

# The SQLite database of the README's demonstration (examples/run-demo.sh: the same commands)
# imported into PostgreSQL: verify-audit gives the same head, the granted request stays spent
# (its nonce moved too), and a new recovery from the PostgreSQL copy opens the file.
case_pg_import_demo() {
    cd "$W"
    local input="$FIX/big.bin" name=big.bin db o serial
    ok "$ESCROW" keygen --type rsa -o owner
    ok "$ESCROW" keygen --type rsa -o authority
    for o in olivia oscar opal; do ok "$ESCROW" officer keygen -o "$o"; done
    ok "$ESCROW" authority --db authority.db init --authority-key authority.pub --quorum 2
    for o in olivia oscar opal; do register_officer authority.db "$o" authority.pub; done
    ok "$ESCROW" encrypt --owner owner.pub --authority authority.pub --owner-id alice@example.com --record "$name.rec" \
        -o "$name.escrow" "$input"
    ok "$ESCROW" authority --db authority.db deposit "$name.rec"
    serial="$("$ESCROW" authority --db authority.db list | cut -f1 | head -n1)"
    rm owner.key
    ok "$ESCROW" keygen --type rsa -o owner-new
    ok "$ESCROW" officer request --serial "$serial" --new-owner owner-new.pub --authority authority.pub -o request.bin
    ok "$ESCROW" officer sign --key olivia.key -o olivia.sig request.bin
    ok "$ESCROW" officer sign --key opal.key -o opal.sig request.bin
    fails_cleanly 6 "needs the signatures of 2 distinct registered officers and has 1" owner-blob.bin "" "$ESCROW" authority --db authority.db recover --request request.bin \
        --signature olivia.sig --key authority.key -o owner-blob.bin
    ok "$ESCROW" authority --db authority.db recover --request request.bin --signature olivia.sig --signature opal.sig \
        --key authority.key -o owner-blob.bin
    ok "$ESCROW" authority --db authority.db verify-audit >sqlite-verify.txt

    note "import the demonstration's SQLite database into PostgreSQL"
    db=$(pg_new_db import)
    local uri
    uri=$(pg_uri "$db")
    ok "$ESCROW" authority --db "$uri" import --from authority.db >import.txt
    # Settings: the authority key, its fingerprint and wrap, the quorum, and the signed audit head.
    assert_contains import.txt "imported 1 records, 3 officers, 1 nonces, 5 settings"
    ok "$ESCROW" authority --db "$uri" verify-audit >pg-verify.txt
    cmp sqlite-verify.txt pg-verify.txt || fail "verify-audit differs between the SQLite original and the PostgreSQL copy"
    assert_contains import.txt "audit head $(sed -E 's/.*, head ([0-9a-f]{64}),.*/\1/' pg-verify.txt)"
    assert_contains pg-verify.txt "head signed up to seq 7"
    "$ESCROW" authority --db authority.db audit >sqlite-audit.txt
    ok "$ESCROW" authority --db "$uri" audit >pg-audit.txt
    cmp sqlite-audit.txt pg-audit.txt || fail "the audit logs differ"
    for sub in list officers; do
        "$ESCROW" authority --db authority.db "$sub" >"sqlite-$sub.txt"
        ok "$ESCROW" authority --db "$uri" "$sub" >"pg-$sub.txt"
        cmp "sqlite-$sub.txt" "pg-$sub.txt" || fail "'$sub' differs after import"
    done
    fails_cleanly 2 "import needs an empty one" "" "" "$ESCROW" authority --db "$uri" import --from authority.db

    note "recovery from the PostgreSQL copy: the spent request stays spent; a new one is granted"
    fails_cleanly 6 "replayed" blob2.bin "" "$ESCROW" authority --db "$uri" recover --request request.bin \
        --signature olivia.sig --signature opal.sig --key authority.key -o blob2.bin
    ok "$ESCROW" keygen --type rsa -o owner-newer
    ok "$ESCROW" officer request --serial "$serial" --new-owner owner-newer.pub --authority authority.pub -o request2.bin
    ok "$ESCROW" officer sign --key oscar.key -o oscar2.sig request2.bin
    ok "$ESCROW" officer sign --key opal.key -o opal2.sig request2.bin
    ok "$ESCROW" authority --db "$uri" recover --request request2.bin --signature oscar2.sig --signature opal2.sig \
        --key authority.key -o blob2.bin
    ok "$ESCROW" rewrap --blob blob2.bin --key owner-newer.key "$name.escrow"
    ok "$ESCROW" decrypt --key owner-newer.key -o "$name.recovered" "$name.escrow"
    cmp "$input" "$name.recovered" || fail "the file recovered from the PostgreSQL copy differs"
    ok "$ESCROW" authority --db "$uri" verify-audit

    note "and back out to a new SQLite file"
    ok "$ESCROW" authority --db back.db import --from "$db"
    ok "$ESCROW" authority --db back.db verify-audit >back-verify.txt
    ok "$ESCROW" authority --db "$uri" verify-audit >pg-verify2.txt
    cmp back-verify.txt pg-verify2.txt || fail "the copy back to SQLite has another head"
}

# Bad input on PostgreSQL: each one line on stderr, a documented exit status, nothing created or
# changed (the work directory and the database's tables as they were).
case_pg_errors() {
    cd "$W"
    local db name tables
    db=$(pg_new_db errors)
    name=$(pg_dbname "$db")
    tables() { pg_sql "$name" "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"; }
    fails_cleanly 2 "not a valid connection string" "" "" "$ESCROW" authority --db "postgresql://[::1" list
    fails_cleanly 2 "not a valid connection string" "" "" "$ESCROW" authority --db "$db nosuchkeyword=1" list
    fails_cleanly 3 "cannot connect" "" "" "$ESCROW" authority --db "postgresql://escrow@127.0.0.1:1/x?connect_timeout=2" list
    fails_cleanly 3 "password authentication failed" "" "" "$ESCROW" authority --db "$db user=escrow_pw password=wrong-pw" list
    grep -q wrong-pw "$CAP/stderr" && fail "the password was printed"
    fails_cleanly 3 "holds no escrow authority" "" "" "$ESCROW" authority --db "$db" list
    fails_cleanly 3 "holds no escrow authority" "" "" "$ESCROW" authority --db "$db" verify-audit
    [[ $(tables) -eq 0 ]] || fail "a failed command created tables"
    fails_cleanly 3 "does not exist" "" "" "$ESCROW" authority --db "$db" import --from "$db"x
    fails_cleanly 3 "does not exist" "" "" "$ESCROW" authority --db "$db" import --from missing.db
    [[ $(tables) -eq 0 ]] || fail "a failed import created tables"
    pg_init_authority "$db"
    local before
    before=$(pg_sql "$name" "SELECT count(*) FROM audit")
    pg_sql "$name" "INSERT INTO escrow_migrations(version, description) VALUES (3, 'from the future')" >/dev/null
    fails_cleanly 5 "schema version 3" "" "" "$ESCROW" authority --db "$db" list
    fails_cleanly 5 "schema version 3" "" "" "$ESCROW" authority --db "$db" init --authority-key "$FIX/auth1.pub" --quorum 1
    fails_cleanly 5 "schema version 3" "" "" "$ESCROW" authority --db ok.db import --from "$db"
    assert_absent ok.db
    [[ $(pg_sql "$name" "SELECT max(version) FROM escrow_migrations") -eq 3 ]] || fail "the newer schema was changed"
    [[ $(pg_sql "$name" "SELECT count(*) FROM audit") -eq $before ]] || fail "the audit log changed"
}

# The tool loads libpq only to talk to PostgreSQL (examples/cli/cli_libpq.cpp). With a libpq.so.5
# that cannot be loaded first on the library path, encryption, decryption and an SQLite authority
# still work, and a PostgreSQL command fails in one line that names the library and its package.
case_pg_without_libpq() {
    cd "$W"
    if ldd "$ESCROW" 2>/dev/null | grep -q 'libpq\.so'; then
        note "this escrow links libpq at start-up (ESCROW_CLI_LIBPQ_ON_DEMAND=OFF): nothing to check"
        return 0
    fi
    mkdir broken-lib
    : >broken-lib/libpq.so.5
    export LD_LIBRARY_PATH="$W/broken-lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --serial NL-1 --record nl.rec -o nl.enc "$FIX/plain.txt"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o nl.out nl.enc
    assert_same_content nl.out "$FIX/plain.txt"
    ok "$ESCROW" authority --db nl.db init --authority-key "$FIX/auth1.pub" --quorum 1
    ok "$ESCROW" authority --db nl.db deposit nl.rec
    fails_cleanly 3 "PostgreSQL needs libpq (libpq.so.5, Debian package libpq5), which could not be loaded" "" "" \
        "$ESCROW" authority --db "$(cat "$ESCROW_PG_CONNINFO_FILE") dbname=postgres" list
    [[ $(wc -l <"$CAP/stderr") -eq 1 ]] || fail "the error is not one line"
    fails_cleanly 3 "PostgreSQL needs libpq" "" "" "$ESCROW" authority --db "postgresql://escrow@127.0.0.1:1/x" list
}
