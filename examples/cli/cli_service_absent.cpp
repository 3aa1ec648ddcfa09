// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool built without escrow::authority_service: `serve`, `--server` and `--deposit`
/// say that they are not available (cli_service.hpp).

#include "cli_args.hpp"
#include "cli_service.hpp"

namespace escrow_cli {

bool service_available() noexcept { return false; }

namespace {
[[noreturn]] void absent() {
    throw usage_error("this escrow tool was built without the authority service (Debian: libssl-dev, nlohmann-json3-dev)");
}
}  // namespace

int authority_serve(const std::string&, std::span<char* const>) { absent(); }
int authority_remote(const remote_options&, std::string_view, std::span<char* const>) { absent(); }
void deposit_records(const remote_options&, const std::vector<std::string>&) { absent(); }

}  // namespace escrow_cli
