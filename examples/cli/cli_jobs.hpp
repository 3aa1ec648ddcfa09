// SPDX-License-Identifier: MIT
/// @file
/// What `escrow encrypt` and `escrow decrypt` hand to a format's implementation once the options
/// common to every format are parsed and checked: one unit per format (cli_native.cpp,
/// cli_age.cpp, cli_cryptoapi.cpp) implements `encrypt_<format>` and `decrypt_<format>`.
#pragma once

#include <escrow/authority/apply_owner_blob.hpp>
#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli_io.hpp"

namespace escrow_cli {

/// `escrow encrypt`, parsed: paths are as given, outputs already checked not to exist or alias.
struct encrypt_job {
    std::optional<std::string> in_path;         ///< empty or "-": standard input
    std::optional<std::string> out_path;        ///< empty or "-": standard output
    std::string owner;                          ///< --owner, as given (a path or a recipient string)
    std::vector<std::string> authorities;       ///< --authority, in order
    std::vector<std::string> record_paths;      ///< --record, none or one per authority
    std::size_t threshold = 1;                  ///< --threshold K: K of the authorities' shares open the file
    escrow::key_info info;                      ///< serial (may be empty), description, owner id
    bool armor = false;                         ///< --armor
    unsigned aes_bits = 256;                    ///< --aes-bits (--format cryptoapi only)
    progress_meter* progress = nullptr;         ///< counts the input as it is read (may draw nothing)
    bool deposit = false;                       ///< --deposit: the records go over TLS afterwards
};

/// `escrow decrypt`, parsed.
struct decrypt_job {
    std::optional<std::string> in_path;
    std::optional<std::string> out_path;
    std::vector<std::string> key_paths;         ///< --key (or -i), one or more, tried in order
    std::optional<std::string> record_path;     ///< --record, when given once
    std::vector<std::string> record_paths;      ///< every --record, paired by order with --key (k-of-n files)
    std::optional<std::string> pin_file;        ///< --pin-file, for a pkcs11: URI --key
};

/// The input of `escrow decrypt`, with its first bytes peeked for format detection.
using decrypt_input = peeked_source<input_file>;

/// How many bytes of an input are peeked at to recognise its format.
inline constexpr std::size_t peek_size = 64;
/// The first bytes of a binary age file, and of an armored one.
inline constexpr std::string_view age_magic = "age-encryption.org/";
inline constexpr std::string_view age_armor = "-----BEGIN AGE ENCRYPTED FILE-----";

/// Writes the ciphertext's escrow records to the job's --record files, then commits every output
/// at once (the ciphertext and the records appear together, or none of them does).
void commit_encrypt(const encrypt_job& job, output_file& out, const std::vector<escrow::escrow_record>& records);

/// Reads an escrow record file given with `option` (--record, or deposit's RECORD); an encrypted
/// file given instead is named as such.
escrow::escrow_record load_record(const std::string& path, std::string_view option = "--record");

/// The job's keys as messages name them: "--key 'a'", or "the 3 --key files".
std::string keys_named(const decrypt_job& job);

/// @throws escrow::error `no_matching_key`: none of the job's keys opens any of the input's
/// `recipients` recipients.
[[noreturn]] void no_key_opens(const decrypt_job& job, std::size_t recipients);

/// @throws usage_error when `--authority` value `authority` has the owner's own fingerprint: an
/// escrow to the owner's own key recovers nothing the owner could not (docs/cli.md, "The owner's
/// key as an authority").
void refuse_owner_as_authority(escrow::byte_view owner_fp, escrow::byte_view authority_fp, const std::string& authority);

/// Opens a parsed header with the job's keys (`keys`, loaded from `job.key_paths` in order): with
/// the job's record (`record`), the key it was made for opens it, and the record must be this
/// file's (its serial the header's, its session key the header MAC's); without, the first key
/// that opens a recipient wins, as `age -d -i` tries its identities.
/// @throws escrow::error `no_matching_key` (no key opens the file, or the record names another
/// serial or authority), `authentication_failed` (a key opens a recipient but the header MAC
/// fails: the header was modified).
template <class Encryptor, class Key>
escrow::session_key open_with_keys(Encryptor& enc, const escrow::unverified<escrow::file_header>& read,
                                   std::span<const Key* const> keys, const decrypt_job& job,
                                   const std::optional<escrow::escrow_record>& record) {
    // Read for choosing the key and naming what fails only; each path below verifies it.
    const escrow::file_header& h = read.unverified_value();
    using W = typename Encryptor::wrap_type;
    using C = typename Encryptor::cipher_type;
    using S = typename Encryptor::store_type;
    W w{};
    if (record) {
        const std::string rec = "--record " + in_quotes(*job.record_path);
        if (!h.info.serial.empty() && h.info.serial != record->info.serial)
            throw escrow::error(escrow::errc::no_matching_key, rec + " is the record of serial " + record->info.serial +
                                                                   ", but the input is serial " + h.info.serial +
                                                                   ": give the record of this file");
        for (const Key* k : keys) {
            escrow::digest256 fp{};
            if constexpr (escrow::is_wrap_set<W>) fp = enc.fingerprint_of(*k);
            else fp = w.fingerprint(w.public_of(*k));
            if (!escrow::constant_time_equal(record->authority_fingerprint, fp)) continue;
            escrow::session_key sk = enc.recover_session_key(*record, *k);
            if (!S::template verify_header<C, W>(h, sk))
                throw escrow::error(escrow::errc::authentication_failed,
                                    rec + " (serial " + record->info.serial +
                                        ") does not open the input: it is another file's record, or the file's header was modified");
            return sk;
        }
        throw escrow::error(escrow::errc::no_matching_key,
                            rec + " was made for a different authority key than " + keys_named(job) +
                                " (give the key of the authority the record was made for)");
    }
    for (const Key* k : keys) {
        try {
            return enc.open_header(read, *k);
        } catch (const escrow::error& e) {
            if (e.kind() != escrow::errc::no_matching_key) throw;
        }
    }
    no_key_opens(job, h.recipients.size());
}

// Each returns only once its outputs are committed.

/// Encrypts to the native format: RSA-OAEP-SHA-256 recipients from PEM/DER public keys.
int encrypt_native(const encrypt_job& job);
/// Decrypts a native file with the owner's or an authority's private key (PEM/DER), or with an
/// authority's key and its escrow record.
int decrypt_native(const decrypt_job& job, decrypt_input& in);

/// The inputs of `escrow rewrap` for a k-of-n file: K blobs that K authorities re-wrapped to the
/// owner's new key, each with the share record it was recovered from, paired by order (checked to
/// name the same serial), all for one store.
struct share_blobs {
    std::vector<escrow::escrow_record> records;  ///< the --record files, in order
    std::vector<escrow::authority::owner_blob> blobs;  ///< the --blob files, in order
};

/// Rewrites `file` in place (`escrow::authority::rewrite_file_in_place`): `rewrite(in, out)` reads
/// the file from `in` and writes its new form to `out`, a temporary file beside it that takes its
/// name and permission bits only on success.
/// @throws escrow::error `io_error`, and what `rewrite` throws (with "rewrap 'FILE': " before it).
template <class Rewrite>
void rewrite_in_place(const std::string& file, Rewrite&& rewrite) {
    escrow::authority::rewrite_file_in_place(file, [&](auto& in, auto& out) {
        try {
            rewrite(in, out);
        } catch (const escrow::error& e) {
            throw with_context(e, "rewrap " + in_quotes(file));
        }
    });
}

/// `escrow rewrap` of a k-of-n native file with `shares` and the owner's new private key
/// (`key_path`); the file is rewritten in place (`rewrite_in_place`).
int rewrap_native_shares(const std::string& file, const share_blobs& shares, const std::string& key_path);
/// `escrow rewrap` of an age file (binary) with one blob and the record it was recovered from: the
/// new owner key may be of another age kind than the old owner's (a file of several kinds), and
/// the owner's stanza is the first that is not the record's (escrow writes the owner first).
int rewrap_age_blob(const std::string& file, const escrow::authority::owner_blob& blob, const escrow::escrow_record& record,
                    const std::string& key_path);
/// As `rewrap_native_shares`, for a k-of-n age file (binary): the new key is an age identity of any
/// kind the blobs are made for (X25519, ssh-rsa, ssh-ed25519).
int rewrap_age_shares(const std::string& file, const share_blobs& shares, const std::string& key_path);

/// Encrypts to the age format. The owner and every authority must be of one kind (all X25519 or
/// all ssh-rsa): a file's recipients share the one wrap policy of the host that writes it.
int encrypt_age(const encrypt_job& job);
/// Decrypts an age file, binary or armored (told apart by its first bytes), with an X25519
/// identity or an RSA private key, or with an authority's key and its escrow record.
int decrypt_age(const decrypt_job& job, decrypt_input& in);

/// Encrypts to the CryptoAPI format: the owner's SIMPLEBLOB in the file, each authority's in its
/// escrow record (the file has room for one blob, so the records are required).
int encrypt_cryptoapi(const encrypt_job& job);
/// Decrypts a CryptoAPI file with the owner's private key (PEM, DER or PRIVATEKEYBLOB), or with an
/// authority's key and its escrow record. Nothing in the file is authenticated: the plaintext goes
/// to a temporary file that is renamed only once the final padding checks out (never to standard
/// output).
int decrypt_cryptoapi(const decrypt_job& job, decrypt_input& in);

}  // namespace escrow_cli
