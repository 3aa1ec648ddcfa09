// SPDX-License-Identifier: MIT
/// @file
/// Poly1305's full message blocks four at a time in AVX2 registers: the bulk path of
/// `detail::poly1305_limb64`, taken when the processor runs AVX2 (asked at run time, so the build
/// needs no `-mavx2`). Not public API: include `detail/poly1305.hpp`.
///
/// Why four lanes: Horner's rule, h = (h + m_i) · r, is one long chain of dependent products. Split
/// the blocks by their index modulo 4 and each lane runs its own chain under r^4; at the end the
/// lanes are multiplied by r^4, r^3, r^2 and r^1 (the oldest lane by the highest power) and added,
/// which gives the same h as the scalar chain. AVX2 multiplies four 32 × 32 → 64-bit pairs per
/// instruction (`vpmuludq`), so the lanes hold h and r in radix 2^26: five limbs, 25 products a
/// block, with 2^130 ≡ 5 (mod p) folding the high products back (the `s` limbs are 5 · r).
///
/// Constant time: no branch and no memory index depends on the key or the message; the loop
/// count and the split into vector and scalar blocks depend on the length only.
///
/// Define `ESCROW_POLY1305_NO_AVX2` (alike in every translation unit) to leave this code out and
/// keep the scalar path everywhere.
#pragma once

#include <cstddef>
#include <cstdint>

#include "escrow/core/bytes.hpp"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(ESCROW_POLY1305_NO_AVX2)
#define ESCROW_POLY1305_AVX2 1
#include <immintrin.h>
#else
#define ESCROW_POLY1305_AVX2 0
#endif

namespace escrow::detail {

/// Whether the AVX2 path can run here: compiled in, and the processor and operating system run
/// AVX2 code (GCC's and Clang's `__builtin_cpu_supports` also check that the OS saves the YMM
/// registers). Asked once per process.
inline bool poly1305_avx2_usable() noexcept {
#if ESCROW_POLY1305_AVX2
    static const bool usable = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return usable;
#else
    return false;
#endif
}

/// r^4, r^3, r^2 and r^1 in radix 2^26, one power per lane (lane 0 holds r^4), with each limb also
/// times 5. Computed once per key by `poly1305_limb64`, which wipes it.
struct poly1305_avx2_powers {
    alignas(32) std::uint64_t r[5][4];
    alignas(32) std::uint64_t s[5][4];

    /// Stores the power `h0 + h1·2^44 + h2·2^88` (limbs at most a few bits over their width) in lane `lane`.
    void set(int lane, std::uint64_t h0, std::uint64_t h1, std::uint64_t h2) noexcept {
        constexpr std::uint64_t m26 = (std::uint64_t{1} << 26) - 1;
        // The value's bits 0-25, 26-51, 52-77, 78-103 and the rest, carrying as it goes.
        std::uint64_t t = h0;
        r[0][lane] = t & m26;
        t = (t >> 26) + (h1 << 18);
        r[1][lane] = t & m26;
        t >>= 26;
        r[2][lane] = t & m26;
        t = (t >> 26) + (h2 << 10);
        r[3][lane] = t & m26;
        r[4][lane] = t >> 26;
        for (int i = 0; i < 5; ++i) s[i][lane] = r[i][lane] * 5;
    }
};

#if ESCROW_POLY1305_AVX2
namespace poly1305_avx2_impl {

// One 64-bit lane per block; the limbs sit in the low 32 bits, as vpmuludq reads them.
struct lanes {
    __m256i l[5];
};

__attribute__((target("avx2"))) inline __m256i mul(__m256i a, __m256i b) noexcept { return _mm256_mul_epu32(a, b); }

// d = h · r mod 2^130 - 5, per lane, carried back to limbs of 26 bits (plus at most 2^11).
// Bounds: every h limb below 2^27.1, r below 2^26.1, s = 5r below 2^28.4, so each of the five
// products in a sum is below 2^55.5 and the sum below 2^58: nothing overflows 64 bits.
__attribute__((target("avx2"))) inline void multiply(lanes& h, const __m256i* r, const __m256i* s) noexcept {
    const __m256i h0 = h.l[0], h1 = h.l[1], h2 = h.l[2], h3 = h.l[3], h4 = h.l[4];
    __m256i d0 = _mm256_add_epi64(_mm256_add_epi64(mul(h0, r[0]), mul(h1, s[4])),
                                  _mm256_add_epi64(_mm256_add_epi64(mul(h2, s[3]), mul(h3, s[2])), mul(h4, s[1])));
    __m256i d1 = _mm256_add_epi64(_mm256_add_epi64(mul(h0, r[1]), mul(h1, r[0])),
                                  _mm256_add_epi64(_mm256_add_epi64(mul(h2, s[4]), mul(h3, s[3])), mul(h4, s[2])));
    __m256i d2 = _mm256_add_epi64(_mm256_add_epi64(mul(h0, r[2]), mul(h1, r[1])),
                                  _mm256_add_epi64(_mm256_add_epi64(mul(h2, r[0]), mul(h3, s[4])), mul(h4, s[3])));
    __m256i d3 = _mm256_add_epi64(_mm256_add_epi64(mul(h0, r[3]), mul(h1, r[2])),
                                  _mm256_add_epi64(_mm256_add_epi64(mul(h2, r[1]), mul(h3, r[0])), mul(h4, s[4])));
    __m256i d4 = _mm256_add_epi64(_mm256_add_epi64(mul(h0, r[4]), mul(h1, r[3])),
                                  _mm256_add_epi64(_mm256_add_epi64(mul(h2, r[2]), mul(h3, r[1])), mul(h4, r[0])));
    // Two carry chains side by side (0→1→2→3→4 and 3→4→0→1), so each waits on half as many steps.
    const __m256i m26 = _mm256_set1_epi64x((1 << 26) - 1);
    __m256i c = _mm256_srli_epi64(d0, 26), e = _mm256_srli_epi64(d3, 26);
    d0 = _mm256_and_si256(d0, m26), d1 = _mm256_add_epi64(d1, c);
    d3 = _mm256_and_si256(d3, m26), d4 = _mm256_add_epi64(d4, e);
    c = _mm256_srli_epi64(d1, 26), e = _mm256_srli_epi64(d4, 26);
    d1 = _mm256_and_si256(d1, m26), d2 = _mm256_add_epi64(d2, c);
    d4 = _mm256_and_si256(d4, m26), d0 = _mm256_add_epi64(d0, _mm256_add_epi64(e, _mm256_slli_epi64(e, 2)));  // + 5e
    c = _mm256_srli_epi64(d2, 26), e = _mm256_srli_epi64(d0, 26);
    d2 = _mm256_and_si256(d2, m26), d3 = _mm256_add_epi64(d3, c);
    d0 = _mm256_and_si256(d0, m26), d1 = _mm256_add_epi64(d1, e);
    c = _mm256_srli_epi64(d3, 26);
    d3 = _mm256_and_si256(d3, m26), d4 = _mm256_add_epi64(d4, c);
    h.l[0] = d0, h.l[1] = d1, h.l[2] = d2, h.l[3] = d3, h.l[4] = d4;
}

// h += the four 16-byte blocks at `m`, block j in lane j, each with 2^128 added (a full block).
__attribute__((target("avx2"))) inline void add_blocks(lanes& h, const byte* m) noexcept {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m));       // lo0 hi0 lo1 hi1
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + 32));  // lo2 hi2 lo3 hi3
    // unpack works within 128-bit halves (lo0 lo2 lo1 lo3); the permutation puts block j in lane j.
    const __m256i lo = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xd8);
    const __m256i hi = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xd8);
    const __m256i m26 = _mm256_set1_epi64x((1 << 26) - 1);
    h.l[0] = _mm256_add_epi64(h.l[0], _mm256_and_si256(lo, m26));
    h.l[1] = _mm256_add_epi64(h.l[1], _mm256_and_si256(_mm256_srli_epi64(lo, 26), m26));
    h.l[2] = _mm256_add_epi64(h.l[2],
                              _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(lo, 52), _mm256_slli_epi64(hi, 12)), m26));
    h.l[3] = _mm256_add_epi64(h.l[3], _mm256_and_si256(_mm256_srli_epi64(hi, 14), m26));
    h.l[4] = _mm256_add_epi64(h.l[4], _mm256_or_si256(_mm256_srli_epi64(hi, 40), _mm256_set1_epi64x(1 << 24)));
}

}  // namespace poly1305_avx2_impl

/// h = (…((h + m_0) · r + m_1) · r … + m_{count-1}) · r mod 2^130 - 5 over `count` full blocks
/// (a multiple of 4, at least 4), with h in `poly1305_limb64`'s radix 2^44 on entry and on return.
/// @pre `poly1305_avx2_usable()`; `p` holds r^4 … r^1 of the same key.
__attribute__((target("avx2"))) inline void poly1305_avx2_blocks(std::uint64_t& h0, std::uint64_t& h1, std::uint64_t& h2,
                                                                 const poly1305_avx2_powers& p, const byte* m,
                                                                 std::size_t count) noexcept {
    using poly1305_avx2_impl::lanes;
    constexpr std::uint64_t m26 = (std::uint64_t{1} << 26) - 1, m44 = (std::uint64_t{1} << 44) - 1;
    __m256i r4[5], s4[5], rf[5], sf[5];
    for (int i = 0; i < 5; ++i) {
        rf[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.r[i]));
        sf[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.s[i]));
        r4[i] = _mm256_permute4x64_epi64(rf[i], 0);  // lane 0's r^4 in every lane
        s4[i] = _mm256_permute4x64_epi64(sf[i], 0);
    }
    // The running h goes into lane 0 before the first block, in radix 2^26.
    lanes h;
    {
        std::uint64_t t = h0;
        const std::uint64_t a0 = t & m26;
        t = (t >> 26) + (h1 << 18);
        const std::uint64_t a1 = t & m26;
        t >>= 26;
        const std::uint64_t a2 = t & m26;
        t = (t >> 26) + (h2 << 10);
        const std::uint64_t a3 = t & m26, a4 = t >> 26;
        const std::uint64_t a[5] = {a0, a1, a2, a3, a4};
        for (int i = 0; i < 5; ++i) h.l[i] = _mm256_set_epi64x(0, 0, 0, static_cast<long long>(a[i]));
    }
    poly1305_avx2_impl::add_blocks(h, m);
    for (count -= 4, m += 64; count; count -= 4, m += 64) {
        poly1305_avx2_impl::multiply(h, r4, s4);
        poly1305_avx2_impl::add_blocks(h, m);
    }
    poly1305_avx2_impl::multiply(h, rf, sf);
    // The four lanes added limb by limb (each below 2^26 + 2^11, so the sums stay below 2^29),
    // carried once around, and put back in radix 2^44.
    std::uint64_t d[5];
    for (int i = 0; i < 5; ++i) {
        alignas(32) std::uint64_t v[4];
        _mm256_store_si256(reinterpret_cast<__m256i*>(v), h.l[i]);
        d[i] = v[0] + v[1] + v[2] + v[3];
    }
    for (int i = 0; i < 4; ++i) d[i + 1] += d[i] >> 26, d[i] &= m26;
    d[0] += (d[4] >> 26) * 5, d[4] &= m26;
    std::uint64_t t = d[0] + (d[1] << 26);
    h0 = t & m44;
    t = (t >> 44) + (d[2] << 8) + (d[3] << 34);
    h1 = t & m44;
    h2 = (t >> 44) + (d[4] << 16);
}
#endif

}  // namespace escrow::detail
