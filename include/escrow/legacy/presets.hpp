// SPDX-License-Identifier: MIT
/// @file
/// `escrow::legacy::cryptoapi_encryptor`: the one name for the unauthenticated CryptoAPI format.
#pragma once

#include "escrow/escrow_encryptor.hpp"
#include "escrow/legacy/cryptoapi_aes_cbc.hpp"
#include "escrow/store/cryptoapi.hpp"
#include "escrow/wrap/rsa_pkcs1v15.hpp"

namespace escrow::legacy {

/// Files that CryptoAPI itself reads and writes: the owner's SIMPLEBLOB (RSA PKCS#1 v1.5 under
/// CALG_RSA_KEYX) and CryptEncrypt's AES-`Bits`-CBC output, in the layout of Microsoft's
/// "Encrypting a File" sample; each escrow record carries a SIMPLEBLOB under its authority's key.
///
/// Legacy: nothing in the file is authenticated (docs/threat-model.md lists what goes unnoticed),
/// and decryption writes plaintext before the final padding check, so decrypt to an
/// `atomic_file_sink` and commit only when `decrypt` returns. Escrow records stay authenticated
/// (their MAC is keyed from the session key). Prefer `escrow::native_encryptor` for new files.
///
/// @tparam Bits the AES key size, 128, 192 or 256; it must match the SIMPLEBLOB's aiKeyAlg of a
/// file being read (`store::cryptoapi::peek_aes_bits` tells it from the first 16 bytes).
template <unsigned Bits = 256>
using cryptoapi_encryptor = escrow_encryptor<cryptoapi_aes_cbc<Bits>, wrap::rsa_pkcs1v15, store::cryptoapi>;

}  // namespace escrow::legacy
