// SPDX-License-Identifier: MIT
/// @file
/// Private keys for the law suite, for each of the library's wraps: the committed test keys of
/// tests/golden/keys (so no RSA key is generated per test process), and passphrases for scrypt.
#pragma once

#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include <escrow/escrow.hpp>

namespace escrow_laws {

inline escrow::bytes key_file(const std::string& name) {
    std::ifstream in(std::string(ESCROW_TEST_KEYS_DIR) + "/" + name, std::ios::binary);
    if (!in) throw escrow::error(escrow::errc::not_found, "law suite: no test key " + name);
    return escrow::bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The keys in `files`, each read by `load`.
template <class Key, class Load>
std::vector<Key> load_keys(std::initializer_list<const char*> files, Load load) {
    std::vector<Key> k;
    for (const char* f : files) k.push_back(load(key_file(f)));
    return k;
}

/// Three distinct private keys of wrap `W`.
template <class W>
std::vector<typename W::private_key> keys_of();

template <>
inline std::vector<escrow::rsa_private_key> keys_of<escrow::wrap::rsa_oaep_sha256>() {
    return load_keys<escrow::rsa_private_key>({"rsa_owner.pem", "rsa_authority.pem", "rsa_new_owner.pem"},
                                              [](const escrow::bytes& b) { return escrow::rsa_private_key::load(b); });
}
template <>
inline std::vector<escrow::rsa_private_key> keys_of<escrow::wrap::rsa_pkcs1v15>() {
    return keys_of<escrow::wrap::rsa_oaep_sha256>();
}
template <>
inline std::vector<escrow::ssh_rsa_private_key> keys_of<escrow::wrap::ssh_rsa>() {
    return load_keys<escrow::ssh_rsa_private_key>({"ssh_rsa_owner", "ssh_rsa_authority", "ssh_rsa_new_owner"},
                                                  [](const escrow::bytes& b) { return escrow::ssh_rsa_private_key::load(b); });
}
template <>
inline std::vector<escrow::x25519_private_key> keys_of<escrow::wrap::x25519>() {
    return load_keys<escrow::x25519_private_key>({"x25519_owner.txt", "x25519_authority.txt", "x25519_new_owner.txt"},
                                                 [](const escrow::bytes& b) { return escrow::x25519_private_key::load(b); });
}
template <>
inline std::vector<escrow::ssh_ed25519_private_key> keys_of<escrow::wrap::ssh_ed25519>() {
    return load_keys<escrow::ssh_ed25519_private_key>(
        {"ssh_ed25519_owner", "ssh_ed25519_authority", "ssh_ed25519_new_owner"},
        [](const escrow::bytes& b) { return escrow::ssh_ed25519_private_key::load(b); });
}
template <>
inline std::vector<escrow::mlkem768x25519_private_key> keys_of<escrow::wrap::mlkem768x25519>() {
    return load_keys<escrow::mlkem768x25519_private_key>(
        {"mlkem768x25519_owner.txt", "mlkem768x25519_authority.txt", "mlkem768x25519_new_owner.txt"},
        [](const escrow::bytes& b) { return escrow::mlkem768x25519_private_key::load(b); });
}
template <>
inline std::vector<escrow::scrypt_passphrase> keys_of<escrow::wrap::scrypt>() {
    // Work factor 1 (N = 2): the laws are about the stanza, not about scrypt's cost.
    std::vector<escrow::scrypt_passphrase> k;
    for (const char* p : {"correct horse", "battery staple", "law suite"}) k.emplace_back(p, 1);
    return k;
}

}  // namespace escrow_laws
