// SPDX-License-Identifier: MIT
/// @file
/// Helpers for the tests that use the real PostgreSQL server of the ctest fixture `escrow_pg`
/// (tests/postgres/server.sh): its connection string, a fresh database per test, and SQL run
/// directly on a database, as an attacker with write access would.
#pragma once

#include <escrow/authority/postgres_connection.hpp>

#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>

namespace escrow_test {

/// The server's connection string without a database (host=SOCKET port=... user=escrow), from
/// the file named by ESCROW_PG_CONNINFO_FILE, which the fixture `pg.server.start` writes.
inline std::string pg_server() {
    const char* file = std::getenv("ESCROW_PG_CONNINFO_FILE");
    if (!file || !*file) FAIL("ESCROW_PG_CONNINFO_FILE is not set: run this test through ctest (fixture escrow_pg)");
    std::ifstream in(file);
    std::string line;
    if (!std::getline(in, line) || line.empty())
        FAIL("no PostgreSQL server: " << file << " is missing (the ctest fixture pg.server.start writes it)");
    return line;
}

/// Runs `sql` (a fixed statement, no parameters) on the database `db` of the test server.
inline void pg_exec(const std::string& db, const std::string& sql) {
    escrow::authority::postgres::connection c(pg_server() + " dbname=" + db, {});
    c.exec(sql.c_str());
}

/// A new, empty database on the test server, named after `name` and this process; returns its
/// connection string.
inline std::string pg_fresh_database(const std::string& name) {
    static std::atomic<int> counter{0};
    std::string db = "t_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    pg_exec("postgres", "DROP DATABASE IF EXISTS " + db);
    pg_exec("postgres", "CREATE DATABASE " + db);
    return pg_server() + " dbname=" + db;
}

/// The database name of a connection string made by `pg_fresh_database`.
inline std::string pg_dbname(const std::string& conninfo) { return conninfo.substr(conninfo.rfind("dbname=") + 7); }

}  // namespace escrow_test
