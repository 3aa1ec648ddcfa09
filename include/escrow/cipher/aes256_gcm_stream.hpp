// SPDX-License-Identifier: MIT
/// @file
/// `escrow::cipher::aes256_gcm_stream`: AES-256-GCM in the STREAM construction, 64 KiB chunks.
#pragma once

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>

#include <array>
#include <cstring>
#include <string_view>

#include "escrow/cipher/concept.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/detail/stream_nonce.hpp"

namespace escrow::cipher {

namespace detail {

/// AES-GCM with a 96-bit IV and a 128-bit tag, keyed once and reused for many messages.
///
/// This is the primitive `aes256_gcm_stream` runs per chunk; it accepts 128-, 192- and 256-bit keys
/// so that the known-answer tests can drive it with every Wycheproof group.
class aes_gcm {
public:
    static constexpr std::size_t iv_size = 12;
    static constexpr std::size_t tag_size = 16;

    explicit aes_gcm(byte_view key) {
        if (key.size() != 16 && key.size() != 24 && key.size() != 32)
            throw error(errc::invalid_argument, "AES key must be 16, 24 or 32 bytes");
        static constexpr byte zero_iv[iv_size] = {};
        enc_.SetKeyWithIV(key.data(), key.size(), zero_iv, iv_size);
        dec_.SetKeyWithIV(key.data(), key.size(), zero_iv, iv_size);
    }

    /// As below, with the IV as a view of `iv_size` bytes (the STREAM nonce).
    void seal(byte_view iv, byte_view aad, byte_view plain, byte* out) { seal(checked_iv(iv), aad, plain, out); }
    [[nodiscard]] bool open(byte_view iv, byte_view aad, byte_view sealed, byte* out) {
        return open(checked_iv(iv), aad, sealed, out);
    }

    /// Writes `plain.size() + 16` bytes (ciphertext then tag) to `out`.
    void seal(const byte* iv, byte_view aad, byte_view plain, byte* out) {
        enc_.EncryptAndAuthenticate(out, out + plain.size(), tag_size, iv, iv_size, aad.data(), aad.size(),
                                    plain.data(), plain.size());
    }

    /// Opens `sealed` (ciphertext then tag) into `out`; on a bad tag, wipes `out` and returns false.
    [[nodiscard]] bool open(const byte* iv, byte_view aad, byte_view sealed, byte* out) {
        if (sealed.size() < tag_size) return false;
        std::size_t n = sealed.size() - tag_size;
        bool ok = dec_.DecryptAndVerify(out, sealed.data() + n, tag_size, iv, iv_size, aad.data(), aad.size(),
                                        sealed.data(), n);
        if (!ok && n) CryptoPP::SecureWipeArray(out, n);
        return ok;
    }

private:
    static const byte* checked_iv(byte_view iv) {
        if (iv.size() != iv_size) throw error(errc::invalid_argument, "AES-GCM IV must be 12 bytes");
        return iv.data();
    }

    CryptoPP::GCM<CryptoPP::AES>::Encryption enc_;
    CryptoPP::GCM<CryptoPP::AES>::Decryption dec_;
};

}  // namespace detail

/// AES-256-GCM STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015), as the native format uses it.
///
/// - session key: 32 bytes; per-file salt: 32 random bytes (`nonce_size`);
/// - payload key = HKDF-SHA-256(ikm = session key, salt = salt, info = "escrow/v1 payload", 32);
/// - chunk `i` is sealed under nonce `i` (11 bytes, big-endian) ‖ final flag (1 byte), no AAD;
/// - 64 KiB of plaintext per chunk, 16-byte tag appended.
/// A fresh salt per file gives a fresh payload key, so nonces never repeat under one key.
struct aes256_gcm_stream {
    /// The cipher's name, as escrow records and `escrow inspect` show it.
    static constexpr std::string_view name = "aes256-gcm-stream";
    /// The cipher's numeric id, written in file headers and escrow records.
    static constexpr std::uint16_t id = 0x0101;
    /// Session key bytes.
    static constexpr std::size_t key_size = 32;
    /// Per-file salt bytes, from which the payload key is derived (HKDF).
    static constexpr std::size_t nonce_size = 32;
    /// GCM tag bytes appended to each chunk.
    static constexpr std::size_t tag_size = 16;
    /// Plaintext bytes per chunk: every chunk but the last is full.
    static constexpr std::size_t chunk_size = 64 * 1024;
    /// Ciphertext bytes of a full chunk.
    static constexpr std::size_t sealed_chunk_size = chunk_size + tag_size;
    /// Smallest sealed final chunk: an empty chunk's tag.
    static constexpr std::size_t min_final_sealed_size = tag_size;
    /// Largest sealed final chunk: a full chunk and its tag.
    static constexpr std::size_t max_final_sealed_size = chunk_size + tag_size;
    /// The HKDF info string that derives the payload key from the session key and the salt.
    static constexpr std::string_view payload_info = "escrow/v1 payload";

    /// Ciphertext bytes of a chunk holding `n` plaintext bytes: `n` plus the tag.
    [[nodiscard]] static constexpr std::size_t sealed_size(std::size_t n, bool) noexcept { return n + tag_size; }

    /// Seals chunks of one file.
    using sealer = escrow::detail::stream_chunks<aes256_gcm_stream, detail::aes_gcm>;
    /// Opens chunks of one file.
    using opener = sealer;

    /// The key the chunks are sealed under: HKDF-SHA-256 of the session key with the file's salt.
    /// @throws escrow::error `bad_key` (a key of another size), `malformed_header` (a salt of
    /// another size).
    [[nodiscard]] static derived_key payload_key(const session_key& key, byte_view salt) {
        return escrow::detail::stream_payload_key<aes256_gcm_stream>(key, salt, "AES-256-GCM session key",
                                                                      "AES-256-GCM stream salt");
    }
};

}  // namespace escrow::cipher

namespace escrow {
/// Chunks depend only on (key, nonce, index, last): hosts may seal and open them in parallel.
template <>
inline constexpr cipher::options cipher_options<cipher::aes256_gcm_stream> = {.parallel_chunks = true};
}  // namespace escrow
