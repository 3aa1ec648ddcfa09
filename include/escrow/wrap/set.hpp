// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap_set<Ws...>`: a closed, compile-time set of wraps for one host, chosen among at run
/// time by the type of the key at hand (a `std::variant`; no virtual call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "escrow/wrap/concept.hpp"

namespace escrow {

/// Several wraps in one host (`escrow_encryptor<Cipher, wrap_set<Ws...>, Store>`): a file's
/// recipients may be of any of them, each entry wrapped and unwrapped by the wrap of its key.
///
/// Keys are `std::variant`s over the members' key types, which must be pairwise distinct (the key's
/// type says its wrap). Ids and stanza types must be distinct too (they say an entry's wrap).
/// The set holds one object of each wrap (`get<W>()`), so stateful wraps keep their state.
///
/// @tparam Ws `wrap_policy` types, at least one
template <class... Ws>
struct wrap_set {
    static_assert(sizeof...(Ws) >= 1, "escrow::wrap_set needs at least one wrap");
    static_assert((wrap_options<Ws>.post_quantum && ...) || (!wrap_options<Ws>.post_quantum && ...),
                  "escrow::wrap_set: post-quantum wraps (wrap_options<W>.post_quantum, e.g. wrap::mlkem768x25519) and "
                  "classical ones do not mix in one set; the age spec says a file SHOULD NOT be encrypted to both "
                  "(docs/policies.md, \"Post-quantum recipients\")");

    /// The public key of any member, as that member's type.
    using public_key = std::variant<typename Ws::public_key...>;
    /// The private key of any member, as that member's type.
    using private_key = std::variant<typename Ws::private_key...>;
    /// The members, in order.
    using members = std::tuple<Ws...>;
    /// Number of members.
    static constexpr std::size_t size = sizeof...(Ws);

    /// The member object `W`.
    template <class W>
    [[nodiscard]] W& get() noexcept { return std::get<W>(objects); }

    /// One object of each member.
    std::tuple<Ws...> objects;
};

/// True for a `wrap_set`.
template <class W>
inline constexpr bool is_wrap_set = false;
/// @cond
template <class... Ws>
inline constexpr bool is_wrap_set<wrap_set<Ws...>> = true;
/// @endcond

namespace wrap {

namespace detail_set {
template <class W>
struct members_of {
    using type = std::tuple<W>;
};
template <class... Ws>
struct members_of<wrap_set<Ws...>> {
    using type = std::tuple<Ws...>;
};

template <class... Ts>
constexpr bool distinct() {
    if constexpr (sizeof...(Ts) < 2) {
        return true;
    } else {
        return [] <class T, class... Rest>(std::type_identity<T>, std::type_identity<Rest>...) {
            return (!std::is_same_v<T, Rest> && ...) && distinct<Rest...>();
        }(std::type_identity<Ts>{}...);
    }
}
}  // namespace detail_set

/// True when a wrap of `W` (a set's member, or `W`) is post-quantum (`wrap_options<W>.post_quantum`):
/// a set's members all are or none is.
template <class W>
inline constexpr bool post_quantum = [] {
    bool pq = false;
    [&]<class... Ms>(std::type_identity<std::tuple<Ms...>>) { pq = (wrap_options<Ms>.post_quantum || ...); }(
        std::type_identity<typename detail_set::members_of<W>::type>{});
    return pq;
}();

/// The wraps of `W`: the members of a set, or `W` alone, as a `std::tuple` of types.
template <class W>
using members_of = typename detail_set::members_of<W>::type;

/// Calls `f(std::type_identity<M>{})` for each wrap `M` of `W` (a set's members, or `W`).
template <class W, class F>
constexpr void for_each_member(F&& f) {
    [&]<class... Ms>(std::type_identity<std::tuple<Ms...>>) { (f(std::type_identity<Ms>{}), ...); }(
        std::type_identity<members_of<W>>{});
}

/// True when a wrap of `W` has the id `id`.
template <class W>
[[nodiscard]] constexpr bool has_id(std::uint16_t id) noexcept {
    bool found = false;
    for_each_member<W>([&](auto m) { found = found || decltype(m)::type::id == id; });
    return found;
}

/// The names of `W`'s wraps, " or "-separated, for messages.
template <class W>
[[nodiscard]] std::string names_of() {
    std::string out;
    for_each_member<W>([&](auto m) { out += (out.empty() ? "" : " or ") + std::string(decltype(m)::type::name); });
    return out;
}

/// Calls `f(std::type_identity<M>{})` for the wrap `M` of `W` whose id is `id`.
/// @return false when none has it.
template <class W, class F>
constexpr bool visit_member_id(std::uint16_t id, F&& f) {
    bool found = false;
    for_each_member<W>([&](auto m) {
        if (!found && decltype(m)::type::id == id) {
            found = true;
            f(m);
        }
    });
    return found;
}

/// The members' ids, stanza types and key types are pairwise distinct, as a set needs.
template <class... Ws>
inline constexpr bool set_members_distinct =
    detail_set::distinct<typename Ws::public_key...>() && detail_set::distinct<typename Ws::private_key...>() &&
    detail_set::distinct<std::integral_constant<std::uint16_t, Ws::id>...>();

}  // namespace wrap

}  // namespace escrow
