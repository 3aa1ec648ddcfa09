// SPDX-License-Identifier: MIT
/// @file
/// `escrow::testing::law_violation`: what the law suite throws when a policy breaks a law of its
/// concept, and the small helpers the law headers share.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/io.hpp"

namespace escrow::testing {

/// A law of a policy's concept does not hold: the message names the policy, the law and the case.
class law_violation : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

/// Throws `law_violation` for `policy` and `law` unless `holds`.
inline void require(bool holds, std::string_view policy, std::string_view law, const std::string& detail = {}) {
    if (holds) return;
    std::string what = std::string(policy) + ": law '" + std::string(law) + "' does not hold";
    if (!detail.empty()) what += " (" + detail + ")";
    throw law_violation(what);
}

/// Deterministic bytes for plaintexts and keys: the law suite draws nothing at random that a
/// failure would need to reproduce.
inline bytes pattern(std::size_t n, unsigned seed) {
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<byte>((i * 131 + seed * 17 + (i >> 8)) & 0xFF);
    return b;
}

/// A source that only reads (neither contiguous nor lending), so hosts take their streaming path.
struct stream_source {
    memory_source in;
    std::size_t read(mutable_byte_view out) { return in.read(out); }
};

/// A sink that only writes (it lends no memory), so hosts take their streaming path.
struct stream_sink {
    bytes data;
    void write(byte_view b) { data.insert(data.end(), b.begin(), b.end()); }
};

}  // namespace detail

}  // namespace escrow::testing
