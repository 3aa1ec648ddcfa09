// SPDX-License-Identifier: MIT
/// @file
/// The authority of a database with its key in a PKCS#11 token, for the commands that use it
/// (cli_pkcs11.cpp: recover, audit-key, decrypt; cli_serve.cpp: serve). Only in a tool built with
/// PKCS#11 (ESCROW_CLI_PKCS11): it includes escrow/wrap/pkcs11.hpp.
#pragma once

#include <escrow/authority/backup_authority.hpp>
#include <escrow/authority/identity.hpp>
#include <escrow/registry.hpp>
#include <escrow/wrap/pkcs11.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "cli_args.hpp"

namespace escrow_cli {

/// Opens the key `uri` names, the error naming `option` (never the PIN).
/// @throws escrow::error as the token says, with the option as context.
escrow::pkcs11::rsa_key open_token_key(const std::string& uri, const std::optional<std::string>& pin_file,
                                       std::string_view option);

/// The token wrap of the format of the file-key wrap `W`, or void when none serves it.
template <class W>
using token_wrap_for =
    std::conditional_t<std::is_same_v<W, escrow::wrap::rsa_oaep_sha256>, escrow::wrap::pkcs11_rsa_oaep_sha256,
                       std::conditional_t<std::is_same_v<W, escrow::wrap::rsa_pkcs1v15>, escrow::wrap::pkcs11_rsa_pkcs1v15, void>>;

/// f(authority) with the authority of `repo` (wrap `wrap_id`, officer quorum `quorum`) opened on
/// the token key `uri`: a `backup_authority<token wrap, Repo, dynamic_officer_quorum>`.
/// @throws usage_error for a wrap no token key serves (x25519, ssh-rsa); escrow::error
/// `unknown_policy_id`, and as the token says.
template <class Repo, class F>
void with_token_authority(Repo& repo, std::size_t quorum, std::uint16_t wrap_id, const std::string& uri,
                          const std::optional<std::string>& pin_file, F&& f) {
    namespace ea = escrow::authority;
    const bool known = escrow::registry::visit_id<escrow::registry::authority_wraps>(wrap_id, [&](auto t) {
        using TW = token_wrap_for<typename decltype(t)::type>;
        if constexpr (std::is_void_v<TW>) {
            throw usage_error("--key pkcs11:...: a token key serves the rsa-oaep-sha256 and rsa-pkcs1v15 authorities, not " +
                              std::string(decltype(t)::type::name));
        } else {
            escrow::pkcs11::rsa_key key = open_token_key(uri, pin_file, "--key");
            TW wrap(key.shared_session());
            ea::backup_authority<TW, Repo, ea::dynamic_officer_quorum> auth(
                repo, ea::dynamic_officer_quorum(quorum), std::move(key), std::move(wrap));
            f(auth);
        }
    });
    if (!known)
        throw escrow::error(escrow::errc::unknown_policy_id,
                            "wrap id " + std::to_string(wrap_id) + " is not one this tool's authority handles");
}

}  // namespace escrow_cli
