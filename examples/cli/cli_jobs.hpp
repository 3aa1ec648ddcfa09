// SPDX-License-Identifier: MIT
/// @file
/// What `escrow encrypt` and `escrow decrypt` hand to a format's implementation once the options
/// common to every format are parsed and checked: one header per format (cli_native.hpp,
/// cli_age.hpp, cli_cryptoapi.hpp) implements `encrypt_<format>` and `decrypt_<format>`.
#pragma once

#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli_args.hpp"
#include "cli_io.hpp"

namespace escrow_cli {

/// `escrow encrypt`, parsed: paths are as given, outputs already checked not to exist or alias.
struct encrypt_job {
    std::optional<std::string> in_path;         ///< empty or "-": standard input
    std::optional<std::string> out_path;        ///< empty or "-": standard output
    std::string owner;                          ///< --owner, as given (a path or a recipient string)
    std::vector<std::string> authorities;       ///< --authority, in order
    std::vector<std::string> record_paths;      ///< --record, none or one per authority
    escrow::key_info info;                      ///< serial (may be empty), description, owner id
    bool armor = false;                         ///< --armor
    unsigned aes_bits = 256;                    ///< --aes-bits (--format cryptoapi only)
    progress_meter* progress = nullptr;         ///< counts the input as it is read (may draw nothing)
};

/// `escrow decrypt`, parsed.
struct decrypt_job {
    std::optional<std::string> in_path;
    std::optional<std::string> out_path;
    std::string key_path;                       ///< --key
    std::optional<std::string> record_path;     ///< --record
};

/// The input of `escrow decrypt`, with its first bytes peeked for format detection.
using decrypt_input = peeked_source<input_file>;

/// Writes the ciphertext's escrow records to the job's --record files, then commits every output
/// at once (the ciphertext and the records appear together, or none of them does).
inline void commit_encrypt(const encrypt_job& job, output_file& out, const std::vector<escrow::escrow_record>& records) {
    std::vector<std::optional<output_file>> record_outs(job.record_paths.size());
    std::vector<std::pair<output_file*, mode_t>> to_commit{{&out, new_file_mode}};
    for (std::size_t i = 0; i < job.record_paths.size() && i < records.size(); ++i) {
        record_outs[i].emplace(job.record_paths[i]);
        record_outs[i]->write(records[i].encode());
        to_commit.emplace_back(&*record_outs[i], new_file_mode);
    }
    commit_all(std::move(to_commit));
}

/// Reads an escrow record file given with --record.
inline escrow::escrow_record load_record(const std::string& path) {
    if (path == "-") throw usage_error("--record needs a file name, not standard input");
    escrow::file_source src{std::filesystem::path(path)};
    try {
        return escrow::escrow_record::decode(escrow::read_all(src, escrow::escrow_record::max_encoded));
    } catch (const escrow::error& e) {
        throw with_context(e, "--record " + in_quotes(path));
    }
}

/// Reads the job's --record, if any, and checks that it was made for the authority whose key is
/// --key (public half `key_pub`): said before the library's own check, so that a wrong key reads
/// as one (exit 1).
inline std::optional<escrow::escrow_record> load_record_for(const decrypt_job& job, const escrow::rsa_public_key& key_pub) {
    if (!job.record_path) return std::nullopt;
    escrow::escrow_record record = load_record(*job.record_path);
    if (!escrow::constant_time_equal(record.authority_fingerprint, key_pub.fingerprint()))
        throw escrow::error(escrow::errc::no_matching_key, "--record " + in_quotes(*job.record_path) +
                                                               " was made for a different authority key than --key " +
                                                               in_quotes(job.key_path));
    return record;
}

}  // namespace escrow_cli
