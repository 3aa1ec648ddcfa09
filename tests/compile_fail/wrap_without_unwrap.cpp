// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: a custom wrap policy without `unwrap` is rejected by the host with the expected
/// signature in the message. With ESCROW_COMPILE_OK the policy has its `unwrap` and compiles.
#include <cstdint>
#include <optional>
#include <string_view>

#include <escrow/escrow.hpp>

#include "host_use.hpp"

namespace {

/// A user's HSM-style wrap (user-defined id), written without `unwrap` unless ESCROW_COMPILE_OK.
struct my_hsm_wrap {
    using base = escrow::wrap::rsa_oaep_sha256;
    static constexpr std::string_view name = "my-hsm-wrap";
    static constexpr std::string_view stanza_type = "my-hsm-wrap";
    static constexpr std::uint16_t id = 0x8301;
    using public_key = base::public_key;
    using private_key = base::private_key;

    [[nodiscard]] escrow::wrapped_key wrap(const escrow::session_key& key, const public_key& pub,
                                           escrow::system_random& rng) {
        return base::wrap(key, pub, rng);
    }
#ifdef ESCROW_COMPILE_OK
    [[nodiscard]] std::optional<escrow::session_key> unwrap(const escrow::wrapped_key& w, const private_key& priv) {
        return base::unwrap(w, priv);
    }
#endif
    [[nodiscard]] public_key public_of(const private_key& priv) { return base::public_of(priv); }
    [[nodiscard]] escrow::digest256 fingerprint(const public_key& pub) { return base::fingerprint(pub); }
};

}  // namespace

void compile_fail_wrap_without_unwrap(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    using host = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, my_hsm_wrap, escrow::store::native>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
