// SPDX-License-Identifier: MIT
/// @file
/// A program outside the escrow tree: a native_encryptor round trip with fresh RSA-2048 keys, by
/// the owner and by the authority through its escrow record. Exit status 0 only when both match.
#include <escrow/escrow.hpp>

#include <cstdio>
#include <exception>

int main() {
    try {
        auto owner = escrow::rsa_private_key::generate(2048);
        auto authority = escrow::rsa_private_key::generate(2048);

        // Two full chunks and a partial one, so the STREAM framing is exercised.
        escrow::bytes plain(2 * 65536 + 17);
        for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<escrow::byte>(i * 31 + 7);

        // Fields set one by one: g++ 12's -Wextra flags designated initializers that omit members.
        escrow::key_info info;
        info.description = "package consumer";
        info.owner = "consumer@example.com";

        escrow::native_encryptor enc;
        escrow::memory_source in(plain);
        escrow::memory_sink sealed;
        escrow::escrow_record record = enc.encrypt(in, sealed, owner.public_key(), authority.public_key(), info);
        if (sealed.data().size() <= plain.size()) {
            std::fputs("consumer: the encrypted file is not larger than the plaintext\n", stderr);
            return 1;
        }

        escrow::memory_source by_owner_in(sealed.data());
        escrow::memory_sink by_owner;
        enc.decrypt(by_owner_in, by_owner, owner);
        if (by_owner.data() != plain) {
            std::fputs("consumer: the owner's decryption differs from the plaintext\n", stderr);
            return 1;
        }

        escrow::escrow_record received = escrow::escrow_record::decode(record.encode());
        escrow::memory_source by_authority_in(sealed.data());
        escrow::memory_sink by_authority;
        enc.decrypt_with_record(by_authority_in, by_authority, received, authority);
        if (by_authority.data() != plain) {
            std::fputs("consumer: the authority's decryption differs from the plaintext\n", stderr);
            return 1;
        }
        std::printf("consumer: %zu bytes round-tripped by the owner and by the authority\n", plain.size());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consumer: %s\n", e.what());
        return 1;
    }
}
