// SPDX-License-Identifier: MIT
/// @file
/// `escrow::authority::sqlite::connection`: one SQLite connection with the library's error
/// handling (every failure an `escrow::error`), busy retries, cached prepared statements and
/// typed binds and columns. The plumbing under `sqlite_repository` (link `escrow::sqlite`).
#pragma once

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"

namespace escrow::authority::sqlite {

/// One connection to a database file, in WAL mode with `synchronous=FULL` and foreign keys on.
/// Failures are `escrow::error` `io_error` naming the file and SQLite's message. One object is
/// one connection: use it from one thread at a time.
class connection {
    struct db_closer {
        void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
    };
    struct stmt_finalizer {
        void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
    };
    using db_ptr = std::unique_ptr<sqlite3, db_closer>;
    using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

public:
    /// Opens (creating when missing, with mode 0600) the database at `path`; a `SQLITE_BUSY` is
    /// waited for up to `busy_timeout`.
    /// @throws escrow::error `io_error` (cannot open, not a database, locked past the timeout).
    connection(const std::filesystem::path& path, std::chrono::milliseconds busy_timeout)
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
    }

    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// The database file's path.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// Throws `io_error` for the result code `rc` of `what`, with SQLite's message.
    [[noreturn]] void fail(int rc, std::string_view what) const {
        std::string msg = std::string(what) + " '" + path_ + "': " + sqlite3_errstr(rc);
        if (db_ && sqlite3_errcode(db_.get()) == rc) msg += " (" + std::string(sqlite3_errmsg(db_.get())) + ")";
        throw error(errc::io_error, "sqlite: " + msg);
    }

    /// Runs `sql`, returning SQLite's result code.
    int exec_rc(const char* sql) noexcept { return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr); }
    /// Runs `sql`. @throws escrow::error `io_error`.
    void exec(const char* sql) {
        if (int rc = exec_rc(sql); rc != SQLITE_OK) fail(rc, std::string("'") + sql + "' failed on");
    }

    /// Runs `op` until it stops answering SQLITE_BUSY/SQLITE_LOCKED or the timeout passes.
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

    /// The prepared statement of `sql` (prepared once, then cached), reset and without bindings.
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

    /// Steps once: true for a row, false when done.
    bool step(sqlite3_stmt& s) {
        int rc = sqlite3_step(&s);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        sqlite3_reset(&s);
        fail(rc, "a statement failed on");
    }
    /// Steps to the end.
    void run(sqlite3_stmt& s) {
        while (step(s)) {
        }
    }

    /// Binds text `v` to parameter `i` of `s` (copied). @throws escrow::error `io_error` on
    /// failure.
    void bind(sqlite3_stmt& s, int i, std::string_view v) {
        check_bind(sqlite3_bind_text(&s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    /// Binds blob `v` to parameter `i` of `s` (copied; an empty blob, not NULL). @throws
    /// escrow::error `io_error` on failure.
    void bind(sqlite3_stmt& s, int i, byte_view v) {
        // A zero-length blob must bind as an empty blob, not NULL.
        static const byte none = 0;
        check_bind(sqlite3_bind_blob(&s, i, v.empty() ? &none : v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    /// Binds integer `v` to parameter `i` of `s` (as SQLite's signed 64-bit integer). @throws
    /// escrow::error `io_error` on failure.
    void bind(sqlite3_stmt& s, int i, std::uint64_t v) {
        check_bind(sqlite3_bind_int64(&s, i, static_cast<sqlite3_int64>(v)));
    }

    /// Rows the last statement changed.
    [[nodiscard]] int changes() const noexcept { return sqlite3_changes(db_.get()); }

    /// Resets every cached statement: a statement left on a row keeps a read snapshot open, so
    /// every transaction ends with none.
    void reset_all() noexcept {
        for (auto& [sql, st] : statements_) sqlite3_reset(st.get());
    }

private:
    std::string path_;
    std::chrono::milliseconds timeout_;
    db_ptr db_;
    std::map<std::string, stmt_ptr, std::less<>> statements_;

    void check_bind(int rc) {
        if (rc != SQLITE_OK) fail(rc, "binding a parameter on");
    }
};

/// Column `i` of the current row as text (empty for NULL).
[[nodiscard]] inline std::string column_text(sqlite3_stmt& s, int i) {
    auto p = sqlite3_column_text(&s, i);
    int n = sqlite3_column_bytes(&s, i);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}
/// Column `i` as bytes (empty for NULL).
[[nodiscard]] inline bytes column_blob(sqlite3_stmt& s, int i) {
    auto p = static_cast<const byte*>(sqlite3_column_blob(&s, i));
    int n = sqlite3_column_bytes(&s, i);
    return p ? bytes(p, p + n) : bytes();
}
/// Column `i` as an unsigned integer.
[[nodiscard]] inline std::uint64_t column_u64(sqlite3_stmt& s, int i) {
    return static_cast<std::uint64_t>(sqlite3_column_int64(&s, i));
}
/// Column `i` as a SHA-256 digest; a stored value of the wrong size compares unequal to every
/// real hash (all 0xff).
[[nodiscard]] inline digest256 column_digest(sqlite3_stmt& s, int i) {
    digest256 d{};
    bytes b = column_blob(s, i);
    if (b.size() == d.size()) std::memcpy(d.data(), b.data(), d.size());
    else d.fill(0xff);
    return d;
}

}  // namespace escrow::authority::sqlite
