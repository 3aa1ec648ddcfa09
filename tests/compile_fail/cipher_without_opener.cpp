// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: a custom cipher policy without a nested `opener` is rejected by the host with the
/// expected signature in the message. With ESCROW_COMPILE_OK the policy has its opener and compiles.
#include <cstdint>
#include <string_view>

#include <escrow/escrow.hpp>

#include "host_use.hpp"

namespace {

/// A user's cipher (user-defined id) reusing the AES-256-GCM STREAM chunk code, written without an
/// `opener` unless ESCROW_COMPILE_OK.
struct my_stream_cipher : escrow_compile_fail::aes256_gcm_stream_shape {
    static constexpr std::string_view name = "my-stream-cipher";
    static constexpr std::uint16_t id = 0x8401;
    using sealer = base::sealer;
#ifdef ESCROW_COMPILE_OK
    using opener = base::opener;
#endif
};

}  // namespace

void compile_fail_cipher_without_opener(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    using host = escrow::escrow_encryptor<my_stream_cipher, escrow::wrap::rsa_oaep_sha256, escrow::store::native>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
