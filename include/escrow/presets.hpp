// SPDX-License-Identifier: MIT
/// @file
/// Blessed combinations of policies (escrow/legacy/presets.hpp names the CryptoAPI one). The
/// library's ids are checked unique where its policies are listed, in escrow/registry.hpp.
#pragma once

#include "escrow/cipher/aes256_gcm_stream.hpp"
#include "escrow/cipher/chacha20_poly1305_stream.hpp"
#include "escrow/escrow_encryptor.hpp"
#include "escrow/escrow_encryptor_set.hpp"
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

/// The native format with recipients of any mix of RSA (`rsa_oaep_sha256`), age X25519 and
/// OpenSSH Ed25519 keys (a `wrap_set`; keys are `std::variant`s). A file whose recipients are all
/// RSA keys is byte for byte what `native_encryptor` writes; a mixed file names each entry's wrap
/// (docs/format.md, "Recipients of several wraps").
using native_mixed_encryptor =
    escrow_encryptor<cipher::aes256_gcm_stream, wrap_set<wrap::rsa_oaep_sha256, wrap::x25519, wrap::ssh_ed25519>, store::native>;

/// The age v1 format with X25519 recipients (`age1…`), as `age -r` writes: ChaCha20-Poly1305
/// STREAM payload, `store::age`. Files it writes open with `age -d -i` and vice versa.
using age_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::x25519, store::age>;

/// The age v1 format with OpenSSH RSA recipients (`ssh-rsa AAAA…`), as `age -R key.pub` writes.
using age_ssh_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::ssh_rsa, store::age>;

/// The age v1 format with OpenSSH Ed25519 recipients (`ssh-ed25519 AAAA…`), as `age -R
/// id_ed25519.pub` writes; `age -d -i id_ed25519` opens what it writes and vice versa.
using age_ssh_ed25519_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::ssh_ed25519, store::age>;

/// The age v1 format with recipients of any mix of X25519, ssh-rsa and ssh-ed25519 keys, as
/// `age -r … -R …` writes (a `wrap_set`). scrypt stays alone (`age_scrypt_encryptor`).
using age_mixed_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream,
                                             wrap_set<wrap::x25519, wrap::ssh_rsa, wrap::ssh_ed25519>, store::age>;

/// The age v1 format with hybrid post-quantum recipients (`age1pq1…`, ML-KEM-768 + X25519), as
/// `age -r age1pq1…` writes. Owner and authorities are all post-quantum: age's spec says a file
/// SHOULD NOT mix them with classical recipients, and no preset does.
using age_pq_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::mlkem768x25519, store::age>;

/// `age_pq_encryptor` as a one-member `wrap_set`: the host of k-of-n age files (`encrypt_threshold`,
/// `open_shares`) whose recipients are all post-quantum. A set that adds a classical wrap to it
/// does not compile.
using age_pq_set_encryptor =
    escrow_encryptor<cipher::chacha20_poly1305_stream, wrap_set<wrap::mlkem768x25519>, store::age>;

/// The age v1 format with a passphrase (`age -p`). age allows a scrypt stanza only alone in a
/// file, so this preset decrypts (`read_header`, `open_header`, `decrypt_payload`, `decrypt`);
/// its `encrypt`, which always adds authority stanzas, fails with `invalid_argument`.
using age_scrypt_encryptor = escrow_encryptor<cipher::chacha20_poly1305_stream, wrap::scrypt, store::age>;

}  // namespace escrow
