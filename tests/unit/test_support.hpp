// SPDX-License-Identifier: MIT
/// @file
/// Helpers shared by the unit tests: cached RSA test keys, deterministic data, an errc matcher.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <escrow/detail/chacha20_poly1305.hpp>
#include <escrow/escrow.hpp>

// The age tests are built twice (tests/unit/CMakeLists.txt), the second time with
// ESCROW_POLY1305_PORTABLE: each build must run ChaCha20-Poly1305 on the Poly1305 it means to test.
#if defined(ESCROW_POLY1305_PORTABLE)
static_assert(std::is_same_v<escrow::detail::chacha20_poly1305::mac_type, escrow::detail::poly1305_cryptopp>,
              "ESCROW_POLY1305_PORTABLE must select Crypto++'s Poly1305");
#elif defined(__SIZEOF_INT128__)
static_assert(std::is_same_v<escrow::detail::chacha20_poly1305::mac_type, escrow::detail::poly1305_limb64>,
              "with unsigned __int128 the library's 64-bit-limb Poly1305 is the default");
#endif

// 1 in a sanitizer build (tests/sanitize.sh builds at -O0 with AddressSanitizer), where the
// length sweeps take fewer lengths.
#if defined(__SANITIZE_ADDRESS__)
#define ESCROW_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ESCROW_TEST_SANITIZED 1
#endif
#endif
#ifndef ESCROW_TEST_SANITIZED
#define ESCROW_TEST_SANITIZED 0
#endif

// Catch prints an escrow::error by its message when an assertion about it fails.
namespace Catch {
template <>
struct StringMaker<escrow::error> {
    static std::string convert(const escrow::error& e) { return e.what(); }
};
}  // namespace Catch

namespace escrow_test {

/// RSA-2048 keys made once per test program (generation costs a fraction of a second each).
struct keyring {
    escrow::rsa_private_key owner;
    escrow::rsa_private_key authority;
    escrow::rsa_private_key authority2;
    escrow::rsa_private_key authority3;
    escrow::rsa_private_key stranger;
    escrow::rsa_private_key new_owner;
};

inline const keyring& keys() {
    static const keyring k{
        escrow::rsa_private_key::generate(2048), escrow::rsa_private_key::generate(2048),
        escrow::rsa_private_key::generate(2048), escrow::rsa_private_key::generate(2048),
        escrow::rsa_private_key::generate(2048), escrow::rsa_private_key::generate(2048),
    };
    return k;
}

/// `n` bytes of a deterministic pseudo-random pattern (SplitMix64), distinct per `seed`.
inline escrow::bytes pattern(std::size_t n, std::uint64_t seed = 1) {
    escrow::bytes out(n);
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ull;
    for (std::size_t i = 0; i < n; i += 8) {
        x += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (std::size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = static_cast<escrow::byte>(z >> (8 * k));
    }
    return out;
}

/// The output of one `native_encryptor::encrypt`.
struct encrypted {
    escrow::bytes file;
    std::vector<escrow::escrow_record> records;
};

/// A key description with every field set, so that records and headers carry real metadata.
inline escrow::key_info sample_info(std::string serial = "TEST-0001") {
    escrow::key_info info;
    info.serial = std::move(serial);
    info.description = "quarterly report.xlsx";
    info.owner = "alice@example.org";
    info.created = 1700000000;
    return info;
}

/// Encrypts `plain` for `owner` and the given authorities with the native preset.
inline encrypted encrypt(escrow::byte_view plain, const escrow::rsa_private_key& owner,
                         const std::vector<const escrow::rsa_private_key*>& authorities,
                         escrow::key_info info = sample_info()) {
    std::vector<escrow::rsa_public_key> pubs;
    for (const auto* a : authorities) pubs.push_back(a->public_key());
    escrow::native_encryptor enc;
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto records = enc.encrypt(in, out, owner.public_key(), std::span<const escrow::rsa_public_key>(pubs), std::move(info));
    return {std::move(out).take(), std::move(records)};
}

/// Decrypts `file` with a private key; throws what the library throws.
inline escrow::bytes decrypt(escrow::byte_view file, const escrow::rsa_private_key& key) {
    escrow::native_encryptor enc;
    escrow::memory_source in(file);
    escrow::memory_sink out;
    enc.decrypt(in, out, key);
    return std::move(out).take();
}

/// The header length field of a native file (bytes 16..19, little-endian).
inline std::size_t header_size(escrow::byte_view file) {
    REQUIRE(file.size() >= 20);
    return escrow::le::get<std::uint32_t>(file.data() + 16);
}

/// Matches an `escrow::error` whose code is `code` and whose message carries the matching tag.
class has_errc : public Catch::MatcherBase<escrow::error> {
public:
    explicit has_errc(escrow::errc code) : code_(code) {}
    bool match(const escrow::error& e) const override {
        std::string prefix = "[escrow." + std::string(escrow::tag(code_)) + "] ";
        return e.code() == code_ && e.kind() == code_ && std::string(e.what()).rfind(prefix, 0) == 0;
    }
    std::string describe() const override { return "is an escrow::error with code " + std::string(escrow::tag(code_)); }

private:
    escrow::errc code_;
};

/// A sink that lends its memory. Prepared bytes beyond the committed size are kept in `lent_` until
/// the next prepare, so that a test can see what the host left in them.
class lending_sink {
public:
    void write(escrow::byte_view in) { escrow::append(out_, in); }
    escrow::mutable_byte_view prepare(std::size_t n) {
        lent_.assign(n, escrow::byte{0xA5});  // not zero, so that a wipe shows
        ++prepares_;
        return lent_;
    }
    void commit(std::size_t n) {
        REQUIRE(n <= lent_.size());
        escrow::append(out_, escrow::byte_view(lent_).first(n));
        lent_.clear();
    }
    [[nodiscard]] const escrow::bytes& data() const noexcept { return out_; }
    [[nodiscard]] const escrow::bytes& lent() const noexcept { return lent_; }
    [[nodiscard]] std::size_t prepares() const noexcept { return prepares_; }

private:
    escrow::bytes out_, lent_;
    std::size_t prepares_ = 0;
};

/// Seconds elapsed since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace escrow_test

/// Asserts that `expr` throws an `escrow::error` with code `code`.
#define REQUIRE_ESCROW_ERROR(expr, code) \
    REQUIRE_THROWS_MATCHES(expr, escrow::error, escrow_test::has_errc(code))
#define CHECK_ESCROW_ERROR(expr, code) CHECK_THROWS_MATCHES(expr, escrow::error, escrow_test::has_errc(code))
