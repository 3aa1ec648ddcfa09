// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: store::age carries only age's own policies (ChaCha20-Poly1305 STREAM with the
/// X25519, ssh-rsa or scrypt wraps); `escrow_encryptor<cipher::aes256_gcm_stream,
/// wrap::rsa_pkcs1v15, store::age>` does not compile (`store::age::carries`), and the registry
/// names a combination the library carries instead. With ESCROW_COMPILE_OK the age preset's
/// policies are used and the host compiles.
#include <escrow/escrow.hpp>

#include "host_use.hpp"

#ifdef ESCROW_COMPILE_OK
void compile_fail_foreign_policies_on_age(const escrow::x25519_public_key& pub, const escrow::x25519_private_key& priv) {
    using host = escrow::escrow_encryptor<escrow::cipher::chacha20_poly1305_stream, escrow::wrap::x25519, escrow::store::age>;
    static_assert(std::is_same_v<host, escrow::age_encryptor>);
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
#else
void compile_fail_foreign_policies_on_age(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    using host = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_pkcs1v15, escrow::store::age>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
#endif
