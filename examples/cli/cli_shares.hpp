// SPDX-License-Identifier: MIT
/// @file
/// The share records of `escrow decrypt` for a k-of-n file (native or age).
#pragma once

#include <escrow/record.hpp>

#include <cstddef>
#include <vector>

#include "cli_jobs.hpp"

namespace escrow_cli {

/// The job's --record files, loaded in order, as the share records of a k-of-n file: one for each
/// of the `keys` keys, paired by order.
/// @throws usage_error when there are not as many records as keys.
std::vector<escrow::escrow_record> load_share_records(const decrypt_job& job, std::size_t keys);

}  // namespace escrow_cli
