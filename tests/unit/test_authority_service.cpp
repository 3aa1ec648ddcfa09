// SPDX-License-Identifier: MIT
// The authority as an HTTPS service (escrow/service/): a real server on a free loopback port with
// a throwaway certificate made by openssl, driven through authority_client.
#include "authority_support.hpp"
#include "error_kind.hpp"
#include "register_laws.hpp"

#include <escrow/authority/sqlite_repository.hpp>
#include <escrow/service/authority_api.hpp>
#include <escrow/service/authority_client.hpp>
#include <escrow/service/authority_workers.hpp>
#include <escrow/service/https_server.hpp>
#include <escrow/service/openssl_rsa.hpp>
#include <escrow/service/tls_pin.hpp>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

using namespace escrow_test;
namespace es = escrow::service;

namespace {

// A self-signed certificate for 127.0.0.1: DIR/NAME.crt and DIR/NAME.key.
void make_cert(const fs::path& dir, const std::string& name) {
    const std::string cmd = std::string(ESCROW_OPENSSL) +
                            " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost"
                            " -addext subjectAltName=IP:127.0.0.1 -keyout '" + (dir / (name + ".key")).string() + "' -out '" +
                            (dir / (name + ".crt")).string() + "' 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
}

using repo_type = ea::sqlite_repository;
// The test authority's RSA key in OpenSSL's memory, as `escrow authority serve` holds an RSA key.
using authority_wrap = es::openssl_rsa_oaep_sha256;
using authority_type = ea::backup_authority<authority_wrap, repo_type, ea::officer_quorum<2>>;

// The service over an SQLite repository with the test authority (quorum 2, officers 0-2), its
// server running on its own thread and its requests answered by authority_workers (deposits
// checked on two threads, committed in groups); every request it handles is counted.
struct running_service {
    fs::path dir;
    repo_type repo;
    quorum_setup<repo_type, authority_wrap> setup;
    es::replay_guard guard;
    es::authority_api<authority_type, repo_type> api;
    es::authority_workers<authority_type, repo_type> workers;
    std::atomic<int> requests{0};
    es::https_server server;
    std::thread thread;

    explicit running_service(const fs::path& d)
        : dir(d), repo(d / "authority.db"), setup(repo, es::openssl_rsa_private_key::from_key(keys().authority)), api(setup.authority, repo, 2, guard), workers(api, setup.authority),
          server(options(d), es::https_server::async_handler([this](es::api_request r, es::https_server::responder done) {
              ++requests;
              workers(std::move(r), std::move(done));
          })) {
        thread = std::thread([this] { server.run(); });
    }
    ~running_service() {
        server.stop();
        thread.join();
    }
    static es::server_options options(const fs::path& d) {
        make_cert(d, "tls");
        es::server_options o;
        o.cert_file = (d / "tls.crt").string();
        o.key_file = (d / "tls.key").string();
        return o;
    }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(server.port()); }
    es::authority_client client() const {
        es::client_options o;
        o.url = url();
        o.ca_file = (dir / "tls.crt").string();
        return es::authority_client(o);
    }
};

}  // namespace

TEST_CASE("The README flow through authority_client: deposit, recovery with K-1 then K signatures, rewrap, audit",
          "[service][client]") {
    auto dir = scratch("service-flow");
    running_service svc(dir);
    auto client = svc.client();
    REQUIRE(client.info().fingerprint == svc.setup.authority.fingerprint());
    REQUIRE(client.info().quorum == 2);

    auto file = make_file("SVC-C-1");
    REQUIRE(client.deposit(file.records[0]) == "stored");
    REQUIRE(client.deposit(file.records[0]) == "already_present");
    auto listed = client.list("", officer_keys()[0]);
    REQUIRE(listed.size() == 1);
    REQUIRE(listed[0].record.unverified_value().encode() == file.records[0].encode());
    REQUIRE_FALSE(listed[0].revoked);
    REQUIRE(client.list("nobody@example.org", officer_keys()[1]).empty());
    REQUIRE(client.officers(officer_keys()[2]).size() == 3);

    auto req = svc.setup.request("SVC-C-1");
    auto one = sign_by(req, {0});
    CHECK_THROWS_WITH(client.recover(req, one), Catch::Contains("needs the signatures of 2"));
    auto two = sign_by(req, {0, 1});
    ea::owner_blob blob = client.recover(req, two);
    REQUIRE(blob.serial == "SVC-C-1");
    CHECK_THROWS_WITH(client.recover(req, two), Catch::Contains("replayed"));
    REQUIRE(apply_and_decrypt(dir, file.file, blob) == pattern(3000, std::string("SVC-C-1").size()));

    auto snap = client.audit(officer_keys()[0]);
    auto rep = ea::verify_chain(snap.entries, snap.head);
    auto key = ea::audit_public_key::load(escrow::as_bytes(client.audit_key()));
    ea::check_signed_head(rep, snap.entries, snap.signed_head, client.info().fingerprint, &key);
    REQUIRE(rep.valid);
    REQUIRE(rep.signature_checked);
    REQUIRE(rep.signed_seq == snap.entries.size());

    REQUIRE(client.revoke("SVC-C-1", officer_keys()[1]));
    REQUIRE_FALSE(client.revoke("SVC-C-1", officer_keys()[1]));
    REQUIRE(client.list("", officer_keys()[0])[0].revoked);
}

TEST_CASE("Officer requests: unsigned, unregistered, forged and replayed ones are refused with 401, and the next request answers",
          "[service][auth]") {
    auto dir = scratch("service-auth");
    running_service svc(dir);
    auto client = svc.client();
    const auto fp = client.info().fingerprint;
    auto signed_get = [&](const ea::officer_private_key& k, const std::string& target, std::uint64_t when) {
        auto s = es::request_signature::sign(k, fp, "GET", target, {}, when);
        return es::api_request{"GET", target, "", escrow::hex::encode(s.officer), std::to_string(s.time),
                               escrow::hex::encode(s.nonce), escrow::hex::encode(s.signature)};
    };
    const auto now = ea::unix_now();

    REQUIRE(client.exchange({"GET", "/v1/records", "", "", "", "", ""}).status == 401);
    REQUIRE(client.exchange(signed_get(officer_keys()[3], "/v1/records", now)).status == 401);  // not registered
    auto good = signed_get(officer_keys()[0], "/v1/records", now);
    auto forged = good;
    forged.target = "/v1/officers";  // the signature covers the path
    REQUIRE(client.exchange(forged).status == 401);
    REQUIRE(client.exchange(good).status == 200);
    auto replay = client.exchange(good);
    REQUIRE(replay.status == 401);
    REQUIRE(replay.body.find("replayed") != std::string::npos);
    auto stale = client.exchange(signed_get(officer_keys()[0], "/v1/records", now - 3600));
    REQUIRE(stale.status == 401);
    REQUIRE(stale.body.find("window") != std::string::npos);
    REQUIRE(client.exchange({"PUT", "/v1/deposit", "", "", "", "", ""}).status == 405);
    REQUIRE(client.exchange({"POST", "/v1/deposit", "{\"record\": 1}", "", "", "", ""}).status == 400);
    REQUIRE(client.exchange({"POST", "/v1/deposit", "{\"record\": \"AAAA\"}", "", "", "", ""}).status == 422);
    REQUIRE(client.officers(officer_keys()[0]).size() == 3);
}

TEST_CASE("A forged record (valid shape, wrong MAC) is refused with 422 and audited, and the real one deposits after it",
          "[service][deposit]") {
    auto dir = scratch("service-forged");
    running_service svc(dir);
    auto client = svc.client();
    auto file = make_file("SVC-F-1");
    escrow::escrow_record forged = file.records[0];
    forged.mac[0] ^= 1;
    nlohmann::json body = {{"record", escrow::base64::encode(forged.encode())}};
    auto r = client.exchange({"POST", "/v1/deposit", body.dump(), "", "", "", ""});
    REQUIRE(r.status == 422);
    REQUIRE(r.body.find("authentication_failed") != std::string::npos);
    REQUIRE(client.deposit(file.records[0]) == "stored");
    auto log = client.audit(officer_keys()[0]).entries;
    bool refused = false;
    for (const auto& e : log)
        if (e.serial == "SVC-F-1" && e.outcome == ea::audit_outcome::refused) refused = true;
    REQUIRE(refused);
}

TEST_CASE("A wrong pin or an untrusted certificate is refused before any request reaches the server", "[service][tls]") {
    auto dir = scratch("service-tls");
    running_service svc(dir);
    make_cert(dir, "other");
    const int before = svc.requests.load();
    auto file = make_file("SVC-T-1");

    es::client_options pinned;
    pinned.url = svc.url();
    pinned.pin = es::spki_sha256_of_file((dir / "other.crt").string());
    es::authority_client wrong_pin(pinned);
    CHECK_THROWS_WITH(wrong_pin.deposit(file.records[0]), Catch::Contains("does not match the pin"));

    es::client_options other_ca;
    other_ca.url = svc.url();
    other_ca.ca_file = (dir / "other.crt").string();
    es::authority_client untrusted(other_ca);
    CHECK_THROWS_WITH(untrusted.deposit(file.records[0]), Catch::Contains("is not trusted"));
    REQUIRE(svc.requests.load() == before);

    pinned.pin = es::spki_sha256_of_file((dir / "tls.crt").string());
    es::authority_client right_pin(pinned);
    REQUIRE(right_pin.deposit(file.records[0]) == "stored");
    REQUIRE(svc.requests.load() == before + 1);
}

TEST_CASE("Deposits from 8 connections at once, checked on the pool and committed in groups: each answered as on its own",
          "[service][deposit][concurrency]") {
    auto dir = scratch("service-group");
    running_service svc(dir);
    static_assert(authority_type::concurrent_checks, "the RSA authority's checks run on the pool");
    constexpr int connections = 8, each = 6;
    // Per connection: records of its own, a forgery, and a genuine record whose serial is taken.
    std::vector<std::vector<escrow::escrow_record>> records(connections), squatters(connections);
    for (int c = 0; c < connections; ++c)
        for (int i = 0; i < each; ++i) {
            records[c].push_back(make_file("SVC-G-" + std::to_string(c) + "-" + std::to_string(i), 10).records[0]);
            squatters[c].push_back(make_file("SVC-G-TAKEN", 10).records[0]);
        }
    REQUIRE(svc.client().deposit(make_file("SVC-G-TAKEN", 10).records[0]) == "stored");
    escrow::escrow_record forged = records[0][0];
    forged.mac[0] ^= 1;
    std::atomic<int> stored{0}, present{0}, refused_forged{0}, refused_taken{0}, other{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < connections; ++c)
        threads.emplace_back([&, c] {
            auto client = svc.client();
            const auto k = static_cast<std::size_t>(c);
            auto refusal = [&](const escrow::escrow_record& r) {
                try {
                    (void)client.deposit(r);
                } catch (const escrow::error& e) {
                    return e.kind();
                }
                return escrow::errc::io_error;  // not refused: counted as other below
            };
            for (std::size_t i = 0; i < records[k].size(); ++i) {
                (client.deposit(records[k][i]) == "stored" ? stored : other)++;
                (client.deposit(records[k][i]) == "already_present" ? present : other)++;
                (refusal(forged) == escrow::errc::authentication_failed ? refused_forged : other)++;
                (refusal(squatters[k][i]) == escrow::errc::invalid_argument ? refused_taken : other)++;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(other == 0);
    CHECK(stored == connections * each);
    CHECK(present == connections * each);
    CHECK(refused_forged == connections * each);
    CHECK(refused_taken == connections * each);
    auto client = svc.client();
    CHECK(client.list("", officer_keys()[0]).size() == static_cast<std::size_t>(connections * each + 1));
    auto snap = client.audit(officer_keys()[1]);
    auto rep = ea::verify_chain(snap.entries, snap.head);
    auto key = ea::audit_public_key::load(escrow::as_bytes(client.audit_key()));
    ea::check_signed_head(rep, snap.entries, snap.signed_head, client.info().fingerprint, &key);
    REQUIRE(rep.valid);
    CHECK(rep.signed_seq == snap.entries.size());  // a batch signs its last entry
    // bind, 3 officers, SVC-G-TAKEN, then per deposit: stored, forgery refused, taken serial
    // refused (a record present again is not audited).
    CHECK(snap.entries.size() == 5 + 3 * connections * each);
}

TEST_CASE("An officer request replayed after the server restarted is refused: its nonce is kept in the database",
          "[service][auth]") {
    auto dir = scratch("service-restart");
    es::api_request good;
    {
        running_service svc(dir);
        auto client = svc.client();
        auto s = es::request_signature::sign(officer_keys()[0], client.info().fingerprint, "GET", "/v1/officers", {}, ea::unix_now());
        good = {"GET", "/v1/officers", "", escrow::hex::encode(s.officer), std::to_string(s.time), escrow::hex::encode(s.nonce),
                escrow::hex::encode(s.signature)};
        REQUIRE(client.exchange(good).status == 200);
    }
    running_service again(dir);  // a new replay guard, the same database
    auto client = again.client();
    auto replay = client.exchange(good);
    REQUIRE(replay.status == 401);
    REQUIRE(replay.body.find("replayed") != std::string::npos);
    REQUIRE(client.officers(officer_keys()[1]).size() == 3);  // a fresh request still answers
}

namespace {

// The two unwraps' results side by side: both nothing, or the same bytes (secrets are compared
// here, in a test, through their unsafe bytes).
bool same_result(const std::optional<escrow::session_key>& a, const std::optional<escrow::session_key>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || escrow::bytes(a->unsafe_bytes().begin(), a->unsafe_bytes().end()) ==
                     escrow::bytes(b->unsafe_bytes().begin(), b->unsafe_bytes().end());
}

// Variants of a wrapped key that a differential test runs through both wraps: the block itself,
// tampered at its first, a middle and its last byte, one byte short and one long, all 0xFF (above
// the modulus), all zero, and with an argument.
std::vector<escrow::wrapped_key> variants(const escrow::wrapped_key& w) {
    std::vector<escrow::wrapped_key> v{w};
    for (std::size_t at : {std::size_t{0}, w.body.size() / 2, w.body.size() - 1}) {
        v.push_back(w);
        v.back().body[at] ^= 0x40;
    }
    v.push_back(w);
    v.back().body.pop_back();
    v.push_back(w);
    v.back().body.push_back(0);
    v.push_back({{}, escrow::bytes(w.body.size(), 0xff)});
    v.push_back({{}, escrow::bytes(w.body.size(), 0)});
    v.push_back(w);
    v.back().args.push_back("x");
    return v;
}

// The law suite over the two OpenSSL wraps: the committed RSA-3072 test keys, each handed to
// OpenSSL (`openssl_rsa_private_key::from_key`), as test_pkcs11 runs it over the token wraps.
struct openssl_fixture {
    template <class W>
    static std::vector<es::openssl_rsa_private_key> keys() {
        std::vector<es::openssl_rsa_private_key> k;
        for (const auto& key : escrow_laws::keys_of<escrow::wrap::rsa_oaep_sha256>())
            k.push_back(es::openssl_rsa_private_key::from_key(key));
        return k;
    }
    template <class W>
    static W make() { return W{}; }
};

const bool openssl_laws_registered = [] {
    escrow_laws::register_wrap_laws<escrow::type_list<es::openssl_rsa_oaep_sha256, es::openssl_rsa_pkcs1v15>,
                                    openssl_fixture>();
    return true;
}();

}  // namespace

TEST_CASE("The OpenSSL RSA-OAEP wrap unwraps as the Crypto++ one: the library's wraps, wrong key, tampered or wrong-length blocks",
          "[service][wrap][openssl]") {
    using file_wrap = escrow::wrap::rsa_oaep_sha256;
    const auto key = es::openssl_rsa_private_key::from_key(keys().authority);
    const auto other = es::openssl_rsa_private_key::load(keys().owner.unsafe_pem().unsafe_bytes());
    REQUIRE(authority_wrap::fingerprint(authority_wrap::public_of(key)) == file_wrap::fingerprint(keys().authority.public_key()));
    for (std::size_t size : {std::size_t{16}, std::size_t{190}}) {
        auto sk = escrow::session_key::from_unsafe_bytes(pattern(size, size));
        auto w = file_wrap::wrap(sk, keys().authority.public_key(), escrow::default_random());
        auto got = authority_wrap::unwrap(w, key);
        REQUIRE(got);
        REQUIRE(same_result(got, file_wrap::unwrap(w, keys().authority)));
        for (const auto& v : variants(w)) {
            std::optional<escrow::session_key> a, b;
            const auto ea_ = error_kind([&] { a = authority_wrap::unwrap(v, key); });
            const auto eb = error_kind([&] { b = file_wrap::unwrap(v, keys().authority); });
            REQUIRE(ea_ == eb);
            REQUIRE(same_result(a, b));
            if (v.args.empty() && v.body != w.body) REQUIRE_FALSE(a);
        }
        REQUIRE_FALSE(authority_wrap::unwrap(w, other));  // another key: nothing, as the file wrap
        REQUIRE_FALSE(file_wrap::unwrap(w, keys().owner));
    }
}

TEST_CASE("The OpenSSL RSA PKCS#1 v1.5 wrap gives the Crypto++ one's bytes, stand-in keys of implicit rejection included",
          "[service][wrap][openssl]") {
    using file_wrap = escrow::wrap::rsa_pkcs1v15;
    using ossl_wrap = es::openssl_rsa_pkcs1v15;
    const auto key = es::openssl_rsa_private_key::load(keys().authority.unsafe_der().unsafe_bytes());
    const auto other = es::openssl_rsa_private_key::from_key(keys().owner);
    auto sk = escrow::session_key::from_unsafe_bytes(pattern(32, 7));
    auto w = file_wrap::wrap(sk, keys().authority.public_key(), escrow::default_random());
    auto short_key = file_wrap::wrap(escrow::session_key::from_unsafe_bytes(pattern(16, 3)), keys().authority.public_key(),
                                     escrow::default_random());  // well padded, the wrong length for 32
    int stand_ins = 0;
    for (const auto& base : {w, short_key})
        for (const auto& v : variants(base))
            for (std::optional<std::size_t> expected : {std::optional<std::size_t>{}, std::optional<std::size_t>{32},
                                                        std::optional<std::size_t>{16}, std::optional<std::size_t>{300}}) {
                std::optional<escrow::session_key> a, b;
                const auto ea_ = error_kind([&] { a = expected ? ossl_wrap::unwrap(v, key, *expected) : ossl_wrap::unwrap(v, key); });
                const auto eb = error_kind([&] {
                    b = expected ? file_wrap::unwrap(v, keys().authority, *expected) : file_wrap::unwrap(v, keys().authority);
                });
                REQUIRE(ea_ == eb);
                REQUIRE(same_result(a, b));
                if (a && v.body != w.body && v.body != short_key.body) ++stand_ins;
            }
    REQUIRE(stand_ins > 0);  // tampered blocks below the modulus gave stand-ins, the same ones
    REQUIRE(same_result(ossl_wrap::unwrap(w, key, 32), std::optional<escrow::session_key>(sk.clone())));
    // Another key of the same size: the same answer from both (nothing, or the same stand-in).
    REQUIRE(same_result(ossl_wrap::unwrap(w, other, 32), file_wrap::unwrap(w, keys().owner, 32)));
}

TEST_CASE("A key in OpenSSL gives the audit key of the same key in a file, and bad key files are refused with bad_key",
          "[service][wrap][openssl]") {
    const auto key = es::openssl_rsa_private_key::from_key(keys().authority);
    const auto fp = keys().authority.public_key().fingerprint();
    auto from_file = ea::audit_signing_key::derive_if<escrow::wrap::rsa_oaep_sha256>(keys().authority, fp);
    auto from_openssl = ea::audit_signing_key::derive_if<es::openssl_rsa_oaep_sha256>(key, fp);
    auto from_openssl_v15 = ea::audit_signing_key::derive_if<es::openssl_rsa_pkcs1v15>(key.clone(), fp);
    REQUIRE(from_file);
    REQUIRE(from_openssl);
    REQUIRE(from_openssl->public_key().der() == from_file->public_key().der());
    REQUIRE(from_openssl_v15->public_key().der() == from_file->public_key().der());

    auto der = keys().authority.unsafe_der();
    escrow::bytes longer(der.unsafe_bytes().begin(), der.unsafe_bytes().end());
    longer.push_back(0);
    escrow::bytes cut(der.unsafe_bytes().begin(), der.unsafe_bytes().end() - 10);
    CHECK(error_kind([&] { (void)es::openssl_rsa_private_key::from_der(longer); }) == escrow::errc::bad_key);
    CHECK(error_kind([&] { (void)es::openssl_rsa_private_key::from_der(cut); }) == escrow::errc::bad_key);
    CHECK(error_kind([&] { (void)es::openssl_rsa_private_key::load(escrow::as_bytes(std::string_view("not a key"))); }) ==
          escrow::errc::bad_key);
    const std::string pub_pem = keys().authority.public_key().pem();
    CHECK(error_kind([&] { (void)es::openssl_rsa_private_key::load(escrow::as_bytes(pub_pem)); }) == escrow::errc::bad_key);
    // The same integers but a changed prime: OpenSSL's pairwise check refuses the key.
    CryptoPP::RSA::PrivateKey broken = keys().authority.cryptopp();
    broken.SetPrime1(broken.GetPrime1() + 2);
    CryptoPP::ByteQueue q;
    broken.DEREncodePrivateKey(q);
    escrow::bytes pkcs1(static_cast<std::size_t>(q.MaxRetrievable()));
    q.Get(pkcs1.data(), pkcs1.size());
    CHECK(error_kind([&] { (void)es::openssl_rsa_private_key::from_der(pkcs1); }) == escrow::errc::bad_key);
}
