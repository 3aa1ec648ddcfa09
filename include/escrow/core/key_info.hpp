// SPDX-License-Identifier: MIT
/// @file
/// The key's description that travels with an escrow record (and in the native file header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "escrow/core/serial_number.hpp"

namespace escrow {

/// What the owner tells the authority about a session key (CryptoAPI's "description, serial
/// number and so on"). Public metadata, authenticated by the record's MAC.
struct key_info {
    std::string serial;       ///< unique, keeping `serial_number`'s rule; generated when left empty
    std::string description;  ///< free text (UTF-8), e.g. the file's name or purpose
    std::string owner;        ///< the owner's identity as the organisation names it (e.g. an e-mail)
    std::uint64_t created = 0;  ///< seconds since the Unix epoch; set to now when left 0
};

/// Bounds on the key info fields, checked by every encoder and parser.
namespace limits {
/// Longest serial number, in bytes (`serial_number::max_size`).
inline constexpr std::size_t serial_max = serial_number::max_size;
/// Longest key description, in bytes.
inline constexpr std::size_t description_max = 4096;
/// Longest owner identity, in bytes.
inline constexpr std::size_t owner_max = 1024;
}  // namespace limits

}  // namespace escrow
