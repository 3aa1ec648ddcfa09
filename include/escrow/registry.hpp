// SPDX-License-Identifier: MIT
/// @file
/// The registry: the library's ciphers, wraps and stores, each listed once. Their ids are checked
/// unique here, their names (`escrow::ids::name_of`), the lists a tool offers, which store carries
/// what, the suggestion a host gives for a combination no format carries, and the authority's
/// dispatch all derive from these lists and from each policy's own header.
#pragma once

#include <boost/hana/core/to.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/set.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "escrow/core/policy_ids.hpp"
#include "escrow/cipher/aes256_gcm_stream.hpp"
#include "escrow/cipher/chacha20_poly1305_stream.hpp"
#include "escrow/core/ids.hpp"
#include "escrow/legacy/cryptoapi_aes_cbc.hpp"
#include "escrow/store/age.hpp"
#include "escrow/store/cryptoapi.hpp"
#include "escrow/store/native.hpp"
#include "escrow/wrap/mlkem768x25519.hpp"
#include "escrow/wrap/rsa_oaep_sha256.hpp"
#include "escrow/wrap/rsa_pkcs1v15.hpp"
#include "escrow/wrap/scrypt.hpp"
#include "escrow/wrap/ssh_ed25519.hpp"
#include "escrow/wrap/ssh_rsa.hpp"
#include "escrow/wrap/x25519.hpp"

namespace escrow {

/// A closed, compile-time list of policy types, as users name one (`escrow::type_list<A, B>`);
/// the library walks it with Boost.Hana (`as_hana`), which stays out of the types users write.
template <class... Policies>
struct type_list {
    /// The number of policies.
    static constexpr std::size_t size = sizeof...(Policies);
    /// The list as a Boost.Hana tuple of types, for compile-time iteration inside the library.
    static constexpr auto as_hana() { return boost::hana::tuple_t<Policies...>; }
    /// One object of each policy, for hosts that take their policy objects (stateful policies).
    using objects = std::tuple<Policies...>;
    /// The list with `More` added at its end: how a policy joins a list in one line
    /// (`using my_wraps = escrow::registry::wraps::append<my_wrap>;`).
    template <class... More>
    using append = type_list<Policies..., More...>;
};

/// True when the `id`s of the given policy types are pairwise distinct (checked with a Hana set).
/// Use it on a family of your own policies: `static_assert(escrow::ids_unique<my_a, my_b>);`
template <class... Policies>
inline constexpr bool ids_unique = [] {
    namespace hana = boost::hana;
    constexpr auto ids = hana::make_tuple(hana::integral_c<std::uint16_t, Policies::id>...);
    return hana::length(hana::to_set(ids)) == hana::length(ids);
}();

/// The library's policies, by family. Adding a policy to the library: one header, one entry here
/// (docs/policies.md, "Adding a policy to the library"); everything below derives from the lists.
namespace registry {
// [registry]
/// The library's ciphers.
using ciphers = type_list<cipher::aes256_gcm_stream, cipher::chacha20_poly1305_stream, legacy::cryptoapi_aes_cbc<128>,
                          legacy::cryptoapi_aes_cbc<192>, legacy::cryptoapi_aes_cbc<256>>;
/// The library's wraps.
using wraps = type_list<wrap::rsa_oaep_sha256, wrap::rsa_pkcs1v15, wrap::x25519, wrap::ssh_rsa, wrap::scrypt,
                        wrap::ssh_ed25519, wrap::mlkem768x25519>;
/// The library's stores.
using stores = type_list<store::native, store::cryptoapi, store::age>;
// [registry-end]

/// Calls `f(std::type_identity<P>{})` for each policy `P` of `List`, in order.
template <class List, class F>
constexpr void for_each(F&& f) {
    boost::hana::for_each(List::as_hana(), [&](auto t) { f(std::type_identity<typename decltype(t)::type>{}); });
}

/// Calls `f(std::type_identity<P>{})` for the policy `P` of `List` whose id is `id`.
/// @return false when `List` has no policy of that id (and `f` was not called).
template <class List, class F>
constexpr bool visit_id(std::uint16_t id, F&& f) {
    bool found = false;
    for_each<List>([&](auto t) {
        if (!found && decltype(t)::type::id == id) {
            found = true;
            f(t);
        }
    });
    return found;
}

/// Calls `f(std::type_identity<P>{})` for the policy `P` of `List` whose `name` is `name`.
/// @return false when `List` has no policy of that name.
template <class List, class F>
constexpr bool visit_name(std::string_view name, F&& f) {
    bool found = false;
    for_each<List>([&](auto t) {
        if (!found && std::string_view(decltype(t)::type::name) == name) {
            found = true;
            f(t);
        }
    });
    return found;
}

/// True when `P` is one of the policies of `List`.
template <class List, class P>
inline constexpr bool contains = [] {
    bool in = false;
    for_each<List>([&](auto t) { in = in || std::is_same_v<typename decltype(t)::type, P>; });
    return in;
}();

/// The names of the policies of `List`, in order.
template <class List>
[[nodiscard]] constexpr std::array<std::string_view, List::size> names() {
    std::array<std::string_view, List::size> out{};
    std::size_t i = 0;
    for_each<List>([&](auto t) { out[i++] = decltype(t)::type::name; });
    return out;
}

/// The name of the policy of `List` whose id is `id`, or an empty view.
template <class List>
[[nodiscard]] constexpr std::string_view name_in(std::uint16_t id) noexcept {
    std::string_view out;
    visit_id<List>(id, [&](auto t) { out = decltype(t)::type::name; });
    return out;
}

/// The library's name for a policy id of the given family ("cipher", "wrap", "store"), or an empty
/// view for an id it does not define (user-defined or unknown).
[[nodiscard]] constexpr std::string_view name_of(std::string_view family, std::uint16_t id) noexcept {
    if (family == "cipher") return name_in<ciphers>(id);
    if (family == "wrap") return name_in<wraps>(id);
    if (family == "store") return name_in<stores>(id);
    return {};
}

namespace detail {
template <class... A, class... B>
constexpr type_list<A..., B...> operator+(type_list<A...>, type_list<B...>) { return {}; }

template <template <class> class Keep, class List>
struct filter;
template <template <class> class Keep, class... Ps>
struct filter<Keep, type_list<Ps...>> {
    using type = decltype((type_list<>{} + ... + std::conditional_t<Keep<Ps>::value, type_list<Ps>, type_list<>>{}));
};

template <class S, class W>
inline constexpr bool carries_with_any_cipher = [] {
    bool any = false;
    for_each<ciphers>([&](auto c) { any = any || store::carries<S, typename decltype(c)::type, W>; });
    return any;
}();

template <class W>
inline constexpr bool carried_anywhere = [] {
    bool any = false;
    for_each<stores>([&](auto s) { any = any || carries_with_any_cipher<typename decltype(s)::type, W>; });
    return any;
}();

// Predicates for `filter`, as class templates of one parameter.
template <class S>
struct carried_by {
    template <class W>
    using wrap = std::bool_constant<carries_with_any_cipher<S, W>>;
    template <class W>
    struct with_wrap {
        template <class C>
        using cipher = std::bool_constant<store::carries<S, C, W>>;
    };
};
template <class W>
struct carrying_wrap {
    template <class S>
    using store = std::bool_constant<carries_with_any_cipher<S, W>>;
};
template <class C, class W>
struct carrying {
    template <class S>
    using store = std::bool_constant<store::carries<S, C, W>>;
};
template <class W>
using authority_wrap = std::bool_constant<wrap_options<W>.identifies_key && carried_anywhere<W>>;

template <class List>
struct first {
    using type = void;
};
template <class P, class... Ps>
struct first<type_list<P, Ps...>> {
    using type = P;
};
}  // namespace detail

/// The policies of `List` for which `Keep<P>::value` holds, in order.
template <template <class> class Keep, class List>
using filter = typename detail::filter<Keep, List>::type;

/// The library's wraps that store `S` carries with at least one of the library's ciphers: what a
/// tool offers for `--wrap` with that format.
template <class S>
using wraps_for = filter<detail::carried_by<S>::template wrap, wraps>;

/// The library's ciphers that store `S` carries with wrap `W`.
template <class S, class W>
using ciphers_for = filter<detail::carried_by<S>::template with_wrap<W>::template cipher, ciphers>;

/// The library's stores that carry cipher `C` with wrap `W`.
template <class C, class W>
using stores_for = filter<detail::carrying<C, W>::template store, stores>;

/// The library's wraps an authority can hold: those whose fingerprint identifies a key (a record
/// names its authority by it) and that some library store carries.
using authority_wraps = filter<detail::authority_wrap, wraps>;

/// The first policy of `List`, or `void` for an empty list.
template <class List>
using first = typename detail::first<List>::type;

/// The names of the library's wraps that store `S` carries, in registry order.
template <class S>
[[nodiscard]] constexpr auto wrap_names_for() {
    return names<wraps_for<S>>();
}

/// Calls `f(std::type_identity<C>{}, std::type_identity<W>{}, std::type_identity<S>{})` for every
/// combination of the library's policies that a store carries (store, then wrap, then cipher
/// order): the encryptors a tool can build.
template <class F>
constexpr void for_each_carried(F&& f) {
    for_each<stores>([&](auto s) {
        using S = typename decltype(s)::type;
        for_each<wraps>([&](auto w) {
            using W = typename decltype(w)::type;
            for_each<ciphers>([&](auto c) {
                if constexpr (store::carries<S, typename decltype(c)::type, W>) f(c, w, s);
            });
        });
    });
}

/// True when `P` may use its id: a user-defined id (0x8000 and up), `P` is the library's own
/// policy of `Family`, or `P` is a wrap that states the format of one (`escrow::wrap_format`) and
/// takes its id; so that no other policy outside the registry takes an id from the library's range.
template <class Family, class P>
inline constexpr bool id_lawful = ids::is_user_defined(P::id) || contains<Family, P> || [] {
    if constexpr (requires { typename wrap_format<P>::type; })
        if constexpr (!std::is_same_v<wrap_format_t<P>, P>)
            return contains<Family, wrap_format_t<P>> && wrap_format_t<P>::id == P::id;
    return false;
}();

// ---- suggestions --------------------------------------------------------------------------------
/// Named in the compiler's output when a host's store does not carry its cipher with its wrap:
/// `C`, `W` and `S` are a combination of the library's policies that a format carries, the nearest
/// to what was asked (same cipher and wrap in another store; else the same wrap; else the same
/// cipher). The presets in escrow/presets.hpp name the common ones.
template <class C, class W, class S>
struct use_instead {
    static_assert(std::is_void_v<S>,
                  "escrow: this Store does not carry this Cipher with this Wrap (Store::carries<Cipher, Wrap> is "
                  "false); the library carries the combination escrow::registry::use_instead<Cipher, Wrap, Store> "
                  "names above: use it, or its preset from escrow/presets.hpp (docs/policies.md#compat)");
    /// Never instantiated successfully: the `static_assert` above is the message.
    static constexpr bool value = false;
};

namespace detail {
// The nearest combination the library's stores carry, as `use_instead<C, W, S>`.
template <class C, class W>
constexpr auto nearest_carried() {
    if constexpr (stores_for<C, W>::size > 0) {
        return std::type_identity<use_instead<C, W, registry::first<stores_for<C, W>>>>{};
    } else {
        using with_wrap = registry::filter<carrying_wrap<W>::template store, stores>;
        if constexpr (with_wrap::size > 0) {
            using S = registry::first<with_wrap>;
            return std::type_identity<use_instead<registry::first<ciphers_for<S, W>>, W, S>>{};
        } else {
            return std::type_identity<use_instead<C, W, void>>{};
        }
    }
}
}  // namespace detail

// ---- the registry's own laws, checked where it is defined ---------------------------------------

namespace detail {
template <class List>
inline constexpr bool unique_names = [] {
    auto all = names<List>();
    for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = i + 1; j < all.size(); ++j)
            if (all[i] == all[j]) return false;
    return true;
}();
template <class List>
inline constexpr bool in_library_range = [] {
    bool ok = true;
    for_each<List>([&](auto t) { ok = ok && decltype(t)::type::id != 0 && !ids::is_user_defined(decltype(t)::type::id); });
    return ok;
}();
template <class... Ps>
constexpr bool unique_ids(type_list<Ps...>) { return ids_unique<Ps...>; }
template <class... Cs>
constexpr bool all_ciphers(type_list<Cs...>) { return (cipher_policy<Cs> && ...); }
template <class... Ws>
constexpr bool all_wraps(type_list<Ws...>) { return (wrap_policy<Ws> && ...); }
template <class... Ss>
constexpr bool all_stores(type_list<Ss...>) {
    return ((store::store_traits<Ss> && store::store_options_stated<Ss>) && ...);
}
}  // namespace detail

/// True when the policies of `List` (one family) have pairwise distinct ids and names: what the
/// registry checks of its own lists, and what a list extended with `append` must keep.
template <class List>
inline constexpr bool well_formed = detail::unique_ids(List{}) && detail::unique_names<List>;

static_assert(well_formed<ciphers> && well_formed<wraps> && well_formed<stores>,
              "escrow registry: the ids and the names of one family must be unique");
static_assert(detail::in_library_range<ciphers> && detail::in_library_range<wraps> && detail::in_library_range<stores>,
              "escrow registry: the library's ids are 0x0001 to 0x7FFF (0x8000 up is the users')");
static_assert(detail::all_ciphers(ciphers{}) && detail::all_wraps(wraps{}) && detail::all_stores(stores{}),
              "escrow registry: every listed policy models its family's concept");

}  // namespace registry

namespace ids {
/// The library's name for a policy id of the given family ("cipher", "wrap", "store"), or an empty
/// view for an id it does not define (user-defined or unknown); derived from the registry.
[[nodiscard]] constexpr std::string_view name_of(std::string_view family, std::uint16_t id) noexcept {
    return registry::name_of(family, id);
}
}  // namespace ids

/// The id triple read from a file, a record or an owner blob, with the names the registry gives
/// its ids (empty for ids it does not list), for messages.
[[nodiscard]] constexpr policy_ids named_policy_ids(std::uint16_t cipher, std::uint16_t wrap, std::uint16_t store) noexcept {
    return {cipher, wrap, store, ids::name_of("cipher", cipher), ids::name_of("wrap", wrap), ids::name_of("store", store)};
}

}  // namespace escrow
