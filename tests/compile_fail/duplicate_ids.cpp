// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: escrow::ids_unique detects two user policies that share an id. With
/// ESCROW_COMPILE_OK the second policy takes its own id, and the control also checks that
/// ids_unique reports the duplicate as false (so the failing case fails for that reason alone).
#include <cstdint>

#include <escrow/presets.hpp>

namespace {

struct my_first_wrap_id {
    static constexpr std::uint16_t id = 0x8501;
};
struct my_second_wrap_id {
#ifdef ESCROW_COMPILE_OK
    static constexpr std::uint16_t id = 0x8502;
#else
    static constexpr std::uint16_t id = 0x8501;  // same id as my_first_wrap_id
#endif
};
struct my_clashing_wrap_id {
    static constexpr std::uint16_t id = 0x8501;
};

}  // namespace

// The message sits on its own line so that a diagnostic quoting the condition's line cannot match.
static_assert(escrow::ids_unique<my_first_wrap_id, my_second_wrap_id, escrow::wrap::rsa_oaep_sha256>,
              "escrow-test: two user policies share an id");

#ifdef ESCROW_COMPILE_OK
static_assert(!escrow::ids_unique<my_first_wrap_id, my_clashing_wrap_id>,
              "ids_unique must report two policies with the same id");
static_assert(!escrow::ids_unique<escrow::wrap::rsa_oaep_sha256, my_first_wrap_id, escrow::wrap::rsa_oaep_sha256>,
              "ids_unique must report a policy listed twice");
static_assert(escrow::ids_unique<escrow::cipher::aes256_gcm_stream>, "one policy is unique");
#endif
