// SPDX-License-Identifier: MIT
/// @file
/// Blessed combinations of policies (escrow/legacy/presets.hpp names the CryptoAPI one). The
/// library's ids are checked unique where its policies are listed, in escrow/registry.hpp.
#pragma once

#include "escrow/cipher/aes256_gcm_stream.hpp"
#include "escrow/cipher/chacha20_poly1305_stream.hpp"
#include "escrow/escrow_encryptor.hpp"
#include "escrow/registry.hpp"
#include "escrow/store/age.hpp"
#include "escrow/store/native.hpp"
#include "escrow/wrap/rsa_oaep_sha256.hpp"
#include "escrow/wrap/scrypt.hpp"
#include "escrow/wrap/ssh_ed25519.hpp"
#include "escrow/wrap/ssh_rsa.hpp"
#include "escrow/wrap/x25519.hpp"

namespace escrow {

/// The native format: AES-256-GCM STREAM payload, RSA-OAEP-SHA-256 recipients, `store::native`.
using native_encryptor = escrow_encryptor<cipher::aes256_gcm_stream, wrap::rsa_oaep_sha256, store::native>;

/// The age v1 format with X25519 recipients (`age1…`), as `age -r` writes: ChaCha20-Poly1305
/// STREAM payload, `store::age`. Files it writes open with `age -d -i` and vice versa.
using age_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::x25519, store::age>;

/// The age v1 format with OpenSSH RSA recipients (`ssh-rsa AAAA…`), as `age -R key.pub` writes.
using age_ssh_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::ssh_rsa, store::age>;

/// The age v1 format with OpenSSH Ed25519 recipients (`ssh-ed25519 AAAA…`), as `age -R
/// id_ed25519.pub` writes; `age -d -i id_ed25519` opens what it writes and vice versa.
using age_ssh_ed25519_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::ssh_ed25519, store::age>;

/// The age v1 format with a passphrase (`age -p`). age allows a scrypt stanza only alone in a
/// file, so this preset decrypts (`read_header`, `open_header`, `decrypt_payload`, `decrypt`);
/// its `encrypt`, which always adds authority stanzas, fails with `invalid_argument`.
using age_scrypt_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::scrypt, store::age>;

}  // namespace escrow
