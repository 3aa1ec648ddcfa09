// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: a complete wrap policy carrying the RSA PKCS#1 v1.5 id cannot be put in
/// store::native; the error names escrow::legacy::cryptoapi_encryptor. With ESCROW_COMPILE_OK the
/// same wrap takes a user-defined id and the host compiles.
#include <cstdint>
#include <optional>
#include <string_view>

#include <escrow/escrow.hpp>

#include "host_use.hpp"

namespace {

#ifdef ESCROW_COMPILE_OK
constexpr std::uint16_t pkcs1_wrap_id = 0x8201;  // user-defined range: store::native accepts it
#else
constexpr std::uint16_t pkcs1_wrap_id = escrow::ids::wrap::rsa_pkcs1v15;
#endif

/// A complete wrap policy that claims the RSA PKCS#1 v1.5 id. (Its body delegates to RSA-OAEP: only
/// the id matters to the compile-time check under test.)
struct my_pkcs1_wrap {
    using base = escrow::wrap::rsa_oaep_sha256;
    static constexpr std::string_view name = "my-rsa-pkcs1v15";
    static constexpr std::string_view stanza_type = "my-rsa-pkcs1v15";
    static constexpr std::uint16_t id = pkcs1_wrap_id;
    using public_key = base::public_key;
    using private_key = base::private_key;

    [[nodiscard]] static escrow::wrapped_key wrap(const escrow::session_key& key, const public_key& pub,
                                                  escrow::system_random& rng) {
        return base::wrap(key, pub, rng);
    }
    [[nodiscard]] static std::optional<escrow::session_key> unwrap(const escrow::wrapped_key& w,
                                                                   const private_key& priv) {
        return base::unwrap(w, priv);
    }
    [[nodiscard]] static public_key public_of(const private_key& priv) { return base::public_of(priv); }
    [[nodiscard]] static escrow::digest256 fingerprint(const public_key& pub) { return base::fingerprint(pub); }
};
static_assert(escrow::wrap_policy<my_pkcs1_wrap>);

}  // namespace

void compile_fail_pkcs1_wrap_on_native(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    using host = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, my_pkcs1_wrap, escrow::store::native>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
