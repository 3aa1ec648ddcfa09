// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap::rsa_pkcs1v15`: the session key encrypted with RSAES-PKCS1-v1_5 (type 2), as
/// CryptoAPI's CALG_RSA_KEYX does, unwrapped with implicit rejection.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "escrow/core/rsa_key.hpp"
#include "escrow/detail/rsa_pkcs1v15.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::wrap {

/// RSAES-PKCS1-v1_5 (RFC 8017 §7.2) for RSA keys of 2048 bits or more. The wrapped key is the RSA
/// block alone, big-endian (`store::cryptoapi` reverses it into a SIMPLEBLOB).
///
/// There is no padding oracle: unwrapping a block whose padding is bad does not fail, it returns a
/// pseudo-random key derived from the block and the private key (implicit rejection,
/// draft-irtf-cfrg-rsa-guidance), chosen without a branch on secret data. The sized form
/// `unwrap(w, priv, n)` treats a well-padded block of any length other than `n` the same way, so a
/// caller learns nothing until the key it gets fails later (a header MAC, a record MAC, the
/// payload's padding). A wrong private key of the same size looks exactly like bad padding.
///
/// What is not hidden: a block whose size differs from the key's modulus size, or whose value is
/// not below the modulus, was not made for this key (`std::nullopt`). Both are public facts that
/// anyone can check against the public key; a different key of the same size often gives the
/// second (a block below one modulus may be above another), damage to the block may too.
struct rsa_pkcs1v15 {
    /// The wrap's name, as escrow records and `--wrap` show it.
    static constexpr std::string_view name = "rsa-pkcs1v15";
    /// The recipient type this wrap opens in typed headers.
    static constexpr std::string_view stanza_type = "rsa-pkcs1v15";
    /// The wrap's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0202;
    /// Smallest RSA modulus taken, in bits.
    static constexpr unsigned min_bits = 2048;

    /// RSA public keys (loaded from PEM or DER, or from a CryptoAPI PUBLICKEYBLOB by `ms_blob`).
    using public_key = rsa_public_key;
    /// RSA private keys (loaded from PEM or DER, or from a CryptoAPI PRIVATEKEYBLOB by `ms_blob`).
    using private_key = rsa_private_key;

    /// @throws escrow::error `bad_key` for a key under 2048 bits.
    [[nodiscard]] static wrapped_key wrap(const session_key& key, const public_key& pub, system_random& rng) {
        check_bits(pub.bits());
        return {{}, detail::pkcs1v15_encrypt(pub, key.unsafe_bytes(), rng)};
    }

    /// The session key, or a pseudo-random one when the padding is bad; `std::nullopt` when the
    /// block cannot have been made for this key (not the modulus size, or not below the modulus).
    /// @throws escrow::error `bad_key` (key under 2048 bits), `malformed_blob` (arguments present).
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv) {
        if (!usable(w, priv)) return std::nullopt;
        return detail::pkcs1v15_decrypt(priv, w.body).message;
    }

    /// As `unwrap`, but always `expected_size` bytes: a block that decrypts to a key of another
    /// length is treated exactly like bad padding.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv,
                                                           std::size_t expected_size) {
        if (!usable(w, priv)) return std::nullopt;
        return detail::pkcs1v15_decrypt(priv, w.body, expected_size).message;
    }

    /// The public half of `priv`.
    [[nodiscard]] static public_key public_of(const private_key& priv) { return priv.public_key(); }
    /// SHA-256 of the public key's SubjectPublicKeyInfo DER: names the key in escrow records.
    [[nodiscard]] static digest256 fingerprint(const public_key& pub) { return pub.fingerprint(); }

private:
    static void check_bits(unsigned bits) {
        if (bits < min_bits)
            throw error(errc::bad_key, "RSA PKCS#1 v1.5 needs a key of at least 2048 bits, got " + std::to_string(bits));
    }
    static bool usable(const wrapped_key& w, const private_key& priv) {
        check_bits(priv.bits());
        if (!w.args.empty()) throw error(errc::malformed_blob, "an RSA PKCS#1 v1.5 wrapped key takes no arguments");
        const CryptoPP::Integer& n = priv.cryptopp().GetModulus();
        return w.body.size() == n.ByteCount() && CryptoPP::Integer(w.body.data(), w.body.size()) < n;
    }
};

}  // namespace escrow::wrap

namespace escrow {
/// PKCS#1 v1.5 carries up to 245 bytes under a 2048-bit key; implicit rejection needs the sized
/// `unwrap`, so that a well-padded block of the wrong length looks like bad padding.
template <>
inline constexpr wrap::options wrap_options<wrap::rsa_pkcs1v15> = {
    .min_key_size = 1, .max_key_size = 245, .sized_unwrap = true, .implicit_rejection = true};
}  // namespace escrow
