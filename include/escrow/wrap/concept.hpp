// SPDX-License-Identifier: MIT
/// @file
/// The `wrap_policy` concept: how a session key is wrapped for one recipient key.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/secret.hpp"

namespace escrow {

/// A session key wrapped for one recipient: public data, safe to store and send.
///
/// `args` are short printable strings that travel beside the body (an age stanza's arguments,
/// such as an ephemeral X25519 share in base64); `body` is the wrapped key itself (an RSA block, an
/// AEAD ciphertext). Stores decide how these two are laid out in bytes.
struct wrapped_key {
    std::vector<std::string> args;  ///< per-recipient arguments, empty for plain RSA wraps
    bytes body;                     ///< the encrypted session key
};

namespace wrap {

// Requirements are stated as calls on an object `w` of type `W`: a stateless policy satisfies them
// with static member functions, a policy with state (an HSM handle, say) with member functions.

/// Names and types. Requirements:
/// - `W::name`: a `std::string_view`, the policy's exact algorithm;
/// - `W::id`: a `std::uint16_t` written into files and records (escrow/core/ids.hpp);
/// - `W::public_key`, `W::private_key`: the recipient's key types;
/// - `W::stanza_type`: a `std::string_view`, the type a recipient line carries in text formats.
template <class W>
concept wrap_traits = std::copy_constructible<W> && requires {
    { W::name } -> std::convertible_to<std::string_view>;
    { W::id } -> std::convertible_to<std::uint16_t>;
    { W::stanza_type } -> std::convertible_to<std::string_view>;
    typename W::public_key;
    typename W::private_key;
};

/// Wrapping. Requirement: `w.wrap(key, pub, rng)` returns a `wrapped_key` for `pub`, using fresh
/// randomness from `rng`. Throws `escrow::error` (`bad_key`, `invalid_argument`) when the key or
/// the session key size is outside what the scheme allows.
template <class W>
concept wrap_seal = requires(W& w, const session_key& k, const typename W::public_key& pub, system_random& rng) {
    { w.wrap(k, pub, rng) } -> std::same_as<wrapped_key>;
};

/// Unwrapping. Requirement: `w.unwrap(wk, priv)` returns the session key, or `std::nullopt` when
/// `wk` was not made for `priv` (so a host can try the next recipient).
///
/// Law: `unwrap(wrap(k, public_of(priv)), priv)` holds `k`, for every session key size the scheme
/// allows. A scheme without a reliable "not for me" signal (PKCS#1 v1.5 with implicit rejection)
/// returns a pseudo-random key instead, and the host's header MAC is the only judge.
template <class W>
concept wrap_open = requires(W& w, const wrapped_key& wk, const typename W::private_key& priv) {
    { w.unwrap(wk, priv) } -> std::same_as<std::optional<session_key>>;
};

/// Optional sized unwrapping. Requirement: `w.unwrap(wk, priv, expected_size)` returns a key of
/// exactly `expected_size` bytes, or `std::nullopt` when `wk` is not for `priv`.
///
/// A scheme without a reliable "not for me" signal (RSA PKCS#1 v1.5 with implicit rejection)
/// provides it, so that a block whose padding is valid but whose length is wrong is treated exactly
/// like a block with bad padding (a pseudo-random key of the expected size), and no error path
/// tells the two apart. Hosts call `unwrap_expecting`, which uses this form when it exists.
template <class W>
concept wrap_open_sized = requires(W& w, const wrapped_key& wk, const typename W::private_key& priv, std::size_t n) {
    { w.unwrap(wk, priv, n) } -> std::same_as<std::optional<session_key>>;
};

/// Unwraps `wk` expecting a session key of `expected_size` bytes: through the sized form where the
/// wrap has one, else through `unwrap` (the caller then checks the size).
template <class W>
[[nodiscard]] std::optional<session_key> unwrap_expecting(W& w, const wrapped_key& wk, const typename W::private_key& priv,
                                                          std::size_t expected_size) {
    if constexpr (wrap_open_sized<W>) return w.unwrap(wk, priv, expected_size);
    else return w.unwrap(wk, priv);
}

/// Keys. Requirements: `w.public_of(priv)` gives the matching public key, `w.fingerprint(pub)`
/// a SHA-256 that identifies it in escrow records.
template <class W>
concept wrap_keys = requires(W& w, const typename W::private_key& priv, const typename W::public_key& pub) {
    { w.public_of(priv) } -> std::same_as<typename W::public_key>;
    { w.fingerprint(pub) } -> std::same_as<digest256>;
};

}  // namespace wrap

/// A complete wrap policy: `wrap_traits && wrap_seal && wrap_open && wrap_keys`.
template <class W>
concept wrap_policy = wrap::wrap_traits<W> && wrap::wrap_seal<W> && wrap::wrap_open<W> && wrap::wrap_keys<W>;

}  // namespace escrow
