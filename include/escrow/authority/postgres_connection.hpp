// SPDX-License-Identifier: MIT
/// @file
/// `escrow::authority::postgres::connection`: one libpq connection with the library's error
/// handling (every failure an `escrow::error`, in one line, without the password), reconnection
/// with a bounded back-off, and prepared statements with binary parameters and results. The
/// plumbing under `postgres_repository` (link `escrow::postgres`).
#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"

namespace escrow::authority::postgres {

/// How hard a `connection` tries before it reports a failure.
struct retry_options {
    /// Attempts at starting a transaction after a lost connection, a serialization failure or a
    /// server restart (1: no retry). With the default pauses, 10 attempts wait about 9 s in all:
    /// long enough for a server that restarts. The first connection is tried once, so that a
    /// wrong address or an unreachable server is reported at once.
    int attempts = 10;
    /// The pause after the first failed attempt; each next pause doubles, up to `max_backoff`.
    std::chrono::milliseconds first_backoff{50};
    /// The longest pause between two attempts.
    std::chrono::milliseconds max_backoff{2000};
    /// libpq's `connect_timeout` when the connection string gives none (seconds).
    int connect_timeout_seconds = 10;
};

/// A failure libpq reported, with its SQLSTATE ("" when the server sent none).
struct failure {
    std::string sqlstate;  ///< five characters, e.g. "40001"
    std::string message;   ///< libpq's message on one line
    bool connection_lost = false;  ///< the connection is unusable (network, server restart)

    /// Whether trying again may succeed: a lost connection, a serialization failure (40001), a
    /// deadlock (40P01), a server shutting down or starting (57P01, 57P02, 57P03), or a
    /// connection exception (class 08).
    [[nodiscard]] bool transient() const noexcept {
        return connection_lost || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "57P01" ||
               sqlstate == "57P02" || sqlstate == "57P03" || sqlstate.starts_with("08");
    }
};

/// `text` on one line: every run of control characters (libpq's messages span lines) becomes "; ".
[[nodiscard]] inline std::string one_line(std::string_view text) {
    std::string out;
    bool gap = false;
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            gap = true;
            continue;
        }
        if (gap && !out.empty()) out += "; ";
        gap = false;
        out += c;
    }
    return out;
}

/// A statement's result rows, read in binary form (`resultFormat` 1).
class result {
    struct clear {
        void operator()(PGresult* r) const noexcept { PQclear(r); }
    };

public:
    /// Takes ownership of `r`.
    explicit result(PGresult* r) noexcept : r_(r) {}
    /// libpq's result (null when libpq ran out of memory).
    [[nodiscard]] PGresult* get() const noexcept { return r_.get(); }
    /// Rows returned.
    [[nodiscard]] int rows() const noexcept { return PQntuples(r_.get()); }
    /// Rows an INSERT, UPDATE or DELETE changed.
    [[nodiscard]] std::uint64_t changed() const { return std::strtoull(PQcmdTuples(r_.get()), nullptr, 10); }
    /// Column `c` of row `i` as bytes (text and bytea alike; empty for NULL).
    [[nodiscard]] bytes blob(int i, int c) const {
        auto p = reinterpret_cast<const byte*>(PQgetvalue(r_.get(), i, c));
        return bytes(p, p + PQgetlength(r_.get(), i, c));
    }
    /// Column `c` of row `i` as text.
    [[nodiscard]] std::string text(int i, int c) const {
        return std::string(PQgetvalue(r_.get(), i, c), static_cast<std::size_t>(PQgetlength(r_.get(), i, c)));
    }
    /// Column `c` of row `i`, an `int8` (big-endian in binary form), as an unsigned integer.
    [[nodiscard]] std::uint64_t u64(int i, int c) const {
        std::uint64_t v = 0;
        const char* p = PQgetvalue(r_.get(), i, c);
        if (PQgetlength(r_.get(), i, c) != 8)
            throw error(errc::io_error, "postgres: a column expected as int8 has another size (the schema was altered)");
        for (int k = 0; k < 8; ++k) v = (v << 8) | static_cast<unsigned char>(p[k]);
        return v;
    }
    /// Column `c` of row `i` as a SHA-256 digest; a stored value of the wrong size compares unequal
    /// to every real hash (all 0xff).
    [[nodiscard]] digest256 digest(int i, int c) const {
        digest256 d{};
        if (PQgetlength(r_.get(), i, c) == static_cast<int>(d.size())) std::memcpy(d.data(), PQgetvalue(r_.get(), i, c), d.size());
        else d.fill(0xff);
        return d;
    }

private:
    std::unique_ptr<PGresult, clear> r_;
};

/// A statement's parameters, all sent in binary form: text and bytea as their bytes, integers as
/// `int8` (the statement casts them: `$1::int8`).
class params {
public:
    /// Adds a text or bytea parameter (its bytes are copied).
    params& add(std::string_view v) { return push(std::string(v)); }
    /// Adds a bytea parameter.
    params& add(byte_view v) { return push(std::string(reinterpret_cast<const char*>(v.data()), v.size())); }
    /// Adds an `int8` parameter (an unsigned value above 2^63 - 1 wraps, as SQLite's int64 does).
    params& add(std::uint64_t v) {
        std::string s(8, '\0');
        for (int k = 7; k >= 0; --k, v >>= 8) s[static_cast<std::size_t>(k)] = static_cast<char>(v & 0xff);
        return push(std::move(s));
    }

private:
    friend class connection;
    std::vector<std::string> values_;
    params& push(std::string s) {
        values_.push_back(std::move(s));
        return *this;
    }
};

/// One connection to a PostgreSQL database. Failures are `escrow::error`: `invalid_argument` for a
/// connection string libpq cannot parse, `io_error` for everything else, naming the server
/// (host, port, database, user: never the password) and libpq's message. One object is one
/// connection: use it from one thread at a time.
class connection {
    struct finish {
        void operator()(PGconn* c) const noexcept { PQfinish(c); }
    };

public:
    /// Connects with `conninfo` (a `postgresql://` or `postgres://` URI, or a `key=value` string;
    /// `sslmode` and every other libpq parameter pass through), once; later losses of the
    /// connection are retried as `retry` says. @throws escrow::error `invalid_argument` (the string does not parse),
    /// `io_error` (the server cannot be reached, refuses the credentials, ...).
    connection(std::string conninfo, retry_options retry) : conninfo_(std::move(conninfo)), retry_(retry) {
        char* err = nullptr;
        PQconninfoOption* opts = PQconninfoParse(conninfo_.c_str(), &err);
        if (!opts) {
            std::string why = err ? one_line(err) : "out of memory";
            PQfreemem(err);
            throw error(errc::invalid_argument, "postgres: not a valid connection string or URI: " + why);
        }
        PQconninfoFree(opts);
        if (auto f = connect_once()) throw error(errc::io_error, "postgres: cannot connect to " + describe() + ": " + f->message);
    }

    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// The server, for messages: "host H port P database D user U" (never the password).
    [[nodiscard]] std::string describe() const {
        if (!conn_) return "the server";
        auto s = [](const char* v) { return std::string(v && *v ? v : "?"); };
        return "database '" + s(PQdb(conn_.get())) + "' on " + s(PQhost(conn_.get())) + " port " + s(PQport(conn_.get())) +
               " as '" + s(PQuser(conn_.get())) + "'";
    }

    /// Runs `attempt` until it returns no failure, with the back-off of the retry options,
    /// connecting again after a lost connection; a failure that is not transient, or the last
    /// attempt's, goes to `give_up` (which throws).
    template <class Attempt, class GiveUp>
    void with_backoff(Attempt attempt, GiveUp give_up) {
        auto pause = retry_.first_backoff;
        for (int i = 1;; ++i) {
            std::optional<failure> f = attempt();
            if (!f) return;
            if (!f->transient() || i >= retry_.attempts) give_up(*f);
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, retry_.max_backoff);
            if (!ok()) {
                if (auto c = connect_once()) {
                    // The next attempt would only find no connection: say why there is none.
                    if (!c->transient() || i + 1 >= retry_.attempts) give_up(*c);
                }
            }
        }
    }

    /// Runs `sql`, a fixed statement without parameters (BEGIN, COMMIT, the schema); with `tag`,
    /// stores the command tag the server answered ("COMMIT", or "ROLLBACK" for a COMMIT of a
    /// failed transaction).
    [[nodiscard]] std::optional<failure> exec_simple(const char* sql, std::string* tag = nullptr) {
        result r(PQexec(conn_.get(), sql));
        if (tag && r.get()) *tag = PQcmdStatus(r.get());
        return check(r);
    }
    /// Runs `sql`. @throws escrow::error `io_error`.
    void exec(const char* sql) {
        if (auto f = exec_simple(sql)) fail(*f, "'" + std::string(sql).substr(0, 40) + "'");
    }

    /// Runs the statement `sql` with `p`, prepared on this connection the first time.
    /// @throws escrow::error `io_error`.
    result run(std::string_view sql, const params& p = {}) {
        const std::string& name = prepared(sql, p.values_.size());
        std::vector<const char*> values;
        std::vector<int> lengths, formats;
        for (const auto& v : p.values_) {
            values.push_back(v.data());
            lengths.push_back(static_cast<int>(v.size()));
            formats.push_back(1);
        }
        result r(PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(values.size()), values.data(), lengths.data(),
                                formats.data(), 1));
        if (auto f = check(r)) fail(*f, "a statement");
        return r;
    }

    /// Throws the `io_error` of `f`, met while doing `what`.
    [[noreturn]] void fail(const failure& f, const std::string& what) const {
        std::string msg = "postgres: " + what + " failed on " + describe() + ": " + f.message;
        if (f.connection_lost) msg += " (the connection was lost)";
        throw error(errc::io_error, msg);
    }

    /// Whether the connection is usable.
    [[nodiscard]] bool ok() const noexcept { return conn_ && !lost_ && PQstatus(conn_.get()) == CONNECTION_OK; }

    /// The failure in `r`, if any.
    [[nodiscard]] std::optional<failure> check(const result& r) const {
        ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return std::nullopt;
        failure f;
        const char* state = r.get() ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
        f.sqlstate = state ? state : "";
        f.message = one_line(r.get() ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_.get()));
        if (f.message.empty()) f.message = one_line(PQerrorMessage(conn_.get()));
        // A server that dies without a word (a crash, `pg_ctl stop -m immediate`, a killed
        // backend) gives "server closed the connection unexpectedly", and libpq 15 leaves the
        // status at CONNECTION_OK after it. Every error the server sends has a SQLSTATE, so a
        // fatal result without one came from libpq itself: the connection is not to be trusted.
        f.connection_lost = PQstatus(conn_.get()) != CONNECTION_OK || (st == PGRES_FATAL_ERROR && f.sqlstate.empty());
        if (f.connection_lost) lost_ = true;
        return f;
    }

private:
    std::string conninfo_;
    retry_options retry_;
    std::unique_ptr<PGconn, finish> conn_;
    mutable bool lost_ = false;  // a failure showed the connection lost (`check`), until the next connect
    std::map<std::string, std::string, std::less<>> statements_;  // SQL -> prepared name

    std::optional<failure> connect_once() {
        statements_.clear();
        lost_ = false;
        const std::string timeout = std::to_string(retry_.connect_timeout_seconds);
        // Keywords are processed in order and the last value wins: the defaults come first, then
        // the caller's string (expanded from "dbname"), which may override them.
        const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
        const char* vals[] = {timeout.c_str(), "escrow", conninfo_.c_str(), nullptr};
        conn_.reset(PQconnectdbParams(keys, vals, 1));
        if (!conn_) return failure{"", "out of memory", true};
        if (PQstatus(conn_.get()) != CONNECTION_OK) {
            std::string msg = one_line(PQerrorMessage(conn_.get()));
            // An authentication failure or a missing database will not go away by waiting.
            bool permanent = msg.find("authentication failed") != std::string::npos ||
                             msg.find("does not exist") != std::string::npos ||
                             msg.find("no password supplied") != std::string::npos ||
                             msg.find("no pg_hba.conf entry") != std::string::npos;
            return failure{"", msg, !permanent};
        }
        // The server's notices (e.g. "relation ... already exists, skipping") are not for the
        // caller's standard error.
        PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
        // Commits must be durable: a server or role that defaults to synchronous_commit=off is
        // overridden for this session (any stronger setting, e.g. remote_apply, is kept).
        result r(PQexec(conn_.get(), "SHOW synchronous_commit"));
        if (auto f = check(r)) return f;
        if (r.rows() == 1 && std::string_view(PQgetvalue(r.get(), 0, 0)) == "off")
            if (auto f = exec_simple("SET synchronous_commit = on")) return f;
        // A writer waits for the authority's lock as long as SQLite's busy timeout, unless the
        // connection string set a lock_timeout of its own.
        result lt(PQexec(conn_.get(), "SHOW lock_timeout"));
        if (auto f = check(lt)) return f;
        if (lt.rows() == 1 && std::string_view(PQgetvalue(lt.get(), 0, 0)) == "0")
            if (auto f = exec_simple("SET lock_timeout = '60s'")) return f;
        return std::nullopt;
    }

    const std::string& prepared(std::string_view sql, std::size_t n) {
        auto it = statements_.find(sql);
        if (it != statements_.end()) return it->second;
        std::string name = "escrow_" + std::to_string(statements_.size() + 1);
        result r(PQprepare(conn_.get(), name.c_str(), std::string(sql).c_str(), static_cast<int>(n), nullptr));
        if (auto f = check(r)) fail(*f, "preparing '" + std::string(sql.substr(0, 60)) + "'");
        return statements_.emplace(std::string(sql), std::move(name)).first->second;
    }
};

}  // namespace escrow::authority::postgres
