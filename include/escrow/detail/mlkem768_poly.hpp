// SPDX-License-Identifier: MIT
/// @file
/// ML-KEM-768's ring arithmetic (FIPS 203 §4): reduction mod q, the NTT, sampling and the
/// ByteEncode/ByteDecode and Compress/Decompress maps. Constant time on secret coefficients.
#pragma once

#include <cryptopp/misc.h>
#include <cryptopp/shake.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "escrow/core/bytes.hpp"

/// Marks `len` bytes at `ptr` as public by design for a constant-time checker. ML-KEM applies it to
/// ρ, which the encapsulation key carries in the clear: the matrix it seeds is sampled with
/// rejection, so its branches depend on ρ. A no-op unless defined before this header is included
/// (tests/hardening/test_ctgrind.cpp defines it as valgrind's VALGRIND_MAKE_MEM_DEFINED).
#ifndef ESCROW_CT_PUBLIC
#define ESCROW_CT_PUBLIC(ptr, len) ((void)(ptr), (void)(len))
#endif

namespace escrow::detail::mlkem768 {

/// The modulus q of FIPS 203.
inline constexpr std::uint32_t q = 3329;
/// Coefficients per polynomial.
inline constexpr std::size_t n = 256;
/// The module rank k of ML-KEM-768.
inline constexpr std::size_t k = 3;
/// Compression widths d_u and d_v of ML-KEM-768 (η1 = η2 = 2 is built into sample_cbd2).
inline constexpr unsigned du = 10;
inline constexpr unsigned dv = 4;

/// A polynomial: n coefficients, each kept reduced in [0, q).
using poly = std::array<std::uint16_t, n>;
/// A vector of k polynomials.
using polyvec = std::array<poly, k>;

/// A value of type T whose bytes are wiped when it goes out of scope (secret intermediates).
template <class T>
struct wiped : T {
    wiped() : T{} {}
    wiped(const wiped&) = delete;
    wiped& operator=(const wiped&) = delete;
    ~wiped() { CryptoPP::SecureWipeBuffer(reinterpret_cast<byte*>(static_cast<T*>(this)), sizeof(T)); }
};

// ---- arithmetic mod q -------------------------------------------------------------------------
// No division and no branch: a product is reduced by Barrett's method (multiply by
// floor(2^36 / q), shift) and a final conditional subtraction done with a mask.

/// x mod q for x < 2q.
[[nodiscard]] inline std::uint16_t reduce_once(std::uint32_t x) noexcept {
    std::uint32_t r = x - q;
    r += q & (0u - (r >> 31));
    return static_cast<std::uint16_t>(r);
}

/// x mod q for x < 2^26 (any product of two reduced coefficients, or of sums of a few of them).
[[nodiscard]] inline std::uint16_t reduce(std::uint32_t x) noexcept {
    constexpr std::uint64_t barrett = (std::uint64_t{1} << 36) / q;
    const auto quotient = static_cast<std::uint32_t>((std::uint64_t{x} * barrett) >> 36);
    return reduce_once(x - quotient * q);
}

[[nodiscard]] inline std::uint16_t mul(std::uint32_t a, std::uint32_t b) noexcept { return reduce(a * b); }
[[nodiscard]] inline std::uint16_t add(std::uint32_t a, std::uint32_t b) noexcept { return reduce_once(a + b); }
[[nodiscard]] inline std::uint16_t sub(std::uint32_t a, std::uint32_t b) noexcept { return reduce_once(a + q - b); }

// ---- the NTT (FIPS 203 §4.3) ------------------------------------------------------------------

/// 17^e mod q (17 is the primitive 256th root of unity of FIPS 203).
constexpr std::uint16_t pow17(unsigned e) {
    std::uint32_t r = 1;
    for (unsigned i = 0; i < e; ++i) r = r * 17 % q;
    return static_cast<std::uint16_t>(r);
}
/// The 7-bit bit reversal of i.
constexpr unsigned bitrev7(unsigned i) {
    unsigned r = 0;
    for (unsigned b = 0; b < 7; ++b) r |= ((i >> b) & 1u) << (6 - b);
    return r;
}
/// ζ^BitRev7(i) for the NTT's butterflies, i = 0..127.
inline constexpr auto zetas = [] {
    std::array<std::uint16_t, 128> z{};
    for (unsigned i = 0; i < 128; ++i) z[i] = pow17(bitrev7(i));
    return z;
}();
/// ζ^(2·BitRev7(i)+1) for the base-case products, i = 0..127.
inline constexpr auto gammas = [] {
    std::array<std::uint16_t, 128> g{};
    for (unsigned i = 0; i < 128; ++i) g[i] = pow17(2 * bitrev7(i) + 1);
    return g;
}();

/// NTT (Algorithm 9), in place.
inline void ntt(poly& f) noexcept {
    unsigned i = 1;
    for (std::size_t len = 128; len >= 2; len /= 2) {
        for (std::size_t start = 0; start < n; start += 2 * len) {
            const std::uint16_t zeta = zetas[i++];
            for (std::size_t j = start; j < start + len; ++j) {
                const std::uint16_t t = mul(zeta, f[j + len]);
                f[j + len] = sub(f[j], t);
                f[j] = add(f[j], t);
            }
        }
    }
}

/// NTT⁻¹ (Algorithm 10), in place, including the final multiplication by 128⁻¹ = 3303 mod q.
inline void inverse_ntt(poly& f) noexcept {
    unsigned i = 127;
    for (std::size_t len = 2; len <= 128; len *= 2) {
        for (std::size_t start = 0; start < n; start += 2 * len) {
            const std::uint16_t zeta = zetas[i--];
            for (std::size_t j = start; j < start + len; ++j) {
                const std::uint16_t t = f[j];
                f[j] = add(t, f[j + len]);
                f[j + len] = mul(zeta, sub(f[j + len], t));
            }
        }
    }
    for (auto& c : f) c = mul(c, 3303);
}

/// h += f ∘ g in the NTT domain (MultiplyNTTs, Algorithm 11, with BaseCaseMultiply, Algorithm 12).
inline void multiply_ntts_add(poly& h, const poly& f, const poly& g) noexcept {
    for (std::size_t i = 0; i < n / 2; ++i) {
        const std::uint32_t a0 = f[2 * i], a1 = f[2 * i + 1], b0 = g[2 * i], b1 = g[2 * i + 1];
        // a0·b0 + a1·b1·γ: each product is below q², their reduced sum below 2q.
        const std::uint16_t c0 = add(mul(a0, b0), mul(mul(a1, b1), gammas[i]));
        const std::uint16_t c1 = reduce(a0 * b1 + a1 * b0);
        h[2 * i] = add(h[2 * i], c0);
        h[2 * i + 1] = add(h[2 * i + 1], c1);
    }
}

/// f += g, coefficient-wise.
inline void poly_add(poly& f, const poly& g) noexcept {
    for (std::size_t i = 0; i < n; ++i) f[i] = add(f[i], g[i]);
}

// ---- sampling (FIPS 203 §4.2.2) ---------------------------------------------------------------

/// SampleNTT (Algorithm 7): the matrix entry Â[i, j] from SHAKE128(ρ ‖ j ‖ i), by rejection.
/// ρ is public, so the rejection loop may branch on it. Crypto++'s SHAKE cannot squeeze more
/// output after its final call, so when the first three blocks hold too few accepted values
/// (about 1 % of entries; CCTV's "unlucky" ρ needs 576 bytes) the stream is computed again,
/// twice as long, and read on from where it stopped: its first bytes are the same.
inline void sample_ntt(const byte* rho, byte j, byte i, poly& a) {
    std::array<byte, 34> seed{};
    std::copy(rho, rho + 32, seed.begin());
    seed[32] = j;
    seed[33] = i;
    std::vector<byte> stream;
    std::size_t length = 3 * 168, pos = 0, count = 0;
    for (;;) {
        stream.resize(length);
        CryptoPP::SHAKE128 xof(static_cast<unsigned>(length));
        xof.Update(seed.data(), seed.size());
        xof.TruncatedFinal(stream.data(), length);
        for (; count < n && pos + 3 <= length; pos += 3) {
            const std::uint32_t d1 = stream[pos] | (std::uint32_t{stream[pos + 1]} & 0x0f) << 8;
            const std::uint32_t d2 = stream[pos + 1] >> 4 | std::uint32_t{stream[pos + 2]} << 4;
            if (d1 < q) a[count++] = static_cast<std::uint16_t>(d1);
            if (d2 < q && count < n) a[count++] = static_cast<std::uint16_t>(d2);
        }
        if (count == n) return;
        length *= 2;
    }
}

/// SamplePolyCBD_2 (Algorithm 8, η = 2) from 128 bytes of PRF output: each coefficient is
/// (b0 + b1) − (b2 + b3) over four consecutive bits, computed without a branch.
inline void sample_cbd2(const byte* in, poly& f) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t bits = in[i / 2] >> (4 * (i % 2));
        const std::uint32_t x = (bits & 1) + ((bits >> 1) & 1);
        const std::uint32_t y = ((bits >> 2) & 1) + ((bits >> 3) & 1);
        f[i] = sub(x, y);
    }
}

// ---- encodings (FIPS 203 §4.2.1) --------------------------------------------------------------

/// ByteEncode_d (Algorithm 5) of one polynomial into 32·d bytes, least significant bit first.
template <unsigned D>
void byte_encode(const poly& f, byte* out) noexcept {
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
        acc |= std::uint32_t{f[i]} << bits;
        bits += D;
        while (bits >= 8) {
            *out++ = static_cast<byte>(acc);
            acc >>= 8;
            bits -= 8;
        }
    }
}

/// ByteDecode_d (Algorithm 6) of 32·d bytes: d-bit values, not reduced (for d = 12 a value may
/// reach 4095; callers reduce it or check it).
template <unsigned D>
void byte_decode(const byte* in, poly& f) noexcept {
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
        while (bits < D) {
            acc |= std::uint32_t{*in++} << bits;
            bits += 8;
        }
        f[i] = static_cast<std::uint16_t>(acc & ((1u << D) - 1));
        acc >>= D;
        bits -= D;
    }
}

/// Compress_d: round(2^d · x / q) mod 2^d for x in [0, q), as a multiply and shift, never a
/// division (a `/` by q on a secret is the KyberSlash timing leak). (x·2^d + ⌊q/2⌋) is below
/// 2^22; multiplying it by ⌈2^40 / q⌉ and shifting by 40 gives its exact quotient by q, which
/// the unit tests check for every x and d.
template <unsigned D>
[[nodiscard]] std::uint16_t compress(std::uint32_t x) noexcept {
    constexpr std::uint64_t inverse = ((std::uint64_t{1} << 40) + q - 1) / q;
    const std::uint64_t scaled = (std::uint64_t{x} << D) + q / 2;
    return static_cast<std::uint16_t>(((scaled * inverse) >> 40) & ((1u << D) - 1));
}

/// Decompress_d: round(q · y / 2^d).
template <unsigned D>
[[nodiscard]] std::uint16_t decompress(std::uint32_t y) noexcept {
    return static_cast<std::uint16_t>((y * q + (1u << (D - 1))) >> D);
}

}  // namespace escrow::detail::mlkem768
