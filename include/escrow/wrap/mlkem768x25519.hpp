// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap::mlkem768x25519`: age's hybrid post-quantum recipient stanza (ML-KEM-768 and
/// X25519 through HPKE).
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/mlkem768x25519_key.hpp"
#include "escrow/detail/age_stanza.hpp"
#include "escrow/detail/hpke.hpp"
#include "escrow/detail/mlkem768x25519.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::wrap {

/// The age `mlkem768x25519` recipient (C2SP age spec, "mlkem768x25519 recipient stanza"): the
/// session key sealed with HPKE base mode (RFC 9180) under the suite
///
///     KEM MLKEM768-X25519 (0x647a, draft-ietf-hpke-pq), KDF HKDF-SHA256, AEAD ChaCha20Poly1305
///     info = "age-encryption.org/mlkem768x25519", aad = ""
///     stanza = "mlkem768x25519" base64(enc, 1120 bytes); body = the HPKE ciphertext
///
/// A stanza with another argument count, or whose `enc` is not the canonical base64 of 1120 bytes,
/// is a header error (`malformed_header`), as age has it; the body's size is checked before
/// anything is decrypted (32 bytes for age's 16-byte file key). A stanza for another key gives
/// nullopt. This recipient is post-quantum: a host refuses to mix it with classical recipients in
/// one file (`wrap_options<...>.post_quantum`, docs/policies.md).
struct mlkem768x25519 {
    /// The wrap's name, as escrow records and `--wrap` show it.
    static constexpr std::string_view name = "mlkem768x25519";
    /// The age stanza type.
    static constexpr std::string_view stanza_type = "mlkem768x25519";
    /// The wrap's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0207;
    /// The HPKE KEM id of MLKEM768-X25519.
    static constexpr std::uint16_t kem_id = detail::mlkem768x25519::kem_id;
    /// The HPKE info of the stanza.
    static constexpr std::string_view info = "age-encryption.org/mlkem768x25519";
    /// Bytes of the encapsulated key `enc`.
    static constexpr std::size_t enc_size = detail::mlkem768x25519::enc_size;
    /// age wraps a 16-byte file key; other sizes (1 to 64 bytes) serve other formats (the native one).
    static constexpr std::size_t max_key_size = 64;

    /// age post-quantum recipients (`age1pq1...`).
    using public_key = mlkem768x25519_public_key;
    /// age post-quantum identities (`AGE-SECRET-KEY-PQ-1...`).
    using private_key = mlkem768x25519_private_key;

    /// @throws escrow::error `invalid_argument` for a session key over 64 bytes; `bad_key` when the
    /// recipient is not a valid MLKEM768-X25519 public key (FIPS 203's encapsulation-key check).
    [[nodiscard]] static wrapped_key wrap(const session_key& key, const public_key& pub, system_random& rng) {
        detail::age_stanza::check_key_to_wrap(key, max_key_size, stanza_type);
        namespace kem = detail::mlkem768x25519;
        const auto randomness = secret<hpke_randomness_tag>::generate(kem::randomness_size, rng);
        std::array<byte, enc_size> enc{};
        mlkem768x25519_secret shared(kem::shared_secret_size);
        if (!kem::encapsulate(kem::public_key_view(pub.bytes().data(), kem::public_key_size),
                              kem::randomness_view(randomness.unsafe_bytes().data(), kem::randomness_size), enc,
                              kem::shared_secret_out(shared.unsafe_mutable_bytes().data(), kem::shared_secret_size)))
            throw error(errc::bad_key, "the mlkem768x25519 recipient is not a valid MLKEM768-X25519 public key");
        const auto context = detail::hpke::key_schedule_base(kem_id, shared.unsafe_bytes(), as_bytes(info));
        wrapped_key w;
        w.args.push_back(base64::encode(enc, false));
        w.body = detail::hpke::seal_first(context, {}, key.unsafe_bytes());
        return w;
    }

    /// Unwraps a key of `expected_size` bytes (hosts ask for their cipher's; an age file key is
    /// 16), the body being exactly that plus the tag; with no size, a key of the size the body
    /// holds (1 to 64 bytes, as `wrap` takes).
    /// @throws escrow::error `malformed_header` for a malformed stanza.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv,
                                                           std::optional<std::size_t> expected_size = std::nullopt) {
        if (w.args.size() != 1) throw error(errc::malformed_header, "an mlkem768x25519 stanza has exactly one argument");
        const bytes enc = detail::age_stanza::argument(w.args[0], enc_size, stanza, "the encapsulated key");
        std::size_t size;
        if (expected_size) {
            detail::age_stanza::require_key_size(w.body, *expected_size, stanza);
            size = *expected_size;
        } else {
            size = detail::age_stanza::key_size_of(w.body, max_key_size, stanza);
        }
        namespace kem = detail::mlkem768x25519;
        mlkem768x25519_secret shared(kem::shared_secret_size);
        if (!kem::decapsulate(kem::seed_view(priv.unsafe_bytes().data(), kem::seed_size), kem::enc_view(enc.data(), enc_size),
                              kem::shared_secret_out(shared.unsafe_mutable_bytes().data(), kem::shared_secret_size)))
            throw error(errc::malformed_header, "mlkem768x25519 stanza: the encapsulated key is not valid");
        const auto context = detail::hpke::key_schedule_base(kem_id, shared.unsafe_bytes(), as_bytes(info));
        session_key key(size);
        if (!detail::hpke::open_first(context, {}, w.body, key.unsafe_mutable_bytes())) return std::nullopt;
        return key;
    }

    /// The public half of `priv`.
    [[nodiscard]] static public_key public_of(const private_key& priv) { return priv.public_key(); }
    /// SHA-256 of the 1216-byte public key: names the key in escrow records.
    [[nodiscard]] static digest256 fingerprint(const public_key& pub) { return pub.fingerprint(); }

private:
    struct hpke_randomness_tag {};
    static constexpr std::string_view stanza = "mlkem768x25519 stanza";
};

}  // namespace escrow::wrap

namespace escrow {
/// Session keys of 1 to 64 bytes, unwrapped at the host's cipher key size (a body of any other
/// size is a malformed stanza, as age's reader has it); a post-quantum recipient, which hosts do
/// not mix with classical ones; its one argument is enc in base64, 1494 characters (more than the
/// native blob's one-byte length holds: the wrap is age's only).
template <>
inline constexpr wrap::options wrap_options<wrap::mlkem768x25519> = {.min_key_size = 1,
                                                                     .max_key_size = 64,
                                                                     .sized_unwrap = true,
                                                                     .post_quantum = true,
                                                                     .max_argument_size = 1494};
}  // namespace escrow
