// SPDX-License-Identifier: MIT
/// @file
/// The database behind `escrow authority --db`: an SQLite file or a PostgreSQL database, chosen
/// at run time from the value's form and held in a `std::variant` that each command visits once
/// (the subcommands are templates over the repository: no virtual call). Also `import`,
/// and what the authority subcommands share.
#pragma once

#include <escrow/authority/backup_authority.hpp>
#include <escrow/authority/identity.hpp>
#include <escrow/authority/postgres_repository.hpp>
#include <escrow/authority/sqlite_repository.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <escrow/core/error.hpp>
#include <escrow/core/encoding.hpp>
#include <escrow/registry.hpp>

#include "cli_wraps.hpp"

namespace escrow_cli {

/// Whether `db` names a PostgreSQL database rather than an SQLite file: a `postgresql://` or
/// `postgres://` URI, or a libpq keyword string whose first word is a libpq keyword followed by
/// `=` (`host=db.example.org dbname=escrow`).
[[nodiscard]] bool is_postgres_target(std::string_view db);

/// How `--db` (or `--from`) is named in messages: a file's path in quotes, or a PostgreSQL
/// database as "database 'D' on HOST port P" (never its password).
[[nodiscard]] std::string db_display_name(const std::string& db);

/// The repository an `escrow authority` command works on: empty until `open_repository`.
using authority_repository =
    std::variant<std::monostate, escrow::authority::sqlite_repository, escrow::authority::postgres_repository>;

/// Opens the database `db` into `out`. With `create`, a missing SQLite file or a PostgreSQL
/// database without the schema is given one (`init`, the target of `import`); otherwise it must
/// exist, and nothing is created.
/// @throws escrow::error `not_found` (missing, "run init first"), `invalid_argument` (a
/// connection string that does not parse), `io_error`, `unsupported_version`.
void open_repository(authority_repository& out, const std::string& db, bool create);

/// The error `require_same_wrap` throws.
[[noreturn]] void throw_other_wrap(const std::string& db, std::uint16_t stored, std::uint16_t wanted);

/// @throws escrow::error `invalid_argument` when the database `db` is already initialised for
/// another wrap than `wrap_id`, both named (`init` then stops before it changes anything).
template <class Repo>
void require_same_wrap(Repo& repo, const std::string& db, std::uint16_t wrap_id) {
    auto tx = repo.begin();
    auto stored = tx.get_meta(escrow::authority::meta_keys::wrap_id);
    if (!stored || stored->size() != 2) return;  // a new database, or the library says what is wrong
    const auto id = escrow::le::get<std::uint16_t>(stored->data());
    if (id == wrap_id) return;
    throw_other_wrap(db, id, wrap_id);
}

/// Calls `f(repo)` with the repository `r` holds, whichever it is, and returns what `f` returns.
template <class F>
auto visit_repository(authority_repository& r, F&& f) -> std::invoke_result_t<F&, escrow::authority::sqlite_repository&> {
    using result = std::invoke_result_t<F&, escrow::authority::sqlite_repository&>;
    return std::visit(
        [&](auto& repo) -> result {
            if constexpr (std::is_same_v<std::decay_t<decltype(repo)>, std::monostate>)
                throw escrow::error(escrow::errc::io_error, "no authority database is open");
            else
                return f(repo);
        },
        r);
}

/// Calls `f(std::type_identity<Wrap>{})` for the wrap of `escrow::registry::authority_wraps`
/// whose id is `id` (the database's).
template <class F>
int with_wrap(std::uint16_t id, F&& f) {
    std::optional<int> rc;
    if (!escrow::registry::visit_id<escrow::registry::authority_wraps>(id, [&](auto t) { rc = f(t); }))
        throw escrow::error(escrow::errc::unknown_policy_id,
                            "the database's wrap " + id_name("wrap", id) + " is not one this tool's authority handles");
    return *rc;
}

inline std::uint16_t read_u16(const escrow::bytes& b) {
    if (b.size() != 2) throw escrow::error(escrow::errc::malformed_blob, "authority database: malformed wrap id setting");
    return escrow::le::get<std::uint16_t>(b.data());
}

inline constexpr std::string_view quorum_key = "cli.quorum";

/// An open, initialised authority database (SQLite or PostgreSQL), and what `init` stored in it.
template <class Repo>
struct authority_db {
    Repo& repo;
    std::uint16_t wrap_id = 0;
    std::size_t quorum = 0;

    authority_db(Repo& r, const std::string& db) : repo(r) {
        auto t = repo.begin();
        auto w = t.get_meta(escrow::authority::meta_keys::wrap_id);
        auto q = t.get_meta(quorum_key);
        if (!w || !q)
            throw escrow::error(escrow::errc::not_found, "--db " + db_display_name(db) +
                                                             " is not initialised: run 'escrow authority --db FILE init' first");
        wrap_id = read_u16(*w);
        if (q->size() != 1 || (*q)[0] == 0) throw escrow::error(escrow::errc::malformed_blob, "authority database: malformed quorum");
        quorum = (*q)[0];
    }
};

template <class Wrap, class Repo>
using cli_authority = escrow::authority::backup_authority<Wrap, Repo, escrow::authority::dynamic_officer_quorum>;

/// The authority of an initialised database, with its stored public key (no private key).
template <class Wrap, class Repo>
cli_authority<Wrap, Repo> open_authority(authority_db<Repo>& db) {
    auto t = db.repo.begin();
    auto key = t.get_meta(escrow::authority::meta_keys::public_key);
    if (!key) throw escrow::error(escrow::errc::not_found, "authority database: no authority key stored");
    auto pub = escrow::authority::public_key_codec<Wrap>::decode(*key);
    t.commit();
    return cli_authority<Wrap, Repo>(db.repo, escrow::authority::dynamic_officer_quorum(db.quorum), std::move(pub));
}

/// As above, with the private key from `key_path` when one is given (--key): an authority that
/// verifies records and deposits. The key must be the database's.
template <class Wrap, class Repo>
cli_authority<Wrap, Repo> open_authority(authority_db<Repo>& db, const std::optional<std::string>& key_path) {
    if (!key_path) return open_authority<Wrap, Repo>(db);
    return cli_authority<Wrap, Repo>(db.repo, escrow::authority::dynamic_officer_quorum(db.quorum),
                                     cli_wrap<Wrap>::load_private(*key_path, "--key"));
}


class parsed_args;
class output_file;

/// What `authority recover` reads, locally and through --server: the request, its signatures and
/// the output's path, checked (--request and -o given, at most 64 signatures, -o a new file).
struct recover_inputs {
    escrow::authority::recovery_request request;
    std::vector<escrow::authority::officer_signature> signatures;
    std::string out_path;
};
[[nodiscard]] recover_inputs read_recover_inputs(const parsed_args& a);

/// Writes the recovered `blob` to `out` (created before the grant), commits it and says so.
void write_recovered(output_file& out, const escrow::authority::owner_blob& blob, const std::string& out_path);

/// The officer public key file `path` of `register-officer NAME PUB`.
[[nodiscard]] escrow::authority::officer_public_key load_officer_public(const std::string& path);

/// @throws escrow::error `identity_rejected` unless `proof` (read from `proof_path`) names `name`
/// and `key` (read from `key_path`), the NAME and PUB given to `register-officer`.
void check_proof_matches(const escrow::authority::officer_proof& proof, const std::string& name,
                         const escrow::authority::officer_public_key& key, const std::string& key_path,
                         const std::string& proof_path);

/// An audit public key file (PEM or DER, as `audit-key` writes it), named by --audit-key.
[[nodiscard]] escrow::authority::audit_public_key load_audit_key(const std::string& path);

/// The end of `verify-audit`, locally and through --server: `rep` (the chain and the signed head
/// checked, under `key` when given) must have a signed head when a key is given, and the exported
/// head of `head_path`, when given, must be an entry of `entries`; then "audit log valid: ...".
/// @throws escrow::error `authentication_failed` otherwise.
void finish_verify_audit(escrow::authority::audit_report rep, const std::vector<escrow::authority::audit_entry>& entries,
                         const escrow::authority::audit_public_key* key, const std::optional<std::string>& head_path,
                         const escrow::digest256& fingerprint);

/// The lines `escrow authority` prints, the same for a local database and a --server.
/// @{
void print_record_line(const escrow::escrow_record& r, bool revoked, std::optional<bool> verified = std::nullopt);
void print_officer_line(const escrow::authority::officer_entry& o);
void print_audit_line(const escrow::authority::audit_entry& e);
/// "audit log valid: ..." of a valid report.
void print_audit_report(const escrow::authority::audit_report& rep);
/// @}

/// `escrow authority --db TARGET import --from SOURCE`: copies a whole authority into an empty
/// database (`escrow::authority::copy_repository`).
int authority_import(const std::string& target, std::span<char* const> argv);

}  // namespace escrow_cli
