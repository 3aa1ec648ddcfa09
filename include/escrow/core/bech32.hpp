// SPDX-License-Identifier: MIT
/// @file
/// Bech32 (BIP-173) strings, as age writes its recipients (`age1…`) and identities (`AGE-SECRET-KEY-1…`).
#pragma once

#include <cryptopp/misc.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"

namespace escrow::bech32 {

/// The longest string accepted. BIP-173 says 90 characters; age lifts that limit (its
/// post-quantum recipients are longer), so a larger bound is used only to cap work and memory.
inline constexpr std::size_t max_length = 4096;

namespace detail {
inline constexpr char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

[[nodiscard]] constexpr int value_of(char c) noexcept {
    for (int i = 0; i < 32; ++i)
        if (charset[i] == c) return i;
    return -1;
}

[[nodiscard]] constexpr std::uint32_t polymod_step(std::uint32_t chk, std::uint32_t v) noexcept {
    constexpr std::uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
        if ((top >> i) & 1) chk ^= gen[i];
    return chk;
}

/// The checksum state after the expanded human-readable part (lower case).
[[nodiscard]] inline std::uint32_t hrp_state(std::string_view hrp) noexcept {
    std::uint32_t chk = 1;
    for (char c : hrp) chk = polymod_step(chk, static_cast<unsigned char>(c) >> 5);
    chk = polymod_step(chk, 0);
    for (char c : hrp) chk = polymod_step(chk, static_cast<unsigned char>(c) & 31);
    return chk;
}

[[nodiscard]] inline char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
[[nodiscard]] inline char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
}  // namespace detail

/// Encodes `data` under the human-readable part `hrp` (lower case), in lower case, or in upper
/// case when `upper_case` (age identities). The result holds `data`: callers encoding a secret
/// wipe it.
[[nodiscard]] inline std::string encode(std::string_view hrp, byte_view data, bool upper_case = false) {
    std::string s;
    s.reserve(hrp.size() + 1 + (data.size() * 8 + 4) / 5 + 6);
    for (char c : hrp) s.push_back(detail::lower(c));
    s.push_back('1');
    std::uint32_t chk = detail::hrp_state(s.substr(0, hrp.size()));
    std::uint32_t acc = 0;
    int bits = 0;
    auto put = [&](std::uint32_t v) {
        chk = detail::polymod_step(chk, v);
        s.push_back(detail::charset[v]);
    };
    for (byte b : data) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            put((acc >> bits) & 31);
        }
    }
    if (bits > 0) put((acc << (5 - bits)) & 31);
    acc = 0;
    for (int i = 0; i < 6; ++i) chk = detail::polymod_step(chk, 0);
    chk ^= 1;
    for (int i = 0; i < 6; ++i) s.push_back(detail::charset[(chk >> (5 * (5 - i))) & 31]);
    if (upper_case)
        for (char& c : s) c = detail::upper(c);
    return s;
}

/// A decoded Bech32 string.
struct decoded {
    std::string hrp;  ///< the human-readable part, lower case
    bytes data;       ///< the payload (8-bit bytes); may be a secret: callers wipe it
};

/// Decodes strictly: one case throughout, characters 33–126, a valid checksum, and padding bits
/// that are zero and fewer than 5 (so that every byte string has one encoding).
/// @throws escrow::error `bad_key` naming the fault (never echoing the string, which may be a secret).
[[nodiscard]] inline decoded decode(std::string_view s) {
    auto fail = [](const char* why) { return error(errc::bad_key, std::string("malformed Bech32 string: ") + why); };
    if (s.size() > max_length) throw fail("too long");
    bool has_lower = false, has_upper = false;
    for (char c : s) {
        if (c < 33 || c > 126) throw fail("character outside ASCII 33-126");
        has_lower |= c >= 'a' && c <= 'z';
        has_upper |= c >= 'A' && c <= 'Z';
    }
    if (has_lower && has_upper) throw fail("mixed case");
    auto sep = s.rfind('1');
    if (sep == std::string_view::npos || sep == 0 || s.size() - sep - 1 < 6) throw fail("no separator or too short");
    decoded out;
    for (char c : s.substr(0, sep)) out.hrp.push_back(detail::lower(c));
    std::uint32_t chk = detail::hrp_state(out.hrp);
    std::string_view data = s.substr(sep + 1);
    out.data.reserve(data.size() * 5 / 8);
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        int v = detail::value_of(detail::lower(data[i]));
        if (v < 0) throw fail("character outside the Bech32 alphabet");
        chk = detail::polymod_step(chk, static_cast<std::uint32_t>(v));
        if (i >= data.size() - 6) continue;  // the six checksum characters
        acc = ((acc << 5) | static_cast<std::uint32_t>(v)) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.data.push_back(static_cast<byte>(acc >> bits));
        }
    }
    bool bad_padding = bits >= 5 || (acc & ((1u << bits) - 1)) != 0;
    acc = 0;
    if (chk != 1) {
        CryptoPP::SecureWipeArray(out.data.data(), out.data.size());
        throw fail("bad checksum");
    }
    if (bad_padding) {
        CryptoPP::SecureWipeArray(out.data.data(), out.data.size());
        throw fail("non-zero or excess padding bits");
    }
    return out;
}

}  // namespace escrow::bech32
