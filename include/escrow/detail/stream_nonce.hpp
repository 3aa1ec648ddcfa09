// SPDX-License-Identifier: MIT
/// @file
/// The STREAM construction shared by the STREAM ciphers (cipher::aes256_gcm_stream,
/// cipher::chacha20_poly1305_stream): the per-chunk nonce, the chunk size checks, and the sealer
/// and opener over the cipher's AEAD. Not public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"

namespace escrow::detail {

/// The 12-byte STREAM nonce: an 11-byte big-endian chunk counter, then 0x01 for the final chunk,
/// else 0x00.
[[nodiscard]] inline std::array<byte, 12> stream_nonce(std::uint64_t index, bool last) noexcept {
    std::array<byte, 12> n{};
    for (int i = 0; i < 8; ++i) n[10 - i] = static_cast<byte>(index >> (8 * i));
    n[11] = last ? 1 : 0;
    return n;
}

/// Checks what a STREAM sealer is given: at most `chunk_size` bytes of plaintext and room for
/// them and the tag. Both are the caller's to keep: `invalid_argument` otherwise.
inline void check_seal_sizes(std::size_t plain, std::size_t out, std::size_t chunk_size, std::size_t tag_size) {
    if (plain > chunk_size || out < plain + tag_size)
        throw error(errc::invalid_argument, "chunk larger than " + std::to_string(chunk_size) +
                                                " bytes or output buffer too small");
}

/// Checks what a STREAM opener is given, with one code per fault in every STREAM cipher: a sealed
/// chunk shorter than its tag is input that was cut (`truncated`); one longer than a sealed chunk,
/// or an output buffer too small for its plaintext, is the caller's error (`invalid_argument`).
inline void check_open_sizes(std::size_t sealed, std::size_t out, std::size_t sealed_chunk_size, std::size_t tag_size) {
    if (sealed < tag_size)
        throw error(errc::truncated, "a sealed chunk of " + std::to_string(sealed) + " bytes is shorter than its tag");
    if (sealed > sealed_chunk_size || out < sealed - tag_size)
        throw error(errc::invalid_argument, "sealed chunk larger than " + std::to_string(sealed_chunk_size) +
                                                " bytes or output buffer too small");
}

/// The key a STREAM cipher seals chunks under: HKDF-SHA-256 of the session key with the file's
/// salt (nonce) and `Cipher::payload_info`. `key_what` and `nonce_what` name the two in messages.
/// @throws escrow::error `bad_key` (a key of another size than `Cipher::key_size`),
/// `malformed_header` (a salt of another size than `Cipher::nonce_size`).
template <class Cipher>
[[nodiscard]] derived_key stream_payload_key(const session_key& key, byte_view nonce, std::string_view key_what,
                                             std::string_view nonce_what) {
    if (key.size() != Cipher::key_size)
        throw error(errc::bad_key, std::string(key_what) + " must be " + std::to_string(Cipher::key_size) + " bytes");
    if (nonce.size() != Cipher::nonce_size)
        throw error(errc::malformed_header,
                    std::string(nonce_what) + " must be " + std::to_string(Cipher::nonce_size) + " bytes");
    return hkdf_sha256(key.unsafe_bytes(), nonce, Cipher::payload_info, 32);
}

/// The sealer and the opener of the STREAM cipher `Cipher` (its `sealer` and `opener` are this
/// type): chunk `index` is sealed under `stream_nonce(index, last)` with no AAD, by `Aead` keyed
/// with `Cipher::payload_key(key, nonce)`. `Aead` has `seal(byte_view nonce, byte_view aad,
/// byte_view plain, byte* out)` and `bool open(byte_view nonce, byte_view aad, byte_view sealed,
/// byte* out)`, which leaves nothing of a chunk that fails in `out`.
template <class Cipher, class Aead>
class stream_chunks {
public:
    stream_chunks(const session_key& key, byte_view nonce) : aead_(Cipher::payload_key(key, nonce).unsafe_bytes()) {}

    /// Seals chunk `index` into `out`; returns the bytes written. @throws as `check_seal_sizes`.
    [[nodiscard]] std::size_t seal(std::uint64_t index, byte_view plain, bool last, mutable_byte_view out) {
        check_seal_sizes(plain.size(), out.size(), Cipher::chunk_size, Cipher::tag_size);
        aead_.seal(stream_nonce(index, last), {}, plain, out.data());
        return plain.size() + Cipher::tag_size;
    }

    /// Opens chunk `index` into `out`; returns the plaintext's size.
    /// @throws escrow::error `authentication_failed` for a chunk that does not open, and as
    /// `check_open_sizes` says.
    [[nodiscard]] std::size_t open(std::uint64_t index, byte_view sealed, bool last, mutable_byte_view out) {
        check_open_sizes(sealed.size(), out.size(), Cipher::sealed_chunk_size, Cipher::tag_size);
        if (!aead_.open(stream_nonce(index, last), {}, sealed, out.data()))
            throw error(errc::authentication_failed,
                        "chunk " + std::to_string(index) +
                            " failed authentication: the file was modified or truncated after its header");
        return sealed.size() - Cipher::tag_size;
    }

private:
    Aead aead_;
};

}  // namespace escrow::detail
