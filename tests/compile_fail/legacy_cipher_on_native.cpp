// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: a cipher policy that is not the library's cannot claim an id of the library's
/// range (here the legacy CryptoAPI AES-256-CBC id, as a user porting CryptoAPI code might): the
/// host says that a policy outside the registry takes an id from 0x8000 up. With
/// ESCROW_COMPILE_OK the same cipher takes a user-defined id and the host compiles.
#include <cstdint>
#include <string_view>

#include <escrow/escrow.hpp>

#include "host_use.hpp"

namespace {

#ifdef ESCROW_COMPILE_OK
constexpr std::uint16_t legacy_cipher_id = 0x8101;  // user-defined range
#else
constexpr std::uint16_t legacy_cipher_id = escrow::legacy::cryptoapi_aes_cbc<256>::id;
#endif

/// A complete cipher policy (it reuses the AES-256-GCM STREAM sealer and opener) that claims the
/// legacy CryptoAPI cipher's id, as a user porting CryptoAPI code might write it.
struct my_legacy_cipher : escrow_compile_fail::aes256_gcm_stream_shape {
    static constexpr std::string_view name = "my-legacy-cipher";
    static constexpr std::uint16_t id = legacy_cipher_id;
    using sealer = base::sealer;
    using opener = base::opener;
};
static_assert(escrow::cipher_policy<my_legacy_cipher>);

}  // namespace

void compile_fail_legacy_cipher_on_native(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    using host = escrow::escrow_encryptor<my_legacy_cipher, escrow::wrap::rsa_oaep_sha256, escrow::store::native>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
