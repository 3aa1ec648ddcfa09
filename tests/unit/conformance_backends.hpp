// SPDX-License-Identifier: MIT
/// @file
/// What the repository conformance suite's files share: where a repository of each type lives for
/// one test and how to open it (again), raw SQL on the two with storage one can edit, and small
/// record and audit-entry makers. ESCROW_REPOSITORIES lists the repositories every case runs on.
#pragma once

#include "authority_support.hpp"
#include "postgres_support.hpp"

#include <escrow/authority/memory_repository.hpp>
#include <escrow/authority/postgres_repository.hpp>
#include <escrow/authority/repository_copy.hpp>
#include <escrow/authority/sqlite_repository.hpp>

#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace escrow_conformance {

using namespace escrow_test;
using escrow::errc;

/// Where a repository of type R lives for one test, and how to open it (again).
template <class R>
struct backend;

template <>
struct backend<ea::memory_repository> {
    static constexpr const char* kind = "memory";  ///< names the test's own scratch files apart
    std::shared_ptr<ea::memory_repository> repo = std::make_shared<ea::memory_repository>();
    explicit backend(const std::string&) {}
    /// The same object every time: a memory repository is one object shared by its threads.
    std::shared_ptr<ea::memory_repository> open() { return repo; }
};

template <>
struct backend<ea::sqlite_repository> {
    static constexpr const char* kind = "sqlite";  ///< names the test's own scratch files apart
    fs::path db;
    explicit backend(const std::string& name) : db(scratch("conformance-" + name) / "authority.db") {}
    std::shared_ptr<ea::sqlite_repository> open() { return std::make_shared<ea::sqlite_repository>(db); }
    /// Runs `statement` (its parameter $1, if any, is `blob`) on the file directly, as an attacker
    /// with write access would; returns the rows it changed.
    int raw_sql(const std::string& statement, escrow::byte_view blob = {}) {
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(raw, statement.c_str(), -1, &st, nullptr) == SQLITE_OK);
        if (!blob.empty()) sqlite3_bind_blob(st, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
        REQUIRE(sqlite3_step(st) == SQLITE_DONE);
        int changed = sqlite3_changes(raw);
        sqlite3_finalize(st);
        sqlite3_close(raw);
        return changed;
    }
};

template <>
struct backend<ea::postgres_repository> {
    static constexpr const char* kind = "postgres";  ///< names the test's own scratch files apart
    std::string conninfo;
    explicit backend(const std::string& name) : conninfo(pg_fresh_database(name)) {}
    std::shared_ptr<ea::postgres_repository> open() { return std::make_shared<ea::postgres_repository>(conninfo); }
    /// Runs `statement` (its parameter $1, if any, is `blob`) on the database directly, as psql
    /// would; returns the rows it changed.
    int raw_sql(const std::string& statement, escrow::byte_view blob = {}) {
        ea::postgres::connection c(conninfo, {});
        ea::postgres::params p;
        if (!blob.empty()) p.add(blob);
        return static_cast<int>(c.run(statement, p).changed());
    }
};

inline ea::stored_record record(const std::string& serial, const std::string& owner, std::uint64_t t = t0) {
    return {serial, owner, ea::record_status::active, escrow::bytes{1, 2, 3, static_cast<escrow::byte>(serial.size())}, t};
}

inline ea::audit_entry entry_after(const ea::audit_head& head, const std::string& serial) {
    ea::audit_entry e;
    e.seq = head.seq + 1;
    e.time = t0 + e.seq;
    e.kind = ea::audit_kind::deposit;
    e.serial = serial;
    e.actor = "tester";
    e.outcome = ea::audit_outcome::stored;
    e.prev_hash = head.hash;
    e.hash = e.compute_hash();
    return e;
}

inline escrow::bytes bytes_of(std::string_view s) { return escrow::bytes(s.begin(), s.end()); }

}  // namespace escrow_conformance

#define ESCROW_REPOSITORIES ea::memory_repository, ea::sqlite_repository, ea::postgres_repository
