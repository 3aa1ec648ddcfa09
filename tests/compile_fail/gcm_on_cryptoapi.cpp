// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: the library's own AES-256-GCM STREAM cipher cannot be put in store::cryptoapi,
/// whose files CryptoAPI must read (`store::cryptoapi::carries`); the error names, through the
/// registry, the combination the library carries instead (the CryptoAPI store's CBC cipher). With
/// ESCROW_COMPILE_OK the host is that preset's combination and compiles.
#include <escrow/escrow.hpp>

#include "host_use.hpp"

void compile_fail_gcm_on_cryptoapi(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
#ifdef ESCROW_COMPILE_OK
    using cipher = escrow::legacy::cryptoapi_aes_cbc<256>;
#else
    using cipher = escrow::cipher::aes256_gcm_stream;
#endif
    using host = escrow::escrow_encryptor<cipher, escrow::wrap::rsa_pkcs1v15, escrow::store::cryptoapi>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
