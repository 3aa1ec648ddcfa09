// SPDX-License-Identifier: MIT
// Fuzzes RSA key loading: rsa_public_key and rsa_private_key from PEM and DER (SubjectPublicKeyInfo,
// PKCS#1, PKCS#8, as OpenSSL writes them), through load (which tells PEM from DER by content) and
// from_der. Invariants: a key that loads is written (der(), pem(), unsafe_der(), unsafe_pem())
// to encodings that load back to the same key, and a private key's public half loads as a public key.
#include <optional>

#include "escrow/core/rsa_key.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;

void check_public(const escrow::rsa_public_key& k) {
    const escrow::bytes der = k.der();
    require(expect_escrow_errors([&] {
                require(escrow::rsa_public_key::from_der(der).der() == der, "a public key's DER loads to another key");
                require(escrow::rsa_public_key::load(escrow::as_bytes(k.pem())).der() == der, "a public key's PEM loads to another key");
            }),
            "a public key's own encoding does not load");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);

    std::optional<escrow::rsa_public_key> pub;
    if (expect_escrow_errors([&] { pub.emplace(escrow::rsa_public_key::load(in)); })) check_public(*pub);
    expect_escrow_errors([&] { (void)escrow::rsa_public_key::from_der(in); });

    std::optional<escrow::rsa_private_key> priv;
    if (expect_escrow_errors([&] { priv.emplace(escrow::rsa_private_key::load(in)); })) {
        const escrow::bytes pub_der = priv->public_key().der();
        require(expect_escrow_errors([&] {
                    auto der = priv->unsafe_der();
                    require(escrow::rsa_private_key::from_der(der.unsafe_bytes()).public_key().der() == pub_der,
                            "a private key's PKCS#8 DER loads to another key");
                    auto pem = priv->unsafe_pem();
                    require(escrow::rsa_private_key::load(pem.unsafe_bytes()).public_key().der() == pub_der,
                            "a private key's PKCS#8 PEM loads to another key");
                }),
                "a private key's own encoding does not load");
        check_public(priv->public_key());
    }
    expect_escrow_errors([&] { (void)escrow::rsa_private_key::from_der(in); });
    return 0;
}
