// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt` for the cryptoapi format
/// (escrow::legacy::cryptoapi_encryptor<128|192|256>).

#include "cli_cryptoapi.hpp"

#include <escrow/escrow.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli_jobs.hpp"
#include "cli_pkcs11.hpp"

namespace escrow_cli {

int encrypt_cryptoapi(const encrypt_job& job) {
    if (job.armor) throw usage_error("--armor applies to --format age only");
    if (job.record_paths.empty())
        throw usage_error("encrypt --format cryptoapi: a CryptoAPI file holds only the owner's SIMPLEBLOB, so each "
                          "authority's copy goes to its escrow record: give one --record FILE per --authority");
    auto owner = load_recipient(job.owner, "--owner");
    std::vector<escrow::rsa_public_key> authorities;
    for (const auto& p : job.authorities) {
        authorities.push_back(load_recipient(p, "--authority"));
        refuse_owner_as_authority(owner.fingerprint(), authorities.back().fingerprint(), p);
    }

    return detail::with_cryptoapi_preset(job.aes_bits, [&](auto enc) {
        input_file in(job.in_path, job.progress);
        output_file out(job.out_path);
        std::vector<escrow::escrow_record> records =
            enc.encrypt(in, out, owner, std::span<const escrow::rsa_public_key>(authorities), job.info);
        commit_encrypt(job, out, records);
        return exit_code::ok;
    });
}

void detail::check_aes_bits(unsigned aes_bits) {
    bool known = false;
    std::vector<std::string> sizes;
    escrow::registry::for_each<detail::cryptoapi_ciphers>([&](auto c) {
        using C = typename decltype(c)::type;
        known = known || C::bits == aes_bits;
        sizes.push_back(std::to_string(C::bits));
    });
    if (!known)
        throw usage_error("--aes-bits must be " + listed(std::vector<std::string_view>(sizes.begin(), sizes.end())));
}

namespace {

/// The AES size a CryptoAPI file's SIMPLEBLOB names, from the input's first bytes. When they do
/// not read as a CryptoAPI file, AES-256 (or the size its aiKeyAlg names), so that the library's
/// parser says exactly what is wrong.
unsigned cryptoapi_aes_bits(const decrypt_input& in) {
    if (auto bits = escrow::store::cryptoapi::peek_aes_bits(in.head())) return *bits;
    if (in.head().size() >= 12)
        if (unsigned bits = escrow::store::cryptoapi::aes_bits_of(escrow::le::get<std::uint32_t>(in.head().data() + 8)))
            return bits;
    return 256;
}

}  // namespace

int decrypt_cryptoapi(const decrypt_job& job, decrypt_input& in) {
    // Standard output cannot take back what it was given: the chunks before the final padding
    // check would be out before the check fails.
    if (is_std_stream(job.out_path) || (is_direct_output(*job.out_path) && !is_null_device(*job.out_path)))
        throw usage_error("decrypt: a CryptoAPI file has no integrity check, so its plaintext goes to a new file that "
                          "appears only once the whole file decrypts (or to /dev/null): give -o OUT");
    const unsigned bits = cryptoapi_aes_bits(in);
    if (token_key(job)) return decrypt_cryptoapi_with_token(job, in, bits);
    // No MAC tells a wrong key here: with several --key, the record names the one to use.
    if (job.key_paths.size() > 1 && !job.record_path)
        throw usage_error("decrypt: a CryptoAPI file has no MAC to tell which of several --key opens it: give one --key "
                          "(or --record with the authority's keys)");
    std::optional<escrow::escrow_record> record;
    if (job.record_path) record = load_record(*job.record_path);
    std::optional<escrow::rsa_private_key> key;
    for (const auto& p : job.key_paths) {
        auto k = load_identity(p, "--key");
        if (!record || escrow::constant_time_equal(record->authority_fingerprint, k.public_key().fingerprint())) {
            key.emplace(std::move(k));
            break;
        }
    }
    if (!key)
        throw escrow::error(escrow::errc::no_matching_key, "--record " + in_quotes(*job.record_path) +
                                                               " was made for a different authority key than " + keys_named(job) +
                                                               " (give the key of the authority the record was made for)");
    return detail::with_cryptoapi_preset(bits, [&](auto enc) {
        output_file out(job.out_path);
        if (record) enc.decrypt_with_record(in, out, *record, *key);
        else enc.decrypt(in, out, *key);
        commit_all({{&out, plaintext_file_mode}});
        return exit_code::ok;
    });
}

}  // namespace escrow_cli
