// SPDX-License-Identifier: MIT
/// @file
/// Shamir's secret sharing over GF(2^8), constant time: the session key split for k-of-n escrow.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/core/secret.hpp"

namespace escrow {

/// Tag of a Shamir share of a session key.
struct share_tag {};
/// The value of one share (as long as the secret it was split from), in wiped memory.
using share_value = secret<share_tag>;

/// One share: its index x (1 to 255, public) and its value y (secret).
struct shamir_share {
    std::uint8_t index = 0;  ///< the point x the polynomials were evaluated at
    share_value value;       ///< one byte of each polynomial at x
};

/// Shamir's scheme over GF(2^8) (the AES field, x^8 + x^4 + x^3 + x + 1), byte by byte.
///
/// Why not Crypto++'s `SecretSharing` (ida.h): it works over its own prime field through filter
/// chains and writes its own framing; it gives no share index or threshold the caller can frame
/// and validate, and its arithmetic is not written to be constant time. Here each byte of the
/// secret is the constant term of its own random polynomial of degree k-1; share x holds every
/// polynomial's value at x. Any k shares give the secret back (Lagrange at 0); k-1 shares are
/// uniformly distributed whatever the secret, so they tell nothing about it.
///
/// Constant time: no table and no branch is indexed by a secret byte. Multiplication is a
/// shift-and-xor loop whose steps are selected with masks; inversion is exponentiation to 254
/// (x^254 = x^-1 in GF(2^8)) through a fixed chain of multiplications. Indices are public and
/// may steer control flow.
namespace shamir {

/// Largest number of shares: the nonzero points of GF(2^8).
inline constexpr std::size_t max_shares = 255;

/// a * b in GF(2^8), in time independent of both.
[[nodiscard]] constexpr std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) noexcept {
    unsigned r = 0, x = a, y = b;
    for (int i = 0; i < 8; ++i) {
        r ^= x & (0u - (y & 1u));                   // add x when the low bit of y is set
        x = ((x << 1) ^ (0x1Bu & (0u - (x >> 7)))) & 0xFFu;  // x * X, reduced when bit 7 overflowed
        y >>= 1;
    }
    return static_cast<std::uint8_t>(r);
}

/// a^-1 in GF(2^8) as a^254 (0 for 0), in time independent of a.
[[nodiscard]] constexpr std::uint8_t gf_inv(std::uint8_t a) noexcept {
    // 254 = 0b11111110: square and multiply over its bits, the same steps for every a.
    std::uint8_t result = 1, power = a;
    for (int bit = 1; bit < 8; ++bit) {
        power = gf_mul(power, power);  // a^(2^bit)
        result = gf_mul(result, power);
    }
    return result;
}

/// Splits `secret_bytes` into `n` shares, any `k` of which give it back. Share i has index i
/// (1 to n). The coefficients are drawn from `rng`, k-1 bytes per secret byte, in secret-byte order.
/// @throws escrow::error `invalid_argument` unless 2 <= k <= n <= 255 and the secret is not empty.
[[nodiscard]] inline std::vector<shamir_share> split(byte_view secret_bytes, std::size_t k, std::size_t n,
                                                     system_random& rng = default_random()) {
    if (k < 2 || k > n || n > max_shares)
        throw error(errc::invalid_argument, "Shamir split needs 2 <= K <= N <= 255 (K " + std::to_string(k) + ", N " +
                                                std::to_string(n) + ")");
    if (secret_bytes.empty()) throw error(errc::invalid_argument, "Shamir split of an empty secret");
    std::vector<shamir_share> shares(n);
    for (std::size_t i = 0; i < n; ++i) {
        shares[i].index = static_cast<std::uint8_t>(i + 1);
        shares[i].value = share_value(secret_bytes.size());
    }
    share_value coefficients(k - 1);  // one polynomial at a time, wiped when done
    for (std::size_t b = 0; b < secret_bytes.size(); ++b) {
        rng.fill(coefficients.unsafe_mutable_bytes());
        const byte_view c = coefficients.unsafe_bytes();
        for (auto& s : shares) {
            // Horner: ((c[k-2] x + c[k-3]) x + ... + c[0]) x + secret
            std::uint8_t y = 0;
            for (std::size_t j = k - 1; j-- > 0;) y = gf_mul(static_cast<std::uint8_t>(y ^ c[j]), s.index);
            s.value.unsafe_mutable_bytes()[b] = static_cast<byte>(y ^ secret_bytes[b]);
        }
    }
    return shares;
}

/// The secret the given shares interpolate to at 0. With at least k shares of one split this is
/// the secret; with fewer it is an unrelated value, which only a check against the secret (a
/// header MAC) can tell. The caller counts shares against the threshold.
/// @throws escrow::error `invalid_argument` with no share, an index 0, two shares of one index,
/// or shares of different lengths.
template <class Tag = share_tag>
[[nodiscard]] secret<Tag> combine(std::span<const shamir_share> shares) {
    if (shares.empty()) throw error(errc::invalid_argument, "Shamir combine of no share");
    const std::size_t len = shares.front().value.size();
    for (std::size_t i = 0; i < shares.size(); ++i) {
        if (shares[i].index == 0) throw error(errc::invalid_argument, "Shamir share index 0");
        if (shares[i].value.size() != len) throw error(errc::invalid_argument, "Shamir shares of different lengths");
        for (std::size_t j = 0; j < i; ++j)
            if (shares[j].index == shares[i].index)
                throw error(errc::invalid_argument, "two Shamir shares of index " + std::to_string(shares[i].index));
    }
    secret<Tag> out(len);
    for (std::size_t i = 0; i < shares.size(); ++i) {
        // Lagrange basis at 0: prod over j != i of x_j / (x_j - x_i); subtraction is xor.
        std::uint8_t num = 1, den = 1;
        for (std::size_t j = 0; j < shares.size(); ++j) {
            if (j == i) continue;
            num = gf_mul(num, shares[j].index);
            den = gf_mul(den, static_cast<std::uint8_t>(shares[j].index ^ shares[i].index));
        }
        const std::uint8_t basis = gf_mul(num, gf_inv(den));
        const byte_view y = shares[i].value.unsafe_bytes();
        mutable_byte_view o = out.unsafe_mutable_bytes();
        for (std::size_t b = 0; b < len; ++b) o[b] = static_cast<byte>(o[b] ^ gf_mul(y[b], basis));
    }
    return out;
}

/// Size of the per-file salt of share commitments, in bytes.
inline constexpr std::size_t commitment_salt_size = 16;

/// The commitment to share `s` that a file header carries: SHA-256("escrow/v1 share" | salt |
/// index | value). It names a wrong share before combination; a share is as long as the session
/// key and uniform to anyone without k-1 others, so its commitment gives nothing away.
[[nodiscard]] inline digest256 commitment(byte_view salt, std::uint8_t index, const share_value& value) {
    constexpr std::string_view label = "escrow/v1 share";
    bytes in(label.size() + salt.size() + 1 + value.size());
    scoped_wipe wipe(in);  // it holds the share
    auto at = std::copy(label.begin(), label.end(), in.begin());
    at = std::copy(salt.begin(), salt.end(), at);
    *at++ = index;
    std::copy(value.unsafe_bytes().begin(), value.unsafe_bytes().end(), at);
    return sha256(in);
}

}  // namespace shamir
}  // namespace escrow
