// SPDX-License-Identifier: MIT
/// @file
/// `escrow::cipher::openssl_chacha20_poly1305_stream`: age's payload cipher with OpenSSL's
/// ChaCha20 and Poly1305. Target `escrow::openssl_cipher` (the core target stays on Crypto++).
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
/// engine of `basic_chacha20_poly1305`, which keeps its rule: the tag is checked before anything
/// is decrypted. On this project's machine it computes the keystream about
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

/// OpenSSL's Poly1305 (the `EVP_MAC` "POLY1305", assembly with AVX2 and AVX-512 paths) as the MAC of
/// `basic_chacha20_poly1305`: the same tags as `detail::poly1305`, about 1.6 times as fast on this
/// project's machine (docs/performance.md). Made per message from the one-time key, which lives
/// in OpenSSL's context; `EVP_MAC_CTX_free` cleanses it.
class openssl_poly1305 {
public:
    /// @throws escrow::error `invalid_argument` when OpenSSL has no Poly1305 or cannot key it.
    explicit openssl_poly1305(const byte* key) : ctx_(algorithm() ? EVP_MAC_CTX_new(algorithm()) : nullptr) {
        if (!ctx_ || EVP_MAC_init(ctx_.get(), key, 32, nullptr) != 1)
            throw error(errc::invalid_argument, "OpenSSL's Poly1305 could not be set up");
    }

    /// Feeds `n` bytes.
    void update(const byte* p, std::size_t n) {
        if (n && EVP_MAC_update(ctx_.get(), p, n) != 1) throw error(errc::invalid_argument, "OpenSSL's Poly1305 failed");
        fed_ += n;
    }

    /// Feeds zeros up to the next multiple of 16 bytes fed (RFC 8439's padding).
    void pad16() {
        static constexpr byte zeros[16] = {};
        if (fed_ % 16) update(zeros, 16 - fed_ % 16);
    }

    /// Writes the 16-byte tag.
    void finish(byte* out) {
        std::size_t len = 0;
        if (EVP_MAC_final(ctx_.get(), out, &len, 16) != 1 || len != 16)
            throw error(errc::invalid_argument, "OpenSSL's Poly1305 failed");
    }

private:
    // Fetched once (the default library context), held for the life of the process.
    static EVP_MAC* algorithm() {
        static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
        return mac;
    }
    struct free_ctx {
        void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
    };
    std::unique_ptr<EVP_MAC_CTX, free_ctx> ctx_;
    std::size_t fed_ = 0;
};

/// ChaCha20-Poly1305 with OpenSSL's ChaCha20 and Poly1305, in the library's construction (the tag
/// checked before anything is decrypted).
using openssl_chacha20_poly1305 = basic_chacha20_poly1305<openssl_chacha20, openssl_poly1305>;

}  // namespace escrow::detail

namespace escrow::cipher {

/// `cipher::chacha20_poly1305_stream` (age's payload), computed with OpenSSL's ChaCha20 and Poly1305: the same
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
