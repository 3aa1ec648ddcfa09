// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt` for the age format: not in this version yet.
#pragma once

#include "cli_jobs.hpp"

namespace escrow_cli {

inline int encrypt_age(const encrypt_job&) { throw usage_error(not_available("--format age", "the age format")); }

inline int decrypt_age(const decrypt_job&, decrypt_input&) { throw usage_error(not_available("--format age", "the age format")); }

}  // namespace escrow_cli
