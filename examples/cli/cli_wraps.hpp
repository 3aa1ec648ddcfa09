// SPDX-License-Identifier: MIT
/// @file
/// The wraps the tool's backup authority handles, and how it loads their keys: for
/// `escrow authority` (cli_authority.cpp), `escrow officer request` (cli_officer.cpp) and
/// `escrow rewrap` (cli_rewrap.cpp).
///
/// Extension point for more formats: `authority_wraps` lists the wraps an authority database can
/// be bound to, with a `cli_wrap` specialisation each, saying how to load its keys.
#pragma once

#include <escrow/escrow.hpp>

#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli_args.hpp"
#include "cli_io.hpp"

namespace escrow_cli {

namespace hana = boost::hana;

/// How the tool loads one wrap's keys. Specialise for each wrap in `authority_wraps`:
/// `is_public_key(content)` (true when a public key file's content is this wrap's kind of key),
/// `load_public(path, option)` and `load_private(path, option)`.
template <class Wrap>
struct cli_wrap;

/// RSA keys (PEM, DER or CryptoAPI key blobs) for the native format's wrap...
template <>
struct cli_wrap<escrow::wrap::rsa_oaep_sha256> {
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
    static bool is_public_key(escrow::byte_view content);
    static escrow::x25519_public_key load_public(const std::string& path, std::string_view option);
    static escrow::x25519_private_key load_private(const std::string& path, std::string_view option);
};

/// RSA keys for age's ssh-rsa recipients (`--wrap ssh-rsa`): an OpenSSH public key line or any
/// RSA public key file the tool reads; the private key in OpenSSH's format or PEM/DER.
template <>
struct cli_wrap<escrow::wrap::ssh_rsa> {
    static bool is_public_key(escrow::byte_view content);
    static escrow::ssh_rsa_public_key load_public(const std::string& path, std::string_view option);
    static escrow::ssh_rsa_private_key load_private(const std::string& path, std::string_view option);
};

/// The wraps an authority database can be bound to, tried in order when `init` reads a key: an
/// RSA key selects rsa-oaep-sha256 (the native format) unless --wrap names rsa-pkcs1v15
/// (CryptoAPI) or ssh-rsa (age); an `age1...` key selects x25519 (age); an OpenSSH line, ssh-rsa.
using authority_wraps = hana::tuple<hana::type<escrow::wrap::rsa_oaep_sha256>, hana::type<escrow::wrap::rsa_pkcs1v15>,
                                    hana::type<escrow::wrap::x25519>, hana::type<escrow::wrap::ssh_rsa>>;

/// Calls `f(hana::type_c<Wrap>)` for the first wrap whose keys are of the kind the public key file
/// `path` holds (or the one named `wrap_name`, when given, if its keys are of that kind).
/// @throws escrow::error `bad_key` when no wrap of the tool takes that key.
template <class F>
int with_key_wrap(const std::string& path, std::string_view option, const std::optional<std::string>& wrap_name, F&& f) {
    if (wrap_name) {
        std::string names;
        bool known = false;
        hana::for_each(authority_wraps{}, [&](auto t) {
            using W = typename decltype(t)::type;
            known |= *wrap_name == W::name;
            names += (names.empty() ? "" : ", ") + std::string(W::name);
        });
        if (!known) throw usage_error("--wrap '" + *wrap_name + "' is not a wrap an authority handles (" + names + ")");
    }
    key_file_bytes content(path, option);
    std::optional<int> rc;
    hana::for_each(authority_wraps{}, [&](auto t) {
        using W = typename decltype(t)::type;
        if (!rc && (!wrap_name || *wrap_name == W::name) && cli_wrap<W>::is_public_key(content.view())) rc = f(t);
    });
    if (!rc)
        throw escrow::error(escrow::errc::bad_key,
                            std::string(option) + " " + in_quotes(path) +
                                " is not a public key of a kind an authority handles (RSA: wrap rsa-oaep-sha256, "
                                                                 "rsa-pkcs1v15 or ssh-rsa; age1...: x25519; ssh-rsa line: ssh-rsa)" +
                                (wrap_name ? " with --wrap " + *wrap_name : std::string()));
    return *rc;
}

/// A policy's name in `family` ("wrap", "cipher", "store"), or its id in hex when the tool does
/// not know it.
std::string id_name(std::string_view family, std::uint16_t id);

}  // namespace escrow_cli
