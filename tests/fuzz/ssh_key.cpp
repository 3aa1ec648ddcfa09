// SPDX-License-Identifier: MIT
// Fuzzes OpenSSH RSA keys: ssh_rsa_public_key::load (a .pub file), parse (one line) and from_wire
// (the SSH wire encoding, as recovery requests carry it); ssh_rsa_private_key::load (an
// openssh-key-v1 file, or PEM/DER) and from_openssh (the decoded openssh-key-v1 structure: the
// issue's first fuzzer finding, p = 1, is a 103-byte input here). Invariants: a public key that
// parses has one encoding (from_wire gives back its input, and str() parses to the same key); a
// private key that loads has a public half that does too.
#include <optional>

#include "escrow/core/ssh_key.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;

void check_public(const escrow::ssh_rsa_public_key& k) {
    require(expect_escrow_errors([&] {
                const escrow::bytes wire(k.wire().begin(), k.wire().end());
                require(same(escrow::ssh_rsa_public_key::from_wire(wire).wire(), wire), "a key's wire encoding loads to another key");
                require(same(escrow::ssh_rsa_public_key::parse(k.str()).wire(), wire), "a key's line parses to another key");
                require(same(escrow::ssh_rsa_public_key::load(escrow::as_bytes(k.str() + " comment\n")).wire(), wire),
                        "a key's .pub file loads to another key");
            }),
            "an OpenSSH public key's own encoding does not load");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);

    std::optional<escrow::ssh_rsa_public_key> pub;
    if (expect_escrow_errors([&] { pub.emplace(escrow::ssh_rsa_public_key::from_wire(in)); })) {
        require(same(pub->wire(), in), "from_wire took a non-canonical encoding");
        check_public(*pub);
    }
    pub.reset();
    if (expect_escrow_errors([&] { pub.emplace(escrow::ssh_rsa_public_key::load(in)); })) check_public(*pub);
    expect_escrow_errors([&] { (void)escrow::ssh_rsa_public_key::parse(text(in)); });

    std::optional<escrow::ssh_rsa_private_key> priv;
    if (expect_escrow_errors([&] { priv.emplace(escrow::ssh_rsa_private_key::from_openssh(in)); })) check_public(priv->public_key());
    priv.reset();
    if (expect_escrow_errors([&] { priv.emplace(escrow::ssh_rsa_private_key::load(in)); })) check_public(priv->public_key());
    return 0;
}
