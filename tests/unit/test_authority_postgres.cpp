// SPDX-License-Identifier: MIT
/// @file
/// The backup authority on PostgreSQL (a real server, the ctest fixture `escrow_pg`): the schema's
/// versions and migrations, bad connection strings, an unreachable server and wrong credentials,
/// tampering in the database, and connections lost between and inside transactions.

#include "authority_support.hpp"
#include "postgres_support.hpp"

#include <escrow/authority/postgres_repository.hpp>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

using namespace escrow_test;
using escrow::errc;

namespace {

/// The number of rows `sql` (a SELECT count(*)) counts on the database of `conninfo`.
std::uint64_t pg_count(const std::string& conninfo, const std::string& sql) {
    escrow::authority::postgres::connection c(conninfo, {});
    return c.run(sql).u64(0, 0);
}

/// Terminates every connection of this library to the database of `conninfo`, from another one.
void pg_cut_connections(const std::string& conninfo) {
    pg_exec("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'escrow' "
                        "AND datname = '" + pg_dbname(conninfo) + "' AND pid <> pg_backend_pid()");
}

ea::postgres::retry_options quick_retry() {
    ea::postgres::retry_options r;
    r.attempts = 2;
    r.first_backoff = std::chrono::milliseconds(10);
    return r;
}

}  // namespace

TEST_CASE("A PostgreSQL database is given the schema once, an older schema is upgraded, a newer one refused",
          "[authority][postgres][schema]") {
    std::string db = pg_fresh_database("schema");
    const std::string tables = "SELECT count(*)::int8 FROM information_schema.tables WHERE table_schema = 'public'";
    SECTION("must_exist on an empty database creates nothing") {
        REQUIRE_ESCROW_ERROR(ea::postgres_repository(db, ea::postgres_open::must_exist), errc::not_found);
        CHECK(pg_count(db, tables) == 0);
    }
    {
        ea::postgres_repository repo(db);
        CHECK(repo.stored_schema_version() == ea::postgres_repository::schema_version);
    }
    { ea::postgres_repository again(db, ea::postgres_open::must_exist); }
    CHECK(pg_count(db, "SELECT count(*)::int8 FROM escrow_migrations") == 2);
    SECTION("version 1, as an older library left it, is upgraded to version 2") {
        pg_exec(pg_dbname(db), "DROP INDEX records_by_owner");
        pg_exec(pg_dbname(db), "DELETE FROM escrow_migrations WHERE version = 2");
        ea::postgres_repository repo(db);
        CHECK(repo.stored_schema_version() == 2);
        CHECK(pg_count(db, "SELECT count(*)::int8 FROM pg_indexes WHERE indexname = 'records_by_owner'") == 1);
    }
    SECTION("a newer version is refused and left as it is") {
        pg_exec(pg_dbname(db), "INSERT INTO escrow_migrations(version, description) VALUES (3, 'from the future')");
        auto why = reason_of([&] { ea::postgres_repository repo(db); });
        CHECK_THAT(why, Catch::StartsWith("[escrow.unsupported_version]") && Catch::Contains("version 3") &&
                            Catch::Contains("up to version 2"));
        CHECK(pg_count(db, "SELECT count(*)::int8 FROM escrow_migrations") == 3);
    }
    SECTION("tables of the same names without the migrations table are not ours") {
        std::string other = pg_fresh_database("foreign");
        pg_exec(pg_dbname(other), "CREATE TABLE records(id int)");
        REQUIRE_ESCROW_ERROR(ea::postgres_repository(other), errc::unsupported_version);
        CHECK(pg_count(other, tables) == 1);
    }
}

TEST_CASE("A bad connection string, an unreachable server and wrong credentials are one clear error each",
          "[authority][postgres][errors]") {
    std::string db = pg_fresh_database("errors");
    auto one_line_error = [](const std::string& conninfo, errc code, const std::string& fragment) {
        CAPTURE(conninfo);
        auto why = reason_of([&] { ea::postgres_repository repo(conninfo, ea::postgres_open::create_if_missing, quick_retry()); });
        CHECK(why.find('\n') == std::string::npos);
        CHECK_THAT(why, Catch::Contains(fragment));
        CHECK_THROWS_MATCHES(ea::postgres_repository(conninfo, ea::postgres_open::create_if_missing, quick_retry()),
                             escrow::error, escrow_test::has_errc(code));
        return why;
    };
    one_line_error("postgresql://[::1", errc::invalid_argument, "not a valid connection string");
    one_line_error("host=/tmp port=5432 dbname=x nosuchkeyword=1", errc::invalid_argument, "nosuchkeyword");
    one_line_error("host=/nonexistent-escrow-dir port=5432 dbname=x user=escrow", errc::io_error, "cannot connect");
    one_line_error("postgresql://escrow@127.0.0.1:1/x", errc::io_error, "cannot connect");
    auto why = one_line_error(db + " user=escrow_pw password=wrong-secret", errc::io_error, "password authentication failed");
    CHECK(why.find("wrong-secret") == std::string::npos);  // never the password
    one_line_error(pg_server() + " dbname=no_such_database_here", errc::io_error, "does not exist");
    // The right password works, and sslmode passes through to libpq (the test server has no TLS).
    { ea::postgres_repository owner(db); }
    pg_exec(pg_dbname(db), "GRANT SELECT ON escrow_migrations TO escrow_pw");
    CHECK_NOTHROW(ea::postgres_repository(db + " user=escrow_pw password=right sslmode=disable", ea::postgres_open::must_exist,
                                          quick_retry()));
    // (TLS does not apply to a Unix socket, so a bad value is what shows that libpq reads it.)
    CHECK_THAT(reason_of([&] { ea::postgres_repository r(db + " sslmode=sometimes", ea::postgres_open::must_exist, quick_retry()); }),
               Catch::StartsWith("[escrow.io_error]") && Catch::Contains("sslmode"));
}

// Audit entries deleted, edited or inserted directly in PostgreSQL (as with SQLite): in
// test_authority_conformance.cpp.

TEST_CASE("A record's owner column changed directly in PostgreSQL is detected at recovery", "[authority][postgres][tamper]") {
    std::string db = pg_fresh_database("tamper");
    {
        ea::postgres_repository repo(db);
        quorum_setup<ea::postgres_repository> s(repo);
        s.authority.deposit(make_file("PG-1").records.front());
    }
    pg_exec(pg_dbname(db), "UPDATE records SET owner = 'mallory@example.org' WHERE serial = 'PG-1'");
    ea::postgres_repository repo(db);
    quorum_setup<ea::postgres_repository> s(repo);
    auto req = s.request("PG-1");
    CHECK_ESCROW_ERROR((void)s.authority.recover(req, sign_by(req, {0, 1})), errc::authentication_failed);
    CHECK(s.authority.audit_log().back().outcome == ea::audit_outcome::refused);
    CHECK(s.authority.verify_audit().valid);
}

TEST_CASE("A connection cut between transactions is made again, and one cut inside a transaction fails it cleanly",
          "[authority][postgres][retry]") {
    std::string db = pg_fresh_database("retry");
    ea::postgres_repository repo(db);
    rsa_authority<ea::postgres_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
    a.deposit(make_file("CUT-1").records.front());
    pg_cut_connections(db);
    CHECK(a.deposit(make_file("CUT-2").records.front()) == ea::deposit_result::stored);  // reconnected in begin()

    auto t = repo.begin();
    t.insert_record({"CUT-3", "o", ea::record_status::active, escrow::bytes{1}, t0});
    pg_cut_connections(db);
    auto why = reason_of([&] { t.set_status("CUT-3", ea::record_status::revoked); });
    CHECK_THAT(why, Catch::StartsWith("[escrow.io_error]") && Catch::Contains("connection"));
    CHECK(why.find('\n') == std::string::npos);
    CHECK_ESCROW_ERROR(t.commit(), errc::io_error);
    CHECK(a.list().size() == 2);  // CUT-3 never committed; the next transaction reconnected
    CHECK(a.verify_audit().valid);
}

// A server that crashes (`pg_ctl stop -m immediate`: its backends die without a word) and starts
// again, on a server of this case's own so that the fixture's keeps serving the other tests. libpq
// reports the dead connection as a fatal result without a SQLSTATE and leaves its status at
// CONNECTION_OK; the connection must still count as lost, so that the next transaction connects
// again instead of failing ("starting a transaction failed ... server closed the connection
// unexpectedly" before that was handled).
TEST_CASE("A connection lost to a server crash is made again by the next transaction, and fails the one it was in",
          "[authority][postgres][retry]") {
    const auto state = scratch("crash-server");
    const std::string server = std::string("ESCROW_PG_BINDIR='") + ESCROW_PG_BINDIR + "' '" + ESCROW_BASH + "' '" +
                               ESCROW_PG_SERVER_SCRIPT + "' ";
    auto run = [&](const std::string& verb) {
        return std::system((server + verb + " '" + state.string() + "' >/dev/null 2>&1").c_str());
    };
    REQUIRE(run("start") == 0);
    struct stop_server {
        std::function<int(const std::string&)> run;
        ~stop_server() { run("stop"); }
    } stopper{run};
    std::ifstream in(state / "conninfo");
    std::string conninfo;
    REQUIRE(std::getline(in, conninfo));
    conninfo += " dbname=postgres";

    ea::postgres_repository repo(conninfo);
    rsa_authority<ea::postgres_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
    a.deposit(make_file("CRASH-1").records.front());
    // Between transactions: the next deposit connects again.
    REQUIRE(run("crash") == 0);
    REQUIRE(run("restart") == 0);
    CHECK(a.deposit(make_file("CRASH-2").records.front()) == ea::deposit_result::stored);
    // Inside one: it fails in one line, and the next transaction connects again.
    auto t = repo.begin();
    t.insert_record({"CRASH-3", "o", ea::record_status::active, escrow::bytes{1}, t0});
    REQUIRE(run("crash") == 0);
    REQUIRE(run("restart") == 0);
    auto why = reason_of([&] { t.set_status("CRASH-3", ea::record_status::revoked); });
    CHECK_THAT(why, Catch::StartsWith("[escrow.io_error]") && Catch::Contains("the connection was lost"));
    CHECK(why.find('\n') == std::string::npos);
    CHECK_ESCROW_ERROR(t.commit(), errc::io_error);
    CHECK(a.list().size() == 2);
    CHECK(a.verify_audit().valid);
}

TEST_CASE("A session that turns synchronous_commit off is set back on, and a writer waits for the lock at most 60 s",
          "[authority][postgres][durability]") {
    std::string db = pg_fresh_database("sync");
    ea::postgres::connection off(db + " options='-c synchronous_commit=off'", {});
    CHECK(off.run("SHOW synchronous_commit").text(0, 0) == "on");
    CHECK(off.run("SHOW lock_timeout").text(0, 0) == "1min");
    ea::postgres::connection stronger(db + " options='-c synchronous_commit=remote_apply -c lock_timeout=5s'", {});
    CHECK(stronger.run("SHOW synchronous_commit").text(0, 0) == "remote_apply");  // a stronger setting is kept
    CHECK(stronger.run("SHOW lock_timeout").text(0, 0) == "5s");
}
