// SPDX-License-Identifier: MIT
/// @file
/// How the tool's backup authority loads the keys of each wrap it handles.

#include "cli_wraps.hpp"

#include <algorithm>
#include <utility>
#include <variant>
#include <vector>

#include "cli_age.hpp"

namespace escrow_cli {

namespace {

/// Parses a key file's content with `parse`, the error naming the option and the file.
template <class F>
auto parse_key_file(const std::string& path, std::string_view option, F&& parse) {
    key_file_bytes content(path, option);
    try {
        return parse(content.view());
    } catch (const escrow::error& e) {
        throw with_context(e, std::string(option) + " " + in_quotes(path));
    }
}

/// True when `parse(content)` succeeds.
template <class F>
bool parses_with(escrow::byte_view content, F&& parse) {
    try {
        (void)parse(content);
        return true;
    } catch (const escrow::error&) {
        return false;
    }
}

/// True for an OpenSSH public key line (a file holding one, comments aside).
bool is_ssh_line(escrow::byte_view content) {
    auto lines = escrow::detail::key_file_lines(content);
    return lines.size() == 1 && lines.front().starts_with("ssh-");
}

/// An age recipient file of kind `Key` (one `age1...` line, as `escrow keygen --type x25519`
/// writes PREFIX.pub; one `age1pq1...` line for `--type pq`); `what` names the kind.
template <class Key>
Key age_public_of(escrow::byte_view content, std::string_view what) {
    if (escrow::pem::looks_like_pem(text_of(content)))
        throw escrow::error(escrow::errc::bad_key, "is a PEM key, not " + std::string(what));
    age_recipient r = age_recipient_of(content);
    if (const auto* x = std::get_if<Key>(&r)) return *x;
    throw escrow::error(escrow::errc::bad_key, "is another kind of key, not " + std::string(what));
}

escrow::x25519_public_key x25519_public_of(escrow::byte_view content) {
    return age_public_of<escrow::x25519_public_key>(content, "an age X25519 recipient (age1...)");
}

escrow::mlkem768x25519_public_key pq_public_of(escrow::byte_view content) {
    return age_public_of<escrow::mlkem768x25519_public_key>(content, "an age post-quantum recipient (age1pq1...)");
}

/// An RSA public key in PEM, DER or PUBLICKEYBLOB, or an OpenSSH `ssh-rsa` public key file.
escrow::ssh_rsa_public_key ssh_rsa_public_of(escrow::byte_view content) {
    if (is_ssh_line(content)) return escrow::ssh_rsa_public_key::load(content);
    if (is_rsa_public_key(content)) return escrow::ssh_rsa_public_key(escrow::ms_blob::load_public_key(content));
    return escrow::ssh_rsa_public_key::load(content);
}

}  // namespace

// ---- RSA keys, for rsa-oaep-sha256 and rsa-pkcs1v15 ------------------------------------------------

bool cli_wrap<escrow::wrap::rsa_oaep_sha256>::is_public_key(escrow::byte_view content) {
    // An OpenSSH line selects ssh-rsa; these wraps take it when --wrap names them (with_key_wrap).
    return !is_ssh_line(content) && is_rsa_public_key(content);
}

escrow::rsa_public_key cli_wrap<escrow::wrap::rsa_oaep_sha256>::load_public(const std::string& path, std::string_view option) {
    return load_recipient(path, option);
}

escrow::rsa_private_key cli_wrap<escrow::wrap::rsa_oaep_sha256>::load_private(const std::string& path,
                                                                              std::string_view option) {
    return load_identity(path, option);
}

// ---- age X25519 keys -------------------------------------------------------------------------------

bool cli_wrap<escrow::wrap::x25519>::is_public_key(escrow::byte_view content) {
    return parses_with(content, x25519_public_of);
}

escrow::x25519_public_key cli_wrap<escrow::wrap::x25519>::load_public(const std::string& path, std::string_view option) {
    return parse_key_file(path, option, x25519_public_of);
}

escrow::x25519_private_key cli_wrap<escrow::wrap::x25519>::load_private(const std::string& path, std::string_view option) {
    return parse_key_file(path, option, [](escrow::byte_view c) { return escrow::x25519_private_key::load(c); });
}

// ---- age post-quantum keys -------------------------------------------------------------------------

bool cli_wrap<escrow::wrap::mlkem768x25519>::is_public_key(escrow::byte_view content) {
    return parses_with(content, pq_public_of);
}

escrow::mlkem768x25519_public_key cli_wrap<escrow::wrap::mlkem768x25519>::load_public(const std::string& path,
                                                                                      std::string_view option) {
    return parse_key_file(path, option, pq_public_of);
}

escrow::mlkem768x25519_private_key cli_wrap<escrow::wrap::mlkem768x25519>::load_private(const std::string& path,
                                                                                        std::string_view option) {
    return parse_key_file(path, option, [](escrow::byte_view c) { return escrow::mlkem768x25519_private_key::load(c); });
}

// ---- RSA keys for age's ssh-rsa recipients -----------------------------------------------------------

bool cli_wrap<escrow::wrap::ssh_rsa>::is_public_key(escrow::byte_view content) {
    return parses_with(content, ssh_rsa_public_of);
}

escrow::ssh_rsa_public_key cli_wrap<escrow::wrap::ssh_rsa>::load_public(const std::string& path, std::string_view option) {
    auto k = parse_key_file(path, option, ssh_rsa_public_of);
    require_rsa_bits(k.bits(), std::string(option) + " " + in_quotes(path));
    return k;
}

escrow::ssh_rsa_private_key cli_wrap<escrow::wrap::ssh_rsa>::load_private(const std::string& path, std::string_view option) {
    auto k = parse_key_file(path, option, [](escrow::byte_view c) {
        std::string_view text(reinterpret_cast<const char*>(c.data()), c.size());
        if (text.find("-----BEGIN OPENSSH PRIVATE KEY-----") != std::string_view::npos)
            return escrow::ssh_rsa_private_key::load(c);
        return escrow::ssh_rsa_private_key(escrow::ms_blob::load_private_key(c));
    });
    require_rsa_bits(k.bits(), std::string(option) + " " + in_quotes(path));
    return k;
}

// ---- OpenSSH Ed25519 keys for age's ssh-ed25519 recipients -------------------------------------------

bool cli_wrap<escrow::wrap::ssh_ed25519>::is_public_key(escrow::byte_view content) {
    return parses_with(content, [](escrow::byte_view c) { return escrow::ssh_ed25519_public_key::load(c); });
}

escrow::ssh_ed25519_public_key cli_wrap<escrow::wrap::ssh_ed25519>::load_public(const std::string& path,
                                                                                std::string_view option) {
    return parse_key_file(path, option, [](escrow::byte_view c) { return escrow::ssh_ed25519_public_key::load(c); });
}

escrow::ssh_ed25519_private_key cli_wrap<escrow::wrap::ssh_ed25519>::load_private(const std::string& path,
                                                                                  std::string_view option) {
    return parse_key_file(path, option, [](escrow::byte_view c) { return escrow::ssh_ed25519_private_key::load(c); });
}

void require_authority_wrap(const std::string& name) {
    if (escrow::registry::visit_name<escrow::registry::authority_wraps>(name, [](auto) {})) return;
    throw usage_error("--wrap '" + name + "' is not a wrap an authority handles (" +
                      listed(escrow::registry::names<escrow::registry::authority_wraps>(), ", ") + ")");
}

std::string authority_key_kinds() {
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> kinds;  // first mentioned first
    escrow::registry::for_each<escrow::registry::authority_wraps>([&](auto t) {
        using W = typename decltype(t)::type;
        for (std::string_view kind : cli_wrap<W>::key_kinds) {
            auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == kind; });
            if (it == kinds.end()) it = kinds.emplace(kinds.end(), kind, std::vector<std::string_view>{});
            it->second.push_back(W::name);
        }
    });
    std::string out;
    for (const auto& [kind, wraps] : kinds)
        out += (out.empty() ? "" : "; ") + std::string(kind) + (out.empty() ? ": wrap " : ": ") + listed(wraps);
    return out;
}

std::string id_name(std::string_view family, std::uint16_t id) {
    auto n = escrow::ids::name_of(family, id);
    return n.empty() ? escrow::policy_ids::hex(id) : std::string(n);
}

}  // namespace escrow_cli
