// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap::x25519`: the age v1 X25519 recipient stanza.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/detail/age_stanza.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::wrap {

/// The age X25519 recipient (C2SP age spec, "X25519 recipient type"):
///
///     ephemeral secret e, share = X25519(e, 9), shared = X25519(e, recipient)
///     wrap key = HKDF-SHA-256(ikm = shared, salt = share ‖ recipient, info = "age-encryption.org/v1/X25519", 32)
///     stanza   = "X25519" base64(share); body = ChaCha20-Poly1305(wrap key, nonce 0, file key)
///
/// An all-zero shared secret (a low-order share) is refused both ways. Stanzas that break the
/// structure (argument count, share encoding or size, body size) are header errors
/// (`malformed_header`), as age treats them; a well-formed stanza for another key gives nullopt.
struct x25519 {
    /// The wrap's name, as escrow records and `--wrap` show it.
    static constexpr std::string_view name = "x25519";
    /// The age stanza type.
    static constexpr std::string_view stanza_type = "X25519";
    /// The wrap's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0203;
    /// The HKDF info of the wrap key.
    static constexpr std::string_view label = "age-encryption.org/v1/X25519";
    /// age wraps a 16-byte file key; other sizes (1 to 64 bytes) serve other formats (the native one).
    static constexpr std::size_t max_key_size = 64;

    /// age recipients (`age1...`).
    using public_key = x25519_public_key;
    /// age identities (`AGE-SECRET-KEY-1...`).
    using private_key = x25519_private_key;

    /// @throws escrow::error `invalid_argument` for a session key over 64 bytes; `bad_key` when the
    /// recipient is a low-order point.
    [[nodiscard]] static wrapped_key wrap(const session_key& key, const public_key& pub, system_random& rng) {
        detail::age_stanza::check_key_to_wrap(key, max_key_size, stanza_type);
        const auto a = detail::age_stanza::agree_ephemeral(pub.bytes(), rng, stanza_type);
        wrapped_key w;
        w.args.push_back(base64::encode(a.share, false));
        w.body = detail::age_stanza::seal_key(wrap_key(a.shared, a.share, pub.bytes()).unsafe_bytes(), key);
        return w;
    }

    /// Unwraps a key of `expected_size` bytes (hosts ask for their cipher's; an age file key is
    /// 16), the body being exactly that plus the tag; with no size, a key of the size the body
    /// holds (1 to 64 bytes, as `wrap` takes).
    /// @throws escrow::error `malformed_header` for a malformed stanza or an all-zero shared secret.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv,
                                                           std::optional<std::size_t> expected_size = std::nullopt) {
        if (w.args.size() != 1) throw error(errc::malformed_header, "an X25519 stanza has exactly one argument");
        const bytes share = detail::age_stanza::argument(w.args[0], 32, stanza, "the share");
        if (expected_size) detail::age_stanza::require_key_size(w.body, *expected_size, stanza);
        else (void)detail::age_stanza::key_size_of(w.body, max_key_size, stanza);
        x25519_secret shared(32);
        if (!detail::x25519(shared.unsafe_mutable_bytes().data(), priv.unsafe_bytes(), share))
            throw error(errc::malformed_header, "X25519 stanza: the share gives an all-zero shared secret");
        return detail::age_stanza::open_key(wrap_key(shared, share, priv.public_key().bytes()).unsafe_bytes(), w.body);
    }

    /// The public half of `priv`.
    [[nodiscard]] static public_key public_of(const private_key& priv) { return priv.public_key(); }
    /// SHA-256 of the 32-byte public key: names the key in escrow records.
    [[nodiscard]] static digest256 fingerprint(const public_key& pub) { return pub.fingerprint(); }

private:
    static constexpr std::string_view stanza = "X25519 stanza";

    static derived_key wrap_key(const x25519_secret& shared, byte_view share, byte_view recipient) {
        return detail::age_stanza::share_wrap_key(shared.unsafe_bytes(), share, recipient, label);
    }
};

}  // namespace escrow::wrap

namespace escrow {
/// Session keys of 1 to 64 bytes; hosts unwrap with their cipher's key size, so that a body of any
/// other size is a malformed stanza (as age's reader has it).
template <>
inline constexpr wrap::options wrap_options<wrap::x25519> = {.min_key_size = 1, .max_key_size = 64, .sized_unwrap = true};
}  // namespace escrow
