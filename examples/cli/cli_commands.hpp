// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool's commands, one unit each (cli_<command>.cpp; encrypt and decrypt share
/// cli_encrypt.cpp), as `main` (escrow.cpp) dispatches to them. Each takes the words after the
/// command's name and returns the exit code; errors are thrown, for `main` to report.
#pragma once

#include <span>

namespace escrow_cli {

int cmd_keygen(std::span<char* const> argv);     ///< `escrow keygen`
int cmd_encrypt(std::span<char* const> argv);    ///< `escrow encrypt`
int cmd_decrypt(std::span<char* const> argv);    ///< `escrow decrypt`
int cmd_inspect(std::span<char* const> argv);    ///< `escrow inspect`
int cmd_authority(std::span<char* const> argv);  ///< `escrow authority`
int cmd_officer(std::span<char* const> argv);    ///< `escrow officer`
int cmd_rewrap(std::span<char* const> argv);     ///< `escrow rewrap`

}  // namespace escrow_cli
