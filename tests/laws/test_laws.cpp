// SPDX-License-Identifier: MIT
/// @file
/// The law suite over every cipher, wrap and store the library ships, taken from its registry
/// (escrow/registry.hpp): one test case per law and per policy.
#include "register_laws.hpp"

#include <escrow/testing/wrap_set_laws.hpp>

#include <type_traits>
#include <vector>

namespace {

const bool registered = [] {
    escrow_laws::register_cipher_laws<escrow::registry::ciphers>();
    escrow_laws::register_wrap_laws<escrow::registry::wraps>();
    escrow_laws::register_store_laws<escrow::registry::stores>();
    return true;
}();

}  // namespace

TEST_CASE("The registry's lists hold every policy the suite runs over, each once", "[laws][registry]") {
    CHECK(registered);
    CHECK(escrow::registry::ciphers::size == 5);
    CHECK(escrow::registry::wraps::size == 7);
    CHECK(escrow::registry::stores::size == 3);
    std::size_t combinations = 0;
    escrow::registry::for_each_carried([&](auto, auto, auto) { ++combinations; });
    // mlkem768x25519 adds one: store::age (its argument is too long for store::native's blob).
    CHECK(combinations == 16);
}

namespace {
// The law suite's three holders' keys, one per member of the set, as the host's key variant.
template <class Host, class... Ws>
void run_wrap_set_laws(std::type_identity<escrow::wrap_set<Ws...>>) {
    std::vector<typename Host::private_key> holders[3];
    (
        [&] {
            auto k = escrow_laws::keys_of<Ws>();
            for (std::size_t h = 0; h < 3; ++h) holders[h].emplace_back(std::move(k[h]));
        }(),
        ...);
    escrow::testing::wrap_set_pairings<Host>(holders[0], holders[1], holders[2]);
}
}  // namespace

TEST_CASE("wrap set pairings: native_mixed_encryptor", "[laws][wrap_set][native]") {
    run_wrap_set_laws<escrow::native_mixed_encryptor>(std::type_identity<escrow::native_mixed_encryptor::wrap_type>{});
}

TEST_CASE("wrap set pairings: age_mixed_encryptor", "[laws][wrap_set][age]") {
    run_wrap_set_laws<escrow::age_mixed_encryptor>(std::type_identity<escrow::age_mixed_encryptor::wrap_type>{});
}

TEST_CASE("wrap set pairings: age_pq_set_encryptor (post-quantum only)", "[laws][wrap_set][age][mlkem768x25519]") {
    run_wrap_set_laws<escrow::age_pq_set_encryptor>(std::type_identity<escrow::age_pq_set_encryptor::wrap_type>{});
}
