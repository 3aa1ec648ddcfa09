// SPDX-License-Identifier: MIT
/// @file
/// The laws of `store_policy<S, C, W>`, as functions that throw `escrow::testing::law_violation`:
/// run them over your own store, with a cipher and wrap it carries and two private keys of the
/// wrap, as tests/laws runs them over the library's stores and every combination they carry.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/payload_engine.hpp"
#include "escrow/store/concept.hpp"
#include "escrow/testing/law_violation.hpp"

namespace escrow::testing {

/// What the store laws need: the store, cipher and wrap, the wrap object, an owner's and an
/// authority's private key, and the key info to write.
template <class S, class C, class W>
struct store_case {
    /// The store under test.
    S& store;
    /// The wrap object that wraps the session key for each entry.
    W& wrap;
    /// The owner's private key.
    const typename W::private_key& owner;
    /// The authority's private key.
    const typename W::private_key& authority;
    /// The key info written into headers.
    key_info info{"LAWS-0001", "the law suite's file", "laws@example.org", 1700000000};

    /// A header as a host fills it before writing: ids, nonce, the owner's entry and, unless
    /// `alone`, the authority's.
    [[nodiscard]] file_header header(const session_key& k, bool alone = false) const {
        file_header h;
        h.cipher_id = C::id;
        h.wrap_id = W::id;
        h.nonce = detail::pattern(C::nonce_size, 31);
        h.info = info;
        h.recipients.push_back({recipient_role::owner, wrap.wrap(k, wrap.public_of(owner), default_random()), {}, 0});
        if (!alone)
            h.recipients.push_back({recipient_role::authority, wrap.wrap(k, wrap.public_of(authority), default_random()), {}, 0});
        return h;
    }
    /// A header written: owner and authority, or the owner alone where the format takes this
    /// wrap only alone (`write_header` refuses two entries with `invalid_argument`: age's scrypt).
    [[nodiscard]] bytes written(file_header& h, const session_key& k) const {
        h = header(k);
        try {
            return write(h, k);
        } catch (const error& e) {
            if (e.kind() != errc::invalid_argument) throw;
        }
        h = header(k, true);
        return write(h, k);
    }
    /// `h` written by the store under `k`, as bytes.
    [[nodiscard]] bytes write(file_header& h, const session_key& k) const {
        memory_sink out;
        store.template write_header<C, W>(out, h, k);
        return std::move(out).take();
    }
    /// The header the store reads from `b`.
    [[nodiscard]] file_header read(byte_view b) const {
        memory_source in(b);
        return store.template read_header<C, W>(in);
    }
};

namespace detail {
inline bool same_wrapped(const wrapped_key& a, const wrapped_key& b) { return a.args == b.args && a.body == b.body; }
template <class C>
session_key store_key(unsigned seed) {
    return session_key::from_unsafe_bytes(pattern(C::key_size, seed));
}
}  // namespace detail

/// Headers read back: `read_header(write_header(h))` gives back the ids and the nonce; the key info,
/// or none where the format does not carry it; the entries in order (a format may keep only the
/// owner's), with their roles unless the store states `owner_lookup::first_not_authority` (then
/// `unknown`); the owner's entry where `store::owner_entry` finds it; and a header read back
/// writes the same bytes again.
template <class S, class C, class W>
void store_header_round_trip(const store_case<S, C, W>& t) {
    const std::string_view p = S::name;
    const session_key k = detail::store_key<C>(32);
    file_header h;
    const bytes written = t.written(h, k);
    file_header back = t.read(written);
    detail::require(back.cipher_id == C::id && back.wrap_id == W::id, p, "read_header gives back the policy ids");
    detail::require(back.nonce == h.nonce, p, "read_header gives back the nonce");
    const key_info none{};
    const bool info_kept = back.info.serial == h.info.serial && back.info.description == h.info.description &&
                           back.info.owner == h.info.owner && back.info.created == h.info.created;
    const bool info_absent = back.info.serial == none.serial && back.info.description == none.description &&
                             back.info.owner == none.owner && back.info.created == none.created;
    detail::require(info_kept || info_absent, p, "read_header gives back the key info, or none");
    std::size_t j = 0;
    for (const auto& r : back.recipients) {
        while (j < h.recipients.size() && !detail::same_wrapped(h.recipients[j].key, r.key)) ++j;
        detail::require(j < h.recipients.size(), p, "read_header gives back written entries, in order");
        detail::require(r.type.empty() || r.type == W::stanza_type, p, "entries of the wrap's own type read back as such");
        if constexpr (store_options<S>.owner_entry == store::owner_lookup::by_role)
            detail::require(r.role == h.recipients[j].role, p, "entries read back with their roles");
        else
            detail::require(r.role == recipient_role::unknown, p, "a format without roles reads entries back as unknown");
        ++j;
    }
    const wrapped_key authority_blob =
        h.recipients.size() > 1 ? h.recipients[1].key : t.wrap.wrap(k, t.wrap.public_of(t.authority), default_random());
    detail::require(detail::same_wrapped(store::owner_entry<S, W>(back, &authority_blob).key, h.recipients[0].key), p,
                    "store::owner_entry finds the owner's entry");
    detail::require(t.write(back, k) == written, p, "a header read back writes the same bytes");
}

/// Header authentication. With `header_check::mac`: `verify_header` holds for the key the header
/// was written with, fails for another key, and every changed byte of a written header (up to the
/// first payload byte) is caught, by `read_header`, by `verify_header` or by the payload that the
/// header's nonce and key open. With `header_check::payload`: `verify_header` holds for every key
/// of the cipher's size (only the payload tells a wrong key), and the law stops there.
template <class S, class C, class W>
void store_header_authentication(const store_case<S, C, W>& t) {
    const std::string_view p = S::name;
    const session_key k = detail::store_key<C>(33), other = detail::store_key<C>(34);
    file_header h;
    const bytes header = t.written(h, k);
    const file_header back = t.read(header);
    detail::require(t.store.template verify_header<C, W>(back, k), p, "verify_header holds for the header's own key");
    if constexpr (store_options<S>.header == store::header_check::payload) {
        detail::require(t.store.template verify_header<C, W>(back, other), p,
                        "without a header MAC, verify_header holds for any key of the cipher's size");
    } else {
        detail::require(!t.store.template verify_header<C, W>(back, other), p, "verify_header fails for another key");
        using engine = escrow::detail::payload_engine<C, store_options<S>.final_chunk>;
        const bytes plain = detail::pattern(100, 35);
        memory_source pin(plain);
        memory_sink file;
        file.write(header);
        engine::seal(pin, file, k, h.nonce, 1);
        for (std::size_t i = 0; i < header.size(); ++i) {
            bytes changed = file.data();
            changed[i] ^= 0x20;
            bool caught = false;
            try {
                memory_source in(changed);
                file_header ch = t.store.template read_header<C, W>(in);
                if (!t.store.template verify_header<C, W>(ch, k)) {
                    caught = true;
                } else {
                    memory_sink out;
                    engine::open(in, out, k, ch.nonce, 1);
                }
            } catch (const error&) {
                caught = true;
            }
            detail::require(caught, p, "every changed header byte is caught", "byte " + std::to_string(i));
        }
    }
}

/// Record blobs: `decode_blob(encode_blob(w)) == w` for the wrap's own wrapped keys, and
/// `decode_blob` of no bytes throws `malformed_blob`.
template <class S, class C, class W>
void store_blob_round_trip(const store_case<S, C, W>& t) {
    const std::string_view p = S::name;
    const session_key k = detail::store_key<C>(36);
    for (const auto* priv : {&t.owner, &t.authority}) {
        const wrapped_key w = t.wrap.wrap(k, t.wrap.public_of(*priv), default_random());
        const bytes blob = t.store.template encode_blob<C, W>(w);
        detail::require(detail::same_wrapped(t.store.template decode_blob<C, W>(blob), w), p,
                        "decode_blob(encode_blob(w)) == w");
    }
    bool refused = false;
    try {
        (void)t.store.template decode_blob<C, W>(byte_view{});
    } catch (const error& e) {
        refused = e.kind() == errc::malformed_blob;
    }
    detail::require(refused, p, "decode_blob of no bytes throws malformed_blob");
}

/// Every store law above.
template <class S, class C, class W>
void store_laws(const store_case<S, C, W>& t) {
    static_assert(store_policy<S, C, W>, "the law suite runs over a store_policy");
    detail::require(store::carries<S, C, W>, S::name, "the store carries the cipher and wrap it is tested with");
    store_header_round_trip(t);
    store_header_authentication(t);
    store_blob_round_trip(t);
}

}  // namespace escrow::testing
