// SPDX-License-Identifier: MIT
/// @file
/// `authority::apply_owner_blob_in_place`: the owner's last step of a recovery, the re-wrapped
/// owner blob written into the encrypted file in place (through `rewrite_file_in_place`). POSIX only, like core/posix_file.hpp.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "escrow/authority/owner_blob.hpp"
#include "escrow/core/policy_ids.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/posix_file.hpp"
#include "escrow/record.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::authority {

/// Rewrites the encrypted file at `path` in place: `rewrite(in, out)` reads the file from `in` (a
/// `file_source`) and writes its new form to `out` (an `atomic_file_sink` in the same directory),
/// which replaces the file (keeping its permission bits) only once everything is written and
/// flushed. On any failure the file is left exactly as it was.
/// @throws escrow::error `not_found` and `io_error`, and what `rewrite` throws.
template <class Rewrite>
void rewrite_file_in_place(const std::filesystem::path& path, Rewrite&& rewrite) {
    // Rename over the file itself, not over a symbolic link that names it.
    std::filesystem::path target = std::filesystem::canonical(path);
    struct stat st{};
    if (::stat(target.c_str(), &st) != 0) throw error(errc::io_error, "cannot stat '" + target.string() + "'");
    const mode_t mode = st.st_mode & 07777;

    file_source in(target);
    atomic_file_sink out(target);
    rewrite(in, out);
    // The file keeps exactly the bits it had, set on the new file's descriptor before it takes
    // the old one's name (never a chmod by path after the rename).
    out.commit(mode, /*replace=*/true, /*apply_umask=*/false);
}

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
/// `enc` is the host that does the work, with its policy objects (a stateful store or wrap serves
/// as it is).
/// @tparam Encryptor the `escrow_encryptor` of the file's policies (matching the blob's ids).
/// @throws escrow::error `unknown_policy_id` (blob for other policies), `authentication_failed`,
/// `malformed_blob`, the file's parsing errors, `not_found` and `io_error`.
template <class Encryptor>
void apply_owner_blob_in_place(Encryptor& enc, const std::filesystem::path& path, const owner_blob& blob,
                               const typename Encryptor::private_key& new_owner, const escrow_record* record = nullptr) {
    using C = typename Encryptor::cipher_type;
    using W = typename Encryptor::wrap_type;
    using S = typename Encryptor::store_type;
    blob.policies().check_matches(policy_ids::of<C, W, S>(), "the owner blob");
    if (record && record->info.serial != blob.serial)
        throw error(errc::invalid_argument, "the owner blob (serial " + blob.serial + ") and the escrow record (serial " +
                                                record->info.serial + ") differ");
    wrapped_key wk = enc.decode_blob(blob.blob);
    rewrite_file_in_place(path, [&](file_source& in, atomic_file_sink& out) {
        if (record) enc.apply_owner_blob(in, out, wk, new_owner, *record);
        else enc.apply_owner_blob(in, out, wk, new_owner);
    });
}

/// As above, with a default-constructed `Encryptor` (stateless policies, as the library's presets).
template <class Encryptor>
void apply_owner_blob_in_place(const std::filesystem::path& path, const owner_blob& blob,
                               const typename Encryptor::private_key& new_owner, const escrow_record* record = nullptr) {
    Encryptor enc;
    apply_owner_blob_in_place(enc, path, blob, new_owner, record);
}

}  // namespace escrow::authority
