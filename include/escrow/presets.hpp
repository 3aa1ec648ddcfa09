// SPDX-License-Identifier: MIT
/// @file
/// Blessed combinations of policies, and the compile-time check that the library's ids are unique.
#pragma once

#include <boost/hana/length.hpp>
#include <boost/hana/set.hpp>
#include <boost/hana/core/to.hpp>
#include <boost/hana/transform.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/integral_constant.hpp>

#include "escrow/cipher/aes256_gcm_stream.hpp"
#include "escrow/cipher/chacha20_poly1305_stream.hpp"
#include "escrow/escrow_encryptor.hpp"
#include "escrow/registry.hpp"
#include "escrow/legacy/cryptoapi_aes_cbc.hpp"
#include "escrow/store/age.hpp"
#include "escrow/store/cryptoapi.hpp"
#include "escrow/store/native.hpp"
#include "escrow/wrap/rsa_oaep_sha256.hpp"
#include "escrow/wrap/rsa_pkcs1v15.hpp"
#include "escrow/wrap/scrypt.hpp"
#include "escrow/wrap/ssh_rsa.hpp"
#include "escrow/wrap/x25519.hpp"

namespace escrow {

/// True when the `id`s of the given policy types are pairwise distinct (checked with a Hana set).
/// Use it on a family of your own policies: `static_assert(escrow::ids_unique<my_a, my_b>);`
template <class... Policies>
inline constexpr bool ids_unique = [] {
    namespace hana = boost::hana;
    constexpr auto ids = hana::make_tuple(hana::integral_c<std::uint16_t, Policies::id>...);
    return hana::length(hana::to_set(ids)) == hana::length(ids);
}();

static_assert(ids_unique<cipher::aes256_gcm_stream, cipher::chacha20_poly1305_stream, legacy::cryptoapi_aes_cbc<128>,
                         legacy::cryptoapi_aes_cbc<192>, legacy::cryptoapi_aes_cbc<256>>,
              "cipher ids must be unique");
static_assert(ids_unique<wrap::rsa_oaep_sha256, wrap::rsa_pkcs1v15, wrap::x25519, wrap::ssh_rsa, wrap::scrypt>,
              "wrap ids must be unique");
static_assert(ids_unique<store::native, store::cryptoapi, store::age>, "store ids must be unique");

/// The native format: AES-256-GCM STREAM payload, RSA-OAEP-SHA-256 recipients, `store::native`.
using native_encryptor = escrow_encryptor<cipher::aes256_gcm_stream, wrap::rsa_oaep_sha256, store::native>;

/// The age v1 format with X25519 recipients (`age1…`), as `age -r` writes: ChaCha20-Poly1305
/// STREAM payload, `store::age`. Files it writes open with `age -d -i` and vice versa.
using age_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::x25519, store::age>;

/// The age v1 format with OpenSSH RSA recipients (`ssh-rsa AAAA…`), as `age -R key.pub` writes.
using age_ssh_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::ssh_rsa, store::age>;

/// The age v1 format with a passphrase (`age -p`). age allows a scrypt stanza only alone in a
/// file, so this preset decrypts (`read_header`, `open_header`, `decrypt_payload`, `decrypt`);
/// its `encrypt`, which always adds authority stanzas, fails with `invalid_argument`.
using age_scrypt_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::scrypt, store::age>;

}  // namespace escrow
