// SPDX-License-Identifier: MIT
// Fuzzes whole-file decryption of age files, raw or armored (fuzz_decrypt_age.hpp), through
// escrow::age_ssh_encryptor with a fixed ssh-rsa key of 2048 bits (the golden files' owner: the
// golden age ssh-rsa files in the seeds decrypt). A stanza whose tag names another key is skipped
// without an RSA operation, so mutations of the tag are cheap and those of the body reach OAEP.
// The paths and invariants are fuzz_decrypt.hpp's.
#include "escrow/presets.hpp"
#include "fuzz_decrypt_age.hpp"
#include "fuzz_fixtures.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace escrow_fuzz;
    const auto& key = fixtures::ssh_owner();
    static const escrow::ssh_rsa_public_key owner = key.public_key();
    begin_input();
    expect_escrow_errors([&] { decrypt_age_file<escrow::age_ssh_encryptor>(input(data, size), key, owner); });
    return 0;
}
