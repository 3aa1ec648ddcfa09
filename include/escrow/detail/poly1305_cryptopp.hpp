// SPDX-License-Identifier: MIT
/// @file
/// Poly1305 (RFC 8439, section 2.5) as Crypto++'s `Poly1305TLS`, behind the interface of
/// `detail::poly1305_limb64`. Not public API: the MAC of `detail::chacha20_poly1305` where the
/// compiler has no `unsigned __int128` (MSVC) or `ESCROW_POLY1305_PORTABLE` is defined (see
/// `detail/poly1305.hpp`, which chooses; include that one).
///
/// Portable C++ on 26-bit limbs in 32-bit words, about half as fast as the 64-bit-limb code; like
/// it, it has no branch or memory index that depends on the key or the message.
#pragma once

#include <cryptopp/poly1305.h>

#include <cstddef>

#include "escrow/core/bytes.hpp"

namespace escrow::detail {

class poly1305_cryptopp {
public:
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t tag_size = 16;

    /// Starts a MAC under the one-time `key` (32 bytes: r, then s; Crypto++ clamps r).
    explicit poly1305_cryptopp(const byte* key) : mac_(key, key_size) {}

    // Crypto++ keeps the accumulator, r and s in SecBlocks: they are wiped when `mac_` goes.
    poly1305_cryptopp(const poly1305_cryptopp&) = delete;
    poly1305_cryptopp& operator=(const poly1305_cryptopp&) = delete;

    /// Absorbs `n` bytes of message.
    void update(const byte* m, std::size_t n) {
        if (n) mac_.Update(m, n);
        used_ = (used_ + n) % 16;
    }

    /// Absorbs zero bytes up to the next multiple of 16 (RFC 8439's AEAD padding).
    void pad16() {
        static constexpr byte zeros[16] = {};
        if (used_) mac_.Update(zeros, 16 - used_);
        used_ = 0;
    }

    /// Writes the 16-byte tag. The object is spent afterwards.
    void finish(byte* tag) { mac_.TruncatedFinal(tag, tag_size); }

private:
    CryptoPP::Poly1305TLS mac_;
    std::size_t used_ = 0;  // bytes absorbed since the last multiple of 16
};

}  // namespace escrow::detail
