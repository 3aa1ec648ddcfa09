// SPDX-License-Identifier: MIT
/// @file
/// `escrow authority --db`: SQLite or PostgreSQL, and `escrow authority import`.

#include "cli_authority_db.hpp"

#include <escrow/authority/repository_copy.hpp>
#include <escrow/escrow.hpp>
#include <libpq-fe.h>

#include <iostream>
#include <memory>
#include <optional>
#include <system_error>

#include "cli_args.hpp"
#include "cli_io.hpp"
#include "cli_wraps.hpp"

namespace escrow_cli {

namespace ea = escrow::authority;

bool is_postgres_target(std::string_view db) {
    if (db.starts_with("postgresql://") || db.starts_with("postgres://")) return true;
    auto eq = db.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view key = db.substr(0, eq);
    while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.remove_prefix(1);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    // libpq's own list of keywords decides, so that a file named "notes=old.db" stays a file.
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> opts(PQconndefaults(), &PQconninfoFree);
    for (auto* o = opts.get(); o && o->keyword; ++o)
        if (key == o->keyword) return true;
    return false;
}

std::string db_display_name(const std::string& db) {
    if (!is_postgres_target(db)) return in_quotes(db);
    char* err = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> opts(PQconninfoParse(db.c_str(), &err), &PQconninfoFree);
    PQfreemem(err);
    if (!opts) return "(a PostgreSQL connection string that does not parse)";
    std::string dbname, host, port;
    for (auto* o = opts.get(); o->keyword; ++o) {
        std::string_view k = o->keyword;
        std::string v = o->val ? o->val : "";
        if (k == "dbname") dbname = v;
        else if (k == "host") host = v;
        else if (k == "port") port = v;
    }
    return "PostgreSQL database '" + one_line(dbname.empty() ? "(default)" : dbname) + "' on " +
           one_line(host.empty() ? "(default host)" : host) + (port.empty() ? "" : " port " + one_line(port));
}

void open_repository(authority_repository& out, const std::string& db, bool create) {
    if (!is_postgres_target(db)) {
        std::error_code ec;
        if (!create && !fs::exists(db, ec))
            throw escrow::error(escrow::errc::not_found,
                                "--db " + in_quotes(db) + " does not exist: run 'escrow authority --db FILE init' first");
        try {
            out.emplace<ea::sqlite_repository>(db);
        } catch (const escrow::error& e) {
            if (std::string_view(e.what()).find("not a database") != std::string_view::npos)
                throw escrow::error(escrow::errc::malformed_header,
                                    "--db " + in_quotes(db) +
                                        " is not an authority database (SQLite cannot read it); give the file "
                                        "'escrow authority --db FILE init' created");
            throw with_context(e, "--db " + in_quotes(db));
        }
        return;
    }
    try {
        out.emplace<ea::postgres_repository>(db, create ? ea::postgres_open::create_if_missing : ea::postgres_open::must_exist);
    } catch (const escrow::error& e) {
        if (e.kind() != escrow::errc::not_found) throw;
        throw escrow::error(escrow::errc::not_found, "--db " + db_display_name(db) +
                                                         " holds no escrow authority: run 'escrow authority --db URI init' first");
    }
}

recover_inputs read_recover_inputs(const parsed_args& a) {
    auto req_path = a.get("request");
    auto out_path = a.get("output");
    if (!req_path) throw usage_error("authority recover: --request REQ is required");
    if (!out_path) throw usage_error("authority recover: -o BLOB is required");
    if (a.all("signature").size() > 64) throw usage_error("authority recover: at most 64 --signature files");
    if (*out_path == "-") throw usage_error("-o needs a file name, not standard output");
    check_outputs(std::nullopt, {{*out_path, "-o"}});
    recover_inputs in{decode_file<ea::recovery_request>(*req_path, "--request", ea::recovery_request::max_encoded), {}, *out_path};
    for (const auto& p : a.all("signature")) in.signatures.push_back(decode_file<ea::officer_signature>(p, "--signature", 1024));
    return in;
}

void write_recovered(output_file& out, const ea::owner_blob& blob, const std::string& out_path) {
    out.write(blob.encode());
    commit_all({{&out, new_file_mode}});
    std::cerr << "escrow: recovery of " << blob.serial << " granted; wrote the re-wrapped owner blob to " << out_path << "\n";
}

ea::officer_public_key load_officer_public(const std::string& path) {
    key_file_bytes content(path, "register-officer");
    try {
        return ea::officer_public_key::load(content.view());
    } catch (const escrow::error& e) {
        throw with_context(e, "officer key " + in_quotes(path));
    }
}

void check_proof_matches(const ea::officer_proof& proof, const std::string& name, const ea::officer_public_key& key,
                         const std::string& key_path, const std::string& proof_path) {
    // The proof names the officer and the key itself: they must be the ones given.
    if (proof.name != name)
        throw escrow::error(escrow::errc::identity_rejected, "--proof " + in_quotes(proof_path) + " was made for the name " +
                                                                 in_quotes(one_line(proof.name)) + ", not " + in_quotes(name));
    if (!escrow::constant_time_equal(proof.officer, key.raw()))
        throw escrow::error(escrow::errc::identity_rejected, "--proof " + in_quotes(proof_path) + " is for another key than " + in_quotes(key_path));
}

ea::audit_public_key load_audit_key(const std::string& path) {
    key_file_bytes content(path, "--audit-key");
    try {
        return ea::audit_public_key::load(content.view());
    } catch (const escrow::error& e) {
        throw with_context(e, "--audit-key " + in_quotes(path));
    }
}

void finish_verify_audit(ea::audit_report rep, const std::vector<ea::audit_entry>& entries, const ea::audit_public_key* key,
                         const std::optional<std::string>& head_path, const escrow::digest256& fingerprint) {
    if (rep.valid && key && !rep.head_signed)
        throw escrow::error(escrow::errc::authentication_failed,
                            "the audit head is not signed (no entry was appended by the authority holding its "
                            "private key, or the signed head was removed from the database)");
    if (rep.valid && head_path) {
        // An exported head kept elsewhere: it must still be an entry of this chain, so that a
        // chain rolled back or rewritten before the newest signed head is caught too.
        auto exported = decode_file<ea::signed_audit_head>(*head_path, "--head", 1024);
        ea::audit_report anchored = ea::verify_signed_audit(entries, exported, *key, fingerprint);
        if (!anchored.valid) {
            rep.valid = false;
            rep.problem = "--head " + in_quotes(*head_path) + ": " + anchored.problem;
        }
    }
    if (!rep.valid) throw escrow::error(escrow::errc::authentication_failed, "the audit log is broken: " + rep.problem);
    print_audit_report(rep);
}

void print_record_line(const escrow::escrow_record& r, bool revoked, std::optional<bool> verified) {
    std::cout << r.info.serial << "\t" << (revoked ? "revoked" : "active") << "\t" << one_line(r.info.owner) << "\t"
              << iso8601_utc(r.info.created) << "\t" << id_name("store", r.store_id) << "/" << id_name("cipher", r.cipher_id)
              << "/" << id_name("wrap", r.wrap_id) << "\t" << one_line(r.info.description);
    if (verified) std::cout << "\t" << (*verified ? "verified" : "NOT-VERIFIED");
    std::cout << "\n";
}

void print_officer_line(const ea::officer_entry& o) {
    std::cout << one_line(o.name) << "\t" << escrow::hex::encode(escrow::sha256(o.public_key)) << "\t"
              << iso8601_utc(o.registered) << "\n";
}

void print_audit_line(const ea::audit_entry& e) {
    std::cout << e.seq << "\t" << iso8601_utc(e.time) << "\t" << e.kind << "\t" << one_line(e.serial) << "\t" << e.outcome
              << "\t" << one_line(e.actor) << "\t" << one_line(e.reason) << "\n";
}

void print_audit_report(const ea::audit_report& rep) {
    std::cout << "audit log valid: " << rep.entries << " entries, head " << escrow::hex::encode(rep.head) << ", "
              << ea::describe_signing(rep) << "\n";
}

void throw_other_wrap(const std::string& db, std::uint16_t stored, std::uint16_t wanted) {
    throw escrow::error(escrow::errc::invalid_argument,
                        "--db " + db_display_name(db) + " is already initialised for the " + id_name("wrap", stored) +
                            " authority key, not " + id_name("wrap", wanted) +
                            "; an authority has one wrap: init another database for " + id_name("wrap", wanted));
}

int authority_import(const std::string& target, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"from", 0, true, false}};
    auto a = parse_args("authority import", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority import: unexpected operand '" + a.operands().front() + "'");
    auto from = a.get("from");
    if (!from || from->empty()) throw usage_error("authority import: --from SOURCE is required (see 'escrow authority --help')");
    if (*from == target) throw usage_error("authority import: --from names the --db database itself");

    // The source first, whole: an authority with a valid audit chain. Nothing is created before.
    authority_repository source;
    open_repository(source, *from, false);
    visit_repository(source, [&](auto& repo) {
        auto t = repo.begin();
        if (!t.get_meta(ea::meta_keys::fingerprint))
            throw escrow::error(escrow::errc::not_found, "--from " + db_display_name(*from) + " is not an initialised authority");
        auto rep = ea::verify_chain(t.audit_entries(), t.audit_head());
        if (!rep.valid)
            throw escrow::error(escrow::errc::authentication_failed, "--from " + db_display_name(*from) +
                                                                         ": the audit log is broken: " + rep.problem);
        return 0;
    });

    const bool new_file = !is_postgres_target(target) && !fs::exists(target);
    authority_repository dest;
    ea::copy_report rep;
    try {
        open_repository(dest, target, true);
        rep = visit_repository(source, [&](auto& s) {
            return visit_repository(dest, [&](auto& d) { return ea::copy_repository(s, d); });
        });
    } catch (...) {
        if (new_file) {  // a file this command created holds nothing: it goes
            dest.emplace<std::monostate>();
            std::error_code ec;
            for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(target + suffix, ec);
        }
        throw;
    }
    std::cout << "imported " << rep.records << " records, " << rep.officers << " officers, " << rep.nonces << " nonces, "
              << rep.settings << " settings, " << rep.audit_entries << " audit entries; audit head "
              << escrow::hex::encode(rep.head) << "\n";
    std::cerr << "escrow: imported the authority of " << db_display_name(*from) << " into " << db_display_name(target) << "\n";
    return exit_code::ok;
}

}  // namespace escrow_cli
