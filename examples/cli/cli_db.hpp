// SPDX-License-Identifier: MIT
/// @file
/// The authority's database as `escrow authority` opens it: errors that name the file as the user
/// gave it (--db), and the one check `init` makes on a database that exists.
#pragma once

#include <escrow/authority/sqlite_repository.hpp>

#include <cstdint>
#include <string>

namespace escrow_cli {

/// Opens (or, for init, creates) the authority's SQLite database `path`, given with --db.
/// @throws escrow::error `malformed_header` when the file is not a database, naming --db.
escrow::authority::sqlite_repository open_repository(const std::string& path);

/// @throws escrow::error `invalid_argument` when the database `path` is already initialised for
/// another wrap than `wrap_id`, both named (`init` then stops before it changes anything).
void require_same_wrap(escrow::authority::sqlite_repository& repo, const std::string& path, std::uint16_t wrap_id);

}  // namespace escrow_cli
