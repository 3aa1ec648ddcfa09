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
#include "escrow/core/ids.hpp"
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
    static constexpr std::string_view name = "chacha20-poly1305-stream";
    static constexpr std::uint16_t id = ids::cipher::chacha20_poly1305_stream;
    static constexpr std::size_t key_size = 16;
    static constexpr std::size_t nonce_size = 16;
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t chunk_size = 64 * 1024;
    static constexpr std::size_t sealed_chunk_size = chunk_size + tag_size;
    static constexpr std::size_t min_final_sealed_size = tag_size;
    static constexpr std::size_t max_final_sealed_size = chunk_size + tag_size;
    static constexpr std::string_view payload_info = "payload";
    /// Chunks depend only on (key, nonce, index, last): hosts may seal and open them in parallel.
    static constexpr bool parallel_chunks = true;

    [[nodiscard]] static constexpr std::size_t sealed_size(std::size_t n, bool) noexcept { return n + tag_size; }

    /// Seals chunks of one file.
    class sealer {
    public:
        sealer(const session_key& key, byte_view nonce) : aead_(payload_key(key, nonce).unsafe_bytes()) {}

        [[nodiscard]] std::size_t seal(std::uint64_t index, byte_view plain, bool last, mutable_byte_view out) {
            escrow::detail::check_seal_sizes(plain.size(), out.size(), chunk_size, tag_size);
            auto n = escrow::detail::stream_nonce(index, last);
            aead_.seal(n, {}, plain, out.data());
            return plain.size() + tag_size;
        }

    private:
        escrow::detail::chacha20_poly1305 aead_;
    };

    /// Opens chunks of one file.
    class opener {
    public:
        opener(const session_key& key, byte_view nonce) : aead_(payload_key(key, nonce).unsafe_bytes()) {}

        [[nodiscard]] std::size_t open(std::uint64_t index, byte_view sealed, bool last, mutable_byte_view out) {
            escrow::detail::check_open_sizes(sealed.size(), out.size(), sealed_chunk_size, tag_size);
            auto n = escrow::detail::stream_nonce(index, last);
            if (!aead_.open(n, {}, sealed, out.data()))
                throw error(errc::authentication_failed,
                            "chunk " + std::to_string(index) + " failed authentication (tampered, truncated or wrong key)");
            return sealed.size() - tag_size;
        }

    private:
        escrow::detail::chacha20_poly1305 aead_;
    };

private:
    static derived_key payload_key(const session_key& key, byte_view nonce) {
        if (key.size() != key_size) throw error(errc::bad_key, "the age file key must be 16 bytes");
        if (nonce.size() != nonce_size) throw error(errc::malformed_header, "the age payload nonce must be 16 bytes");
        return hkdf_sha256(key.unsafe_bytes(), nonce, payload_info, 32);
    }
};

}  // namespace escrow::cipher
