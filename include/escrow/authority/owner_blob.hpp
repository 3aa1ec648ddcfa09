// SPDX-License-Identifier: MIT
/// @file
/// The owner's side of recovery: the re-wrapped owner blob an authority hands back, and the
/// function that applies it to the encrypted file in place.
#pragma once

#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/ids.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/policy_ids.hpp"
#include "escrow/detail/byte_reader.hpp"
#include "escrow/record.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::authority {

/// The session key of one escrow record, re-wrapped by the authority to the owner's new public
/// key, in the record's store's blob format. Public data: only the new private key opens it.
///
/// Binary encoding, version 1 (integers little-endian):
///
///     magic "\x89ESCOWB\n" | version u16 = 1 | serial str16 | cipher id u16 | wrap id u16
///     | store id u16 | blob length u32 | blob
struct owner_blob {
    static constexpr std::uint16_t version = 1;
    static constexpr std::array<byte, 8> magic = {0x89, 'E', 'S', 'C', 'O', 'W', 'B', '\n'};
    static constexpr std::size_t max_blob = escrow_record::max_wrapped_key;
    static constexpr std::size_t max_encoded = max_blob + 1024;

    std::string serial;
    std::uint16_t cipher_id = 0;
    std::uint16_t wrap_id = 0;
    std::uint16_t store_id = 0;
    bytes blob;  ///< `Store::encode_blob` of the session key wrapped to the new owner key

    /// The ids of the policies the blob was made with.
    [[nodiscard]] policy_ids policies() const noexcept { return {cipher_id, wrap_id, store_id}; }

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

/// Applies a re-wrapped owner blob to the encrypted file at `path`, in place: the new header and
/// the unchanged payload go to a temporary file in the same directory, which replaces the file
/// (keeping its permission bits) only once everything is written and flushed. On any failure the
/// file is left exactly as it was.
///
/// The blob is unwrapped with `new_owner` and must open the file's header (its MAC), so a blob for
/// another file or another key is refused. In a format without a header MAC (CryptoAPI) the
/// payload is decrypted as it is copied and must pass the cipher's final check instead (the CBC
/// padding, which a key of another file fails 255 times in 256). `record`, the escrow record the
/// blob was recovered from, tells the authority's entry apart in formats whose headers record no
/// roles (age), and the blob's key must verify its MAC (refusing a blob of another record, or a
/// wrong private key, whatever the format); it may be null for formats with roles (native, CryptoAPI).
///
/// @tparam Encryptor the `escrow_encryptor` of the file's policies (matching the blob's ids).
/// @throws escrow::error `unknown_policy_id` (blob for other policies), `authentication_failed`,
/// `malformed_blob`, the file's parsing errors, `not_found` and `io_error`.
template <class Encryptor>
void apply_owner_blob_in_place(const std::filesystem::path& path, const owner_blob& blob,
                               const typename Encryptor::private_key& new_owner, const escrow_record* record = nullptr) {
    using C = typename Encryptor::cipher_type;
    using W = typename Encryptor::wrap_type;
    using S = typename Encryptor::store_type;
    blob.policies().check_matches(policy_ids::of<C, W, S>(), "the owner blob");
    if (record && record->info.serial != blob.serial)
        throw error(errc::invalid_argument, "the owner blob (serial " + blob.serial + ") and the escrow record (serial " +
                                                record->info.serial + ") differ");
    S store{};
    wrapped_key wk = store.template decode_blob<C, W>(blob.blob);

    // Rename over the file itself, not over a symbolic link that names it.
    std::filesystem::path target = std::filesystem::canonical(path);
    struct stat st{};
    if (::stat(target.c_str(), &st) != 0) throw error(errc::io_error, "cannot stat '" + target.string() + "'");
    const mode_t mode = st.st_mode & 07777;

    file_source in(target);
    atomic_file_sink out(target);
    Encryptor enc;
    if (record) enc.apply_owner_blob(in, out, wk, new_owner, *record);
    else enc.apply_owner_blob(in, out, wk, new_owner);
    out.commit(mode);
    // commit() applies the umask; the file keeps exactly the bits it had.
    if ((mode & ~escrow::detail::current_umask()) != mode) ::chmod(target.c_str(), mode);
}

}  // namespace escrow::authority
