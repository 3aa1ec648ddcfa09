// SPDX-License-Identifier: MIT
// Compiles and links against the installed escrow::postgres: the PostgreSQL repository's headers
// and libpq. (Connecting needs a server; the package test only builds it.)
#include <escrow/authority/postgres_repository.hpp>

#include <iostream>

int main() {
    static_assert(escrow::authority::repository<escrow::authority::postgres_repository>);
    std::cout << "postgres_repository schema version " << escrow::authority::postgres_repository::schema_version << "\n";
    return escrow::authority::postgres::one_line("a\nb") == "a; b" ? 0 : 1;
}
