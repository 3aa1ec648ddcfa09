// SPDX-License-Identifier: MIT
/// @file
/// `escrow keygen`: RSA key pairs (PEM or CryptoAPI key blobs), age X25519 and post-quantum
/// (MLKEM768-X25519) identities and OpenSSH Ed25519 key pairs.

#include <escrow/escrow.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "cli_io.hpp"

namespace escrow_cli {

namespace {

constexpr std::string_view keygen_help =
    "Usage: escrow keygen [--type rsa|x25519|pq|ssh-ed25519] [--bits N] [--key-format pem|msblob] -o PREFIX\n"
    "\n"
    "Generates a key pair: PREFIX.key, the private key (mode 0600), and PREFIX.pub, the public\n"
    "key. RSA: PKCS#8 PEM and SubjectPublicKeyInfo PEM. X25519 (the age format): an age identity\n"
    "file as age-keygen writes it, and the age1... recipient. pq (the age format): the hybrid\n"
    "post-quantum ML-KEM-768 + X25519 identity file as 'age-keygen -pq' writes it, and the\n"
    "age1pq1... recipient. ssh-ed25519 (the age format): an\n"
    "unencrypted OpenSSH private key as 'ssh-keygen -t ed25519 -N \'\'' writes it, and the\n"
    "ssh-ed25519 public key line. Existing files are never overwritten.\n"
    "\n"
    "Options:\n"
    "  --type T            key type: rsa (default; native, CryptoAPI and age ssh-rsa files),\n"
    "                      x25519, pq (post-quantum) or ssh-ed25519 (age files)\n"
    "  --bits N            RSA modulus size, 2048 to 16384 (default 3072)\n"
    "  --key-format F      pem (default), or msblob: CryptoAPI's PRIVATEKEYBLOB and\n"
    "                      PUBLICKEYBLOB, which CryptImportKey and 'openssl rsa -inform MSBLOB' read\n"
    "  -o, --output PREFIX write PREFIX.key and PREFIX.pub\n"
    "  -h, --help          show this help\n"
    "\n";

// An age identity file as age-keygen writes it (`Key`: X25519, or MLKEM768-X25519 as age-keygen
// -pq writes it), and PREFIX.pub with the age1... (age1pq1...) recipient.
template <class Key>
int keygen_age(const std::string& key_path, const std::string& pub_path, std::string_view what) {
    auto key = Key::generate();
    const auto& pub = key.public_key();
    output_file key_out(key_path), pub_out(pub_path);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    // The identity file comes back in wiped memory, wiped once written.
    key_out.write(key.unsafe_identity_file(
                         static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count()))
                      .unsafe_bytes());
    pub_out.write(escrow::as_bytes(pub.str() + "\n"));
    commit_all({{&key_out, 0600}, {&pub_out, new_file_mode}});
    std::cerr << "escrow: wrote " << key_path << " (" << what << ", keep it secret) and " << pub_path
              << " (recipient " << pub.str() << ")\n";
    return exit_code::ok;
}

// An OpenSSH Ed25519 private key as ssh-keygen writes it (no passphrase), and PREFIX.pub with its line.
int keygen_ssh_ed25519(const std::string& key_path, const std::string& pub_path) {
    auto key = escrow::ssh_ed25519_private_key::generate();
    const std::string line = key.public_key().str() + " escrow-keygen";
    output_file key_out(key_path), pub_out(pub_path);
    key_out.write(key.unsafe_openssh("escrow-keygen").unsafe_bytes());  // wiped memory, wiped once written
    pub_out.write(escrow::as_bytes(line + "\n"));
    commit_all({{&key_out, 0600}, {&pub_out, new_file_mode}});
    std::cerr << "escrow: wrote " << key_path << " (OpenSSH private key, keep it secret) and " << pub_path
              << " (ssh-ed25519 public key, SHA-256 " << escrow::hex::encode(key.public_key().fingerprint()) << ")\n";
    return exit_code::ok;
}

}  // namespace

int cmd_keygen(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"type", 0, true, false},
                                            {"bits", 0, true, false},
                                            {"key-format", 0, true, false},
                                            {"output", 'o', true, false},
                                            {"help", 'h', false, false}};
    auto a = parse_args("keygen", specs, argv);
    if (a.has("help")) {
        std::cout << keygen_help << see_exit_codes;
        return exit_code::ok;
    }
    if (!a.operands().empty()) throw usage_error("keygen: unexpected operand '" + a.operands().front() + "'");
    // RSA by default: the one key type every format of the tool takes (age through ssh-rsa).
    auto type = std::optional<std::string>(a.get("type").value_or("rsa"));
    if (*type != "rsa" && *type != "x25519" && *type != "pq" && *type != "ssh-ed25519")
        throw usage_error("keygen: unknown --type '" + *type + "' (expected rsa, x25519, pq or ssh-ed25519)");
    if (*type != "rsa" && a.get("bits")) throw usage_error("keygen: --bits applies to --type rsa only");
    unsigned bits = a.get("bits") ? parse_unsigned(*a.get("bits"), "--bits") : 3072;
    const std::string key_format = a.get("key-format").value_or("pem");
    if (key_format != "pem" && key_format != "msblob")
        throw usage_error("keygen: unknown --key-format '" + key_format + "' (expected pem or msblob)");
    const bool msblob = key_format == "msblob";
    auto prefix = a.get("output");
    if (!prefix) throw usage_error("keygen: -o PREFIX is required (see 'escrow keygen --help')");
    if (*prefix == "-" || prefix->empty()) throw usage_error("keygen: -o needs a file name prefix, not standard output");

    const std::string key_path = *prefix + ".key", pub_path = *prefix + ".pub";
    check_outputs(std::nullopt, {{key_path, "-o"}, {pub_path, "-o"}});

    if (*type == "x25519") return keygen_age<escrow::x25519_private_key>(key_path, pub_path, "age identity");
    if (*type == "pq")
        return keygen_age<escrow::mlkem768x25519_private_key>(key_path, pub_path, "age post-quantum identity");
    if (*type == "ssh-ed25519") return keygen_ssh_ed25519(key_path, pub_path);
    auto key = escrow::rsa_private_key::generate(bits);
    auto pub = key.public_key();
    output_file key_out(key_path), pub_out(pub_path);
    if (msblob) {
        key_out.write(escrow::ms_blob::unsafe_private_key_blob(key).unsafe_bytes());  // the blob wipes itself
        pub_out.write(escrow::ms_blob::public_key_blob(pub));
    } else {
        key_out.write(key.unsafe_pem().unsafe_bytes());  // wiped memory, wiped once written
        pub_out.write(escrow::as_bytes(pub.pem()));
    }
    commit_all({{&key_out, 0600}, {&pub_out, new_file_mode}});
    std::cerr << "escrow: wrote " << key_path << " (private key, keep it secret) and " << pub_path << " (RSA-"
              << pub.bits() << " public key, SHA-256 " << escrow::hex::encode(pub.fingerprint()) << ")\n";
    return exit_code::ok;
}

}  // namespace escrow_cli
