// SPDX-License-Identifier: MIT
/// @file
/// `escrow authority --db DB serve`: the authority as an HTTPS service (escrow/service/).

#include <escrow/service/authority_api.hpp>
#include <escrow/service/authority_workers.hpp>
#include <escrow/service/https_server.hpp>
#include <escrow/service/openssl_rsa.hpp>
#include <escrow/service/tls_pin.hpp>

#include <openssl/crypto.h>

#include <chrono>
#include <iostream>
#include <string>
#include <type_traits>

#include "cli_args.hpp"
#include "cli_authority_db.hpp"
#include "cli_io.hpp"
#include "cli_pkcs11.hpp"
#include "cli_service.hpp"
#include "cli_wraps.hpp"

#if ESCROW_CLI_PKCS11
#include "cli_token_authority.hpp"
#endif

namespace escrow_cli {

namespace {

namespace ea = escrow::authority;
namespace es = escrow::service;

// HOST:PORT, or [V6]:PORT.
void parse_listen(const std::string& listen, es::server_options& opts) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon + 1 == listen.size())
        throw usage_error("authority serve: --listen takes HOST:PORT (PORT 0 picks a free port)");
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) throw usage_error("authority serve: --listen needs a HOST (127.0.0.1, 0.0.0.0, ::1, ...)");
    const unsigned port = parse_unsigned(listen.substr(colon + 1), "--listen's PORT");
    if (port > 65535) throw usage_error("authority serve: --listen's PORT must be 0 to 65535");
    opts.host = host;
    opts.port = static_cast<std::uint16_t>(port);
}

// The wrap the server decrypts with for a database of wrap W, and how it loads --key: W itself,
// except for the RSA wraps, whose private operation (the MAC check of every deposit) runs about
// twice as fast in OpenSSL's libcrypto as in Crypto++ here (docs/performance.md): the same format,
// ids, results and audit key, the key read by the tool's own loader (PEM, DER or a CryptoAPI blob,
// with its checks and messages) and handed to OpenSSL, the Crypto++ copy wiped at once.
template <class W>
struct served {
    using type = W;
    static std::string engine() { return "Crypto++"; }
    static typename W::private_key load(const std::string& path) { return cli_wrap<W>::load_private(path, "--key"); }
};
template <class OpenSslWrap>
struct served_in_openssl {
    using type = OpenSslWrap;
    static std::string engine() { return OpenSSL_version(OPENSSL_VERSION); }
    static es::openssl_rsa_private_key load(const std::string& path) {
        return es::openssl_rsa_private_key::from_key(load_identity(path, "--key"));
    }
};
template <>
struct served<escrow::wrap::rsa_oaep_sha256> : served_in_openssl<es::openssl_rsa_oaep_sha256> {};
template <>
struct served<escrow::wrap::rsa_pkcs1v15> : served_in_openssl<es::openssl_rsa_pkcs1v15> {};

// Serves `auth` (the authority of `repo`, quorum `quorum`) until SIGTERM or SIGINT; `engine` names
// the library or device of its private-key operation.
template <class Authority, class Repo>
int run_service(Authority& auth, Repo& repo, std::size_t quorum, const es::server_options& opts, es::worker_options workers,
                const escrow::digest256& pin, const std::string& engine) {
    es::replay_guard guard;
    es::authority_api<Authority, Repo> api(auth, repo, quorum, guard);
    es::authority_workers<Authority, Repo> pool(api, auth, workers);
    es::https_server server(opts, es::https_server::async_handler(std::ref(pool)));
    server.stop_on_signals();
    const bool v6 = opts.host.find(':') != std::string::npos;
    std::cerr << "escrow: serving the " << escrow::wrap_format_t<typename Authority::wrap_type>::name
              << " authority key SHA-256 " << escrow::hex::encode(auth.fingerprint()) << " (quorum " << quorum
              << "; private key operation: " << engine << "); TLS certificate pin " << es::format_pin(pin) << "\n";
    std::cout << "listening on https://" << (v6 ? "[" + opts.host + "]" : opts.host) << ":" << server.port() << std::endl;
    server.run();
    std::cerr << "escrow: stopped; every acknowledged request is committed\n";
    return exit_code::ok;
}

}  // namespace

bool service_available() noexcept { return true; }

int authority_serve(const std::string& db, std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"listen", 0, true, false},      {"tls-cert", 0, true, false},
                                            {"tls-key", 0, true, false},     {"key", 0, true, false},
                                            {"client-ca", 0, true, false},   {"read-timeout", 0, true, false},
                                            {"max-connections", 0, true, false}, {"max-body", 0, true, false},
                                            {"check-threads", 0, true, false}, {"pin-file", 0, true, false}};
    auto a = parse_args("authority serve", specs, argv);
    if (!a.operands().empty()) throw usage_error("authority serve: unexpected operand '" + a.operands().front() + "'");
    for (const char* required : {"listen", "tls-cert", "tls-key", "key"})
        if (!a.get(required))
            throw usage_error(std::string("authority serve: --") + required + " is required (see 'escrow authority --help')");
    es::server_options opts;
    parse_listen(*a.get("listen"), opts);
    opts.cert_file = *a.get("tls-cert");
    opts.key_file = *a.get("tls-key");
    opts.client_ca_file = a.get("client-ca").value_or("");
    if (auto t = a.get("read-timeout")) {
        const unsigned s = parse_unsigned(*t, "--read-timeout");
        if (s < 1 || s > 3600) throw usage_error("authority serve: --read-timeout must be 1 to 3600 seconds");
        opts.read_timeout = std::chrono::seconds(s);
    }
    if (auto m = a.get("max-connections")) {
        opts.max_connections = parse_unsigned(*m, "--max-connections");
        if (opts.max_connections < 1 || opts.max_connections > 100000)
            throw usage_error("authority serve: --max-connections must be 1 to 100000");
    }
    if (auto m = a.get("max-body")) {
        opts.max_body = parse_unsigned(*m, "--max-body");
        if (opts.max_body < 1024 || opts.max_body > 16 * 1024 * 1024)
            throw usage_error("authority serve: --max-body must be 1024 to 16777216 bytes");
    }
    es::worker_options workers;
    if (auto m = a.get("check-threads")) {
        workers.check_threads = parse_unsigned(*m, "--check-threads");
        if (workers.check_threads > 64) throw usage_error("authority serve: --check-threads must be 0 to 64");
    }
    const bool in_token = is_pkcs11_uri(*a.get("key"));
    if (a.get("pin-file") && !in_token) throw usage_error("authority serve: --pin-file goes with a pkcs11: --key");
#if !ESCROW_CLI_PKCS11
    if (in_token) throw usage_error("authority serve: this escrow tool was built without PKCS#11 support (pkcs11.h)");
#endif
    // The certificate's pin, for clients' --pin, before anything listens.
    const auto pin = es::spki_sha256_of_file(opts.cert_file);

    authority_repository any;
    open_repository(any, db, false);
    return visit_repository(any, [&](auto& repo) {
        using Repo = std::remove_reference_t<decltype(repo)>;
        authority_db<Repo> d(repo, db);
#if ESCROW_CLI_PKCS11
        if (in_token) {
            // One session, used by one thread: the token wrap holds state, so the store thread
            // checks deposits itself (authority_workers, concurrent_checks false).
            int rc = exit_code::ok;
            with_token_authority(repo, d.quorum, d.wrap_id, *a.get("key"), a.get("pin-file"), [&](auto& auth) {
                rc = run_service(auth, repo, d.quorum, opts, workers, pin, "PKCS#11 token");
            });
            return rc;
        }
#endif
        return with_wrap(d.wrap_id, [&](auto t) {
            using S = served<typename decltype(t)::type>;
            using W = typename S::type;
            cli_authority<W, Repo> auth(repo, ea::dynamic_officer_quorum(d.quorum), S::load(*a.get("key")));
            return run_service(auth, repo, d.quorum, opts, workers, pin, S::engine());
        });
    });
}

}  // namespace escrow_cli
