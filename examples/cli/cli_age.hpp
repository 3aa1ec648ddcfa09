// SPDX-License-Identifier: MIT
/// @file
/// age recipients and the content of age recipient files, as `escrow encrypt --format age`
/// (cli_age.cpp) and the authority's x25519 wrap (cli_wraps.cpp) read them.
#pragma once

#include <escrow/escrow.hpp>

#include <string_view>
#include <variant>

namespace escrow_cli {

/// An age recipient: X25519 (`age1…`), OpenSSH RSA (`ssh-rsa AAAA…`), OpenSSH Ed25519
/// (`ssh-ed25519 AAAA…`) or hybrid post-quantum MLKEM768-X25519 (`age1pq1…`).
using age_recipient = std::variant<escrow::x25519_public_key, escrow::ssh_rsa_public_key, escrow::ssh_ed25519_public_key,
                                   escrow::mlkem768x25519_public_key>;

/// True for a post-quantum recipient (`age1pq1…`), which a file does not mix with classical ones.
[[nodiscard]] inline bool is_post_quantum(const age_recipient& r) noexcept {
    return std::holds_alternative<escrow::mlkem768x25519_public_key>(r);
}

/// A file's bytes as text.
std::string_view text_of(escrow::byte_view b);

/// The one recipient in the content of an age recipients file or an OpenSSH `.pub` file (blank
/// and `#` lines skipped). @throws escrow::error `bad_key`.
age_recipient age_recipient_of(escrow::byte_view content);

}  // namespace escrow_cli
