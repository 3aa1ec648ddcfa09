// SPDX-License-Identifier: MIT
/// @file
/// ChaCha20-Poly1305 (RFC 8439) keyed once, for many messages. Not public API: shared by
/// `cipher::chacha20_poly1305_stream` and age's `wrap::x25519` and `wrap::scrypt`, and, over
/// OpenSSL's ChaCha20, by `cipher::openssl_chacha20_poly1305_stream`.
#pragma once

#include <cryptopp/chacha.h>
#include <cryptopp/misc.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/detail/poly1305.hpp"

namespace escrow::detail {

/// Crypto++'s ChaCha20 of RFC 8439 (`ChaChaTLS`, vectorised): the keystream engine of
/// `chacha20_poly1305`. An engine is keyed once; `restart(nonce)` puts it at block 0 of the
/// message under a 12-byte nonce, and `process` XORs the keystream that follows into its input.
class cryptopp_chacha20 {
public:
    explicit cryptopp_chacha20(byte_view key) {
        static constexpr byte zero_nonce[12] = {};
        chacha_.SetKeyWithIV(key.data(), key.size(), zero_nonce, sizeof zero_nonce);
    }
    void restart(byte_view nonce) { chacha_.Resynchronize(nonce.data(), static_cast<int>(nonce.size())); }
    void process(byte* out, const byte* in, std::size_t n) { chacha_.ProcessData(out, in, n); }

private:
    CryptoPP::ChaChaTLS::Encryption chacha_;
};

/// ChaCha20-Poly1305 with a 256-bit key, a 96-bit nonce and a 128-bit tag (RFC 8439, section 2.8),
/// over the keystream engine `ChaCha20` (`cryptopp_chacha20`, or OpenSSL's in
/// escrow/cipher/openssl_chacha20_poly1305.hpp).
///
/// The MAC `Mac` is by default `detail::poly1305`, the library's
/// own on 64-bit limbs where the compiler has `unsigned __int128` (four blocks at a time in AVX2
/// registers where the processor has AVX2), Crypto++'s `Poly1305TLS`
/// elsewhere or under `ESCROW_POLY1305_PORTABLE` (detail/poly1305.hpp); OpenSSL's over OpenSSL's
/// ChaCha20. A `Mac` is made per message from the 32-byte one-time key and has `update(p, n)`,
/// `pad16()` (zeros up to a multiple of 16 bytes fed) and `finish(out)` (the 16-byte tag). Whatever
/// the MAC, opening checks the tag, in constant time, before it decrypts, so a forged message
/// never produces plaintext, not even in `out`.
template <class ChaCha20, class Mac = poly1305>
class basic_chacha20_poly1305 {
public:
    /// The Poly1305 this class computes tags with.
    using mac_type = Mac;

    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;

    /// @throws escrow::error `invalid_argument` unless the key is 32 bytes.
    explicit basic_chacha20_poly1305(byte_view key) : chacha_(checked_key(key)) {}

    /// Writes `plain.size() + 16` bytes (ciphertext then tag) to `out`.
    /// @throws escrow::error `invalid_argument` unless the nonce is 12 bytes.
    void seal(byte_view nonce, byte_view aad, byte_view plain, byte* out) {
        CryptoPP::FixedSizeSecBlock<byte, 64> one_time_key;
        start(nonce, one_time_key.data());
        if (!plain.empty()) chacha_.process(out, plain.data(), plain.size());
        tag(one_time_key.data(), aad, byte_view(out, plain.size()), out + plain.size());
    }

    /// Opens `sealed` (ciphertext then tag) into `out` when the tag verifies; otherwise returns
    /// false and writes nothing to `out`.
    /// @throws escrow::error `invalid_argument` unless the nonce is 12 bytes.
    [[nodiscard]] bool open(byte_view nonce, byte_view aad, byte_view sealed, byte* out) {
        if (sealed.size() < tag_size) {
            check_nonce(nonce);
            return false;
        }
        const std::size_t n = sealed.size() - tag_size;
        CryptoPP::FixedSizeSecBlock<byte, 64> one_time_key;
        start(nonce, one_time_key.data());
        byte expected[tag_size];
        tag(one_time_key.data(), aad, sealed.first(n), expected);
        const bool ok = CryptoPP::VerifyBufsEqual(expected, sealed.data() + n, tag_size);
        CryptoPP::SecureWipeArray(expected, tag_size);
        if (!ok) return false;
        if (n) chacha_.process(out, sealed.data(), n);
        return true;
    }

private:
    static byte_view checked_key(byte_view key) {
        if (key.size() != key_size) throw error(errc::invalid_argument, "ChaCha20-Poly1305 key must be 32 bytes");
        return key;
    }
    static void check_nonce(byte_view nonce) {
        if (nonce.size() != nonce_size) throw error(errc::invalid_argument, "ChaCha20-Poly1305 nonce must be 12 bytes");
    }

    // Sets the nonce and takes keystream block 0, whose first 32 bytes are the Poly1305 key; the
    // cipher is left at block 1, where the message's keystream starts.
    void start(byte_view nonce, byte* block0) {
        check_nonce(nonce);
        chacha_.restart(nonce);
        std::memset(block0, 0, 64);
        chacha_.process(block0, block0, 64);
    }

    // The tag over aad ‖ pad ‖ ciphertext ‖ pad ‖ le64(|aad|) ‖ le64(|ciphertext|).
    static void tag(const byte* one_time_key, byte_view aad, byte_view ciphertext, byte* out) {
        mac_type mac(one_time_key);
        mac.update(aad.data(), aad.size());
        mac.pad16();
        mac.update(ciphertext.data(), ciphertext.size());
        mac.pad16();
        byte lengths[16];
        for (int i = 0; i < 8; ++i) {
            lengths[i] = static_cast<byte>(std::uint64_t{aad.size()} >> (8 * i));
            lengths[8 + i] = static_cast<byte>(std::uint64_t{ciphertext.size()} >> (8 * i));
        }
        mac.update(lengths, sizeof lengths);
        mac.finish(out);
    }

    ChaCha20 chacha_;
};

/// ChaCha20-Poly1305 over Crypto++'s ChaCha20: the one age's stanzas and the core's
/// `cipher::chacha20_poly1305_stream` use.
using chacha20_poly1305 = basic_chacha20_poly1305<cryptopp_chacha20>;

}  // namespace escrow::detail
