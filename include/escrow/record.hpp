// SPDX-License-Identifier: MIT
/// @file
/// The escrow record: what the owner sends the backup authority (step 3), with its binary encoding,
/// its JSON rendering and its binding MAC.
#pragma once

#include <array>
#include <cstdio>
#include <cstring>
#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/policy_ids.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/shamir.hpp"
#include "escrow/detail/byte_reader.hpp"
#include "escrow/registry.hpp"  // ids::name_of, for the JSON rendering

namespace escrow {

/// One escrow record: a session key wrapped for one authority, with the key's description.
///
/// Binary encoding, version 1 (integers little-endian; docs/format.md):
///
///     magic "\x89ESCREC\n" | version u16 = 1 | serial str16 | description str16 | owner str16
///     | created u64 | cipher id u16 | wrap id u16 | store id u16 | authority fingerprint [32]
///     | wrapped key length u32 | wrapped key (in the store's blob format) | MAC [32]
///
/// MAC = HMAC-SHA-256(HKDF-SHA-256(session key, salt = "", info = "escrow/v1 record", 32), every
/// byte before it). Only a holder of the session key can make or check it, so an authority that
/// unwraps the key learns whether any field was altered.
///
/// Version 2 is a share record of a k-of-n file (docs/format.md): version u16 = 2, and after the
/// store id `threshold K u8 | share count N u8 | share index u8`; its blob wraps that share of the
/// session key (not the key), and its MAC key is HKDF-SHA-256(share, "", "escrow/v1 share record").
/// Records of one authority (`threshold == 0`) are written as version 1, byte for byte as before.
struct escrow_record {
    /// The version of a one-authority record, written after the magic.
    static constexpr std::uint16_t version = 1;
    /// The version of a share record (`threshold != 0`).
    static constexpr std::uint16_t share_version = 2;
    /// The HKDF info string that derives a share record's MAC key from its share.
    static constexpr std::string_view share_mac_info = "escrow/v1 share record";
    /// The first 8 bytes of an encoded record.
    static constexpr std::array<byte, 8> magic = {0x89, 'E', 'S', 'C', 'R', 'E', 'C', '\n'};
    /// Bound on the wrapped session key blob, in bytes.
    static constexpr std::size_t max_wrapped_key = 64 * 1024;
    /// Bound on the whole encoding, in bytes: `decode` refuses longer input before parsing it.
    static constexpr std::size_t max_encoded = 80 * 1024;
    /// The HKDF info string that derives the record's MAC key from the session key.
    static constexpr std::string_view mac_info = "escrow/v1 record";

    key_info info;                   ///< serial, description, owner, creation time
    std::uint16_t cipher_id = 0;     ///< the file's cipher
    std::uint16_t wrap_id = 0;       ///< how `wrapped_key` is wrapped
    std::uint16_t store_id = 0;      ///< the file format, which also fixes the blob format
    digest256 authority_fingerprint{};  ///< SHA-256 identifying the authority's public key
    bytes wrapped_key;               ///< the session key for the authority, in the store's blob format
    digest256 mac{};                 ///< binding MAC keyed from the session key (a share record's: from its share)
    std::uint8_t threshold = 0;      ///< K of a share record; 0 for a record of the whole session key
    std::uint8_t share_count = 0;    ///< N of a share record (the file's authorities)
    std::uint8_t share_index = 0;    ///< the index (1..N) of the share this record's blob wraps

    /// True for a share record of a k-of-n file (version 2).
    [[nodiscard]] bool is_share() const noexcept { return threshold != 0; }
    /// The version this record is encoded as.
    [[nodiscard]] std::uint16_t encoded_version() const noexcept { return is_share() ? share_version : version; }

    /// The ids of the policies the record was made with.
    [[nodiscard]] policy_ids policies() const noexcept { return named_policy_ids(cipher_id, wrap_id, store_id); }

    /// The encoding without the MAC: the bytes the MAC covers.
    /// @throws escrow::error `limit_exceeded` or `invalid_argument` when a field breaks its bound.
    [[nodiscard]] bytes authenticated_bytes() const {
        bytes out;
        append(out, magic);
        le::put<std::uint16_t>(out, encoded_version());
        detail::put_serial(out, info.serial);
        detail::put_str16(out, info.description, limits::description_max, "description");
        detail::put_str16(out, info.owner, limits::owner_max, "owner identity");
        le::put<std::uint64_t>(out, info.created);
        le::put<std::uint16_t>(out, cipher_id);
        le::put<std::uint16_t>(out, wrap_id);
        le::put<std::uint16_t>(out, store_id);
        if (is_share()) {
            if (threshold < 2 || threshold > share_count || share_index == 0 || share_index > share_count)
                throw error(errc::invalid_argument, "share record: needs 2 <= K <= N and an index 1..N");
            out.push_back(threshold);
            out.push_back(share_count);
            out.push_back(share_index);
        }
        append(out, authority_fingerprint);
        if (wrapped_key.size() > max_wrapped_key) throw error(errc::limit_exceeded, "wrapped key larger than 64 KiB");
        le::put<std::uint32_t>(out, static_cast<std::uint32_t>(wrapped_key.size()));
        append(out, wrapped_key);
        return out;
    }

    /// The stable binary encoding.
    [[nodiscard]] bytes encode() const {
        bytes out = authenticated_bytes();
        append(out, mac);
        return out;
    }

    /// Parses the binary encoding. Checks structure and bounds, not the MAC (that needs the key).
    /// @throws escrow::error `malformed_blob`, `unsupported_version`, `trailing_data`, `limit_exceeded`.
    [[nodiscard]] static escrow_record decode(byte_view b) {
        if (b.size() > max_encoded) throw error(errc::limit_exceeded, "escrow record larger than 80 KiB");
        detail::byte_reader r(b, errc::malformed_blob, "escrow record");
        auto m = r.take(magic.size(), "magic");
        if (std::memcmp(m.data(), magic.data(), magic.size()) != 0) r.fail("not an escrow record (bad magic)");
        auto ver = r.u16("version");
        if (ver != version && ver != share_version)
            throw error(errc::unsupported_version,
                        "escrow record version " + std::to_string(ver) + " (this library reads versions 1 and 2)");
        escrow_record rec;
        rec.info.serial = detail::read_serial(r);
        rec.info.description = r.str16("description", limits::description_max);
        rec.info.owner = r.str16("owner identity", limits::owner_max);
        rec.info.created = r.u64("creation time");
        rec.cipher_id = r.u16("cipher id");
        rec.wrap_id = r.u16("wrap id");
        rec.store_id = r.u16("store id");
        if (ver == share_version) {
            rec.threshold = r.u8("threshold");
            rec.share_count = r.u8("share count");
            rec.share_index = r.u8("share index");
            if (rec.threshold < 2 || rec.threshold > rec.share_count || rec.share_index == 0 ||
                rec.share_index > rec.share_count)
                r.fail("share record: needs 2 <= K <= N and an index 1..N");
        }
        auto fp = r.take(32, "authority fingerprint");
        std::memcpy(rec.authority_fingerprint.data(), fp.data(), 32);
        std::size_t n = r.u32("wrapped key length");
        if (n > max_wrapped_key) r.fail("wrapped key larger than 64 KiB");
        auto wk = r.take(n, "wrapped key");
        rec.wrapped_key.assign(wk.begin(), wk.end());
        auto mac = r.take(32, "MAC");
        std::memcpy(rec.mac.data(), mac.data(), 32);
        r.expect_end();
        return rec;
    }

    /// Computes and stores the MAC under `key`: the session key, or for a share record the share
    /// its blob wraps (unwrapped, a share comes back where a session key would).
    void seal(const session_key& key) { mac = hmac_sha256(mac_key(key.unsafe_bytes()).unsafe_bytes(), authenticated_bytes()); }

    /// True when the MAC matches under `key` (constant-time comparison); `key` as for `seal`.
    [[nodiscard]] bool verify(const session_key& key) const { return verify_bytes(key.unsafe_bytes()); }
    /// True when a share record's MAC matches under the share `value`.
    [[nodiscard]] bool verify(const share_value& value) const { return verify_bytes(value.unsafe_bytes()); }

    /// A readable JSON rendering (one object; the wrapped key in base64). Holds no secret.
    [[nodiscard]] std::string to_json() const {
        auto id = [](std::string_view family, std::uint16_t v) {
            std::string s = "{\"id\": \"" + policy_ids::hex(v) + "\"";
            if (auto n = ids::name_of(family, v); !n.empty()) s += ", \"name\": " + json_string(n);
            return s + "}";
        };
        std::string j = "{\n";
        j += "  \"format\": \"escrow-record\",\n";
        j += "  \"version\": " + std::to_string(encoded_version()) + ",\n";
        j += "  \"serial\": " + json_string(info.serial) + ",\n";
        j += "  \"description\": " + json_string(info.description) + ",\n";
        j += "  \"owner\": " + json_string(info.owner) + ",\n";
        j += "  \"created\": " + std::to_string(info.created) + ",\n";
        j += "  \"cipher\": " + id("cipher", cipher_id) + ",\n";
        j += "  \"wrap\": " + id("wrap", wrap_id) + ",\n";
        j += "  \"store\": " + id("store", store_id) + ",\n";
        if (is_share())
            j += "  \"threshold\": " + std::to_string(threshold) + ",\n  \"share_count\": " + std::to_string(share_count) +
                 ",\n  \"share_index\": " + std::to_string(share_index) + ",\n";
        j += "  \"authority_fingerprint\": \"" + hex::encode(authority_fingerprint) + "\",\n";
        j += "  \"wrapped_key\": \"" + base64::encode(wrapped_key) + "\",\n";
        j += "  \"mac\": \"" + hex::encode(mac) + "\"\n";
        j += "}\n";
        return j;
    }

    /// JSON string literal of `s`: valid UTF-8 passed through, controls (C0, DEL is kept, and the C1
    /// controls U+0080..U+009F) escaped, and each byte of an invalid UTF-8 sequence replaced by
    /// U+FFFD, so the output is always valid JSON and safe to print on a terminal.
    [[nodiscard]] static std::string json_string(std::string_view s) {
        std::string out = "\"";
        for (std::size_t i = 0; i < s.size(); ++i) {
            char c = s[i];
            if (auto u = static_cast<unsigned char>(c); u >= 0x80) {
                std::size_t len = utf8_sequence_length(s.substr(i));
                if (len == 0) {
                    out += "\ufffd";
                } else if (len == 2 && u == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) {
                    // U+0080..U+009F, the C1 controls (U+009B is a terminal's CSI): escaped like C0.
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(s[i + 1])));
                    out += buf;
                    i += 1;
                } else {
                    out.append(s.substr(i, len));
                    i += len - 1;
                }
                continue;
            }
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                        out += buf;
                    } else {
                        out += c;
                    }
            }
        }
        return out + "\"";
    }

    /// Length of the well-formed UTF-8 sequence (RFC 3629) that starts `s`, or 0 when there is none.
    [[nodiscard]] static std::size_t utf8_sequence_length(std::string_view s) noexcept {
        auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
        unsigned char c = b(0);
        std::size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
        if (len == 0 || c > 0xF4 || s.size() < len) return 0;
        for (std::size_t i = 1; i < len; ++i)
            if ((b(i) & 0xC0) != 0x80) return 0;
        // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
        if (c == 0xE0 && b(1) < 0xA0) return 0;
        if (c == 0xED && b(1) > 0x9F) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;
        if (c == 0xF4 && b(1) > 0x8F) return 0;
        return len;
    }

private:
    derived_key mac_key(byte_view ikm) const { return hkdf_sha256(ikm, {}, is_share() ? share_mac_info : mac_info, 32); }
    bool verify_bytes(byte_view ikm) const {
        auto expected = hmac_sha256(mac_key(ikm).unsafe_bytes(), authenticated_bytes());
        return constant_time_equal(expected, mac);
    }
};

}  // namespace escrow
