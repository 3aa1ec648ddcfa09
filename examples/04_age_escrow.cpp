// SPDX-License-Identifier: MIT
/// @file
/// Example 4: an age file with an escrowed recovery key. The owner encrypts a report for their
/// own X25519 key and a backup authority's; the file is an ordinary age file (`age -d -i` opens
/// it); the authority keeps an escrow record; the owner loses their key, and the authority opens
/// the file through the record.
///
///     04_age_escrow [WORK_DIR]    (default: ./example-04-work)
#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>


#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, escrow::byte_view data) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!f) throw std::runtime_error("cannot write " + p.string());
}

escrow::bytes read_file(const fs::path& p) {
    escrow::file_source src(p);
    return escrow::read_all(src, 64 * 1024 * 1024);
}

}  // namespace

int main(int argc, char** argv) try {
    const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path("example-04-work");
    fs::create_directories(dir);

    // 1. Keys: the owner's and the backup authority's X25519 identities (age1... recipients).
    // [tutorial:age-keys]
    auto owner = escrow::x25519_private_key::generate();
    auto authority = escrow::x25519_private_key::generate();
    // Identity files as age-keygen writes them (the text comes back in wiped memory), owner-only.
    const auto created = static_cast<std::uint64_t>(std::time(nullptr));
    for (const auto& [path, key] : {std::pair{dir / "owner.txt", &owner}, std::pair{dir / "authority.txt", &authority}}) {
        escrow::atomic_file_sink out(path);
        out.write(key->unsafe_identity_file(created).unsafe_bytes());
        out.commit(0600);
    }
    // [tutorial:age-keys-end]
    std::cout << "owner recipient:     " << owner.public_key().str() << "\n"
              << "authority recipient: " << authority.public_key().str() << "\n";

    // 2. Encrypt: the file gets two X25519 stanzas (owner first); the authority gets a record
    //    that carries its stanza and the key's description.
    std::string report;
    for (int i = 0; i < 5000; ++i) report += "quarterly figures, line " + std::to_string(i) + "\n";
    write_file(dir / "report.txt", escrow::as_bytes(report));

    // [tutorial:age-encrypt]
    escrow::age_encryptor enc;
    escrow::key_info info;
    info.description = "report.txt";
    info.owner = "alice@example.org";
    escrow::escrow_record record;
    {
        escrow::file_source in(dir / "report.txt");
        escrow::atomic_file_sink out(dir / "report.age");
        record = enc.encrypt(in, out, owner.public_key(), authority.public_key(), info);
        out.commit();
    }
    escrow::atomic_file_sink record_out(dir / "report.rec");
    record_out.write(record.encode());
    record_out.commit();
    // [tutorial:age-encrypt-end]
    std::cout << "wrote report.age (age-encryption.org/v1) and report.rec; the record carries:\n"
              << std::string(record.wrapped_key.begin(), record.wrapped_key.end());

    // 3. The owner opens it with their identity.
    {
        escrow::file_source in(dir / "report.age");
        escrow::memory_sink out;
        enc.decrypt(in, out, escrow::x25519_private_key::load(read_file(dir / "owner.txt")));
        if (out.data() != escrow::bytes(report.begin(), report.end())) throw std::runtime_error("owner's copy differs");
        std::cout << "the owner decrypted " << out.data().size() << " bytes\n";
    }

    // 4. The owner's identity is lost; the authority recovers the file key from its record
    //    (checking the record's MAC) and decrypts.
    fs::remove(dir / "owner.txt.lost");
    fs::rename(dir / "owner.txt", dir / "owner.txt.lost");
    // [tutorial:age-record]
    escrow::file_source rec_in(dir / "report.rec"), key_in(dir / "authority.txt");
    const auto rec = escrow::escrow_record::decode(escrow::read_all(rec_in, escrow::escrow_record::max_encoded));
    escrow::bytes identity = escrow::read_all(key_in, 64 * 1024);
    escrow::scoped_wipe wipe_identity(identity);
    const auto auth_key = escrow::x25519_private_key::load(identity);
    escrow::file_source in(dir / "report.age");
    escrow::memory_sink out;
    enc.decrypt_with_record(in, out, rec, auth_key);
    // [tutorial:age-record-end]
    fs::rename(dir / "owner.txt.lost", dir / "owner.txt");
    if (out.data() != escrow::bytes(report.begin(), report.end())) throw std::runtime_error("recovered copy differs");
    std::cout << "OK: the authority recovered report.age through its escrow record (serial " << rec.info.serial << ")\n";
    return 0;
} catch (const std::exception& e) {
    std::cerr << "04_age_escrow: " << e.what() << "\n";
    return 1;
}
