// SPDX-License-Identifier: MIT
/// @file
/// Compile-fail: a wrap set that mixes age's post-quantum recipient (`wrap::mlkem768x25519`) with
/// a classical one (`wrap::x25519`) does not compile: the age spec says a file SHOULD NOT be
/// encrypted to both. With ESCROW_COMPILE_OK the set is all post-quantum, and its host compiles.
#include <escrow/escrow.hpp>

#ifdef ESCROW_COMPILE_OK
using my_set = escrow::wrap_set<escrow::wrap::mlkem768x25519>;
#else
using my_set = escrow::wrap_set<escrow::wrap::mlkem768x25519, escrow::wrap::x25519>;
#endif

using my_host = escrow::escrow_encryptor<escrow::cipher::chacha20_poly1305_stream, my_set, escrow::store::age>;

my_host::public_key compile_fail_mixed_post_quantum_set(const escrow::mlkem768x25519_public_key& pub) {
    my_host host;
    (void)host;
    return my_host::public_key(pub);
}
