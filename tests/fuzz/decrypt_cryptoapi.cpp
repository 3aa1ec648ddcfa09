// SPDX-License-Identifier: MIT
// Fuzzes whole-file decryption of the CryptoAPI format through
// escrow::legacy::cryptoapi_encryptor<128|192|256> with a fixed RSA-2048 owner key (the golden
// files' owner: the golden CryptoAPI files in the seeds decrypt). The AES size is chosen as
// `escrow decrypt --format cryptoapi` chooses it: from the SIMPLEBLOB's aiKeyAlg
// (store::cryptoapi::peek_aes_bits), AES-256 when the input names none. RSA PKCS#1 v1.5 with
// implicit rejection gives a session key for any block, so every input that parses reaches the
// CBC payload. The paths and invariants are fuzz_decrypt.hpp's.
#include "escrow/legacy/presets.hpp"
#include "fuzz_decrypt.hpp"
#include "fuzz_fixtures.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace escrow_fuzz;
    const auto& key = fixtures::rsa_owner();
    static const escrow::rsa_public_key owner = key.public_key();
    begin_input();
    const escrow::byte_view in = input(data, size);
    const unsigned bits = escrow::store::cryptoapi::peek_aes_bits(in).value_or(256);
    expect_escrow_errors([&] {
        if (bits == 128) (void)decrypt_all_ways<escrow::legacy::cryptoapi_encryptor<128>>(in, key, owner);
        else if (bits == 192) (void)decrypt_all_ways<escrow::legacy::cryptoapi_encryptor<192>>(in, key, owner);
        else (void)decrypt_all_ways<escrow::legacy::cryptoapi_encryptor<256>>(in, key, owner);
    });
    return 0;
}
