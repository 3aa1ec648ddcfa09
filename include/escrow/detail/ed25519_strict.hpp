// SPDX-License-Identifier: MIT
/// @file
/// The checks that make Ed25519 verification strict, on top of Crypto++'s verifier: canonical
/// point encodings, points on the curve, no small-order keys or commitments, and S < L.
///
/// Crypto++ accepts S + L in place of S and verifies under any public key it can decode, the
/// identity point among them; under the identity key, (R = identity, S = 0) verifies for every
/// message. Everything checked here is public (keys, signatures), so plain big-integer arithmetic
/// serves; nothing here touches a secret.
#pragma once

#include <cryptopp/integer.h>
#include <cryptopp/nbtheory.h>

#include <array>
#include <optional>
#include <string>

#include "escrow/core/bytes.hpp"

namespace escrow::detail::ed25519_strict {

/// The field prime p = 2^255 − 19.
inline const CryptoPP::Integer& field_prime() {
    static const CryptoPP::Integer p = CryptoPP::Integer::Power2(255) - CryptoPP::Integer(19);
    return p;
}

/// The group order L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032, section 5.1).
inline const CryptoPP::Integer& group_order() {
    static const CryptoPP::Integer l =
        CryptoPP::Integer::Power2(252) + CryptoPP::Integer("27742317777372353535851937790883648493");
    return l;
}

/// The curve constant d = −121665 / 121666 mod p (RFC 8032, section 5.1).
inline const CryptoPP::Integer& curve_d() {
    static const CryptoPP::Integer d =
        (field_prime() - 121665) * CryptoPP::Integer(121666).InverseMod(field_prime()) % field_prime();
    return d;
}

/// A 32-byte little-endian string as an integer (bit 255 included).
inline CryptoPP::Integer from_le(byte_view b32) {
    return CryptoPP::Integer(b32.data(), b32.size(), CryptoPP::Integer::UNSIGNED, CryptoPP::LITTLE_ENDIAN_ORDER);
}

/// Why an encoded point is refused, or nothing when it is a canonical encoding of a curve point
/// whose order is not a divisor of 8.
///
/// Decoding follows RFC 8032, section 5.1.3: y = the low 255 bits, which must be below p; x² =
/// (y² − 1) / (d·y² + 1) must be a square; x = 0 with the sign bit set is not canonical. The eight
/// points of order dividing 8 are exactly those with y in {1, −1, 0, ±y₈}, where y₈² is the root of
/// d·y⁴ + 2·y² − 1 = 0 that is a square (a point doubles to y = 0, order 4, exactly when x² = −y²);
/// every x for those y is a small-order point, so the test on y alone is complete.
inline std::optional<std::string> point_problem(byte_view encoded) {
    if (encoded.size() != 32) return std::string("an encoded point is 32 bytes");
    const auto& p = field_prime();
    std::array<byte, 32> low{};
    for (std::size_t i = 0; i < 32; ++i) low[i] = encoded[i];
    const bool sign = (low[31] & 0x80) != 0;
    low[31] &= 0x7f;
    const CryptoPP::Integer y = from_le(low);
    if (y >= p) return std::string("a non-canonical encoding (y is not below 2^255 - 19)");

    // Plain Integer arithmetic reduced mod p (ModularArithmetic's results alias one buffer).
    const CryptoPP::Integer y2 = y.Squared() % p;
    const CryptoPP::Integer x2 = ((y2 - 1 + p) % p) * (((curve_d() * y2) + 1) % p).InverseMod(p) % p;
    // x² is a square mod p exactly when x²^((p−1)/2) is 0 or 1 (Euler's criterion).
    if (!x2.IsZero() && a_exp_b_mod_c(x2, (p - 1) / 2, p) != CryptoPP::Integer::One())
        return std::string("not a point on the curve");
    if (x2.IsZero() && sign) return std::string("a non-canonical encoding (x = 0 with the sign bit set)");

    // y₈ (derived as above and checked by the unit test against d·y⁴ + 2·y² − 1 = 0).
    static const CryptoPP::Integer y8("2707385501144840649318225287225658788936804267575313519463743609750303402022");
    if (y == CryptoPP::Integer::One() || y == p - 1 || y.IsZero() || y == y8 || y == p - y8)
        return std::string("a point of small order (order 1, 2, 4 or 8)");
    return std::nullopt;
}

/// Why a signature's S is refused, or nothing when S < L (RFC 8032, section 5.1.7: "If any of the
/// decodings fail (including S being out of range), the signature is invalid").
inline std::optional<std::string> scalar_problem(byte_view s32) {
    if (s32.size() != 32) return std::string("S is 32 bytes");
    if (from_le(s32) >= group_order()) return std::string("S is not below the group order (a malleated signature)");
    return std::nullopt;
}

/// True when the signature (R ‖ S) and public key pass every check above; Crypto++'s verifier
/// then decides.
[[nodiscard]] inline bool signature_is_canonical(byte_view public_key, byte_view signature) {
    if (signature.size() != 64) return false;
    return !point_problem(public_key) && !point_problem(signature.first(32)) && !scalar_problem(signature.subspan(32));
}

}  // namespace escrow::detail::ed25519_strict
