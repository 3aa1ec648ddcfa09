# shellcheck shell=bash disable=SC2164  # run.sh runs every case under set -e
# SPDX-License-Identifier: MIT
# The escrow CLI's cases for what a new user tripped on (issue 17), one case per item of its list,
# and for the man page and the bash completion made from the --help texts. Sourced by ../run.sh,
# which runs one case_NAME function (see there).

# A native file of the fixtures' big.bin for owner.pub and auth1.pub, with its record.
usability_native_file() {  # OUT RECORD
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record "$2" -o "$1" "$FIX/big.bin"
}

# One member of an escrow record, from its JSON rendering by `escrow inspect`.
record_field() {  # RECORD MEMBER
    "$ESCROW" inspect "$1" >"$1.json" || fail "escrow inspect $1 failed"
    json_get "$1.json" "$2"
}

# An OpenSSH RSA key pair PREFIX (private key) and PREFIX.pub (the ssh-rsa line), by ssh-keygen.
usability_ssh_rsa() {  # PREFIX
    command -v ssh-keygen >/dev/null || fail "ssh-keygen is needed (Debian package openssh-client)"
    ssh-keygen -q -t rsa -b 2048 -N '' -C "user@host" -f "$1" </dev/null
}

# 1. Outputs that are not regular files (devices, FIFOs, /dev/stdout) are written directly, with
#    no temporary file beside them and no "already exists"; `-o .` names a directory.
case_usability_direct_outputs() {
    cd "$W"
    usability_native_file file.enc file.rec
    note "-o /dev/null checks a file: exit 0 when intact, 1 when tampered"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o /dev/null file.enc
    flip_byte file.enc tampered.enc $(( $(size_of file.enc) - 100 ))
    expect_exit 1 "failed authentication" "$ESCROW" decrypt --key "$FIX/owner.key" -o /dev/null tampered.enc
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o /dev/null "$FIX/plain.txt"
    note "-o /dev/stdout into a pipe and into a file"
    "$ESCROW" decrypt --key "$FIX/owner.key" -o /dev/stdout file.enc 2>"$CAP/stderr" | cat >piped.out
    assert_same_content piped.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o /dev/stdout file.enc >redirected.out
    assert_same_content redirected.out "$FIX/big.bin"
    note "a FIFO"
    mkfifo fifo
    cat fifo >fifo.out &
    local reader=$!
    ok "$ESCROW" decrypt --key "$FIX/owner.key" -o fifo file.enc
    wait "$reader"
    assert_same_content fifo.out "$FIX/big.bin"
    assert_no_temp "$W"
    note "a directory, and a regular file that exists"
    fails_cleanly 3 "-o '.' is a directory; give the name of a new file in it" "" file.enc \
        "$ESCROW" decrypt --key "$FIX/owner.key" -o . file.enc
    fails_cleanly 3 "already exists; choose another name" "" file.enc \
        "$ESCROW" decrypt --key "$FIX/owner.key" -o piped.out file.enc
}

# 2. `authority init` on a database made for another wrap is refused, naming both.
case_usability_init_other_wrap() {
    cd "$W"
    ok "$ESCROW" authority --db a.db init --authority-key "$FIX/auth1.pub" --quorum 1
    assert_contains "$CAP/stderr" "for the rsa-oaep-sha256 authority key"
    fails_cleanly 2 "is already initialised for the rsa-oaep-sha256 authority key, not rsa-pkcs1v15" "" a.db \
        "$ESCROW" authority --db a.db init --authority-key "$FIX/auth1.pub" --quorum 1 --wrap rsa-pkcs1v15
    ok "$ESCROW" authority --db a.db init --authority-key "$FIX/auth1.pub" --quorum 1
    assert_contains "$CAP/stderr" "already initialised"
}

# 3. Key mistakes named with the next step; OpenSSH RSA keys are RSA keys for every format; the
# native format takes age X25519 and ssh-ed25519 keys too (case mixed_native), CryptoAPI RSA only.
case_usability_key_kinds() {
    cd "$W"
    local in="$FIX/plain.txt"
    ok "$ESCROW" keygen --type x25519 -o x
    fails_cleanly 4 "is an age X25519 recipient (age1...), not an RSA key: age keys are for --format native and age" out.enc "$in" \
        "$ESCROW" encrypt --format cryptoapi --owner x.pub --authority "$FIX/auth1.pub" --record r.rec -o out.enc "$in"
    ok "$ESCROW" keygen --type ssh-ed25519 -o ed
    fails_cleanly 4 "is an OpenSSH ssh-ed25519 key, not an RSA key" out.enc "$in" \
        "$ESCROW" encrypt --format cryptoapi --owner ed.pub --authority "$FIX/auth1.pub" --record r.rec -o out.enc "$in"
    printf 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY u@h\n' >ec.pub
    fails_cleanly 4 "is an OpenSSH ecdsa-sha2-nistp256 key, not an RSA key" out.enc "$in" \
        "$ESCROW" encrypt --owner ec.pub --authority "$FIX/auth1.pub" -o out.enc "$in"
    usability_ssh_rsa id_rsa
    note "ssh-rsa keys for the native format"
    ok "$ESCROW" encrypt --owner id_rsa.pub --authority "$FIX/auth1.pub" -o n.enc "$in"
    ok "$ESCROW" decrypt --key id_rsa -o n.out n.enc
    assert_same_content n.out "$in"
    fails_cleanly 1 "no_matching_key" out.bin n.enc "$ESCROW" decrypt --key x.key -o out.bin n.enc
    note "and for the CryptoAPI format"
    ok "$ESCROW" encrypt --format cryptoapi --owner id_rsa.pub --authority "$FIX/auth1.pub" --record c.rec -o c.enc "$in"
    ok "$ESCROW" decrypt --format cryptoapi --key id_rsa -o c.out c.enc
    assert_same_content c.out "$in"
}

# 4. Every option that takes a public key takes every form: age1... and ssh-rsa strings too.
case_usability_key_forms() {
    cd "$W"
    local in="$FIX/plain.txt"
    ok "$ESCROW" keygen --type x25519 -o auth
    ok "$ESCROW" keygen --type x25519 -o owner
    ok "$ESCROW" keygen --type x25519 -o newowner
    ok "$ESCROW" authority --db a.db init --authority-key "$(cat auth.pub)" --quorum 1
    assert_contains "$CAP/stderr" "for the x25519 authority key"
    ok "$ESCROW" encrypt --format age --owner "$(cat owner.pub)" --authority "$(cat auth.pub)" --record f.rec -o f.age "$in"
    ok "$ESCROW" officer request --serial "$(record_field f.rec serial)" --new-owner "$(cat newowner.pub)" \
        --authority "$(cat auth.pub)" -o req.bin
    ok "$ESCROW" officer request --record f.rec --new-owner "$(cat newowner.pub)" -o req2.bin
    usability_ssh_rsa id_rsa
    ok "$ESCROW" encrypt --owner "$(cat id_rsa.pub)" --authority "$FIX/auth1.pub" -o s.enc "$in"
    ok "$ESCROW" decrypt --key id_rsa -o s.out s.enc
    assert_same_content s.out "$in"
    ok "$ESCROW" authority --db r.db init --authority-key "$(cat id_rsa.pub)" --wrap rsa-oaep-sha256 --quorum 1
    assert_contains "$CAP/stderr" "for the rsa-oaep-sha256 authority key"
}

# 5. `officer request --record` takes the serial, the wrap and the authority from the record: a
#    CryptoAPI recovery needs no --wrap to be right.
case_usability_request_from_record() {
    cd "$W"
    local in="$FIX/big.bin"
    ok "$ESCROW" authority --db a.db init --authority-key "$FIX/auth1.pub" --wrap rsa-pkcs1v15 --quorum 2
    ok "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record f.rec -o f.enc "$in"
    ok "$ESCROW" authority --db a.db deposit f.rec
    local o
    for o in alice bob; do
        ok "$ESCROW" officer keygen -o "$o"
        register_officer a.db "$o" "$FIX/auth1.pub"
    done
    ok "$ESCROW" keygen --type rsa --bits 2048 -o new
    ok "$ESCROW" officer request --record f.rec --new-owner new.pub -o req.bin
    assert_contains "$CAP/stderr" "rsa-pkcs1v15"
    for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "$o.sig" req.bin; done
    fails_cleanly 6 "needs the signatures of 2 distinct registered officers and has 1" blob.bin "" \
        "$ESCROW" authority --db a.db recover --request req.bin --signature alice.sig --key "$FIX/auth1.key" -o blob.bin
    ok "$ESCROW" authority --db a.db recover --request req.bin --signature alice.sig --signature bob.sig \
        --key "$FIX/auth1.key" -o blob.bin
    ok "$ESCROW" rewrap --blob blob.bin --key new.key --record f.rec f.enc
    ok "$ESCROW" decrypt --format cryptoapi --key new.key -o f.out f.enc
    assert_same_content f.out "$in"
    fails_cleanly 2 "drop --serial, --authority and --wrap" req2.bin "" \
        "$ESCROW" officer request --record f.rec --serial X --new-owner new.pub -o req2.bin
    note "without the record, the wrong wrap is named at recovery"
    ok "$ESCROW" officer request --serial "$(record_field f.rec serial)" --new-owner new.pub --authority "$FIX/auth1.pub" -o old.bin
    for o in alice bob; do ok "$ESCROW" officer sign --key "$o.key" -o "old-$o.sig" old.bin; done
    fails_cleanly 5 "is for wrap rsa-oaep-sha256 (0x" blob2.bin "" "$ESCROW" authority --db a.db recover --request old.bin \
        --signature old-alice.sig --signature old-bob.sig --key "$FIX/auth1.key" -o blob2.bin
}

# 6. Messages that name the right thing.
case_usability_messages() {
    cd "$W"
    usability_native_file file.enc file.rec
    usability_native_file other.enc other.rec
    ok "$ESCROW" authority --db a.db init --authority-key "$FIX/auth1.pub" --quorum 1
    note "an encrypted file given to deposit"
    fails_cleanly 5 "deposit 'file.enc' is an encrypted file, not an escrow record" "" a.db \
        "$ESCROW" authority --db a.db deposit file.enc
    note "names instead of hex ids"
    ok "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record c.rec \
        -o c.enc "$FIX/plain.txt"
    fails_cleanly 5 "the record's wrap rsa-pkcs1v15 (0x" "" a.db "$ESCROW" authority --db a.db deposit c.rec
    note "a record of another file: the serials named"
    fails_cleanly 1 "is the record of serial $(record_field other.rec serial), but the input is serial $(record_field file.rec serial)" \
        out.bin file.enc "$ESCROW" decrypt --key "$FIX/auth1.key" --record other.rec -o out.bin file.enc
    note "a passphrase age file"
    local vec="$HERE/../vectors/age/testdata/scrypt" at
    at=$(grep -bam1 '^$' "$vec" | cut -d: -f1)
    tail -c +$((at + 2)) "$vec" >pass.age
    ok "$ESCROW" keygen --type x25519 -o x
    fails_cleanly 1 "encrypted with a passphrase (age -p)" out.bin pass.age "$ESCROW" decrypt --key x.key -o out.bin pass.age
    note "a truncated file, after its header authenticated: not a wrong key"
    head -c 100000 file.enc >short.enc
    fails_cleanly 1 "the file was modified or truncated after its header" out.bin short.enc \
        "$ESCROW" decrypt --key "$FIX/owner.key" -o out.bin short.enc
    ! grep -q "wrong key" "$CAP/stderr" || fail "a truncated file is reported as a possibly wrong key"
    note "--db on a file that is not a database"
    printf 'not a database, just text that is long enough to be read as a header by SQLite\n' >x.db
    fails_cleanly 5 "--db 'x.db' is not an authority database" "" x.db "$ESCROW" authority --db x.db list
}

# 8. The owner's own key as an authority is refused (docs/cli.md says why), in every format.
case_usability_owner_as_authority() {
    cd "$W"
    local in="$FIX/plain.txt"
    fails_cleanly 2 "--authority '$FIX/owner.pub' is the owner's own key" out.enc "$in" \
        "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --authority "$FIX/owner.pub" -o out.enc "$in"
    fails_cleanly 2 "is the owner's own key" out.enc "$in" "$ESCROW" encrypt --format cryptoapi --owner "$FIX/owner.pub" \
        --authority "$FIX/owner.pub.der" --record r.rec -o out.enc "$in"
    ok "$ESCROW" keygen --type x25519 -o x
    fails_cleanly 2 "is the owner's own key" out.age "$in" \
        "$ESCROW" encrypt --format age --owner x.pub --authority "$(cat x.pub)" -o out.age "$in"
}

# 9. Habits from age: several -i tried in order, recipient files of several lines, keygen's
#    default type, inspect of several files.
case_usability_age_habits() {
    cd "$W"
    usability_native_file file.enc file.rec
    note "decrypt -i WRONG -i RIGHT"
    ok "$ESCROW" decrypt -i "$FIX/other.key" -i "$FIX/owner.key" -o n.out file.enc
    assert_same_content n.out "$FIX/big.bin"
    ok "$ESCROW" decrypt --key "$FIX/other.key" --key "$FIX/auth2.key" --key "$FIX/auth1.key" --record file.rec -o r.out file.enc
    assert_same_content r.out "$FIX/big.bin"
    fails_cleanly 1 "none of the 2 --key files opens any of the input's 2 recipients" out.bin file.enc \
        "$ESCROW" decrypt -i "$FIX/other.key" -i "$FIX/auth2.key" -o out.bin file.enc
    local k
    for k in a b c d; do ok "$ESCROW" keygen --type x25519 -o "$k"; done
    ok "$ESCROW" encrypt --format age --owner a.pub --authority b.pub -o f.age "$FIX/plain.txt"
    ok "$ESCROW" decrypt -i c.key -i a.key -o a.out f.age
    assert_same_content a.out "$FIX/plain.txt"
    note "a recipients file of several lines gives several authorities"
    { echo "# the authorities"; cat b.pub c.pub d.pub; } >authorities.txt
    ok "$ESCROW" encrypt --format age --owner a.pub --authority authorities.txt -o three.age "$FIX/plain.txt"
    ok "$ESCROW" inspect three.age >three.txt
    [[ $(grep -c ': X25519, 1 argument, body' three.txt) -eq 4 ]] || { cat three.txt >&2; fail "expected 4 stanzas"; }
    ok "$ESCROW" decrypt -i d.key -o d.out three.age
    assert_same_content d.out "$FIX/plain.txt"
    fails_cleanly 2 "holds 3 recipients; a file has one owner" out.age "" \
        "$ESCROW" encrypt --format age --owner authorities.txt --authority b.pub -o out.age "$FIX/plain.txt"
    note "keygen makes RSA keys by default"
    ok "$ESCROW" keygen --bits 2048 -o plain
    assert_contains "$CAP/stderr" "RSA-2048 public key"
    note "inspect takes several files"
    ok "$ESCROW" inspect file.enc file.rec f.age >several.txt
    assert_contains several.txt "format:        escrow native"
    assert_contains several.txt '"format": "escrow-record"'
    assert_contains several.txt "format:        age"
    expect_exit 5 "unknown format" "$ESCROW" inspect file.enc "$FIX/plain.txt"
    assert_contains "$CAP/stdout" "format:        escrow native"
}

# 10. Cosmetic: the bar's line ended when the reader of the output goes away; "1 argument"; no
#     exit-code table in each --help; `deposited` on stderr; --owner-id from the system without
#     $USER.
case_usability_cosmetic() {
    cd "$W"
    head -c $((16 * 1024 * 1024)) /dev/urandom >big
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" -o big.enc big
    on_tty 0 bash -c "'$ESCROW' decrypt --key '$FIX/owner.key' -o /dev/stdout big.enc | head -c 10 >/dev/null"
    assert_contains "$CAP/tty" $'\r'"decrypting "
    ! grep -qF "100%" "$CAP/tty" || fail "the bar reached 100% though the reader went away"
    [[ "$(tail -c1 "$CAP/tty" | od -An -tx1 | tr -d ' ')" == 0a ]] || { cat -v "$CAP/tty" >&2; fail "the bar's line was not ended"; }
    note "--help of a command points to the exit codes instead of repeating the table"
    local c
    for c in keygen encrypt decrypt inspect authority officer rewrap; do
        ok "$ESCROW" "$c" --help >help.txt
        assert_contains help.txt "docs/cli.md"
        ! grep -q "^Exit codes:" help.txt || fail "escrow $c --help repeats the exit-code table"
    done
    note "deposit confirms on stderr, as the other commands"
    ok "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record f.rec -o f.enc "$FIX/plain.txt"
    ok "$ESCROW" authority --db a.db init --authority-key "$FIX/auth1.pub" --quorum 1
    ok "$ESCROW" authority --db a.db deposit f.rec >deposit.out
    [[ ! -s deposit.out ]] || fail "deposit wrote to standard output"
    assert_contains "$CAP/stderr" "escrow: deposited $(record_field f.rec serial)"
    note "--owner-id without \$USER: the system's name for the user"
    ok env -u USER "$ESCROW" encrypt --owner "$FIX/owner.pub" --authority "$FIX/auth1.pub" --record u.rec -o u.enc "$FIX/plain.txt"
    local owner expected
    owner=$(record_field u.rec owner)
    expected=$(id -un 2>/dev/null || echo "uid $(id -u)")   # a user with no passwd entry: the number
    [[ $owner == "$expected" ]] || fail "owner id '$owner', expected '$expected'"
}

# escrow(1), generated from the --help texts, renders with no warning and holds every command and
# option; `cmake --install` puts it and the completion where man and bash-completion look.
case_man_page() {
    cd "$W"
    [[ -n ${ESCROW_MAN:-} && -s $ESCROW_MAN ]] || fail "the generated man page is missing ('$ESCROW_MAN': build escrow_cli_docs)"
    command -v man >/dev/null || fail "man is needed (Debian packages man-db, groff-base)"
    LC_ALL=C MANWIDTH=100 man --warnings -l "$ESCROW_MAN" >man.txt 2>man.err || fail "man -l failed: $(cat man.err)"
    [[ ! -s man.err ]] || { cat man.err >&2; fail "man --warnings reported warnings"; }
    assert_contains man.txt "ESCROW(1)"
    assert_contains man.txt "EXIT STATUS"
    local c o
    for c in keygen encrypt decrypt inspect authority officer rewrap; do
        assert_contains man.txt "escrow $c"
        "$ESCROW" "$c" --help >help.txt
        grep -oE -- '--[a-z][a-z0-9-]+' help.txt | sort -u >options.txt
        while read -r o; do assert_contains man.txt "$o"; done <options.txt
    done
    if [[ ${ESCROW_INSTALL_ENABLED:-OFF} == ON ]]; then
        "$CMAKE" --install "$ESCROW_BUILD_DIR" --prefix "$W/prefix" >install.log || fail "cmake --install failed"
        [[ -s prefix/share/man/man1/escrow.1 ]] || fail "escrow.1 not installed in share/man/man1"
        [[ -s prefix/share/bash-completion/completions/escrow ]] || fail "completion not installed in share/bash-completion/completions"
        cmp -s prefix/share/man/man1/escrow.1 "$ESCROW_MAN" || fail "the installed man page is not the generated one"
    fi
}

# The completion script completes commands, subcommands, options and option values in a bash
# started here.
case_completion() {
    cd "$W"
    [[ -n ${ESCROW_COMPLETION:-} && -s $ESCROW_COMPLETION ]] || fail "the completion script is missing ('$ESCROW_COMPLETION')"
    complete_words() {  # WORD... (the last one is completed)
        bash --norc --noprofile -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _escrow; printf "%s\n" "${COMPREPLY[@]}"' \
            _ "$ESCROW_COMPLETION" "$@"
    }
    [[ "$(complete_words escrow enc)" == encrypt ]] || fail "'escrow enc' did not complete to encrypt"
    [[ "$(complete_words escrow de | sort | tr '\n' ' ')" == "decrypt " ]] || fail "'escrow de': $(complete_words escrow de)"
    complete_words escrow decrypt --re >c.txt
    assert_contains c.txt "--record"
    complete_words escrow decrypt - >c.txt
    assert_contains c.txt "-i"
    complete_words escrow encrypt --format a >c.txt
    [[ "$(cat c.txt)" == age ]] || fail "--format a: $(cat c.txt)"
    complete_words escrow authority --db x.db re >c.txt
    [[ "$(sort c.txt | tr '\n' ' ')" == "recover register-officer revoke " ]] || fail "authority re: $(cat c.txt)"
    complete_words escrow officer request --re >c.txt
    assert_contains c.txt "--record"
    complete_words escrow authority --db x.db init --wrap rsa >c.txt
    assert_contains c.txt "rsa-pkcs1v15"
    complete_words escrow keygen --type p >c.txt
    [[ "$(cat c.txt)" == pq ]] || fail "keygen --type p: $(cat c.txt)"
}
