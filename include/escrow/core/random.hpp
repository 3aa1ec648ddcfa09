// SPDX-License-Identifier: MIT
/// @file
/// The random source: the operating system's generator, through Crypto++.
#pragma once

#include <cryptopp/osrng.h>
#if defined(ESCROW_TESTING_DETERMINISTIC_RANDOM)
#include <cryptopp/chacha.h>
#include <cryptopp/sha.h>
#include <cstdint>
#endif

#include <cstring>
#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"

namespace escrow {

#if defined(ESCROW_TESTING_DETERMINISTIC_RANDOM)
namespace testing {
/// A reproducible generator (ChaCha20 keystream under SHA-256 of a seed), compiled in only where
/// `ESCROW_TESTING_DETERMINISTIC_RANDOM` is defined: by the golden-file test, which checks that
/// the library writes the same bytes as before for the same random draws. Never for real use.
class deterministic_generator final : public CryptoPP::RandomNumberGenerator {
public:
    deterministic_generator() { reseed(0); }
    /// Restarts the stream from `seed`.
    void reseed(std::uint64_t seed) {
        byte in[8], key[32], iv[8] = {};
        for (int i = 0; i < 8; ++i) in[i] = static_cast<byte>(seed >> (8 * i));
        CryptoPP::SHA256().CalculateDigest(key, in, sizeof in);
        cipher_.SetKeyWithIV(key, sizeof key, iv, sizeof iv);
    }
    void GenerateBlock(CryptoPP::byte* out, std::size_t n) override {
        if (n == 0) return;
        std::memset(out, 0, n);
        cipher_.ProcessData(out, out, n);
    }

private:
    CryptoPP::ChaCha::Encryption cipher_;
};
}  // namespace testing
#endif

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

#if defined(ESCROW_TESTING_DETERMINISTIC_RANDOM)
    /// Restarts this generator's reproducible stream (golden-file test builds only).
    void reseed_for_testing(std::uint64_t seed) { pool_.reseed(seed); }
#endif

private:
#if defined(ESCROW_TESTING_DETERMINISTIC_RANDOM)
    testing::deterministic_generator pool_;
#else
    CryptoPP::AutoSeededRandomPool pool_;
#endif
};

/// This thread's generator.
[[nodiscard]] inline system_random& default_random() {
    thread_local system_random rng;
    return rng;
}

}  // namespace escrow
