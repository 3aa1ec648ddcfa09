// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt` for the native format (escrow::native_encryptor).

#include <escrow/escrow.hpp>

#include <optional>
#include <span>
#include <vector>

#include "cli_jobs.hpp"

namespace escrow_cli {

int encrypt_native(const encrypt_job& job) {
    if (job.armor) throw usage_error("--armor applies to --format age only");
    if (job.authorities.size() > escrow::store::native::max_recipients - 1)
        throw usage_error("encrypt: at most 31 --authority keys fit in a native file");
    auto owner = load_recipient(job.owner, "--owner");
    std::vector<escrow::rsa_public_key> authorities;
    for (const auto& p : job.authorities) authorities.push_back(load_recipient(p, "--authority"));

    input_file in(job.in_path, job.progress);
    output_file out(job.out_path);
    std::vector<escrow::escrow_record> records = escrow::native_encryptor{}.encrypt(
        in, out, owner, std::span<const escrow::rsa_public_key>(authorities), job.info);
    commit_encrypt(job, out, records);
    return exit_code::ok;
}

int decrypt_native(const decrypt_job& job, decrypt_input& in) {
    auto key = load_identity(job.key_path, "--key");
    std::optional<escrow::escrow_record> record = load_record_for(job, key.public_key());
    output_file out(job.out_path);
    escrow::native_encryptor enc;
    if (record) enc.decrypt_with_record(in, out, *record, key);
    else enc.decrypt(in, out, key);
    commit_all({{&out, plaintext_file_mode}});
    return exit_code::ok;
}

}  // namespace escrow_cli
