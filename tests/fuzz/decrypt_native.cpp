// SPDX-License-Identifier: MIT
// Fuzzes whole-file decryption of the native format through escrow::native_encryptor with a fixed
// RSA-2048 owner key (the golden files' owner: the golden native files in the seeds decrypt).
// The paths and invariants are fuzz_decrypt.hpp's; besides, an authenticated format releases
// plaintext only from a file whose header opened.
#include "escrow/presets.hpp"
#include "fuzz_decrypt.hpp"
#include "fuzz_fixtures.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace escrow_fuzz;
    const auto& key = fixtures::rsa_owner();
    static const escrow::rsa_public_key owner = key.public_key();
    begin_input();
    expect_escrow_errors([&] { (void)decrypt_all_ways<escrow::native_encryptor>(input(data, size), key, owner); });
    return 0;
}
