// SPDX-License-Identifier: MIT
/// @file
/// The `store_policy` concept: the file layout that carries recipient blobs and the payload, and
/// the blob format of escrow records.
#pragma once

#include <array>
#include <concepts>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "escrow/cipher/concept.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/shamir.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow {

/// Whom a recipient blob in a file header is for.
enum class recipient_role : std::uint8_t {
    unknown = 0,    ///< the format does not say (age stanzas)
    owner = 1,      ///< the file's owner
    authority = 2,  ///< a backup authority (a copy of the blob its escrow record carries)
};

/// One wrapped session key in a file header.
///
/// `type` is the recipient type as a typed format names it (an age stanza's first argument, such
/// as "X25519"); it is empty in formats whose recipients all belong to the file's one wrap. A store
/// keeps entries of foreign types (with their type set) so that rewriting a header preserves them;
/// the host offers the wrap only entries whose type is empty or equals `Wrap::stanza_type`.
struct recipient_entry {
    /// Whose blob this is: the owner's or an authority's (`unknown` where the format does not say).
    recipient_role role = recipient_role::unknown;
    /// The wrapped session key, as the wrap produced it.
    wrapped_key key;
    /// The stanza type of a foreign entry (age); empty for the host's own wrap.
    std::string type;
    /// The entry's own wrap id, where entries of one file differ (a native file a `wrap_set` host
    /// wrote for keys of several types); 0 when the entry is of the file's wrap (`file_header::wrap_id`).
    std::uint16_t wrap_id = 0;
};

/// The k-of-n section of a threshold file's header (docs/format.md): K, N, and per share index a
/// commitment (`shamir::commitment` under `salt`), all covered by the header MAC. The shares
/// themselves travel in the authorities' share records, never in the header.
struct threshold_section {
    std::uint8_t threshold = 0;                ///< K: shares needed
    std::uint8_t share_count = 0;              ///< N: shares made, one per authority
    std::array<byte, shamir::commitment_salt_size> salt{};  ///< the per-file salt of the commitments
    std::vector<digest256> commitments;        ///< N commitments, share index i at [i - 1]
};

/// A file header, format-neutral: what a store writes before the payload and parses back.
struct file_header {
    std::uint16_t cipher_id = 0;               ///< the Cipher's id
    std::uint16_t wrap_id = 0;                 ///< the Wrap's id
    bytes nonce;                               ///< the Cipher's per-file nonce or salt
    std::vector<recipient_entry> recipients;   ///< owner first when the format knows roles
    key_info info;                             ///< empty where the format does not carry it
    bytes authenticated;                       ///< the exact header bytes the MAC covers
    bytes mac;                                 ///< the header MAC; empty for unauthenticated formats
    std::optional<threshold_section> threshold;  ///< present in a k-of-n file only
};

namespace store {

// As for wraps, requirements are calls on an object `s`; static member functions satisfy them.

/// Names. Requirements: `S` is copyable; `S::name` (`std::string_view`) and `S::id`
/// (`std::uint16_t`).
template <class S>
concept store_traits = std::copy_constructible<S> && requires {
    { S::name } -> std::convertible_to<std::string_view>;
    { S::id } -> std::convertible_to<std::uint16_t>;
};

/// Compatibility, the one place a store says what its format can carry. Requirement:
/// `S::template carries<C, W>`, a `static constexpr bool` variable template, true when the format
/// carries cipher `C` with wrap `W`. The host refuses (`static_assert`) a combination it is false
/// for; code that picks among stores at compile time (the backup authority) asks it without
/// stopping the build.
template <class S, class C, class W>
concept store_compatibility = requires {
    { S::template carries<C, W> } -> std::convertible_to<bool>;
};

/// Headers. Requirements, for the cipher `C` and wrap `W` it accepts:
/// - `s.template write_header<C, W>(sink, header, key)` writes the header (filling `authenticated`
///   and `mac`);
/// - `s.template read_header<C, W>(source)` parses one, bounding every length before allocating,
///   and leaves the source at the first payload byte; its `recipients` hold the entries `W` may open
///   (type empty or `W::stanza_type`) and, in typed formats, foreign entries with their `type` set;
/// - `s.template verify_header<C, W>(header, key)` checks the MAC in constant time.
///
/// Laws: `read_header(write_header(h))` gives back `h`'s fields (the roles too, unless the store
/// states `owner_lookup::first_not_authority`: then they read back `unknown`); with
/// `header_check::mac` (the default), `verify_header` holds for the key the header was written
/// with and fails for any other key or any changed header byte; with `header_check::payload`, it
/// holds for every key of the cipher's size.
template <class S, class C, class W>
concept store_header = requires(S& s, memory_sink& out, memory_source& in, file_header& h, const file_header& ch,
                                const session_key& k) {
    s.template write_header<C, W>(out, h, k);
    { s.template read_header<C, W>(in) } -> std::same_as<file_header>;
    { s.template verify_header<C, W>(ch, k) } -> std::same_as<bool>;
};

/// Record blobs. Requirements: `s.template encode_blob<C, W>(w)` gives the bytes an escrow record
/// carries (a SIMPLEBLOB for CryptoAPI, a stanza for age) and `decode_blob` parses them back,
/// throwing `errc::malformed_blob` on anything else. Law: `decode_blob(encode_blob(w)) == w`.
template <class S, class C, class W>
concept store_blob = requires(S& s, const wrapped_key& w, byte_view b) {
    { s.template encode_blob<C, W>(w) } -> std::same_as<bytes>;
    { s.template decode_blob<C, W>(b) } -> std::same_as<wrapped_key>;
};

/// How a format authenticates its header (`store::options::header_check`).
enum class header_check : std::uint8_t {
    /// `verify_header(h, k)` checks a MAC keyed from the session key: it holds for the key the
    /// header was written with and fails for any other key or any changed header byte.
    mac,
    /// The header has no MAC (CryptoAPI): `verify_header` holds for any key of the cipher's size,
    /// and only the payload's own checks (a CBC padding) tell a wrong key. A host that must know a
    /// key is the file's (to apply a re-wrapped owner blob) decrypts the payload, keeping nothing.
    payload,
};

/// How the owner's entry of a header is found (`store::options::owner_entry`).
enum class owner_lookup : std::uint8_t {
    /// Each entry's role is written: the owner's is the one entry with `recipient_role::owner`.
    by_role,
    /// Roles are not written (age lists stanzas only): entries read back as
    /// `recipient_role::unknown`, and the owner's is the first of the wrap's type that is not the
    /// authority's own blob (which the caller must then give).
    first_not_authority,
};

/// How a reader decides the final flag of a payload chunk (`store::options::final_chunk`).
enum class final_chunk_rule : std::uint8_t {
    /// By the look-ahead alone: a chunk is the last when what remains fits in a final chunk.
    look_ahead,
    /// As the look-ahead says, but a full-size chunk that fails under that flag is opened under the
    /// other one too (age's reader, which cannot know yet whether more follows): its plaintext,
    /// authenticated, is released, and then the framing error (data after the final chunk, or no
    /// final chunk) is reported, so that exactly what the format's own reader releases is released.
    try_both_on_full_chunks,
};

/// A store's format-specific behaviour, each with a default, stated by specialising
/// `escrow::store_options` with designated initializers (a misspelt option is a compile error):
///
///     template <> inline constexpr escrow::store::options escrow::store_options<my_store> = {.owner_entry = ...};
struct options {
    header_check header = header_check::mac;                           ///< how the header is authenticated
    owner_lookup owner_entry = owner_lookup::by_role;                 ///< how the owner's entry is found
    final_chunk_rule final_chunk = final_chunk_rule::look_ahead;      ///< the payload's final-chunk rule
    /// True when the format writes and reads a header's `threshold_section` (k-of-n files): a
    /// host refuses a threshold for a store that would drop it.
    bool threshold = false;
};

/// The store states its options through `escrow::store_options` only: none of the old member hooks,
/// which this library no longer reads (a store declaring `full_chunks_try_both_flags` as a member
/// would silently behave otherwise).
template <class S>
concept store_options_stated = !requires { S::full_chunks_try_both_flags; };

/// True when the store `S` carries the cipher `C` and the wrap `W`: `S::carries<C, W>`, or false
/// when `S` states no such member.
template <class S, class C, class W>
inline constexpr bool carries = [] {
    if constexpr (store_compatibility<S, C, W>) return static_cast<bool>(S::template carries<C, W>);
    else return false;
}();

}  // namespace store

/// The format-specific behaviour of store `S` (`store::options`); specialise it for your store.
template <class S>
inline constexpr store::options store_options = {};

namespace store {

/// The owner's entry of `h`, found as store `S` states (`store_options<S>.owner_entry`): by its role,
/// or, in a format without roles, as the first entry of `W`'s type that is not `authority_blob`.
/// @throws escrow::error `malformed_header` when there is none, or when the format records no
/// roles and `authority_blob` is null.
template <class S, class W>
[[nodiscard]] recipient_entry& owner_entry(file_header& h, const wrapped_key* authority_blob) {
    if constexpr (store_options<S>.owner_entry == owner_lookup::by_role) {
        for (auto& r : h.recipients)
            if (r.role == recipient_role::owner) return r;
    } else {
        if (!authority_blob)
            throw error(errc::malformed_header,
                        "the file records no recipient roles: the authority's blob is needed to tell the owner's entry");
        for (auto& r : h.recipients) {
            if (!r.type.empty() && r.type != std::string_view(W::stanza_type)) continue;
            if (r.key.args == authority_blob->args && r.key.body == authority_blob->body) continue;
            return r;
        }
    }
    throw error(errc::malformed_header, "the file has no owner recipient to replace");
}

}  // namespace store

/// A complete store policy for cipher `C` and wrap `W`: names, compatibility, headers, blobs, and
/// options stated through `escrow::store_options` only.
template <class S, class C, class W>
concept store_policy = store::store_traits<S> && store::store_compatibility<S, C, W> && store::store_header<S, C, W> &&
                       store::store_blob<S, C, W> && store::store_options_stated<S>;

}  // namespace escrow
