// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: the real legacy CryptoAPI cipher, escrow::legacy::cryptoapi_aes_cbc<256>, cannot be
/// put in the authenticated store::native (`store::native::carries` asks for an authenticated
/// cipher); the registry names the combination the library carries instead.
/// With ESCROW_COMPILE_OK the cipher is AES-256-GCM STREAM and the host compiles.
#include <escrow/escrow.hpp>

#include "host_use.hpp"

void compile_fail_legacy_cbc_on_native(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
#ifdef ESCROW_COMPILE_OK
    using cipher = escrow::cipher::aes256_gcm_stream;
#else
    using cipher = escrow::legacy::cryptoapi_aes_cbc<256>;
#endif
    using host = escrow::escrow_encryptor<cipher, escrow::wrap::rsa_oaep_sha256, escrow::store::native>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
