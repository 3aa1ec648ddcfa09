// SPDX-License-Identifier: MIT
/// @file
/// The compile-time checks `escrow_encryptor<Cipher, Wrap, Store>` makes of its policies: one
/// `static_assert` per sub-concept, whose message is the expected signature and a pointer to
/// docs/policies.md (tests/compile_fail keeps the messages honest).
#pragma once

#include <cstddef>
#include <type_traits>

#include "escrow/cipher/concept.hpp"
#include "escrow/registry.hpp"
#include "escrow/store/concept.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow {

namespace detail {

/// The host's checks, in the order a reader fixes them. Checks that need an earlier one to hold
/// are skipped until it does, so that the first message is the one to read.
template <class Cipher, class Wrap, class Store>
struct host_checks {
    static_assert(cipher::cipher_traits<Cipher>,
                  "Cipher must declare static constexpr members: std::string_view name; std::uint16_t id; "
                  "std::size_t key_size, nonce_size, chunk_size, sealed_chunk_size, min_final_sealed_size, "
                  "max_final_sealed_size; static constexpr std::size_t sealed_size(std::size_t plain, bool last) "
                  "(docs/policies.md#cipher)");
    static_assert(cipher::cipher_seal<Cipher>,
                  "Cipher must have a nested class sealer with sealer(const escrow::session_key&, escrow::byte_view "
                  "nonce) and std::size_t seal(std::uint64_t index, escrow::byte_view plain, bool last, "
                  "escrow::mutable_byte_view out) (docs/policies.md#cipher)");
    static_assert(cipher::cipher_open<Cipher>,
                  "Cipher must have a nested class opener with opener(const escrow::session_key&, escrow::byte_view "
                  "nonce) and std::size_t open(std::uint64_t index, escrow::byte_view sealed, bool last, "
                  "escrow::mutable_byte_view out) (docs/policies.md#cipher)");
    static_assert(cipher::cipher_options_stated<Cipher>,
                  "Cipher::parallel_chunks is not read: state the option as template <> inline constexpr "
                  "escrow::cipher::options escrow::cipher_options<Cipher> = {.parallel_chunks = true} "
                  "(docs/policies.md#options)");
    static_assert(wrap::wrap_traits<Wrap>,
                  "Wrap must be copyable and declare: static constexpr std::string_view name, stanza_type; "
                  "static constexpr std::uint16_t id; types public_key and private_key (docs/policies.md#wrap)");
    static_assert(wrap::wrap_seal<Wrap>,
                  "Wrap must provide escrow::wrapped_key wrap(const escrow::session_key&, const public_key&, "
                  "escrow::system_random&) (docs/policies.md#wrap)");
    static_assert(wrap::wrap_open<Wrap>,
                  "Wrap must provide std::optional<escrow::session_key> unwrap(const escrow::wrapped_key&, const "
                  "private_key&) (docs/policies.md#wrap)");
    static_assert(wrap::wrap_keys<Wrap>,
                  "Wrap must provide public_key public_of(const private_key&) and escrow::digest256 "
                  "fingerprint(const public_key&) (docs/policies.md#wrap)");
    static_assert(!wrap::wrap_traits<Wrap> || wrap::wrap_options_stated<Wrap>,
                  "escrow::wrap_options<Wrap> must hold 1 <= min_key_size <= max_key_size, implicit_rejection only "
                  "with sized_unwrap, and sized_unwrap exactly when Wrap provides std::optional<escrow::session_key> "
                  "unwrap(const escrow::wrapped_key&, const private_key&, std::size_t) (docs/policies.md#options)");
    static_assert(store::store_traits<Store>,
                  "Store must be copyable and declare: static constexpr std::string_view name; std::uint16_t id "
                  "(docs/policies.md#store)");
    static_assert(store::store_compatibility<Store, Cipher, Wrap>,
                  "Store must declare template <class C, class W> static constexpr bool carries, true when its "
                  "format carries cipher C with wrap W (docs/policies.md#compat)");
    static constexpr bool carried = [] {
        if constexpr (!store::store_compatibility<Store, Cipher, Wrap> || !cipher::cipher_traits<Cipher> ||
                      !wrap::wrap_traits<Wrap>)
            return true;  // reported above
        else if constexpr (store::carries<Store, Cipher, Wrap>)
            return true;
        else
            return typename decltype(registry::detail::nearest_carried<Cipher, Wrap>())::type{}.value;
    }();
    static_assert(carried, "Store::carries<Cipher, Wrap> is false: this store's format does not carry this cipher "
                           "with this wrap (docs/policies.md#compat)");
    static_assert(store::store_header<Store, Cipher, Wrap>,
                  "Store must provide template <class C, class W> members write_header(sink, escrow::file_header&, "
                  "const escrow::session_key&), escrow::file_header read_header(source) and bool "
                  "verify_header(const escrow::file_header&, const escrow::session_key&) (docs/policies.md#store)");
    static_assert(store::store_blob<Store, Cipher, Wrap>,
                  "Store must provide template <class C, class W> members escrow::bytes encode_blob(const "
                  "escrow::wrapped_key&) and escrow::wrapped_key decode_blob(escrow::byte_view) (docs/policies.md#store)");
    static_assert(store::store_options_stated<Store>,
                  "Store::full_chunks_try_both_flags is not read: state the option as template <> inline constexpr "
                  "escrow::store::options escrow::store_options<Store> = {.final_chunk = "
                  "escrow::store::final_chunk_rule::try_both_on_full_chunks} (docs/policies.md#options)");

    static constexpr bool framing = [] {
        if constexpr (cipher::cipher_traits<Cipher>)
            return Cipher::sealed_chunk_size <= Cipher::max_final_sealed_size &&
                   Cipher::min_final_sealed_size <= Cipher::max_final_sealed_size;
        else
            return true;
    }();
    static_assert(framing,
                  "Cipher framing: need sealed_chunk_size <= max_final_sealed_size and "
                  "min_final_sealed_size <= max_final_sealed_size");
    static constexpr bool key_size_taken = [] {
        if constexpr (cipher::cipher_traits<Cipher> && wrap::wrap_traits<Wrap>)
            return wrap_options<Wrap>.min_key_size <= Cipher::key_size && Cipher::key_size <= wrap_options<Wrap>.max_key_size;
        else
            return true;
    }();
    static_assert(key_size_taken,
                  "Wrap does not take session keys of Cipher::key_size bytes: see escrow::wrap_options<Wrap> "
                  "min_key_size and max_key_size (docs/policies.md#options)");
    static constexpr bool ids_lawful = [] {
        if constexpr (cipher::cipher_traits<Cipher> && wrap::wrap_traits<Wrap> && store::store_traits<Store>)
            return registry::id_lawful<registry::ciphers, Cipher> && registry::id_lawful<registry::wraps, Wrap> &&
                   registry::id_lawful<registry::stores, Store>;
        else
            return true;
    }();
    static_assert(ids_lawful,
                  "a policy outside the library's registry takes an id from the range reserved for user-defined "
                  "policies, 0x8000 to 0xFFFF (ids below 0x8000 are the library's; docs/policies.md#ids)");

    static constexpr bool value = true;
};

}  // namespace detail

}  // namespace escrow
