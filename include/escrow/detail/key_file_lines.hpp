// SPDX-License-Identifier: MIT
/// @file
/// The lines of a text key file that carry something: what age identity and recipient files and
/// OpenSSH `.pub` files have in common. Not public API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"

namespace escrow::detail {

/// The lines of `content` that are neither empty nor `#` comments, in order, with LF or CRLF line
/// ends removed. The views point into `content` (no copy of what may be secret).
[[nodiscard]] inline std::vector<std::string_view> key_file_lines(byte_view content) {
    std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (!line.empty() && !line.starts_with('#')) lines.push_back(line);
    }
    return lines;
}

/// The identities of an identity file as age reads it with `-i`: `#` comment lines, blank lines,
/// and one or more lines starting with `prefix` ("AGE-SECRET-KEY-1"), each read by `parse`, in
/// order; at most `max` of them.
/// @throws escrow::error `bad_key` for any other line, for no identity, and for more than `max`.
template <class Key, class Parse>
[[nodiscard]] std::vector<Key> load_identity_lines(byte_view content, std::string_view prefix, std::size_t max, Parse&& parse) {
    std::vector<Key> keys;
    for (std::string_view line : key_file_lines(content)) {
        if (!line.starts_with(prefix))
            throw error(errc::bad_key, "not an age identity file (a line is neither a comment nor '" + std::string(prefix) +
                                           "...')");
        if (keys.size() == max)
            throw error(errc::bad_key, "the identity file holds more than " + std::to_string(max) + " identities");
        keys.push_back(parse(line));
    }
    if (keys.empty()) throw error(errc::bad_key, "no '" + std::string(prefix) + "...' identity in the file");
    return keys;
}

/// The one identity of an identity file that must hold exactly one (see `load_identity_lines`).
/// @throws escrow::error `bad_key` for anything else, several identities included.
template <class Key, class Parse>
[[nodiscard]] Key load_one_identity(byte_view content, std::string_view prefix, std::size_t max, Parse&& parse) {
    std::vector<Key> keys = load_identity_lines<Key>(content, prefix, max, parse);
    if (keys.size() != 1)
        throw error(errc::bad_key, "the identity file holds " + std::to_string(keys.size()) + " identities; give a file with one");
    return std::move(keys.front());
}

/// An identity file as age-keygen writes it: "# created: <UTC time>", "# public key: <recipient>",
/// then the identity line, in wiped memory (`unsafe_text()` reads it).
[[nodiscard]] inline private_key_encoding age_identity_file(std::uint64_t created, std::string_view recipient,
                                                            const private_key_encoding& identity) {
    std::time_t t = static_cast<std::time_t>(created);
    std::tm tm{};
    char when[32] = "unknown";
    if (::gmtime_r(&t, &tm)) std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const std::string head = "# created: " + std::string(when) + "\n# public key: " + std::string(recipient) + "\n";
    private_key_encoding out(head.size() + identity.size() + 1);
    mutable_byte_view o = out.unsafe_mutable_bytes();
    std::copy(head.begin(), head.end(), o.begin());
    std::copy(identity.unsafe_bytes().begin(), identity.unsafe_bytes().end(), o.begin() + static_cast<std::ptrdiff_t>(head.size()));
    o.back() = '\n';
    return out;
}

}  // namespace escrow::detail
