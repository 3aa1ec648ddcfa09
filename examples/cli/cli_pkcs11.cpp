// SPDX-License-Identifier: MIT
/// @file
/// The authority's private key in a PKCS#11 token (escrow/wrap/pkcs11.hpp), for `escrow authority`
/// and `escrow decrypt`. Built with PKCS#11 when escrow::pkcs11 is available (ESCROW_CLI_PKCS11).

#include "cli_pkcs11.hpp"

#include <escrow/authority/identity.hpp>

#include <type_traits>
#include <utility>

#include "cli_authority_db.hpp"
#include "cli_cryptoapi.hpp"

#if ESCROW_CLI_PKCS11
#include "cli_token_authority.hpp"
#endif

namespace escrow_cli {

namespace ea = escrow::authority;

bool is_pkcs11_uri(std::string_view key) { return key.starts_with("pkcs11:"); }

std::optional<std::string> token_key(const decrypt_job& job) {
    for (const auto& k : job.key_paths) {
        if (!is_pkcs11_uri(k)) continue;
        if (job.key_paths.size() > 1)
            throw usage_error("decrypt: a pkcs11: --key is an authority's key and is given alone (with --record), "
                              "not with other --key values");
        return k;
    }
    return std::nullopt;
}

#if ESCROW_CLI_PKCS11

escrow::pkcs11::rsa_key open_token_key(const std::string& uri, const std::optional<std::string>& pin_file,
                                       std::string_view option) {
    try {
        return escrow::pkcs11::open_rsa_key(uri, pin_file);
    } catch (const escrow::error& e) {
        throw with_context(e, std::string(option) + " (PKCS#11 key)");
    }
}

escrow::rsa_public_key token_public_key(const std::string& uri, const std::optional<std::string>& pin_file) {
    return open_token_key(uri, pin_file, "--authority-key").public_key();
}

template <class Repo>
ea::owner_blob recover_through_token(Repo& repo, std::size_t quorum, std::uint16_t wrap_id,
                                     const std::string& uri, const std::optional<std::string>& pin_file,
                                     const ea::recovery_request& request, std::span<const ea::officer_signature> signatures) {
    std::optional<ea::owner_blob> out;
    with_token_authority(repo, quorum, wrap_id, uri, pin_file, [&](auto& auth) { out = auth.recover(request, signatures); });
    return std::move(*out);
}

template <class Repo>
std::optional<ea::audit_public_key> token_audit_key(Repo& repo, std::size_t quorum, std::uint16_t wrap_id,
                                                    const std::string& uri, const std::optional<std::string>& pin_file) {
    std::optional<ea::audit_public_key> out;
    with_token_authority(repo, quorum, wrap_id, uri, pin_file, [&](auto& auth) { out = auth.audit_key(); });
    return out;
}

namespace {
/// A token key opens a file through its escrow record only: checked before the token is opened.
void require_record(const decrypt_job& job) {
    if (!job.record_path)
        throw usage_error("decrypt: a PKCS#11 key is an authority's: give the file's escrow record with --record");
}

/// The job's record, which must have been made for the token key `key_pub`.
escrow::escrow_record record_for(const decrypt_job& job, const escrow::rsa_public_key& key_pub) {
    escrow::escrow_record record = load_record(*job.record_path);
    if (!escrow::constant_time_equal(record.authority_fingerprint, key_pub.fingerprint()))
        throw escrow::error(escrow::errc::no_matching_key, "--record " + in_quotes(*job.record_path) +
                                                               " was made for a different authority key than " + keys_named(job));
    return record;
}
}  // namespace

int decrypt_native_with_token(const decrypt_job& job, decrypt_input& in) {
    require_record(job);
    escrow::pkcs11::rsa_key key = open_token_key(job.key_paths.front(), job.pin_file, "--key");
    escrow::escrow_record record = record_for(job, key.public_key());
    using W = escrow::wrap::pkcs11_rsa_oaep_sha256;
    escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, W, escrow::store::native> enc({}, W(key.shared_session()));
    output_file out(job.out_path);
    enc.decrypt_with_record(in, out, record, key);
    commit_all({{&out, plaintext_file_mode}});
    return exit_code::ok;
}

int decrypt_cryptoapi_with_token(const decrypt_job& job, decrypt_input& in, unsigned aes_bits) {
    require_record(job);
    escrow::pkcs11::rsa_key key = open_token_key(job.key_paths.front(), job.pin_file, "--key");
    escrow::escrow_record record = record_for(job, key.public_key());
    using W = escrow::wrap::pkcs11_rsa_pkcs1v15;
    detail::check_aes_bits(aes_bits);
    std::optional<int> rc;
    escrow::registry::for_each<detail::cryptoapi_ciphers>([&](auto c) {
        using C = typename decltype(c)::type;
        if (rc || C::bits != aes_bits) return;
        escrow::escrow_encryptor<C, W, escrow::store::cryptoapi> enc({}, W(key.shared_session()));
        output_file out(job.out_path);
        enc.decrypt_with_record(in, out, record, key);
        commit_all({{&out, plaintext_file_mode}});
        rc = exit_code::ok;
    });
    return *rc;
}

#else  // built without escrow::pkcs11

namespace {
[[noreturn]] void no_pkcs11() {
    throw usage_error("this escrow tool was built without PKCS#11 support (needs pkcs11.h, Debian: libp11-kit-dev): "
                      "pkcs11: URIs are not available");
}
}  // namespace

escrow::rsa_public_key token_public_key(const std::string&, const std::optional<std::string>&) { no_pkcs11(); }
template <class Repo>
ea::owner_blob recover_through_token(Repo&, std::size_t, std::uint16_t, const std::string&,
                                     const std::optional<std::string>&, const ea::recovery_request&,
                                     std::span<const ea::officer_signature>) {
    no_pkcs11();
}
template <class Repo>
std::optional<ea::audit_public_key> token_audit_key(Repo&, std::size_t, std::uint16_t, const std::string&,
                                                    const std::optional<std::string>&) {
    no_pkcs11();
}
int decrypt_native_with_token(const decrypt_job&, decrypt_input&) { no_pkcs11(); }
int decrypt_cryptoapi_with_token(const decrypt_job&, decrypt_input&, unsigned) { no_pkcs11(); }

#endif

template ea::owner_blob recover_through_token<ea::sqlite_repository>(ea::sqlite_repository&, std::size_t, std::uint16_t,
                                                                     const std::string&, const std::optional<std::string>&,
                                                                     const ea::recovery_request&,
                                                                     std::span<const ea::officer_signature>);
template ea::owner_blob recover_through_token<ea::postgres_repository>(ea::postgres_repository&, std::size_t, std::uint16_t,
                                                                       const std::string&, const std::optional<std::string>&,
                                                                       const ea::recovery_request&,
                                                                       std::span<const ea::officer_signature>);

template std::optional<ea::audit_public_key> token_audit_key<ea::sqlite_repository>(ea::sqlite_repository&, std::size_t,
                                                                                   std::uint16_t, const std::string&,
                                                                                   const std::optional<std::string>&);
template std::optional<ea::audit_public_key> token_audit_key<ea::postgres_repository>(ea::postgres_repository&, std::size_t,
                                                                                     std::uint16_t, const std::string&,
                                                                                     const std::optional<std::string>&);

}  // namespace escrow_cli
