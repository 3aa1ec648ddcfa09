// SPDX-License-Identifier: MIT
/// @file
/// `escrow officer`: officer keys, recovery requests and their signatures.

#include <escrow/escrow.hpp>

#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "cli_io.hpp"
#include "cli_jobs.hpp"
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
    "  request --record RECORD --new-owner PUB [--expires-in SECONDS] -o REQ\n"
    "                     make a recovery request for the record's serial, wrap and authority\n"
    "                     (default expiry: 86400 s from now)\n"
    "  request --serial S --authority PUB [--wrap NAME] --new-owner PUB ... -o REQ\n"
    "                     the same without the record; the keys' type selects the wrap, as for\n"
    "                     'escrow authority init'\n"
    "  sign --key KEY -o SIG REQ\n"
    "                     sign a request (its contents are shown on standard error)\n"
    "  prove --key KEY --name NAME (--authority PUB | --fingerprint HEX) -o PROOF\n"
    "                     the proof of possession the authority needs to register this key\n"
    "                     as NAME ('escrow authority register-officer NAME PUB --proof PROOF'):\n"
    "                     a signature over NAME, the key and the authority's fingerprint (the\n"
    "                     SHA-256 that 'escrow authority init' prints)\n"

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

int write_request(const ea::recovery_request& req, const std::string& out) {
    write_new_file(out, "-o", req.encode());
    std::cerr << "escrow: wrote recovery request " << out << " for " << req.serial << " (" << id_name("wrap", req.wrap_id)
              << ", request SHA-256 " << escrow::hex::encode(req.digest())
              << (req.record_hash ? ", record SHA-256 " + escrow::hex::encode(*req.record_hash) : std::string(", no record hash"))
              << ", expires " << iso8601_utc(req.expires) << ")\n";
    return exit_code::ok;
}

int officer_request(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"serial", 0, true, false},
                                            {"record", 0, true, false},
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
    auto record_path = a.get("record");
    unsigned expires_in = a.get("expires-in") ? parse_unsigned(*a.get("expires-in"), "--expires-in") : 86400;
    if (record_path) {
        // The record names the serial, the wrap and the authority: nothing left to mismatch.
        if (serial || authority || a.get("wrap"))
            throw usage_error("officer request: --record gives the serial, the wrap and the authority; "
                              "drop --serial, --authority and --wrap");
        if (!owner || !out) throw usage_error("officer request: --new-owner and -o are required (see 'escrow officer --help')");
        escrow::escrow_record record = load_record(*record_path);
        std::optional<int> rc;
        escrow::registry::visit_id<escrow::registry::authority_wraps>(record.wrap_id, [&](auto t) {
            using W = typename decltype(t)::type;
            auto owner_pub = cli_wrap<W>::load_public(*owner, "--new-owner");
            // Binds the record's hash too: signatures over the request are void if the record
            // stored under the serial is ever another one.
            auto req = ea::recovery_request::make<W>(record, owner_pub, ea::unix_now() + expires_in);
            rc = write_request(req, *out);
        });
        if (!rc)
            throw escrow::error(escrow::errc::unknown_policy_id, "--record " + in_quotes(*record_path) + " is for wrap " +
                                                                     id_name("wrap", record.wrap_id) +
                                                                     ", which no authority of this tool handles");
        return *rc;
    }
    if (!serial || !owner || !authority || !out)
        throw usage_error("officer request: --record (or --serial and --authority), --new-owner and -o are required "
                          "(see 'escrow officer --help')");
    // The new owner's key and the authority's key are of the authority's wrap; the key type says which.
    return with_key_wrap(*authority, "--authority", a.get("wrap"), [&](auto t) {
        using W = typename decltype(t)::type;
        auto auth_pub = cli_wrap<W>::load_public(*authority, "--authority");
        auto owner_pub = cli_wrap<W>::load_public(*owner, "--new-owner");
        W w{};
        auto req = ea::recovery_request::make<W>(*serial, owner_pub, w.fingerprint(auth_pub), ea::unix_now() + expires_in);
        return write_request(req, *out);
    });
}

/// The officer key file `path` (PKCS#8 PEM or DER), named in errors by the option.
ea::officer_private_key load_officer_key(const std::string& path) {
    key_file_bytes content(path, "--key");
    try {
        return ea::officer_private_key::load(content.view());
    } catch (const escrow::error& e) {
        throw with_context(e, "--key " + in_quotes(path));
    }
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
    ea::officer_private_key key = load_officer_key(*key_path);
    auto sig = ea::officer_signature::sign(req, key);
    write_new_file(*out, "-o", sig.encode());
    std::cerr << "escrow: signed the recovery request for " << req.serial << ": new owner key SHA-256 "
              << escrow::hex::encode(escrow::sha256(req.new_owner_key)) << " (" << id_name("wrap", req.wrap_id)
              << "), authority " << escrow::hex::encode(req.authority_fingerprint).substr(0, 16) << "..., expires "
              << iso8601_utc(req.expires) << "; wrote " << *out << "\n";
    return exit_code::ok;
}

int officer_prove(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"key", 0, true, false},
                                            {"name", 0, true, false},
                                            {"authority", 0, true, false},
                                            {"fingerprint", 0, true, false},
                                            {"wrap", 0, true, false},
                                            {"output", 'o', true, false}};
    auto a = parse_args("officer prove", specs, argv);
    if (!a.operands().empty()) throw usage_error("officer prove: unexpected operand '" + a.operands().front() + "'");
    auto key_path = a.get("key");
    auto name = a.get("name");
    auto authority = a.get("authority");
    auto fp_hex = a.get("fingerprint");
    auto out = a.get("output");
    if (!key_path || !name || !out || (!authority && !fp_hex))
        throw usage_error("officer prove: --key, --name, --authority PUB (or --fingerprint HEX) and -o are required "
                          "(see 'escrow officer --help')");
    if (authority && fp_hex) throw usage_error("officer prove: give --authority or --fingerprint, not both");
    check_outputs(std::nullopt, {{*out, "-o"}});
    escrow::bytes fp;
    if (fp_hex) {
        try {
            fp = escrow::hex::decode(*fp_hex);
        } catch (const escrow::error&) {
            fp.clear();
        }
        if (fp.size() != 32)
            throw usage_error("--fingerprint must be 64 hex digits, the SHA-256 'escrow authority init' printed");
    } else {
        with_key_wrap(*authority, "--authority", a.get("wrap"), [&](auto t) {
            using W = typename decltype(t)::type;
            auto pub = cli_wrap<W>::load_public(*authority, "--authority");
            W w{};
            auto d = w.fingerprint(pub);
            fp.assign(d.begin(), d.end());
            return exit_code::ok;
        });
    }
    ea::officer_private_key key = load_officer_key(*key_path);
    auto proof = [&] {
        try {
            return ea::officer_proof::make(fp, *name, key);
        } catch (const escrow::error& e) {
            throw with_context(e, "--name " + in_quotes(*name));
        }
    }();
    write_new_file(*out, "-o", proof.encode());
    std::cerr << "escrow: wrote " << *out << ": proof of possession of officer key SHA-256 "
              << escrow::hex::encode(key.public_key().fingerprint()) << " for registering as " << in_quotes(*name)
              << " with the authority " << escrow::hex::encode(fp).substr(0, 16) << "...\n";
    return exit_code::ok;
}

}  // namespace

int cmd_officer(std::span<char* const> argv) {
    if (argv.empty()) throw usage_error("officer: a subcommand is required (see 'escrow officer --help')");
    for (std::string_view w : argv)
        if (w == "-h" || w == "--help") {
            std::cout << officer_help << see_exit_codes;
            return exit_code::ok;
        }
    std::string_view sub = argv[0];
    auto rest = argv.subspan(1);
    if (sub == "keygen") return officer_keygen(rest);
    if (sub == "request") return officer_request(rest);
    if (sub == "sign") return officer_sign(rest);
    if (sub == "prove") return officer_prove(rest);
    throw usage_error("officer: unknown subcommand '" + std::string(sub) + "' (see 'escrow officer --help')");
}

}  // namespace escrow_cli
