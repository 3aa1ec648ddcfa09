// SPDX-License-Identifier: MIT
/// @file
/// HPKE (RFC 9180) in base mode, only as far as age's `mlkem768x25519` stanza uses it: the key
/// schedule and one message (sequence number 0) sealed or opened with HKDF-SHA256 and
/// ChaCha20Poly1305. The KEM is the caller's: it hands over the KEM's shared secret and names the
/// KEM by its id, which enters every label. Not public API.
#pragma once

#include <cryptopp/hmac.h>
#include <cryptopp/misc.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/chacha20_poly1305.hpp"

namespace escrow::detail::hpke {

/// The KDF id of HKDF-SHA256 (RFC 9180, section 7.2).
inline constexpr std::uint16_t kdf_hkdf_sha256 = 0x0001;
/// The AEAD id of ChaCha20Poly1305 (RFC 9180, section 7.3).
inline constexpr std::uint16_t aead_chacha20_poly1305 = 0x0003;
/// Nk, Nn and Nh of this suite: key, nonce and hash sizes in bytes.
/// @{
inline constexpr std::size_t key_size = 32;
inline constexpr std::size_t nonce_size = 12;
inline constexpr std::size_t hash_size = 32;
/// @}
/// Bytes the AEAD adds to a message (its tag).
inline constexpr std::size_t tag_size = chacha20_poly1305::tag_size;

/// Tag of the key schedule's secrets (the PRKs, the AEAD key, the exporter secret).
struct hpke_secret_tag {};
/// A key-schedule secret, in wiped memory.
using hpke_secret = secret<hpke_secret_tag>;

/// The suite id of HPKE's labels: "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2).
using suite_id = std::array<byte, 10>;

/// The suite id for KEM `kem_id` with HKDF-SHA256 and ChaCha20Poly1305.
[[nodiscard]] constexpr suite_id suite_for(std::uint16_t kem_id) noexcept {
    return {byte{'H'}, byte{'P'}, byte{'K'}, byte{'E'},
            static_cast<byte>(kem_id >> 8), static_cast<byte>(kem_id),
            static_cast<byte>(kdf_hkdf_sha256 >> 8), static_cast<byte>(kdf_hkdf_sha256),
            static_cast<byte>(aead_chacha20_poly1305 >> 8), static_cast<byte>(aead_chacha20_poly1305)};
}

namespace labels {
inline constexpr std::string_view version = "HPKE-v1";
}

/// LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm),
/// HKDF-Extract being HMAC-SHA256 keyed with the salt (an empty salt is HMAC's all-zero key, as
/// RFC 5869 has it).
[[nodiscard]] inline hpke_secret labeled_extract(const suite_id& suite, byte_view salt, std::string_view label, byte_view ikm) {
    hpke_secret prk(hash_size);
    CryptoPP::HMAC<CryptoPP::SHA256> mac(salt.data(), salt.size());
    mac.Update(as_bytes(labels::version).data(), labels::version.size());
    mac.Update(suite.data(), suite.size());
    mac.Update(as_bytes(label).data(), label.size());
    mac.Update(ikm.data(), ikm.size());
    mac.Final(prk.unsafe_mutable_bytes().data());
    return prk;
}

/// LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖
/// label ‖ info, L), for L of 1 to 255 × 32 bytes.
/// @throws escrow::error `invalid_argument` for another length.
[[nodiscard]] inline hpke_secret labeled_expand(const suite_id& suite, byte_view prk, std::string_view label, byte_view info,
                                                std::size_t length) {
    if (length == 0 || length > 255 * hash_size) throw error(errc::invalid_argument, "HPKE LabeledExpand: length out of range");
    const byte length_be[2] = {static_cast<byte>(length >> 8), static_cast<byte>(length)};
    hpke_secret out(length);
    CryptoPP::FixedSizeSecBlock<byte, hash_size> block;
    CryptoPP::HMAC<CryptoPP::SHA256> mac(prk.data(), prk.size());
    // T(i) = HMAC(prk, T(i-1) ‖ labeled info ‖ i), T(0) empty (RFC 5869, section 2.3).
    std::size_t done = 0;
    for (byte i = 1; done < length; ++i) {
        if (i > 1) mac.Update(block.data(), block.size());
        mac.Update(length_be, sizeof length_be);
        mac.Update(as_bytes(labels::version).data(), labels::version.size());
        mac.Update(suite.data(), suite.size());
        mac.Update(as_bytes(label).data(), label.size());
        mac.Update(info.data(), info.size());
        mac.Update(&i, 1);
        mac.Final(block.data());
        const std::size_t n = std::min(hash_size, length - done);
        std::copy_n(block.data(), n, out.unsafe_mutable_bytes().data() + done);
        done += n;
    }
    return out;
}

/// The encryption context of base mode: the AEAD key, the base nonce and the exporter secret.
struct context {
    hpke_secret key{key_size};                    ///< the ChaCha20Poly1305 key
    std::array<byte, nonce_size> base_nonce{};    ///< the nonce of message 0
    hpke_secret exporter_secret{hash_size};       ///< kept for the known-answer tests; age exports nothing
};

/// KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "") of RFC 9180, section 5.1,
/// for KEM `kem_id` with HKDF-SHA256 and ChaCha20Poly1305.
[[nodiscard]] inline context key_schedule_base(std::uint16_t kem_id, byte_view shared_secret, byte_view info) {
    const suite_id suite = suite_for(kem_id);
    const hpke_secret psk_id_hash = labeled_extract(suite, {}, "psk_id_hash", {});
    const hpke_secret info_hash = labeled_extract(suite, {}, "info_hash", info);
    std::array<byte, 1 + 2 * hash_size> schedule_context{};  // mode ‖ psk_id_hash ‖ info_hash; mode_base = 0
    std::copy_n(psk_id_hash.unsafe_bytes().data(), hash_size, schedule_context.begin() + 1);
    std::copy_n(info_hash.unsafe_bytes().data(), hash_size, schedule_context.begin() + 1 + hash_size);
    const hpke_secret secret_prk = labeled_extract(suite, shared_secret, "secret", {});
    context c;
    c.key = labeled_expand(suite, secret_prk.unsafe_bytes(), "key", schedule_context, key_size);
    const hpke_secret nonce = labeled_expand(suite, secret_prk.unsafe_bytes(), "base_nonce", schedule_context, nonce_size);
    std::copy_n(nonce.unsafe_bytes().data(), nonce_size, c.base_nonce.begin());
    c.exporter_secret = labeled_expand(suite, secret_prk.unsafe_bytes(), "exp", schedule_context, hash_size);
    return c;
}

/// ContextS.Seal(aad, pt) for the first message (sequence number 0, so the nonce is the base
/// nonce): `pt.size() + 16` bytes, ciphertext then tag.
[[nodiscard]] inline bytes seal_first(const context& c, byte_view aad, byte_view pt) {
    chacha20_poly1305 aead(c.key.unsafe_bytes());
    bytes ct(pt.size() + tag_size);
    aead.seal(c.base_nonce, aad, pt, ct.data());
    return ct;
}

/// ContextR.Open(aad, ct) for the first message, into `out` (`ct.size() - 16` bytes); false, with
/// nothing written, when the tag fails or `ct` is shorter than a tag.
[[nodiscard]] inline bool open_first(const context& c, byte_view aad, byte_view ct, mutable_byte_view out) {
    if (ct.size() < tag_size || out.size() != ct.size() - tag_size) return false;
    chacha20_poly1305 aead(c.key.unsafe_bytes());
    return aead.open(c.base_nonce, aad, ct, out.data());
}

}  // namespace escrow::detail::hpke
