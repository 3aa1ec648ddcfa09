// SPDX-License-Identifier: MIT
/// @file
/// The authority's private key in a PKCS#11 token, named by an RFC 7512 URI wherever the tool
/// takes the authority's private key file: `authority init --authority-key`, `authority recover
/// --key`, `decrypt --key` with `--record` (cli_pkcs11.cpp). The PIN comes from `--pin-file` or
/// the URI's `pin-source`; it never appears on a command line and is never printed.
#pragma once

#include <escrow/authority/backup_authority.hpp>
#include <escrow/escrow.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cli_jobs.hpp"

namespace escrow_cli {

/// The option every command that takes a token key accepts: the file holding the token's PIN.
inline constexpr std::string_view pin_file_help =
    "  --pin-file FILE     the PKCS#11 token's PIN, the first line of FILE, when the key is a\n"
    "                      pkcs11: URI (or give pin-source=file:FILE in the URI)\n";

/// True when `key` (a `--key` or `--authority-key` value) is a `pkcs11:` URI, not a file's path.
[[nodiscard]] bool is_pkcs11_uri(std::string_view key);

/// The public half of the token key `uri` names, read from the token.
/// @throws usage_error when the tool was built without PKCS#11; escrow::error as the token says.
[[nodiscard]] escrow::rsa_public_key token_public_key(const std::string& uri, const std::optional<std::string>& pin_file);

/// The `pkcs11:` URI among the job's --key values, if there is one.
/// @throws usage_error when a URI comes with other --key values: a token key is an authority's,
/// given alone (with --record).
[[nodiscard]] std::optional<std::string> token_key(const decrypt_job& job);

/// Step 4 with the authority's key in a token: the recovery of `request`, for the authority of
/// `repo` (wrap `wrap_id`, officer quorum `quorum`), through the token key `uri`. Defined for
/// `sqlite_repository` and `postgres_repository`.
/// @throws usage_error for a wrap no token key serves (x25519, ssh-rsa), or without PKCS#11.
template <class Repo>
[[nodiscard]] escrow::authority::owner_blob recover_through_token(
    Repo& repo, std::size_t quorum, std::uint16_t wrap_id, const std::string& uri,
    const std::optional<std::string>& pin_file, const escrow::authority::recovery_request& request,
    std::span<const escrow::authority::officer_signature> signatures);

/// The audit public key of the authority of `repo` (wrap `wrap_id`) whose key is in a token (the
/// token computes its material: authority/audit_signing.hpp), or nothing when the token allows
/// neither signing nor raw RSA with the key. Instantiated as `recover_through_token`.
/// @throws usage_error for a wrap no token key serves, or without PKCS#11.
template <class Repo>
[[nodiscard]] std::optional<escrow::authority::audit_public_key> token_audit_key(Repo& repo, std::size_t quorum,
                                                                                 std::uint16_t wrap_id, const std::string& uri,
                                                                                 const std::optional<std::string>& pin_file);

/// `escrow decrypt --key pkcs11:... --record REC` for a native file.
int decrypt_native_with_token(const decrypt_job& job, decrypt_input& in);
/// `escrow decrypt --key pkcs11:... --record REC` for a CryptoAPI file of AES-`aes_bits`.
int decrypt_cryptoapi_with_token(const decrypt_job& job, decrypt_input& in, unsigned aes_bits);

}  // namespace escrow_cli
