// SPDX-License-Identifier: MIT
/// @file
/// `escrow officer`: officer keys, recovery requests and their signatures.

#include <escrow/escrow.hpp>

#include <iostream>
#include <span>
#include <string>
#include <string_view>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "cli_io.hpp"
#include "cli_wraps.hpp"

namespace escrow_cli {

namespace {

namespace ea = escrow::authority;

constexpr std::string_view officer_help =
    "Usage: escrow officer <subcommand> [options]\n"
    "\n"
    "What recovery officers do. A recovery request names the record's serial, the owner's new\n"
    "public key, the authority, a random nonce and an expiry; each officer checks the owner's\n"
    "identity by the organisation's procedure and signs the request with an Ed25519 key.\n"
    "\n"
    "Subcommands:\n"
    "  keygen -o PREFIX   write PREFIX.key (PKCS#8 Ed25519, mode 0600) and PREFIX.pub\n"
    "  request --serial S --new-owner PUB --authority PUB [--expires-in SECONDS]\n"
    "          [--wrap NAME] -o REQ\n"
    "                     make a recovery request (default expiry: 86400 s from now); the keys'\n"
    "                     type selects the wrap, as for 'escrow authority init'\n"
    "  sign --key KEY -o SIG REQ\n"
    "                     sign a request (its contents are shown on standard error)\n"
    "\n"
    "Options:\n"
    "  -h, --help         show this help\n"
    "\n";

int officer_keygen(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"output", 'o', true, false}};
    auto a = parse_args("officer keygen", specs, argv);
    if (!a.operands().empty()) throw usage_error("officer keygen: unexpected operand '" + a.operands().front() + "'");
    auto prefix = a.get("output");
    if (!prefix || prefix->empty() || *prefix == "-") throw usage_error("officer keygen: -o PREFIX is required");
    const std::string key_path = *prefix + ".key", pub_path = *prefix + ".pub";
    check_outputs(std::nullopt, {{key_path, "-o"}, {pub_path, "-o"}});
    auto key = ea::officer_private_key::generate();
    auto pub = key.public_key();
    output_file key_out(key_path), pub_out(pub_path);
    key_out.write(key.unsafe_pem().unsafe_bytes());  // wiped memory, wiped once written
    pub_out.write(escrow::as_bytes(pub.pem()));
    commit_all({{&key_out, 0600}, {&pub_out, new_file_mode}});
    std::cerr << "escrow: wrote " << key_path << " (officer private key, keep it secret) and " << pub_path
              << " (Ed25519 public key, SHA-256 " << escrow::hex::encode(pub.fingerprint()) << ")\n";
    return exit_code::ok;
}

int officer_request(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"serial", 0, true, false},
                                            {"new-owner", 0, true, false},
                                            {"authority", 0, true, false},
                                            {"expires-in", 0, true, false},
                                            {"wrap", 0, true, false},
                                            {"output", 'o', true, false}};
    auto a = parse_args("officer request", specs, argv);
    if (!a.operands().empty()) throw usage_error("officer request: unexpected operand '" + a.operands().front() + "'");
    auto serial = a.get("serial");
    auto owner = a.get("new-owner");
    auto authority = a.get("authority");
    auto out = a.get("output");
    if (!serial || !owner || !authority || !out)
        throw usage_error("officer request: --serial, --new-owner, --authority and -o are required (see 'escrow officer --help')");
    unsigned expires_in = a.get("expires-in") ? parse_unsigned(*a.get("expires-in"), "--expires-in") : 86400;
    // The new owner's key and the authority's key are of the authority's wrap; the key type says which.
    return with_key_wrap(*authority, "--authority", a.get("wrap"), [&](auto t) {
        using W = typename decltype(t)::type;
        auto auth_pub = cli_wrap<W>::load_public(*authority, "--authority");
        auto owner_pub = cli_wrap<W>::load_public(*owner, "--new-owner");
        W w{};
        auto req = ea::recovery_request::make<W>(*serial, owner_pub, w.fingerprint(auth_pub), ea::unix_now() + expires_in);
        write_new_file(*out, "-o", req.encode());
        std::cerr << "escrow: wrote recovery request " << *out << " for " << req.serial << " (request SHA-256 "
                  << escrow::hex::encode(req.digest()) << ", expires " << iso8601_utc(req.expires) << ")\n";
        return exit_code::ok;
    });
}

int officer_sign(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"key", 0, true, false}, {"output", 'o', true, false}};
    auto a = parse_args("officer sign", specs, argv);
    if (a.operands().size() != 1) throw usage_error("officer sign: expected one REQ file");
    auto key_path = a.get("key");
    auto out = a.get("output");
    if (!key_path || !out) throw usage_error("officer sign: --key KEY and -o SIG are required");
    check_outputs(a.operands()[0], {{*out, "-o"}});
    auto req = decode_file<ea::recovery_request>(a.operands()[0], "request", ea::recovery_request::max_encoded);
    key_file_bytes content(*key_path, "--key");
    ea::officer_private_key key = [&] {
        try {
            return ea::officer_private_key::load(content.view());
        } catch (const escrow::error& e) {
            throw with_context(e, "--key " + in_quotes(*key_path));
        }
    }();
    auto sig = ea::officer_signature::sign(req, key);
    write_new_file(*out, "-o", sig.encode());
    std::cerr << "escrow: signed the recovery request for " << req.serial << ": new owner key SHA-256 "
              << escrow::hex::encode(escrow::sha256(req.new_owner_key)) << " (" << id_name("wrap", req.wrap_id)
              << "), authority " << escrow::hex::encode(req.authority_fingerprint).substr(0, 16) << "..., expires "
              << iso8601_utc(req.expires) << "; wrote " << *out << "\n";
    return exit_code::ok;
}

}  // namespace

int cmd_officer(std::span<char* const> argv) {
    if (argv.empty()) throw usage_error("officer: a subcommand is required (see 'escrow officer --help')");
    for (std::string_view w : argv)
        if (w == "-h" || w == "--help") {
            std::cout << officer_help << exit_codes_help_text;
            return exit_code::ok;
        }
    std::string_view sub = argv[0];
    auto rest = argv.subspan(1);
    if (sub == "keygen") return officer_keygen(rest);
    if (sub == "request") return officer_request(rest);
    if (sub == "sign") return officer_sign(rest);
    throw usage_error("officer: unknown subcommand '" + std::string(sub) + "' (see 'escrow officer --help')");
}

}  // namespace escrow_cli
