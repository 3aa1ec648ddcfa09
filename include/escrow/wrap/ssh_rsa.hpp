// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap::ssh_rsa`: the age v1 ssh-rsa recipient stanza (RSA-OAEP-SHA-256 with a label).
#pragma once

#include <optional>
#include <string_view>

#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/ssh_key.hpp"
#include "escrow/detail/age_stanza.hpp"
#include "escrow/detail/rsa_oaep.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::wrap {

/// The age ssh-rsa recipient (C2SP age spec and age's agessh package):
///
///     tag    = the first 4 bytes of SHA-256(SSH wire encoding of the public key)
///     stanza = "ssh-rsa" base64(tag); body = RSA-OAEP(SHA-256, MGF1-SHA-256,
///              label "age-encryption.org/v1/ssh-rsa", file key)
///
/// A stanza whose tag is another key's gives nullopt without an RSA operation; so does one whose
/// OAEP decryption fails (no oracle: all failures look alike). Keys under 2048 bits are refused.
struct ssh_rsa {
    /// The wrap's name, as escrow records and `--wrap` show it.
    static constexpr std::string_view name = "ssh-rsa";
    /// The age stanza type.
    static constexpr std::string_view stanza_type = "ssh-rsa";
    /// The wrap's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0204;
    /// The OAEP label, and the smallest RSA key taken (in bits) and the stanza tag's size (bytes).
    /// @{
    static constexpr std::string_view label = "age-encryption.org/v1/ssh-rsa";
    static constexpr unsigned min_bits = 2048;
    static constexpr std::size_t tag_size = 4;
/// @}

    /// OpenSSH ssh-rsa public keys.
    using public_key = ssh_rsa_public_key;
    /// RSA private keys used as OpenSSH ssh-rsa keys.
    using private_key = ssh_rsa_private_key;

    /// @throws escrow::error `bad_key` for a key under 2048 bits.
    [[nodiscard]] static wrapped_key wrap(const session_key& key, const public_key& pub, system_random& rng) {
        if (pub.bits() < min_bits)
            throw error(errc::bad_key, "age ssh-rsa needs a key of at least 2048 bits, got " + std::to_string(pub.bits()));
        wrapped_key w;
        w.args.push_back(base64::encode(tag_of(pub), false));
        w.body = detail::rsa_oaep_sha256_encrypt(pub.rsa(), key.unsafe_bytes(), as_bytes(label), rng);
        return w;
    }

    /// @throws escrow::error `malformed_header` for a malformed stanza; `bad_key` for a small key.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv) {
        if (priv.bits() < min_bits)
            throw error(errc::bad_key, "age ssh-rsa needs a key of at least 2048 bits, got " + std::to_string(priv.bits()));
        if (w.args.size() != 1) throw error(errc::malformed_header, "an ssh-rsa stanza has exactly one argument");
        const bytes tag = detail::age_stanza::argument(w.args[0], tag_size, "ssh-rsa stanza", "the tag");
        if (!constant_time_equal(tag, tag_of(priv.public_key()))) return std::nullopt;
        return detail::rsa_oaep_sha256_decrypt(priv.rsa(), w.body, as_bytes(label));
    }

    /// The public half of `priv`.
    [[nodiscard]] static public_key public_of(const private_key& priv) { return priv.public_key(); }
    /// SHA-256 of the key's SSH wire encoding: names the key in escrow records.
    [[nodiscard]] static digest256 fingerprint(const public_key& pub) { return pub.fingerprint(); }

    /// The stanza tag of a key.
    [[nodiscard]] static std::array<byte, tag_size> tag_of(const public_key& pub) {
        auto h = pub.fingerprint();
        return {h[0], h[1], h[2], h[3]};
    }
};

}  // namespace escrow::wrap

namespace escrow {
/// OAEP with SHA-256 carries up to 190 bytes under the smallest key it takes (2048 bits).
template <>
inline constexpr wrap::options wrap_options<wrap::ssh_rsa> = {.min_key_size = 1, .max_key_size = 190};
}  // namespace escrow
