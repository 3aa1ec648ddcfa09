// SPDX-License-Identifier: MIT
/// @file
/// What age's recipient stanzas share (C2SP age spec): arguments in canonical unpadded base64, and
/// a body that is the file key sealed with ChaCha20-Poly1305 under a wrap key and an all-zero nonce
/// (the X25519 and scrypt stanzas). Not public API: used by `wrap::x25519`, `wrap::scrypt` and
/// `wrap::ssh_rsa`. Every failure is `malformed_header`, as age treats a broken stanza.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/detail/chacha20_poly1305.hpp"

namespace escrow::detail::age_stanza {

/// Bytes of the Poly1305 tag that follows the sealed file key in a body.
inline constexpr std::size_t tag_size = chacha20_poly1305::tag_size;

/// The argument `arg` of a `stanza` ("X25519 stanza"), decoded: `what` ("the share") in canonical
/// unpadded base64 of exactly `size` bytes.
[[nodiscard]] inline bytes argument(std::string_view arg, std::size_t size, std::string_view stanza, std::string_view what) {
    bytes out;
    try {
        out = base64::decode(arg, false);
    } catch (const error&) {
        throw error(errc::malformed_header, std::string(stanza) + ": " + std::string(what) + " is not canonical unpadded base64");
    }
    if (out.size() != size)
        throw error(errc::malformed_header, std::string(stanza) + ": " + std::string(what) + " is not " + std::to_string(size) +
                                                " bytes");
    return out;
}

/// A fresh ephemeral X25519 agreement with a recipient: the share X25519(e, 9) that a stanza
/// carries, and the shared secret X25519(e, recipient).
struct ephemeral_agreement {
    std::array<byte, 32> share{};  ///< X25519(e, 9)
    x25519_secret shared{32};      ///< X25519(e, recipient)
};

/// Draws `e` from `rng` and agrees with `recipient` (32 bytes).
/// @throws escrow::error `bad_key` ("the `stanza` recipient is a low-order point") for an all-zero
/// shared secret.
[[nodiscard]] inline ephemeral_agreement agree_ephemeral(byte_view recipient, system_random& rng, std::string_view stanza) {
    ephemeral_agreement a;
    x25519_secret ephemeral = x25519_secret::generate(32, rng);
    detail::x25519_base(a.share.data(), ephemeral.unsafe_bytes());
    if (!detail::x25519(a.shared.unsafe_mutable_bytes().data(), ephemeral.unsafe_bytes(), recipient))
        throw error(errc::bad_key, "the " + std::string(stanza) + " recipient is a low-order point");
    return a;
}

/// The wrap key of the X25519-based stanzas: HKDF-SHA-256(ikm = `shared`, salt = `share` ‖
/// `recipient`, info = `label`, 32).
[[nodiscard]] inline derived_key share_wrap_key(byte_view shared, byte_view share, byte_view recipient, std::string_view label) {
    std::array<byte, 64> salt{};
    std::copy(share.begin(), share.end(), salt.begin());
    std::copy(recipient.begin(), recipient.end(), salt.begin() + 32);
    return hkdf_sha256(shared, salt, label, 32);
}

/// The body for `key`: the key sealed under `wrap_key` with the all-zero nonce.
[[nodiscard]] inline bytes seal_key(byte_view wrap_key, const session_key& key) {
    static constexpr byte zero_nonce[12] = {};
    chacha20_poly1305 aead(wrap_key);
    bytes body(key.size() + tag_size);
    aead.seal(zero_nonce, {}, key.unsafe_bytes(), body.data());
    return body;
}

/// Checks that a stanza of type `stanza` can wrap `key`: 1 to `max_key_size` bytes.
/// @throws escrow::error `invalid_argument` otherwise.
inline void check_key_to_wrap(const session_key& key, std::size_t max_key_size, std::string_view stanza) {
    if (key.empty() || key.size() > max_key_size)
        throw error(errc::invalid_argument,
                    std::string(stanza) + " wraps session keys of 1 to " + std::to_string(max_key_size) + " bytes");
}

/// The size of the key a body holds, 1 to `max_key_size` bytes.
[[nodiscard]] inline std::size_t key_size_of(byte_view body, std::size_t max_key_size, std::string_view stanza) {
    if (body.size() <= tag_size || body.size() > max_key_size + tag_size)
        throw error(errc::malformed_header, std::string(stanza) + ": the body is not a 1- to " + std::to_string(max_key_size) +
                                                "-byte wrapped key");
    return body.size() - tag_size;
}

/// Checks that a body holds a key of exactly `expected_size` bytes.
inline void require_key_size(byte_view body, std::size_t expected_size, std::string_view stanza) {
    if (body.size() != expected_size + tag_size)
        throw error(errc::malformed_header, std::string(stanza) + ": the body is not a " + std::to_string(expected_size) +
                                                "-byte wrapped key");
}

/// The key a body of a checked size holds under `wrap_key`, or `std::nullopt` when the tag fails
/// (a stanza for another recipient, or a wrong passphrase).
[[nodiscard]] inline std::optional<session_key> open_key(byte_view wrap_key, byte_view body) {
    static constexpr byte zero_nonce[12] = {};
    chacha20_poly1305 aead(wrap_key);
    session_key key(body.size() - tag_size);
    if (!aead.open(zero_nonce, {}, body, key.unsafe_mutable_bytes().data())) return std::nullopt;
    return key;
}

}  // namespace escrow::detail::age_stanza
