#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real PostgreSQL 15 server for the tests, in a temporary directory, on a Unix socket only:
#
#   bash server.sh start STATE_DIR     initdb, pg_ctl start; writes STATE_DIR/conninfo
#   bash server.sh stop STATE_DIR      pg_ctl stop (fast) and removes the temporary directory
#   bash server.sh crash STATE_DIR     pg_ctl stop -m immediate (no shutdown checkpoint: a crash)
#   bash server.sh restart STATE_DIR   pg_ctl start again on the same data directory
#   bash server.sh psql STATE_DIR DB ARGS...   psql as the superuser on database DB
#
# STATE_DIR/conninfo holds a libpq keyword string (host=SOCKET_DIR port=... user=escrow) without
# dbname: each test creates and names its own database. The superuser `escrow` connects without
# a password (trust, on the socket only); the role `escrow_pw` needs the password `right`
# (scram-sha-256), for the tests of wrong credentials. The server runs as an unprivileged user:
# as root, `nobody` (PostgreSQL refuses to run as root), otherwise the caller. Binaries: those of
# PostgreSQL 15 (Debian's postgresql-15, /usr/lib/postgresql/15/bin), or ESCROW_PG_BINDIR.
set -euo pipefail

cmd=$1
state=$2
bindir=${ESCROW_PG_BINDIR:-/usr/lib/postgresql/15/bin}
[[ -x "$bindir/initdb" && -x "$bindir/pg_ctl" ]] ||
    { echo "server.sh: PostgreSQL 15 not found in $bindir (Debian package postgresql-15)" >&2; exit 1; }

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        # From /, which nobody can enter whatever the caller's directory is.
        (cd / && runuser -u nobody -- "$@")
    else
        "$@"
    fi
}

pg_ctl_run() {  # ARGS...
    local tmp
    tmp=$(cat "$state/tmpdir")
    as_owner "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 "$@"
}

start_server() {
    local tmp
    tmp=$(cat "$state/tmpdir")
    pg_ctl_run -o "-k $tmp -c listen_addresses='' -p 5432 -c max_connections=60 -c shared_buffers=32MB" start >/dev/null ||
        { cat "$tmp/server.log" >&2; exit 1; }
}

case $cmd in
    start)
        if [[ -f "$state/tmpdir" ]]; then bash "$0" stop "$state" || true; fi
        mkdir -p "$state"
        # A short path: a Unix socket's path is limited to about 100 bytes.
        tmp=$(mktemp -d /tmp/escrow-pg.XXXXXX)
        echo "$tmp" >"$state/tmpdir"
        if [[ $(id -u) -eq 0 ]]; then chown nobody "$tmp"; fi
        chmod 700 "$tmp"
        as_owner "$bindir/initdb" -D "$tmp/data" -U escrow --auth-local=trust --auth-host=reject -E UTF8 \
            --locale=C.UTF-8 --no-sync >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }
        # escrow (the superuser) without a password; every other role with one.
        as_owner sh -c "printf '%s\n' 'local all escrow trust' 'local all all scram-sha-256' >'$tmp/data/pg_hba.conf'"
        start_server
        echo "host=$tmp port=5432 user=escrow" >"$state/conninfo"
        as_owner "$bindir/psql" -X -q -h "$tmp" -p 5432 -U escrow -d postgres -v ON_ERROR_STOP=1 \
            -c "CREATE ROLE escrow_pw LOGIN PASSWORD 'right'" >/dev/null
        echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') started: $(cat "$state/conninfo")"
        ;;
    stop)
        [[ -f "$state/tmpdir" ]] || exit 0
        tmp=$(cat "$state/tmpdir")
        # The data is thrown away: no shutdown checkpoint is needed.
        if [[ -f "$tmp/data/postmaster.pid" ]]; then pg_ctl_run -m immediate stop >/dev/null || true; fi
        rm -rf "$tmp"
        rm -f "$state/tmpdir" "$state/conninfo"
        echo "PostgreSQL stopped"
        ;;
    crash)
        pg_ctl_run -m immediate stop >/dev/null
        ;;
    restart)
        start_server
        ;;
    psql)
        tmp=$(cat "$state/tmpdir")
        db=$3
        shift 3
        "$bindir/psql" -X -q -h "$tmp" -p 5432 -U escrow -d "$db" -v ON_ERROR_STOP=1 "$@"
        ;;
    *)
        echo "server.sh: unknown command '$cmd'" >&2
        exit 2
        ;;
esac
