// SPDX-License-Identifier: MIT
/// @file
/// escrow_p11_tool: prepares SoftHSM2 tokens for the tests (the CLI cases and test_pkcs11), through
/// the module itself. Every command first points SOFTHSM2_CONF at DIR/softhsm2.conf (DIR/tokens).
/// PINs are read from files, as the escrow tool reads them.
///
///   escrow_p11_tool init DIR TOKEN SO_PIN_FILE PIN_FILE     a new token
///   escrow_p11_tool keygen DIR TOKEN PIN_FILE LABEL BITS    an RSA pair generated inside it
///   escrow_p11_tool import DIR TOKEN PIN_FILE LABEL PEM     a file key imported, non-extractable
///   escrow_p11_tool ec-keygen DIR TOKEN PIN_FILE LABEL      an EC P-256 pair (a wrong key type)
///   escrow_p11_tool public DIR TOKEN PIN_FILE LABEL OUT     the key's public half, PEM, from the token
///   escrow_p11_tool attribute DIR TOKEN PIN_FILE LABEL A    prints what C_GetAttributeValue answers
///                                                           for A (value, private-exponent, modulus)
///   escrow_p11_tool setup DIR GOLDEN_KEY                    test_pkcs11's token (see below)
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "softhsm.hpp"

namespace {

std::string pin_of(const std::string& file) {
    auto p = escrow::pkcs11::read_pin(file);
    return std::string(reinterpret_cast<const char*>(p.unsafe_bytes().data()), p.size());
}

escrow::bytes file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw escrow::error(escrow::errc::not_found, "cannot read " + path);
    return escrow::bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_pin(const std::filesystem::path& p, const std::string& pin) { std::ofstream(p) << pin << "\n"; }

// test_pkcs11's token "escrow-test" (user PIN in DIR/pin.txt): RSA-3072 pairs law-0, law-1, law-2
// generated inside it; "file-authority", the committed tests/golden/keys/rsa_authority.pem
// imported; "ec", an EC key.
int setup(const std::filesystem::path& dir, const std::string& golden) {
    std::filesystem::remove_all(dir);
    escrow_softhsm::use_token_dir(dir);
    write_pin(dir / "pin.txt", "law-pin-2718");
    write_pin(dir / "wrong-pin.txt", "not-the-pin");
    auto a = escrow_softhsm::admin::init_token("escrow-test", "so-pin-3141", "law-pin-2718");
    for (int i = 0; i < 3; ++i) a.generate_rsa("law-" + std::to_string(i), 3072);
    a.import_rsa("file-authority", escrow::rsa_private_key::load(file_bytes(golden)));
    a.generate_ec("ec");
    return 0;
}

int run(int argc, char** argv) {
    if (argc < 3) throw escrow::error(escrow::errc::invalid_argument, "usage: see the comment at the top of p11_tool.cpp");
    const std::string cmd = argv[1];
    const std::filesystem::path dir = argv[2];
    if (cmd == "setup" && argc == 4) return setup(dir, argv[3]);
    escrow_softhsm::use_token_dir(dir);
    if (argc < 5) throw escrow::error(escrow::errc::invalid_argument, "usage: " + cmd + " DIR TOKEN ...");
    const std::string token = argv[3];
    if (cmd == "init" && argc == 6) {
        escrow_softhsm::admin::init_token(token, pin_of(argv[4]), pin_of(argv[5]));
        return 0;
    }
    auto a = escrow_softhsm::admin::login(token, pin_of(argv[4]));
    if (cmd == "keygen" && argc == 7) {
        a.generate_rsa(argv[5], std::stoul(argv[6]));
        return 0;
    }
    if (cmd == "import" && argc == 7) {
        a.import_rsa(argv[5], escrow::rsa_private_key::load(file_bytes(argv[6])));
        return 0;
    }
    if (cmd == "ec-keygen" && argc == 6) {
        a.generate_ec(argv[5]);
        return 0;
    }
    if (cmd == "public" && argc == 7) {
        auto key = escrow::pkcs11::open_rsa_key(escrow_softhsm::uri_of(token, argv[5], argv[4]), std::nullopt);
        std::ofstream(argv[6]) << key.public_key().pem();
        return 0;
    }
    if (cmd == "attribute" && argc == 7) {
        const std::string which = argv[6];
        const CK_ATTRIBUTE_TYPE t = which == "value"              ? CKA_VALUE
                                    : which == "private-exponent" ? CKA_PRIVATE_EXPONENT
                                    : which == "prime-1"          ? CKA_PRIME_1
                                                                  : CKA_MODULUS;
        std::cout << escrow::detail::pkcs11::rv_name(a.read_private_attribute(argv[5], t)) << "\n";
        return 0;
    }
    throw escrow::error(escrow::errc::invalid_argument, "unknown command or wrong number of arguments: " + cmd);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "escrow_p11_tool: " << e.what() << "\n";
        return 1;
    }
}
