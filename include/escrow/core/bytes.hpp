// SPDX-License-Identifier: MIT
/// @file
/// Byte vocabulary shared by every layer: owning buffers and non-owning views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace escrow {

/// One octet. Crypto++ calls the same type `CryptoPP::byte`.
using byte = std::uint8_t;
/// An owning, growable byte buffer for public data (ciphertext, blobs, headers). Never a secret.
using bytes = std::vector<byte>;
/// A read-only view of bytes.
using byte_view = std::span<const byte>;
/// A writable view of bytes.
using mutable_byte_view = std::span<byte>;

/// Views the characters of a string as bytes (no copy).
[[nodiscard]] inline byte_view as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const byte*>(s.data()), s.size()};
}

/// Copies bytes into a std::string (for text formats such as PEM).
[[nodiscard]] inline std::string to_string(byte_view b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// Appends `src` to `dst`.
inline void append(bytes& dst, byte_view src) { dst.insert(dst.end(), src.begin(), src.end()); }

}  // namespace escrow
