// SPDX-License-Identifier: MIT
/// @file
/// `escrow::cipher::chacha20_poly1305_stream`: the age v1 payload, ChaCha20-Poly1305 STREAM, 64 KiB chunks.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "escrow/cipher/concept.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/detail/chacha20_poly1305.hpp"
#include "escrow/detail/stream_nonce.hpp"

namespace escrow::cipher {

/// ChaCha20-Poly1305 in the STREAM construction, exactly as age v1 encrypts its payload
/// (C2SP age spec, "Payload"):
///
/// - session key: the 16-byte age file key; per-file nonce: 16 random bytes (`nonce_size`), which
///   age writes right after the header;
/// - payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload", 32);
/// - chunk `i` is sealed under the 12-byte nonce `i` (11 bytes, big-endian) ‖ final flag (1 byte),
///   no AAD; 64 KiB of plaintext per chunk, 16-byte tag appended.
///
/// Framing (checked by the host): every chunk but the last is full, and the last is empty only
/// when the whole payload is empty.
struct chacha20_poly1305_stream {
    /// The cipher's name, as escrow records and `escrow inspect` show it.
    static constexpr std::string_view name = "chacha20-poly1305-stream";
    /// The cipher's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0102;
    /// Session key bytes: age's 16-byte file key.
    static constexpr std::size_t key_size = 16;
    /// Per-file nonce bytes, written after the header; with the file key they derive the payload
    /// key (HKDF).
    static constexpr std::size_t nonce_size = 16;
    /// Poly1305 tag bytes appended to each chunk.
    static constexpr std::size_t tag_size = 16;
    /// Plaintext bytes per chunk: every chunk but the last is full.
    static constexpr std::size_t chunk_size = 64 * 1024;
    /// Ciphertext bytes of a full chunk.
    static constexpr std::size_t sealed_chunk_size = chunk_size + tag_size;
    /// Smallest sealed final chunk: an empty chunk's tag (only in an empty payload).
    static constexpr std::size_t min_final_sealed_size = tag_size;
    /// Largest sealed final chunk: a full chunk and its tag.
    static constexpr std::size_t max_final_sealed_size = chunk_size + tag_size;
    /// The HKDF info string that derives the payload key (age spec).
    static constexpr std::string_view payload_info = "payload";

    /// Ciphertext bytes of a chunk holding `n` plaintext bytes: `n` plus the tag.
    [[nodiscard]] static constexpr std::size_t sealed_size(std::size_t n, bool) noexcept { return n + tag_size; }

    /// Seals chunks of one file.
    using sealer = escrow::detail::stream_chunks<chacha20_poly1305_stream, escrow::detail::chacha20_poly1305>;
    /// Opens chunks of one file.
    using opener = sealer;

    /// The key the chunks are sealed under: HKDF-SHA-256 of the file key with the payload nonce.
    /// @throws escrow::error `bad_key` (a key of another size), `malformed_header` (a nonce of
    /// another size).
    [[nodiscard]] static derived_key payload_key(const session_key& key, byte_view nonce) {
        return escrow::detail::stream_payload_key<chacha20_poly1305_stream>(key, nonce, "the age file key",
                                                                             "the age payload nonce");
    }
};

}  // namespace escrow::cipher

namespace escrow {
/// Chunks depend only on (key, nonce, index, last): hosts may seal and open them in parallel.
template <>
inline constexpr cipher::options cipher_options<cipher::chacha20_poly1305_stream> = {.parallel_chunks = true};
}  // namespace escrow
