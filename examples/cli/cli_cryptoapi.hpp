// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt` for the cryptoapi format: not in this version yet.
#pragma once

#include "cli_jobs.hpp"

namespace escrow_cli {

inline int encrypt_cryptoapi(const encrypt_job&) { throw usage_error(not_available("--format cryptoapi", "CryptoAPI format support")); }

inline int decrypt_cryptoapi(const decrypt_job&, decrypt_input&) { throw usage_error(not_available("--format cryptoapi", "CryptoAPI format support")); }

}  // namespace escrow_cli
