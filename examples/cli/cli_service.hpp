// SPDX-License-Identifier: MIT
/// @file
/// The authority as an HTTPS service in the escrow tool (built when escrow::authority_service is
/// available, ESCROW_CLI_SERVICE): `escrow authority --db DB serve`, every other authority
/// subcommand through `--server`, and `escrow encrypt --deposit`.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace escrow_cli {

/// How the tool reaches an authority service: `--server URL` with `--ca`, `--pin`,
/// `--client-cert`/`--client-key`, and `--officer-key` for the requests an officer signs.
struct remote_options {
    std::string server;
    std::optional<std::string> ca, pin, client_cert, client_key, officer_key;
};

/// Whether this tool was built with the service (escrow::authority_service).
[[nodiscard]] bool service_available() noexcept;

/// `escrow authority --db DB serve ...`.
int authority_serve(const std::string& db, std::span<char* const> argv);

/// `escrow authority --server URL SUBCOMMAND ...`.
int authority_remote(const remote_options& remote, std::string_view sub, std::span<char* const> argv);

/// Deposits the record files `records` (already written) with the service; says so for each
/// on stderr. @throws escrow::error when one fails (naming the record to deposit later).
void deposit_records(const remote_options& remote, const std::vector<std::string>& records);

}  // namespace escrow_cli
