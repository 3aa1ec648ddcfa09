// SPDX-License-Identifier: MIT
/// @file
/// The registry: the library's ciphers, wraps and stores, each listed once. Ids, names,
/// compatibility, messages, the tool's lists and the authority's dispatch derive from these lists.
#pragma once

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include "escrow/cipher/aes256_gcm_stream.hpp"
#include "escrow/cipher/chacha20_poly1305_stream.hpp"
#include "escrow/legacy/cryptoapi_aes_cbc.hpp"
#include "escrow/store/age.hpp"
#include "escrow/store/cryptoapi.hpp"
#include "escrow/store/native.hpp"
#include "escrow/wrap/rsa_oaep_sha256.hpp"
#include "escrow/wrap/rsa_pkcs1v15.hpp"
#include "escrow/wrap/scrypt.hpp"
#include "escrow/wrap/ssh_rsa.hpp"
#include "escrow/wrap/x25519.hpp"

namespace escrow {

/// A closed, compile-time list of policy types, as users name one (`escrow::type_list<A, B>`);
/// the library walks it with Boost.Hana (`as_hana`), which stays out of the types users write.
template <class... Policies>
struct type_list {
    /// The number of policies.
    static constexpr std::size_t size = sizeof...(Policies);
    /// The list as a Boost.Hana tuple of types, for compile-time iteration inside the library.
    static constexpr auto as_hana() { return boost::hana::tuple_t<Policies...>; }
};

/// The library's policies, by family. Adding a policy to the library: one header, one line here.
namespace registry {
using ciphers = type_list<cipher::aes256_gcm_stream, cipher::chacha20_poly1305_stream, legacy::cryptoapi_aes_cbc<128>,
                          legacy::cryptoapi_aes_cbc<192>, legacy::cryptoapi_aes_cbc<256>>;
using wraps = type_list<wrap::rsa_oaep_sha256, wrap::rsa_pkcs1v15, wrap::x25519, wrap::ssh_rsa, wrap::scrypt>;
using stores = type_list<store::native, store::cryptoapi, store::age>;
}  // namespace registry

}  // namespace escrow
