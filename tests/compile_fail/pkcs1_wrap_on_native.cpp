// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: a user's wrap that states implicit rejection, as RSA PKCS#1 v1.5 does (a key for
/// another recipient unwraps to a pseudo-random key), cannot be put in store::native, whose rule
/// (`store::native::carries`) asks for a wrap that refuses such a key outright. With
/// ESCROW_COMPILE_OK the same wrap states no implicit rejection and the host compiles.
#include <cstdint>
#include <optional>
#include <string_view>

#include <escrow/escrow.hpp>

#include "host_use.hpp"

namespace {

#ifdef ESCROW_COMPILE_OK
constexpr bool implicit_rejection = false;
#else
constexpr bool implicit_rejection = true;
#endif

/// A complete wrap policy with a sized unwrap, as PKCS#1 v1.5's. (Its body delegates to RSA-OAEP:
/// only its stated options matter to the compile-time check under test.)
struct my_pkcs1_wrap {
    using base = escrow::wrap::rsa_oaep_sha256;
    static constexpr std::string_view name = "my-rsa-pkcs1v15";
    static constexpr std::string_view stanza_type = "my-rsa-pkcs1v15";
    static constexpr std::uint16_t id = 0x8201;
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
    [[nodiscard]] static std::optional<escrow::session_key> unwrap(const escrow::wrapped_key& w, const private_key& priv,
                                                                   std::size_t) {
        return base::unwrap(w, priv);
    }
    [[nodiscard]] static public_key public_of(const private_key& priv) { return base::public_of(priv); }
    [[nodiscard]] static escrow::digest256 fingerprint(const public_key& pub) { return base::fingerprint(pub); }
};

}  // namespace

template <>
inline constexpr escrow::wrap::options escrow::wrap_options<my_pkcs1_wrap> = {
    .min_key_size = 1, .max_key_size = 190, .sized_unwrap = true, .implicit_rejection = implicit_rejection};
static_assert(escrow::wrap_policy<my_pkcs1_wrap>);

void compile_fail_pkcs1_wrap_on_native(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    using host = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, my_pkcs1_wrap, escrow::store::native>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
