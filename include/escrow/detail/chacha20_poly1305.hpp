// SPDX-License-Identifier: MIT
/// @file
/// ChaCha20-Poly1305 (RFC 8439) keyed once, for many messages. Not public API: shared by
/// `cipher::chacha20_poly1305_stream` and age's `wrap::x25519` and `wrap::scrypt`.
#pragma once

#include <cryptopp/chachapoly.h>
#include <cryptopp/misc.h>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"

namespace escrow::detail {

/// ChaCha20-Poly1305 with a 256-bit key, a 96-bit nonce and a 128-bit tag.
class chacha20_poly1305 {
public:
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;

    /// @throws escrow::error `invalid_argument` unless the key is 32 bytes.
    explicit chacha20_poly1305(byte_view key) {
        if (key.size() != key_size) throw error(errc::invalid_argument, "ChaCha20-Poly1305 key must be 32 bytes");
        static constexpr byte zero_nonce[nonce_size] = {};
        enc_.SetKeyWithIV(key.data(), key.size(), zero_nonce, nonce_size);
        dec_.SetKeyWithIV(key.data(), key.size(), zero_nonce, nonce_size);
    }

    /// Writes `plain.size() + 16` bytes (ciphertext then tag) to `out`.
    /// @throws escrow::error `invalid_argument` unless the nonce is 12 bytes.
    void seal(byte_view nonce, byte_view aad, byte_view plain, byte* out) {
        check_nonce(nonce);
        enc_.EncryptAndAuthenticate(out, out + plain.size(), tag_size, nonce.data(), static_cast<int>(nonce.size()),
                                    aad.data(), aad.size(), plain.data(), plain.size());
    }

    /// Opens `sealed` (ciphertext then tag) into `out`; on a bad tag wipes `out` and returns false.
    /// @throws escrow::error `invalid_argument` unless the nonce is 12 bytes.
    [[nodiscard]] bool open(byte_view nonce, byte_view aad, byte_view sealed, byte* out) {
        check_nonce(nonce);
        if (sealed.size() < tag_size) return false;
        std::size_t n = sealed.size() - tag_size;
        bool ok = dec_.DecryptAndVerify(out, sealed.data() + n, tag_size, nonce.data(), static_cast<int>(nonce.size()),
                                        aad.data(), aad.size(), sealed.data(), n);
        if (!ok && n) CryptoPP::SecureWipeArray(out, n);
        return ok;
    }

private:
    static void check_nonce(byte_view nonce) {
        if (nonce.size() != nonce_size) throw error(errc::invalid_argument, "ChaCha20-Poly1305 nonce must be 12 bytes");
    }
    CryptoPP::ChaCha20Poly1305::Encryption enc_;
    CryptoPP::ChaCha20Poly1305::Decryption dec_;
};

}  // namespace escrow::detail
