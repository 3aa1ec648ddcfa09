// SPDX-License-Identifier: MIT
/// @file
/// The law suite over every cipher, wrap and store the library ships, taken from its registry
/// (escrow/registry.hpp): one test case per law and per policy.
#include "register_laws.hpp"

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
    CHECK(escrow::registry::wraps::size == 6);
    CHECK(escrow::registry::stores::size == 3);
    std::size_t combinations = 0;
    escrow::registry::for_each_carried([&](auto, auto, auto) { ++combinations; });
    CHECK(combinations == 15);
}
