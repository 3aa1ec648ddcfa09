// SPDX-License-Identifier: MIT
/// @file
/// `escrow::cipher::openssl_chacha20_poly1305_stream`: age's payload cipher with OpenSSL's
/// ChaCha20 as its keystream. Target `escrow::openssl_cipher` (the core target stays on Crypto++).
#pragma once

#include <openssl/evp.h>

#include <climits>
#include <cstring>
#include <cstddef>
#include <memory>

#include "escrow/cipher/chacha20_poly1305_stream.hpp"
#include "escrow/cipher/concept.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/detail/chacha20_poly1305.hpp"
#include "escrow/detail/stream_nonce.hpp"

namespace escrow::detail {

/// OpenSSL's ChaCha20 (`EVP_chacha20`, RFC 8439's 32-bit counter and 96-bit nonce) as the keystream
/// engine of `basic_chacha20_poly1305`, which keeps the library's Poly1305 and its rule: the tag is
/// checked before anything is decrypted. On this project's machine it computes the keystream about
/// three times as fast as Crypto++'s (docs/performance.md). The key lives in OpenSSL's context,
/// which `EVP_CIPHER_CTX_free` cleanses.
class openssl_chacha20 {
public:
    /// @throws escrow::error `invalid_argument` when OpenSSL cannot set the cipher up.
    explicit openssl_chacha20(byte_view key) : ctx_(EVP_CIPHER_CTX_new()) {
        byte iv[16] = {};
        if (!ctx_ || key.size() != 32 || EVP_EncryptInit_ex(ctx_.get(), EVP_chacha20(), nullptr, key.data(), iv) != 1)
            throw error(errc::invalid_argument, "OpenSSL's ChaCha20 could not be set up");
    }

    /// Block 0 of the message under the 12-byte `nonce`: OpenSSL's IV is the 32-bit little-endian
    /// block counter, then the nonce.
    void restart(byte_view nonce) {
        byte iv[16] = {};
        std::memcpy(iv + 4, nonce.data(), 12);
        if (EVP_EncryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv) != 1)
            throw error(errc::invalid_argument, "OpenSSL's ChaCha20 refused a nonce");
    }

    /// XORs the next `n` keystream bytes into `in`, to `out` (which may be `in`).
    void process(byte* out, const byte* in, std::size_t n) {
        while (n > 0) {
            const int part = n > static_cast<std::size_t>(INT_MAX / 2) ? INT_MAX / 2 : static_cast<int>(n);
            int written = 0;
            if (EVP_EncryptUpdate(ctx_.get(), out, &written, in, part) != 1 || written != part)
                throw error(errc::invalid_argument, "OpenSSL's ChaCha20 failed");
            out += part;
            in += part;
            n -= static_cast<std::size_t>(part);
        }
    }

private:
    struct free_ctx {
        void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
    };
    std::unique_ptr<EVP_CIPHER_CTX, free_ctx> ctx_;
};

/// ChaCha20-Poly1305 with OpenSSL's ChaCha20 and the library's Poly1305.
using openssl_chacha20_poly1305 = basic_chacha20_poly1305<openssl_chacha20>;

}  // namespace escrow::detail

namespace escrow::cipher {

/// `cipher::chacha20_poly1305_stream` (age's payload), computed with OpenSSL's ChaCha20: the same
/// id, name, sizes and bytes, so files written with either open with the other
/// (`escrow::cipher_format`). The `escrow` tool encrypts and decrypts age files with it.
struct openssl_chacha20_poly1305_stream : chacha20_poly1305_stream {
    /// The cipher whose format this one writes and reads.
    using stands_for = chacha20_poly1305_stream;
    /// Seals chunks of one file.
    using sealer = escrow::detail::stream_chunks<chacha20_poly1305_stream, escrow::detail::openssl_chacha20_poly1305>;
    /// Opens chunks of one file.
    using opener = sealer;
};

}  // namespace escrow::cipher

namespace escrow {
static_assert(cipher_policy<cipher::openssl_chacha20_poly1305_stream>);
static_assert(cipher_options<cipher::openssl_chacha20_poly1305_stream>.parallel_chunks);
}  // namespace escrow
