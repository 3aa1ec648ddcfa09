// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: a cipher that declares `parallel_chunks` as a member, as this library's policies
/// once did, is refused with a message that says where the option is stated now, rather than being
/// run sequentially without a word. With ESCROW_COMPILE_OK it states the option through
/// `escrow::cipher_options` and the host compiles.
#include <cstdint>
#include <string_view>

#include <escrow/escrow.hpp>

#include "host_use.hpp"

namespace {

struct my_member_hook_cipher : escrow_compile_fail::aes256_gcm_stream_shape {
    static constexpr std::string_view name = "my-member-hook-cipher";
    static constexpr std::uint16_t id = 0x8702;
    using sealer = base::sealer;
    using opener = base::opener;
#ifndef ESCROW_COMPILE_OK
    static constexpr bool parallel_chunks = true;
#endif
};

}  // namespace

#ifdef ESCROW_COMPILE_OK
template <>
inline constexpr escrow::cipher::options escrow::cipher_options<my_member_hook_cipher> = {.parallel_chunks = true};
#endif

void compile_fail_member_hook(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    using host = escrow::escrow_encryptor<my_member_hook_cipher, escrow::wrap::rsa_oaep_sha256, escrow::store::native>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
