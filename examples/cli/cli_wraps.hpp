// SPDX-License-Identifier: MIT
/// @file
/// How the tool loads the keys of the wraps its backup authority handles
/// (`escrow::registry::authority_wraps`): for `escrow authority` (cli_authority.cpp), `escrow
/// officer request` (cli_officer.cpp) and `escrow rewrap` (cli_rewrap.cpp).
///
/// Extension point for more formats: a wrap joins the tool through the library's registry; what
/// the tool adds is a `cli_wrap` specialisation saying how to load its keys (a wrap of
/// `authority_wraps` without one does not compile).
#pragma once

#include <escrow/escrow.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "cli_args.hpp"
#include "cli_io.hpp"

namespace escrow_cli {

/// How the tool loads one wrap's keys. Specialise it for each wrap of
/// `escrow::registry::authority_wraps`, with the members `cli_key_loader` states:
/// `key_kinds` (the kinds of public key file that select the wrap, as the tool's messages name
/// them), `is_public_key(content)` (true when a public key file's content is this wrap's kind of
/// key), `load_public(path, option)` and `load_private(path, option)`. This primary template has
/// none of them.
template <class Wrap>
struct cli_wrap {};

/// RSA keys (PEM, DER or CryptoAPI key blobs) for the native format's wrap...
template <>
struct cli_wrap<escrow::wrap::rsa_oaep_sha256> {
    static constexpr std::string_view key_kinds[] = {"RSA"};
    static bool is_public_key(escrow::byte_view content);
    static escrow::rsa_public_key load_public(const std::string& path, std::string_view option);
    static escrow::rsa_private_key load_private(const std::string& path, std::string_view option);
};

/// ...and, the same keys, for CryptoAPI's (`--wrap rsa-pkcs1v15`).
template <>
struct cli_wrap<escrow::wrap::rsa_pkcs1v15> : cli_wrap<escrow::wrap::rsa_oaep_sha256> {};

/// age X25519 keys: the `age1...` recipient file and the identity file `escrow keygen --type
/// x25519` (or age-keygen) writes.
template <>
struct cli_wrap<escrow::wrap::x25519> {
    static constexpr std::string_view key_kinds[] = {"age1..."};
    static bool is_public_key(escrow::byte_view content);
    static escrow::x25519_public_key load_public(const std::string& path, std::string_view option);
    static escrow::x25519_private_key load_private(const std::string& path, std::string_view option);
};

/// age post-quantum (MLKEM768-X25519) keys: the `age1pq1...` recipient file and the identity file
/// `escrow keygen --type pq` (or age-keygen -pq) writes.
template <>
struct cli_wrap<escrow::wrap::mlkem768x25519> {
    static constexpr std::string_view key_kinds[] = {"age1pq1..."};
    static bool is_public_key(escrow::byte_view content);
    static escrow::mlkem768x25519_public_key load_public(const std::string& path, std::string_view option);
    static escrow::mlkem768x25519_private_key load_private(const std::string& path, std::string_view option);
};

/// RSA keys for age's ssh-rsa recipients (`--wrap ssh-rsa`): an OpenSSH public key line or any
/// RSA public key file the tool reads; the private key in OpenSSH's format or PEM/DER.
template <>
struct cli_wrap<escrow::wrap::ssh_rsa> {
    static constexpr std::string_view key_kinds[] = {"RSA", "ssh-rsa line"};
    static bool is_public_key(escrow::byte_view content);
    static escrow::ssh_rsa_public_key load_public(const std::string& path, std::string_view option);
    static escrow::ssh_rsa_private_key load_private(const std::string& path, std::string_view option);
};

/// OpenSSH Ed25519 keys for age's ssh-ed25519 recipients: an `ssh-ed25519` public key line, and
/// the unencrypted private key `ssh-keygen -t ed25519` (or `escrow keygen --type ssh-ed25519`) writes.
template <>
struct cli_wrap<escrow::wrap::ssh_ed25519> {
    static constexpr std::string_view key_kinds[] = {"ssh-ed25519 line"};
    static bool is_public_key(escrow::byte_view content);
    static escrow::ssh_ed25519_public_key load_public(const std::string& path, std::string_view option);
    static escrow::ssh_ed25519_private_key load_private(const std::string& path, std::string_view option);
};

/// What a `cli_wrap<Wrap>` specialisation provides.
template <class Wrap>
concept cli_key_loader = requires(escrow::byte_view content, const std::string& path, std::string_view option) {
    { cli_wrap<Wrap>::key_kinds[0] } -> std::convertible_to<std::string_view>;
    { cli_wrap<Wrap>::is_public_key(content) } -> std::same_as<bool>;
    { cli_wrap<Wrap>::load_public(path, option) } -> std::same_as<typename Wrap::public_key>;
    { cli_wrap<Wrap>::load_private(path, option) } -> std::same_as<typename Wrap::private_key>;
};

namespace detail {
// One check per wrap, so that the compiler's output names the wrap that lacks its loader.
template <class Wrap>
struct loader_checked {
    static_assert(cli_key_loader<Wrap>,
                  "escrow CLI: this wrap of escrow::registry::authority_wraps has no cli_wrap<Wrap> specialisation "
                  "in examples/cli/cli_wraps.hpp: give it static constexpr std::string_view key_kinds[], "
                  "static bool is_public_key(escrow::byte_view), static Wrap::public_key load_public(const "
                  "std::string& path, std::string_view option) and static Wrap::private_key load_private(const "
                  "std::string& path, std::string_view option)");
    static constexpr bool value = true;
};
template <class... Wraps>
constexpr bool loaders_checked(escrow::type_list<Wraps...>) {
    return (loader_checked<Wraps>::value && ...);
}
}  // namespace detail

// The registry's authority wraps, each with its loader.
static_assert(detail::loaders_checked(escrow::registry::authority_wraps{}));

/// @throws usage_error when `name` (a `--wrap` value) names no wrap of
/// `escrow::registry::authority_wraps`, the message listing theirs.
void require_authority_wrap(const std::string& name);

/// The kinds of public key the authority's wraps take and the wraps each kind selects, from their
/// `cli_wrap::key_kinds`, as the tool's messages give them: "RSA: wrap rsa-oaep-sha256,
/// rsa-pkcs1v15 or ssh-rsa; age1...: x25519; ssh-rsa line: ssh-rsa".
std::string authority_key_kinds();

/// Calls `f(std::type_identity<Wrap>{})` for the first wrap of `escrow::registry::authority_wraps`
/// (registry order) whose keys are of the kind the public key file `path` holds, or the one named
/// `wrap_name`, when given, if its keys are of that kind. So an RSA key selects rsa-oaep-sha256
/// (the native format) unless --wrap names rsa-pkcs1v15 (CryptoAPI) or ssh-rsa (age); an
/// `age1...` key selects x25519 (age); an `age1pq1...` key, mlkem768x25519 (age); an OpenSSH
/// ssh-rsa line, ssh-rsa; an ssh-ed25519 line, ssh-ed25519.
/// @throws usage_error when `wrap_name` names no wrap of an authority.
/// @throws escrow::error `bad_key` when no wrap of the tool takes that key.
template <class F>
int with_key_wrap(const std::string& path, std::string_view option, const std::optional<std::string>& wrap_name, F&& f) {
    if (wrap_name) require_authority_wrap(*wrap_name);
    key_file_bytes content(path, option);
    std::optional<int> rc;
    escrow::registry::for_each<escrow::registry::authority_wraps>([&](auto t) {
        using W = typename decltype(t)::type;
        const bool named = wrap_name && *wrap_name == W::name;
        // Any RSA key, an OpenSSH ssh-rsa line too, is a key of an RSA wrap that --wrap names.
        const bool takes = cli_wrap<W>::is_public_key(content.view()) ||
                           (named && std::is_same_v<typename W::public_key, escrow::rsa_public_key> &&
                            is_rsa_public_key(content.view()));
        if (!rc && (!wrap_name || named) && takes) rc = f(t);
    });
    if (!rc)
        throw escrow::error(escrow::errc::bad_key, std::string(option) + " " + in_quotes(path) +
                                                       " is not a public key of a kind an authority handles (" +
                                                       authority_key_kinds() + ")" +
                                                       (wrap_name ? " with --wrap " + *wrap_name : std::string()));
    return *rc;
}

/// A policy's name in `family` ("wrap", "cipher", "store"), or its id in hex when the tool does
/// not know it.
std::string id_name(std::string_view family, std::uint16_t id);

}  // namespace escrow_cli
