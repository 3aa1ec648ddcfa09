// SPDX-License-Identifier: MIT
/// @file
/// `escrow::serial_number`: the rule every serial number keeps (in key info, escrow records,
/// native headers, owner blobs and recovery requests), and the generator of fresh ones.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"

namespace escrow {

/// A serial number: 1 to 128 printable ASCII characters (0x21–0x7E), so no space or control.
/// Unique per escrow record and printable in logs, tab-separated listings and file names.
///
/// A `serial_number` always keeps the rule: the constructor checks it. Encoders refuse a serial
/// that breaks it (`invalid_argument`) and parsers a field that breaks it (their format's code),
/// so that whatever parses re-encodes. Fields that may still be empty (`key_info::serial`, which
/// `encrypt` fills with a fresh serial when left empty) stay strings checked through `problem`.
class serial_number {
public:
    /// The longest serial, in bytes.
    static constexpr std::size_t max_size = 128;
    /// The prefix of generated serials.
    static constexpr std::string_view generated_prefix = "ESC-";

    /// Takes `s` as a serial number.
    /// @throws escrow::error `invalid_argument` naming the rule it breaks.
    explicit serial_number(std::string s) : s_(std::move(s)) {
        if (auto p = problem(s_)) throw error(errc::invalid_argument, "serial number " + std::string(*p));
    }

    /// A fresh serial: "ESC-" and 26 Crockford base32 characters carrying 128 bits drawn from
    /// `rng` (one draw of 16 bytes).
    [[nodiscard]] static serial_number generate(system_random& rng = default_random()) {
        static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        byte raw[17] = {};  // one zero byte past the 16 drawn, for the last group's padding
        rng.fill(std::span(raw, 16));
        std::string s(generated_prefix);
        // 26 groups of 5 bits cover the 128 bits (the last group is padded with zero bits).
        for (int i = 0; i < 26; ++i) {
            const int bit = i * 5, idx = bit / 8, off = bit % 8;
            const unsigned v = (unsigned(raw[idx]) << 8 | raw[idx + 1]) >> (11 - off);
            s.push_back(alphabet[v & 31]);
        }
        return serial_number(std::move(s), checked{});
    }

    /// What is wrong with `s` as a serial number ("must be ..."), or nothing when it keeps the rule.
    [[nodiscard]] static constexpr std::optional<std::string_view> problem(std::string_view s) noexcept {
        if (s.empty() || s.size() > max_size) return "must be 1 to 128 characters";
        for (char c : s)
            if (c <= 0x20 || c > 0x7e) return "must be printable ASCII without spaces";
        return std::nullopt;
    }

    /// True when `s` keeps the rule.
    [[nodiscard]] static constexpr bool valid(std::string_view s) noexcept { return !problem(s); }

    /// The characters.
    [[nodiscard]] const std::string& str() const noexcept { return s_; }
    /// The characters, as a view.
    [[nodiscard]] operator std::string_view() const noexcept { return s_; }

    /// Equal when the characters are.
    friend bool operator==(const serial_number&, const serial_number&) = default;
    /// Equal when the characters are those of `b`.
    friend bool operator==(const serial_number& a, std::string_view b) noexcept { return a.s_ == b; }
    /// Writes the characters.
    friend std::ostream& operator<<(std::ostream& os, const serial_number& s) { return os << s.s_; }

private:
    struct checked {};
    serial_number(std::string s, checked) noexcept : s_(std::move(s)) {}

    std::string s_;
};

}  // namespace escrow
