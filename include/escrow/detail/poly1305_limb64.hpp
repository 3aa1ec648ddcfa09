// SPDX-License-Identifier: MIT
/// @file
/// Poly1305 (RFC 8439, section 2.5) with 64-bit limbs. Not public API: the MAC of
/// `detail::chacha20_poly1305` wherever the compiler has `unsigned __int128` (see
/// `detail/poly1305.hpp`, which chooses; include that one).
///
/// Why not Crypto++'s `Poly1305TLS`: it computes with 26-bit limbs in 32-bit words (25 products per
/// 16-byte block) and runs at about 1.2 GB/s on this project's machine, which made it the slowest
/// half of the age format's ChaCha20-Poly1305. Here the accumulator and the key `r` are three limbs
/// of 44, 44 and 42 bits (radix 2^44) held in 64-bit words, and a block costs 9 products of 64 by
/// 64 bits into 128. Everything is branch-free and independent of the data: no secret-dependent
/// branch or index, and the final reduction selects with a mask.
///
/// Where the processor runs AVX2 (asked at run time), runs of 16 or more full blocks go four at a
/// time through `detail/poly1305_avx2.hpp`; the rest, and the final block, through the scalar code
/// here. The constructor's `poly1305_path` lets a test take either path; both give the same tags.
#pragma once

#include <cryptopp/misc.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "escrow/core/bytes.hpp"
#include "escrow/detail/poly1305_avx2.hpp"

#if !defined(__SIZEOF_INT128__)
#error "detail/poly1305_limb64.hpp needs unsigned __int128 (GCC or Clang on a 64-bit target): include detail/poly1305.hpp, which takes Crypto++'s Poly1305 here"
#endif

namespace escrow::detail {

/// Which code absorbs runs of full blocks: the scalar code alone, or AVX2 four blocks at a time.
enum class poly1305_path { scalar, avx2 };

/// The fastest path this process can run: `avx2` where `poly1305_avx2_usable()`, else `scalar`.
inline poly1305_path poly1305_best_path() noexcept {
    return poly1305_avx2_usable() ? poly1305_path::avx2 : poly1305_path::scalar;
}

class poly1305_limb64 {
public:
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t tag_size = 16;

    /// Starts a MAC under the one-time `key` (32 bytes: r, then s). `path` chooses the bulk code;
    /// `avx2` where it cannot run (`poly1305_avx2_usable()` false) is taken as `scalar`.
    explicit poly1305_limb64(const byte* key, poly1305_path path = poly1305_best_path()) noexcept
        : vector_(path == poly1305_path::avx2 && poly1305_avx2_usable()) {
        std::uint64_t t0 = load64(key), t1 = load64(key + 8);
        // r, clamped as RFC 8439 requires (r &= 0x0ffffffc0ffffffc0ffffffc0fffffff), split into
        // limbs: the clamp's cleared bits fall inside the masks below.
        r0_ = t0 & 0xffc0fffffffULL;
        r1_ = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffffULL;
        r2_ = (t1 >> 24) & 0x00ffffffc0fULL;
        // 2^130 = 5 (mod p), so a product that lands at 2^132 (limb 3) comes back to limb 0 times 20.
        s1_ = r1_ * 20;
        s2_ = r2_ * 20;
        pad0_ = load64(key + 16);
        pad1_ = load64(key + 24);
    }

    poly1305_limb64(const poly1305_limb64&) = delete;
    poly1305_limb64& operator=(const poly1305_limb64&) = delete;
    ~poly1305_limb64() {
        CryptoPP::SecureWipeBuffer(&h0_, 1);
        CryptoPP::SecureWipeBuffer(&h1_, 1);
        CryptoPP::SecureWipeBuffer(&h2_, 1);
        CryptoPP::SecureWipeBuffer(&r0_, 1);
        CryptoPP::SecureWipeBuffer(&r1_, 1);
        CryptoPP::SecureWipeBuffer(&r2_, 1);
        CryptoPP::SecureWipeBuffer(&s1_, 1);
        CryptoPP::SecureWipeBuffer(&s2_, 1);
        CryptoPP::SecureWipeBuffer(&pad0_, 1);
        CryptoPP::SecureWipeBuffer(&pad1_, 1);
        CryptoPP::SecureWipeArray(buf_, sizeof buf_);
        if (powers_ready_) {
            CryptoPP::SecureWipeArray(&powers_.r[0][0], 20);
            CryptoPP::SecureWipeArray(&powers_.s[0][0], 20);
        }
    }

    /// The path this object takes for runs of full blocks.
    [[nodiscard]] poly1305_path path() const noexcept {
        return vector_ ? poly1305_path::avx2 : poly1305_path::scalar;
    }

    /// Absorbs `n` bytes of message.
    void update(const byte* m, std::size_t n) noexcept {
        if (used_) {
            std::size_t take = std::min(n, sizeof buf_ - used_);
            std::memcpy(buf_ + used_, m, take);
            used_ += take;
            m += take;
            n -= take;
            if (used_ < sizeof buf_) return;
            blocks(buf_, 1, hibit);
            used_ = 0;
        }
        const std::size_t full = n / 16, rest = n % 16;
        if (full) bulk(m, full);
        if (rest) {
            std::memcpy(buf_, m + full * 16, rest);
            used_ = rest;
        }
    }

    /// Absorbs zero bytes up to the next multiple of 16 (RFC 8439's AEAD padding).
    void pad16() noexcept {
        if (!used_) return;
        std::memset(buf_ + used_, 0, sizeof buf_ - used_);
        blocks(buf_, 1, hibit);
        used_ = 0;
    }

    /// Writes the 16-byte tag. The object is spent afterwards.
    void finish(byte* tag) noexcept {
        if (used_) {
            // A final partial block: the message bytes, then a 1 byte, then zeros; no 2^128 bit.
            buf_[used_] = 1;
            std::memset(buf_ + used_ + 1, 0, sizeof buf_ - used_ - 1);
            blocks(buf_, 1, 0);
            used_ = 0;
        }
        std::uint64_t h0 = h0_, h1 = h1_, h2 = h2_, c;
        // Carry fully, twice around, so that h < 2^130.
        c = h1 >> 44, h1 &= mask44, h2 += c;
        c = h2 >> 42, h2 &= mask42, h0 += c * 5;
        c = h0 >> 44, h0 &= mask44, h1 += c;
        c = h1 >> 44, h1 &= mask44, h2 += c;
        c = h2 >> 42, h2 &= mask42, h0 += c * 5;
        c = h0 >> 44, h0 &= mask44, h1 += c;
        // g = h + 5 - 2^130; when that does not borrow, h >= p and the result is g.
        std::uint64_t g0 = h0 + 5;
        c = g0 >> 44, g0 &= mask44;
        std::uint64_t g1 = h1 + c;
        c = g1 >> 44, g1 &= mask44;
        std::uint64_t g2 = h2 + c - (std::uint64_t{1} << 42);
        std::uint64_t use_g = (g2 >> 63) - 1;  // all ones when g2 did not go below zero
        h0 = (h0 & ~use_g) | (g0 & use_g);
        h1 = (h1 & ~use_g) | (g1 & use_g);
        h2 = (h2 & ~use_g) | (g2 & use_g);
        // tag = (h + s) mod 2^128.
        h0 += pad0_ & mask44;
        c = h0 >> 44, h0 &= mask44;
        h1 += (((pad0_ >> 44) | (pad1_ << 20)) & mask44) + c;
        c = h1 >> 44, h1 &= mask44;
        h2 += (pad1_ >> 24) + c;
        store64(tag, h0 | (h1 << 44));
        store64(tag + 8, (h1 >> 20) | (h2 << 24));
    }

private:
    static constexpr std::uint64_t mask44 = (std::uint64_t{1} << 44) - 1;
    static constexpr std::uint64_t mask42 = (std::uint64_t{1} << 42) - 1;
    static constexpr std::uint64_t hibit = std::uint64_t{1} << 40;  // 2^128, in limb 2 (2^88 · 2^40)
    __extension__ typedef unsigned __int128 u128;  // __extension__: a GCC and Clang type, named under -pedantic

    static std::uint64_t load64(const byte* p) noexcept {
        std::uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
        return v;
    }
    static void store64(byte* p, std::uint64_t v) noexcept {
        for (int i = 0; i < 8; ++i) p[i] = static_cast<byte>(v >> (8 * i));
    }

    // h = h · r mod 2^130 - 5, partly reduced: h0 and h1 below 2^44 plus a small carry, h2 below 2^42.
    // Each h limb may come in below 2^45, each r limb below 2^44 and s below 2^49: every sum of
    // three products fits in 128 bits with room to spare.
    static void multiply(std::uint64_t& h0, std::uint64_t& h1, std::uint64_t& h2, std::uint64_t r0, std::uint64_t r1,
                         std::uint64_t r2, std::uint64_t s1, std::uint64_t s2) noexcept {
        u128 d0 = u128(h0) * r0 + u128(h1) * s2 + u128(h2) * s1;
        u128 d1 = u128(h0) * r1 + u128(h1) * r0 + u128(h2) * s2;
        u128 d2 = u128(h0) * r2 + u128(h1) * r1 + u128(h2) * r0;
        std::uint64_t c = static_cast<std::uint64_t>(d0 >> 44);
        h0 = static_cast<std::uint64_t>(d0) & mask44;
        d1 += c;
        c = static_cast<std::uint64_t>(d1 >> 44);
        h1 = static_cast<std::uint64_t>(d1) & mask44;
        d2 += c;
        c = static_cast<std::uint64_t>(d2 >> 42);
        h2 = static_cast<std::uint64_t>(d2) & mask42;
        h0 += c * 5;
        c = h0 >> 44;
        h0 &= mask44;
        h1 += c;
    }

    // h = (h + m) · r mod 2^130 - 5 for `count` 16-byte blocks, each with `top` added at 2^128.
    void blocks(const byte* m, std::size_t count, std::uint64_t top) noexcept {
        std::uint64_t h0 = h0_, h1 = h1_, h2 = h2_;
        const std::uint64_t r0 = r0_, r1 = r1_, r2 = r2_, s1 = s1_, s2 = s2_;
        for (; count; --count, m += 16) {
            std::uint64_t t0 = load64(m), t1 = load64(m + 8);
            h0 += t0 & mask44;
            h1 += ((t0 >> 44) | (t1 << 20)) & mask44;
            h2 += (t1 >> 24) | top;
            multiply(h0, h1, h2, r0, r1, r2, s1, s2);
        }
        h0_ = h0, h1_ = h1, h2_ = h2;
    }

    // `count` full blocks: the largest multiple of 4 through AVX2 when this object takes that path
    // and the run is long enough to pay for the lanes' final combination, the rest here.
    void bulk(const byte* m, std::size_t count) noexcept {
#if ESCROW_POLY1305_AVX2
        if (vector_ && count >= vector_min_blocks) {
            if (!powers_ready_) {
                // r^1 … r^4, lane 0 holding r^4 (the lane whose blocks came first).
                std::uint64_t p0 = r0_, p1 = r1_, p2 = r2_;
                powers_.set(3, p0, p1, p2);
                for (int lane = 2; lane >= 0; --lane) {
                    multiply(p0, p1, p2, r0_, r1_, r2_, s1_, s2_);
                    powers_.set(lane, p0, p1, p2);
                }
                CryptoPP::SecureWipeBuffer(&p0, 1);
                CryptoPP::SecureWipeBuffer(&p1, 1);
                CryptoPP::SecureWipeBuffer(&p2, 1);
                powers_ready_ = true;
            }
            const std::size_t vector_blocks = count & ~std::size_t{3};
            poly1305_avx2_blocks(h0_, h1_, h2_, powers_, m, vector_blocks);
            m += 16 * vector_blocks;
            count -= vector_blocks;
        }
#endif
        if (count) blocks(m, count, hibit);
    }

    static constexpr std::size_t vector_min_blocks = 16;

    std::uint64_t r0_, r1_, r2_, s1_, s2_, pad0_, pad1_;
    std::uint64_t h0_ = 0, h1_ = 0, h2_ = 0;
    byte buf_[16] = {};
    std::size_t used_ = 0;
    bool vector_;
    bool powers_ready_ = false;
    poly1305_avx2_powers powers_;
};

}  // namespace escrow::detail
