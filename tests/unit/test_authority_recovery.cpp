// SPDX-License-Identifier: MIT
/// @file
/// The backup authority's recovery: officer quorums (fixed and run-time), replay, expiry, addressing
/// and revocation, a caller-supplied identity check, deposits, the request and blob encodings, and
/// the owner's side of recovery.

#include "authority_support.hpp"

#include <escrow/authority/sqlite_repository.hpp>

#include <iterator>
#include <optional>
#include <string>
#include <type_traits>

using namespace escrow_test;
using escrow::errc;

// ---- recovery with an officer quorum ---------------------------------------------------------------

// The granted recovery itself (K signatures, the file opening with the new key, the audit entry)
// runs on every repository in test_authority_conformance.cpp ("An authority deposits, recovers,
// refuses, revokes and audits alike on every repository").

TEST_CASE("Recovery is refused with K-1 signatures, a doubled officer, an unregistered officer, or a signature over "
          "another request",
          "[authority][quorum]") {
    ea::memory_repository repo;
    quorum_setup<ea::memory_repository> s(repo);
    auto f = make_file("REFUSE-1");
    s.authority.deposit(f.records.front());
    auto req = s.request("REFUSE-1");

    SECTION("K-1 signatures") {
        auto r = reason_of([&] { (void)s.authority.recover(req, sign_by(req, {1})); });
        CHECK_THAT(r, Catch::StartsWith("[escrow.identity_rejected]") && Catch::Contains("needs the signatures of 2 distinct registered officers and has 1"));
    }
    SECTION("one officer counted twice") {
        auto r = reason_of([&] { (void)s.authority.recover(req, sign_by(req, {1, 1})); });
        CHECK_THAT(r, Catch::Contains("identity_rejected") && Catch::Contains("'oscar' signed more than once"));
    }
    SECTION("an unregistered officer") {
        auto r = reason_of([&] { (void)s.authority.recover(req, sign_by(req, {0, 3})); });
        CHECK_THAT(r, Catch::Contains("identity_rejected") && Catch::Contains("unregistered key"));
    }
    SECTION("a signature over a different request") {
        auto other = s.request("REFUSE-1");  // same serial, another nonce
        auto sigs = sign_by(req, {0});
        sigs.push_back(ea::officer_signature::sign(other, officer_keys()[1]));
        auto r = reason_of([&] { (void)s.authority.recover(req, sigs); });
        CHECK_THAT(r, Catch::Contains("identity_rejected") && Catch::Contains("'oscar' signed a different request"));
    }
    SECTION("a forged signature naming the right request digest") {
        auto sigs = sign_by(req, {0, 1});
        sigs[1].signature[5] ^= 1;
        CHECK_ESCROW_ERROR((void)s.authority.recover(req, sigs), errc::identity_rejected);
    }
    // Every refusal is audited, and the chain stays valid.
    auto log = s.authority.audit_log();
    REQUIRE(!log.empty());
    CHECK(log.back().kind == ea::audit_kind::recovery);
    CHECK(log.back().outcome == ea::audit_outcome::refused);
    CHECK_THAT(log.back().reason, Catch::Contains("identity_rejected"));
    CHECK(s.authority.verify_audit().valid);
    // And a refusal does not burn the request: with the quorum, it is granted.
    CHECK(s.authority.recover(req, sign_by(req, {0, 1})).serial == "REFUSE-1");
}

TEST_CASE("A replayed request and an expired request are refused", "[authority][quorum]") {
    ea::memory_repository repo;
    quorum_setup<ea::memory_repository> s(repo);
    s.authority.deposit(make_file("REPLAY-1").records.front());

    auto req = s.request("REPLAY-1");
    auto sigs = sign_by(req, {0, 1});
    (void)s.authority.recover(req, sigs);
    auto r = reason_of([&] { (void)s.authority.recover(req, sigs); });
    CHECK_THAT(r, Catch::StartsWith("[escrow.identity_rejected]") && Catch::Contains("replayed"));

    auto late = s.request("REPLAY-1", t0 + 10);
    auto late_sigs = sign_by(late, {0, 1});
    s.authority.set_clock([] { return t0 + 11; });
    r = reason_of([&] { (void)s.authority.recover(late, late_sigs); });
    CHECK_THAT(r, Catch::StartsWith("[escrow.identity_rejected]") && Catch::Contains("expired"));
    s.authority.set_clock([] { return t0 + 10; });  // the last second of its validity
    CHECK(s.authority.recover(late, late_sigs).serial == "REPLAY-1");
}

TEST_CASE("A request addressed to another authority, or for an unknown serial, is refused", "[authority]") {
    ea::memory_repository repo;
    quorum_setup<ea::memory_repository> s(repo);
    s.authority.deposit(make_file("ADDR-1").records.front());
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(
        "ADDR-1", keys().new_owner.public_key(), keys().authority2.public_key().fingerprint(), t0 + 60);
    CHECK_ESCROW_ERROR((void)s.authority.recover(req, sign_by(req, {0, 1})), errc::identity_rejected);
    auto missing = s.request("NO-SUCH-SERIAL");
    CHECK_ESCROW_ERROR((void)s.authority.recover(missing, sign_by(missing, {0, 1})), errc::not_found);
}

TEST_CASE("A revoked record cannot be recovered", "[authority][revoke]") {
    ea::memory_repository repo;
    quorum_setup<ea::memory_repository> s(repo);
    s.authority.deposit(make_file("REVOKE-1").records.front());
    CHECK(s.authority.revoke("REVOKE-1"));
    CHECK_FALSE(s.authority.revoke("REVOKE-1"));
    CHECK(s.authority.find("REVOKE-1")->status == ea::record_status::revoked);
    auto req = s.request("REVOKE-1");
    auto r = reason_of([&] { (void)s.authority.recover(req, sign_by(req, {0, 1})); });
    CHECK_THAT(r, Catch::StartsWith("[escrow.identity_rejected]") && Catch::Contains("revoked"));
    CHECK_ESCROW_ERROR(s.authority.revoke("NOPE"), errc::not_found);
}

TEST_CASE("A caller-supplied identity check grants and refuses with its reason", "[authority][caller_check]") {
    ea::memory_repository repo;
    bool ticket_open = false;
    ea::caller_check<> check(
        [&](const ea::recovery_request& r, std::span<const ea::officer_signature>) {
            return ticket_open ? ea::identity_verdict::grant("ticket HD-42 for " + r.serial)
                               : ea::identity_verdict::refuse("no open help-desk ticket");
        },
        "help-desk");
    rsa_authority<ea::memory_repository, ea::caller_check<>> authority(repo, check, keys().authority.clone());
    auto f = make_file("CALLER-1");
    authority.deposit(f.records.front());
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("CALLER-1", keys().new_owner.public_key(),
                                                                        authority.fingerprint(), escrow::authority::unix_now() + 60);
    auto r = reason_of([&] { (void)authority.recover(req, {}); });
    CHECK_THAT(r, Catch::StartsWith("[escrow.identity_rejected]") && Catch::Contains("no open help-desk ticket"));
    ticket_open = true;
    auto blob = authority.recover(req, {});
    CHECK(apply_and_decrypt(scratch("caller"), f.file, blob) == escrow_test::pattern(3000, 8));
    CHECK(authority.audit_log().back().actor == "help-desk: ticket HD-42 for CALLER-1");
}

// ---- deposits ------------------------------------------------------------------------------------

TEST_CASE("Depositing the same record again changes nothing, and a different record under a taken serial is refused",
          "[authority][deposit]") {
    ea::memory_repository repo;
    quorum_setup<ea::memory_repository> s(repo);
    auto a = make_file("DUP-1"), b = make_file("DUP-1");
    REQUIRE(s.authority.deposit(a.records.front()) == ea::deposit_result::stored);
    auto entries = s.authority.audit_log().size();
    CHECK(s.authority.deposit(a.records.front()) == ea::deposit_result::already_present);
    CHECK(s.authority.audit_log().size() == entries);
    CHECK_ESCROW_ERROR(s.authority.deposit(b.records.front()), errc::invalid_argument);
    CHECK(s.authority.audit_log().back().outcome == ea::audit_outcome::refused);
    // The first record is still the one stored.
    CHECK(s.authority.find("DUP-1")->record.unverified_value().encode() == a.records.front().encode());
    CHECK(s.authority.list().size() == 1);
    CHECK(s.authority.list("alice@example.org").size() == 1);
    CHECK(s.authority.list("bob@example.org").empty());
}

TEST_CASE("Deposits of records the authority cannot handle are refused", "[authority][deposit]") {
    ea::memory_repository repo;
    quorum_setup<ea::memory_repository> s(repo);
    auto other = escrow_test::encrypt(escrow_test::pattern(10), keys().owner, {&keys().authority2},
                                      escrow_test::sample_info("OTHER-1"));
    CHECK_ESCROW_ERROR(s.authority.deposit(other.records.front()), errc::bad_key);
    auto rec = make_file("ODD-1").records.front();
    auto unknown_store = rec;
    unknown_store.store_id = 0x7777;
    CHECK_ESCROW_ERROR(s.authority.deposit(unknown_store), errc::unknown_policy_id);
    auto unknown_cipher = rec;
    unknown_cipher.cipher_id = 0x01FF;  // in the library's range, but no cipher of the library has it
    CHECK_ESCROW_ERROR(s.authority.deposit(unknown_cipher), errc::unknown_policy_id);
    auto broken_blob = rec;
    broken_blob.wrapped_key.push_back(0);
    CHECK_ESCROW_ERROR(s.authority.deposit(broken_blob), errc::trailing_data);
    CHECK(s.authority.list().empty());
}

// ---- encodings ---------------------------------------------------------------------------------------

TEST_CASE("Requests, signatures and owner blobs round-trip and reject malformed input", "[authority][encoding]") {
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("ENC-1", keys().new_owner.public_key(),
                                                                        keys().authority.public_key().fingerprint(), t0);
    auto enc = req.encode();
    CHECK(ea::recovery_request::decode(enc).encode() == enc);
    CHECK(req.nonce.size() == 32);
    auto bad = enc;
    bad.push_back(0);
    CHECK_ESCROW_ERROR((void)ea::recovery_request::decode(bad), errc::trailing_data);
    bad = enc;
    bad[8] = 3;
    CHECK_ESCROW_ERROR((void)ea::recovery_request::decode(bad), errc::unsupported_version);
    CHECK_ESCROW_ERROR((void)ea::recovery_request::decode(escrow::byte_view(enc).first(enc.size() - 3)), errc::malformed_blob);
    CHECK_ESCROW_ERROR((void)ea::recovery_request::decode(escrow::bytes(30 * 1024)), errc::limit_exceeded);
    auto short_nonce = req;
    short_nonce.nonce.resize(15);
    CHECK_ESCROW_ERROR((void)short_nonce.encode(), errc::invalid_argument);

    auto sig = ea::officer_signature::sign(req, officer_keys()[0]);
    CHECK(sig.verifies(req));
    auto sig2 = ea::officer_signature::decode(sig.encode());
    CHECK(sig2.verifies(req));
    CHECK(sig2.encode() == sig.encode());
    auto other = req;
    other.expires += 1;
    CHECK_FALSE(sig.verifies(other));

    // Officer keys survive their PEM forms.
    const auto& k = officer_keys()[1];
    const escrow::private_key_encoding pem = k.unsafe_pem();
    auto k2 = ea::officer_private_key::load(pem.unsafe_bytes());
    CHECK(k2.public_key() == k.public_key());
    CHECK(ea::officer_public_key::load(escrow::as_bytes(k.public_key().pem())) == k.public_key());
    CHECK_ESCROW_ERROR((void)ea::officer_public_key::load(escrow::as_bytes(keys().owner.public_key().pem())), errc::bad_key);

    ea::owner_blob ob{"ENC-1", 0x0101, 0x0201, 0x0301, {1, 2, 3}};
    auto obe = ob.encode();
    CHECK(ea::owner_blob::decode(obe).encode() == obe);
    obe[0] ^= 1;
    CHECK_ESCROW_ERROR((void)ea::owner_blob::decode(obe), errc::malformed_blob);
}

// ---- the owner's side ----------------------------------------------------------------------------

TEST_CASE("Applying an owner blob made for another file is refused and leaves the file untouched", "[authority][rewrap]") {
    fs::path dir = scratch("wrong-blob");
    ea::memory_repository repo;
    quorum_setup<ea::memory_repository> s(repo);
    auto a = make_file("FILE-A"), b = make_file("FILE-B");
    s.authority.deposit(a.records.front());
    s.authority.deposit(b.records.front());
    auto req = s.request("FILE-B");
    auto blob_b = s.authority.recover(req, sign_by(req, {0, 1}));

    fs::path p = dir / "a.enc";
    {
        std::ofstream o(p, std::ios::binary);
        o.write(reinterpret_cast<const char*>(a.file.data()), static_cast<std::streamsize>(a.file.size()));
    }
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<escrow::native_encryptor>(p, blob_b, keys().new_owner),
                       errc::authentication_failed);
    escrow::file_source in(p);
    CHECK(escrow::read_all(in, 1 << 24) == a.file);
    // The right blob with the wrong private key is refused too.
    auto req_a = s.request("FILE-A");
    auto blob_a = s.authority.recover(req_a, sign_by(req_a, {0, 1}));
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<escrow::native_encryptor>(p, blob_a, keys().stranger),
                       errc::authentication_failed);
    // Nothing but the file in the directory: no temporary file left behind.
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1);
    // The right one succeeds and keeps the file's permission bits.
    ea::apply_owner_blob_in_place<escrow::native_encryptor>(p, blob_a, keys().new_owner);
    CHECK(fs::status(p).permissions() == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
    escrow::file_source in2(p);
    CHECK(escrow_test::decrypt(escrow::read_all(in2, 1 << 24), keys().new_owner) == escrow_test::pattern(3000, 6));
}

// ---- run-time quorums ----------------------------------------------------------------------------

TEST_CASE("A run-time quorum counts like officer_quorum and refuses zero", "[authority][quorum]") {
    CHECK_ESCROW_ERROR(ea::dynamic_officer_quorum(0), errc::invalid_argument);
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::rsa_oaep_sha256, ea::memory_repository, ea::dynamic_officer_quorum> a(
        repo, ea::dynamic_officer_quorum(3), keys().authority.clone());
    const char* names[] = {"olivia", "oscar", "opal"};
    for (int i = 0; i < 3; ++i) a.register_officer(names[i], officer_keys()[static_cast<std::size_t>(i)].public_key());
    a.deposit(make_file("DYN-1").records.front());
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("DYN-1", keys().new_owner.public_key(),
                                                                        a.fingerprint(), ea::unix_now() + 60);
    CHECK_ESCROW_ERROR((void)a.recover(req, sign_by(req, {0, 1})), errc::identity_rejected);
    CHECK(a.recover(req, sign_by(req, {0, 1, 2})).serial == "DYN-1");
    CHECK_ESCROW_ERROR(a.register_officer("olivia", officer_keys()[3].public_key()), errc::invalid_argument);
    CHECK_ESCROW_ERROR(a.register_officer("otto", officer_keys()[0].public_key()), errc::invalid_argument);
    CHECK_ESCROW_ERROR(a.register_officer("bad,name", officer_keys()[3].public_key()), errc::invalid_argument);
}

// ---- requests bind the record's hash -------------------------------------------------------------

TEST_CASE("A request made from a record binds its hash (version 2); one made from a serial alone is version 1, and both "
          "decode back to the same bytes",
          "[authority][encoding][record_hash]") {
    auto f = make_file("HASH-1");
    const auto& rec = f.records.front();
    auto v2 = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(rec, keys().new_owner.public_key(), t0);
    REQUIRE(v2.record_hash.has_value());
    CHECK(*v2.record_hash == escrow::sha256(rec.encode()));
    CHECK(v2.serial == "HASH-1");
    CHECK(v2.authority_fingerprint == rec.authority_fingerprint);
    auto e2 = v2.encode();
    CHECK(escrow::le::get<std::uint16_t>(e2.data() + 8) == 2);
    auto d2 = ea::recovery_request::decode(e2);
    REQUIRE(d2.record_hash.has_value());
    CHECK(*d2.record_hash == *v2.record_hash);
    CHECK(d2.encode() == e2);

    auto v1 = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("HASH-1", keys().new_owner.public_key(),
                                                                       rec.authority_fingerprint, t0);
    auto e1 = v1.encode();
    CHECK(escrow::le::get<std::uint16_t>(e1.data() + 8) == 1);
    CHECK(e1.size() + 32 == e2.size());
    auto d1 = ea::recovery_request::decode(e1);
    CHECK_FALSE(d1.record_hash.has_value());
    CHECK(d1.encode() == e1);  // an officer's signature over a version 1 request still checks

    // A version 2 request cut short where its hash would be, and a record of another wrap.
    auto cut = e1;
    cut[8] = 2;
    CHECK_ESCROW_ERROR((void)ea::recovery_request::decode(cut), errc::malformed_blob);
    CHECK_ESCROW_ERROR((void)ea::recovery_request::make<escrow::wrap::x25519>(rec, escrow::x25519_private_key::generate().public_key(), t0),
                       errc::unknown_policy_id);
}

TEST_CASE("A request signed for one record is refused once another record took its place under the serial",
          "[authority][record_hash][hardening]") {
    ea::memory_repository repo;
    quorum_setup<ea::memory_repository> s(repo);
    rsa_authority<ea::memory_repository, ea::officer_quorum<2>> keyless(repo, {}, keys().authority.public_key());
    keyless.set_clock([] { return t0; });
    auto f = make_file("VOID-1");
    const auto& genuine = f.records.front();
    escrow::escrow_record squatter = genuine;  // a forgery deposited first, as a squatter would
    squatter.mac[0] ^= 0x01;
    REQUIRE(keyless.deposit(squatter) == ea::deposit_result::stored);

    // The officers are shown the stored record (the squatter's) and sign a request for it.
    auto shown = keyless.find("VOID-1")->record.unverified_value();
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(shown, keys().new_owner.public_key(), t0 + 3600);
    auto sigs = sign_by(req, {0, 1});

    REQUIRE(s.authority.deposit(genuine) == ea::deposit_result::replaced);
    auto r = reason_of([&] { (void)s.authority.recover(req, sigs); });
    CHECK_THAT(r, Catch::StartsWith("[escrow.identity_rejected]") && Catch::Contains("another record under serial 'VOID-1'") &&
                      Catch::Contains("replaced"));
    auto log = s.authority.audit_log();
    CHECK(log.back().kind == ea::audit_kind::recovery);
    CHECK(log.back().outcome == ea::audit_outcome::refused);
    CHECK_THAT(log.back().reason, Catch::Contains("another record"));

    // A request for the record now stored is granted.
    auto req2 = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(s.authority.find("VOID-1")->record.unverified_value(),
                                                                         keys().new_owner.public_key(), t0 + 3600);
    CHECK(s.authority.recover(req2, sign_by(req2, {0, 1})).serial == "VOID-1");
}

// ---- the audit signing key -------------------------------------------------------------------------

TEST_CASE("The audit signing key is derived from the authority key alone, whatever file it came from",
          "[authority][audit][audit_key]") {
    namespace w = escrow::wrap;
    const auto fp = keys().authority.public_key().fingerprint();
    auto a = ea::audit_signing_key::derive<w::rsa_oaep_sha256>(keys().authority, fp).public_key();
    CHECK(ea::audit_signing_key::derive<w::rsa_oaep_sha256>(keys().authority.clone(), fp).public_key() == a);
    // PKCS#8 and PKCS#1 files of one key give one audit key.
    const auto pkcs8 = keys().authority.unsafe_der();
    auto k8 = escrow::rsa_private_key::from_der(pkcs8.unsafe_bytes());
    CHECK(ea::audit_signing_key::derive<w::rsa_oaep_sha256>(k8, fp).public_key() == a);
    // One RSA key is one authority (one fingerprint) under either RSA wrap.
    CHECK(ea::audit_signing_key::derive<w::rsa_pkcs1v15>(keys().authority, fp).public_key() == a);
    // Another key, or another salt, another audit key.
    CHECK_FALSE(ea::audit_signing_key::derive<w::rsa_oaep_sha256>(keys().authority2, keys().authority2.public_key().fingerprint())
                    .public_key() == a);
    CHECK_FALSE(ea::audit_signing_key::derive<w::rsa_oaep_sha256>(keys().authority, escrow::digest256{}).public_key() == a);
    // X25519 (a scalar differing only in clamped bits is the same key) and ssh-rsa derive too.
    auto x = escrow::x25519_private_key::generate();
    escrow::bytes raw(x.unsafe_bytes().begin(), x.unsafe_bytes().end());
    raw[0] ^= 0x07;
    escrow::x25519_private_key x2(raw);
    escrow::scoped_wipe wipe(raw);
    CHECK(ea::audit_signing_key::derive<w::x25519>(x, {}).public_key() == ea::audit_signing_key::derive<w::x25519>(x2, {}).public_key());
    escrow::ssh_rsa_private_key ssh(keys().authority.clone());
    CHECK(ea::audit_signing_key::derive<w::ssh_rsa>(ssh, fp).public_key() == a);
    STATIC_REQUIRE(ea::audit_key_derivable<w::rsa_oaep_sha256>);
    STATIC_REQUIRE(ea::audit_key_derivable<w::x25519>);
    STATIC_REQUIRE(ea::audit_key_derivable<w::ssh_rsa>);
}

TEST_CASE("Signed audit heads round-trip and reject malformed input", "[authority][audit][encoding]") {
    const auto fp = keys().authority.public_key().fingerprint();
    auto key = ea::audit_signing_key::derive<escrow::wrap::rsa_oaep_sha256>(keys().authority, fp);
    auto h = ea::signed_audit_head::sign(7, escrow::sha256(escrow::bytes{1}), fp, t0, key);
    auto e = h.encode();
    CHECK(e.size() == ea::signed_audit_head::encoded_size);
    auto d = ea::signed_audit_head::decode(e);
    CHECK(d.encode() == e);
    CHECK(d.verifies(key.public_key()));
    d.seq = 8;
    CHECK_FALSE(d.verifies(key.public_key()));
    auto bad = e;
    bad.push_back(0);
    CHECK_ESCROW_ERROR((void)ea::signed_audit_head::decode(bad), errc::trailing_data);
    bad = e;
    bad[8] = 2;
    CHECK_ESCROW_ERROR((void)ea::signed_audit_head::decode(bad), errc::unsupported_version);
    CHECK_ESCROW_ERROR((void)ea::signed_audit_head::decode(escrow::byte_view(e).first(100)), errc::malformed_blob);
}
