// SPDX-License-Identifier: MIT
// Fuzzes whole-file decryption of age files, raw or armored (fuzz_decrypt_age.hpp), through
// escrow::age_encryptor with two fixed X25519 identities (the golden files' owner, and the CCTV age
// kit's: the golden age X25519 files and the kit's vectors in the seeds decrypt), and through
// escrow::age_scrypt_encryptor with the kit's passphrase and a read limit of work factor 12 (the
// kit's scrypt vectors ask 10); the third fuzzer finding, a scrypt stanza asking 22
// (4 GiB), must be refused before any scrypt work.
// The paths and invariants are fuzz_decrypt.hpp's.
#include "escrow/presets.hpp"
#include "fuzz_decrypt_age.hpp"
#include "fuzz_fixtures.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace escrow_fuzz;
    const auto& identity = fixtures::x25519_owner();
    static const escrow::x25519_public_key recipient = identity.public_key();
    const auto& cctv = fixtures::cctv_identity();
    static const escrow::x25519_public_key cctv_recipient = cctv.public_key();
    static const escrow::scrypt_passphrase passphrase =
        escrow::scrypt_passphrase(fixtures::passphrase).with_max_work_factor(fixtures::max_scrypt_work_factor);
    begin_input();
    const escrow::byte_view in = input(data, size);
    expect_escrow_errors([&] { decrypt_age_file<escrow::age_encryptor>(in, identity, recipient); });
    expect_escrow_errors([&] { decrypt_age_file<escrow::age_encryptor>(in, cctv, cctv_recipient); });
    expect_escrow_errors([&] { decrypt_age_file<escrow::age_scrypt_encryptor>(in, passphrase, passphrase); });
    return 0;
}
