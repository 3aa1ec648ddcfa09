// SPDX-License-Identifier: MIT
/// @file
/// Helpers shared by the CryptoAPI tests (test_cryptoapi_*): encrypting and decrypting with the
/// legacy presets, what a failed decryption looks like, and editing a file's SIMPLEBLOB.
#pragma once

#include "test_support.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

namespace escrow_test {

template <unsigned Bits>
using capi = escrow::legacy::cryptoapi_encryptor<Bits>;
using capi256 = capi<256>;
using store = escrow::store::cryptoapi;
using pkcs1 = escrow::wrap::rsa_pkcs1v15;

inline bool same(escrow::byte_view a, escrow::byte_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

/// A CryptoAPI file of `plain` for `owner`; its escrow record for `authority` goes to `*record`.
template <class Enc = capi256>
escrow::bytes encrypt_capi(escrow::byte_view plain, const escrow::rsa_private_key& owner, const escrow::rsa_private_key& authority,
                           escrow::escrow_record* record = nullptr) {
    Enc enc;
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto rec = enc.encrypt(in, out, owner.public_key(), authority.public_key(), sample_info());
    if (record) *record = rec;
    return std::move(out).take();
}

/// Decrypts a CryptoAPI file with a private key; throws what the library throws.
template <class Enc = capi256>
escrow::bytes decrypt_capi(escrow::byte_view file, const escrow::rsa_private_key& key) {
    Enc enc;
    escrow::memory_source in(file);
    escrow::memory_sink out;
    enc.decrypt(in, out, key);
    return std::move(out).take();
}

/// What a failed decryption looks like to a caller: the error code and the whole message, or
/// "success" when the final padding happened to parse (about 1 time in 256 for a random key).
inline std::string outcome(escrow::byte_view file, const escrow::rsa_private_key& key, escrow::byte_view plain) {
    try {
        auto out = decrypt_capi(file, key);
        REQUIRE_FALSE(same(out, plain));  // never the plaintext
        return "success";
    } catch (const escrow::error& e) {
        return std::string(escrow::tag(e.kind())) + " | " + e.what();
    }
}

/// Puts a big-endian RSA block back into the file's SIMPLEBLOB.
inline void set_rsa_block(escrow::bytes& file, escrow::byte_view block) {
    std::size_t len = escrow::le::get<std::uint32_t>(file.data());
    REQUIRE(block.size() == len - 12);
    std::reverse_copy(block.begin(), block.end(), file.begin() + 4 + 12);
}

}  // namespace escrow_test
