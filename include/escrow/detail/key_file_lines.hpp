// SPDX-License-Identifier: MIT
/// @file
/// The lines of a text key file that carry something: what age identity and recipient files and
/// OpenSSH `.pub` files have in common. Not public API.
#pragma once

#include <string_view>
#include <vector>

#include "escrow/core/bytes.hpp"

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

}  // namespace escrow::detail
