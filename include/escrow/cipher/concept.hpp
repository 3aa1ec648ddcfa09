// SPDX-License-Identifier: MIT
/// @file
/// The `cipher_policy` concept: how a payload is encrypted, chunk by chunk.
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/stand_in.hpp"

namespace escrow {

namespace cipher {

/// Names, sizes and framing. Requirements:
/// - `C::name` (`std::string_view`), `C::id` (`std::uint16_t`; ranges in escrow/core/ids.hpp);
/// - `C::key_size`: session key bytes; `C::nonce_size`: per-file nonce or salt bytes (may be 0);
/// - `C::chunk_size`: plaintext bytes in every chunk but the last;
/// - `C::sealed_chunk_size`: bytes of a sealed non-final chunk;
/// - `C::min_final_sealed_size`, `C::max_final_sealed_size`: the range of a sealed final chunk;
/// - `C::sealed_size(n, last)`: bytes of a sealed chunk holding `n` plaintext bytes.
///
/// Framing laws: the payload is a sequence of chunks; every chunk but the last holds exactly
/// `chunk_size` plaintext bytes and the last holds 1 to `chunk_size` (0 only when the whole payload
/// is empty). `sealed_chunk_size <= max_final_sealed_size`, so a reader knows a chunk is the last
/// exactly when what remains of the input is at most `max_final_sealed_size` bytes.
///
/// Optional capabilities are not members of `C`: they are stated in `escrow::cipher_options<C>`
/// (below), whose defaults hold for a cipher that says nothing.
template <class C>
concept cipher_traits = requires(std::size_t n, bool last) {
    { C::name } -> std::convertible_to<std::string_view>;
    { C::id } -> std::convertible_to<std::uint16_t>;
    { C::key_size } -> std::convertible_to<std::size_t>;
    { C::nonce_size } -> std::convertible_to<std::size_t>;
    { C::chunk_size } -> std::convertible_to<std::size_t>;
    { C::sealed_chunk_size } -> std::convertible_to<std::size_t>;
    { C::min_final_sealed_size } -> std::convertible_to<std::size_t>;
    { C::max_final_sealed_size } -> std::convertible_to<std::size_t>;
    { C::sealed_size(n, last) } -> std::same_as<std::size_t>;
    requires C::chunk_size > 0 && C::key_size > 0;
};

/// Sealing. Requirements: `typename C::sealer`, constructible from `(const session_key&, byte_view
/// nonce)`, with `s.seal(index, plain, last, out)` writing `C::sealed_size(plain.size(), last)`
/// bytes to `out` and returning that count.
///
/// Law: a (key, nonce, index) triple is used once; `index` counts chunks from 0 and `last` marks
/// the final chunk, so that reordering, dropping or truncating chunks is detected on opening.
template <class C>
concept cipher_seal = requires(typename C::sealer& s, std::uint64_t i, byte_view in, bool last, mutable_byte_view out) {
    requires std::constructible_from<typename C::sealer, const session_key&, byte_view>;
    { s.seal(i, in, last, out) } -> std::same_as<std::size_t>;
};

/// Opening. Requirements: `typename C::opener`, constructible like the sealer, with
/// `o.open(index, sealed, last, out)` writing the plaintext to `out` and returning its size, or
/// throwing `escrow::error` (`authentication_failed`) without releasing any of it.
///
/// Law: `open(i, seal(i, p, last), last) == p`; any other index, flag, key or nonce fails.
template <class C>
concept cipher_open = requires(typename C::opener& o, std::uint64_t i, byte_view in, bool last, mutable_byte_view out) {
    requires std::constructible_from<typename C::opener, const session_key&, byte_view>;
    { o.open(i, in, last, out) } -> std::same_as<std::size_t>;
};

/// A cipher's optional capabilities, each an explicit opt-in with a default. A cipher states
/// them by specialising `escrow::cipher_options` with designated initializers, so that a misspelt
/// option is a compile error rather than a silent default:
///
///     template <> inline constexpr escrow::cipher::options escrow::cipher_options<my_cipher> = {.parallel_chunks = true};
struct options {
    /// A chunk's output depends only on the key, the nonce, its index and its final flag, never
    /// on other chunks, so separate sealers (openers) built from the same key and nonce may process
    /// chunks in any order on any thread. Hosts then run payloads between streams through their
    /// parallel pipeline (when also `sealed_chunk_size == max_final_sealed_size`). A cipher that
    /// chains state from chunk to chunk (CBC) leaves it false.
    bool parallel_chunks = false;
    /// Every chunk is authenticated: `open` throws `authentication_failed` for any changed byte,
    /// index, flag, key or nonce, and releases nothing of that chunk. A cipher without integrity
    /// (CryptoAPI's CBC, which only checks the final padding) sets it false; formats that require
    /// integrity (`store::native`) refuse it.
    bool authenticated = true;
};

/// Checks the options a cipher states: none of the old member hooks, which this library no longer
/// reads (a cipher declaring `parallel_chunks` as a member would silently run sequentially).
template <class C>
concept cipher_options_stated = !requires { C::parallel_chunks; };

}  // namespace cipher

/// The optional capabilities of cipher `C` (`cipher::options`); specialise it for your cipher.
template <class C>
inline constexpr cipher::options cipher_options = {};

/// The library cipher whose id and wire format `C` shares: `C` itself by default.
///
/// A cipher that computes one of the library's ciphers with another implementation (OpenSSL's
/// ChaCha20, escrow/cipher/openssl_chacha20_poly1305.hpp) names it with a member
/// `using stands_for = ...;`: it then takes that cipher's id and options, its files are byte for
/// byte the same, and a store that carries the library's cipher by its exact type (`store::age`)
/// carries it too. The same rule as `escrow::wrap_format` for wraps.
template <class C>
struct cipher_format : stand_in_format<C> {};

/// `cipher_format<C>::type`.
template <class C>
using cipher_format_t = typename cipher_format<C>::type;

/// A stand-in cipher: the options of the cipher it names.
template <class C>
    requires requires { typename C::stands_for; }
inline constexpr cipher::options cipher_options<C> = cipher_options<typename C::stands_for>;

/// A complete cipher policy: `cipher_traits && cipher_seal && cipher_open`, with its options stated
/// through `escrow::cipher_options` only.
template <class C>
concept cipher_policy =
    cipher::cipher_traits<C> && cipher::cipher_seal<C> && cipher::cipher_open<C> && cipher::cipher_options_stated<C>;

}  // namespace escrow
