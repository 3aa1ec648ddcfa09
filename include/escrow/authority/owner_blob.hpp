// SPDX-License-Identifier: MIT
/// @file
/// The owner's side of recovery: the re-wrapped owner blob an authority hands back (applied to the
/// encrypted file by authority/apply_owner_blob.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/policy_ids.hpp"
#include "escrow/detail/byte_reader.hpp"
#include "escrow/record.hpp"
#include "escrow/registry.hpp"

namespace escrow::authority {

/// The session key of one escrow record, re-wrapped by the authority to the owner's new public
/// key, in the record's store's blob format. Public data: only the new private key opens it.
///
/// Binary encoding, version 1 (integers little-endian):
///
///     magic "\x89ESCOWB\n" | version u16 = 1 | serial str16 | cipher id u16 | wrap id u16
///     | store id u16 | blob length u32 | blob
struct owner_blob {
    /// The encoding's format version, written after the magic; other versions are rejected.
    static constexpr std::uint16_t version = 1;
    /// The first 8 bytes of an encoded owner blob.
    static constexpr std::array<byte, 8> magic = {0x89, 'E', 'S', 'C', 'O', 'W', 'B', '\n'};
    /// Bound on the wrapped key blob, in bytes.
    static constexpr std::size_t max_blob = escrow_record::max_wrapped_key;
    /// Bound on the whole encoding, in bytes: `decode` refuses longer input before parsing it.
    static constexpr std::size_t max_encoded = max_blob + 1024;

    /// The serial of the record the blob was recovered from.
    std::string serial;
    /// The id of the file's cipher.
    std::uint16_t cipher_id = 0;
    /// The id of the wrap the blob is made with (the owner's new key's).
    std::uint16_t wrap_id = 0;
    /// The id of the file's store, whose blob format `blob` is in.
    std::uint16_t store_id = 0;
    bytes blob;  ///< `Store::encode_blob` of the session key wrapped to the new owner key

    /// The ids of the policies the blob was made with.
    [[nodiscard]] policy_ids policies() const noexcept { return named_policy_ids(cipher_id, wrap_id, store_id); }

    /// The encoding above, for the owner to receive.
    [[nodiscard]] bytes encode() const {
        bytes out;
        append(out, magic);
        le::put<std::uint16_t>(out, version);
        escrow::detail::put_serial(out, serial);
        le::put<std::uint16_t>(out, cipher_id);
        le::put<std::uint16_t>(out, wrap_id);
        le::put<std::uint16_t>(out, store_id);
        if (blob.empty() || blob.size() > max_blob) throw error(errc::limit_exceeded, "owner blob must be 1 byte to 64 KiB");
        le::put<std::uint32_t>(out, static_cast<std::uint32_t>(blob.size()));
        append(out, blob);
        return out;
    }

    /// @throws escrow::error `malformed_blob`, `unsupported_version`, `trailing_data`, `limit_exceeded`.
    [[nodiscard]] static owner_blob decode(byte_view b) {
        if (b.size() > max_encoded) throw error(errc::limit_exceeded, "owner blob file larger than 65 KiB");
        escrow::detail::byte_reader r(b, errc::malformed_blob, "owner blob");
        escrow::detail::expect_magic_and_version(r, magic, version, "a re-wrapped owner blob");
        owner_blob o;
        o.serial = escrow::detail::read_serial(r);
        o.cipher_id = r.u16("cipher id");
        o.wrap_id = r.u16("wrap id");
        o.store_id = r.u16("store id");
        std::size_t n = r.u32("blob length");
        if (n == 0 || n > max_blob) r.fail("blob must be 1 byte to 64 KiB");
        auto body = r.take(n, "blob");
        o.blob.assign(body.begin(), body.end());
        r.expect_end();
        return o;
    }
};

}  // namespace escrow::authority
