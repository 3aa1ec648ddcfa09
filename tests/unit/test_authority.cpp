// SPDX-License-Identifier: MIT
/// @file
/// The backup authority: deposits, identity-checked recovery with officer quorums, revocation,
/// tamper detection in the database, the audit chain, durability under SIGKILL and concurrent
/// writers, and the owner's side of recovery.

#include "test_support.hpp"

#include <escrow/authority/apply_owner_blob.hpp>
#include <escrow/authority/sqlite_repository.hpp>
#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/hana/tuple.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace ea = escrow::authority;
using escrow::errc;
using escrow_test::keys;

namespace {

constexpr std::uint64_t t0 = 1'800'000'000;  // the tests' "now"

/// A scratch directory under the test's working directory, emptied first.
fs::path scratch(const std::string& name) {
    fs::path p = fs::current_path() / ("authority-scratch-" + name);
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

/// Three officers' key pairs, made once.
const std::vector<ea::officer_private_key>& officer_keys() {
    static const std::vector<ea::officer_private_key> k = [] {
        std::vector<ea::officer_private_key> v;
        for (int i = 0; i < 4; ++i) v.push_back(ea::officer_private_key::generate());
        return v;
    }();
    return k;
}

/// A native file and its record for `serial`.
escrow_test::encrypted make_file(const std::string& serial, std::size_t size = 3000) {
    return escrow_test::encrypt(escrow_test::pattern(size, serial.size()), keys().owner, {&keys().authority},
                                escrow_test::sample_info(serial));
}

/// Runs a statement on the database file directly, as an attacker with write access would.
void tamper_sql(const fs::path& db, const std::string& sql, escrow::byte_view blob = {}, bool changes_rows = true) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    if (!blob.empty()) sqlite3_bind_blob(st, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(st) == SQLITE_DONE);
    if (changes_rows) REQUIRE(sqlite3_changes(raw) >= 1);
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

template <class Repo, class Policy>
using rsa_authority = ea::backup_authority<escrow::wrap::rsa_oaep_sha256, Repo, Policy>;

/// An authority with a repository of type Repo, a 2-of-n officer quorum, three registered officers
/// (0, 1, 2; officer 3 is not registered) and the tests' clock.
template <class Repo>
struct quorum_setup {
    Repo& repo;
    rsa_authority<Repo, ea::officer_quorum<2>> authority;

    explicit quorum_setup(Repo& r) : repo(r), authority(r, {}, keys().authority.clone()) {
        authority.set_clock([] { return t0; });
        const char* names[] = {"olivia", "oscar", "opal"};
        if (authority.officers().empty())  // a repository opened again keeps its officers
            for (int i = 0; i < 3; ++i) authority.register_officer(names[i], officer_keys()[i].public_key());
    }

    ea::recovery_request request(const std::string& serial, std::uint64_t expires = t0 + 3600) {
        return ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(
            serial, keys().new_owner.public_key(), authority.fingerprint(), expires);
    }
};

std::vector<ea::officer_signature> sign_by(const ea::recovery_request& r, std::initializer_list<int> who) {
    std::vector<ea::officer_signature> out;
    for (int i : who) out.push_back(ea::officer_signature::sign(r, officer_keys()[static_cast<std::size_t>(i)]));
    return out;
}

/// Applies a recovered owner blob to `file` through a temporary file and decrypts with the new key.
escrow::bytes apply_and_decrypt(const fs::path& dir, const escrow::bytes& file, const ea::owner_blob& blob) {
    fs::path p = dir / "file.enc";
    {
        std::ofstream o(p, std::ios::binary | std::ios::trunc);
        o.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    }
    ea::apply_owner_blob_in_place<escrow::native_encryptor>(p, ea::owner_blob::decode(blob.encode()), keys().new_owner);
    escrow::file_source in(p);
    return escrow_test::decrypt(escrow::read_all(in, 1 << 24), keys().new_owner);
}

std::string reason_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const escrow::error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

// ---- recovery with an officer quorum ---------------------------------------------------------------

TEMPLATE_TEST_CASE("Recovery is granted with K valid officer signatures and the owner's file opens with the new key",
                   "[authority][quorum]", ea::memory_repository, ea::sqlite_repository) {
    fs::path dir = scratch("granted");
    std::optional<TestType> repo_holder;
    if constexpr (std::is_same_v<TestType, ea::sqlite_repository>) repo_holder.emplace(dir / "authority.db");
    else repo_holder.emplace();
    quorum_setup<TestType> s(*repo_holder);

    auto f = make_file("GRANT-1");
    REQUIRE(s.authority.deposit(f.records.front()) == ea::deposit_result::stored);
    auto req = s.request("GRANT-1");
    auto sigs = sign_by(req, {0, 2});
    ea::owner_blob blob = s.authority.recover(req, sigs);
    CHECK(blob.serial == "GRANT-1");
    CHECK(blob.store_id == escrow::store::native::id);

    // The old owner key no longer opens the rewritten file; the new one does, with the same plaintext.
    CHECK(apply_and_decrypt(dir, f.file, blob) == escrow_test::pattern(3000, 7));
    escrow::file_source in(dir / "file.enc");
    auto rewritten = escrow::read_all(in, 1 << 24);
    CHECK_ESCROW_ERROR(escrow_test::decrypt(rewritten, keys().owner), errc::no_matching_key);

    auto log = s.authority.audit_log();
    REQUIRE(!log.empty());
    CHECK(log.back().kind == ea::audit_kind::recovery);
    CHECK(log.back().outcome == ea::audit_outcome::granted);
    CHECK(log.back().actor == "officers olivia, opal");
    CHECK(s.authority.verify_audit().valid);
}

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
        CHECK_THAT(r, Catch::StartsWith("[escrow.identity_rejected]") && Catch::Contains("1 of the 2"));
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
    CHECK(s.authority.find("DUP-1")->record.encode() == a.records.front().encode());
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

TEST_CASE("A repository is bound to one authority key", "[authority][sqlite]") {
    fs::path dir = scratch("bind");
    ea::sqlite_repository repo(dir / "a.db");
    rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
    using other_t = rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>>;
    CHECK_ESCROW_ERROR(other_t(repo, {}, keys().authority2.clone()), errc::bad_key);
    CHECK_NOTHROW(other_t(repo, {}, keys().authority.clone()));
    // Opened with its public key only, it cannot recover.
    a.register_officer("olivia", officer_keys()[0].public_key());
    a.deposit(make_file("PUB-1").records.front());
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("PUB-1", keys().new_owner.public_key(),
                                                                        a.fingerprint(), ea::unix_now() + 60);
    CHECK_ESCROW_ERROR((void)a.recover(req, sign_by(req, {0})), errc::bad_key);
}

TEST_CASE("A new SQLite database is created private, with its WAL files, and an existing one keeps its mode",
          "[authority][sqlite]") {
    fs::path dir = scratch("mode");
    const mode_t old = ::umask(022);
    {
        ea::sqlite_repository repo(dir / "new.db");
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
        a.register_officer("olivia", officer_keys()[0].public_key());
        for (const char* name : {"new.db", "new.db-wal", "new.db-shm"}) {
            CAPTURE(name);
            REQUIRE(fs::exists(dir / name));
            CHECK((fs::status(dir / name).permissions() & fs::perms::all) ==
                  (fs::perms::owner_read | fs::perms::owner_write));
        }
    }
    { std::ofstream(dir / "shared.db").flush(); }
    fs::permissions(dir / "shared.db", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                           fs::perms::group_write);
    {
        ea::sqlite_repository repo(dir / "shared.db");
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
    }
    ::umask(old);
    CHECK((fs::status(dir / "shared.db").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::group_write));
}

// ---- tampering in the database -------------------------------------------------------------------

TEST_CASE("Record metadata changed in the SQLite file is detected at recovery", "[authority][sqlite][tamper]") {
    fs::path dir = scratch("metadata");
    fs::path db = dir / "authority.db";
    auto f = make_file("META-1");
    {
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        s.authority.deposit(f.records.front());
    }
    SECTION("the description inside the stored record") {
        auto changed = f.records.front();
        changed.info.description = "nothing to see here";
        tamper_sql(db, "UPDATE records SET encoded = ?1 WHERE serial = 'META-1'", changed.encode());
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        auto req = s.request("META-1");
        auto r = reason_of([&] { (void)s.authority.recover(req, sign_by(req, {0, 1})); });
        CHECK_THAT(r, Catch::StartsWith("[escrow.authentication_failed]") && Catch::Contains("MAC"));
        CHECK(s.authority.audit_log().back().outcome == ea::audit_outcome::refused);
    }
    SECTION("the owner column beside it") {
        tamper_sql(db, "UPDATE records SET owner = 'mallory@example.org' WHERE serial = 'META-1'");
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        auto req = s.request("META-1");
        CHECK_ESCROW_ERROR((void)s.authority.recover(req, sign_by(req, {0, 1})), errc::authentication_failed);
    }
    SECTION("revoked, then set active again") {
        {
            ea::sqlite_repository repo(db);
            quorum_setup<ea::sqlite_repository> s(repo);
            s.authority.revoke("META-1");
        }
        tamper_sql(db, "UPDATE records SET status = 1 WHERE serial = 'META-1'");
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        // The status flip itself is not in the record's MAC; the audit chain still tells it:
        // the revocation entry stays in the log (and deleting it breaks the chain).
        auto log = s.authority.audit_log();
        CHECK(std::any_of(log.begin(), log.end(), [](const ea::audit_entry& e) { return e.kind == ea::audit_kind::revocation && e.serial == "META-1"; }));
        CHECK(s.authority.verify_audit().valid);
    }
}

TEST_CASE("verify_audit detects a deleted, an edited, an inserted and a truncated entry in the SQLite file",
          "[authority][sqlite][audit]") {
    fs::path dir = scratch("audit");
    fs::path db = dir / "authority.db";
    {
        ea::sqlite_repository repo(db);
        quorum_setup<ea::sqlite_repository> s(repo);
        for (int i = 0; i < 3; ++i) s.authority.deposit(make_file("AUDIT-" + std::to_string(i)).records.front());
        s.authority.revoke("AUDIT-1");
        auto rep = s.authority.verify_audit();
        REQUIRE(rep.valid);
        REQUIRE(rep.entries == 8);  // bind-key, 3 officers, 3 deposits, 1 revocation
    }
    auto verify = [&] {
        ea::sqlite_repository repo(db);
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<2>> a(repo, {}, keys().authority.clone());
        return a.verify_audit();
    };
    SECTION("a deleted row") {
        tamper_sql(db, "DELETE FROM audit WHERE seq = 5");
        auto rep = verify();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("entry 6") && Catch::Contains("deleted"));
    }
    SECTION("an edited row") {
        tamper_sql(db, "UPDATE audit SET outcome = 'refused' WHERE seq = 6");
        auto rep = verify();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("entry 6") && Catch::Contains("edited"));
    }
    SECTION("a row edited to a kind the authority never writes") {
        tamper_sql(db, "UPDATE audit SET kind = 'deposit-ish' WHERE seq = 6");
        CHECK_ESCROW_ERROR((void)verify(), errc::authentication_failed);
    }
    SECTION("an edited row with its hash recomputed") {
        // The attacker recomputes the edited entry's hash: the next entry's link breaks.
        ea::audit_entry e;
        {
            ea::sqlite_repository repo(db);
            rsa_authority<ea::sqlite_repository, ea::officer_quorum<2>> a(repo, {}, keys().authority.clone());
            e = a.audit_log().at(5);
        }
        e.actor = "someone else";
        tamper_sql(db, "UPDATE audit SET actor = 'someone else', hash = ?1 WHERE seq = 6", e.compute_hash());
        auto rep = verify();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("entry 7") && Catch::Contains("link"));
    }
    SECTION("the last row deleted") {
        tamper_sql(db, "DELETE FROM audit WHERE seq = 8");
        auto rep = verify();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("recorded head"));
    }
    SECTION("an inserted row") {
        tamper_sql(db, "INSERT INTO audit VALUES (9, 0, 'deposit', 'FAKE', 'x', 'stored', '', zeroblob(32), zeroblob(32))");
        CHECK_FALSE(verify().valid);
    }
}

TEST_CASE("A database with another schema version is refused", "[authority][sqlite]") {
    fs::path dir = scratch("schema");
    { ea::sqlite_repository repo(dir / "a.db"); }
    tamper_sql(dir / "a.db", "PRAGMA user_version = 7", {}, false);
    REQUIRE_ESCROW_ERROR(ea::sqlite_repository(dir / "a.db"), errc::unsupported_version);
    {
        std::ofstream o(dir / "not-a-db");
        o << "this is not an SQLite database, just text long enough to fill a header page................";
    }
    REQUIRE_ESCROW_ERROR(ea::sqlite_repository(dir / "not-a-db"), errc::io_error);
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
    bad[8] = 2;
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

// ---- durability and concurrency -------------------------------------------------------------------

namespace {

// In a child process: deposits records SERIAL-PREFIX-0, -1, ... into `db`, and after each
// deposit returns writes its serial and a newline to `fd`. Runs on a new thread so that its random
// generator is seeded afresh rather than copied from the parent by fork.
[[noreturn]] void child_depositor(const fs::path& db, const std::string& prefix, int count, int fd) {
    int status = 0;
    std::thread worker([&] {
        try {
            ea::sqlite_repository repo(db);
            rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.public_key());
            for (int i = 0; count < 0 || i < count; ++i) {
                std::string serial = prefix + "-" + std::to_string(i);
                auto f = escrow_test::encrypt(escrow::byte_view(), keys().owner, {&keys().authority},
                                              escrow_test::sample_info(serial));
                if (a.deposit(f.records.front()) != ea::deposit_result::stored) throw std::runtime_error("not stored");
                if (fd >= 0) {
                    std::string line = serial + "\n";
                    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) throw std::runtime_error("pipe");
                }
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child %s: %s\n", prefix.c_str(), e.what());
            status = 1;
        }
    });
    worker.join();
    ::_exit(status);
}

}  // namespace

TEST_CASE("Deposits that returned survive a SIGKILL in the middle of a stream of deposits", "[authority][sqlite][durability]") {
    fs::path dir = scratch("durability");
    fs::path db = dir / "authority.db";
    (void)keys();
    {
        ea::sqlite_repository repo(db);
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.clone());
    }
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto start = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        child_depositor(db, "KILL", -1, fds[1]);
    }
    ::close(fds[1]);
    // Read reported serials until 60 arrived, then kill the child wherever it is.
    std::vector<std::string> reported;
    std::string buf;
    char chunk[256];
    while (reported.size() < 200) {
        ssize_t n = ::read(fds[0], chunk, sizeof chunk);
        REQUIRE(n > 0);
        buf.append(chunk, static_cast<std::size_t>(n));
        for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
            reported.push_back(buf.substr(0, nl));
            buf.erase(0, nl + 1);
        }
    }
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    // Whatever the child reported before it died counts too.
    for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) buf.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
        reported.push_back(buf.substr(0, nl));
        buf.erase(0, nl + 1);
    }
    ::close(fds[0]);

    ea::sqlite_repository repo(db);
    CHECK(repo.integrity_check() == "ok");
    rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.clone());
    escrow::native_encryptor enc;
    for (const auto& serial : reported) {
        auto e = a.find(serial);
        REQUIRE(e.has_value());
        CHECK(e->status == ea::record_status::active);
        // Intact: the authority key unwraps it and the record's MAC verifies.
        CHECK_NOTHROW((void)enc.recover_session_key(e->record, keys().authority));
    }
    auto all = a.list();
    CHECK(all.size() >= reported.size());
    CHECK(all.size() <= reported.size() + 1);  // at most the deposit in flight when killed
    CHECK(a.verify_audit().valid);
    WARN("durability: " << reported.size() << " deposits reported before SIGKILL, " << all.size() << " stored, "
                        << escrow_test::seconds_since(start) << " s");
}

TEST_CASE("Four processes depositing 1,000 records each into one database lose and duplicate nothing",
          "[authority][sqlite][concurrency]") {
    fs::path dir = scratch("concurrency");
    fs::path db = dir / "authority.db";
    (void)keys();
    {
        ea::sqlite_repository repo(db);
        rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.clone());
    }
    constexpr int processes = 4, per_process = 1000;
    auto start = std::chrono::steady_clock::now();
    std::vector<pid_t> pids;
    for (int p = 0; p < processes; ++p) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) child_depositor(db, "P" + std::to_string(p), per_process, -1);
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    double elapsed = escrow_test::seconds_since(start);

    ea::sqlite_repository repo(db);
    CHECK(repo.integrity_check() == "ok");
    rsa_authority<ea::sqlite_repository, ea::officer_quorum<1>> a(repo, {}, keys().authority.clone());
    auto all = a.list();
    CHECK(all.size() == processes * per_process);
    std::set<std::string> serials;
    for (const auto& e : all) serials.insert(e.record.info.serial);
    std::set<std::string> expected;
    for (int p = 0; p < processes; ++p)
        for (int i = 0; i < per_process; ++i) {
            std::string serial = "P";
            serial += std::to_string(p);
            serial += '-';
            serial += std::to_string(i);
            expected.insert(serial);
        }
    CHECK(serials == expected);
    auto rep = a.verify_audit();
    CHECK(rep.valid);
    CHECK(rep.entries == 1 + processes * per_process);
    WARN("concurrency: " << processes << " x " << per_process << " deposits in " << elapsed << " s ("
                         << processes * per_process / elapsed << " deposits/s)");
}

// ---- other stores and run-time quorums ---------------------------------------------------------

namespace {

// The native format under a user-defined store id: the members the two test stores below keep.
template <std::uint16_t Id>
struct native_under_id {
    static constexpr std::uint16_t id = Id;
    template <class C, class W>
    static constexpr bool carries = escrow::store::native::carries<C, W>;
    template <class C, class W, escrow::byte_sink Sink>
    static void write_header(Sink& sink, escrow::file_header& h, const escrow::session_key& key) {
        escrow::store::native::write_header<C, W>(sink, h, key);
    }
    template <class C, class W, escrow::byte_source Source>
    static escrow::file_header read_header(Source& src) { return escrow::store::native::read_header<C, W>(src); }
    template <class C, class W>
    static bool verify_header(const escrow::file_header& h, const escrow::session_key& key) {
        return escrow::store::native::verify_header<C, W>(h, key);
    }
    template <class C, class W>
    static escrow::bytes encode_blob(const escrow::wrapped_key& w) { return escrow::store::native::encode_blob<C, W>(w); }
    template <class C, class W>
    static escrow::wrapped_key decode_blob(escrow::byte_view b) { return escrow::store::native::decode_blob<C, W>(b); }
};

// A user-defined store for the dispatch test: the native file layout, but its own id and its own
// blob format (a "TSTB" prefix and the native blob reversed), so a blob in the wrong format fails.
struct reversed_blob_store : native_under_id<0x8301> {
    static constexpr std::string_view name = "reversed-blob-test-store";
    template <class C, class W>
    static escrow::bytes encode_blob(const escrow::wrapped_key& w) {
        escrow::bytes b = escrow::store::native::encode_blob<C, W>(w);
        std::reverse(b.begin(), b.end());
        escrow::bytes out = {'T', 'S', 'T', 'B'};
        escrow::append(out, b);
        return out;
    }
    template <class C, class W>
    static escrow::wrapped_key decode_blob(escrow::byte_view b) {
        if (b.size() < 4 || b[0] != 'T' || b[1] != 'S' || b[2] != 'T' || b[3] != 'B')
            throw escrow::error(errc::malformed_blob, "not a reversed test blob");
        escrow::bytes rev(b.begin() + 4, b.end());
        std::reverse(rev.begin(), rev.end());
        return escrow::store::native::decode_blob<C, W>(rev);
    }
};
static_assert(escrow::store_policy<reversed_blob_store, escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256>);
static_assert(escrow::store::carries<reversed_blob_store, escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256>);
static_assert(escrow::store::carries<escrow::store::native, escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256>);

using test_encryptor = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256, reversed_blob_store>;
using two_stores = escrow::type_list<escrow::store::native, reversed_blob_store>;

}  // namespace

TEST_CASE("The authority dispatches on the record's store and answers in that store's blob format",
          "[authority][dispatch]") {
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::rsa_oaep_sha256, ea::memory_repository, ea::dynamic_officer_quorum, two_stores>
        authority(repo, ea::dynamic_officer_quorum(1), keys().authority.clone());
    authority.register_officer("olivia", officer_keys()[0].public_key());

    test_encryptor enc;
    auto plain = escrow_test::pattern(5000, 3);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto rec = enc.encrypt(in, out, keys().owner.public_key(), keys().authority.public_key(), escrow_test::sample_info("TSTB-1"));
    REQUIRE(rec.store_id == reversed_blob_store::id);
    authority.deposit(rec);
    authority.deposit(make_file("NATIVE-1").records.front());  // both stores in one repository

    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("TSTB-1", keys().new_owner.public_key(),
                                                                        authority.fingerprint(), ea::unix_now() + 60);
    ea::owner_blob blob = authority.recover(req, sign_by(req, {0}));
    CHECK(blob.store_id == reversed_blob_store::id);
    REQUIRE(blob.blob.size() > 4);
    CHECK(std::string(blob.blob.begin(), blob.blob.begin() + 4) == "TSTB");

    fs::path dir = scratch("dispatch");
    fs::path p = dir / "t.enc";
    {
        std::ofstream o(p, std::ios::binary);
        o.write(reinterpret_cast<const char*>(out.data().data()), static_cast<std::streamsize>(out.data().size()));
    }
    // A native encryptor cannot apply a blob of the test store.
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<escrow::native_encryptor>(p, blob, keys().new_owner),
                       errc::unknown_policy_id);
    ea::apply_owner_blob_in_place<test_encryptor>(p, blob, keys().new_owner);
    escrow::file_source fin(p);
    auto file = escrow::read_all(fin, 1 << 24);
    escrow::memory_source fin2(file);
    escrow::memory_sink dec;
    enc.decrypt(fin2, dec, keys().new_owner);
    CHECK(dec.data() == plain);

    // The library's default store list does not know the test store.
    ea::memory_repository repo2;
    ea::backup_authority<escrow::wrap::rsa_oaep_sha256, ea::memory_repository, ea::officer_quorum<1>> plain_authority(
        repo2, {}, keys().authority.clone());
    CHECK_ESCROW_ERROR(plain_authority.deposit(rec), errc::unknown_policy_id);
}

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

namespace {

// A store whose headers, as read, record no roles and list the authority's entry before the
// owner's (as an age file may): the native layout underneath, the order reversed and the roles
// cleared on reading, restored on writing (the owner's entry is always written first).
struct roleless_store : native_under_id<0x8302> {
    static constexpr std::string_view name = "roleless-test-store";
    template <class C, class W, escrow::byte_sink Sink>
    static void write_header(Sink& sink, escrow::file_header& h, const escrow::session_key& key) {
        escrow::file_header native_order = h;
        if (native_order.recipients.front().role == escrow::recipient_role::unknown)
            std::reverse(native_order.recipients.begin(), native_order.recipients.end());
        for (std::size_t i = 0; i < native_order.recipients.size(); ++i)
            native_order.recipients[i].role = i == 0 ? escrow::recipient_role::owner : escrow::recipient_role::authority;
        escrow::store::native::write_header<C, W>(sink, native_order, key);
        h.authenticated = native_order.authenticated;
        h.mac = native_order.mac;
    }
    template <class C, class W, escrow::byte_source Source>
    static escrow::file_header read_header(Source& src) {
        escrow::file_header h = escrow::store::native::read_header<C, W>(src);
        std::reverse(h.recipients.begin(), h.recipients.end());
        for (auto& r : h.recipients) r.role = escrow::recipient_role::unknown;
        return h;
    }
};

}  // namespace

// The store states that its headers record no roles, as age does.
template <>
inline constexpr escrow::store::options escrow::store_options<roleless_store> = {
    .owner_entry = escrow::store::owner_lookup::first_not_authority};

namespace {

using roleless_encryptor = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256, roleless_store>;

}  // namespace

TEST_CASE("In a format without recipient roles, the owner's entry is the first that is not the authority's",
          "[authority][rewrap]") {
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::rsa_oaep_sha256, ea::memory_repository, ea::officer_quorum<1>,
                         escrow::type_list<roleless_store>>
        authority(repo, {}, keys().authority.clone());
    authority.register_officer("olivia", officer_keys()[0].public_key());

    roleless_encryptor enc;
    auto plain = escrow_test::pattern(70000, 4);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto rec = enc.encrypt(in, out, keys().owner.public_key(), keys().authority.public_key(), escrow_test::sample_info("ROLELESS-1"));
    authority.deposit(rec);
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("ROLELESS-1", keys().new_owner.public_key(),
                                                                        authority.fingerprint(), ea::unix_now() + 60);
    auto blob = authority.recover(req, sign_by(req, {0}));

    fs::path p = scratch("roleless") / "r.enc";
    {
        std::ofstream o(p, std::ios::binary);
        o.write(reinterpret_cast<const char*>(out.data().data()), static_cast<std::streamsize>(out.data().size()));
    }
    // Without the record, the tool cannot tell the entries apart, and says so.
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<roleless_encryptor>(p, blob, keys().new_owner), errc::malformed_header);
    ea::apply_owner_blob_in_place<roleless_encryptor>(p, blob, keys().new_owner, &rec);

    escrow::file_source fin(p);
    auto file = escrow::read_all(fin, 1 << 24);
    auto decrypt_with = [&](const escrow::rsa_private_key& k) {
        escrow::memory_source s(file);
        escrow::memory_sink d;
        enc.decrypt(s, d, k);
        return std::move(d).take();
    };
    CHECK(decrypt_with(keys().new_owner) == plain);
    CHECK(decrypt_with(keys().authority) == plain);  // the authority's entry was left alone
    CHECK_ESCROW_ERROR(decrypt_with(keys().owner), errc::no_matching_key);
}

// ---- the age and CryptoAPI formats -----------------------------------------------------------------

namespace {

/// Writes `data` to `p`, replacing it.
void write_file(const fs::path& p, escrow::byte_view data) {
    std::ofstream o(p, std::ios::binary | std::ios::trunc);
    o.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

escrow::bytes read_file(const fs::path& p) {
    escrow::file_source in(p);
    return escrow::read_all(in, 1 << 24);
}

/// Decrypts `file` with `Encryptor` and a private key.
template <class Encryptor, class Key>
escrow::bytes decrypt_as(escrow::byte_view file, const Key& key) {
    Encryptor enc;
    escrow::memory_source in(file);
    escrow::memory_sink out;
    enc.decrypt(in, out, key);
    return std::move(out).take();
}

}  // namespace

static_assert(escrow::store::carries<escrow::store::age, escrow::cipher::chacha20_poly1305_stream, escrow::wrap::x25519>);
static_assert(escrow::store::carries<escrow::store::age, escrow::cipher::chacha20_poly1305_stream, escrow::wrap::ssh_rsa>);
static_assert(!escrow::store::carries<escrow::store::age, escrow::cipher::aes256_gcm_stream, escrow::wrap::x25519>);
static_assert(!escrow::store::carries<escrow::store::age, escrow::cipher::chacha20_poly1305_stream, escrow::wrap::rsa_oaep_sha256>);
static_assert(escrow::store::carries<escrow::store::cryptoapi, escrow::legacy::cryptoapi_aes_cbc<192>, escrow::wrap::rsa_pkcs1v15>);
static_assert(!escrow::store::carries<escrow::store::cryptoapi, escrow::legacy::cryptoapi_aes_cbc<192>, escrow::wrap::rsa_oaep_sha256>);
static_assert(!escrow::store::carries<escrow::store::cryptoapi, escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_pkcs1v15>);
static_assert(!escrow::store::carries<escrow::store::native, escrow::legacy::cryptoapi_aes_cbc<256>, escrow::wrap::rsa_pkcs1v15>);

TEST_CASE("X25519 and OpenSSH RSA public keys travel in requests as their raw bytes and wire encoding",
          "[authority][encoding]") {
    auto x = escrow::x25519_private_key::generate().public_key();
    auto xb = ea::public_key_codec<escrow::wrap::x25519>::encode(x);
    REQUIRE(xb.size() == 32);
    CHECK(escrow::sha256(xb) == escrow::wrap::x25519::fingerprint(x));
    CHECK(ea::public_key_codec<escrow::wrap::x25519>::decode(xb).str() == x.str());
    xb.pop_back();
    CHECK_ESCROW_ERROR((void)ea::public_key_codec<escrow::wrap::x25519>::decode(xb), errc::bad_key);

    escrow::ssh_rsa_public_key s(keys().new_owner.public_key());
    auto sb = ea::public_key_codec<escrow::wrap::ssh_rsa>::encode(s);
    CHECK(escrow::sha256(sb) == escrow::wrap::ssh_rsa::fingerprint(s));
    CHECK(ea::public_key_codec<escrow::wrap::ssh_rsa>::decode(sb).str() == s.str());
    sb.push_back(0);
    CHECK_ESCROW_ERROR((void)ea::public_key_codec<escrow::wrap::ssh_rsa>::decode(sb), errc::bad_key);

    auto req = ea::recovery_request::make<escrow::wrap::x25519>("X-1", x, escrow::digest256{}, 1);
    CHECK(ea::recovery_request::decode(req.encode()).new_owner_key == ea::public_key_codec<escrow::wrap::x25519>::encode(x));
}

TEST_CASE("An X25519 authority recovers an age record, and the rewritten age file opens with the new identity",
          "[authority][age][rewrap]") {
    auto owner = escrow::x25519_private_key::generate();
    auto authority_key = escrow::x25519_private_key::generate();
    auto new_owner = escrow::x25519_private_key::generate();
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::x25519, ea::memory_repository, ea::officer_quorum<1>> authority(repo, {}, authority_key.clone());
    authority.register_officer("olivia", officer_keys()[0].public_key());

    escrow::age_encryptor enc;
    auto plain = escrow_test::pattern(70000, 9);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto rec = enc.encrypt(in, out, owner.public_key(), authority_key.public_key(), escrow_test::sample_info("AGE-1"));
    REQUIRE(authority.deposit(rec) == ea::deposit_result::stored);
    auto req = ea::recovery_request::make<escrow::wrap::x25519>("AGE-1", new_owner.public_key(), authority.fingerprint(),
                                                               ea::unix_now() + 60);
    auto blob = authority.recover(req, sign_by(req, {0}));
    CHECK(blob.store_id == escrow::store::age::id);
    CHECK(blob.wrap_id == escrow::wrap::x25519::id);
    CHECK(std::string(blob.blob.begin(), blob.blob.begin() + 10) == "-> X25519 ");

    fs::path p = scratch("age") / "f.age";
    write_file(p, out.data());
    // The wrong identity with the record: refused, the file untouched.
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<escrow::age_encryptor>(p, blob, owner, &rec), errc::authentication_failed);
    CHECK(read_file(p) == out.data());
    ea::apply_owner_blob_in_place<escrow::age_encryptor>(p, blob, new_owner, &rec);
    auto file = read_file(p);
    CHECK(decrypt_as<escrow::age_encryptor>(file, new_owner) == plain);
    CHECK(decrypt_as<escrow::age_encryptor>(file, authority_key) == plain);  // the authority's stanza was kept
    CHECK_ESCROW_ERROR(decrypt_as<escrow::age_encryptor>(file, owner), errc::no_matching_key);
}

TEST_CASE("A PKCS#1 v1.5 authority recovers a CryptoAPI record; rewrap checks the payload's padding and the record's MAC",
          "[authority][cryptoapi][rewrap]") {
    using E = escrow::legacy::cryptoapi_encryptor<192>;
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::rsa_pkcs1v15, ea::memory_repository, ea::officer_quorum<1>> authority(
        repo, {}, keys().authority.clone());
    authority.register_officer("olivia", officer_keys()[0].public_key());

    auto encrypt = [&](const std::string& serial, const escrow::bytes& plain) {
        E enc;
        escrow::memory_source in(plain);
        escrow::memory_sink out;
        auto rec = enc.encrypt(in, out, keys().owner.public_key(), keys().authority.public_key(),
                               escrow_test::sample_info(serial));
        return std::pair{std::move(out).take(), rec};
    };
    auto plain = escrow_test::pattern(100000, 5);
    auto [file_a, rec_a] = encrypt("CAPI-A", plain);
    REQUIRE(authority.deposit(rec_a) == ea::deposit_result::stored);
    auto req = ea::recovery_request::make<escrow::wrap::rsa_pkcs1v15>("CAPI-A", keys().new_owner.public_key(),
                                                                     authority.fingerprint(), ea::unix_now() + 60);
    auto blob = authority.recover(req, sign_by(req, {0}));
    CHECK(blob.store_id == escrow::store::cryptoapi::id);
    CHECK(blob.cipher_id == escrow::legacy::cryptoapi_aes_cbc<192>::id);
    E enc;
    const escrow::session_key key_a = enc.recover_session_key(rec_a, keys().authority);

    // Another file whose payload does not decrypt under A's key (its final padding fails; the tool
    // cannot refuse the one file in 256 whose padding happens to pass, so the test picks by that).
    escrow::bytes file_b;
    for (int i = 0; i < 20 && file_b.empty(); ++i) {
        auto candidate = encrypt("CAPI-B", escrow_test::pattern(3000, 40 + static_cast<std::uint64_t>(i))).first;
        try {
            escrow::memory_source src(candidate);
            escrow::memory_sink sink;
            enc.decrypt_with_session_key(src, sink, key_a);
        } catch (const escrow::error& e) {
            if (e.kind() == errc::authentication_failed) file_b = candidate;
        }
    }
    REQUIRE(!file_b.empty());

    fs::path dir = scratch("cryptoapi");
    fs::path pb = dir / "b.enc";
    write_file(pb, file_b);
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<E>(pb, blob, keys().new_owner), errc::authentication_failed);
    CHECK(read_file(pb) == file_b);

    fs::path pa = dir / "a.enc";
    write_file(pa, file_a);
    // A wrong private key: PKCS#1 v1.5 unwraps it to a pseudo-random key, which the record's MAC refuses.
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<E>(pa, blob, keys().stranger, &rec_a), errc::authentication_failed);
    CHECK(read_file(pa) == file_a);
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 2);  // no temporary file left

    ea::apply_owner_blob_in_place<E>(pa, blob, keys().new_owner, &rec_a);
    auto rewritten = read_file(pa);
    CHECK(rewritten.size() == file_a.size());
    CHECK(decrypt_as<E>(rewritten, keys().new_owner) == plain);
    // Only the SIMPLEBLOB changed: the payload is byte for byte the one CryptEncrypt wrote.
    const std::size_t header = 4 + 12 + 256;
    CHECK(std::equal(rewritten.begin() + header, rewritten.end(), file_a.begin() + header));
}
