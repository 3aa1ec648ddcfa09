// SPDX-License-Identifier: MIT
// What the payload tests share (test_pipeline.cpp, test_mapped_io.cpp): the STREAM sizes, a source
// that only streams, and the two formats under test with a key pair each.
#pragma once

#include "test_support.hpp"

namespace escrow_test {

inline constexpr std::size_t chunk = 64 * 1024;
inline constexpr std::size_t sealed = chunk + 16;
inline constexpr std::size_t batch = 4 * chunk;  // the host's batch: 256 KiB of plaintext

/// Plaintext bytes -> sealed payload bytes under a 16-byte tag per 64 KiB chunk.
inline std::size_t payload_size(std::size_t n) { return n + 16 * std::max<std::size_t>(1, (n + chunk - 1) / chunk); }

/// A source that only streams (no peek, no skip, no windows), so that the host takes its pipeline
/// with buffers of its own.
struct stream_source {
    escrow::memory_source in;
    explicit stream_source(escrow::byte_view b) : in(b) {}
    std::size_t read(escrow::mutable_byte_view out) { return in.read(out); }
};

/// The native format under test: its host, and a key pair for it.
struct native_format {
    using host = escrow::native_encryptor;
    static auto owner_pub() { return keys().owner.public_key(); }
    static auto authority_pub() { return keys().authority.public_key(); }
    static const auto& owner() { return keys().owner; }
};

/// The age format under test: its host, and a key pair for it.
struct age_format {
    using host = escrow::age_encryptor;
    static const escrow::x25519_private_key& owner() {
        static const auto k = escrow::x25519_private_key::generate();
        return k;
    }
    static const escrow::x25519_private_key& authority() {
        static const auto k = escrow::x25519_private_key::generate();
        return k;
    }
    static auto owner_pub() { return owner().public_key(); }
    static auto authority_pub() { return authority().public_key(); }
};

}  // namespace escrow_test
