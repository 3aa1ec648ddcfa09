// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap::rsa_oaep_sha256`: the session key encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256).
#pragma once

#include <optional>
#include <string_view>

#include "escrow/core/rsa_key.hpp"
#include "escrow/detail/rsa_oaep.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::wrap {

/// RSAES-OAEP (RFC 8017) with SHA-256 and MGF1-SHA-256 and an empty label, for RSA keys of 2048
/// bits or more (smaller keys are refused both ways). The wrapped key is the RSA block alone.
struct rsa_oaep_sha256 {
    /// The wrap's name, as escrow records and `--wrap` show it.
    static constexpr std::string_view name = "rsa-oaep-sha256";
    /// The recipient type this wrap opens in typed headers.
    static constexpr std::string_view stanza_type = "rsa-oaep-sha256";
    /// The wrap's numeric id, written in file headers and escrow records.
    static constexpr std::uint16_t id = 0x0201;
    /// Smallest RSA modulus taken, in bits.
    static constexpr unsigned min_bits = 2048;

    /// RSA public keys.
    using public_key = rsa_public_key;
    /// RSA private keys.
    using private_key = rsa_private_key;

    /// @throws escrow::error `bad_key` for a key under 2048 bits.
    [[nodiscard]] static wrapped_key wrap(const session_key& key, const public_key& pub, system_random& rng) {
        if (pub.bits() < min_bits)
            throw error(errc::bad_key, "RSA-OAEP needs a key of at least 2048 bits, got " + std::to_string(pub.bits()));
        return {{}, detail::rsa_oaep_sha256_encrypt(pub, key.unsafe_bytes(), {}, rng)};
    }

    /// @throws escrow::error `bad_key` for a key under 2048 bits; `malformed_blob` when the wrapped key
    /// has arguments.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv) {
        if (priv.bits() < min_bits)
            throw error(errc::bad_key, "RSA-OAEP needs a key of at least 2048 bits, got " + std::to_string(priv.bits()));
        if (!w.args.empty()) throw error(errc::malformed_blob, "an RSA-OAEP wrapped key takes no arguments");
        return detail::rsa_oaep_sha256_decrypt(priv, w.body, {});
    }

    /// The public half of `priv`.
    [[nodiscard]] static public_key public_of(const private_key& priv) { return priv.public_key(); }
    /// SHA-256 of the public key's SubjectPublicKeyInfo DER: names the key in escrow records.
    [[nodiscard]] static digest256 fingerprint(const public_key& pub) { return pub.fingerprint(); }
};

}  // namespace escrow::wrap

namespace escrow {
/// OAEP with SHA-256 carries up to 190 bytes under the smallest key it takes (2048 bits).
template <>
inline constexpr wrap::options wrap_options<wrap::rsa_oaep_sha256> = {.min_key_size = 1, .max_key_size = 190};
}  // namespace escrow
