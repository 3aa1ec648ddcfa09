// SPDX-License-Identifier: MIT
/// @file
/// The escrow records of `escrow encrypt` and `escrow decrypt`, for every format.

#include "cli_jobs.hpp"
#include "cli_shares.hpp"

#include <filesystem>
#include <utility>

namespace escrow_cli {

void commit_encrypt(const encrypt_job& job, output_file& out, const std::vector<escrow::escrow_record>& records) {
    std::vector<std::optional<output_file>> record_outs(job.record_paths.size());
    std::vector<std::pair<output_file*, mode_t>> to_commit{{&out, new_file_mode}};
    for (std::size_t i = 0; i < job.record_paths.size() && i < records.size(); ++i) {
        record_outs[i].emplace(job.record_paths[i]);
        record_outs[i]->write(records[i].encode());
        to_commit.emplace_back(&*record_outs[i], new_file_mode);
    }
    commit_all(std::move(to_commit));
}

escrow::escrow_record load_record(const std::string& path, std::string_view option) {
    const std::string context = (option.empty() ? std::string() : std::string(option) + " ") + in_quotes(path);
    if (path == "-") throw usage_error(std::string(option) + " needs a file name, not standard input");
    escrow::file_source src{std::filesystem::path(path)};
    // The first bytes tell an encrypted file given by mistake from a record.
    peeked_source<escrow::file_source> in(src, peek_size);
    const bool encrypted = in.starts_with(escrow::store::native::magic) || in.starts_with(escrow::as_bytes(age_magic)) ||
                           in.starts_with(escrow::as_bytes(age_armor)) ||
                           escrow::store::cryptoapi::peek_aes_bits(in.head());
    if (encrypted)
        throw escrow::error(escrow::errc::malformed_blob,
                            context + " is an encrypted file, not an escrow record: give the record that "
                                      "'escrow encrypt --record FILE' wrote beside it");
    try {
        return escrow::escrow_record::decode(escrow::read_all(in, escrow::escrow_record::max_encoded));
    } catch (const escrow::error& e) {
        throw with_context(e, context);
    }
}

std::string keys_named(const decrypt_job& job) {
    if (job.key_paths.size() == 1) return "--key " + in_quotes(job.key_paths.front());
    return "the " + std::to_string(job.key_paths.size()) + " --key files";
}

void no_key_opens(const decrypt_job& job, std::size_t recipients) {
    throw escrow::error(escrow::errc::no_matching_key,
                        (job.key_paths.size() == 1 ? keys_named(job) + " opens none" : "none of " + keys_named(job) + " opens any") +
                            " of the input's " + std::to_string(recipients) + (recipients == 1 ? " recipient" : " recipients") +
                            " (wrong key? give the owner's key, or an authority's)");
}

void refuse_owner_as_authority(escrow::byte_view owner_fp, escrow::byte_view authority_fp, const std::string& authority) {
    if (escrow::constant_time_equal(owner_fp, authority_fp))
        throw usage_error("--authority " + in_quotes(authority) +
                          " is the owner's own key (--owner): escrow to it would recover nothing the owner "
                          "cannot; give the backup authority's public key");
}

std::vector<escrow::escrow_record> load_share_records(const decrypt_job& job, std::size_t keys) {
    if (job.record_paths.size() != keys)
        throw usage_error("decrypt: a k-of-n file takes one key per --record, paired by order (" + std::to_string(keys) +
                          " keys, " + std::to_string(job.record_paths.size()) + " --record)");
    std::vector<escrow::escrow_record> records;
    for (const auto& r : job.record_paths) records.push_back(load_record(r));
    return records;
}

}  // namespace escrow_cli
