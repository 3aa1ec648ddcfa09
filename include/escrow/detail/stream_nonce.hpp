// SPDX-License-Identifier: MIT
/// @file
/// The per-chunk nonce of the STREAM construction, shared by the STREAM ciphers
/// (cipher::aes256_gcm_stream, cipher::chacha20_poly1305_stream). Not public API.
#pragma once

#include <array>
#include <cstdint>

#include "escrow/core/bytes.hpp"

namespace escrow::detail {

/// The 12-byte STREAM nonce: an 11-byte big-endian chunk counter, then 0x01 for the final chunk,
/// else 0x00.
[[nodiscard]] inline std::array<byte, 12> stream_nonce(std::uint64_t index, bool last) noexcept {
    std::array<byte, 12> n{};
    for (int i = 0; i < 8; ++i) n[10 - i] = static_cast<byte>(index >> (8 * i));
    n[11] = last ? 1 : 0;
    return n;
}

}  // namespace escrow::detail
