// SPDX-License-Identifier: MIT
/// @file
/// A value only the holder of an RSA private key can compute, and the same wherever the key is:
/// the key's RSASSA-PKCS1-v1_5 signature (SHA-256) of a fixed message that names the key's
/// modulus. PKCS#1 v1.5 signatures are deterministic, so a key in a file (signed here with
/// Crypto++) and the same key in a PKCS#11 token (`CKM_SHA256_RSA_PKCS`, or raw RSA on the encoded
/// block) give the same bytes. The authority derives its audit signing key from it
/// (authority/audit_signing.hpp), so moving the authority's key into a token keeps its audit key.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include <cryptopp/integer.h>
#include <cryptopp/rsa.h>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/secret.hpp"

namespace escrow::detail {

/// The fixed message's prefix; a new construction gets a new one.
inline constexpr std::string_view rsa_fixed_message_domain = "escrow audit key material v1\n";

/// The message the key signs: the domain, then the modulus n in |n| big-endian bytes.
[[nodiscard]] inline bytes rsa_fixed_message(const rsa_public_key& pub) {
    const CryptoPP::Integer& n = pub.cryptopp().GetModulus();
    bytes m(rsa_fixed_message_domain.begin(), rsa_fixed_message_domain.end());
    const std::size_t at = m.size();
    m.resize(at + n.ByteCount());
    n.Encode(m.data() + at, n.ByteCount());
    return m;
}

/// The message's EMSA-PKCS1-v1_5 encoding with SHA-256 (RFC 8017, section 9.2), |n| bytes:
/// 00 01 FF...FF 00, the DigestInfo prefix of SHA-256, the digest. Below n.
[[nodiscard]] inline bytes rsa_fixed_block(const rsa_public_key& pub) {
    static constexpr std::array<byte, 19> digest_info = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                         0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    const std::size_t k = pub.cryptopp().GetModulus().ByteCount();
    const digest256 h = sha256(rsa_fixed_message(pub));
    const std::size_t t = digest_info.size() + h.size();
    if (k < t + 11) throw error(errc::bad_key, "RSA key too small for a SHA-256 PKCS#1 v1.5 signature");
    bytes em(k, 0xff);
    em[0] = 0x00;
    em[1] = 0x01;
    em[k - t - 1] = 0x00;
    std::copy(digest_info.begin(), digest_info.end(), em.begin() + static_cast<std::ptrdiff_t>(k - t));
    std::copy(h.begin(), h.end(), em.end() - static_cast<std::ptrdiff_t>(h.size()));
    return em;
}

/// True when `s` (|n| bytes, big-endian) is the key's signature: s < n and s^e mod n is the block.
[[nodiscard]] inline bool rsa_fixed_signature_verifies(const rsa_public_key& pub, byte_view s) {
    const CryptoPP::Integer& n = pub.cryptopp().GetModulus();
    if (s.size() != n.ByteCount()) return false;
    const CryptoPP::Integer value(s.data(), s.size());
    if (value >= n) return false;
    const bytes c = rsa_fixed_block(pub);
    return pub.cryptopp().ApplyFunction(value) == CryptoPP::Integer(c.data(), c.size());
}

/// The signature made with a private key on this host (Crypto++'s blinded inverse, which checks
/// its CRT result), |n| bytes in wiped memory.
[[nodiscard]] inline private_key_encoding rsa_fixed_signature(const rsa_private_key& key) {
    const bytes c = rsa_fixed_block(key.public_key());
    const CryptoPP::Integer s = key.cryptopp().CalculateInverse(default_random().engine(), CryptoPP::Integer(c.data(), c.size()));
    private_key_encoding out(c.size());
    s.Encode(out.unsafe_mutable_bytes().data(), c.size());
    return out;
}

}  // namespace escrow::detail
