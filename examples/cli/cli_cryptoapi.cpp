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

namespace escrow_cli {

int encrypt_cryptoapi(const encrypt_job& job) {
    if (job.armor) throw usage_error("--armor applies to --format age only");
    if (job.record_paths.empty())
        throw usage_error("encrypt --format cryptoapi: a CryptoAPI file holds only the owner's SIMPLEBLOB, so each "
                          "authority's copy goes to its escrow record: give one --record FILE per --authority");
    auto owner = load_recipient(job.owner, "--owner");
    std::vector<escrow::rsa_public_key> authorities;
    for (const auto& p : job.authorities) authorities.push_back(load_recipient(p, "--authority"));

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
    if (is_std_stream(job.out_path))
        throw usage_error("decrypt: a CryptoAPI file has no integrity check, so its plaintext goes to a file that "
                          "appears only once the whole file decrypts: give -o OUT");
    const unsigned bits = cryptoapi_aes_bits(in);
    auto key = load_identity(job.key_path, "--key");
    std::optional<escrow::escrow_record> record = load_record_for(job, key.public_key());
    return detail::with_cryptoapi_preset(bits, [&](auto enc) {
        output_file out(job.out_path);
        if (record) enc.decrypt_with_record(in, out, *record, key);
        else enc.decrypt(in, out, key);
        commit_all({{&out, plaintext_file_mode}});
        return exit_code::ok;
    });
}

}  // namespace escrow_cli
