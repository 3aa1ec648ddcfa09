// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: a user's store that does not say what its format carries (no `carries<C, W>`
/// member) is refused by the host, whose message names the member. With ESCROW_COMPILE_OK the store
/// states its rule and the host compiles.
#include <cstdint>
#include <string_view>

#include <escrow/escrow.hpp>

#include "host_use.hpp"

namespace {

/// The native file layout under a user-defined store id, with every member a store needs but the
/// compatibility rule (unless ESCROW_COMPILE_OK).
struct my_store {
    using base = escrow::store::native;
    static constexpr std::string_view name = "my-store";
    static constexpr std::uint16_t id = 0x8601;
#ifdef ESCROW_COMPILE_OK
    template <class C, class W>
    static constexpr bool carries = base::carries<C, W>;
#endif
    template <class C, class W, escrow::byte_sink Sink>
    static void write_header(Sink& sink, escrow::file_header& h, const escrow::session_key& key) {
        base::write_header<C, W>(sink, h, key);
    }
    template <class C, class W, escrow::byte_source Source>
    static escrow::file_header read_header(Source& src) { return base::read_header<C, W>(src); }
    template <class C, class W>
    static bool verify_header(const escrow::file_header& h, const escrow::session_key& key) {
        return base::verify_header<C, W>(h, key);
    }
    template <class C, class W>
    static escrow::bytes encode_blob(const escrow::wrapped_key& w) { return base::encode_blob<C, W>(w); }
    template <class C, class W>
    static escrow::wrapped_key decode_blob(escrow::byte_view b) { return base::decode_blob<C, W>(b); }
};

}  // namespace

void compile_fail_store_without_carries(const escrow::rsa_public_key& pub, const escrow::rsa_private_key& priv) {
    using host = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256, my_store>;
    escrow_compile_fail::use_host<host>(pub, pub, priv);
}
