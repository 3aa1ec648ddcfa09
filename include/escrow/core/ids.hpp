// SPDX-License-Identifier: MIT
/// @file
/// The ranges of numeric policy ids written into files and records.
///
/// Ids are stable: once a file carries one, it means that policy forever. Each policy declares its
/// own id (`static constexpr std::uint16_t id`); the library's policies, listed once in
/// escrow/registry.hpp (which checks them unique and names them: `escrow::ids::name_of`), use
/// 0x0001–0x7FFF; ids 0x8000–0xFFFF are reserved for user-defined policies and are never taken by
/// the library (docs/policies.md).
#pragma once

#include <cstdint>

namespace escrow::ids {

/// First id of the range reserved for user-defined policies.
inline constexpr std::uint16_t user_first = 0x8000;

/// True when `id` is in the range reserved for user-defined policies.
[[nodiscard]] constexpr bool is_user_defined(std::uint16_t id) noexcept { return id >= user_first; }

}  // namespace escrow::ids
