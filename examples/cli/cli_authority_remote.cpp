// SPDX-License-Identifier: MIT
/// @file
/// `escrow authority --server URL ...`: the authority subcommands through the HTTPS service
/// (escrow::service::authority_client), with the outputs and exit statuses of the local ones.

#include <escrow/escrow.hpp>
#include <escrow/service/authority_client.hpp>
#include <escrow/service/tls_pin.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli_args.hpp"
#include "cli_authority_db.hpp"
#include "cli_io.hpp"
#include "cli_jobs.hpp"
#include "cli_service.hpp"

namespace escrow_cli {

namespace {

namespace ea = escrow::authority;
namespace es = escrow::service;

es::authority_client make_client(const remote_options& r) {
    es::client_options o;
    o.url = r.server;
    if (r.ca && r.pin) throw usage_error("--ca or --pin, not both");
    if (r.ca) o.ca_file = *r.ca;
    if (r.pin) {
        try {
            o.pin = es::parse_pin(*r.pin);
        } catch (const escrow::error& e) {
            throw usage_error("--pin: " + es::error_detail(e));
        }
    }
    if (r.client_cert.has_value() != r.client_key.has_value()) throw usage_error("--client-cert and --client-key go together");
    o.client_cert_file = r.client_cert.value_or("");
    o.client_key_file = r.client_key.value_or("");
    try {
        return es::authority_client(o);
    } catch (const escrow::error& e) {
        if (e.kind() == escrow::errc::invalid_argument) throw usage_error("--server: " + es::error_detail(e));
        throw;
    }
}

/// The officer key `--officer-key` names, required for `sub`.
ea::officer_private_key officer_key(const remote_options& r, std::string_view sub) {
    if (!r.officer_key)
        throw usage_error("authority " + std::string(sub) +
                          " over --server is signed by a registered officer: --officer-key KEY is required");
    key_file_bytes content(*r.officer_key, "--officer-key");
    try {
        return ea::officer_private_key::load(content.view());
    } catch (const escrow::error& e) {
        throw with_context(e, "--officer-key " + in_quotes(*r.officer_key));
    }
}

void no_operands(const parsed_args& a, std::string_view sub) {
    if (!a.operands().empty())
        throw usage_error("authority " + std::string(sub) + ": unexpected operand '" + a.operands().front() + "'");
}

int remote_register_officer(const remote_options& r, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"proof", 0, true, false}, {"without-proof", 0, false, false}};
    auto a = parse_args("authority register-officer", specs, argv);
    if (a.operands().size() != 2) throw usage_error("authority register-officer: expected NAME PUB");
    const std::string& name = a.operands()[0];
    const std::string& path = a.operands()[1];
    if (a.has("without-proof"))
        throw usage_error("authority register-officer: over --server an officer is registered with its proof of possession "
                          "(--proof); --without-proof is for the authority's own database (--db)");
    auto proof_path = a.get("proof");
    if (!proof_path) throw usage_error("authority register-officer: --proof PROOF is required");
    auto signer = officer_key(r, "register-officer");
    auto proof = decode_file<ea::officer_proof>(*proof_path, "--proof", ea::officer_proof::max_encoded);
    const ea::officer_public_key key = load_officer_public(path);
    check_proof_matches(proof, name, key, path, *proof_path);
    auto client = make_client(r);
    client.register_officer(proof, signer);
    std::cerr << "escrow: registered officer '" << name << "' (Ed25519 key SHA-256 " << escrow::hex::encode(key.fingerprint())
              << "), its proof of possession checked\n";
    return exit_code::ok;
}

int remote_deposit(const remote_options& r, std::span<char* const> argv) {
    auto a = parse_args("authority deposit", {}, argv);
    if (a.operands().empty()) throw usage_error("authority deposit: expected one or more RECORD files");
    std::vector<escrow::escrow_record> records;
    for (const auto& p : a.operands()) records.push_back(load_record(p, "deposit"));
    auto client = make_client(r);
    for (std::size_t i = 0; i < records.size(); ++i) {
        try {
            const std::string result = client.deposit(records[i]);
            std::cerr << "escrow: " << (result == "already_present" ? "already present " : "deposited ") << records[i].info.serial
                      << (result == "replaced" ? " (in place of a stored record that does not verify)" : "") << "\n";
        } catch (const escrow::error& e) {
            throw with_context(e, "record " + in_quotes(a.operands()[i]));
        }
    }
    return exit_code::ok;
}

int remote_recover(const remote_options& r, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"request", 0, true, false}, {"signature", 0, true, true}, {"output", 'o', true, false}};
    auto a = parse_args("authority recover", specs, argv);
    no_operands(a, "recover");
    const recover_inputs in = read_recover_inputs(a);
    auto client = make_client(r);
    // As locally: the output can be created before the request's nonce is spent.
    output_file out(in.out_path);
    write_recovered(out, client.recover(in.request, in.signatures), in.out_path);
    return exit_code::ok;
}

int remote_verify_audit(const remote_options& r, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"audit-key", 0, true, false}, {"head", 0, true, false}};
    auto a = parse_args("authority verify-audit", specs, argv);
    no_operands(a, "verify-audit");
    const auto key_path = a.get("audit-key");
    const auto head_path = a.get("head");
    if (head_path && !key_path) throw usage_error("authority verify-audit: --head goes with --audit-key (the key it is signed with)");
    std::optional<ea::audit_public_key> key;
    if (key_path) key = load_audit_key(*key_path);
    auto signer = officer_key(r, "verify-audit");
    auto client = make_client(r);
    const auto fp = client.info().fingerprint;
    // The log is checked here, not by the server: a server that lies about it is caught.
    auto snap = client.audit(signer);
    ea::audit_report rep = ea::verify_chain(snap.entries, snap.head);
    ea::check_signed_head(rep, snap.entries, snap.signed_head, fp, key ? &*key : nullptr);
    finish_verify_audit(rep, snap.entries, key ? &*key : nullptr, head_path, fp);
    return exit_code::ok;
}

int remote_output(const remote_options& r, std::string_view sub, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"output", 'o', true, false}};
    auto a = parse_args("authority " + std::string(sub), specs, argv);
    no_operands(a, sub);
    auto out_path = a.get("output");
    if (!out_path) throw usage_error("authority " + std::string(sub) + ": -o FILE is required");
    if (*out_path == "-") throw usage_error("-o needs a file name, not standard output");
    check_outputs(std::nullopt, {{*out_path, "-o"}});
    auto client = make_client(r);
    if (sub == "audit-key") {
        const std::string pem = client.audit_key();
        const auto pub = ea::audit_public_key::load(escrow::as_bytes(pem));
        write_new_file(*out_path, "-o", escrow::as_bytes(pub.pem()));
        std::cerr << "escrow: wrote the audit public key to " << *out_path << " (Ed25519 key SHA-256 "
                  << escrow::hex::encode(pub.fingerprint()) << ")\n";
        return exit_code::ok;
    }
    auto snap = client.audit(officer_key(r, sub));
    if (!snap.signed_head)
        throw escrow::error(escrow::errc::not_found, "the audit head is not signed yet");
    write_new_file(*out_path, "-o", snap.signed_head->encode());
    std::cerr << "escrow: wrote the signed audit head to " << *out_path << " (entry " << snap.signed_head->seq << ", hash "
              << escrow::hex::encode(snap.signed_head->hash) << ", signed " << iso8601_utc(snap.signed_head->time) << ")\n";
    return exit_code::ok;
}

}  // namespace

int authority_remote(const remote_options& r, std::string_view sub, std::span<char* const> argv) {
    if (sub == "init" || sub == "import" || sub == "serve")
        throw usage_error("authority " + std::string(sub) + " works on the database itself: give --db, not --server");
    if (sub == "register-officer") return remote_register_officer(r, argv);
    if (sub == "deposit") return remote_deposit(r, argv);
    if (sub == "recover") return remote_recover(r, argv);
    if (sub == "verify-audit") return remote_verify_audit(r, argv);
    if (sub == "audit-key" || sub == "export-head") return remote_output(r, sub, argv);
    if (sub == "officers") {
        auto a = parse_args("authority officers", {}, argv);
        no_operands(a, sub);
        auto key = officer_key(r, sub);
        for (const auto& o : make_client(r).officers(key)) print_officer_line(o);
        return exit_code::ok;
    }
    if (sub == "list") {
        static constexpr option_spec specs[] = {{"owner", 0, true, false}};
        auto a = parse_args("authority list", specs, argv);
        no_operands(a, sub);
        auto key = officer_key(r, sub);
        for (const auto& e : make_client(r).list(a.get("owner").value_or(""), key)) print_record_line(e.record.unverified_value(), e.revoked);
        std::cerr << "escrow: owners and descriptions are as deposited, not verified here (a server holding its key "
                     "checked each MAC at deposit)\n";
        std::cout.flush();
        if (!std::cout) throw escrow::error(escrow::errc::io_error, "writing to standard output failed");
        return exit_code::ok;
    }
    if (sub == "revoke") {
        auto a = parse_args("authority revoke", {}, argv);
        if (a.operands().size() != 1) throw usage_error("authority revoke: expected one SERIAL");
        auto key = officer_key(r, sub);
        const bool changed = make_client(r).revoke(a.operands()[0], key);
        std::cerr << "escrow: " << (changed ? "revoked " : "already revoked: ") << a.operands()[0] << "\n";
        return exit_code::ok;
    }
    if (sub == "audit") {
        auto a = parse_args("authority audit", {}, argv);
        no_operands(a, sub);
        auto key = officer_key(r, sub);
        for (const auto& e : make_client(r).audit(key).entries) print_audit_line(e);
        return exit_code::ok;
    }
    throw usage_error("authority: unknown subcommand '" + std::string(sub) + "' (see 'escrow authority --help')");
}

void deposit_records(const remote_options& r, const std::vector<std::string>& records) {
    auto client = make_client(r);
    for (const auto& path : records) {
        const auto rec = load_record(path, "--record");
        try {
            const std::string result = client.deposit(rec);
            std::cerr << "escrow: " << (result == "already_present" ? "already present at " : "deposited with ") << r.server << ": "
                      << rec.info.serial << "\n";
        } catch (const escrow::error& e) {
            throw with_context(e, "the deposit of " + in_quotes(path) + " failed (the encrypted file and its record are kept: "
                                  "deposit it later with 'escrow authority --server URL deposit " + path + "')");
        }
    }
}

}  // namespace escrow_cli
