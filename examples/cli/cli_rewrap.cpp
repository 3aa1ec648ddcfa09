// SPDX-License-Identifier: MIT
/// @file
/// `escrow rewrap`: the owner applies a re-wrapped blob from the authority to the encrypted file.
///
/// The files it rewrites are those of every combination the library's registry carries
/// (`escrow::registry::for_each_carried`) with a wrap the tool's authority handles
/// (`escrow::registry::authority_wraps`): the blobs `escrow authority recover` can give.

#include <escrow/authority/apply_owner_blob.hpp>
#include <escrow/escrow.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "cli_io.hpp"
#include "cli_jobs.hpp"
#include "cli_wraps.hpp"

namespace escrow_cli {

namespace {

namespace ea = escrow::authority;

constexpr std::string_view rewrap_help =
    "Usage: escrow rewrap --blob BLOB [--blob BLOB ...] --key NEW_PRIV [--record RECORD ...] FILE\n"
    "\n"
    "Applies a re-wrapped owner blob (from 'escrow authority recover') to the encrypted FILE, in\n"
    "place: the blob must open FILE with NEW_PRIV (the owner's new private key), then FILE's\n"
    "owner entry is replaced; the payload is copied unchanged. FILE is replaced through a\n"
    "temporary file and a rename, keeping its permission bits, and only on success.\n"
    "\n"
    "Native and age files: the blob must verify FILE's header MAC. age files (binary, not\n"
    "armored) need --record: age stanzas carry no roles, and the owner's stanza is the first\n"
    "recipient stanza that is not the record's. NEW_PRIV is of the recovering authority's key\n"
    "type, which may differ from the old owner's (files that mix key types). CryptoAPI files have no MAC: the payload is decrypted as it is\n"
    "copied and its final CBC padding must check out (a blob made for another file still\n"
    "passes about once in 256); give --record too, so that the blob must also verify the\n"
    "record's MAC.\n"
    "\n"
    "A k-of-n file (encrypt --threshold K, native or age) takes K blobs, recovered from K\n"
    "authorities' share records, each with its --record in the same order: each share is\n"
    "checked against its record and the file, K of them give the session key back, and the\n"
    "owner's entry is wrapped anew for NEW_PRIV's public key (in an age file, the owner's\n"
    "stanza is the recipient stanza that is no record's; the escrow-kofn stanza stays).\n"
    "The blobs are wrapped to NEW_PRIV's public key, which is of the recovering authority's\n"
    "key type ('escrow officer request --new-owner'); it need not be the old owner's type.\n"
    "\n"
    "Options:\n"
    "  --blob BLOB        the re-wrapped owner blob\n"
    "  --key NEW_PRIV     the owner's new private key\n"
    "  --record RECORD    the escrow record the blob came from (required for age files); the\n"
    "                     blob's key must verify its MAC\n"
    "  -h, --help         show this help\n"
    "\n";

// Refuses an ASCII-armored age file: rewrap writes the binary form, so it takes the binary form.
void refuse_armored(const std::string& file) {
    escrow::file_source probe{fs::path(file)};
    escrow::bytes head(escrow::store::age_armor::begin_line.size());
    head.resize(probe.read(head));
    if (std::string_view(reinterpret_cast<const char*>(head.data()), head.size()) == escrow::store::age_armor::begin_line)
        throw escrow::error(escrow::errc::malformed_header,
                            "rewrap: " + in_quotes(file) + " is an ASCII-armored age file; rewrap takes the binary "
                            "form: remove the armor first (base64-decode the lines between BEGIN and END)");
}

// A k-of-n file (native or age): K blobs, each with the share record it was recovered from.
int rewrap_shares(const std::string& file, const std::vector<std::string>& blob_paths,
                  const std::vector<std::string>& record_paths, const std::string& key_path) {
    if (blob_paths.size() != record_paths.size())
        throw usage_error("rewrap: a k-of-n file takes one --record per --blob, paired by order (" +
                          std::to_string(blob_paths.size()) + " --blob, " + std::to_string(record_paths.size()) +
                          " --record)");
    share_blobs shares;
    for (std::size_t i = 0; i < blob_paths.size(); ++i) {
        shares.blobs.push_back(decode_file<ea::owner_blob>(blob_paths[i], "--blob", ea::owner_blob::max_encoded));
        shares.records.push_back(load_record(record_paths[i]));
        const ea::owner_blob& blob = shares.blobs.back();
        if (blob.store_id != escrow::store::native::id && blob.store_id != escrow::store::age::id)
            throw escrow::error(escrow::errc::unknown_policy_id, "--blob " + in_quotes(blob_paths[i]) + " is for store " +
                                                                     id_name("store", blob.store_id) +
                                                                     ": several blobs (a k-of-n file) are for native and age files only");
        if (blob.store_id != shares.blobs.front().store_id)
            throw escrow::error(escrow::errc::invalid_argument, "--blob " + in_quotes(blob_paths[i]) +
                                                                    " is for another store than --blob " + in_quotes(blob_paths[0]));
        if (blob.serial != shares.records.back().info.serial)
            throw escrow::error(escrow::errc::invalid_argument, "--blob " + in_quotes(blob_paths[i]) + " (serial " + blob.serial +
                                                                    ") and --record " + in_quotes(record_paths[i]) +
                                                                    " (serial " + shares.records.back().info.serial + ") differ");
    }
    if (!fs::exists(file)) throw escrow::error(escrow::errc::not_found, "rewrap: " + in_quotes(file) + " does not exist");
    if (shares.blobs.front().store_id == escrow::store::age::id) {
        refuse_armored(file);
        rewrap_age_shares(file, shares, key_path);
    } else {
        rewrap_native_shares(file, shares, key_path);
    }
    std::cerr << "escrow: rewrapped " << file << " for the new owner key with " << blob_paths.size()
              << (blob_paths.size() == 1 ? " authority's share\n" : " authorities' shares\n");
    return exit_code::ok;
}

}  // namespace

int cmd_rewrap(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {
        {"blob", 0, true, true}, {"key", 0, true, false}, {"record", 0, true, true}, {"help", 'h', false, false}};
    auto a = parse_args("rewrap", specs, argv);
    if (a.has("help")) {
        std::cout << rewrap_help << see_exit_codes;
        return exit_code::ok;
    }
    if (a.operands().size() != 1) throw usage_error("rewrap: expected one FILE to rewrite in place (see 'escrow rewrap --help')");
    const std::string& file = a.operands()[0];
    if (file == "-") throw usage_error("rewrap: FILE is rewritten in place: give a file name, not standard input");
    auto blob_path = a.get("blob");
    auto key_path = a.get("key");
    if (!blob_path || !key_path) throw usage_error("rewrap: --blob BLOB and --key NEW_PRIV are required (see 'escrow rewrap --help')");
    if (a.all("blob").size() > 1) return rewrap_shares(file, a.all("blob"), a.all("record"), *key_path);
    if (a.all("record").size() > 1) throw usage_error("rewrap: one --record per --blob, paired by order");
    auto blob = decode_file<ea::owner_blob>(*blob_path, "--blob", ea::owner_blob::max_encoded);
    std::optional<escrow::escrow_record> record;
    if (auto r = a.get("record")) record = load_record(*r);
    // One share of a k-of-n file: refused, saying how many more are needed.
    if (record && record->is_share()) return rewrap_shares(file, a.all("blob"), a.all("record"), *key_path);
    if (!fs::exists(file)) throw escrow::error(escrow::errc::not_found, "rewrap: " + in_quotes(file) + " does not exist");
    if (blob.store_id == escrow::store::age::id) {
        if (!record)
            throw usage_error("rewrap: age stanzas carry no recipient roles, so the owner's stanza is told from the "
                              "authority's by the escrow record: give --record RECORD");
        refuse_armored(file);
        const int rc = rewrap_age_blob(file, blob, *record, *key_path);
        std::cerr << "escrow: rewrapped " << file << " for the new owner key (serial " << blob.serial << ")\n";
        return rc;
    }
    std::optional<int> rc;
    escrow::registry::for_each_carried([&](auto c, auto w, auto s) {
        using C = typename decltype(c)::type;
        using W = typename decltype(w)::type;
        using S = typename decltype(s)::type;
        if constexpr (escrow::registry::contains<escrow::registry::authority_wraps, W>) {
            if (rc || blob.cipher_id != C::id || blob.wrap_id != W::id || blob.store_id != S::id) return;
            auto key = cli_wrap<W>::load_private(*key_path, "--key");
            try {
                ea::apply_owner_blob_in_place<escrow::escrow_encryptor<C, W, S>>(file, blob, key,
                                                                                 record ? &*record : nullptr);
            } catch (const escrow::error& e) {
                throw with_context(e, "rewrap " + in_quotes(file));
            }
            std::cerr << "escrow: rewrapped " << file << " for the new owner key (serial " << blob.serial << ")\n";
            rc = exit_code::ok;
        }
    });
    if (!rc)
        throw escrow::error(escrow::errc::unknown_policy_id, "--blob " + in_quotes(*blob_path) + " is for store " +
                                                                 id_name("store", blob.store_id) + ", cipher " +
                                                                 id_name("cipher", blob.cipher_id) + ", wrap " +
                                                                 id_name("wrap", blob.wrap_id) + ", which this tool cannot rewrap");
    return *rc;
}

}  // namespace escrow_cli
