// SPDX-License-Identifier: MIT
/// @file
/// The program of docs/install.md: encrypts a buffer for an owner and a backup authority with
/// the native preset, decrypts it as the owner and as the authority (through its escrow record),
/// and checks that a modified file is refused. ctest builds it outside the source tree against an
/// installed escrow, as a subdirectory and through FetchContent (tests/install/run.cmake); it
/// prints "OK" and exits 0 only when every step did what it should.
// [install:main]
#include <escrow/escrow.hpp>

#include <cstdio>
#include <exception>
#include <string_view>

int main() {
    try {
        const auto owner = escrow::rsa_private_key::generate(2048);
        const auto authority = escrow::rsa_private_key::generate(2048);

        const std::string_view text = "Q3 figures: revenue up 4%";
        escrow::memory_source plain(escrow::as_bytes(text));
        escrow::memory_sink sealed;
        escrow::key_info info;  // the serial and the creation time are filled in when left empty
        info.description = "Q3 report";
        info.owner = "alice@example.com";

        escrow::native_encryptor host;
        const escrow::escrow_record record =
            host.encrypt(plain, sealed, owner.public_key(), authority.public_key(), info);

        // The owner decrypts with the private key.
        escrow::memory_source by_owner_in(sealed.data());
        escrow::memory_sink by_owner;
        host.decrypt(by_owner_in, by_owner, owner);

        // The authority decrypts through the record it received (record.encode() is what is sent).
        const auto received = escrow::escrow_record::decode(record.encode());
        escrow::memory_source by_authority_in(sealed.data());
        escrow::memory_sink by_authority;
        host.decrypt_with_record(by_authority_in, by_authority, received, authority);

        const escrow::byte_view original = escrow::as_bytes(text);
        const escrow::bytes expected(original.begin(), original.end());
        if (by_owner.data() != expected || by_authority.data() != expected) {
            std::fputs("the decrypted text differs from the original\n", stderr);
            return 1;
        }

        // A modified file is refused, and no plaintext comes out of it.
        escrow::bytes modified = sealed.data();
        modified.back() ^= 1;
        escrow::memory_source modified_in(modified);
        escrow::memory_sink nothing;
        try {
            host.decrypt(modified_in, nothing, owner);
            std::fputs("a modified file was decrypted\n", stderr);
            return 1;
        } catch (const escrow::error& e) {
            if (e.kind() != escrow::errc::authentication_failed || !nothing.data().empty()) throw;
            std::printf("modified file refused: %s\n", e.what());
        }

        std::printf("OK: %zu bytes encrypted for serial %s, decrypted by the owner and by the authority\n",
                    text.size(), record.info.serial.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
// [install:main-end]
