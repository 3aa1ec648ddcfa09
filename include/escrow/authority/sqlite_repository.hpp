// SPDX-License-Identifier: MIT
/// @file
/// `escrow::authority::sqlite_repository`: a backup authority's records, officers, nonces and
/// audit log in one SQLite database file (link `escrow::sqlite`). The connection plumbing is in
/// `sqlite_connection.hpp`.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "escrow/authority/audit.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/authority/sqlite_connection.hpp"
#include "escrow/core/error.hpp"

namespace escrow::authority {

/// A repository in an SQLite database file, safe to share between processes.
///
/// Durability and concurrency: the database runs in WAL mode with `synchronous=FULL`, so a
/// transaction that `commit()` returned from survives a crash of the process or the machine.
/// Writers serialise on `BEGIN IMMEDIATE`; SQLite's busy handler waits up to `busy_timeout`
/// for the lock, and a `SQLITE_BUSY` that still escapes (WAL recovery, a checkpoint) is retried
/// with a short back-off until the same deadline, then reported as `io_error`.
///
/// Schema: version 1, kept in `PRAGMA user_version`. A database of any other (non-zero) version is
/// refused with `unsupported_version`; an empty one is given the schema on open.
///
/// One object is one connection: use it from one thread at a time (one object per thread).
class sqlite_repository {
public:
    /// The schema version this code reads and writes.
    static constexpr int schema_version = 1;

    class transaction;

    /// Opens (creating when missing) the database at `path`.
    /// @throws escrow::error `io_error` (cannot open, not a database, locked past the timeout),
    /// `unsupported_version` (another schema version).
    explicit sqlite_repository(const std::filesystem::path& path,
                               std::chrono::milliseconds busy_timeout = std::chrono::seconds(60))
        : db_(path, busy_timeout) {
        migrate();
    }

    sqlite_repository(const sqlite_repository&) = delete;
    sqlite_repository& operator=(const sqlite_repository&) = delete;

    /// Starts a write transaction (`BEGIN IMMEDIATE`), waiting for other writers up to the timeout.
    [[nodiscard]] transaction begin();

    /// `PRAGMA integrity_check`: "ok" for a sound database file.
    [[nodiscard]] std::string integrity_check() {
        auto& s = db_.prepare("PRAGMA integrity_check");
        std::string out;
        while (db_.step(s)) {
            if (!out.empty()) out += "\n";
            out += sqlite::column_text(s, 0);
        }
        return out;
    }

    /// The database file's path.
    [[nodiscard]] const std::string& path() const noexcept { return db_.path(); }

private:
    friend class transaction;

    sqlite::connection db_;

    void migrate();
};

/// A write transaction on a `sqlite_repository` (see `repository_transaction`).
class sqlite_repository::transaction {
public:
    /// Takes over `o`'s open transaction; `o` is left without one.
    transaction(transaction&& o) noexcept : repo_(std::exchange(o.repo_, nullptr)) {}
    transaction& operator=(transaction&&) = delete;
    ~transaction() {
        if (!repo_) return;
        repo_->db_.reset_all();
        repo_->db_.exec_rc("ROLLBACK");
    }

    /// The record with `serial`, if stored.
    [[nodiscard]] std::optional<stored_record> find_record(std::string_view serial) {
        auto& s = repo_->db_.prepare("SELECT serial, owner, status, encoded, deposited FROM records WHERE serial = ?1");
        repo_->db_.bind(s, 1, serial);
        if (!repo_->db_.step(s)) return std::nullopt;
        return row_record(s);
    }
    /// Stores `r`. @throws escrow::error when its serial is already stored.
    void insert_record(const stored_record& r) {
        run_with_record("INSERT INTO records(serial, owner, status, encoded, deposited) VALUES (?1, ?2, ?3, ?4, ?5)", r);
    }
    /// Replaces the stored record under `r.serial` with `r` (a verifying deposit over one that
    /// does not verify). @throws escrow::error `not_found` when there is none.
    void replace_record(const stored_record& r) {
        run_with_record("UPDATE records SET owner = ?2, status = ?3, encoded = ?4, deposited = ?5 WHERE serial = ?1", r);
        if (repo_->db_.changes() != 1)
            throw error(errc::not_found, "sqlite: no record '" + r.serial + "'");
    }
    /// Sets the status of the record `serial`. @throws escrow::error `not_found` when there is
    /// none.
    void set_status(std::string_view serial, record_status st) {
        auto& s = repo_->db_.prepare("UPDATE records SET status = ?2 WHERE serial = ?1");
        repo_->db_.bind(s, 1, serial);
        repo_->db_.bind(s, 2, std::uint64_t(static_cast<std::uint8_t>(st)));
        repo_->db_.run(s);
        if (repo_->db_.changes() != 1)
            throw error(errc::not_found, "sqlite: no record '" + std::string(serial) + "'");
    }
    /// The records of `owner` (every record for an empty owner), ordered by serial.
    [[nodiscard]] std::vector<stored_record> list_records(std::string_view owner) {
        auto& s = owner.empty()
                      ? repo_->db_.prepare("SELECT serial, owner, status, encoded, deposited FROM records ORDER BY serial")
                      : repo_->db_.prepare(
                            "SELECT serial, owner, status, encoded, deposited FROM records WHERE owner = ?1 ORDER BY serial");
        if (!owner.empty()) repo_->db_.bind(s, 1, owner);
        std::vector<stored_record> out;
        while (repo_->db_.step(s)) out.push_back(row_record(s));
        return out;
    }
    /// The officer registered as `name`, if any.
    [[nodiscard]] std::optional<officer_entry> find_officer(std::string_view name) {
        auto& s = repo_->db_.prepare("SELECT name, public_key, registered FROM officers WHERE name = ?1");
        repo_->db_.bind(s, 1, name);
        if (!repo_->db_.step(s)) return std::nullopt;
        return row_officer(s);
    }
    /// The officer whose raw Ed25519 public key is `key`, if any.
    [[nodiscard]] std::optional<officer_entry> find_officer_by_key(byte_view key) {
        auto& s = repo_->db_.prepare("SELECT name, public_key, registered FROM officers WHERE public_key = ?1");
        repo_->db_.bind(s, 1, key);
        if (!repo_->db_.step(s)) return std::nullopt;
        return row_officer(s);
    }
    /// Registers `o`. @throws escrow::error when its name or key is already registered.
    void insert_officer(const officer_entry& o) {
        auto& s = repo_->db_.prepare("INSERT INTO officers(name, public_key, registered) VALUES (?1, ?2, ?3)");
        repo_->db_.bind(s, 1, o.name);
        repo_->db_.bind(s, 2, byte_view(o.public_key));
        repo_->db_.bind(s, 3, o.registered);
        repo_->db_.run(s);
    }
    /// Every registered officer, ordered by name.
    [[nodiscard]] std::vector<officer_entry> list_officers() {
        auto& s = repo_->db_.prepare("SELECT name, public_key, registered FROM officers ORDER BY name");
        std::vector<officer_entry> out;
        while (repo_->db_.step(s)) out.push_back(row_officer(s));
        return out;
    }
    /// Whether a granted request already used `nonce`.
    [[nodiscard]] bool nonce_used(byte_view nonce) {
        auto& s = repo_->db_.prepare("SELECT 1 FROM nonces WHERE nonce = ?1");
        repo_->db_.bind(s, 1, nonce);
        return repo_->db_.step(s);
    }
    /// Records `nonce` as used until `expires` (Unix seconds). @throws escrow::error `io_error`
    /// when it is already recorded.
    void insert_nonce(byte_view nonce, std::uint64_t expires) {
        auto& s = repo_->db_.prepare("INSERT INTO nonces(nonce, expires) VALUES (?1, ?2)");
        repo_->db_.bind(s, 1, nonce);
        repo_->db_.bind(s, 2, expires);
        repo_->db_.run(s);
    }
    /// Every recorded nonce, ordered by its bytes.
    [[nodiscard]] std::vector<nonce_entry> list_nonces() {
        auto& s = repo_->db_.prepare("SELECT nonce, expires FROM nonces ORDER BY nonce");
        std::vector<nonce_entry> out;
        while (repo_->db_.step(s)) out.push_back({sqlite::column_blob(s, 0), sqlite::column_u64(s, 1)});
        return out;
    }
    /// Every setting, ordered by key.
    [[nodiscard]] std::vector<meta_entry> list_meta() {
        auto& s = repo_->db_.prepare("SELECT key, value FROM meta ORDER BY key");
        std::vector<meta_entry> out;
        while (repo_->db_.step(s)) out.push_back({sqlite::column_text(s, 0), sqlite::column_blob(s, 1)});
        return out;
    }
    /// The setting `key` (see `meta_keys`), if set.
    [[nodiscard]] std::optional<bytes> get_meta(std::string_view key) {
        auto& s = repo_->db_.prepare("SELECT value FROM meta WHERE key = ?1");
        repo_->db_.bind(s, 1, key);
        if (!repo_->db_.step(s)) return std::nullopt;
        return sqlite::column_blob(s, 0);
    }
    /// Sets the setting `key` to `value`.
    void set_meta(std::string_view key, byte_view value) {
        auto& s = repo_->db_.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
        repo_->db_.bind(s, 1, key);
        repo_->db_.bind(s, 2, value);
        repo_->db_.run(s);
    }
    /// The sequence number and hash of the last audit entry.
    [[nodiscard]] authority::audit_head audit_head() {
        auto& s = repo_->db_.prepare("SELECT seq, hash FROM audit_head WHERE id = 1");
        authority::audit_head h;
        if (repo_->db_.step(s)) h = {sqlite::column_u64(s, 0), sqlite::column_digest(s, 1)};
        return h;
    }
    /// Appends `e` to the audit log and makes it the head.
    void append_audit(const audit_entry& e) {
        auto& s = repo_->db_.prepare(
            "INSERT INTO audit(seq, time, kind, serial, actor, outcome, reason, prev_hash, hash) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        repo_->db_.bind(s, 1, e.seq);
        repo_->db_.bind(s, 2, e.time);
        repo_->db_.bind(s, 3, to_string(e.kind));
        repo_->db_.bind(s, 4, e.serial);
        repo_->db_.bind(s, 5, e.actor);
        repo_->db_.bind(s, 6, to_string(e.outcome));
        repo_->db_.bind(s, 7, e.reason);
        repo_->db_.bind(s, 8, byte_view(e.prev_hash));
        repo_->db_.bind(s, 9, byte_view(e.hash));
        repo_->db_.run(s);
        auto& h = repo_->db_.prepare(
            "INSERT INTO audit_head(id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT(id) DO UPDATE SET seq = ?1, hash = ?2");
        repo_->db_.bind(h, 1, e.seq);
        repo_->db_.bind(h, 2, byte_view(e.hash));
        repo_->db_.run(h);
    }
    /// Every audit entry, in ascending `seq` order, as stored.
    [[nodiscard]] std::vector<audit_entry> audit_entries() {
        auto& s = repo_->db_.prepare(
            "SELECT seq, time, kind, serial, actor, outcome, reason, prev_hash, hash FROM audit ORDER BY seq");
        std::vector<audit_entry> out;
        while (repo_->db_.step(s)) {
            audit_entry e;
            e.seq = sqlite::column_u64(s, 0);
            e.time = sqlite::column_u64(s, 1);
            e.kind = from_stored_text<audit_kind>(sqlite::column_text(s, 2), e.seq);
            e.serial = sqlite::column_text(s, 3);
            e.actor = sqlite::column_text(s, 4);
            e.outcome = from_stored_text<audit_outcome>(sqlite::column_text(s, 5), e.seq);
            e.reason = sqlite::column_text(s, 6);
            e.prev_hash = sqlite::column_digest(s, 7);
            e.hash = sqlite::column_digest(s, 8);
            out.push_back(std::move(e));
        }
        return out;
    }
    /// Commits; with `synchronous=FULL` the WAL is on disk when this returns.
    void commit() {
        repo_->db_.reset_all();
        repo_->db_.retry_busy([&] { return repo_->db_.exec_rc("COMMIT"); }, "committing a transaction");
        repo_ = nullptr;
    }

private:
    friend class sqlite_repository;
    explicit transaction(sqlite_repository& r) : repo_(&r) {}

    // Runs `sql` with the record's fields bound to ?1 (serial) to ?5 (deposited).
    void run_with_record(const char* sql, const stored_record& r) {
        auto& s = repo_->db_.prepare(sql);
        repo_->db_.bind(s, 1, r.serial);
        repo_->db_.bind(s, 2, r.owner);
        repo_->db_.bind(s, 3, std::uint64_t(static_cast<std::uint8_t>(r.status)));
        repo_->db_.bind(s, 4, byte_view(r.encoded));
        repo_->db_.bind(s, 5, r.deposited);
        repo_->db_.run(s);
    }

    static stored_record row_record(sqlite3_stmt& s) {
        stored_record r;
        r.serial = sqlite::column_text(s, 0);
        r.owner = sqlite::column_text(s, 1);
        auto st = sqlite3_column_int64(&s, 2);
        r.status = st == 1 ? record_status::active : record_status::revoked;
        r.encoded = sqlite::column_blob(s, 3);
        r.deposited = sqlite::column_u64(s, 4);
        return r;
    }
    static officer_entry row_officer(sqlite3_stmt& s) {
        return {sqlite::column_text(s, 0), sqlite::column_blob(s, 1), sqlite::column_u64(s, 2)};
    }

    sqlite_repository* repo_;
};

inline sqlite_repository::transaction sqlite_repository::begin() {
    db_.retry_busy([&] { return db_.exec_rc("BEGIN IMMEDIATE"); }, "starting a transaction");
    return transaction(*this);
}

inline void sqlite_repository::migrate() {
    transaction t = begin();
    auto& s = db_.prepare("PRAGMA user_version");
    int version = db_.step(s) ? sqlite3_column_int(&s, 0) : 0;
    sqlite3_reset(&s);
    if (version == schema_version) return;  // the transaction rolls back: nothing to change
    if (version != 0)
        throw error(errc::unsupported_version, "sqlite: the database '" + db_.path() + "' has schema version " +
                                                   std::to_string(version) + " (this library reads version 1)");
    // A database file that holds tables but no version is not ours.
    auto& tables = db_.prepare("SELECT count(*) FROM sqlite_master");
    if (db_.step(tables) && sqlite3_column_int(&tables, 0) != 0)
        throw error(errc::unsupported_version,
                    "sqlite: the database '" + db_.path() + "' holds tables but no escrow schema version");
    sqlite3_reset(&tables);
    db_.exec(R"sql(
        CREATE TABLE records(
            serial TEXT PRIMARY KEY NOT NULL,
            owner TEXT NOT NULL,
            status INTEGER NOT NULL CHECK (status IN (1, 2)),
            encoded BLOB NOT NULL,
            deposited INTEGER NOT NULL);
        CREATE INDEX records_by_owner ON records(owner);
        CREATE TABLE officers(
            name TEXT PRIMARY KEY NOT NULL,
            public_key BLOB NOT NULL UNIQUE,
            registered INTEGER NOT NULL);
        CREATE TABLE nonces(
            nonce BLOB PRIMARY KEY NOT NULL,
            expires INTEGER NOT NULL);
        CREATE TABLE meta(
            key TEXT PRIMARY KEY NOT NULL,
            value BLOB NOT NULL);
        CREATE TABLE audit(
            seq INTEGER PRIMARY KEY NOT NULL,
            time INTEGER NOT NULL,
            kind TEXT NOT NULL,
            serial TEXT NOT NULL,
            actor TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL,
            prev_hash BLOB NOT NULL,
            hash BLOB NOT NULL);
        CREATE TABLE audit_head(
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,
            hash BLOB NOT NULL);
        PRAGMA user_version = 1;
    )sql");
    t.commit();
}

static_assert(repository<sqlite_repository>);

}  // namespace escrow::authority
