// SPDX-License-Identifier: MIT
/// @file
/// Registers one Catch2 test case per law and per policy, named after the policy (so that ctest
/// lists "laws.wrap round trip: x25519"), for every policy of an `escrow::type_list`: the library's
/// registry lists, or a user's list that extends them.
#pragma once

#include <catch2/catch.hpp>

#include <span>
#include <string>

#include <escrow/escrow.hpp>
#include <escrow/testing/laws.hpp>

#include "library_keys.hpp"

namespace escrow_laws {

inline void add_case(void (*run)(), const std::string& name, const std::string& tags) {
    Catch::AutoReg(Catch::makeTestInvoker(run), CATCH_INTERNAL_LINEINFO, Catch::StringRef(), Catch::NameAndTags{name, tags});
}

template <class C>
struct cipher_cases {
    static void framing() { escrow::testing::cipher_framing<C>(); }
    static void round_trip() { escrow::testing::cipher_round_trip<C>(); }
    static void authentication() { escrow::testing::cipher_authentication<C>(); }
    static void independent_chunks() { escrow::testing::cipher_independent_chunks<C>(); }
    static void payload() { escrow::testing::cipher_payload_round_trip<C>(); }
};

/// One case per cipher law, for each cipher of `Ciphers`.
template <class Ciphers>
void register_cipher_laws() {
    escrow::registry::for_each<Ciphers>([](auto t) {
        using C = typename decltype(t)::type;
        const std::string n(C::name), tags = "[laws][cipher][" + n + "]";
        add_case(&cipher_cases<C>::framing, "cipher framing: " + n, tags);
        add_case(&cipher_cases<C>::round_trip, "cipher chunk round trip: " + n, tags);
        add_case(&cipher_cases<C>::authentication, "cipher authentication: " + n, tags);
        add_case(&cipher_cases<C>::independent_chunks, "cipher independent chunks: " + n, tags);
        add_case(&cipher_cases<C>::payload, "cipher payload round trip: " + n, tags);
    });
}

/// The wrap object and keys a wrap's laws run with; `Fixture::keys<W>()` and `Fixture::make<W>()`.
struct library_fixture {
    template <class W>
    static std::vector<typename W::private_key> keys() { return keys_of<W>(); }
    template <class W>
    static W make() { return W{}; }
};

template <class W, class Fixture>
struct wrap_cases {
    static void round_trip() {
        W w = Fixture::template make<W>();
        auto k = Fixture::template keys<W>();
        for (const auto& priv : k) escrow::testing::wrap_round_trip(w, priv);
    }
    static void fresh() {
        W w = Fixture::template make<W>();
        escrow::testing::wrap_fresh(w, Fixture::template keys<W>().front());
    }
    static void fingerprints() {
        W w = Fixture::template make<W>();
        auto k = Fixture::template keys<W>();
        escrow::testing::wrap_fingerprints(w, std::span<const typename W::private_key>(k));
    }
    static void refuses_other_keys() {
        W w = Fixture::template make<W>();
        auto k = Fixture::template keys<W>();
        escrow::testing::wrap_refuses_other_keys(w, std::span<const typename W::private_key>(k));
    }
};

/// One case per wrap law, for each wrap of `Wraps`.
template <class Wraps, class Fixture = library_fixture>
void register_wrap_laws() {
    escrow::registry::for_each<Wraps>([](auto t) {
        using W = typename decltype(t)::type;
        const std::string n(W::name), tags = "[laws][wrap][" + n + "]";
        add_case(&wrap_cases<W, Fixture>::round_trip, "wrap round trip for every key size: " + n, tags);
        add_case(&wrap_cases<W, Fixture>::fresh, "wrap draws fresh randomness: " + n, tags);
        add_case(&wrap_cases<W, Fixture>::fingerprints, "wrap fingerprints: " + n, tags);
        add_case(&wrap_cases<W, Fixture>::refuses_other_keys, "wrap refuses other keys: " + n, tags);
    });
}

template <class S>
struct store_cases {
    // Runs `law` over every combination of the library's ciphers and wraps that S carries.
    template <class Law>
    static void each(Law law) {
        std::size_t combinations = 0;
        escrow::registry::for_each<escrow::registry::wraps_for<S>>([&](auto w) {
            using W = typename decltype(w)::type;
            auto k = keys_of<W>();
            W wrap{};
            S store{};
            escrow::registry::for_each<escrow::registry::ciphers_for<S, W>>([&](auto c) {
                using C = typename decltype(c)::type;
                INFO(std::string(S::name) + " with " + std::string(C::name) + " and " + std::string(W::name));
                law(escrow::testing::store_case<S, C, W>{store, wrap, k[0], k[1]});
                ++combinations;
            });
        });
        REQUIRE(combinations > 0);
    }
    static void header_round_trip() {
        each([](const auto& t) { escrow::testing::store_header_round_trip(t); });
    }
    static void header_authentication() {
        each([](const auto& t) { escrow::testing::store_header_authentication(t); });
    }
    static void blob_round_trip() {
        each([](const auto& t) { escrow::testing::store_blob_round_trip(t); });
    }
};

/// One case per store law, for each store of `Stores`, over every combination of the library's
/// ciphers and wraps the store carries.
template <class Stores>
void register_store_laws() {
    escrow::registry::for_each<Stores>([](auto t) {
        using S = typename decltype(t)::type;
        const std::string n(S::name), tags = "[laws][store][" + n + "]";
        add_case(&store_cases<S>::header_round_trip, "store header round trip: " + n, tags);
        add_case(&store_cases<S>::header_authentication, "store header authentication: " + n, tags);
        add_case(&store_cases<S>::blob_round_trip, "store blob round trip: " + n, tags);
    });
}

}  // namespace escrow_laws
