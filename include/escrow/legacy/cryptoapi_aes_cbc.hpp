// SPDX-License-Identifier: MIT
/// @file
/// `escrow::legacy::cryptoapi_aes_cbc<Bits>`: the payload exactly as CryptoAPI's CryptEncrypt writes
/// it for an AES key with default parameters. Unauthenticated: see docs/threat-model.md.
#pragma once

#include <cryptopp/aes.h>
#include <cryptopp/modes.h>
#include <cryptopp/secblock.h>

#include <cstring>
#include <string>
#include <string_view>

#include "escrow/cipher/concept.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"

namespace escrow::legacy {

/// AES-`Bits` in CBC mode with PKCS#5 padding and an all-zero IV: what CryptEncrypt produces for a
/// CALG_AES_128/192/256 key whose KP_MODE, KP_PADDING and KP_IV were left at their defaults.
///
/// The whole payload is one CBC message; chunks (64 KiB of plaintext) are only how the host feeds
/// it, so the sealer and opener carry the chaining value from one chunk to the next and the host's
/// in-order delivery is what makes that correct. Only the final chunk is padded (1 to 16 bytes), so
/// an empty file is one block of padding.
///
/// No integrity: a modified ciphertext decrypts to modified plaintext, and only a broken final
/// padding is noticed (about 255 times in 256 for a wrong key). The opener releases a non-final
/// chunk before that check can run: decrypt to an atomic sink (escrow::atomic_file_sink), which
/// the host leaves uncommitted when the final check fails. This cipher lives in `escrow::legacy`,
/// is carried only by `store::cryptoapi`, and is named through the preset
/// `escrow::legacy::cryptoapi_encryptor`.
///
/// @tparam Bits 128, 192 or 256.
template <unsigned Bits>
struct cryptoapi_aes_cbc {
    static_assert(Bits == 128 || Bits == 192 || Bits == 256, "cryptoapi_aes_cbc<Bits>: Bits is 128, 192 or 256");

    /// The cipher's name, as escrow records and `escrow inspect` show it.
    static constexpr std::string_view name = Bits == 128   ? "cryptoapi-aes128-cbc"
                                             : Bits == 192 ? "cryptoapi-aes192-cbc"
                                                           : "cryptoapi-aes256-cbc";
    /// The cipher's numeric id, written in escrow records.
    static constexpr std::uint16_t id = Bits == 128 ? 0x0180 : Bits == 192 ? 0x0181 : 0x0182;
    /// CryptoAPI's ALG_ID for this key size (CALG_AES_128 0x660E, CALG_AES_192 0x660F, CALG_AES_256 0x6610).
    static constexpr std::uint32_t calg = Bits == 128 ? 0x660E : Bits == 192 ? 0x660F : 0x6610;
    /// The AES key size, in bits.
    static constexpr unsigned bits = Bits;
    /// Session key bytes.
    static constexpr std::size_t key_size = Bits / 8;
    static constexpr std::size_t nonce_size = 0;  ///< the IV is CryptoAPI's default: 16 zero bytes
    /// AES block size, in bytes: the unit of CBC and of its padding.
    static constexpr std::size_t block_size = 16;
    /// Plaintext bytes per chunk: every chunk but the last is full.
    static constexpr std::size_t chunk_size = 64 * 1024;
    /// Ciphertext bytes of a full chunk that is not the last (no padding: CBC adds none there).
    static constexpr std::size_t sealed_chunk_size = chunk_size;
    /// Smallest sealed final chunk: one block of padding.
    static constexpr std::size_t min_final_sealed_size = block_size;
    /// Largest sealed final chunk: a full chunk plus one block of padding.
    static constexpr std::size_t max_final_sealed_size = chunk_size + block_size;

    /// A non-final chunk is unpadded; the final one grows to the next whole block (a full block of
    /// padding when it already ends on one).
    [[nodiscard]] static constexpr std::size_t sealed_size(std::size_t n, bool last) noexcept {
        return last ? (n / block_size + 1) * block_size : n;
    }

    /// Encrypts the chunks of one payload, in order.
    class sealer {
    public:
        /// Keys CBC with `key` and CryptoAPI's default IV (16 zero bytes); `nonce` is empty.
        sealer(const session_key& key, byte_view nonce) { keyed(cbc_, key, nonce); }

        /// Encrypts chunk `plain` (full unless `last`) into `out` and returns the bytes written;
        /// the last chunk gets PKCS#5 padding. The chunk index is unused: CBC chains the chunks.
        /// @throws escrow::error `invalid_argument` for a chunk of the wrong size or too small an
        /// `out`.
        [[nodiscard]] std::size_t seal(std::uint64_t, byte_view plain, bool last, mutable_byte_view out) {
            if (plain.size() > chunk_size || (!last && plain.size() != chunk_size) ||
                out.size() < sealed_size(plain.size(), last))
                throw error(errc::invalid_argument, "CBC chunk of the wrong size, or output buffer too small");
            const std::size_t whole = plain.size() / block_size * block_size;
            if (whole) cbc_.ProcessData(out.data(), plain.data(), whole);
            if (!last) return whole;
            // PKCS#5: pad with n bytes of value n, 1 <= n <= 16.
            CryptoPP::FixedSizeSecBlock<byte, block_size> tail;
            const std::size_t rest = plain.size() - whole;
            const byte pad = static_cast<byte>(block_size - rest);
            if (rest) std::memcpy(tail.data(), plain.data() + whole, rest);
            std::memset(tail.data() + rest, pad, pad);
            cbc_.ProcessData(out.data() + whole, tail.data(), block_size);
            return whole + block_size;
        }

    private:
        typename CryptoPP::CBC_Mode<CryptoPP::AES>::Encryption cbc_;
    };

    /// Decrypts the chunks of one payload, in order, and checks the final padding.
    class opener {
    public:
        /// Keys CBC with `key` and CryptoAPI's default IV (16 zero bytes); `nonce` is empty.
        opener(const session_key& key, byte_view nonce) { keyed(cbc_, key, nonce); }

        /// @throws escrow::error `truncated` for a chunk that is not whole blocks (a payload
        /// CryptEncrypt cannot have written: cut or extended), `authentication_failed` when the
        /// final padding is bad: a wrong key or a modified file, which this format cannot tell apart.
        [[nodiscard]] std::size_t open(std::uint64_t, byte_view sealed, bool last, mutable_byte_view out) {
            if (sealed.size() > max_final_sealed_size || out.size() < sealed.size())
                throw error(errc::invalid_argument, "CBC chunk larger than the framing allows, or output buffer too small");
            if (sealed.size() % block_size != 0 || (last && sealed.empty()))
                throw error(errc::truncated, "the CBC payload ends inside a 16-byte block (cut or extended)");
            cbc_.ProcessData(out.data(), sealed.data(), sealed.size());
            if (!last) return sealed.size();
            // The padding is checked over the whole last block, with no branch on its bytes.
            const byte* tail = out.data() + sealed.size() - block_size;
            const unsigned pad = tail[block_size - 1];
            unsigned bad = static_cast<unsigned>(pad == 0) | static_cast<unsigned>(pad > block_size);
            for (unsigned i = 0; i < block_size; ++i) {
                unsigned in_pad = static_cast<unsigned>(block_size - i <= pad);
                bad |= in_pad & static_cast<unsigned>(tail[i] != pad);
            }
            if (bad) {
                CryptoPP::SecureWipeArray(out.data(), sealed.size());
                throw error(errc::authentication_failed,
                            "CBC padding is wrong: wrong key, or the file was modified (this format has no integrity check)");
            }
            return sealed.size() - pad;
        }

    private:
        typename CryptoPP::CBC_Mode<CryptoPP::AES>::Decryption cbc_;
    };

private:
    // Keys a CBC encryption or decryption with the session key and CryptoAPI's default IV (zeros).
    template <class Mode>
    static void keyed(Mode& cbc, const session_key& key, byte_view nonce) {
        if (key.size() != key_size)
            throw error(errc::bad_key, std::string(name) + " needs a " + std::to_string(key_size) + "-byte session key");
        if (!nonce.empty()) throw error(errc::malformed_header, std::string(name) + " takes no nonce");
        static constexpr byte zero_iv[block_size] = {};
        cbc.SetKeyWithIV(key.unsafe_bytes().data(), key.size(), zero_iv, block_size);
    }
};

}  // namespace escrow::legacy

namespace escrow {
/// No integrity: a changed ciphertext decrypts to changed plaintext, non-final chunks are released
/// before the final padding is checked, and each chunk chains to the one before (no parallelism).
template <unsigned Bits>
inline constexpr cipher::options cipher_options<legacy::cryptoapi_aes_cbc<Bits>> = {.authenticated = false};
}  // namespace escrow
