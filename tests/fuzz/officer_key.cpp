// SPDX-License-Identifier: MIT
// Fuzzes officer key loading: officer_public_key::load (PEM or DER SubjectPublicKeyInfo, as
// `escrow authority officer add` reads), from_der and from_raw (the 32 bytes a signature names),
// and officer_private_key::load (PKCS#8, PEM or DER). Invariants: a public key that loads is
// written (raw(), der(), pem()) to encodings that load back to the same key; a private key that
// loads has a public half that does too, and its own PEM loads back to the same key.
#include <optional>

#include "escrow/authority/officer.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;
namespace authority = escrow::authority;

void check_public(const authority::officer_public_key& k) {
    require(expect_escrow_errors([&] {
                require(authority::officer_public_key::from_raw(k.raw()) == k, "a key's raw bytes load to another key");
                require(authority::officer_public_key::from_der(k.der()) == k, "a key's DER loads to another key");
                require(authority::officer_public_key::load(escrow::as_bytes(k.pem())) == k, "a key's PEM loads to another key");
            }),
            "an officer public key's own encoding does not load");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);

    std::optional<authority::officer_public_key> pub;
    if (expect_escrow_errors([&] { pub.emplace(authority::officer_public_key::load(in)); })) check_public(*pub);
    pub.reset();
    if (expect_escrow_errors([&] { pub.emplace(authority::officer_public_key::from_raw(in)); })) {
        require(same(pub->raw(), in), "from_raw kept other bytes");
        check_public(*pub);
    }

    std::optional<authority::officer_private_key> priv;
    if (expect_escrow_errors([&] { priv.emplace(authority::officer_private_key::load(in)); })) {
        std::optional<authority::officer_public_key> half;
        require(expect_escrow_errors([&] { half.emplace(priv->public_key()); }), "a private key that loads has no usable public key");
        check_public(*half);
        require(expect_escrow_errors([&] {
                    const auto pem = priv->unsafe_pem();
                    require(authority::officer_private_key::load(pem.unsafe_bytes()).public_key() == *half,
                            "a private key's PEM loads to another key");
                }),
                "an officer private key's own PEM does not load");
    }
    return 0;
}
