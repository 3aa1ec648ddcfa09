// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool's hand-written argument parser, usage errors and exit codes.
#pragma once

#include <escrow/core/error.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace escrow_cli {

/// The tool's exit codes (documented in `escrow --help` and docs/cli.md).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int decrypt_failed = 1;  ///< wrong key, tampered, truncated, trailing data
inline constexpr int usage = 2;           ///< bad options, or a format or feature not in this version
inline constexpr int io = 3;              ///< missing or unreadable file, output is the input or exists
inline constexpr int bad_key = 4;         ///< a key file that is not a usable key of the right kind
inline constexpr int bad_input = 5;       ///< unknown or malformed input format
inline constexpr int refused = 6;         ///< the authority refused a recovery (identity not established)
}  // namespace exit_code

/// What every `--help` ends with instead of the table: the codes in one line, and where the table
/// of every error is (docs/cli.md, and the man page's EXIT STATUS, made from `exit_codes_help_text`).
inline constexpr std::string_view see_exit_codes =
    "Exit status: 0 ok, 1 decryption failed, 2 usage, 3 I/O, 4 bad key, 5 bad input, 6 refused.\n"
    "Every error and its status: 'man escrow' (EXIT STATUS) or docs/cli.md (\"Errors and exit codes\").\n";

/// The exit codes, as the man page (`escrow --man`) lists them.
inline constexpr std::string_view exit_codes_help_text =
    "Exit codes:\n"
    "  0  success\n"
    "  1  decryption failed: wrong key, tampered or truncated file, trailing data; a record\n"
    "     altered in the authority's database; a broken audit log\n"
    "  2  usage error: bad options, or a format or feature not available in this version\n"
    "  3  I/O error: missing or unreadable file, output is the input, output already exists\n"
    "  4  bad key file: not a key, the wrong kind of key (public for private), too small\n"
    "  5  unknown or malformed input: not an escrow file or record, unsupported version or policy\n"
    "  6  recovery refused by the authority: officer quorum not met, expired or replayed\n"
    "     request, revoked record, request for another authority\n";

/// The one place where library error codes become exit codes.
[[nodiscard]] constexpr int exit_code_for(escrow::errc c) noexcept {
    using escrow::errc;
    switch (c) {
        case errc::authentication_failed:
        case errc::no_matching_key:
        case errc::truncated:
        case errc::trailing_data: return exit_code::decrypt_failed;
        case errc::identity_rejected: return exit_code::refused;
        case errc::invalid_argument: return exit_code::usage;
        case errc::io_error:
        case errc::not_found: return exit_code::io;
        case errc::bad_key: return exit_code::bad_key;
        case errc::malformed_blob:
        case errc::malformed_header:
        case errc::unsupported_version:
        case errc::unknown_policy_id:
        case errc::limit_exceeded:
        case errc::malformed_armor: return exit_code::bad_input;
    }
    return exit_code::decrypt_failed;
}

/// A mistake in the command line, or a request for something this version does not do (exit 2).
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One option a subcommand accepts.
struct option_spec {
    std::string_view long_name;  ///< without the leading "--"
    char short_name = 0;         ///< 0 when there is none
    bool takes_value = false;
    bool repeatable = false;
};

/// A parsed command line: option values by long name (flags hold empty strings) and operands.
class parsed_args {
public:
    [[nodiscard]] bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }

    /// The value of a non-repeatable option, if given.
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const {
        auto it = values_.find(std::string(name));
        if (it == values_.end()) return std::nullopt;
        return it->second.front();
    }

    /// Every value of a repeatable option, in command-line order.
    [[nodiscard]] std::vector<std::string> all(std::string_view name) const {
        auto it = values_.find(std::string(name));
        return it == values_.end() ? std::vector<std::string>{} : it->second;
    }

    [[nodiscard]] const std::vector<std::string>& operands() const noexcept { return operands_; }

private:
    friend parsed_args parse_args(std::string_view, std::span<const option_spec>, std::span<char* const>);
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> operands_;
};

/// Parses `args` (the words after the subcommand) against `specs`. Accepts `--name VALUE`,
/// `--name=VALUE`, `-x VALUE`, `-xVALUE`; `--` ends the options; a lone `-` is an operand.
/// @throws usage_error for an unknown option, a missing value, or a repeated single option.
parsed_args parse_args(std::string_view command, std::span<const option_spec> specs, std::span<char* const> args);

/// `items` as a message lists them: "a", "a or b", "a, b or c" (`last` between the last two).
std::string listed(std::span<const std::string_view> items, std::string_view last = " or ");

/// Parses a decimal unsigned integer, all of `text`. @throws usage_error otherwise.
unsigned parse_unsigned(std::string_view text, std::string_view what);

}  // namespace escrow_cli
