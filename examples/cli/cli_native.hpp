// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt` for the native format (escrow::native_encryptor).
#pragma once

#include <escrow/escrow.hpp>

#include <span>
#include <string>
#include <vector>

#include "cli_jobs.hpp"

namespace escrow_cli {

/// Encrypts to the native format: RSA-OAEP-SHA-256 recipients from PEM/DER public keys.
inline int encrypt_native(const encrypt_job& job) {
    if (job.armor) throw usage_error("--armor applies to --format age only");
    if (job.authorities.size() > escrow::store::native::max_recipients - 1)
        throw usage_error("encrypt: at most 31 --authority keys fit in a native file");
    auto owner = load_recipient(job.owner, "--owner");
    std::vector<escrow::rsa_public_key> authorities;
    for (const auto& p : job.authorities) authorities.push_back(load_recipient(p, "--authority"));

    input_file in(job.in_path);
    output_file out(job.out_path);
    std::vector<escrow::escrow_record> records = escrow::native_encryptor{}.encrypt(
        in, out, owner, std::span<const escrow::rsa_public_key>(authorities), job.info);
    commit_encrypt(job, out, records);
    return exit_code::ok;
}

/// Decrypts a native file with the owner's or an authority's private key (PEM/DER), or with an
/// authority's key and its escrow record.
inline int decrypt_native(const decrypt_job& job, decrypt_input& in) {
    auto key = load_identity(job.key_path, "--key");
    std::optional<escrow::escrow_record> record;
    if (job.record_path) {
        record = load_record(*job.record_path);
        // Said here, before the library's check, so that a wrong key reads as one (exit 1).
        if (!escrow::constant_time_equal(record->authority_fingerprint, key.public_key().fingerprint()))
            throw escrow::error(escrow::errc::no_matching_key,
                                "--record " + in_quotes(*job.record_path) +
                                    " was made for a different authority key than --key " + in_quotes(job.key_path));
    }
    output_file out(job.out_path);
    escrow::native_encryptor enc;
    if (record) enc.decrypt_with_record(in, out, *record, key);
    else enc.decrypt(in, out, key);
    commit_all({{&out, new_file_mode}});
    return exit_code::ok;
}

}  // namespace escrow_cli
