// SPDX-License-Identifier: MIT
/// @file
/// The CryptoAPI format's encryptors, chosen at run time by AES size, for `escrow encrypt`,
/// `escrow decrypt` (cli_cryptoapi.cpp) and `escrow inspect`: one for each cipher the registry's
/// `store::cryptoapi` carries with rsa-pkcs1v15 (escrow::legacy::cryptoapi_encryptor<128|192|256>).
#pragma once

#include <escrow/escrow.hpp>

#include <optional>

#include "cli_args.hpp"

namespace escrow_cli::detail {

/// The ciphers of the tool's CryptoAPI files, in registry order.
using cryptoapi_ciphers = escrow::registry::ciphers_for<escrow::store::cryptoapi, escrow::wrap::rsa_pkcs1v15>;

/// @throws usage_error ("--aes-bits must be 128, 192 or 256") unless `aes_bits` is the key size
/// of one of `cryptoapi_ciphers`.
void check_aes_bits(unsigned aes_bits);

/// Calls `f` with the encryptor for an AES size in bits: the tool's one runtime switch between
/// instantiations (the library has none).
/// @throws usage_error for a size no cipher of `cryptoapi_ciphers` has.
template <class F>
int with_cryptoapi_preset(unsigned aes_bits, F&& f) {
    check_aes_bits(aes_bits);
    std::optional<int> rc;
    escrow::registry::for_each<cryptoapi_ciphers>([&](auto c) {
        using C = typename decltype(c)::type;
        if (!rc && C::bits == aes_bits)
            rc = f(escrow::escrow_encryptor<C, escrow::wrap::rsa_pkcs1v15, escrow::store::cryptoapi>{});
    });
    return *rc;
}

}  // namespace escrow_cli::detail
