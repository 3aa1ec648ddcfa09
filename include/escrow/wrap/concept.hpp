// SPDX-License-Identifier: MIT
/// @file
/// The `wrap_policy` concept: how a session key is wrapped for one recipient key.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
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
/// - `W::id`: a `std::uint16_t` written into files and records (the library's in 0x0001-0x7FFF,
///   checked by escrow/registry.hpp; user-defined from 0x8000, escrow/core/ids.hpp);
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
/// Law: `unwrap(wrap(k, public_of(priv)), priv)` holds `k`, for every session key size the wrap
/// allows (`wrap_options<W>.min_key_size` to `max_key_size`). Unless the wrap declares
/// `implicit_rejection`, a key wrapped for another recipient gives `std::nullopt`; a scheme without
/// a reliable "not for me" signal (PKCS#1 v1.5 with implicit rejection) returns a pseudo-random key
/// instead, and the host's header MAC is the only judge.
template <class W>
concept wrap_open = requires(W& w, const wrapped_key& wk, const typename W::private_key& priv) {
    { w.unwrap(wk, priv) } -> std::same_as<std::optional<session_key>>;
};

/// Sized unwrapping, required when the wrap opts in (`wrap_options<W>.sized_unwrap`):
/// `w.unwrap(wk, priv, expected_size)` returns a key of exactly `expected_size` bytes, or
/// `std::nullopt` when `wk` is not for `priv`. Hosts call it with their cipher's key size.
///
/// A scheme without a reliable "not for me" signal (RSA PKCS#1 v1.5 with implicit rejection) needs
/// it, so that a block whose padding is valid but whose length is wrong is treated exactly like a
/// block with bad padding (a pseudo-random key of the expected size), and no error path tells the
/// two apart. A format that fixes the key size (age's 16-byte file key) uses it to refuse a body
/// of any other size as malformed. Law: `unwrap(wrap(k), priv, k.size())` holds `k`.
template <class W>
concept wrap_open_sized = requires(W& w, const wrapped_key& wk, const typename W::private_key& priv, std::size_t n) {
    { w.unwrap(wk, priv, n) } -> std::same_as<std::optional<session_key>>;
};

/// A wrap's optional capabilities and the facts its laws depend on, each with a default. A wrap
/// states them by specialising `escrow::wrap_options` with designated initializers (a misspelt
/// option is a compile error):
///
///     template <> inline constexpr escrow::wrap::options escrow::wrap_options<my_wrap> = {.max_key_size = 64};
struct options {
    /// The session key sizes, in bytes, that `wrap` takes and `unwrap` gives back (every size in
    /// between too). A host refuses at compile time a cipher whose `key_size` is outside.
    /// @{
    std::size_t min_key_size = 16;
    std::size_t max_key_size = 32;
    /// @}
    /// The wrap provides `unwrap(wk, priv, expected_size)` (`wrap_open_sized`), and hosts call it.
    bool sized_unwrap = false;
    /// A key wrapped for another recipient may unwrap to a pseudo-random key rather than
    /// `std::nullopt` (no reliable "not for me" signal); requires `sized_unwrap`.
    bool implicit_rejection = false;
    /// `fingerprint` identifies the public key: distinct keys give distinct fingerprints, so an
    /// escrow record names its authority. A passphrase wrap sets it false: its fingerprint is the
    /// same for every passphrase, so that it offers no verifier to guess passphrases against.
    bool identifies_key = true;
    /// The wrap resists a quantum adversary (age's `mlkem768x25519`). The age spec says a file
    /// SHOULD NOT be encrypted to both such recipients and classical ones: a `wrap_set` whose
    /// members disagree does not compile, and a host never writes a file that mixes them.
    bool post_quantum = false;
    /// The most bytes one of `wrapped_key::args` may hold. A store whose format gives an argument
    /// a bounded length (the native blob: one byte) carries only the wraps whose arguments fit.
    std::size_t max_argument_size = 255;
};

/// Keys. Requirements: `w.public_of(priv)` gives the matching public key, `w.fingerprint(pub)`
/// a SHA-256 that identifies it in escrow records.
///
/// Law: with `wrap_options<W>.identifies_key` (the default), distinct public keys give distinct
/// fingerprints; without it, every key gives the same fingerprint.
template <class W>
concept wrap_keys = requires(W& w, const typename W::private_key& priv, const typename W::public_key& pub) {
    { w.public_of(priv) } -> std::same_as<typename W::public_key>;
    { w.fingerprint(pub) } -> std::same_as<digest256>;
};

}  // namespace wrap

/// The optional capabilities of wrap `W` (`wrap::options`); specialise it for your wrap.
template <class W>
inline constexpr wrap::options wrap_options = {};

/// The library wrap whose id, stanza type and wire format `W` shares: `W` itself by default.
///
/// A wrap that keeps the same algorithm's private key elsewhere (in a PKCS#11 token,
/// escrow/wrap/pkcs11.hpp) specialises it to name the library's wrap it stands in for: it then
/// takes that wrap's id (records and files made with either open with the other), and a store that
/// carries the library's wrap by its exact type (`store::cryptoapi`) carries it too.
template <class W>
struct wrap_format {
    /// The library's wrap that `W` writes and reads the formats of.
    using type = W;
};

/// `wrap_format<W>::type`.
template <class W>
using wrap_format_t = typename wrap_format<W>::type;

namespace wrap {

/// The options a wrap states are consistent and what it opts into exists: key sizes from 1 up,
/// the sized `unwrap` when `sized_unwrap` (or `implicit_rejection`) says so, and no sized `unwrap`
/// that the host would silently ignore.
template <class W>
concept wrap_options_stated =
    wrap_options<W>.min_key_size >= 1 && wrap_options<W>.min_key_size <= wrap_options<W>.max_key_size &&
    (!wrap_options<W>.implicit_rejection || wrap_options<W>.sized_unwrap) &&
    (wrap_options<W>.sized_unwrap == wrap_open_sized<W>);

/// Unwraps `wk` expecting a session key of `expected_size` bytes: through the sized form when the
/// wrap opts into it (`wrap_options<W>.sized_unwrap`), else through `unwrap` (the caller then
/// checks the size).
template <class W>
[[nodiscard]] std::optional<session_key> unwrap_expecting(W& w, const wrapped_key& wk, const typename W::private_key& priv,
                                                          std::size_t expected_size) {
    if constexpr (wrap_options<std::remove_const_t<W>>.sized_unwrap) return w.unwrap(wk, priv, expected_size);
    else return w.unwrap(wk, priv);
}

}  // namespace wrap

/// A complete wrap policy: `wrap_traits && wrap_seal && wrap_open && wrap_keys`, with its options
/// stated through `escrow::wrap_options`.
template <class W>
concept wrap_policy = wrap::wrap_traits<W> && wrap::wrap_seal<W> && wrap::wrap_open<W> && wrap::wrap_keys<W> &&
                      wrap::wrap_options_stated<W>;

}  // namespace escrow
