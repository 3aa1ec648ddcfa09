// SPDX-License-Identifier: MIT
/// @file
/// The man page escrow(1) and the bash completion script, both written from the tool's own
/// `--help` texts (hidden options `escrow --man` and `escrow --bash-completion`, which the build
/// runs), so that neither can drift from what the tool says and accepts.
#pragma once

#include <string_view>

namespace escrow_cli {

/// Writes escrow(1) in roff (man(7) macros) to standard output. `main_help` is `escrow --help`'s text.
int print_man_page(std::string_view main_help);

/// Writes a bash completion script for `escrow` to standard output: the commands, subcommands and
/// options the `--help` texts name, and the values of --format, --type, --key-format and --wrap.
int print_bash_completion(std::string_view main_help);

}  // namespace escrow_cli
