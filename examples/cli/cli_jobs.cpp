// SPDX-License-Identifier: MIT
/// @file
/// The escrow records of `escrow encrypt` and `escrow decrypt`, for every format.

#include "cli_jobs.hpp"

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

escrow::escrow_record load_record(const std::string& path) {
    if (path == "-") throw usage_error("--record needs a file name, not standard input");
    escrow::file_source src{std::filesystem::path(path)};
    try {
        return escrow::escrow_record::decode(escrow::read_all(src, escrow::escrow_record::max_encoded));
    } catch (const escrow::error& e) {
        throw with_context(e, "--record " + in_quotes(path));
    }
}

std::optional<escrow::escrow_record> load_record_for(const decrypt_job& job, const escrow::rsa_public_key& key_pub) {
    if (!job.record_path) return std::nullopt;
    escrow::escrow_record record = load_record(*job.record_path);
    if (!escrow::constant_time_equal(record.authority_fingerprint, key_pub.fingerprint()))
        throw escrow::error(escrow::errc::no_matching_key, "--record " + in_quotes(*job.record_path) +
                                                               " was made for a different authority key than --key " +
                                                               in_quotes(job.key_path));
    return record;
}

}  // namespace escrow_cli
