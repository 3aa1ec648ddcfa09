// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt` for the native format: escrow::native_encryptor for RSA
/// keys alone, escrow::native_mixed_encryptor when the owner and the authorities mix RSA, age
/// X25519 and OpenSSH Ed25519 keys.

#include <escrow/escrow.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "cli_jobs.hpp"
#include "cli_pkcs11.hpp"
#include "cli_shares.hpp"

namespace escrow_cli {

namespace {

using mixed_public = escrow::native_mixed_encryptor::public_key;
using mixed_private = escrow::native_mixed_encryptor::private_key;

std::string_view text_view(escrow::byte_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// The one key line of a key file's content, or an empty view when it holds no single line.
std::string_view single_line(escrow::byte_view content) {
    std::vector<std::string_view> lines = escrow::detail::key_file_lines(content);
    return lines.size() == 1 ? lines.front() : std::string_view{};
}

/// A RECIPIENT of the native format: an `age1...` X25519 recipient or an `ssh-ed25519` line (as
/// text or in a file), else an RSA key as `load_recipient` reads it.
mixed_public load_native_recipient(const std::string& value, std::string_view option) {
    const std::string context = std::string(option) + " " + in_quotes(value);
    try {
        std::string line = value;
        if (!value.starts_with("age1") && !value.starts_with("ssh-ed25519 ") && !looks_like_age_identity(value)) {
            key_file_bytes content(value, option);
            line = std::string(single_line(content.view()));
        }
        if (looks_like_age_identity(line))
            throw escrow::error(escrow::errc::bad_key, "this is an age identity (a private key); give its recipient (age1...)");
        if (line.starts_with("age1pq1"))
            throw escrow::error(escrow::errc::bad_key, "is an age post-quantum recipient (age1pq1...): post-quantum keys "
                                                       "are for --format age");
        if (line.starts_with("age1")) return escrow::x25519_public_key::parse(line);
        if (escrow::ssh::line_type(line) == escrow::ssh::ed25519_type) return escrow::ssh_ed25519_public_key::parse(line);
    } catch (const escrow::error& e) {
        throw with_context(e, context);
    }
    return load_recipient(value, option);
}

/// An IDENTITY of the native format: an age identity file, an OpenSSH Ed25519 private key, else an
/// RSA key as `load_identity` reads it.
mixed_private load_native_identity(const std::string& path, std::string_view option) {
    {
        key_file_bytes content(path, option);
        try {
            if (text_view(content.view()).find("AGE-SECRET-KEY-1") != std::string_view::npos)
                return escrow::x25519_private_key::load(content.view());
            if (escrow::ssh::is_openssh_private_key(content.view())) {
                escrow::bytes der = escrow::ssh::openssh_private_der(content.view());
                escrow::scoped_wipe wipe(der);
                if (escrow::ssh::key_v1_type(der) == escrow::ssh::ed25519_type)
                    return escrow::ssh_ed25519_private_key::from_openssh(der);
            }
        } catch (const escrow::error& e) {
            throw with_context(e, std::string(option) + " " + in_quotes(path));
        }
    }
    return load_identity(path, option);
}

escrow::digest256 fingerprint_of(const mixed_public& k) {
    return std::visit([](const auto& key) { return key.fingerprint(); }, k);
}

int encrypt_mixed(const encrypt_job& job, const mixed_public& owner, const std::vector<mixed_public>& authorities) {
    input_file in(job.in_path, job.progress);
    output_file out(job.out_path);
    std::vector<escrow::escrow_record> records = escrow::native_mixed_encryptor{}.encrypt_threshold(
        in, out, owner, std::span<const mixed_public>(authorities), job.threshold, job.info);
    commit_encrypt(job, out, records);
    return exit_code::ok;
}

}  // namespace

int encrypt_native(const encrypt_job& job) {
    if (job.armor) throw usage_error("--armor applies to --format age only");
    if (job.authorities.size() > escrow::store::native::max_recipients - 1)
        throw usage_error("encrypt: at most 31 --authority keys fit in a native file");
    mixed_public owner = load_native_recipient(job.owner, "--owner");
    std::vector<mixed_public> authorities;
    bool all_rsa = std::holds_alternative<escrow::rsa_public_key>(owner);
    for (const auto& p : job.authorities) {
        authorities.push_back(load_native_recipient(p, "--authority"));
        if (authorities.back().index() == owner.index())
            refuse_owner_as_authority(fingerprint_of(owner), fingerprint_of(authorities.back()), p);
        all_rsa = all_rsa && std::holds_alternative<escrow::rsa_public_key>(authorities.back());
    }
    // Keys of several wraps, or a k-of-n file (which the set host writes, of one wrap or several).
    if (!all_rsa || job.threshold > 1) return encrypt_mixed(job, owner, authorities);

    // RSA keys alone: the native preset, as before.
    std::vector<escrow::rsa_public_key> rsa;
    for (auto& a : authorities) rsa.push_back(std::move(std::get<escrow::rsa_public_key>(a)));
    input_file in(job.in_path, job.progress);
    output_file out(job.out_path);
    auto records = with_payload_io(in, 0, in, out, [&](auto& src, auto& sink) {
        return escrow::native_encryptor{}.encrypt(src, sink, std::get<escrow::rsa_public_key>(owner),
                                                  std::span<const escrow::rsa_public_key>(rsa), job.info);
    });
    commit_encrypt(job, out, records);
    return exit_code::ok;
}

int decrypt_native(const decrypt_job& job, decrypt_input& in) {
    if (token_key(job)) return decrypt_native_with_token(job, in);
    std::vector<mixed_private> keys;
    for (const auto& p : job.key_paths) keys.push_back(load_native_identity(p, "--key"));
    std::vector<const mixed_private*> tried;
    for (const auto& k : keys) tried.push_back(&k);
    escrow::native_mixed_encryptor enc;
    const escrow::unverified<escrow::file_header> h = enc.read_header(in);
    std::optional<escrow::session_key> shared;
    if (h.unverified_value().threshold && !job.record_paths.empty()) {
        // A k-of-n file with share records: K keys, each with its record, paired by order.
        shared = enc.open_shares(h, load_share_records(job, keys.size()), keys);
    }
    std::optional<escrow::escrow_record> record;
    if (job.record_path && !shared) record = load_record(*job.record_path);
    if (!shared) {
        try {
            shared = open_with_keys(enc, h, std::span<const mixed_private* const>(tried), job, record);
        } catch (const escrow::error& e) {
            // No key is the owner's, and the authorities of a k-of-n file have no entries: say what opens it.
            if (e.kind() == escrow::errc::no_matching_key && !record && h.unverified_value().threshold)
                escrow::detail::throw_shares_needed(*h.unverified_value().threshold);
            throw;
        }
    }
    escrow::session_key sk = std::move(*shared);
    output_file out(job.out_path);
    with_payload_io(in, in.position(), in.source(), out, [&](auto& src, auto& sink) { enc.decrypt_payload(src, sink, sk, h); });
    commit_all({{&out, plaintext_file_mode}});
    return exit_code::ok;
}

int rewrap_native_shares(const std::string& file, const share_blobs& shares, const std::string& key_path) {
    std::vector<escrow::wrapped_key> blobs;
    for (const auto& b : shares.blobs) blobs.push_back(escrow::store::native::decode_blob<void, void>(b.blob));
    mixed_private key = load_native_identity(key_path, "--key");
    rewrite_in_place(file, [&](auto& in, auto& out) {
        escrow::native_mixed_encryptor{}.rewrap_with_shares(in, out, shares.records, blobs, key);
    });
    return exit_code::ok;
}

}  // namespace escrow_cli
