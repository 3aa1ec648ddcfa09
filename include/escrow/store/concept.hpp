// SPDX-License-Identifier: MIT
/// @file
/// The `store_policy` concept: the file layout that carries recipient blobs and the payload, and
/// the blob format of escrow records.
#pragma once

#include <boost/hana/contains.hpp>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/set.hpp>

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "escrow/cipher/concept.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/secret.hpp"
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
    recipient_role role = recipient_role::unknown;
    wrapped_key key;
    std::string type;
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
};

namespace store {

// As for wraps, requirements are calls on an object `s`; static member functions satisfy them.

/// Names and compatibility. Requirements:
/// - `S::name` (`std::string_view`) and `S::id` (`std::uint16_t`);
/// - `S::cipher_ids`, `S::wrap_ids`: Boost.Hana sets of `hana::integral_constant<std::uint16_t, id>`
///   naming what the format can carry;
/// - `S::template accepts<C, W>()`: a `consteval bool` that `static_assert`s, with a message naming
///   the preset to use instead, that the format carries `C` and `W`.
template <class S>
concept store_traits = std::copy_constructible<S> && requires {
    { S::name } -> std::convertible_to<std::string_view>;
    { S::id } -> std::convertible_to<std::uint16_t>;
    S::cipher_ids;
    S::wrap_ids;
};

/// Headers. Requirements, for the cipher `C` and wrap `W` it accepts:
/// - `s.template write_header<C, W>(sink, header, key)` writes the header (filling `authenticated`
///   and `mac`);
/// - `s.template read_header<C, W>(source)` parses one, bounding every length before allocating,
///   and leaves the source at the first payload byte; its `recipients` hold the entries `W` may open
///   (type empty or `W::stanza_type`) and, in typed formats, foreign entries with their `type` set;
/// - `s.template verify_header<C, W>(header, key)` checks the MAC in constant time.
///
/// Laws: `read_header(write_header(h))` gives back `h`'s fields; `verify_header` holds for the key
/// the header was written with and fails for any other key or any changed header byte.
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

/// True when the store `S` can carry the cipher `C` and the wrap `W`: the non-asserting twin of
/// `S::accepts<C, W>()`, for code that picks among stores at compile time (the backup authority).
/// A store that states the rule itself declares `template <class C, class W> static constexpr bool
/// can_carry`; otherwise the answer is membership of both ids in `S::cipher_ids` and `S::wrap_ids`.
template <class S, class C, class W>
inline constexpr bool carries = [] {
    if constexpr (requires { { S::template can_carry<C, W> } -> std::convertible_to<bool>; }) {
        return static_cast<bool>(S::template can_carry<C, W>);
    } else {
        namespace hana = boost::hana;
        return hana::contains(S::cipher_ids, hana::integral_c<std::uint16_t, C::id>) &&
               hana::contains(S::wrap_ids, hana::integral_c<std::uint16_t, W::id>);
    }
}();

}  // namespace store

/// A complete store policy for cipher `C` and wrap `W`.
template <class S, class C, class W>
concept store_policy = store::store_traits<S> && store::store_header<S, C, W> && store::store_blob<S, C, W>;

}  // namespace escrow
