// SPDX-License-Identifier: MIT
/// @file
/// `escrow::authority::postgres_repository`: a backup authority's records, officers, nonces and
/// audit log in a PostgreSQL database, shared by writers on several machines (link
/// `escrow::postgres`). The connection plumbing is in `postgres_connection.hpp`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "escrow/authority/audit.hpp"
#include "escrow/authority/postgres_connection.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/core/error.hpp"

namespace escrow::authority {

/// Whether opening a `postgres_repository` may create the schema in a database that has none.
enum class postgres_open : std::uint8_t {
    create_if_missing,  ///< an empty database is given the schema
    must_exist,         ///< a database without the schema is `not_found`, and nothing is created
};

/// A repository in a PostgreSQL database, safe to share between threads (one object each),
/// processes and machines.
///
/// One audit chain whatever the writers: every transaction starts with `BEGIN` and then takes one
/// transaction-level advisory lock (`pg_advisory_xact_lock(advisory_lock_key)`), held until
/// `COMMIT` or `ROLLBACK`. Transactions on one database are thus serial, as the
/// `repository_transaction` law asks: an audit append reads the head and writes the next entry,
/// and two appends interleaved would fork the chain. The alternative, SERIALIZABLE isolation
/// with a retry on serialization failure, would need the whole operation replayed, and the
/// repository sees an operation only as the separate calls `backup_authority` makes; the lock
/// costs no more than SQLite's single writer and can never deadlock (it is the only lock taken
/// first). A waiting writer gives up after `lock_timeout` (60 s unless the session sets one).
///
/// Durability: `synchronous_commit` is left on (a session where it is `off` is switched back on),
/// so a transaction that `commit()` returned from is on the server's disk (and on synchronous
/// standbys, when the server is configured for them).
///
/// Failures: connecting and starting a transaction are retried on a lost connection, a
/// serialization failure (40001), a deadlock (40P01) or a server shutting down or starting
/// (57P0x), up to `retry_options::attempts` times with a doubling pause; then, or for any other
/// failure, `escrow::error` `io_error`. A failure inside a transaction rolls it back and is
/// reported (the caller's operation is not replayed); a connection lost during `COMMIT` is
/// reported as such, since the commit may or may not have happened.
///
/// Schema: versioned by the table `escrow_migrations` (one row per applied migration). An older
/// schema is upgraded on open, in one transaction under the lock; a newer one is refused with
/// `unsupported_version`, as is a database that holds the schema's tables without that table.
/// Every statement that carries data is prepared once per connection and run with binary
/// parameters: no value is ever spliced into SQL.
class postgres_repository {
public:
    /// The schema version this code reads and writes (the last migration).
    static constexpr int schema_version = 2;
    /// The key of the advisory lock every transaction holds (a constant, so that every process,
    /// whatever its version, serialises on the same lock).
    static constexpr std::int64_t advisory_lock_key = 0x657363726f770001;  // "escrow" 0001

    class transaction;

    /// Connects with `conninfo` (a `postgresql://` or `postgres://` URI, or a libpq `key=value`
    /// string; `sslmode`, `sslrootcert` and every other libpq parameter pass through) and checks,
    /// creates or upgrades the schema.
    /// @throws escrow::error `invalid_argument` (the string does not parse), `io_error` (cannot
    /// connect, credentials refused, SQL failure), `not_found` (`must_exist` and no schema),
    /// `unsupported_version` (a newer or foreign schema).
    explicit postgres_repository(std::string conninfo, postgres_open mode = postgres_open::create_if_missing,
                                 postgres::retry_options retry = {})
        : db_(std::move(conninfo), retry) {
        migrate(mode);
    }

    postgres_repository(const postgres_repository&) = delete;
    postgres_repository& operator=(const postgres_repository&) = delete;

    /// Starts a transaction and takes the authority's advisory lock, waiting for other writers.
    /// @throws escrow::error `io_error` (after the bounded retries).
    [[nodiscard]] transaction begin();

    /// The server and database, for messages (never the password).
    [[nodiscard]] std::string describe() const { return db_.describe(); }

    /// The schema version recorded in the database.
    [[nodiscard]] int stored_schema_version();

private:
    friend class transaction;
    postgres::connection db_;

    void migrate(postgres_open mode);
};

/// A transaction on a `postgres_repository` (see `repository_transaction`), holding the advisory
/// lock until it commits or is destroyed (which rolls it back).
class postgres_repository::transaction {
public:
    /// Moves the open transaction.
    transaction(transaction&& o) noexcept : repo_(std::exchange(o.repo_, nullptr)) {}
    transaction& operator=(transaction&&) = delete;
    /// Rolls back unless committed.
    ~transaction() {
        if (repo_ && repo_->db_.ok()) (void)repo_->db_.exec_simple("ROLLBACK");
    }

    /// The record stored under `serial`, if any.
    [[nodiscard]] std::optional<stored_record> find_record(std::string_view serial) {
        auto r = db().run(record_select + " WHERE serial = $1", postgres::params().add(serial));
        if (r.rows() == 0) return std::nullopt;
        return row_record(r, 0);
    }
    /// Stores a new record. @throws escrow::error `io_error` (the serial is taken).
    void insert_record(const stored_record& r) {
        db().run("INSERT INTO records(serial, owner, status, encoded, deposited) VALUES ($1, $2, $3::int8, $4, $5::int8)",
                 postgres::params().add(r.serial).add(r.owner).add(std::uint64_t(static_cast<std::uint8_t>(r.status)))
                     .add(byte_view(r.encoded)).add(r.deposited));
    }
    /// Replaces the stored record under `r.serial` with `r` (a verifying deposit over one that
    /// does not verify). @throws escrow::error `not_found` when there is none.
    void replace_record(const stored_record& r) {
        auto res = db().run("UPDATE records SET owner = $2, status = $3::int8, encoded = $4, deposited = $5::int8 WHERE serial = $1",
                            postgres::params().add(r.serial).add(r.owner).add(std::uint64_t(static_cast<std::uint8_t>(r.status)))
                                .add(byte_view(r.encoded)).add(r.deposited));
        if (res.changed() != 1) throw error(errc::not_found, "postgres: no record '" + r.serial + "'");
    }
    /// Changes a record's status. @throws escrow::error `not_found`.
    void set_status(std::string_view serial, record_status st) {
        auto r = db().run("UPDATE records SET status = $2::int8 WHERE serial = $1",
                          postgres::params().add(serial).add(std::uint64_t(static_cast<std::uint8_t>(st))));
        if (r.changed() != 1) throw error(errc::not_found, "postgres: no record '" + std::string(serial) + "'");
    }
    /// The records of `owner` (every record when empty), ordered by serial.
    [[nodiscard]] std::vector<stored_record> list_records(std::string_view owner) {
        auto r = owner.empty() ? db().run(record_select + " ORDER BY serial COLLATE \"C\"")
                               : db().run(record_select + " WHERE owner = $1 ORDER BY serial COLLATE \"C\"",
                                          postgres::params().add(owner));
        std::vector<stored_record> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(row_record(r, i));
        return out;
    }
    /// The officer named `name`, if any.
    [[nodiscard]] std::optional<officer_entry> find_officer(std::string_view name) {
        return one_officer(db().run(officer_select + " WHERE name = $1", postgres::params().add(name)));
    }
    /// The officer whose raw public key is `key`, if any.
    [[nodiscard]] std::optional<officer_entry> find_officer_by_key(byte_view key) {
        return one_officer(db().run(officer_select + " WHERE public_key = $1", postgres::params().add(key)));
    }
    /// Registers an officer. @throws escrow::error `io_error` (name or key taken).
    void insert_officer(const officer_entry& o) {
        db().run("INSERT INTO officers(name, public_key, registered) VALUES ($1, $2, $3::int8)",
                 postgres::params().add(o.name).add(byte_view(o.public_key)).add(o.registered));
    }
    /// Every officer, ordered by name.
    [[nodiscard]] std::vector<officer_entry> list_officers() {
        auto r = db().run(officer_select + " ORDER BY name COLLATE \"C\"");
        std::vector<officer_entry> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(row_officer(r, i));
        return out;
    }
    /// Whether `nonce` was recorded.
    [[nodiscard]] bool nonce_used(byte_view nonce) {
        return db().run("SELECT 1 FROM nonces WHERE nonce = $1", postgres::params().add(nonce)).rows() != 0;
    }
    /// Records a granted request's nonce. @throws escrow::error `io_error` (already recorded).
    void insert_nonce(byte_view nonce, std::uint64_t expires) {
        db().run("INSERT INTO nonces(nonce, expires) VALUES ($1, $2::int8)", postgres::params().add(nonce).add(expires));
    }
    /// Every recorded nonce, ordered by its bytes.
    [[nodiscard]] std::vector<nonce_entry> list_nonces() {
        auto r = db().run("SELECT nonce, expires FROM nonces ORDER BY nonce");
        std::vector<nonce_entry> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back({r.blob(i, 0), r.u64(i, 1)});
        return out;
    }
    /// The setting `key`, if any.
    [[nodiscard]] std::optional<bytes> get_meta(std::string_view key) {
        auto r = db().run("SELECT value FROM meta WHERE key = $1", postgres::params().add(key));
        if (r.rows() == 0) return std::nullopt;
        return r.blob(0, 0);
    }
    /// Sets the setting `key`.
    void set_meta(std::string_view key, byte_view value) {
        db().run("INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                 postgres::params().add(key).add(value));
    }
    /// Every setting, ordered by key.
    [[nodiscard]] std::vector<meta_entry> list_meta() {
        auto r = db().run("SELECT key, value FROM meta ORDER BY key COLLATE \"C\"");
        std::vector<meta_entry> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back({r.text(i, 0), r.blob(i, 1)});
        return out;
    }
    /// The recorded head of the audit chain.
    [[nodiscard]] authority::audit_head audit_head() {
        auto r = db().run("SELECT seq, hash FROM audit_head WHERE id = 1");
        authority::audit_head h;
        if (r.rows() == 1) h = {r.u64(0, 0), r.digest(0, 1)};
        return h;
    }
    /// Stores `e` and makes it the head.
    void append_audit(const audit_entry& e) {
        db().run("INSERT INTO audit(seq, time, kind, serial, actor, outcome, reason, prev_hash, hash) "
                 "VALUES ($1::int8, $2::int8, $3, $4, $5, $6, $7, $8, $9)",
                 postgres::params().add(e.seq).add(e.time).add(to_string(e.kind)).add(e.serial).add(e.actor)
                     .add(to_string(e.outcome)).add(e.reason).add(byte_view(e.prev_hash)).add(byte_view(e.hash)));
        db().run("INSERT INTO audit_head(id, seq, hash) VALUES (1, $1::int8, $2) "
                 "ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash",
                 postgres::params().add(e.seq).add(byte_view(e.hash)));
    }
    /// Every audit entry, ascending by `seq`.
    [[nodiscard]] std::vector<audit_entry> audit_entries() {
        auto r = db().run("SELECT seq, time, kind, serial, actor, outcome, reason, prev_hash, hash FROM audit ORDER BY seq");
        std::vector<audit_entry> out;
        out.reserve(static_cast<std::size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i) {
            audit_entry e;
            e.seq = r.u64(i, 0);
            e.time = r.u64(i, 1);
            e.kind = from_stored_text<audit_kind>(r.text(i, 2), e.seq);
            e.serial = r.text(i, 3);
            e.actor = r.text(i, 4);
            e.outcome = from_stored_text<audit_outcome>(r.text(i, 5), e.seq);
            e.reason = r.text(i, 6);
            e.prev_hash = r.digest(i, 7);
            e.hash = r.digest(i, 8);
            out.push_back(std::move(e));
        }
        return out;
    }
    /// Commits (with `synchronous_commit` on, durably) and releases the lock.
    /// @throws escrow::error `io_error`: the transaction failed and rolled back, or the connection
    /// was lost during the commit (which then may or may not have happened).
    void commit() {
        postgres::connection& c = db();
        repo_ = nullptr;  // whatever happens, nothing is left to roll back
        std::string tag;
        if (auto f = c.exec_simple("COMMIT", &tag)) {
            if (f->connection_lost) f->message += "; the commit may or may not have happened";
            c.fail(*f, "committing a transaction");
        }
        // COMMIT of a transaction that failed earlier answers ROLLBACK.
        if (tag != "COMMIT")
            throw error(errc::io_error, "postgres: the transaction was rolled back on " + c.describe() + " (a statement in it failed)");
    }

private:
    friend class postgres_repository;
    explicit transaction(postgres_repository& r) : repo_(&r) {}

    inline static const std::string record_select = "SELECT serial, owner, status::int8, encoded, deposited FROM records";
    inline static const std::string officer_select = "SELECT name, public_key, registered FROM officers";

    postgres::connection& db() {
        if (!repo_) throw error(errc::io_error, "postgres: the transaction has ended");
        return repo_->db_;
    }

    static stored_record row_record(const postgres::result& r, int i) {
        stored_record s;
        s.serial = r.text(i, 0);
        s.owner = r.text(i, 1);
        s.status = r.u64(i, 2) == 1 ? record_status::active : record_status::revoked;
        s.encoded = r.blob(i, 3);
        s.deposited = r.u64(i, 4);
        return s;
    }
    static officer_entry row_officer(const postgres::result& r, int i) { return {r.text(i, 0), r.blob(i, 1), r.u64(i, 2)}; }
    static std::optional<officer_entry> one_officer(const postgres::result& r) {
        if (r.rows() == 0) return std::nullopt;
        return row_officer(r, 0);
    }

    postgres_repository* repo_;
};

inline postgres_repository::transaction postgres_repository::begin() {
    static const std::string lock = "SELECT pg_advisory_xact_lock(" + std::to_string(advisory_lock_key) + ")";
    db_.with_backoff(
        [&]() -> std::optional<postgres::failure> {
            if (!db_.ok()) return postgres::failure{"", "no connection", true};
            if (auto f = db_.exec_simple("BEGIN")) return f;
            if (auto f = db_.exec_simple(lock.c_str())) {
                if (db_.ok()) (void)db_.exec_simple("ROLLBACK");
                return f;
            }
            return std::nullopt;
        },
        [&](const postgres::failure& f) { db_.fail(f, "starting a transaction"); });
    return transaction(*this);
}

inline int postgres_repository::stored_schema_version() {
    transaction t = begin();
    auto r = db_.run("SELECT coalesce(max(version), 0)::int8 FROM escrow_migrations");
    return static_cast<int>(r.u64(0, 0));
}

namespace detail {
/// One step of the PostgreSQL schema: what `postgres_repository` runs to go from `version - 1`
/// to `version`. Append new steps; never change a published one.
struct postgres_migration {
    int version;
    const char* description;
    const char* sql;
};

inline constexpr postgres_migration postgres_migrations[] = {
    {1, "records, officers, nonces, settings and the audit chain", R"sql(
        CREATE TABLE records(
            serial text PRIMARY KEY,
            owner text NOT NULL,
            status smallint NOT NULL CHECK (status IN (1, 2)),
            encoded bytea NOT NULL,
            deposited bigint NOT NULL);
        CREATE TABLE officers(
            name text PRIMARY KEY,
            public_key bytea NOT NULL UNIQUE,
            registered bigint NOT NULL);
        CREATE TABLE nonces(
            nonce bytea PRIMARY KEY,
            expires bigint NOT NULL);
        CREATE TABLE meta(
            key text PRIMARY KEY,
            value bytea NOT NULL);
        CREATE TABLE audit(
            seq bigint PRIMARY KEY,
            time bigint NOT NULL,
            kind text NOT NULL,
            serial text NOT NULL,
            actor text NOT NULL,
            outcome text NOT NULL,
            reason text NOT NULL,
            prev_hash bytea NOT NULL,
            hash bytea NOT NULL);
        CREATE TABLE audit_head(
            id smallint PRIMARY KEY CHECK (id = 1),
            seq bigint NOT NULL,
            hash bytea NOT NULL);
    )sql"},
    {2, "records looked up by owner", "CREATE INDEX records_by_owner ON records(owner)"},
};
}  // namespace detail

inline void postgres_repository::migrate(postgres_open mode) {
    static_assert(std::size(detail::postgres_migrations) == schema_version, "one migration per schema version");
    transaction t = begin();  // under the lock: two processes opening an empty database do not race
    const bool versioned = db_.run("SELECT (to_regclass('escrow_migrations') IS NOT NULL)::int::int8").u64(0, 0) != 0;
    int version = 0;
    if (versioned) {
        version = static_cast<int>(db_.run("SELECT coalesce(max(version), 0)::int8 FROM escrow_migrations").u64(0, 0));
    } else {
        if (mode == postgres_open::must_exist)
            throw error(errc::not_found, "postgres: " + describe() + " holds no escrow authority (no escrow_migrations table)");
        auto clash = db_.run(
            "SELECT count(*)::int8 FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name IN ('records', 'officers', 'nonces', 'meta', 'audit', 'audit_head')");
        if (clash.u64(0, 0) != 0)
            throw error(errc::unsupported_version, "postgres: " + describe() +
                                                       " holds tables named like the escrow schema's but no escrow_migrations table");
    }
    if (version > schema_version)
        throw error(errc::unsupported_version, "postgres: " + describe() + " has escrow schema version " +
                                                   std::to_string(version) + " (this library reads up to version " +
                                                   std::to_string(schema_version) + ")");
    if (version == schema_version) return;  // the transaction rolls back: nothing to change
    if (!versioned)
        db_.exec("CREATE TABLE escrow_migrations(version integer PRIMARY KEY, description text NOT NULL, "
                 "applied timestamptz NOT NULL DEFAULT now())");
    for (const auto& m : detail::postgres_migrations) {
        if (m.version <= version) continue;
        db_.exec(m.sql);
        db_.run("INSERT INTO escrow_migrations(version, description) VALUES ($1::int8, $2)",
                postgres::params().add(std::uint64_t(m.version)).add(std::string_view(m.description)));
    }
    t.commit();
}

static_assert(repository<postgres_repository>);

}  // namespace escrow::authority
