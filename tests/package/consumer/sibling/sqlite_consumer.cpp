// SPDX-License-Identifier: MIT
/// @file
/// Links escrow::sqlite from the installed package: opens a backup authority's SQLite repository
/// in a temporary directory and checks its schema and integrity.
#include <escrow/authority/sqlite_repository.hpp>

#include <cstdio>
#include <filesystem>

int main() {
    namespace fs = std::filesystem;
    fs::path p = fs::temp_directory_path() / "escrow-package-consumer.db";
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(p.string() + s);
    bool ok = false;
    {
        escrow::authority::sqlite_repository repo(p);
        auto t = repo.begin();
        ok = t.audit_head().seq == 0 && t.list_records("").empty();
        t.commit();
        ok = ok && repo.integrity_check() == "ok";
    }
    fs::remove(p);
    std::puts(ok ? "escrow::sqlite: ok" : "escrow::sqlite: FAILED");
    return ok ? 0 : 1;
}
