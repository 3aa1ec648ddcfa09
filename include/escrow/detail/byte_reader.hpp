// SPDX-License-Identifier: MIT
/// @file
/// A bounds-checked cursor over bytes, for parsers. Not public API.
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/serial_number.hpp"

namespace escrow::detail {

/// Reads little-endian fields from a byte view; running past the end throws `fail_code` (or
/// `errc::truncated` when `truncation` is set) naming the field.
class byte_reader {
public:
    byte_reader(byte_view data, errc fail_code, std::string_view what) noexcept
        : data_(data), code_(fail_code), what_(what) {}

    [[nodiscard]] byte_view take(std::size_t n, std::string_view field) {
        if (n > data_.size() - pos_)
            throw error(code_, std::string(what_) + ": " + std::string(field) + " runs past the end (" +
                                   std::to_string(n) + " bytes wanted, " + std::to_string(data_.size() - pos_) + " left)");
        byte_view out = data_.subspan(pos_, n);
        pos_ += n;
        return out;
    }
    [[nodiscard]] std::uint8_t u8(std::string_view field) { return take(1, field)[0]; }
    [[nodiscard]] std::uint16_t u16(std::string_view field) { return le::get<std::uint16_t>(take(2, field).data()); }
    [[nodiscard]] std::uint32_t u32(std::string_view field) { return le::get<std::uint32_t>(take(4, field).data()); }
    [[nodiscard]] std::uint64_t u64(std::string_view field) { return le::get<std::uint64_t>(take(8, field).data()); }

    /// A u16-length-prefixed string of at most `max` bytes; `printable` demands ASCII 0x20–0x7E.
    [[nodiscard]] std::string str16(std::string_view field, std::size_t max, bool printable = false) {
        std::size_t n = u16(field);
        if (n > max) fail(std::string(field) + " longer than " + std::to_string(max) + " bytes");
        std::string s = to_string(take(n, field));
        if (printable && !text::printable(s)) fail(std::string(field) + " has a non-printable character");
        return s;
    }

    /// Throws `fail_code` with a message.
    [[noreturn]] void fail(const std::string& why) const { throw error(code_, std::string(what_) + ": " + why); }

    /// Demands that every byte was consumed.
    void expect_end() const {
        if (pos_ != data_.size())
            throw error(errc::trailing_data, std::string(what_) + ": " + std::to_string(data_.size() - pos_) + " unexpected trailing bytes");
    }

    [[nodiscard]] std::size_t position() const noexcept { return pos_; }
    [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }

private:
    byte_view data_;
    std::size_t pos_ = 0;
    errc code_;
    std::string_view what_;
};

/// Reads the magic and the u16 version that open a versioned encoding named `what`: a wrong magic
/// fails with the reader's code, another version with `unsupported_version`.
template <std::size_t N>
void expect_magic_and_version(byte_reader& r, const std::array<byte, N>& magic, std::uint16_t version, std::string_view what) {
    auto m = r.take(N, "magic");
    if (!std::equal(m.begin(), m.end(), magic.begin())) r.fail("not " + std::string(what) + " (bad magic)");
    if (auto v = r.u16("version"); v != version)
        throw error(errc::unsupported_version, std::string(what) + " version " + std::to_string(v) +
                                                   " (this library reads version " + std::to_string(version) + ")");
}

/// Reads a serial number (str16) that keeps `serial_number`'s rule, the rule `put_serial` applies
/// when encoding, so that what parses re-encodes. A serial that breaks it fails with the reader's code.
[[nodiscard]] inline std::string read_serial(byte_reader& r) {
    std::string s = r.str16("serial number", serial_number::max_size);
    if (auto p = serial_number::problem(s)) r.fail("serial number " + std::string(*p));
    return s;
}

/// Appends a u16-length-prefixed string, refusing one longer than `max`.
inline void put_str16(bytes& out, std::string_view s, std::size_t max, std::string_view field) {
    if (s.size() > max)
        throw error(errc::limit_exceeded, std::string(field) + " longer than " + std::to_string(max) + " bytes");
    le::put<std::uint16_t>(out, static_cast<std::uint16_t>(s.size()));
    append(out, as_bytes(s));
}

/// Appends a serial number as a str16.
/// @throws escrow::error `invalid_argument` when `s` breaks `serial_number`'s rule.
inline void put_serial(bytes& out, std::string_view s) {
    put_str16(out, serial_number(std::string(s)).str(), serial_number::max_size, "serial number");
}

}  // namespace escrow::detail
