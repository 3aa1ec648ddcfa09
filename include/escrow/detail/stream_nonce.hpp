// SPDX-License-Identifier: MIT
/// @file
/// The per-chunk nonce and the chunk size checks of the STREAM construction, shared by the STREAM
/// ciphers (cipher::aes256_gcm_stream, cipher::chacha20_poly1305_stream). Not public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"

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

}  // namespace escrow::detail
