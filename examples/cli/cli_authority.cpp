// SPDX-License-Identifier: MIT
/// @file
/// `escrow authority`: the backup authority over its SQLite or PostgreSQL database.

#include <escrow/escrow.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "cli_args.hpp"
#include "cli_authority_db.hpp"
#include "cli_commands.hpp"
#include "cli_io.hpp"
#include "cli_jobs.hpp"
#include "cli_pkcs11.hpp"
#include "cli_service.hpp"
#include "cli_wraps.hpp"

namespace escrow_cli {

namespace {

namespace ea = escrow::authority;

constexpr std::string_view authority_help =
    "Usage: escrow authority --db FILE|URI <subcommand> [options]\n"
    "       escrow authority --server https://HOST:PORT [--ca CA.pem | --pin sha256:HEX]\n"
    "                        [--officer-key KEY] <subcommand> [options]\n"
    "\n"
    "The backup authority, over its database (records, officers, used request nonces and the\n"
    "hash-chained audit log): an SQLite FILE, or a PostgreSQL database given as a URI\n"
    "(postgresql://USER@HOST:PORT/DBNAME, postgres://...) or a libpq keyword string\n"
    "('host=... dbname=...'). Several processes, on several machines for PostgreSQL, may use\n"
    "it at once.\n"
    "\n"
    "Subcommands:\n"
    "  init --authority-key PUB [--quorum K] [--wrap NAME] [--pin-file FILE]\n"
    "                     create FILE for the authority's public key; recoveries will need\n"
    "                     K distinct officers' signatures (default 2); the key's type selects\n"
    "                     the wrap: an RSA key rsa-oaep-sha256 (native files), or with --wrap\n"
    "                     rsa-pkcs1v15 (CryptoAPI files) or ssh-rsa (age files); an age1... key\n"
    "                     x25519 (age files); an OpenSSH ssh-rsa line ssh-rsa; PUB may be a\n"
    "                     pkcs11: URI, whose public key is read from the token (RSA keys)\n"
    "  register-officer NAME PUB (--proof PROOF | --without-proof)\n"
    "                     register an officer's Ed25519 public key (from 'escrow officer keygen')\n"
    "                     with its proof of possession (from 'escrow officer prove'), checked\n"
    "                     against NAME, PUB and this authority; --without-proof takes the key\n"
    "                     on trust (audited as such)\n"
    "  officers           list the registered officers, one per line\n"
    "  deposit [--key PRIV] RECORD...\n"
    "                     store escrow records (the same record again changes nothing); with the\n"
    "                     authority's private key, each record's MAC is verified first, and a\n"
    "                     verifying record replaces a stored one under its serial that does not\n"
    "  list [--owner ID] [--key PRIV]\n"
    "                     list the records, one per line: serial, status, owner, created,\n"
    "                     store/cipher/wrap, description (tab-separated), as deposited; with\n"
    "                     --key, each record's MAC is checked and a last column says verified\n"
    "                     or NOT-VERIFIED\n"
    "  revoke SERIAL      revoke a record: it is kept but never recovered again\n"
    "  recover --request REQ --signature SIG [--signature SIG ...] --key PRIV -o BLOB\n"
    "          [--pin-file FILE]\n"
    "                     check the request (officer quorum, expiry, replay, revocation, the\n"
    "                     record's MAC) and write the session key re-wrapped to the request's\n"
    "                     new owner key, for 'escrow rewrap'; PRIV is the authority's private key\n"
    "                     file, or a pkcs11: URI naming it in a token (RFC 7512; docs/cli.md)\n"
    "  audit              print the audit log, one entry per line\n"
    "  verify-audit [--audit-key PUB] [--head FILE]\n"
    "                     check the audit log's hash chain and its signed head, and say up to\n"
    "                     which entry the head is signed (exit 1 when it is broken); with\n"
    "                     --audit-key (from audit-key), the head's signature is checked and an\n"
    "                     unsigned head fails; with --head (from export-head), that exported\n"
    "                     head must be signed under PUB and name an entry of this chain\n"
    "  audit-key --key PRIV [--pin-file F] -o FILE\n"
    "                     write the authority's audit public key (Ed25519, PEM), derived from\n"
    "                     its private key PRIV (a file, or a pkcs11: URI), which signs the audit head\n"
    "  export-head -o FILE\n"
    "                     write the last signed audit head, to keep where the database's\n"
    "                     writers cannot change it\n"
    "  import --from SOURCE\n"
    "                     copy the whole authority of the database SOURCE (FILE or URI) into\n"
    "                     the empty --db database: records, officers, nonces, settings and\n"
    "                     the audit chain, which keeps its head\n"
    "  serve --listen HOST:PORT --tls-cert CERT.pem --tls-key KEY.pem --key PRIV\n"
    "        [--client-ca CA.pem] [--read-timeout S] [--max-connections N] [--max-body BYTES]\n"
    "        [--check-threads N] [--pin-file FILE]\n"
    "                     serve the authority over HTTPS (docs/authority-service.md): PORT 0\n"
    "                     picks a free port; prints 'listening on https://HOST:PORT' on stdout\n"
    "                     once it accepts connections; SIGTERM or SIGINT stop it gracefully;\n"
    "                     deposits are verified with PRIV (a file: an RSA key's operations run\n"
    "                     in OpenSSL; or a pkcs11: URI, checked on one thread); with --client-ca\n"
    "                     only clients with a certificate from that CA are served; N threads\n"
    "                     (default 2) check deposits, which are committed in groups\n"
    "\n"
    "Through --server, every subcommand but init, import and serve runs at the service, with\n"
    "the same output and exit status: officers, list, revoke, audit, verify-audit, export-head\n"
    "and register-officer are signed with --officer-key (a registered officer's key); deposit\n"
    "and recover need no officer key (the server holds the authority key); verify-audit checks\n"
    "the log here, not at the server. The first officer is registered at the database (--db).\n"
    "\n"
    "Options:\n"
    "  --db FILE|URI      the authority's database (created by init and import only)\n"
    "  --server URL       the authority service, https://HOST:PORT, instead of --db\n"
    "  --ca CA.pem        trust anchor for the server's certificate (default: the system's)\n"
    "  --pin sha256:HEX   trust the server whose certificate's public key has this SHA-256\n"
    "                     (serve prints it); checked before anything is sent\n"
    "  --officer-key KEY  the officer key (from 'escrow officer keygen') that signs requests\n"
    "  --client-cert CERT.pem, --client-key KEY.pem\n"
    "                     the client certificate for a server started with --client-ca\n"
    "  --pin-file FILE    the PKCS#11 token's PIN (first line of FILE), for a pkcs11: key\n"
    "  -h, --help         show this help\n"
    "\n";

int authority_init(const std::string& db_path, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {
        {"authority-key", 0, true, false}, {"quorum", 0, true, false}, {"wrap", 0, true, false},
        {"pin-file", 0, true, false}};
    auto a = parse_args("authority init", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority init: unexpected operand '" + a.operands().front() + "'");
    auto key_path = a.get("authority-key");
    if (!key_path) throw usage_error("authority init: --authority-key PUB is required (see 'escrow authority --help')");
    unsigned k = a.get("quorum") ? parse_unsigned(*a.get("quorum"), "--quorum") : 2;
    if (k < 1 || k > 255) throw usage_error("--quorum must be 1 to 255");

    const bool in_token = is_pkcs11_uri(*key_path);
    if (a.get("pin-file") && !in_token) throw usage_error("authority init: --pin-file goes with a pkcs11: --authority-key");
    auto init = [&](auto t) {
        using W = typename decltype(t)::type;
        auto pub = [&] {
            if constexpr (std::is_same_v<typename W::public_key, escrow::rsa_public_key>)
                if (in_token) return token_public_key(*key_path, a.get("pin-file"));
            return cli_wrap<W>::load_public(*key_path, "--authority-key");
        }();
        const bool postgres = is_postgres_target(db_path);
        bool existed = !postgres && fs::exists(db_path);
        authority_repository any;
        open_repository(any, db_path, true);
        return visit_repository(any, [&](auto& repo) {
            using Repo = std::remove_reference_t<decltype(repo)>;
            require_same_wrap(repo, db_path, W::id);
            if (postgres) existed = repo.begin().get_meta(quorum_key).has_value();
            // Binds the database to the key (refused when it is bound to another), then the quorum.
            cli_authority<W, Repo> auth(repo, ea::dynamic_officer_quorum(k), pub);
            {
                auto tx = repo.begin();
                auto q = tx.get_meta(quorum_key);
                if (q && (q->size() != 1 || (*q)[0] != k))
                    throw escrow::error(escrow::errc::invalid_argument,
                                        "--db " + db_display_name(db_path) + " is initialised with another quorum");
                escrow::byte kb = static_cast<escrow::byte>(k);
                tx.set_meta(quorum_key, escrow::byte_view(&kb, 1));
                tx.commit();
            }
            std::cerr << "escrow: " << (existed ? "authority database already initialised: " : "initialised ")
                      << (postgres ? db_display_name(db_path) : db_path) << " for the " << W::name
                      << " authority key SHA-256 " << escrow::hex::encode(auth.fingerprint()) << ", quorum " << k << "\n";
            return exit_code::ok;
        });
    };
    if (!in_token) return with_key_wrap(*key_path, "--authority-key", a.get("wrap"), init);
    // A token key is RSA: rsa-oaep-sha256 unless --wrap says rsa-pkcs1v15.
    const std::string wrap = a.get("wrap").value_or(std::string(escrow::wrap::rsa_oaep_sha256::name));
    if (wrap == escrow::wrap::rsa_oaep_sha256::name) return init(std::type_identity<escrow::wrap::rsa_oaep_sha256>{});
    if (wrap == escrow::wrap::rsa_pkcs1v15::name) return init(std::type_identity<escrow::wrap::rsa_pkcs1v15>{});
    throw usage_error("authority init: a pkcs11: key serves --wrap rsa-oaep-sha256 or rsa-pkcs1v15, not " + wrap);
}

template <class Repo>
int authority_register_officer(authority_db<Repo>& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"proof", 0, true, false}, {"without-proof", 0, false, false}};
    auto a = parse_args("authority register-officer", specs, argv);
    if (a.operands().size() != 2) throw usage_error("authority register-officer: expected NAME PUB");
    const std::string& name = a.operands()[0];
    const std::string& path = a.operands()[1];
    auto proof_path = a.get("proof");
    if (proof_path && a.has("without-proof")) throw usage_error("authority register-officer: --proof or --without-proof, not both");
    if (!proof_path && !a.has("without-proof"))
        throw usage_error("authority register-officer: --proof PROOF is required, the officer's proof of possession "
                          "('escrow officer prove --key KEY --name " + name + " --authority PUB -o PROOF'); "
                          "--without-proof registers the key without one");
    std::optional<ea::officer_proof> proof;
    if (proof_path) proof = decode_file<ea::officer_proof>(*proof_path, "--proof", ea::officer_proof::max_encoded);
    const ea::officer_public_key key = load_officer_public(path);
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type, Repo>(db);
        if (proof) {
            check_proof_matches(*proof, name, key, path, *proof_path);
            auth.register_officer(*proof);
        } else {
            auth.register_officer(name, key);
        }
        std::cerr << "escrow: registered officer '" << name << "' (Ed25519 key SHA-256 "
                  << escrow::hex::encode(key.fingerprint()) << (proof ? "), its proof of possession checked\n" : "), without a proof of possession\n");
        return exit_code::ok;
    });
}

template <class Repo>
int authority_officers(authority_db<Repo>& db, std::span<char* const> argv) {
    auto a = parse_args("authority officers", {}, argv);
    if (!a.operands().empty()) throw usage_error("authority officers: unexpected operand '" + a.operands().front() + "'");
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type, Repo>(db);
        for (const auto& o : auth.officers()) print_officer_line(o);
        return exit_code::ok;
    });
}

template <class Repo>
int authority_deposit(authority_db<Repo>& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"key", 0, true, false}};
    auto a = parse_args("authority deposit", specs, argv);
    if (a.operands().empty()) throw usage_error("authority deposit: expected one or more RECORD files");
    // Every record parses before the first is stored.
    std::vector<escrow::escrow_record> records;
    for (const auto& p : a.operands()) records.push_back(load_record(p, "deposit"));
    auto key_path = a.get("key");
    return with_wrap(db.wrap_id, [&](auto t) {
        using W = typename decltype(t)::type;
        // With --key the authority verifies each record's MAC before storing it (a record forged
        // from an encrypted file's clear fields is refused, and displaces nothing).
        auto auth = open_authority<W, Repo>(db, key_path);
        for (std::size_t i = 0; i < records.size(); ++i) {
            try {
                auto r = auth.deposit(records[i]);
                // Each line is an acknowledgement, on stderr with the tool's other messages, as
                // soon as the deposit is committed.
                std::cerr << "escrow: " << (r == ea::deposit_result::already_present ? "already present " : "deposited ")
                          << records[i].info.serial
                          << (r == ea::deposit_result::replaced ? " (in place of a stored record that does not verify)" : "")
                          << "\n";
            } catch (const escrow::error& e) {
                throw with_context(e, "record " + in_quotes(a.operands()[i]));
            }
        }
        return exit_code::ok;
    });
}

template <class Repo>
int authority_list(authority_db<Repo>& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"owner", 0, true, false}, {"key", 0, true, false}};
    auto a = parse_args("authority list", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority list: unexpected operand '" + a.operands().front() + "'");
    std::string owner = a.get("owner").value_or("");
    auto key_path = a.get("key");
    return with_wrap(db.wrap_id, [&](auto t) {
        using W = typename decltype(t)::type;
        auto auth = open_authority<W, Repo>(db, key_path);
        std::size_t not_verified = 0;
        for (const auto& e : auth.list(owner)) {
            // The fields are the depositor's word until the MAC is checked (--key).
            std::optional<bool> verified;
            if (key_path) {
                verified = auth.verifies(e);
                not_verified += *verified ? 0 : 1;
            }
            print_record_line(e.record.unverified_value(), e.status == ea::record_status::revoked, verified);
        }
        if (!key_path)
            std::cerr << "escrow: owners and descriptions are as deposited, not verified (give --key to check each record's MAC)\n";
        else if (not_verified)
            std::cerr << "escrow: " << not_verified << (not_verified == 1 ? " record does" : " records do")
                      << " not verify under the authority key: do not act on their fields\n";
        std::cout.flush();
        if (!std::cout) throw escrow::error(escrow::errc::io_error, "writing to standard output failed");
        return exit_code::ok;
    });
}

template <class Repo>
int authority_revoke(authority_db<Repo>& db, std::span<char* const> argv) {
    auto a = parse_args("authority revoke", {}, argv);
    if (a.operands().size() != 1) throw usage_error("authority revoke: expected one SERIAL");
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type, Repo>(db);
        bool changed = auth.revoke(a.operands()[0], "authority (escrow authority revoke)");
        std::cerr << "escrow: " << (changed ? "revoked " : "already revoked: ") << a.operands()[0] << "\n";
        return exit_code::ok;
    });
}

template <class Repo>
int authority_recover(authority_db<Repo>& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"request", 0, true, false},
                                            {"signature", 0, true, true},
                                            {"key", 0, true, false},
                                            {"output", 'o', true, false},
                                            {"pin-file", 0, true, false}};
    auto a = parse_args("authority recover", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority recover: unexpected operand '" + a.operands().front() + "'");
    auto key_path = a.get("key");
    if (!a.get("request")) throw usage_error("authority recover: --request REQ is required");
    if (!key_path) throw usage_error("authority recover: --key PRIV (the authority's private key) is required");
    const recover_inputs in = read_recover_inputs(a);
    const auto& request = in.request;
    const auto& sigs = in.signatures;
    const std::string* out_path = &in.out_path;
    const bool in_token = is_pkcs11_uri(*key_path);
    if (a.get("pin-file") && !in_token) throw usage_error("authority recover: --pin-file goes with a pkcs11: --key");
    return with_wrap(db.wrap_id, [&](auto t) {
        using W = typename decltype(t)::type;
        // The temporary output exists before the grant, so that a directory where it cannot be
        // created fails the command before the request's nonce is spent.
        std::optional<output_file> out;
        ea::owner_blob blob = [&] {
            if (in_token) {
                out.emplace(*out_path);
                return recover_through_token(db.repo, db.quorum, db.wrap_id, *key_path, a.get("pin-file"), request, sigs);
            }
            auto key = cli_wrap<W>::load_private(*key_path, "--key");
            cli_authority<W, Repo> auth(db.repo, ea::dynamic_officer_quorum(db.quorum), std::move(key));
            out.emplace(*out_path);
            return auth.recover(request, sigs);
        }();
        write_recovered(*out, blob, *out_path);
        return exit_code::ok;
    });
}

template <class Repo>
int authority_audit(authority_db<Repo>& db, std::span<char* const> argv, bool verify_only) {
    static constexpr option_spec verify_specs[] = {{"audit-key", 0, true, false}, {"head", 0, true, false}};
    auto a = verify_only ? parse_args("authority verify-audit", verify_specs, argv) : parse_args("authority audit", {}, argv);
    if (!a.operands().empty()) throw usage_error("unexpected operand '" + a.operands().front() + "'");
    const auto key_path = a.get("audit-key");
    const auto head_path = a.get("head");
    if (head_path && !key_path) throw usage_error("authority verify-audit: --head goes with --audit-key (the key it is signed with)");
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type, Repo>(db);
        if (!verify_only) {
            for (const auto& e : auth.audit_log()) print_audit_line(e);
            return exit_code::ok;
        }
        std::optional<ea::audit_public_key> key;
        if (key_path) key = load_audit_key(*key_path);
        ea::audit_report rep = key ? auth.verify_audit(*key) : auth.verify_audit();
        finish_verify_audit(rep, head_path ? auth.audit_log() : std::vector<ea::audit_entry>{}, key ? &*key : nullptr, head_path,
                            auth.fingerprint());
        return exit_code::ok;
    });
}

template <class Repo>
int authority_audit_key(authority_db<Repo>& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"key", 0, true, false}, {"output", 'o', true, false}, {"pin-file", 0, true, false}};
    auto a = parse_args("authority audit-key", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority audit-key: unexpected operand '" + a.operands().front() + "'");
    auto key_path = a.get("key");
    auto out_path = a.get("output");
    if (!key_path || !out_path) throw usage_error("authority audit-key: --key PRIV and -o FILE are required");
    if (*out_path == "-") throw usage_error("-o needs a file name, not standard output");
    check_outputs(std::nullopt, {{*out_path, "-o"}});
    const auto write_key = [&](const ea::audit_public_key& pub) {
        write_new_file(*out_path, "-o", escrow::as_bytes(pub.pem()));
        std::cerr << "escrow: wrote the audit public key to " << *out_path << " (Ed25519 key SHA-256 "
                  << escrow::hex::encode(pub.fingerprint()) << ")\n";
        return exit_code::ok;
    };
    if (is_pkcs11_uri(*key_path)) {
        auto pub = token_audit_key(db.repo, db.quorum, db.wrap_id, *key_path, a.get("pin-file"));
        if (!pub)
            throw escrow::error(escrow::errc::bad_key, "--key " + in_quotes(*key_path) +
                                                           ": the token allows neither signing nor raw RSA with this key, so "
                                                           "no audit key is derived from it (docs/threat-model.md)");
        return write_key(*pub);
    }
    if (a.get("pin-file")) throw usage_error("authority audit-key: --pin-file goes with a pkcs11: --key");
    return with_wrap(db.wrap_id, [&](auto t) {
        using W = typename decltype(t)::type;
        // Opening the authority with the key checks that it is the database's.
        cli_authority<W, Repo> auth(db.repo, ea::dynamic_officer_quorum(db.quorum), cli_wrap<W>::load_private(*key_path, "--key"));
        auto pub = auth.audit_key();
        if (!pub) throw escrow::error(escrow::errc::bad_key, std::string(W::name) + " keys derive no audit key");
        return write_key(*pub);
    });
}

template <class Repo>
int authority_export_head(authority_db<Repo>& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"output", 'o', true, false}};
    auto a = parse_args("authority export-head", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority export-head: unexpected operand '" + a.operands().front() + "'");
    auto out_path = a.get("output");
    if (!out_path) throw usage_error("authority export-head: -o FILE is required");
    if (*out_path == "-") throw usage_error("-o needs a file name, not standard output");
    check_outputs(std::nullopt, {{*out_path, "-o"}});
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type, Repo>(db);
        auto head = auth.signed_head();
        if (!head)
            throw escrow::error(escrow::errc::not_found,
                                "the audit head is not signed yet: it is signed when the authority holding its private "
                                "key appends an entry (deposit --key, recover)");
        write_new_file(*out_path, "-o", head->encode());
        std::cerr << "escrow: wrote the signed audit head to " << *out_path << " (entry " << head->seq << ", hash "
                  << escrow::hex::encode(head->hash) << ", signed " << iso8601_utc(head->time) << ")\n";
        return exit_code::ok;
    });
}

}  // namespace

int cmd_authority(std::span<char* const> argv) {
    // The options before the subcommand: --db FILE, or --server URL with its TLS and officer
    // options; and --help.
    std::optional<std::string> db;
    remote_options remote;
    std::optional<std::string> server;
    std::optional<std::string>* const remote_values[] = {&db, &server, &remote.ca, &remote.pin, &remote.officer_key,
                                                         &remote.client_cert, &remote.client_key};
    static constexpr std::string_view remote_names[] = {"--db", "--server", "--ca", "--pin", "--officer-key",
                                                        "--client-cert", "--client-key"};
    std::size_t i = 0;
    for (; i < argv.size(); ++i) {
        std::string_view w = argv[i];
        if (w == "-h" || w == "--help") {
            std::cout << authority_help << see_exit_codes;
            return exit_code::ok;
        }
        if (!w.starts_with("-")) break;
        bool known = false;
        for (std::size_t k = 0; k < std::size(remote_names); ++k) {
            const std::string_view name = remote_names[k];
            std::optional<std::string> value;
            if (w == name) {
                if (i + 1 >= argv.size()) throw usage_error("authority: " + std::string(name) + " needs a value (see 'escrow authority --help')");
                value = argv[++i];
            } else if (w.starts_with(name) && w.size() > name.size() && w[name.size()] == '=') {
                value = std::string(w.substr(name.size() + 1));
            } else {
                continue;
            }
            if (*remote_values[k]) throw usage_error("authority: " + std::string(name) + " given more than once");
            *remote_values[k] = std::move(value);
            known = true;
            break;
        }
        if (!known) throw usage_error("authority: unknown option '" + std::string(w) + "' (see 'escrow authority --help')");
    }
    if (i >= argv.size()) throw usage_error("authority: a subcommand is required (see 'escrow authority --help')");
    std::string_view sub = argv[i];
    auto rest = argv.subspan(i + 1);
    for (std::string_view w : rest)
        if (w == "-h" || w == "--help") {
            std::cout << authority_help << see_exit_codes;
            return exit_code::ok;
        }
    if (db && server) throw usage_error("authority: --db or --server, not both");
    if (!server && (remote.ca || remote.pin || remote.officer_key || remote.client_cert || remote.client_key))
        throw usage_error("authority: --ca, --pin, --officer-key, --client-cert and --client-key go with --server");
    if (server) {
        if (!service_available())
            throw usage_error("authority: this escrow tool was built without the authority service (libssl-dev, nlohmann-json3-dev)");
        remote.server = *server;
        return authority_remote(remote, sub, rest);
    }
    if (!db || db->empty()) throw usage_error("authority: --db FILE is required (see 'escrow authority --help')");
    if (sub == "serve") {
        if (!service_available())
            throw usage_error("authority serve: this escrow tool was built without the authority service (libssl-dev, nlohmann-json3-dev)");
        return authority_serve(*db, rest);
    }
    if (sub == "init") return authority_init(*db, rest);
    static constexpr std::string_view known[] = {"register-officer", "officers", "deposit", "list",     "revoke",
                                                 "recover",          "audit",    "verify-audit", "audit-key", "export-head",
                                                 "import"};
    if (std::find(std::begin(known), std::end(known), sub) == std::end(known))
        throw usage_error("authority: unknown subcommand '" + std::string(sub) + "' (see 'escrow authority --help')");
    if (sub == "import") return authority_import(*db, rest);
    authority_repository repo;
    open_repository(repo, *db, false);
    return visit_repository(repo, [&](auto& r) {
        authority_db d(r, *db);
        if (sub == "register-officer") return authority_register_officer(d, rest);
        if (sub == "officers") return authority_officers(d, rest);
        if (sub == "deposit") return authority_deposit(d, rest);
        if (sub == "list") return authority_list(d, rest);
        if (sub == "revoke") return authority_revoke(d, rest);
        if (sub == "recover") return authority_recover(d, rest);
        if (sub == "audit") return authority_audit(d, rest, false);
        if (sub == "audit-key") return authority_audit_key(d, rest);
        if (sub == "export-head") return authority_export_head(d, rest);
        return authority_audit(d, rest, true);
    });
}

}  // namespace escrow_cli
