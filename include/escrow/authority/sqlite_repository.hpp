// SPDX-License-Identifier: MIT
/// @file
/// `escrow::authority::sqlite_repository`: a backup authority's records, officers, nonces and
/// audit log in one SQLite database file (link `escrow::sqlite`).
#pragma once

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "escrow/authority/repository.hpp"
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
    struct db_closer {
        void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
    };
    struct stmt_finalizer {
        void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
    };
    using db_ptr = std::unique_ptr<sqlite3, db_closer>;
    using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

public:
    /// The schema version this code reads and writes.
    static constexpr int schema_version = 1;

    class transaction;

    /// Opens (creating when missing) the database at `path`.
    /// @throws escrow::error `io_error` (cannot open, not a database, locked past the timeout),
    /// `unsupported_version` (another schema version).
    explicit sqlite_repository(const std::filesystem::path& path,
                               std::chrono::milliseconds busy_timeout = std::chrono::seconds(60))
        : path_(path.string()), timeout_(busy_timeout) {
        // A new database is created private (0600): it names owners and describes their files.
        // SQLite opens an empty file as a new database, and gives its -wal and -shm files the
        // database file's mode.
        if (int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
        sqlite3* raw = nullptr;
        int rc = sqlite3_open_v2(path_.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        db_.reset(raw);
        if (rc != SQLITE_OK) fail(rc, "cannot open the database");
        sqlite3_extended_result_codes(db_.get(), 1);
        sqlite3_busy_timeout(db_.get(), static_cast<int>(std::min<std::int64_t>(busy_timeout.count(), 1 << 30)));
        // journal_mode takes a lock of its own: retried like a transaction.
        retry_busy([&] { return exec_rc("PRAGMA journal_mode=WAL"); }, "switching to WAL mode");
        exec("PRAGMA synchronous=FULL");
        exec("PRAGMA foreign_keys=ON");
        migrate();
    }

    sqlite_repository(const sqlite_repository&) = delete;
    sqlite_repository& operator=(const sqlite_repository&) = delete;

    /// Starts a write transaction (`BEGIN IMMEDIATE`), waiting for other writers up to the timeout.
    [[nodiscard]] transaction begin();

    /// `PRAGMA integrity_check`: "ok" for a sound database file.
    [[nodiscard]] std::string integrity_check() {
        auto& s = prepare("PRAGMA integrity_check");
        std::string out;
        while (step(s)) {
            if (!out.empty()) out += "\n";
            out += column_text(s, 0);
        }
        return out;
    }

    /// The database file's path.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    friend class transaction;

    std::string path_;
    std::chrono::milliseconds timeout_;
    db_ptr db_;
    std::map<std::string, stmt_ptr, std::less<>> statements_;

    [[noreturn]] void fail(int rc, std::string_view what) const {
        std::string msg = std::string(what) + " '" + path_ + "': " + sqlite3_errstr(rc);
        if (db_ && sqlite3_errcode(db_.get()) == rc) msg += " (" + std::string(sqlite3_errmsg(db_.get())) + ")";
        throw error(errc::io_error, "sqlite: " + msg);
    }

    int exec_rc(const char* sql) { return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr); }
    void exec(const char* sql) {
        if (int rc = exec_rc(sql); rc != SQLITE_OK) fail(rc, std::string("'") + sql + "' failed on");
    }

    // Runs `op` until it stops answering SQLITE_BUSY/SQLITE_LOCKED or the timeout passes.
    template <class Op>
    void retry_busy(Op op, std::string_view what) {
        auto deadline = std::chrono::steady_clock::now() + timeout_;
        auto pause = std::chrono::milliseconds(1);
        for (;;) {
            int rc = op();
            if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
            int primary = rc & 0xff;
            if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline)
                fail(rc, std::string(what) + " on");
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, std::chrono::milliseconds(50));
        }
    }

    sqlite3_stmt& prepare(std::string_view sql) {
        auto it = statements_.find(sql);
        if (it == statements_.end()) {
            sqlite3_stmt* raw = nullptr;
            int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                        &raw, nullptr);
            stmt_ptr p(raw);
            if (rc != SQLITE_OK) fail(rc, "preparing '" + std::string(sql) + "' on");
            it = statements_.emplace(std::string(sql), std::move(p)).first;
        }
        sqlite3_stmt* s = it->second.get();
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return *s;
    }

    // Steps once: true for a row, false when done.
    bool step(sqlite3_stmt& s) {
        int rc = sqlite3_step(&s);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        sqlite3_reset(&s);
        fail(rc, "a statement failed on");
    }
    void run(sqlite3_stmt& s) {
        while (step(s)) {
        }
    }

    void bind(sqlite3_stmt& s, int i, std::string_view v) {
        check_bind(sqlite3_bind_text(&s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    void bind(sqlite3_stmt& s, int i, byte_view v) {
        // A zero-length blob must bind as an empty blob, not NULL.
        static const byte none = 0;
        check_bind(sqlite3_bind_blob(&s, i, v.empty() ? &none : v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    void bind(sqlite3_stmt& s, int i, std::uint64_t v) {
        check_bind(sqlite3_bind_int64(&s, i, static_cast<sqlite3_int64>(v)));
    }
    void check_bind(int rc) {
        if (rc != SQLITE_OK) fail(rc, "binding a parameter on");
    }
    static std::string column_text(sqlite3_stmt& s, int i) {
        auto p = sqlite3_column_text(&s, i);
        int n = sqlite3_column_bytes(&s, i);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
    }
    static bytes column_blob(sqlite3_stmt& s, int i) {
        auto p = static_cast<const byte*>(sqlite3_column_blob(&s, i));
        int n = sqlite3_column_bytes(&s, i);
        return p ? bytes(p, p + n) : bytes();
    }
    static std::uint64_t column_u64(sqlite3_stmt& s, int i) {
        return static_cast<std::uint64_t>(sqlite3_column_int64(&s, i));
    }
    static digest256 column_digest(sqlite3_stmt& s, int i) {
        digest256 d{};
        bytes b = column_blob(s, i);
        // A stored hash of the wrong size compares unequal to every real hash.
        if (b.size() == d.size()) std::memcpy(d.data(), b.data(), d.size());
        else d.fill(0xff);
        return d;
    }

    // Statements left on a row keep a read snapshot open: every transaction ends with none.
    void reset_all() noexcept {
        for (auto& [sql, st] : statements_) sqlite3_reset(st.get());
    }

    void migrate();
};

/// A write transaction on a `sqlite_repository` (see `repository_transaction`).
class sqlite_repository::transaction {
public:
    transaction(transaction&& o) noexcept : repo_(std::exchange(o.repo_, nullptr)) {}
    transaction& operator=(transaction&&) = delete;
    ~transaction() {
        if (!repo_) return;
        repo_->reset_all();
        repo_->exec_rc("ROLLBACK");
    }

    [[nodiscard]] std::optional<stored_record> find_record(std::string_view serial) {
        auto& s = repo_->prepare("SELECT serial, owner, status, encoded, deposited FROM records WHERE serial = ?1");
        repo_->bind(s, 1, serial);
        if (!repo_->step(s)) return std::nullopt;
        return row_record(s);
    }
    void insert_record(const stored_record& r) {
        auto& s = repo_->prepare("INSERT INTO records(serial, owner, status, encoded, deposited) VALUES (?1, ?2, ?3, ?4, ?5)");
        repo_->bind(s, 1, r.serial);
        repo_->bind(s, 2, r.owner);
        repo_->bind(s, 3, std::uint64_t(static_cast<std::uint8_t>(r.status)));
        repo_->bind(s, 4, byte_view(r.encoded));
        repo_->bind(s, 5, r.deposited);
        repo_->run(s);
    }
    void set_status(std::string_view serial, record_status st) {
        auto& s = repo_->prepare("UPDATE records SET status = ?2 WHERE serial = ?1");
        repo_->bind(s, 1, serial);
        repo_->bind(s, 2, std::uint64_t(static_cast<std::uint8_t>(st)));
        repo_->run(s);
        if (sqlite3_changes(repo_->db_.get()) != 1)
            throw error(errc::not_found, "sqlite: no record '" + std::string(serial) + "'");
    }
    [[nodiscard]] std::vector<stored_record> list_records(std::string_view owner) {
        auto& s = owner.empty()
                      ? repo_->prepare("SELECT serial, owner, status, encoded, deposited FROM records ORDER BY serial")
                      : repo_->prepare(
                            "SELECT serial, owner, status, encoded, deposited FROM records WHERE owner = ?1 ORDER BY serial");
        if (!owner.empty()) repo_->bind(s, 1, owner);
        std::vector<stored_record> out;
        while (repo_->step(s)) out.push_back(row_record(s));
        return out;
    }
    [[nodiscard]] std::optional<officer_entry> find_officer(std::string_view name) {
        auto& s = repo_->prepare("SELECT name, public_key, registered FROM officers WHERE name = ?1");
        repo_->bind(s, 1, name);
        if (!repo_->step(s)) return std::nullopt;
        return row_officer(s);
    }
    [[nodiscard]] std::optional<officer_entry> find_officer_by_key(byte_view key) {
        auto& s = repo_->prepare("SELECT name, public_key, registered FROM officers WHERE public_key = ?1");
        repo_->bind(s, 1, key);
        if (!repo_->step(s)) return std::nullopt;
        return row_officer(s);
    }
    void insert_officer(const officer_entry& o) {
        auto& s = repo_->prepare("INSERT INTO officers(name, public_key, registered) VALUES (?1, ?2, ?3)");
        repo_->bind(s, 1, o.name);
        repo_->bind(s, 2, byte_view(o.public_key));
        repo_->bind(s, 3, o.registered);
        repo_->run(s);
    }
    [[nodiscard]] std::vector<officer_entry> list_officers() {
        auto& s = repo_->prepare("SELECT name, public_key, registered FROM officers ORDER BY name");
        std::vector<officer_entry> out;
        while (repo_->step(s)) out.push_back(row_officer(s));
        return out;
    }
    [[nodiscard]] bool nonce_used(byte_view nonce) {
        auto& s = repo_->prepare("SELECT 1 FROM nonces WHERE nonce = ?1");
        repo_->bind(s, 1, nonce);
        return repo_->step(s);
    }
    void insert_nonce(byte_view nonce, std::uint64_t expires) {
        auto& s = repo_->prepare("INSERT INTO nonces(nonce, expires) VALUES (?1, ?2)");
        repo_->bind(s, 1, nonce);
        repo_->bind(s, 2, expires);
        repo_->run(s);
    }
    [[nodiscard]] std::optional<bytes> get_meta(std::string_view key) {
        auto& s = repo_->prepare("SELECT value FROM meta WHERE key = ?1");
        repo_->bind(s, 1, key);
        if (!repo_->step(s)) return std::nullopt;
        return column_blob(s, 0);
    }
    void set_meta(std::string_view key, byte_view value) {
        auto& s = repo_->prepare("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
        repo_->bind(s, 1, key);
        repo_->bind(s, 2, value);
        repo_->run(s);
    }
    [[nodiscard]] authority::audit_head audit_head() {
        auto& s = repo_->prepare("SELECT seq, hash FROM audit_head WHERE id = 1");
        authority::audit_head h;
        if (repo_->step(s)) h = {column_u64(s, 0), column_digest(s, 1)};
        return h;
    }
    void append_audit(const audit_entry& e) {
        auto& s = repo_->prepare(
            "INSERT INTO audit(seq, time, kind, serial, actor, outcome, reason, prev_hash, hash) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        repo_->bind(s, 1, e.seq);
        repo_->bind(s, 2, e.time);
        repo_->bind(s, 3, e.kind);
        repo_->bind(s, 4, e.serial);
        repo_->bind(s, 5, e.actor);
        repo_->bind(s, 6, e.outcome);
        repo_->bind(s, 7, e.reason);
        repo_->bind(s, 8, byte_view(e.prev_hash));
        repo_->bind(s, 9, byte_view(e.hash));
        repo_->run(s);
        auto& h = repo_->prepare(
            "INSERT INTO audit_head(id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT(id) DO UPDATE SET seq = ?1, hash = ?2");
        repo_->bind(h, 1, e.seq);
        repo_->bind(h, 2, byte_view(e.hash));
        repo_->run(h);
    }
    [[nodiscard]] std::vector<audit_entry> audit_entries() {
        auto& s = repo_->prepare(
            "SELECT seq, time, kind, serial, actor, outcome, reason, prev_hash, hash FROM audit ORDER BY seq");
        std::vector<audit_entry> out;
        while (repo_->step(s)) {
            audit_entry e;
            e.seq = column_u64(s, 0);
            e.time = column_u64(s, 1);
            e.kind = column_text(s, 2);
            e.serial = column_text(s, 3);
            e.actor = column_text(s, 4);
            e.outcome = column_text(s, 5);
            e.reason = column_text(s, 6);
            e.prev_hash = column_digest(s, 7);
            e.hash = column_digest(s, 8);
            out.push_back(std::move(e));
        }
        return out;
    }
    /// Commits; with `synchronous=FULL` the WAL is on disk when this returns.
    void commit() {
        repo_->reset_all();
        repo_->retry_busy([&] { return repo_->exec_rc("COMMIT"); }, "committing a transaction");
        repo_ = nullptr;
    }

private:
    friend class sqlite_repository;
    explicit transaction(sqlite_repository& r) : repo_(&r) {}

    static stored_record row_record(sqlite3_stmt& s) {
        stored_record r;
        r.serial = column_text(s, 0);
        r.owner = column_text(s, 1);
        auto st = sqlite3_column_int64(&s, 2);
        r.status = st == 1 ? record_status::active : record_status::revoked;
        r.encoded = column_blob(s, 3);
        r.deposited = column_u64(s, 4);
        return r;
    }
    static officer_entry row_officer(sqlite3_stmt& s) {
        return {column_text(s, 0), column_blob(s, 1), column_u64(s, 2)};
    }

    sqlite_repository* repo_;
};

inline sqlite_repository::transaction sqlite_repository::begin() {
    retry_busy([&] { return exec_rc("BEGIN IMMEDIATE"); }, "starting a transaction");
    return transaction(*this);
}

inline void sqlite_repository::migrate() {
    transaction t = begin();
    auto& s = prepare("PRAGMA user_version");
    int version = step(s) ? sqlite3_column_int(&s, 0) : 0;
    sqlite3_reset(&s);
    if (version == schema_version) return;  // the transaction rolls back: nothing to change
    if (version != 0)
        throw error(errc::unsupported_version, "sqlite: the database '" + path_ + "' has schema version " +
                                                   std::to_string(version) + " (this library reads version 1)");
    // A database file that holds tables but no version is not ours.
    auto& tables = prepare("SELECT count(*) FROM sqlite_master");
    if (step(tables) && sqlite3_column_int(&tables, 0) != 0)
        throw error(errc::unsupported_version,
                    "sqlite: the database '" + path_ + "' holds tables but no escrow schema version");
    sqlite3_reset(&tables);
    exec(R"sql(
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
