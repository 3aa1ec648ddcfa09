// SPDX-License-Identifier: MIT
/// @file
/// What age's recipient stanzas share (C2SP age spec): arguments in canonical unpadded base64, and
/// a body that is the file key sealed with ChaCha20-Poly1305 under a wrap key and an all-zero nonce
/// (the X25519 and scrypt stanzas). Not public API: used by `wrap::x25519`, `wrap::scrypt` and
/// `wrap::ssh_rsa`. Every failure is `malformed_header`, as age treats a broken stanza.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"
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
