// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap::ssh_ed25519`: the age v1 ssh-ed25519 recipient stanza (X25519 with the Ed25519
/// key's Montgomery form, the shared secret tweaked by the SSH key).
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/ssh_ed25519_key.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/detail/age_stanza.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::wrap {

/// The age ssh-ed25519 recipient (age's agessh package; the age v1 specification's SSH recipient
/// types):
///
///     recipient = the X25519 form of the Ed25519 key (u = (1 + y) / (1 − y)); its private
///                 scalar the first 32 bytes of SHA-512(seed)
///     tag       = the first 4 bytes of SHA-256(SSH wire encoding of the public key)
///     ephemeral secret e, share = X25519(e, 9)
///     tweak     = HKDF-SHA-256(ikm = empty, salt = SSH wire key, info = label, 32)
///     shared    = X25519(tweak, X25519(e, recipient))
///     wrap key  = HKDF-SHA-256(ikm = shared, salt = share ‖ recipient, info = label, 32)
///     stanza    = "ssh-ed25519" base64(tag) base64(share); body = ChaCha20-Poly1305(wrap key,
///                 nonce 0, file key), label = "age-encryption.org/v1/ssh-ed25519"
///
/// A stanza whose tag is another key's gives nullopt without an X25519 operation; so does one whose
/// body does not open. An all-zero shared secret (a low-order share) is refused both ways, and a
/// stanza that breaks the structure is a header error (`malformed_header`), as age treats it.
struct ssh_ed25519 {
    /// The wrap's name, as escrow records and `--wrap` show it.
    static constexpr std::string_view name = "ssh-ed25519";
    /// The age stanza type.
    static constexpr std::string_view stanza_type = "ssh-ed25519";
    /// The wrap's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0206;
    /// The HKDF info of both the tweak and the wrap key.
    static constexpr std::string_view label = "age-encryption.org/v1/ssh-ed25519";
    /// The stanza tag's size (bytes) and the largest session key wrapped (as `x25519`).
    /// @{
    static constexpr std::size_t tag_size = 4;
    static constexpr std::size_t max_key_size = 64;
    /// @}

    /// OpenSSH ssh-ed25519 public keys.
    using public_key = ssh_ed25519_public_key;
    /// OpenSSH ssh-ed25519 private keys.
    using private_key = ssh_ed25519_private_key;

    /// @throws escrow::error `invalid_argument` for a session key over 64 bytes.
    [[nodiscard]] static wrapped_key wrap(const session_key& key, const public_key& pub, system_random& rng) {
        detail::age_stanza::check_key_to_wrap(key, max_key_size, stanza_type);
        // The recipient passed the Ed25519 point checks (large order): the agreement is never zero.
        const auto a = detail::age_stanza::agree_ephemeral(pub.x25519(), rng, stanza_type);
        wrapped_key w;
        w.args.push_back(base64::encode(tag_of(pub), false));
        w.args.push_back(base64::encode(a.share, false));
        w.body = detail::age_stanza::seal_key(wrap_key(a.shared, pub, a.share).unsafe_bytes(), key);
        return w;
    }

    /// Unwraps a key of `expected_size` bytes (an age file key is 16), the body being exactly that
    /// plus the tag; with no size, a key of the size the body holds (1 to 64 bytes).
    /// @throws escrow::error `malformed_header` for a malformed stanza or an all-zero shared secret.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv,
                                                           std::optional<std::size_t> expected_size = std::nullopt) {
        if (w.args.size() != 2) throw error(errc::malformed_header, "an ssh-ed25519 stanza has exactly two arguments");
        const bytes tag = detail::age_stanza::argument(w.args[0], tag_size, stanza, "the tag");
        const bytes share = detail::age_stanza::argument(w.args[1], 32, stanza, "the share");
        // Another key's stanza is not this identity's to judge, as age has it: its body is not read.
        if (!constant_time_equal(tag, tag_of(priv.public_key()))) return std::nullopt;
        if (expected_size) detail::age_stanza::require_key_size(w.body, *expected_size, stanza);
        else (void)detail::age_stanza::key_size_of(w.body, max_key_size, stanza);
        x25519_secret shared(32);
        if (!detail::x25519(shared.unsafe_mutable_bytes().data(), priv.unsafe_x25519_scalar(), share))
            throw error(errc::malformed_header, "ssh-ed25519 stanza: the share gives an all-zero shared secret");
        return detail::age_stanza::open_key(wrap_key(shared, priv.public_key(), share).unsafe_bytes(), w.body);
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

private:
    static constexpr std::string_view stanza = "ssh-ed25519 stanza";

    // The shared secret X25519(e, recipient) is tweaked by the SSH key, then keyed with the share
    // and the recipient's X25519 form, as age's agessh does.
    static derived_key wrap_key(const x25519_secret& shared, const public_key& pub, byte_view share) {
        const derived_key tweak = hkdf_sha256(byte_view{}, pub.wire(), label, 32);
        x25519_secret tweaked(32);
        // The input is a non-zero X25519 output, so a point of large order (the clamped scalar
        // cleared any small component): the product is never zero.
        (void)detail::x25519(tweaked.unsafe_mutable_bytes().data(), tweak.unsafe_bytes(), shared.unsafe_bytes());
        return detail::age_stanza::share_wrap_key(tweaked.unsafe_bytes(), share, pub.x25519(), label);
    }
};

}  // namespace escrow::wrap

namespace escrow {
/// Session keys of 1 to 64 bytes; hosts unwrap with their cipher's key size, so that a body of any
/// other size is a malformed stanza (as age's reader has it).
template <>
inline constexpr wrap::options wrap_options<wrap::ssh_ed25519> = {.min_key_size = 1, .max_key_size = 64, .sized_unwrap = true};
}  // namespace escrow
