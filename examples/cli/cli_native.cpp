// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt` for the native format (escrow::native_encryptor).

#include <escrow/escrow.hpp>

#include <optional>
#include <span>
#include <vector>

#include "cli_jobs.hpp"
#include "cli_pkcs11.hpp"

namespace escrow_cli {

int encrypt_native(const encrypt_job& job) {
    if (job.armor) throw usage_error("--armor applies to --format age only");
    if (job.authorities.size() > escrow::store::native::max_recipients - 1)
        throw usage_error("encrypt: at most 31 --authority keys fit in a native file");
    auto owner = load_recipient(job.owner, "--owner");
    std::vector<escrow::rsa_public_key> authorities;
    for (const auto& p : job.authorities) {
        authorities.push_back(load_recipient(p, "--authority"));
        refuse_owner_as_authority(owner.fingerprint(), authorities.back().fingerprint(), p);
    }

    input_file in(job.in_path, job.progress);
    output_file out(job.out_path);
    auto records = with_payload_io(in, 0, in, out, [&](auto& src, auto& sink) {
        return escrow::native_encryptor{}.encrypt(src, sink, owner, std::span<const escrow::rsa_public_key>(authorities), job.info);
    });
    commit_encrypt(job, out, records);
    return exit_code::ok;
}

int decrypt_native(const decrypt_job& job, decrypt_input& in) {
    if (token_key(job)) return decrypt_native_with_token(job, in);
    std::vector<escrow::rsa_private_key> keys;
    for (const auto& p : job.key_paths) keys.push_back(load_identity(p, "--key"));
    std::vector<const escrow::rsa_private_key*> tried;
    for (const auto& k : keys) tried.push_back(&k);
    std::optional<escrow::escrow_record> record;
    if (job.record_path) record = load_record(*job.record_path);
    escrow::native_encryptor enc;
    const escrow::unverified<escrow::file_header> h = enc.read_header(in);
    escrow::session_key sk = open_with_keys(enc, h, std::span<const escrow::rsa_private_key* const>(tried), job, record);
    output_file out(job.out_path);
    with_payload_io(in, in.position(), in.source(), out, [&](auto& src, auto& sink) { enc.decrypt_payload(src, sink, sk, h); });
    commit_all({{&out, plaintext_file_mode}});
    return exit_code::ok;
}

}  // namespace escrow_cli
