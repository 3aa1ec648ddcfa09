// SPDX-License-Identifier: MIT
// An age file, raw or armored, through an age preset, for the decrypt_age* harnesses. As
// `escrow decrypt` does, input that does not start with "age-encryption.org/" is read through
// store::age_dearmor_source. An armored file is decrypted twice: streamed through the armor
// reader (the tool's path), and de-armored first and then decrypted the ways of fuzz_decrypt.hpp;
// when the armor is well formed the two must agree.
#pragma once

#include "escrow/store/age.hpp"
#include "escrow/store/age_armor.hpp"
#include "fuzz_decrypt.hpp"

namespace escrow_fuzz {

template <class Host>
void decrypt_age_file(escrow::byte_view in, const typename Host::private_key& key, const typename Host::public_key& owner) {
    if (text(in).starts_with(escrow::store::age::version_prefix)) {
        (void)decrypt_all_ways<Host>(in, key, owner);
        return;
    }
    std::optional<escrow::bytes> dearmored;
    expect_escrow_errors([&] {
        escrow::memory_source src(in);
        escrow::store::age_dearmor_source<escrow::memory_source> armor(src);
        dearmored.emplace(escrow::read_all(armor, 16 * 1024 * 1024));
    });
    const decryption through = attempt<escrow::memory_sink>([&](escrow::memory_sink& out) {
        escrow::memory_source src(in);
        escrow::store::age_dearmor_source<escrow::memory_source> armor(src);
        Host host;
        auto h = host.read_header(armor);
        auto sk = host.open_header(h, key);
        host.decrypt_payload(armor, out, sk, h);
    });
    if (!dearmored) return;
    if (auto direct = decrypt_all_ways<Host>(*dearmored, key, owner)) require_same(*direct, through, "through the armor");
    else require(!through.ok && through.released.empty(), "through the armor: decrypts a file whose header does not open");
}

}  // namespace escrow_fuzz
