// SPDX-License-Identifier: MIT
/// @file
/// The backup authority on SQLite: binding to one authority key, file modes, records tampered with
/// in the database file (the audit chain's case is in test_authority_conformance.cpp), schema
/// versions, and durability under SIGKILL and concurrent writers.

#include "authority_support.hpp"

#include <escrow/authority/sqlite_repository.hpp>

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace escrow_test;
using escrow::errc;

namespace {

/// Runs a statement on the database file directly, as an attacker with write access would.
void tamper_sql(const fs::path& db, const std::string& sql, escrow::byte_view blob = {}, bool changes_rows = true) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    if (!blob.empty()) sqlite3_bind_blob(st, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(st) == SQLITE_DONE);
    if (changes_rows) REQUIRE(sqlite3_changes(raw) >= 1);
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

}  // namespace

// ---- the repository ------------------------------------------------------------------------------

TEST_CASE("A repository is bound to one authority key", "[authority][sqlite]") {
    fs::path dir = scratch("bind");
    ea::sqlite_repository repo(dir / "a.db");
    rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
    using other_t = rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>>;
    CHECK_ESCROW_ERROR(other_t(repo, {}, keys().authority2.clone()), errc::bad_key);
    CHECK_NOTHROW(other_t(repo, {}, keys().authority.clone()));
    // Opened with its public key only, it cannot recover.
    a.register_officer("olivia", officer_keys()[0].public_key());
    a.deposit(make_file("PUB-1").records.front());
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("PUB-1", keys().new_owner.public_key(),
                                                                        a.fingerprint(), ea::unix_now() + 60);
    CHECK_ESCROW_ERROR((void)a.recover(req, sign_by(req, {0})), errc::bad_key);
}

TEST_CASE("A new SQLite database is created private, with its WAL files, and an existing one keeps its mode",
          "[authority][sqlite]") {
    fs::path dir = scratch("mode");
    const mode_t old = ::umask(022);
    {
        ea::sqlite_repository repo(dir / "new.db");
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
        a.register_officer("olivia", officer_keys()[0].public_key());
        for (const char* name : {"new.db", "new.db-wal", "new.db-shm"}) {
            CAPTURE(name);
            REQUIRE(fs::exists(dir / name));
            CHECK((fs::status(dir / name).permissions() & fs::perms::all) ==
                  (fs::perms::owner_read | fs::perms::owner_write));
        }
    }
    { std::ofstream(dir / "shared.db").flush(); }
    fs::permissions(dir / "shared.db", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                           fs::perms::group_write);
    {
        ea::sqlite_repository repo(dir / "shared.db");
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
    }
    ::umask(old);
    CHECK((fs::status(dir / "shared.db").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::group_write));
}

// ---- tampering in the database -------------------------------------------------------------------

TEST_CASE("Record metadata changed in the SQLite file is detected at recovery", "[authority][sqlite][tamper]") {
    fs::path dir = scratch("metadata");
    fs::path db = dir / "authority.db";
    auto f = make_file("META-1");
    {
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        s.authority.deposit(f.records.front());
    }
    SECTION("the description inside the stored record") {
        auto changed = f.records.front();
        changed.info.description = "nothing to see here";
        tamper_sql(db, "UPDATE records SET encoded = ?1 WHERE serial = 'META-1'", changed.encode());
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        auto req = s.request("META-1");
        auto r = reason_of([&] { (void)s.authority.recover(req, sign_by(req, {0, 1})); });
        CHECK_THAT(r, Catch::StartsWith("[escrow.authentication_failed]") && Catch::Contains("MAC"));
        CHECK(s.authority.audit_log().back().outcome == ea::audit_outcome::refused);
    }
    SECTION("the owner column beside it") {
        tamper_sql(db, "UPDATE records SET owner = 'mallory@example.org' WHERE serial = 'META-1'");
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        auto req = s.request("META-1");
        CHECK_ESCROW_ERROR((void)s.authority.recover(req, sign_by(req, {0, 1})), errc::authentication_failed);
    }
    SECTION("revoked, then set active again") {
        {
            ea::sqlite_repository repo(db);
            quorum_setup<ea::sqlite_repository> s(repo);
            s.authority.revoke("META-1");
        }
        tamper_sql(db, "UPDATE records SET status = 1 WHERE serial = 'META-1'");
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        // The status flip itself is not in the record's MAC; the audit chain still tells it:
        // the revocation entry stays in the log (and deleting it breaks the chain).
        auto log = s.authority.audit_log();
        CHECK(std::any_of(log.begin(), log.end(), [](const ea::audit_entry& e) { return e.kind == ea::audit_kind::revocation && e.serial == "META-1"; }));
        CHECK(s.authority.verify_audit().valid);
    }
}

// Audit entries deleted, edited or inserted directly in the database file: the same case runs on
// SQLite and PostgreSQL in test_authority_conformance.cpp ("verify_audit detects ... written
// directly into the database").

TEST_CASE("A database with another schema version is refused", "[authority][sqlite]") {
    fs::path dir = scratch("schema");
    { ea::sqlite_repository repo(dir / "a.db"); }
    tamper_sql(dir / "a.db", "PRAGMA user_version = 7", {}, false);
    REQUIRE_ESCROW_ERROR(ea::sqlite_repository(dir / "a.db"), errc::unsupported_version);
    {
        std::ofstream o(dir / "not-a-db");
        o << "this is not an SQLite database, just text long enough to fill a header page................";
    }
    REQUIRE_ESCROW_ERROR(ea::sqlite_repository(dir / "not-a-db"), errc::io_error);
}

// ---- durability and concurrency -------------------------------------------------------------------

namespace {

// In a child process: deposits records SERIAL-PREFIX-0, -1, ... into `db`, and after each
// deposit returns writes its serial and a newline to `fd`. Runs on a new thread so that its random
// generator is seeded afresh rather than copied from the parent by fork.
[[noreturn]] void child_depositor(const fs::path& db, const std::string& prefix, int count, int fd) {
    int status = 0;
    std::thread worker([&] {
        try {
            ea::sqlite_repository repo(db);
            rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
            for (int i = 0; count < 0 || i < count; ++i) {
                std::string serial = prefix + "-" + std::to_string(i);
                auto f = escrow_test::encrypt(escrow::byte_view(), keys().owner, {&keys().authority},
                                              escrow_test::sample_info(serial));
                if (a.deposit(f.records.front()) != ea::deposit_result::stored) throw std::runtime_error("not stored");
                if (fd >= 0) {
                    std::string line = serial + "\n";
                    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) throw std::runtime_error("pipe");
                }
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child %s: %s\n", prefix.c_str(), e.what());
            status = 1;
        }
    });
    worker.join();
    ::_exit(status);
}

}  // namespace

TEST_CASE("Deposits that returned survive a SIGKILL in the middle of a stream of deposits", "[authority][sqlite][durability]") {
    fs::path dir = scratch("durability");
    fs::path db = dir / "authority.db";
    (void)keys();
    {
        ea::sqlite_repository repo(db);
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.clone());
    }
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto start = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        child_depositor(db, "KILL", -1, fds[1]);
    }
    ::close(fds[1]);
    // Read reported serials until 60 arrived, then kill the child wherever it is.
    std::vector<std::string> reported;
    std::string buf;
    char chunk[256];
    while (reported.size() < 200) {
        ssize_t n = ::read(fds[0], chunk, sizeof chunk);
        REQUIRE(n > 0);
        buf.append(chunk, static_cast<std::size_t>(n));
        for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
            reported.push_back(buf.substr(0, nl));
            buf.erase(0, nl + 1);
        }
    }
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    // Whatever the child reported before it died counts too.
    for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) buf.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
        reported.push_back(buf.substr(0, nl));
        buf.erase(0, nl + 1);
    }
    ::close(fds[0]);

    ea::sqlite_repository repo(db);
    CHECK(repo.integrity_check() == "ok");
    rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.clone());
    escrow::native_encryptor enc;
    for (const auto& serial : reported) {
        auto e = a.find(serial);
        REQUIRE(e.has_value());
        CHECK(e->status == ea::record_status::active);
        // Intact: the authority key unwraps it and the record's MAC verifies.
        CHECK_NOTHROW((void)enc.recover_session_key(e->record.unverified_value(), keys().authority));
    }
    auto all = a.list();
    CHECK(all.size() >= reported.size());
    CHECK(all.size() <= reported.size() + 1);  // at most the deposit in flight when killed
    CHECK(a.verify_audit().valid);
    WARN("durability: " << reported.size() << " deposits reported before SIGKILL, " << all.size() << " stored, "
                        << escrow_test::seconds_since(start) << " s");
}

TEST_CASE("Four processes depositing 1,000 records each into one database lose and duplicate nothing",
          "[authority][sqlite][concurrency]") {
    fs::path dir = scratch("concurrency");
    fs::path db = dir / "authority.db";
    (void)keys();
    {
        ea::sqlite_repository repo(db);
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.clone());
    }
    constexpr int processes = 4, per_process = 1000;
    auto start = std::chrono::steady_clock::now();
    std::vector<pid_t> pids;
    for (int p = 0; p < processes; ++p) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) child_depositor(db, "P" + std::to_string(p), per_process, -1);
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    double elapsed = escrow_test::seconds_since(start);

    ea::sqlite_repository repo(db);
    CHECK(repo.integrity_check() == "ok");
    rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.clone());
    auto all = a.list();
    CHECK(all.size() == processes * per_process);
    std::set<std::string> serials;
    for (const auto& e : all) serials.insert(e.record.unverified_value().info.serial);
    std::set<std::string> expected;
    for (int p = 0; p < processes; ++p)
        for (int i = 0; i < per_process; ++i) {
            std::string serial = "P";
            serial += std::to_string(p);
            serial += '-';
            serial += std::to_string(i);
            expected.insert(serial);
        }
    CHECK(serials == expected);
    auto rep = a.verify_audit();
    CHECK(rep.valid);
    CHECK(rep.entries == 1 + processes * per_process);
    WARN("concurrency: " << processes << " x " << per_process << " deposits in " << elapsed << " s ("
                         << processes * per_process / elapsed << " deposits/s)");
}
