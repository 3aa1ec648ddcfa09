// SPDX-License-Identifier: MIT
/// @file
/// The CryptoAPI format's presets (escrow::legacy::cryptoapi_encryptor<128|192|256>), chosen at
/// run time by AES size, for `escrow encrypt`, `escrow decrypt` (cli_cryptoapi.cpp) and
/// `escrow inspect`.
#pragma once

#include <escrow/escrow.hpp>

#include "cli_args.hpp"

namespace escrow_cli::detail {

/// Calls `f` with the preset for an AES size in bits: the tool's one runtime switch between
/// instantiations (the library has none).
template <class F>
int with_cryptoapi_preset(unsigned aes_bits, F&& f) {
    switch (aes_bits) {
        case 128: return f(escrow::legacy::cryptoapi_encryptor<128>{});
        case 192: return f(escrow::legacy::cryptoapi_encryptor<192>{});
        case 256: return f(escrow::legacy::cryptoapi_encryptor<256>{});
    }
    throw usage_error("--aes-bits must be 128, 192 or 256");
}

}  // namespace escrow_cli::detail
