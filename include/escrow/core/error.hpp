// SPDX-License-Identifier: MIT
/// @file
/// The library's one exception type, `escrow::error`, and its error codes.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace escrow {

/// What went wrong. The numeric values are stable: the CLI maps them to exit codes.
enum class errc : int {
    authentication_failed = 1,  ///< a MAC or AEAD tag did not verify (tampering, wrong key)
    malformed_blob,             ///< a key blob, wrapped key or record does not parse
    malformed_header,           ///< a file header does not parse or breaks a bound
    unsupported_version,        ///< a version number this library does not implement
    unknown_policy_id,          ///< a cipher, wrap or store id that does not match the policies
    bad_key,                    ///< a key is unusable: wrong type, too small, unreadable
    identity_rejected,          ///< the authority's identity policy refused a recovery
    no_matching_key,            ///< none of the file's recipients can be opened with the key
    truncated,                  ///< input ended before the format says it should
    trailing_data,              ///< bytes after the end of a well-formed object
    limit_exceeded,             ///< a length or count over the documented bound
    invalid_argument,           ///< a caller passed a value outside the documented domain
    io_error,                   ///< reading or writing a file or stream failed
    not_found,                  ///< a named thing (file, serial, record) does not exist
    malformed_armor,            ///< an ASCII-armored input breaks the armor's rules (age armor)
};

/// Every error code, in numeric order (docs/errors.md tabulates them; a test keeps the two in step).
inline constexpr std::array<errc, 15> all_errc = {
    errc::authentication_failed, errc::malformed_blob,    errc::malformed_header, errc::unsupported_version,
    errc::unknown_policy_id,     errc::bad_key,           errc::identity_rejected, errc::no_matching_key,
    errc::truncated,             errc::trailing_data,     errc::limit_exceeded,   errc::invalid_argument,
    errc::io_error,              errc::not_found,         errc::malformed_armor,
};

/// The stable tag of an error code, as it appears in messages: `[escrow.<tag>]`.
[[nodiscard]] constexpr std::string_view tag(errc c) noexcept {
    switch (c) {
        case errc::authentication_failed: return "authentication_failed";
        case errc::malformed_blob: return "malformed_blob";
        case errc::malformed_header: return "malformed_header";
        case errc::unsupported_version: return "unsupported_version";
        case errc::unknown_policy_id: return "unknown_policy_id";
        case errc::bad_key: return "bad_key";
        case errc::identity_rejected: return "identity_rejected";
        case errc::no_matching_key: return "no_matching_key";
        case errc::truncated: return "truncated";
        case errc::trailing_data: return "trailing_data";
        case errc::limit_exceeded: return "limit_exceeded";
        case errc::invalid_argument: return "invalid_argument";
        case errc::io_error: return "io_error";
        case errc::not_found: return "not_found";
        case errc::malformed_armor: return "malformed_armor";
    }
    return "unknown";
}

namespace detail {
class escrow_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "escrow"; }
    std::string message(int ev) const override { return std::string(tag(static_cast<errc>(ev))); }
};
}  // namespace detail

/// The error category of `escrow::errc`.
[[nodiscard]] inline const std::error_category& escrow_category() noexcept {
    static const detail::escrow_category_impl cat;
    return cat;
}

/// Makes a `std::error_code` from an `escrow::errc`.
[[nodiscard]] inline std::error_code make_error_code(errc c) noexcept {
    return {static_cast<int>(c), escrow_category()};
}

/// The one exception type the library throws.
///
/// `what()` reads `[escrow.<tag>] <detail>`, where the tag is stable and the detail says what was
/// expected. `code()` compares equal to the `escrow::errc`.
class error : public std::system_error {
public:
    /// An error of kind `c`; `detail` says what was expected and what was found.
    error(errc c, std::string_view detail)
        : std::system_error(make_error_code(c)),
          message_("[escrow." + std::string(tag(c)) + "] " + std::string(detail)),
          detail_at_(message_.size() - detail.size()) {}

    /// The error code as an enumerator.
    [[nodiscard]] errc kind() const noexcept { return static_cast<errc>(code().value()); }

    /// The message: the stable tag `[escrow.<kind>]` followed by the detail.
    const char* what() const noexcept override { return message_.c_str(); }

    /// The detail alone, without the `[escrow.<kind>] ` tag: for messages that add context.
    [[nodiscard]] std::string_view detail() const noexcept { return std::string_view(message_).substr(detail_at_); }

private:
    std::string message_;
    std::size_t detail_at_;
};

}  // namespace escrow

template <>
struct std::is_error_code_enum<escrow::errc> : std::true_type {};
