// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: an optional capability misspelt where it is stated (`.paralel_chunks` in
/// `escrow::cipher_options<my_cipher>`) does not compile, rather than leaving the cipher silently
/// sequential: options are designated initializers of `escrow::cipher::options`. With
/// ESCROW_COMPILE_OK the option is spelt right, and the host runs the cipher in parallel.
#include <cstdint>
#include <string_view>

#include <escrow/escrow.hpp>

#include "host_use.hpp"

namespace {

/// A user's cipher reusing the AES-256-GCM STREAM chunk code, whose chunks are independent.
struct my_parallel_cipher : escrow_compile_fail::aes256_gcm_stream_shape {
    static constexpr std::string_view name = "my-parallel-cipher";
    static constexpr std::uint16_t id = 0x8701;
    using sealer = base::sealer;
    using opener = base::opener;
};

}  // namespace

#ifdef ESCROW_COMPILE_OK
template <>
inline constexpr escrow::cipher::options escrow::cipher_options<my_parallel_cipher> = {.parallel_chunks = true};
#else
template <>
inline constexpr escrow::cipher::options escrow::cipher_options<my_parallel_cipher> = {.paralel_chunks = true};
#endif

using my_host = escrow::escrow_encryptor<my_parallel_cipher, escrow::wrap::rsa_oaep_sha256, escrow::store::native>;
static_assert(my_host::parallel_payload);

void compile_fail_misspelt_option(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    escrow_compile_fail::use_host<my_host>(pub, pub, priv);
}
