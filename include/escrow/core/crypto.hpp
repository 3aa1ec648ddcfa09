// SPDX-License-Identifier: MIT
/// @file
/// Shared primitives built on Crypto++: SHA-256, HMAC-SHA-256 and HKDF-SHA-256 (RFC 5869).
#pragma once

#include <cryptopp/hkdf.h>
#include <cryptopp/hmac.h>
#include <cryptopp/sha.h>

#include <array>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"

namespace escrow {

/// A SHA-256 digest or HMAC-SHA-256 tag.
using digest256 = std::array<byte, 32>;

/// SHA-256 of `data`.
[[nodiscard]] inline digest256 sha256(byte_view data) {
    digest256 out{};
    CryptoPP::SHA256().CalculateDigest(out.data(), data.data(), data.size());
    return out;
}

/// HMAC-SHA-256 of `data` under `key`.
[[nodiscard]] inline digest256 hmac_sha256(byte_view key, byte_view data) {
    digest256 out{};
    CryptoPP::HMAC<CryptoPP::SHA256> mac(key.data(), key.size());
    mac.CalculateDigest(out.data(), data.data(), data.size());
    return out;
}

/// HKDF-SHA-256 (RFC 5869): `length` bytes from input keying material `ikm`.
/// @throws escrow::error `invalid_argument` when `length` exceeds 255 × 32 bytes.
template <class Tag = derived_key_tag>
[[nodiscard]] secret<Tag> hkdf_sha256(byte_view ikm, byte_view salt, byte_view info, std::size_t length) {
    if (length > 255 * 32) throw error(errc::invalid_argument, "HKDF-SHA-256 output longer than 8160 bytes");
    secret<Tag> out(length);
    CryptoPP::HKDF<CryptoPP::SHA256> kdf;
    // Crypto++ treats a null salt as "no salt" (a string of HashLen zeros), as RFC 5869 says.
    kdf.DeriveKey(out.unsafe_mutable_bytes().data(), length, ikm.data(), ikm.size(),
                  salt.empty() ? nullptr : salt.data(), salt.size(), info.data(), info.size());
    return out;
}

/// HKDF-SHA-256 with a text `info` label.
template <class Tag = derived_key_tag>
[[nodiscard]] secret<Tag> hkdf_sha256(byte_view ikm, byte_view salt, std::string_view info, std::size_t length) {
    return hkdf_sha256<Tag>(ikm, salt, as_bytes(info), length);
}

}  // namespace escrow
