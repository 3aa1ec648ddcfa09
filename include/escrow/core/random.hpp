// SPDX-License-Identifier: MIT
/// @file
/// The random source: the operating system's generator, read afresh for every draw.
#pragma once

#include <cryptopp/cryptlib.h>
#include <cryptopp/osrng.h>
#if defined(__linux__)
#include <sys/random.h>
#endif
#include <cerrno>
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

namespace detail {
/// Fills `out` from the kernel's generator: `getrandom(2)` on Linux, Crypto++'s `/dev/urandom`
/// reader elsewhere. Nothing is kept in the process between draws, so a `fork()` cannot make
/// parent and child draw the same bytes (a user-space pool copied by fork would).
inline void os_random_fill(CryptoPP::byte* out, std::size_t n) {
#if defined(__linux__)
    while (n > 0) {
        ssize_t got = ::getrandom(out, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw error(errc::io_error, std::string("cannot read the operating system's random source (getrandom): ") +
                                            std::strerror(errno));
        }
        out += got;
        n -= static_cast<std::size_t>(got);
    }
#else
    try {
        CryptoPP::OS_GenerateRandomBlock(false, out, n);
    } catch (const CryptoPP::Exception& e) {
        throw error(errc::io_error, std::string("cannot read the operating system's random source: ") + e.what());
    }
#endif
}

/// A Crypto++ generator that reads the kernel for every block: what RSA padding, blinding and key
/// generation are given.
class os_random_engine final : public CryptoPP::RandomNumberGenerator {
public:
    void GenerateBlock(CryptoPP::byte* out, std::size_t n) override { os_random_fill(out, n); }
};
}  // namespace detail

/// A cryptographically secure random generator: every draw comes from the operating system.
///
/// There is no user-space pool: session keys, nonces, salts and RSA padding are read from the
/// kernel when they are drawn, so a process that forks (a pre-forking server, say) never hands its
/// child the same bytes it draws itself. One per thread (`default_random()`), though nothing in it
/// is shared state.
class system_random {
public:
    /// @throws escrow::error `io_error` when the operating system's random source cannot be read
    /// (e.g. no getrandom and no /dev/urandom in a chroot).
    system_random() {
#if !defined(ESCROW_TESTING_DETERMINISTIC_RANDOM)
        CryptoPP::byte probe[1];
        detail::os_random_fill(probe, sizeof probe);
#endif
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
    detail::os_random_engine pool_;
#endif
};

/// This thread's generator.
[[nodiscard]] inline system_random& default_random() {
    thread_local system_random rng;
    return rng;
}

}  // namespace escrow
