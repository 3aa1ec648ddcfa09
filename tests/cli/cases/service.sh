# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The backup authority as an HTTPS service (docs/authority-service.md): `escrow authority serve`
# started on a free loopback port with a throwaway certificate, then driven through `--server`,
# curl and openssl s_client. Sourced by ../run.sh, which runs one case_NAME function.

SERVICE_PID=""
SERVICE_URL=""

# A throwaway self-signed certificate for 127.0.0.1 and localhost: PREFIX.crt and PREFIX.key.
service_cert() {  # PREFIX
    "$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$1.key" -out "$1.crt" 2>/dev/null ||
        fail "openssl req could not make a certificate"
}

# The certificate's public-key pin, computed by openssl (the oracle for --pin).
service_pin() {  # CERT
    echo "sha256:$("$OPENSSL" x509 -in "$1" -pubkey -noout | "$OPENSSL" pkey -pubin -outform der |
        "$OPENSSL" dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')"
}

# Starts the server on DB with tls.crt/tls.key and the authority key KEY on a free port; sets
# SERVICE_PID and SERVICE_URL once it prints "listening on".
service_start() {  # DB KEY [SERVE-OPTIONS...]
    local db=$1 key=$2 i
    shift 2
    "$ESCROW" authority --db "$db" serve --listen "127.0.0.1:${SERVICE_PORT:-0}" --tls-cert tls.crt --tls-key tls.key --key "$key" "$@" \
        >serve.out 2>serve.err &
    SERVICE_PID=$!
    trap 'kill "$SERVICE_PID" 2>/dev/null || true' EXIT
    for i in $(seq 100); do
        SERVICE_URL=$(sed -n 's/^listening on //p' serve.out)
        [[ -n $SERVICE_URL ]] && break
        kill -0 "$SERVICE_PID" 2>/dev/null || { cat serve.err >&2; fail "the server exited before listening"; }
        sleep 0.1
    done
    [[ $SERVICE_URL =~ ^https://127\.0\.0\.1:[0-9]+$ ]] || fail "the server printed no 'listening on https://127.0.0.1:PORT'"
}

# Stops the server with SIGTERM; it must exit 0.
service_stop() {
    local rc=0
    kill -TERM "$SERVICE_PID"
    wait "$SERVICE_PID" || rc=$?
    [[ $rc -eq 0 ]] || { cat serve.err >&2; fail "the server exited $rc after SIGTERM"; }
    assert_contains serve.err "escrow: stopped"
}

# An authority database for KEYTYPE keys with alice registered locally (the first officer of an
# authority is registered at its database; the others can be registered through the service).
service_authority() {  # KEYGEN-OPTIONS...
    ok "$ESCROW" keygen "$@" -o authority
    ok "$ESCROW" authority --db authority.db init --authority-key authority.pub --quorum 2
    AUTH_FP=$(init_fingerprint)
    local o
    for o in alice bob carol; do ok "$ESCROW" officer keygen -o "$o"; done
    register_officer authority.db alice "$AUTH_FP"
    service_cert tls
}

# The HTTP status curl got for a request (the body in $CAP/body).
http_status() {  # CURL-ARGS...
    curl -s --cacert tls.crt -o "$CAP/body" -w '%{http_code}' "$@" || true
}

# The server still answers: GET /v1/authority gives 200 and the fingerprint.
still_serving() {
    [[ $(http_status "$SERVICE_URL/v1/authority") == 200 ]] || fail "the server no longer answers after: $1"
    assert_contains "$CAP/body" "\"fingerprint\":\"$AUTH_FP\""
}

# The README's demonstration through --server: deposit, officers sign, recover (K-1 refused, a
# replay refused), rewrap, decrypt, verify-audit; the outputs are those of the local commands.
case_service_flow() {
    cd "$W"
    command -v curl >/dev/null || fail "curl is needed (Debian package curl)"
    service_authority --type rsa --bits 2048
    service_start authority.db authority.key
    # An RSA key is served from OpenSSL's memory (escrow/service/openssl_rsa.hpp): every unwrap
    # below goes through it, and its audit key is the one the key file gives locally.
    assert_contains serve.err "private key operation: OpenSSL"
    local -a srv=(authority --server "$SERVICE_URL" --ca tls.crt) pin
    pin=(authority --server "$SERVICE_URL" --pin "$(service_pin tls.crt)")

    note "officers registered through the service, signed by alice"
    for o in bob carol; do
        ok "$ESCROW" officer prove --key "$o.key" --name "$o" --fingerprint "$AUTH_FP" -o "$o.proof"
        ok "$ESCROW" "${srv[@]}" --officer-key alice.key register-officer "$o" "$o.pub" --proof "$o.proof"
        assert_contains "$CAP/stderr" "escrow: registered officer '$o'"
    done
    ok "$ESCROW" "${pin[@]}" --officer-key bob.key officers >officers.txt
    ok "$ESCROW" authority --db authority.db officers >officers-local.txt
    assert_same_content officers.txt officers-local.txt
    [[ $(wc -l <officers.txt) -eq 3 ]] || fail "expected three officers"

    note "encrypt, deposit over the network (twice: the second changes nothing)"
    ok "$ESCROW" keygen --type rsa --bits 2048 -o owner
    ok "$ESCROW" encrypt --owner owner.pub --authority authority.pub --serial SVC-0001 --owner-id alice@example.org \
        --description "the report" --record file.rec -o file.enc "$FIX/plain.txt"
    ok "$ESCROW" "${srv[@]}" deposit file.rec
    assert_contains "$CAP/stderr" "escrow: deposited SVC-0001"
    ok "$ESCROW" "${pin[@]}" deposit file.rec
    assert_contains "$CAP/stderr" "escrow: already present SVC-0001"
    ok "$ESCROW" "${srv[@]}" --officer-key carol.key list >list.txt
    ok "$ESCROW" authority --db authority.db list >list-local.txt
    assert_same_content list.txt list-local.txt
    assert_matches list.txt "^SVC-0001	active	alice@example.org	"

    note "the owner loses the key; officers sign a request; K-1 signatures are refused"
    rm owner.key
    ok "$ESCROW" keygen --type rsa --bits 2048 -o newowner
    ok "$ESCROW" officer request --record file.rec --new-owner newowner.pub -o req.bin
    for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "$o.sig" req.bin; done
    fails_cleanly 6 "needs the signatures of 2 distinct registered officers and has 1" blob.bin "" \
        "$ESCROW" "${srv[@]}" recover --request req.bin --signature alice.sig -o blob.bin
    still_serving "a recovery with K-1 signatures"
    ok "$ESCROW" "${srv[@]}" recover --request req.bin --signature alice.sig --signature bob.sig -o blob.bin
    assert_contains "$CAP/stderr" "recovery of SVC-0001 granted"
    fails_cleanly 6 "replayed" blob2.bin "" "$ESCROW" "${srv[@]}" recover --request req.bin --signature alice.sig \
        --signature bob.sig -o blob2.bin

    note "the owner rewraps and decrypts"
    ok "$ESCROW" rewrap --blob blob.bin --key newowner.key --record file.rec file.enc
    ok "$ESCROW" decrypt --key newowner.key -o file.out file.enc
    cmp "$FIX/plain.txt" file.out || fail "the file recovered through the service differs from the original"

    note "the audit log, checked by the client with the audit key the server gives"
    ok "$ESCROW" "${srv[@]}" audit-key -o audit.pub
    ok "$ESCROW" authority --db authority.db audit-key --key authority.key -o audit-local.pub
    assert_same_content audit.pub audit-local.pub
    ok "$ESCROW" "${srv[@]}" --officer-key alice.key verify-audit --audit-key audit.pub >verify.txt
    assert_contains verify.txt "audit log valid"
    assert_contains verify.txt "head signed up to seq"
    ok "$ESCROW" "${srv[@]}" --officer-key alice.key audit >audit.txt
    ok "$ESCROW" authority --db authority.db audit >audit-local.txt
    assert_same_content audit.txt audit-local.txt
    assert_contains audit.txt "	recovery	SVC-0001	granted	officers alice, bob"
    ok "$ESCROW" "${srv[@]}" --officer-key alice.key export-head -o head.bin
    ok "$ESCROW" "${srv[@]}" --officer-key alice.key verify-audit --audit-key audit.pub --head head.bin

    note "revocation over the service stops recovery"
    ok "$ESCROW" "${srv[@]}" --officer-key bob.key revoke SVC-0001
    assert_contains "$CAP/stderr" "escrow: revoked SVC-0001"
    ok "$ESCROW" "${srv[@]}" --officer-key bob.key list >list2.txt
    assert_matches list2.txt "^SVC-0001	revoked	"

    note "a wrong pin and an untrusted certificate are refused before anything is sent"
    local before
    before=$(sha authority.db)
    ok "$ESCROW" encrypt --owner newowner.pub --authority authority.pub --serial SVC-0002 --record two.rec -o two.enc "$FIX/plain.txt"
    expect_exit 1 "does not match the pin" "$ESCROW" authority --server "$SERVICE_URL" \
        --pin sha256:0000000000000000000000000000000000000000000000000000000000000000 deposit two.rec
    service_cert other
    expect_exit 1 "is not trusted" "$ESCROW" authority --server "$SERVICE_URL" --ca other.crt deposit two.rec
    [[ $(sha authority.db) == "$before" ]] || fail "a refused client changed the database"
    ok "$ESCROW" "${srv[@]}" --officer-key bob.key list >list3.txt
    [[ $(wc -l <list3.txt) -eq 1 ]] || fail "a record sent to an untrusted server arrived"

    note "encrypt --deposit: the record goes to the service right after the file is written"
    ok "$ESCROW" encrypt --owner newowner.pub --authority authority.pub --serial SVC-0003 --record three.rec \
        --deposit "$SERVICE_URL" --ca tls.crt -o three.enc "$FIX/plain.txt"
    assert_contains "$CAP/stderr" "escrow: deposited with $SERVICE_URL: SVC-0003"
    ok "$ESCROW" "${srv[@]}" --officer-key bob.key list >list4.txt
    assert_matches list4.txt "^SVC-0003	active	"
    expect_exit 2 "--deposit URL deposits the --record files" "$ESCROW" encrypt --owner newowner.pub \
        --authority authority.pub --deposit "$SERVICE_URL" -o four.enc "$FIX/plain.txt"
    assert_absent four.enc

    note "usage: --officer-key where an officer signs, and --server with --db refused"
    expect_exit 2 "--officer-key KEY is required" "$ESCROW" "${srv[@]}" list
    expect_exit 2 "--db or --server, not both" "$ESCROW" authority --db authority.db --server "$SERVICE_URL" list
    service_stop

    note "a deposit that fails keeps the file and its record, exits non-zero and names the record"
    expect_exit 3 "deposit it later with 'escrow authority --server URL deposit five.rec'" "$ESCROW" encrypt \
        --owner newowner.pub --authority authority.pub --serial SVC-0005 --record five.rec --deposit "$SERVICE_URL" \
        --ca tls.crt -o five.enc "$FIX/plain.txt"
    [[ -s five.enc && -s five.rec ]] || fail "a failed deposit removed the encrypted file or its record"
    ok "$ESCROW" decrypt --key newowner.key -o five.out five.enc
    cmp "$FIX/plain.txt" five.out || fail "the file kept after a failed deposit does not decrypt"

    note "SIGTERM stopped the server with every acknowledged deposit in the database"
    ok "$ESCROW" authority --db authority.db list >final.txt
    [[ $(grep -c "	" final.txt) -eq 2 ]] || fail "expected the two acknowledged records in the database"
    assert_matches final.txt "^SVC-0003	active	"
}

# Bad input, each refused with its status, and the server still answers the next request.
case_service_bad_input() {
    cd "$W"
    command -v curl >/dev/null || fail "curl is needed (Debian package curl)"
    service_authority --type x25519
    service_start authority.db authority.key --read-timeout 2 --max-body 4096
    assert_contains serve.err "private key operation: Crypto++"
    local host=${SERVICE_URL#https://} port=${SERVICE_URL##*:}

    note "malformed HTTP: 400 with a JSON error"
    printf 'NOT HTTP AT ALL\r\n\r\n' | timeout 10 "$OPENSSL" s_client -quiet -connect "$host" >raw.txt 2>/dev/null || true
    assert_matches raw.txt '^HTTP/1.1 400'
    assert_contains raw.txt '"error":"invalid_argument"'
    still_serving "malformed HTTP"

    note "a body over the limit: 413"
    head -c 5000 /dev/zero | tr '\0' 'a' >big.json
    [[ $(http_status -X POST --data-binary @big.json -H 'Content-Type: application/json' "$SERVICE_URL/v1/deposit") == 413 ]] ||
        fail "an oversize body was not refused with 413"
    still_serving "an oversize body"

    note "a slow-loris client is cut off after the read timeout, and others are served meanwhile"
    local start end
    start=$(date +%s)
    { printf 'GET /v1/authority HTTP/1.1\r\nHost: x\r\n'; sleep 6; printf '\r\n'; } |
        timeout 20 "$OPENSSL" s_client -quiet -connect "$host" >loris.txt 2>/dev/null &
    local loris=$!
    sleep 0.5
    still_serving "a slow client holding a connection"
    wait "$loris" || true
    end=$(date +%s)
    [[ ! -s loris.txt ]] || fail "the slow client got an answer: $(cat loris.txt)"
    still_serving "a slow-loris client"
    note "slow client cut off after $((end - start)) s"

    note "TLS garbage: the handshake fails, the server goes on"
    head -c 2000 /dev/urandom >garbage.bin
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    cat garbage.bin >&3 || true
    exec 3>&-
    still_serving "TLS garbage"

    note "JSON of the wrong shape: 400"
    local body
    for body in '[1,2]' '{"record": 5}' '{"nothing": "here"}' '{"record": "not base64!"}' '{'; do
        [[ $(http_status -X POST --data-binary "$body" "$SERVICE_URL/v1/deposit") == 400 ]] ||
            fail "the body $body was not refused with 400: $(cat "$CAP/body")"
        assert_contains "$CAP/body" '"error":"invalid_argument"'
    done
    still_serving "JSON of the wrong shape"

    note "a forged record (valid shape, wrong MAC): refused, audited, and the real one still deposits"
    ok "$ESCROW" keygen --type x25519 -o owner
    ok "$ESCROW" encrypt --format age --owner owner.pub --authority authority.pub --serial SVC-F --record real.rec \
        -o file.age "$FIX/plain.txt"
    local size
    size=$(size_of real.rec)
    flip_byte real.rec forged.rec $((size - 1))
    expect_exit 1 "does not verify under the authority key" "$ESCROW" authority --server "$SERVICE_URL" --ca tls.crt deposit forged.rec
    ok "$ESCROW" authority --server "$SERVICE_URL" --ca tls.crt deposit real.rec
    assert_contains "$CAP/stderr" "escrow: deposited SVC-F"
    ok "$ESCROW" authority --db authority.db audit >audit.txt
    assert_contains audit.txt "	deposit	SVC-F	refused	"

    note "an unsigned officer request: 401"
    [[ $(http_status "$SERVICE_URL/v1/records") == 401 ]] || fail "an unsigned list was not refused with 401"
    assert_contains "$CAP/body" "signed by a registered officer"
    [[ $(http_status "$SERVICE_URL/v1/nowhere") == 404 ]] || fail "an unknown endpoint was not 404"
    still_serving "an unsigned request"

    note "too many connections: those over the limit are closed, the server goes on"
    service_stop
    service_start authority.db authority.key --max-connections 1 --read-timeout 3
    { sleep 2; } | timeout 5 "$OPENSSL" s_client -quiet -connect "${SERVICE_URL#https://}" >/dev/null 2>&1 &
    local holder=$!
    sleep 0.5
    [[ $(http_status "$SERVICE_URL/v1/authority") == 000 ]] || fail "a connection over the limit was served"
    wait "$holder" || true
    sleep 0.5
    still_serving "a connection over the limit"
    service_stop
}

# 4 clients x 250 concurrent deposits while the server is stopped part-way, by SIGNAL, and
# started again on the same port (the clients go on against it): every deposit a client reported as acknowledged is in the
# database, every other one was reported failed, and each record got exactly one report.
service_fault_run() {  # SIGNAL
    local sig=$1 p port
    [[ -x ${ESCROW_DEPOSIT_LOAD:-} && -x ${ESCROW_MAKE_RECORDS:-} ]] ||
        fail "ESCROW_DEPOSIT_LOAD and ESCROW_MAKE_RECORDS must name the test helpers (tests/cli/CMakeLists.txt)"
    ok "$ESCROW" authority --db authority.db init --authority-key "$FIX/auth1.pub" --quorum 1
    service_cert tls
    for p in 0 1 2 3; do
        mkdir "r$p"
        "$ESCROW_MAKE_RECORDS" "$FIX/owner.pub" "$FIX/auth1.pub" "F$p" 250 "r$p" || fail "make_records"
    done
    service_start authority.db "$FIX/auth1.key"
    port=${SERVICE_URL##*:}
    local -a clients=()
    for p in 0 1 2 3; do
        "$ESCROW_DEPOSIT_LOAD" "$SERVICE_URL" tls.crt 1 "r$p"/*.rec >"out$p.txt" 2>"sum$p.txt" &
        clients+=($!)
    done
    # Part-way: once some deposits are acknowledged.
    local i
    for i in $(seq 200); do
        [[ $(cat out*.txt | grep -c '^ack ' || true) -ge 100 ]] && break
        sleep 0.05
    done
    kill -"$sig" "$SERVICE_PID"
    local rc=0
    wait "$SERVICE_PID" || rc=$?
    if [[ $sig == TERM ]]; then
        [[ $rc -eq 0 ]] || fail "SIGTERM: the server exited $rc"
    else
        [[ $rc -eq 137 ]] || fail "SIGKILL: the server exited $rc"
    fi
    note "server stopped by SIG$sig after $(cat out*.txt | grep -c '^ack ' || true) acknowledgements"
    sleep 0.5
    SERVICE_PORT=$port service_start authority.db "$FIX/auth1.key"
    for p in 0 1 2 3; do
        wait "${clients[$p]}" || fail "client $p exited non-zero"
    done
    cat out*.txt >reports.txt
    [[ $(wc -l <reports.txt) -eq 1000 ]] || fail "expected 1000 reports, got $(wc -l <reports.txt)"
    [[ $(awk '{print $2}' reports.txt | sort -u | wc -l) -eq 1000 ]] || fail "a record was reported twice"
    grep -E '^(ack|fail) F[0-3]-[0-9]+' -c reports.txt | grep -qx 1000 || fail "a report is neither ack nor fail"
    service_stop
    ok "$ESCROW" authority --db authority.db list >list.txt
    local missing
    missing=$(comm -23 <(grep '^ack ' reports.txt | awk '{print $2}' | sort) <(cut -f1 list.txt | sort))
    [[ -z $missing ]] || fail "acknowledged but not in the database: $missing"
    ok "$ESCROW" authority --db authority.db verify-audit >verify.txt
    note "SIG$sig: $(grep -c '^ack ' reports.txt) acknowledged (all in the database), $(grep -c '^fail ' reports.txt) reported failed, $(wc -l <list.txt) stored; $(cat verify.txt)"
}

case_service_fault_sigkill() {
    cd "$W"
    service_fault_run KILL
}

case_service_fault_sigterm() {
    cd "$W"
    service_fault_run TERM
}

# The service on a PostgreSQL database (the fixture's server): deposit, list, recover and the
# audit through --server, the database seen the same by the local commands.
case_pg_service() {
    cd "$W"
    local db
    db=$(pg_uri "$(pg_new_db service)")
    pg_init_authority "$db"
    service_cert tls
    service_start "$db" "$FIX/auth1.key"
    local -a srv=(authority --server "$SERVICE_URL" --ca tls.crt)
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --serial PG-SVC-1 --record file.rec \
        --deposit "$SERVICE_URL" --ca tls.crt -o file.enc "$FIX/plain.txt"
    assert_contains "$CAP/stderr" "escrow: deposited with $SERVICE_URL: PG-SVC-1"
    ok "$ESCROW" "${srv[@]}" --officer-key alice.key list >list.txt
    ok "$ESCROW" authority --db "$db" list >list-local.txt
    assert_same_content list.txt list-local.txt
    assert_matches list.txt "^PG-SVC-1	active	"
    ok "$ESCROW" officer request --record file.rec --new-owner "$FIX/auth2.pub" -o req.bin
    ok "$ESCROW" officer sign --key alice.key -o alice.sig req.bin
    ok "$ESCROW" "${srv[@]}" recover --request req.bin --signature alice.sig -o blob.bin
    assert_contains "$CAP/stderr" "recovery of PG-SVC-1 granted"
    ok "$ESCROW" "${srv[@]}" --officer-key alice.key verify-audit >verify.txt
    assert_contains verify.txt "audit log valid"
    ok "$ESCROW" "${srv[@]}" --officer-key alice.key audit >audit.txt
    ok "$ESCROW" authority --db "$db" audit >audit-local.txt
    assert_same_content audit.txt audit-local.txt
    service_stop
}

# --client-ca: only clients with a certificate from that CA are served, deposits included.
case_service_client_ca() {
    cd "$W"
    service_authority --type x25519
    service_cert client
    service_start authority.db authority.key --client-ca client.crt
    ok "$ESCROW" keygen --type x25519 -o owner
    ok "$ESCROW" encrypt --format age --owner owner.pub --authority authority.pub --serial SVC-CA --record file.rec \
        -o file.age "$FIX/plain.txt"
    local rc=0
    "$ESCROW" authority --server "$SERVICE_URL" --ca tls.crt deposit file.rec 2>"$CAP/stderr" || rc=$?
    [[ $rc -ne 0 ]] || fail "a client without a certificate was served"
    note "without a client certificate: exit $rc, $(cat "$CAP/stderr")"
    ok "$ESCROW" authority --server "$SERVICE_URL" --ca tls.crt --client-cert client.crt --client-key client.key deposit file.rec
    assert_contains "$CAP/stderr" "escrow: deposited SVC-CA"
    service_stop
}
