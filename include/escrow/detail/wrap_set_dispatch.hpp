// SPDX-License-Identifier: MIT
/// @file
/// `detail::wrap_set_dispatch<Ws...>`: the wrap-set host's choice of the member a key belongs to,
/// by the key's type, over the closed compile-time list `Ws...`. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/record.hpp"
#include "escrow/store/concept.hpp"
#include "escrow/wrap/set.hpp"

namespace escrow::detail {

/// Calls a function with the member `W` of `Ws...` whose key type a key holds, as
/// `f(std::type_identity<W>{}, key)`.
template <class... Ws>
struct wrap_set_dispatch {
    /// The member whose public or private key type is `K`, as `std::type_identity<W>`; a type no
    /// member has does not compile.
    template <class K>
    static constexpr auto member_of() {
        constexpr std::size_t i = [] {
            std::size_t n = 0, at = sizeof...(Ws);
            ((std::is_same_v<K, typename Ws::public_key> || std::is_same_v<K, typename Ws::private_key> ? (at = n, ++n)
                                                                                                           : ++n),
             ...);
            return at;
        }();
        static_assert(i < sizeof...(Ws), "escrow: this key type is no member's of the wrap set");
        return std::type_identity<std::tuple_element_t<i, std::tuple<Ws...>>>{};
    }

    /// `f` with the member whose key type the variant `key` holds, and that key.
    template <class Variant, class F>
    static decltype(auto) visit_key(const Variant& key, F&& f) {
        return std::visit(
            [&](const auto& k) -> decltype(auto) {
                using K = std::decay_t<decltype(k)>;
                return f(member_of<K>(), k);
            },
            key);
    }

    /// The wrap id of entry `r` of `h`: its own (a native file of several wraps), else that of the
    /// member whose stanza type it names (age; 0 for a type no member has), else the file's.
    [[nodiscard]] static std::uint16_t entry_wrap_id(const file_header& h, const recipient_entry& r) {
        if (r.wrap_id != 0) return r.wrap_id;
        if (r.type.empty()) return h.wrap_id;
        std::uint16_t id = 0;
        ((id == 0 && r.type == Ws::stanza_type ? void(id = Ws::id) : void()), ...);
        return id;
    }

    /// In a format without roles (age), marks as the owner's the first entry of `h` of a member's
    /// wrap that is none of `records`' entries (their blobs, encoded by `store` as `Cipher`'s), as
    /// `store::owner_entry` finds it for one wrap: the files this library writes list the owner
    /// first, and a k-of-n age file lists the owner's stanza alone. Where roles are written
    /// (`owner_lookup::by_role`), the owner's entry says so already: nothing to do.
    /// @throws escrow::error `malformed_header` when there is none.
    template <class Cipher, class Store>
    static void mark_owner(Store& store, file_header& h, std::span<const escrow_record> records) {
        if constexpr (store_options<Store>.owner_entry == store::owner_lookup::first_not_authority) {
            for (auto& r : h.recipients) {
                bool records_entry = false;
                const bool member = wrap::visit_member_id<wrap_set<Ws...>>(entry_wrap_id(h, r), [&](auto m) {
                    using W = typename decltype(m)::type;
                    const bytes text = store.template encode_blob<Cipher, W>(r.key);
                    for (const auto& rec : records)
                        records_entry = records_entry || (rec.wrap_id == W::id && rec.wrapped_key == text);
                });
                if (!member || records_entry) continue;
                r.role = recipient_role::owner;
                return;
            }
            throw error(errc::malformed_header, "the file has no owner recipient to replace");
        }
    }

    /// `f` with a key given as the variant `Variant` or as one member's own key type (no copy of a
    /// move-only key).
    template <class Variant, class Key, class F>
    static decltype(auto) with_key(const Key& key, F&& f) {
        if constexpr (std::is_same_v<Key, Variant>) return visit_key(key, f);
        else return f(member_of<Key>(), key);
    }
};

}  // namespace escrow::detail
