// SPDX-License-Identifier: MIT
/// @file
/// The authority's database as `escrow authority` opens it.

#include "cli_db.hpp"

#include <escrow/escrow.hpp>

#include <string_view>

#include "cli_io.hpp"
#include "cli_wraps.hpp"

namespace escrow_cli {

escrow::authority::sqlite_repository open_repository(const std::string& path) {
    try {
        return escrow::authority::sqlite_repository(path);
    } catch (const escrow::error& e) {
        if (std::string_view(e.what()).find("not a database") != std::string_view::npos)
            throw escrow::error(escrow::errc::malformed_header,
                                "--db " + in_quotes(path) +
                                    " is not an authority database (SQLite cannot read it); give the file "
                                    "'escrow authority --db FILE init' created");
        throw with_context(e, "--db " + in_quotes(path));
    }
}

void require_same_wrap(escrow::authority::sqlite_repository& repo, const std::string& path, std::uint16_t wrap_id) {
    auto tx = repo.begin();
    auto stored = tx.get_meta(escrow::authority::meta_keys::wrap_id);
    if (!stored || stored->size() != 2) return;  // a new database, or the library says what is wrong
    const auto id = escrow::le::get<std::uint16_t>(stored->data());
    if (id == wrap_id) return;
    throw escrow::error(escrow::errc::invalid_argument,
                        "--db " + in_quotes(path) + " is already initialised for the " + id_name("wrap", id) +
                            " authority key, not " + id_name("wrap", wrap_id) +
                            "; an authority has one wrap: init another database for " + id_name("wrap", wrap_id));
}

}  // namespace escrow_cli
