// SPDX-License-Identifier: MIT
/// @file
/// The database behind `escrow authority --db`: an SQLite file or a PostgreSQL database, chosen
/// at run time from the value's form and held in a `std::variant` that each command visits once
/// (the subcommands are templates over the repository: no virtual call). Also `import`.
#pragma once

#include <escrow/authority/postgres_repository.hpp>
#include <escrow/authority/sqlite_repository.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <escrow/core/error.hpp>
#include <escrow/core/encoding.hpp>

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

/// `escrow authority --db TARGET import --from SOURCE`: copies a whole authority into an empty
/// database (`escrow::authority::copy_repository`).
int authority_import(const std::string& target, std::span<char* const> argv);

}  // namespace escrow_cli
