// SPDX-License-Identifier: MIT
/// @file
/// `escrow authority` (the backup authority over its SQLite database), `escrow officer` (officer
/// keys, recovery requests and signatures) and `escrow rewrap` (the owner applies a re-wrapped
/// blob to the file).
///
/// Extension points for more formats: `authority_wraps` lists the wraps an authority database can
/// be bound to (with a `cli_wrap` specialisation each, saying how to load its keys), and
/// `rewrap_encryptors` lists the presets whose files `escrow rewrap` can rewrite.
#pragma once

#include <escrow/authority/sqlite_repository.hpp>
#include <escrow/escrow.hpp>

#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <cryptopp/misc.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli_age.hpp"
#include "cli_args.hpp"
#include "cli_io.hpp"
#include "cli_jobs.hpp"

namespace escrow_cli {

namespace ea = escrow::authority;
namespace hana = boost::hana;

// ---- help ----------------------------------------------------------------------------------------

constexpr std::string_view authority_help =
    "Usage: escrow authority --db FILE <subcommand> [options]\n"
    "\n"
    "The backup authority, over its SQLite database FILE (records, officers, used request\n"
    "nonces and the hash-chained audit log). Several processes may use FILE at once.\n"
    "\n"
    "Subcommands:\n"
    "  init --authority-key PUB [--quorum K] [--wrap NAME]\n"
    "                     create FILE for the authority's public key; recoveries will need\n"
    "                     K distinct officers' signatures (default 2); the key's type selects\n"
    "                     the wrap: an RSA key rsa-oaep-sha256 (native files), or with --wrap\n"
    "                     rsa-pkcs1v15 (CryptoAPI files) or ssh-rsa (age files); an age1... key\n"
    "                     x25519 (age files); an OpenSSH ssh-rsa line ssh-rsa\n"
    "  register-officer NAME PUB\n"
    "                     register an officer's Ed25519 public key (from 'escrow officer keygen')\n"
    "  officers           list the registered officers, one per line\n"
    "  deposit RECORD...  store escrow records (the same record again changes nothing)\n"
    "  list [--owner ID]  list the records, one per line: serial, status, owner, created,\n"
    "                     store/cipher/wrap, description (tab-separated)\n"
    "  revoke SERIAL      revoke a record: it is kept but never recovered again\n"
    "  recover --request REQ --signature SIG [--signature SIG ...] --key PRIV -o BLOB\n"
    "                     check the request (officer quorum, expiry, replay, revocation, the\n"
    "                     record's MAC) and write the session key re-wrapped to the request's\n"
    "                     new owner key, for 'escrow rewrap'; PRIV is the authority's private key\n"
    "  audit              print the audit log, one entry per line\n"
    "  verify-audit       check the audit log's hash chain (exit 1 when it is broken)\n"
    "\n"
    "Options:\n"
    "  --db FILE          the authority's database (created by init only)\n"
    "  -h, --help         show this help\n"
    "\n";

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

constexpr std::string_view rewrap_help =
    "Usage: escrow rewrap --blob BLOB --key NEW_PRIV [--record RECORD] FILE\n"
    "\n"
    "Applies a re-wrapped owner blob (from 'escrow authority recover') to the encrypted FILE, in\n"
    "place: the blob must open FILE with NEW_PRIV (the owner's new private key), then FILE's\n"
    "owner entry is replaced; the payload is copied unchanged. FILE is replaced through a\n"
    "temporary file and a rename, keeping its permission bits, and only on success.\n"
    "\n"
    "Native and age files: the blob must verify FILE's header MAC. age files (binary, not\n"
    "armored) need --record: age stanzas carry no roles, and the owner's stanza is the one\n"
    "that is not the record's. CryptoAPI files have no MAC: the payload is decrypted as it is\n"
    "copied and its final CBC padding must check out (a blob made for another file still\n"
    "passes about once in 256); give --record too, so that the blob must also verify the\n"
    "record's MAC.\n"
    "\n"
    "Options:\n"
    "  --blob BLOB        the re-wrapped owner blob\n"
    "  --key NEW_PRIV     the owner's new private key\n"
    "  --record RECORD    the escrow record the blob came from (required for age files); the\n"
    "                     blob's key must verify its MAC\n"
    "  -h, --help         show this help\n"
    "\n";

// ---- wraps the tool knows --------------------------------------------------------------------------

/// How the tool loads one wrap's keys. Specialise for each wrap in `authority_wraps`:
/// `is_public_key(content)` (true when a public key file's content is this wrap's kind of key),
/// `load_public(path, option)` and `load_private(path, option)`.
template <class Wrap>
struct cli_wrap;

namespace detail {

/// Parses a key file's content with `parse`, the error naming the option and the file.
template <class F>
auto parse_key_file(const std::string& path, std::string_view option, F&& parse) {
    key_file_bytes content(path, option);
    try {
        return parse(content.view());
    } catch (const escrow::error& e) {
        throw with_context(e, std::string(option) + " " + in_quotes(path));
    }
}

/// True when `parse(content)` succeeds.
template <class F>
bool parses_with(escrow::byte_view content, F&& parse) {
    try {
        (void)parse(content);
        return true;
    } catch (const escrow::error&) {
        return false;
    }
}

/// An age X25519 recipient file (one `age1...` line, as `escrow keygen --type x25519` writes PREFIX.pub).
inline escrow::x25519_public_key x25519_public_of(escrow::byte_view content) {
    if (escrow::pem::looks_like_pem(text_of(content)))
        throw escrow::error(escrow::errc::bad_key, "is a PEM key, not an age X25519 recipient (age1...)");
    age_recipient r = age_recipient_of(content);
    if (const auto* x = std::get_if<escrow::x25519_public_key>(&r)) return *x;
    throw escrow::error(escrow::errc::bad_key, "is an OpenSSH key, not an age X25519 recipient (age1...)");
}

/// An RSA public key in PEM, DER or PUBLICKEYBLOB, or an OpenSSH `ssh-rsa` public key file.
inline escrow::ssh_rsa_public_key ssh_rsa_public_of(escrow::byte_view content) {
    if (parses_as<escrow::rsa_public_key>(content))
        return escrow::ssh_rsa_public_key(escrow::ms_blob::load_public_key(content));
    return escrow::ssh_rsa_public_key::load(content);
}

}  // namespace detail

/// RSA keys (PEM, DER or CryptoAPI key blobs) for the native format's wrap...
template <>
struct cli_wrap<escrow::wrap::rsa_oaep_sha256> {
    static bool is_public_key(escrow::byte_view content) { return detail::parses_as<escrow::rsa_public_key>(content); }
    static escrow::rsa_public_key load_public(const std::string& path, std::string_view option) {
        return load_recipient(path, option);
    }
    static escrow::rsa_private_key load_private(const std::string& path, std::string_view option) {
        return load_identity(path, option);
    }
};

/// ...and, the same keys, for CryptoAPI's (`--wrap rsa-pkcs1v15`).
template <>
struct cli_wrap<escrow::wrap::rsa_pkcs1v15> : cli_wrap<escrow::wrap::rsa_oaep_sha256> {};

/// age X25519 keys: the `age1...` recipient file and the identity file `escrow keygen --type
/// x25519` (or age-keygen) writes.
template <>
struct cli_wrap<escrow::wrap::x25519> {
    static bool is_public_key(escrow::byte_view content) { return detail::parses_with(content, detail::x25519_public_of); }
    static escrow::x25519_public_key load_public(const std::string& path, std::string_view option) {
        return detail::parse_key_file(path, option, detail::x25519_public_of);
    }
    static escrow::x25519_private_key load_private(const std::string& path, std::string_view option) {
        return detail::parse_key_file(path, option,
                                      [](escrow::byte_view c) { return escrow::x25519_private_key::load(c); });
    }
};

/// RSA keys for age's ssh-rsa recipients (`--wrap ssh-rsa`): an OpenSSH public key line or any
/// RSA public key file the tool reads; the private key in OpenSSH's format or PEM/DER.
template <>
struct cli_wrap<escrow::wrap::ssh_rsa> {
    static bool is_public_key(escrow::byte_view content) { return detail::parses_with(content, detail::ssh_rsa_public_of); }
    static escrow::ssh_rsa_public_key load_public(const std::string& path, std::string_view option) {
        auto k = detail::parse_key_file(path, option, detail::ssh_rsa_public_of);
        detail::require_rsa_bits(k.bits(), std::string(option) + " " + in_quotes(path));
        return k;
    }
    static escrow::ssh_rsa_private_key load_private(const std::string& path, std::string_view option) {
        auto k = detail::parse_key_file(path, option, [](escrow::byte_view c) {
            std::string_view text(reinterpret_cast<const char*>(c.data()), c.size());
            if (text.find("-----BEGIN OPENSSH PRIVATE KEY-----") != std::string_view::npos)
                return escrow::ssh_rsa_private_key::load(c);
            return escrow::ssh_rsa_private_key(escrow::ms_blob::load_private_key(c));
        });
        detail::require_rsa_bits(k.bits(), std::string(option) + " " + in_quotes(path));
        return k;
    }
};

/// The wraps an authority database can be bound to, tried in order when `init` reads a key: an
/// RSA key selects rsa-oaep-sha256 (the native format) unless --wrap names rsa-pkcs1v15
/// (CryptoAPI) or ssh-rsa (age); an `age1...` key selects x25519 (age); an OpenSSH line, ssh-rsa.
using authority_wraps = hana::tuple<hana::type<escrow::wrap::rsa_oaep_sha256>, hana::type<escrow::wrap::rsa_pkcs1v15>,
                                    hana::type<escrow::wrap::x25519>, hana::type<escrow::wrap::ssh_rsa>>;

/// The presets whose files `escrow rewrap` rewrites, found by the blob's store, cipher and wrap ids.
using rewrap_encryptors =
    hana::tuple<hana::type<escrow::native_encryptor>, hana::type<escrow::age_encryptor>,
                hana::type<escrow::age_ssh_encryptor>, hana::type<escrow::legacy::cryptoapi_encryptor<128>>,
                hana::type<escrow::legacy::cryptoapi_encryptor<192>>, hana::type<escrow::legacy::cryptoapi_encryptor<256>>>;

/// Calls `f(hana::type_c<Wrap>)` for the wrap whose id is `id`.
template <class F>
int with_wrap(std::uint16_t id, F&& f) {
    std::optional<int> rc;
    hana::for_each(authority_wraps{}, [&](auto t) {
        using W = typename decltype(t)::type;
        if (!rc && W::id == id) rc = f(t);
    });
    if (!rc)
        throw escrow::error(escrow::errc::unknown_policy_id,
                            "wrap id " + std::to_string(id) + " is not one this tool's authority handles");
    return *rc;
}

/// Calls `f(hana::type_c<Wrap>)` for the first wrap whose keys are of the kind the public key file
/// `path` holds (or the one named `wrap_name`, when given, if its keys are of that kind).
/// @throws escrow::error `bad_key` when no wrap of the tool takes that key.
template <class F>
int with_key_wrap(const std::string& path, std::string_view option, const std::optional<std::string>& wrap_name, F&& f) {
    if (wrap_name) {
        std::string names;
        bool known = false;
        hana::for_each(authority_wraps{}, [&](auto t) {
            using W = typename decltype(t)::type;
            known |= *wrap_name == W::name;
            names += (names.empty() ? "" : ", ") + std::string(W::name);
        });
        if (!known) throw usage_error("--wrap '" + *wrap_name + "' is not a wrap an authority handles (" + names + ")");
    }
    key_file_bytes content(path, option);
    std::optional<int> rc;
    hana::for_each(authority_wraps{}, [&](auto t) {
        using W = typename decltype(t)::type;
        if (!rc && (!wrap_name || *wrap_name == W::name) && cli_wrap<W>::is_public_key(content.view())) rc = f(t);
    });
    if (!rc)
        throw escrow::error(escrow::errc::bad_key,
                            std::string(option) + " " + in_quotes(path) +
                                " is not a public key of a kind an authority handles (RSA: wrap rsa-oaep-sha256, "
                                                                 "rsa-pkcs1v15 or ssh-rsa; age1...: x25519; ssh-rsa line: ssh-rsa)" +
                                (wrap_name ? " with --wrap " + *wrap_name : std::string()));
    return *rc;
}

// ---- small helpers -------------------------------------------------------------------------------

/// A field for one tab-separated line: control characters (tabs and newlines too) become '?'.
inline std::string tabless(std::string_view s) { return one_line(s); }

inline std::string id_name(std::string_view family, std::uint16_t id) {
    auto n = escrow::ids::name_of(family, id);
    return n.empty() ? escrow::policy_ids::hex(id) : std::string(n);
}

/// A small binary file (request, signature, blob), bounded.
inline escrow::bytes read_small(const std::string& path, std::string_view option, std::size_t limit) {
    if (path == "-") throw usage_error(std::string(option) + " needs a file name, not standard input");
    escrow::file_source src{fs::path(path)};
    try {
        return escrow::read_all(src, limit);
    } catch (const escrow::error& e) {
        throw with_context(e, std::string(option) + " " + in_quotes(path));
    }
}

/// Parses a file with `decode`, the error naming the option and the file.
template <class T>
T decode_file(const std::string& path, std::string_view option, std::size_t limit) {
    escrow::bytes b = read_small(path, option, limit);
    try {
        return T::decode(b);
    } catch (const escrow::error& e) {
        throw with_context(e, std::string(option) + " " + in_quotes(path));
    }
}

/// Writes one new file atomically (the path is checked to be new first).
inline void write_new_file(const std::string& path, std::string_view option, escrow::byte_view data, mode_t mode = new_file_mode) {
    if (path == "-") throw usage_error(std::string(option) + " needs a file name, not standard output");
    check_outputs(std::nullopt, {{path, std::string(option)}});
    output_file out(path);
    out.write(data);
    commit_all({{&out, mode}});
}

inline std::uint16_t read_u16(const escrow::bytes& b) {
    if (b.size() != 2) throw escrow::error(escrow::errc::malformed_blob, "authority database: malformed wrap id setting");
    return escrow::le::get<std::uint16_t>(b.data());
}

// ---- escrow authority ------------------------------------------------------------------------------

/// An existing authority database, and what `init` stored in it.
struct authority_db {
    ea::sqlite_repository repo;
    std::uint16_t wrap_id = 0;
    std::size_t quorum = 0;

    explicit authority_db(const std::string& path) : repo(open(path)) {
        auto t = repo.begin();
        auto w = t.get_meta(ea::meta_keys::wrap_id);
        auto q = t.get_meta(quorum_key);
        if (!w || !q)
            throw escrow::error(escrow::errc::not_found, "--db " + in_quotes(path) +
                                                             " is not initialised: run 'escrow authority --db FILE init' first");
        wrap_id = read_u16(*w);
        if (q->size() != 1 || (*q)[0] == 0) throw escrow::error(escrow::errc::malformed_blob, "authority database: malformed quorum");
        quorum = (*q)[0];
    }

    static constexpr std::string_view quorum_key = "cli.quorum";

private:
    static ea::sqlite_repository open(const std::string& path) {
        std::error_code ec;
        if (!fs::exists(path, ec))
            throw escrow::error(escrow::errc::not_found, "--db " + in_quotes(path) +
                                                             " does not exist: run 'escrow authority --db FILE init' first");
        return ea::sqlite_repository(path);
    }
};

template <class Wrap>
using cli_authority = ea::backup_authority<Wrap, ea::sqlite_repository, ea::dynamic_officer_quorum>;

/// The authority of an initialised database, with its stored public key (no private key).
template <class Wrap>
cli_authority<Wrap> open_authority(authority_db& db) {
    auto t = db.repo.begin();
    auto key = t.get_meta(ea::meta_keys::public_key);
    if (!key) throw escrow::error(escrow::errc::not_found, "authority database: no authority key stored");
    auto pub = ea::public_key_codec<Wrap>::decode(*key);
    t.commit();
    return cli_authority<Wrap>(db.repo, ea::dynamic_officer_quorum(db.quorum), std::move(pub));
}

inline int authority_init(const std::string& db_path, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {
        {"authority-key", 0, true, false}, {"quorum", 0, true, false}, {"wrap", 0, true, false}};
    auto a = parse_args("authority init", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority init: unexpected operand '" + a.operands().front() + "'");
    auto key_path = a.get("authority-key");
    if (!key_path) throw usage_error("authority init: --authority-key PUB is required (see 'escrow authority --help')");
    unsigned k = a.get("quorum") ? parse_unsigned(*a.get("quorum"), "--quorum") : 2;
    if (k < 1 || k > 255) throw usage_error("--quorum must be 1 to 255");

    return with_key_wrap(*key_path, "--authority-key", a.get("wrap"), [&](auto t) {
        using W = typename decltype(t)::type;
        auto pub = cli_wrap<W>::load_public(*key_path, "--authority-key");
        bool existed = fs::exists(db_path);
        ea::sqlite_repository repo(db_path);
        // Binds the database to the key (refused when it is bound to another), then the quorum.
        cli_authority<W> auth(repo, ea::dynamic_officer_quorum(k), pub);
        {
            auto tx = repo.begin();
            auto q = tx.get_meta(authority_db::quorum_key);
            if (q && (q->size() != 1 || (*q)[0] != k))
                throw escrow::error(escrow::errc::invalid_argument,
                                    "--db " + in_quotes(db_path) + " is initialised with another quorum");
            escrow::byte kb = static_cast<escrow::byte>(k);
            tx.set_meta(authority_db::quorum_key, escrow::byte_view(&kb, 1));
            tx.commit();
        }
        std::cerr << "escrow: " << (existed ? "authority database already initialised: " : "initialised ") << db_path
                  << " for the " << W::name << " authority key SHA-256 " << escrow::hex::encode(auth.fingerprint())
                  << ", quorum " << k << "\n";
        return exit_code::ok;
    });
}

inline int authority_register_officer(authority_db& db, std::span<char* const> argv) {
    auto a = parse_args("authority register-officer", {}, argv);
    if (a.operands().size() != 2) throw usage_error("authority register-officer: expected NAME PUB");
    const std::string& name = a.operands()[0];
    const std::string& path = a.operands()[1];
    key_file_bytes content(path, "register-officer");
    ea::officer_public_key key = [&] {
        try {
            return ea::officer_public_key::load(content.view());
        } catch (const escrow::error& e) {
            throw with_context(e, "officer key " + in_quotes(path));
        }
    }();
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type>(db);
        auth.register_officer(name, key);
        std::cerr << "escrow: registered officer '" << name << "' (Ed25519 key SHA-256 "
                  << escrow::hex::encode(key.fingerprint()) << ")\n";
        return exit_code::ok;
    });
}

inline int authority_officers(authority_db& db, std::span<char* const> argv) {
    auto a = parse_args("authority officers", {}, argv);
    if (!a.operands().empty()) throw usage_error("authority officers: unexpected operand '" + a.operands().front() + "'");
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type>(db);
        for (const auto& o : auth.officers())
            std::cout << tabless(o.name) << "\t" << escrow::hex::encode(escrow::sha256(o.public_key)) << "\t"
                      << iso8601_utc(o.registered) << "\n";
        return exit_code::ok;
    });
}

inline int authority_deposit(authority_db& db, std::span<char* const> argv) {
    auto a = parse_args("authority deposit", {}, argv);
    if (a.operands().empty()) throw usage_error("authority deposit: expected one or more RECORD files");
    // Every record parses before the first is stored.
    std::vector<escrow::escrow_record> records;
    for (const auto& p : a.operands()) records.push_back(load_record(p));
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type>(db);
        for (std::size_t i = 0; i < records.size(); ++i) {
            try {
                auto r = auth.deposit(records[i]);
                std::cout << (r == ea::deposit_result::stored ? "deposited " : "already present ")
                          << records[i].info.serial << "\n";
            } catch (const escrow::error& e) {
                throw with_context(e, "record " + in_quotes(a.operands()[i]));
            }
        }
        return exit_code::ok;
    });
}

inline int authority_list(authority_db& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"owner", 0, true, false}};
    auto a = parse_args("authority list", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority list: unexpected operand '" + a.operands().front() + "'");
    std::string owner = a.get("owner").value_or("");
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type>(db);
        for (const auto& e : auth.list(owner)) {
            const auto& r = e.record;
            std::cout << r.info.serial << "\t" << (e.status == ea::record_status::active ? "active" : "revoked") << "\t"
                      << tabless(r.info.owner) << "\t" << iso8601_utc(r.info.created) << "\t"
                      << id_name("store", r.store_id) << "/" << id_name("cipher", r.cipher_id) << "/"
                      << id_name("wrap", r.wrap_id) << "\t" << tabless(r.info.description) << "\n";
        }
        std::cout.flush();
        if (!std::cout) throw escrow::error(escrow::errc::io_error, "writing to standard output failed");
        return exit_code::ok;
    });
}

inline int authority_revoke(authority_db& db, std::span<char* const> argv) {
    auto a = parse_args("authority revoke", {}, argv);
    if (a.operands().size() != 1) throw usage_error("authority revoke: expected one SERIAL");
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type>(db);
        bool changed = auth.revoke(a.operands()[0], "authority (escrow authority revoke)");
        std::cerr << "escrow: " << (changed ? "revoked " : "already revoked: ") << a.operands()[0] << "\n";
        return exit_code::ok;
    });
}

inline int authority_recover(authority_db& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"request", 0, true, false},
                                            {"signature", 0, true, true},
                                            {"key", 0, true, false},
                                            {"output", 'o', true, false}};
    auto a = parse_args("authority recover", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority recover: unexpected operand '" + a.operands().front() + "'");
    auto req_path = a.get("request");
    auto key_path = a.get("key");
    auto out_path = a.get("output");
    if (!req_path) throw usage_error("authority recover: --request REQ is required");
    if (!key_path) throw usage_error("authority recover: --key PRIV (the authority's private key) is required");
    if (!out_path) throw usage_error("authority recover: -o BLOB is required");
    if (a.all("signature").size() > 64) throw usage_error("authority recover: at most 64 --signature files");
    if (*out_path == "-") throw usage_error("-o needs a file name, not standard output");
    check_outputs(std::nullopt, {{*out_path, "-o"}});
    auto request = decode_file<ea::recovery_request>(*req_path, "--request", ea::recovery_request::max_encoded);
    std::vector<ea::officer_signature> sigs;
    for (const auto& p : a.all("signature")) sigs.push_back(decode_file<ea::officer_signature>(p, "--signature", 1024));
    return with_wrap(db.wrap_id, [&](auto t) {
        using W = typename decltype(t)::type;
        auto key = cli_wrap<W>::load_private(*key_path, "--key");
        cli_authority<W> auth(db.repo, ea::dynamic_officer_quorum(db.quorum), std::move(key));
        // The temporary output exists before the grant, so that a directory where it cannot be
        // created fails the command before the request's nonce is spent.
        output_file out(*out_path);
        ea::owner_blob blob = auth.recover(request, sigs);
        out.write(blob.encode());
        commit_all({{&out, new_file_mode}});
        std::cerr << "escrow: recovery of " << blob.serial << " granted; wrote the re-wrapped owner blob to " << *out_path
                  << "\n";
        return exit_code::ok;
    });
}

inline int authority_audit(authority_db& db, std::span<char* const> argv, bool verify_only) {
    auto a = parse_args(verify_only ? "authority verify-audit" : "authority audit", {}, argv);
    if (!a.operands().empty()) throw usage_error("unexpected operand '" + a.operands().front() + "'");
    return with_wrap(db.wrap_id, [&](auto t) {
        auto auth = open_authority<typename decltype(t)::type>(db);
        if (!verify_only) {
            for (const auto& e : auth.audit_log())
                std::cout << e.seq << "\t" << iso8601_utc(e.time) << "\t" << e.kind << "\t" << tabless(e.serial) << "\t"
                          << e.outcome << "\t" << tabless(e.actor) << "\t" << tabless(e.reason) << "\n";
            return exit_code::ok;
        }
        ea::audit_report rep = auth.verify_audit();
        if (!rep.valid) throw escrow::error(escrow::errc::authentication_failed, "the audit log is broken: " + rep.problem);
        std::cout << "audit log valid: " << rep.entries << " entries, head " << escrow::hex::encode(rep.head) << "\n";
        return exit_code::ok;
    });
}

inline int cmd_authority(std::span<char* const> argv) {
    // The options before the subcommand: --db FILE and --help.
    std::optional<std::string> db;
    std::size_t i = 0;
    for (; i < argv.size(); ++i) {
        std::string_view w = argv[i];
        if (w == "-h" || w == "--help") {
            std::cout << authority_help << exit_codes_help_text;
            return exit_code::ok;
        }
        if (w == "--db") {
            if (i + 1 >= argv.size()) throw usage_error("authority: --db needs a value (see 'escrow authority --help')");
            if (db) throw usage_error("authority: --db given more than once");
            db = argv[++i];
        } else if (w.starts_with("--db=")) {
            if (db) throw usage_error("authority: --db given more than once");
            db = std::string(w.substr(5));
        } else if (w.starts_with("-")) {
            throw usage_error("authority: unknown option '" + std::string(w) + "' (see 'escrow authority --help')");
        } else {
            break;
        }
    }
    if (i >= argv.size()) throw usage_error("authority: a subcommand is required (see 'escrow authority --help')");
    std::string_view sub = argv[i];
    auto rest = argv.subspan(i + 1);
    for (std::string_view w : rest)
        if (w == "-h" || w == "--help") {
            std::cout << authority_help << exit_codes_help_text;
            return exit_code::ok;
        }
    if (!db || db->empty()) throw usage_error("authority: --db FILE is required (see 'escrow authority --help')");
    if (sub == "init") return authority_init(*db, rest);
    static constexpr std::string_view known[] = {"register-officer", "officers", "deposit", "list",
                                                 "revoke", "recover", "audit", "verify-audit"};
    if (std::find(std::begin(known), std::end(known), sub) == std::end(known))
        throw usage_error("authority: unknown subcommand '" + std::string(sub) + "' (see 'escrow authority --help')");
    authority_db d(*db);
    if (sub == "register-officer") return authority_register_officer(d, rest);
    if (sub == "officers") return authority_officers(d, rest);
    if (sub == "deposit") return authority_deposit(d, rest);
    if (sub == "list") return authority_list(d, rest);
    if (sub == "revoke") return authority_revoke(d, rest);
    if (sub == "recover") return authority_recover(d, rest);
    if (sub == "audit") return authority_audit(d, rest, false);
    return authority_audit(d, rest, true);
}

// ---- escrow officer --------------------------------------------------------------------------------

inline int officer_keygen(std::span<char* const> argv) {
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

inline int officer_request(std::span<char* const> argv) {
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

inline int officer_sign(std::span<char* const> argv) {
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

inline int cmd_officer(std::span<char* const> argv) {
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

// ---- escrow rewrap -----------------------------------------------------------------------------------

inline int cmd_rewrap(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {
        {"blob", 0, true, false}, {"key", 0, true, false}, {"record", 0, true, false}, {"help", 'h', false, false}};
    auto a = parse_args("rewrap", specs, argv);
    if (a.has("help")) {
        std::cout << rewrap_help << exit_codes_help_text;
        return exit_code::ok;
    }
    if (a.operands().size() != 1) throw usage_error("rewrap: expected one FILE to rewrite in place (see 'escrow rewrap --help')");
    const std::string& file = a.operands()[0];
    if (file == "-") throw usage_error("rewrap: FILE is rewritten in place: give a file name, not standard input");
    auto blob_path = a.get("blob");
    auto key_path = a.get("key");
    if (!blob_path || !key_path) throw usage_error("rewrap: --blob BLOB and --key NEW_PRIV are required (see 'escrow rewrap --help')");
    auto blob = decode_file<ea::owner_blob>(*blob_path, "--blob", ea::owner_blob::max_encoded);
    std::optional<escrow::escrow_record> record;
    if (auto r = a.get("record")) record = load_record(*r);
    if (!fs::exists(file)) throw escrow::error(escrow::errc::not_found, "rewrap: " + in_quotes(file) + " does not exist");
    if (blob.store_id == escrow::store::age::id) {
        if (!record)
            throw usage_error("rewrap: age stanzas carry no recipient roles, so the owner's stanza is told from the "
                              "authority's by the escrow record: give --record RECORD");
        escrow::file_source probe{fs::path(file)};
        escrow::bytes head(escrow::store::age_armor::begin_line.size());
        head.resize(probe.read(head));
        if (std::string_view(reinterpret_cast<const char*>(head.data()), head.size()) == escrow::store::age_armor::begin_line)
            throw escrow::error(escrow::errc::malformed_header,
                                "rewrap: " + in_quotes(file) + " is an ASCII-armored age file; rewrap takes the binary "
                                "form: remove the armor first (base64-decode the lines between BEGIN and END)");
    }
    std::optional<int> rc;
    hana::for_each(rewrap_encryptors{}, [&](auto t) {
        using E = typename decltype(t)::type;
        using C = typename E::cipher_type;
        using W = typename E::wrap_type;
        using S = typename E::store_type;
        if (rc || blob.cipher_id != C::id || blob.wrap_id != W::id || blob.store_id != S::id) return;
        auto key = cli_wrap<W>::load_private(*key_path, "--key");
        try {
            ea::apply_owner_blob_in_place<E>(file, blob, key, record ? &*record : nullptr);
        } catch (const escrow::error& e) {
            throw with_context(e, "rewrap " + in_quotes(file));
        }
        std::cerr << "escrow: rewrapped " << file << " for the new owner key (serial " << blob.serial << ")\n";
        rc = exit_code::ok;
    });
    if (!rc)
        throw escrow::error(escrow::errc::unknown_policy_id, "--blob " + in_quotes(*blob_path) + " is for store " +
                                                                 id_name("store", blob.store_id) + ", cipher " +
                                                                 id_name("cipher", blob.cipher_id) + ", wrap " +
                                                                 id_name("wrap", blob.wrap_id) + ", which this tool cannot rewrap");
    return *rc;
}

}  // namespace escrow_cli
