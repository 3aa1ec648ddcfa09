// SPDX-License-Identifier: MIT
/// @file
/// Encodings: little- and big-endian integers, hex, base64 (padded and canonical unpadded), PEM.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/core/secret.hpp"

namespace escrow {

/// Little-endian integer helpers (CryptoAPI blobs and the native format are little-endian).
namespace le {
/// Appends `v` to `out`, least significant byte first (`sizeof(T)` bytes).
template <class T>
inline void put(bytes& out, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<byte>(v >> (8 * i)));
}
/// Reads a `T` stored least significant byte first at `p`. @pre `p` points to `sizeof(T)` readable
/// bytes.
template <class T>
[[nodiscard]] inline T get(const byte* p) noexcept {
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
    return v;
}
}  // namespace le

/// Big-endian integer helpers (STREAM nonce counters, SSH wire format).
namespace be {
/// Appends `v` to `out`, most significant byte first (`sizeof(T)` bytes).
template <class T>
inline void put(bytes& out, T v) {
    for (std::size_t i = sizeof(T); i-- > 0;) out.push_back(static_cast<byte>(v >> (8 * i)));
}
/// Reads a `T` stored most significant byte first at `p`. @pre `p` points to `sizeof(T)` readable
/// bytes.
template <class T>
[[nodiscard]] inline T get(const byte* p) noexcept {
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | p[i]);
    return v;
}
}  // namespace be

/// Lower-case hexadecimal.
namespace hex {
/// `b` as two lower-case hexadecimal digits per byte.
[[nodiscard]] inline std::string encode(byte_view b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(b.size() * 2);
    for (byte x : b) {
        s.push_back(digits[x >> 4]);
        s.push_back(digits[x & 15]);
    }
    return s;
}
/// Decodes hex (either case). @throws escrow::error `invalid_argument` on odd length or a non-hex digit.
[[nodiscard]] inline bytes decode(std::string_view s) {
    auto val = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (s.size() % 2) throw error(errc::invalid_argument, "hex string of odd length");
    bytes out(s.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = val(s[2 * i]), lo = val(s[2 * i + 1]);
        if (hi < 0 || lo < 0) throw error(errc::invalid_argument, "non-hex digit in hex string");
        out[i] = static_cast<byte>(hi << 4 | lo);
    }
    return out;
}
}  // namespace hex

/// Base64 with the standard alphabet (RFC 4648 §4).
namespace base64 {
namespace detail {
inline constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
[[nodiscard]] constexpr int value_of(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}
}  // namespace detail

/// Encodes; `padded` adds `=` to a multiple of four characters (PEM), unpadded is age's form.
[[nodiscard]] inline std::string encode(byte_view in, bool padded = true) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        std::uint32_t v = std::uint32_t(in[i]) << 16 | std::uint32_t(in[i + 1]) << 8 | in[i + 2];
        for (int k = 3; k >= 0; --k) out.push_back(detail::alphabet[(v >> (6 * k)) & 63]);
    }
    std::size_t rest = in.size() - i;
    if (rest) {
        std::uint32_t v = std::uint32_t(in[i]) << 16 | (rest == 2 ? std::uint32_t(in[i + 1]) << 8 : 0);
        out.push_back(detail::alphabet[(v >> 18) & 63]);
        out.push_back(detail::alphabet[(v >> 12) & 63]);
        if (rest == 2) out.push_back(detail::alphabet[(v >> 6) & 63]);
        if (padded) out.append(rest == 1 ? "==" : "=");
    }
    return out;
}

/// Decodes strictly: no whitespace, padding exactly as `padded` says, and unused trailing bits zero
/// (so every byte string has exactly one encoding).
/// @throws escrow::error `invalid_argument` on any deviation.
[[nodiscard]] inline bytes decode(std::string_view s, bool padded = true) {
    if (padded) {
        if (s.size() % 4) throw error(errc::invalid_argument, "base64 length is not a multiple of 4");
        std::size_t pad = 0;
        while (pad < 2 && pad < s.size() && s[s.size() - 1 - pad] == '=') ++pad;
        s.remove_suffix(pad);
    } else if (s.size() % 4 == 1) {
        throw error(errc::invalid_argument, "base64 length is impossible");
    }
    if (!padded && s.find('=') != std::string_view::npos)
        throw error(errc::invalid_argument, "base64 padding where none is allowed");
    bytes out;
    out.reserve(s.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
        int v = detail::value_of(c);
        if (v < 0) throw error(errc::invalid_argument, "character outside the base64 alphabet");
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<byte>(acc >> bits));
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) throw error(errc::invalid_argument, "non-canonical base64 (trailing bits set)");
    return out;
}
}  // namespace base64

/// PEM (RFC 7468): a label and DER bytes, base64 in 64-column lines.
namespace pem {

/// A decoded PEM block.
struct block {
    std::string label;  ///< e.g. "PRIVATE KEY", "PUBLIC KEY"
    bytes der;          ///< the decoded contents
};

/// The length of the PEM text of `der_size` bytes under `label`.
[[nodiscard]] constexpr std::size_t encoded_size(std::string_view label, std::size_t der_size) noexcept {
    const std::size_t b64 = (der_size + 2) / 3 * 4;
    return (11 + label.size() + 6) + b64 + (b64 + 63) / 64 + (9 + label.size() + 6);
}

/// Writes the PEM text of `der` under `label` into `out`, which holds exactly
/// `encoded_size(label, der.size())` bytes. No other buffer ever holds the base64, so `out` may be
/// wiped memory and `der` a private key.
/// @throws escrow::error `invalid_argument` when `out` has another size.
inline void encode_into(std::string_view label, byte_view der, mutable_byte_view out) {
    if (out.size() != encoded_size(label, der.size()))
        throw error(errc::invalid_argument, "pem::encode_into: the output buffer has the wrong size");
    byte* p = out.data();
    auto put = [&](std::string_view s) {
        for (char c : s) *p++ = static_cast<byte>(c);
    };
    put("-----BEGIN "), put(label), put("-----\n");
    std::size_t column = 0;
    auto put_b64 = [&](char c) {
        *p++ = static_cast<byte>(c);
        if (++column == 64) *p++ = '\n', column = 0;
    };
    std::size_t i = 0;
    for (; i + 3 <= der.size(); i += 3) {
        std::uint32_t v = std::uint32_t(der[i]) << 16 | std::uint32_t(der[i + 1]) << 8 | der[i + 2];
        for (int k = 3; k >= 0; --k) put_b64(base64::detail::alphabet[(v >> (6 * k)) & 63]);
    }
    if (std::size_t rest = der.size() - i) {
        std::uint32_t v = std::uint32_t(der[i]) << 16 | (rest == 2 ? std::uint32_t(der[i + 1]) << 8 : 0);
        put_b64(base64::detail::alphabet[(v >> 18) & 63]);
        put_b64(base64::detail::alphabet[(v >> 12) & 63]);
        put_b64(rest == 2 ? base64::detail::alphabet[(v >> 6) & 63] : '=');
        put_b64('=');
    }
    if (column != 0) *p++ = '\n';
    put("-----END "), put(label), put("-----\n");
}

/// Encodes `der` under `label` into an ordinary string. For a private key, `encode_private`.
[[nodiscard]] inline std::string encode(std::string_view label, byte_view der) {
    std::string out(encoded_size(label, der.size()), '\0');
    encode_into(label, der, mutable_byte_view(reinterpret_cast<byte*>(out.data()), out.size()));
    return out;
}

/// Encodes a private key's `der` under `label` into wiped memory (`unsafe_text()` reads it).
[[nodiscard]] inline private_key_encoding encode_private(std::string_view label, byte_view der) {
    private_key_encoding out(encoded_size(label, der.size()));
    encode_into(label, der, out.unsafe_mutable_bytes());
    return out;
}

/// True when `text` starts (after optional whitespace) with a PEM BEGIN line.
[[nodiscard]] inline bool looks_like_pem(std::string_view text) noexcept {
    auto p = text.find_first_not_of(" \t\r\n");
    return p != std::string_view::npos && text.substr(p).starts_with("-----BEGIN ");
}

/// Decodes the first PEM block in `text`. Text before BEGIN is ignored (as OpenSSL does); the END
/// label must match, and only whitespace may follow it.
/// @throws escrow::error `bad_key` when there is no well-formed block.
[[nodiscard]] inline block decode(std::string_view text) {
    constexpr std::string_view begin = "-----BEGIN ", dashes = "-----";
    auto b = text.find(begin);
    if (b == std::string_view::npos) throw error(errc::bad_key, "no PEM BEGIN line");
    auto label_start = b + begin.size();
    auto label_end = text.find(dashes, label_start);
    if (label_end == std::string_view::npos) throw error(errc::bad_key, "unterminated PEM BEGIN line");
    block out;
    out.label = std::string(text.substr(label_start, label_end - label_start));
    std::string end_line = "-----END " + out.label + "-----";
    auto body_start = label_end + dashes.size();
    auto e = text.find(end_line, body_start);
    if (e == std::string_view::npos) throw error(errc::bad_key, "no PEM END line for '" + out.label + "'");
    if (text.substr(e + end_line.size()).find_first_not_of(" \t\r\n") != std::string_view::npos)
        throw error(errc::bad_key, "data after the PEM END line");
    // The body may be a private key: collect it in a buffer sized once and wiped after decoding.
    std::string b64;
    b64.reserve(e - body_start);
    scoped_wipe wipe(b64);
    for (char c : text.substr(body_start, e - body_start))
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64.push_back(c);
    try {
        out.der = base64::decode(b64, true);
    } catch (const error&) {
        throw error(errc::bad_key, "PEM body is not valid base64");
    }
    return out;
}
}  // namespace pem

/// Text from outside (file headers, key comments, names in requests) as the library checks it
/// and shows it.
namespace text {
/// Whether spaces count as printable.
enum class spaces : bool { refused /**< not printable (names, arguments) */, allowed /**< printable (descriptions) */ };

/// True when every character of `s` is printable ASCII (0x21–0x7E, and 0x20 when `space` is
/// `spaces::allowed`).
[[nodiscard]] constexpr bool printable(std::string_view s, spaces space = spaces::allowed) noexcept {
    const char low = space == spaces::allowed ? 0x20 : 0x21;
    for (char c : s)
        if (c < low || c > 0x7e) return false;
    return true;
}

/// At most `max` characters of `s` for a message or a log line, every character that is not
/// printable (by the same rule) replaced by '?', so that quoted input cannot forge lines.
[[nodiscard]] inline std::string shown(std::string_view s, std::size_t max, spaces space = spaces::allowed) {
    std::string out(s.substr(0, max));
    for (char& c : out)
        if (!printable(std::string_view(&c, 1), space)) c = '?';
    return out;
}
}  // namespace text

}  // namespace escrow
