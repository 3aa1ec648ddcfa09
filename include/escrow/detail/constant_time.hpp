// SPDX-License-Identifier: MIT
/// @file
/// Branch-free masks and selections on 32-bit words, for code that must not branch on a secret.
#pragma once

#include <cstdint>

#include "escrow/core/bytes.hpp"

namespace escrow::detail {

// Masks are all ones (true) or all zeros (false). Values compared with ct_lt stay below 2^31.

/// All ones when the top bit of `x` is set.
inline std::uint32_t ct_msb(std::uint32_t x) noexcept { return 0u - (x >> 31); }
/// All ones when `x` is zero.
inline std::uint32_t ct_is_zero(std::uint32_t x) noexcept { return ct_msb(~x & (x - 1)); }
/// All ones when `a == b`.
inline std::uint32_t ct_eq(std::uint32_t a, std::uint32_t b) noexcept { return ct_is_zero(a ^ b); }
/// All ones when `a < b` (both below 2^31).
inline std::uint32_t ct_lt(std::uint32_t a, std::uint32_t b) noexcept { return ct_msb(a - b); }
/// `a` where `mask` is all ones, `b` where it is zero.
inline std::uint32_t ct_select(std::uint32_t mask, std::uint32_t a, std::uint32_t b) noexcept {
    return (a & mask) | (b & ~mask);
}
/// The byte form of ct_select.
inline byte ct_select_byte(std::uint32_t mask, byte a, byte b) noexcept {
    return static_cast<byte>(ct_select(mask, a, b));
}

}  // namespace escrow::detail
