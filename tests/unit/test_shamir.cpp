// SPDX-License-Identifier: MIT
/// @file
/// Shamir's scheme over GF(2^8) (escrow/core/shamir.hpp): the field against a table-based reference,
/// split and combine, their refusals, and the property test of k-of-n escrow: for random
/// K <= N <= 8 every K shares give the key back and no K-1 shares do, the latter seen as a native
/// header MAC that fails under the value they combine to.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include <escrow/escrow.hpp>

#include "error_kind.hpp"

namespace {

using escrow::errc;
using escrow_test::error_kind;
namespace shamir = escrow::shamir;

// Reference multiplication by logarithms (generator 3), built independently of gf_mul.
struct log_tables {
    std::array<std::uint8_t, 256> exp{}, log{};
    log_tables() {
        unsigned x = 1;
        for (unsigned i = 0; i < 255; ++i) {
            exp[i] = static_cast<std::uint8_t>(x);
            log[x] = static_cast<std::uint8_t>(i);
            unsigned x2 = (x << 1) ^ ((x & 0x80) ? 0x11B : 0);  // x * 2
            x = (x2 ^ x) & 0xFF;                               // x * 3
        }
    }
    std::uint8_t mul(std::uint8_t a, std::uint8_t b) const {
        if (a == 0 || b == 0) return 0;
        return exp[(log[a] + log[b]) % 255];
    }
};

std::vector<escrow::shamir_share> pick(const std::vector<escrow::shamir_share>& all, std::uint32_t mask) {
    std::vector<escrow::shamir_share> out;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (mask & (1u << i)) out.push_back({all[i].index, all[i].value.clone()});
    return out;
}

}  // namespace

TEST_CASE("GF(2^8) multiplication agrees with a log-table reference for every pair", "[shamir][field]") {
    const log_tables t;
    for (unsigned a = 0; a < 256; ++a)
        for (unsigned b = 0; b < 256; ++b)
            REQUIRE(shamir::gf_mul(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)) ==
                    t.mul(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)));
    CHECK(shamir::gf_mul(0x57, 0x83) == 0xC1);  // FIPS 197, section 4.2
}

TEST_CASE("GF(2^8) inversion gives every nonzero element its inverse, and 0 for 0", "[shamir][field]") {
    CHECK(shamir::gf_inv(0) == 0);
    for (unsigned a = 1; a < 256; ++a) REQUIRE(shamir::gf_mul(static_cast<std::uint8_t>(a), shamir::gf_inv(static_cast<std::uint8_t>(a))) == 1);
}

TEST_CASE("Shamir split gives N shares indexed 1..N, as long as the secret, none equal to it", "[shamir]") {
    auto key = escrow::session_key::generate(32);
    auto shares = shamir::split(key.unsafe_bytes(), 3, 5);
    REQUIRE(shares.size() == 5);
    for (std::size_t i = 0; i < shares.size(); ++i) {
        CHECK(shares[i].index == i + 1);
        CHECK(shares[i].value.size() == 32);
        CHECK_FALSE(escrow::constant_time_equal(shares[i].value.unsafe_bytes(), key.unsafe_bytes()));
    }
    // A fresh split of the same key draws fresh polynomials.
    auto again = shamir::split(key.unsafe_bytes(), 3, 5);
    CHECK_FALSE(escrow::constant_time_equal(again[0].value, shares[0].value));
}

TEST_CASE("Shamir split and combine refuse what the scheme cannot do", "[shamir]") {
    auto key = escrow::session_key::generate(16);
    CHECK(error_kind([&] { (void)shamir::split(key.unsafe_bytes(), 1, 3); }) == errc::invalid_argument);
    CHECK(error_kind([&] { (void)shamir::split(key.unsafe_bytes(), 4, 3); }) == errc::invalid_argument);
    CHECK(error_kind([&] { (void)shamir::split(key.unsafe_bytes(), 2, 256); }) == errc::invalid_argument);
    CHECK(error_kind([&] { (void)shamir::split(escrow::byte_view{}, 2, 3); }) == errc::invalid_argument);
    auto shares = shamir::split(key.unsafe_bytes(), 2, 3);
    std::vector<escrow::shamir_share> twice;
    twice.push_back({shares[0].index, shares[0].value.clone()});
    twice.push_back({shares[0].index, shares[1].value.clone()});
    CHECK(error_kind([&] { (void)shamir::combine(twice); }) == errc::invalid_argument);
    twice[1].index = 0;
    CHECK(error_kind([&] { (void)shamir::combine(twice); }) == errc::invalid_argument);
    CHECK(error_kind([&] { (void)shamir::combine(std::span<const escrow::shamir_share>{}); }) == errc::invalid_argument);
}

TEST_CASE("Share commitments differ by index, salt and value", "[shamir]") {
    auto key = escrow::session_key::generate(32);
    auto shares = shamir::split(key.unsafe_bytes(), 2, 2);
    std::array<escrow::byte, 16> salt{}, salt2{};
    salt2[0] = 1;
    auto c = shamir::commitment(salt, 1, shares[0].value);
    CHECK(c == shamir::commitment(salt, 1, shares[0].value));
    CHECK(c != shamir::commitment(salt, 2, shares[0].value));
    CHECK(c != shamir::commitment(salt2, 1, shares[0].value));
    CHECK(c != shamir::commitment(salt, 1, shares[1].value));
}

TEST_CASE("Property: for random K <= N <= 8, every K shares reconstruct the key and no K-1 shares open the header",
          "[shamir][property]") {
    using C = escrow::cipher::aes256_gcm_stream;
    using W = escrow::wrap::rsa_oaep_sha256;
    std::mt19937 pick_sizes(20261203);  // the sizes only; keys and polynomials come from the system
    for (int round = 0; round < 24; ++round) {
        const std::size_t n = 2 + pick_sizes() % 7;      // 2..8
        const std::size_t k = 2 + pick_sizes() % (n - 1);  // 2..n
        auto key = escrow::session_key::generate(C::key_size);
        // A native header MAC'd under the key: what a threshold file's shares must open.
        escrow::file_header h;
        h.info.serial = "shamir-property";
        h.nonce.resize(C::nonce_size);
        escrow::default_random().fill(h.nonce);
        h.recipients.push_back({escrow::recipient_role::owner, escrow::wrapped_key{{}, escrow::bytes(8, 0x42)}, {}, 0});
        escrow::memory_sink sink;
        escrow::store::native::write_header<C, W>(sink, h, key);
        REQUIRE(escrow::store::native::verify_header<C, W>(h, key));

        auto shares = shamir::split(key.unsafe_bytes(), k, n);
        INFO("K " << k << " of N " << n);
        for (std::uint32_t mask = 1; mask < (1u << n); ++mask) {
            const auto size = static_cast<std::size_t>(__builtin_popcount(mask));
            if (size != k && size != k - 1) continue;
            auto subset = pick(shares, mask);
            auto combined = shamir::combine<escrow::session_key_tag>(subset);
            INFO("subset mask " << mask);
            if (size == k) {
                REQUIRE(escrow::constant_time_equal(combined, key));
                REQUIRE(escrow::store::native::verify_header<C, W>(h, combined));
            } else {
                REQUIRE_FALSE(escrow::store::native::verify_header<C, W>(h, combined));
            }
        }
    }
}
