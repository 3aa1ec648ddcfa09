// SPDX-License-Identifier: MIT
/// @file
/// The numeric policy ids written into files and records, in one place so that they stay unique.
///
/// Ids are stable: once a file carries one, it means that policy forever. The library's own
/// policies use 0x0001–0x7FFF; ids 0x8000–0xFFFF are reserved for user-defined policies and are
/// never taken by the library (docs/policies.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace escrow::ids {

/// First id of the range reserved for user-defined policies.
inline constexpr std::uint16_t user_first = 0x8000;

/// True when `id` is in the range reserved for user-defined policies.
[[nodiscard]] constexpr bool is_user_defined(std::uint16_t id) noexcept { return id >= user_first; }

/// Cipher ids.
namespace cipher {
inline constexpr std::uint16_t aes256_gcm_stream = 0x0101;
inline constexpr std::uint16_t chacha20_poly1305_stream = 0x0102;
inline constexpr std::uint16_t cryptoapi_aes128_cbc = 0x0180;
inline constexpr std::uint16_t cryptoapi_aes192_cbc = 0x0181;
inline constexpr std::uint16_t cryptoapi_aes256_cbc = 0x0182;
}  // namespace cipher

/// Wrap ids.
namespace wrap {
inline constexpr std::uint16_t rsa_oaep_sha256 = 0x0201;
inline constexpr std::uint16_t rsa_pkcs1v15 = 0x0202;
inline constexpr std::uint16_t x25519 = 0x0203;
inline constexpr std::uint16_t ssh_rsa = 0x0204;
inline constexpr std::uint16_t scrypt = 0x0205;
}  // namespace wrap

/// Store ids.
namespace store {
inline constexpr std::uint16_t native = 0x0301;
inline constexpr std::uint16_t cryptoapi = 0x0302;
inline constexpr std::uint16_t age = 0x0303;
}  // namespace store

}  // namespace escrow::ids

namespace escrow::ids {

/// The library's name for a policy id of the given family ("cipher", "wrap", "store"), or an empty
/// view for an id it does not define (user-defined or unknown). For messages and `escrow inspect`.
[[nodiscard]] constexpr std::string_view name_of(std::string_view family, std::uint16_t id) noexcept {
    if (family == "cipher") {
        switch (id) {
            case cipher::aes256_gcm_stream: return "aes256-gcm-stream";
            case cipher::chacha20_poly1305_stream: return "chacha20-poly1305-stream";
            case cipher::cryptoapi_aes128_cbc: return "cryptoapi-aes128-cbc";
            case cipher::cryptoapi_aes192_cbc: return "cryptoapi-aes192-cbc";
            case cipher::cryptoapi_aes256_cbc: return "cryptoapi-aes256-cbc";
        }
    } else if (family == "wrap") {
        switch (id) {
            case wrap::rsa_oaep_sha256: return "rsa-oaep-sha256";
            case wrap::rsa_pkcs1v15: return "rsa-pkcs1v15";
            case wrap::x25519: return "x25519";
            case wrap::ssh_rsa: return "ssh-rsa";
            case wrap::scrypt: return "scrypt";
        }
    } else if (family == "store") {
        switch (id) {
            case store::native: return "native";
            case store::cryptoapi: return "cryptoapi";
            case store::age: return "age";
        }
    }
    return {};
}

}  // namespace escrow::ids
