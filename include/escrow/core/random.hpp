// SPDX-License-Identifier: MIT
/// @file
/// The random source: the operating system's generator, through Crypto++.
#pragma once

#include <cryptopp/osrng.h>

#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"

namespace escrow {

/// A cryptographically secure random generator, seeded from the operating system.
///
/// Not thread-safe: use one per thread (`default_random()` gives each thread its own).
class system_random {
public:
    /// @throws escrow::error `io_error` when the operating system's random source cannot be read
    /// (e.g. no /dev/urandom in a chroot), rather than Crypto++'s own exception.
    system_random() try : pool_() {
    } catch (const CryptoPP::Exception& e) {
        throw error(errc::io_error, std::string("cannot seed from the operating system's random source: ") + e.what());
    }
    system_random(const system_random&) = delete;
    system_random& operator=(const system_random&) = delete;

    /// Fills `out` with random bytes.
    void fill(mutable_byte_view out) { pool_.GenerateBlock(out.data(), out.size()); }

    /// The underlying Crypto++ generator, for Crypto++ calls that take one (RSA padding, keygen).
    [[nodiscard]] CryptoPP::RandomNumberGenerator& engine() noexcept { return pool_; }

private:
    CryptoPP::AutoSeededRandomPool pool_;
};

/// This thread's generator.
[[nodiscard]] inline system_random& default_random() {
    thread_local system_random rng;
    return rng;
}

}  // namespace escrow
