// SPDX-License-Identifier: MIT
/// @file
/// The repository conformance suite: the same behaviour, case by case, on every repository the
/// library ships (memory, SQLite, PostgreSQL on the real server of the ctest fixture `escrow_pg`):
/// transactions, records, officers, nonces, settings, the audit log, an authority on top,
/// concurrent writers, persistence, copying a whole authority between repositories. The audit log
/// edited in the database and the signed head are in test_authority_conformance_audit.cpp.

#include "conformance_backends.hpp"

using namespace escrow_conformance;

TEMPLATE_TEST_CASE("A committed transaction is seen by the next, and one destroyed uncommitted leaves nothing",
                   "[authority][conformance]", ESCROW_REPOSITORIES) {
    backend<TestType> b("tx");
    auto repo = b.open();
    {
        auto t = repo->begin();
        t.insert_record(record("TX-1", "alice"));
        t.set_meta("k", bytes_of("v"));
        t.append_audit(entry_after(t.audit_head(), "TX-1"));
        t.commit();
    }
    {
        auto t = repo->begin();
        t.insert_record(record("TX-2", "alice"));
        t.insert_officer({"olivia", escrow::bytes(32, 7), t0});
        t.insert_nonce(escrow::bytes(32, 1), t0);
        t.set_meta("k", bytes_of("changed"));
        t.set_status("TX-1", ea::record_status::revoked);
        t.append_audit(entry_after(t.audit_head(), "TX-2"));
        // destroyed without commit()
    }
    auto t = repo->begin();
    CHECK(t.find_record("TX-1").has_value());
    CHECK(t.find_record("TX-1")->status == ea::record_status::active);
    CHECK_FALSE(t.find_record("TX-2").has_value());
    CHECK(t.list_officers().empty());
    CHECK_FALSE(t.nonce_used(escrow::bytes(32, 1)));
    CHECK(t.get_meta("k") == bytes_of("v"));
    CHECK(t.audit_head().seq == 1);
    CHECK(t.audit_entries().size() == 1);
}

TEMPLATE_TEST_CASE("Records are found, listed by owner in byte order of their serials, and change status",
                   "[authority][conformance]", ESCROW_REPOSITORIES) {
    backend<TestType> b("records");
    auto repo = b.open();
    {
        auto t = repo->begin();
        for (const char* s : {"b-2", "B-1", "a-3", "A-4"}) t.insert_record(record(s, std::string(s).starts_with("b") ? "bob" : "alice", t0 + 5));
        t.commit();
    }
    auto t = repo->begin();
    auto r = t.find_record("a-3");
    REQUIRE(r.has_value());
    CHECK(r->serial == "a-3");
    CHECK(r->owner == "alice");
    CHECK(r->status == ea::record_status::active);
    CHECK(r->encoded == escrow::bytes{1, 2, 3, 3});
    CHECK(r->deposited == t0 + 5);
    CHECK_FALSE(t.find_record("A-3").has_value());  // serials are exact, case included
    std::vector<std::string> all;
    for (const auto& x : t.list_records("")) all.push_back(x.serial);
    CHECK(all == std::vector<std::string>{"A-4", "B-1", "a-3", "b-2"});
    std::vector<std::string> alice;
    for (const auto& x : t.list_records("alice")) alice.push_back(x.serial);
    CHECK(alice == std::vector<std::string>{"A-4", "B-1", "a-3"});
    CHECK(t.list_records("nobody").empty());
    t.set_status("B-1", ea::record_status::revoked);
    CHECK(t.find_record("B-1")->status == ea::record_status::revoked);
    CHECK_ESCROW_ERROR(t.set_status("NO-SUCH", ea::record_status::revoked), errc::not_found);
    auto t2 = std::move(t);  // a transaction moves with its changes
    t2.commit();
    auto t3 = repo->begin();
    CHECK(t3.find_record("B-1")->status == ea::record_status::revoked);
    CHECK_ESCROW_ERROR(t3.insert_record(record("a-3", "mallory")), errc::io_error);
}

TEMPLATE_TEST_CASE("replace_record puts a whole record in place of the one under its serial, and finds none to replace "
                   "as not_found", "[authority][conformance]", ESCROW_REPOSITORIES) {
    backend<TestType> b("replace");
    auto repo = b.open();
    {
        auto t = repo->begin();
        t.insert_record(record("R-1", "alice", t0 + 1));
        t.insert_record(record("R-2", "bob", t0 + 2));
        t.commit();
    }
    {
        auto t = repo->begin();
        auto replacement = record("R-1", "carol", t0 + 9);
        replacement.encoded = escrow::bytes{9, 8, 7};
        replacement.status = ea::record_status::revoked;
        t.replace_record(replacement);
        t.commit();
    }
    {
        auto t = repo->begin();
        auto r = t.find_record("R-1");
        REQUIRE(r.has_value());
        CHECK(r->owner == "carol");
        CHECK(r->encoded == escrow::bytes{9, 8, 7});
        CHECK(r->status == ea::record_status::revoked);
        CHECK(r->deposited == t0 + 9);
        CHECK(t.find_record("R-2")->owner == "bob");  // the others untouched
        CHECK(t.list_records("").size() == 2);
        // Last in its transaction: after a failed statement PostgreSQL takes no other.
        CHECK_ESCROW_ERROR(t.replace_record(record("NO-SUCH", "carol")), errc::not_found);
    }
    CHECK_FALSE(repo->begin().find_record("NO-SUCH").has_value());
}

TEMPLATE_TEST_CASE("Officers are found by name and by key, listed by name, and a taken name or key is refused",
                   "[authority][conformance]", ESCROW_REPOSITORIES) {
    backend<TestType> b("officers");
    auto repo = b.open();
    {
        auto t = repo->begin();
        t.insert_officer({"oscar", escrow::bytes(32, 2), t0 + 1});
        t.insert_officer({"Olivia", escrow::bytes(32, 1), t0 + 2});
        t.commit();
    }
    {
        auto t = repo->begin();
        auto o = t.find_officer("oscar");
        REQUIRE(o.has_value());
        CHECK(o->public_key == escrow::bytes(32, 2));
        CHECK(o->registered == t0 + 1);
        auto k = t.find_officer_by_key(escrow::bytes(32, 1));
        REQUIRE(k.has_value());
        CHECK(k->name == "Olivia");
        CHECK_FALSE(t.find_officer("olivia").has_value());
        CHECK_FALSE(t.find_officer_by_key(escrow::bytes(32, 3)).has_value());
        auto list = t.list_officers();
        REQUIRE(list.size() == 2);
        CHECK(list[0].name == "Olivia");
        CHECK(list[1].name == "oscar");
    }
    {
        auto t = repo->begin();
        CHECK_ESCROW_ERROR(t.insert_officer({"oscar", escrow::bytes(32, 9), t0}), errc::io_error);
    }
    auto t = repo->begin();
    CHECK_ESCROW_ERROR(t.insert_officer({"opal", escrow::bytes(32, 2), t0}), errc::io_error);
}

TEMPLATE_TEST_CASE("Nonces and settings are stored, overwritten and listed in byte order", "[authority][conformance]",
                   ESCROW_REPOSITORIES) {
    backend<TestType> b("nonces");
    auto repo = b.open();
    {
        auto t = repo->begin();
        t.insert_nonce(escrow::bytes(32, 0xf0), t0 + 9);
        t.insert_nonce(escrow::bytes(32, 0x01), t0 + 8);
        t.set_meta("b.key", bytes_of("1"));
        t.set_meta("a.key", escrow::bytes{});
        t.set_meta("b.key", bytes_of("2"));
        t.commit();
    }
    {
        auto t = repo->begin();
        CHECK(t.nonce_used(escrow::bytes(32, 0xf0)));
        CHECK_FALSE(t.nonce_used(escrow::bytes(32, 0xf1)));
        auto n = t.list_nonces();
        REQUIRE(n.size() == 2);
        CHECK(n[0].nonce == escrow::bytes(32, 0x01));
        CHECK(n[0].expires == t0 + 8);
        CHECK(n[1].nonce == escrow::bytes(32, 0xf0));
        CHECK(t.get_meta("b.key") == bytes_of("2"));
        REQUIRE(t.get_meta("a.key").has_value());
        CHECK(t.get_meta("a.key")->empty());
        CHECK_FALSE(t.get_meta("c.key").has_value());
        auto m = t.list_meta();
        REQUIRE(m.size() == 2);
        CHECK(m[0].key == "a.key");
        CHECK(m[1].key == "b.key");
        CHECK(m[1].value == bytes_of("2"));
    }
    auto t = repo->begin();
    CHECK_ESCROW_ERROR(t.insert_nonce(escrow::bytes(32, 0x01), t0), errc::io_error);
}

TEMPLATE_TEST_CASE("Audit entries come back in order, byte for byte, with the recorded head", "[authority][conformance]",
                   ESCROW_REPOSITORIES) {
    backend<TestType> b("audit");
    auto repo = b.open();
    std::vector<ea::audit_entry> written;
    for (int i = 0; i < 12; ++i) {
        auto t = repo->begin();
        auto e = entry_after(t.audit_head(), "S-" + std::to_string(i));
        e.reason = i % 2 ? "a reason with\ttabs and\nnewlines" : "";
        e.kind = static_cast<ea::audit_kind>(i % 5);
        e.outcome = static_cast<ea::audit_outcome>(i % 6);
        e.hash = e.compute_hash();
        t.append_audit(e);
        t.commit();
        written.push_back(e);
    }
    auto t = repo->begin();
    auto read = t.audit_entries();
    REQUIRE(read.size() == written.size());
    for (std::size_t i = 0; i < read.size(); ++i) {
        CAPTURE(i);
        CHECK(read[i].seq == written[i].seq);
        CHECK(read[i].time == written[i].time);
        CHECK(read[i].kind == written[i].kind);
        CHECK(read[i].serial == written[i].serial);
        CHECK(read[i].actor == written[i].actor);
        CHECK(read[i].outcome == written[i].outcome);
        CHECK(read[i].reason == written[i].reason);
        CHECK(read[i].prev_hash == written[i].prev_hash);
        CHECK(read[i].hash == written[i].hash);
    }
    CHECK(t.audit_head().seq == 12);
    CHECK(t.audit_head().hash == written.back().hash);
    CHECK(ea::verify_chain(read, t.audit_head()).valid);
}

TEMPLATE_TEST_CASE("An authority deposits, recovers, refuses, revokes and audits alike on every repository",
                   "[authority][conformance][quorum]", ESCROW_REPOSITORIES) {
    backend<TestType> b("authority");
    // ctest runs each repository's case in its own process, in parallel: files of its own, apart
    // from each other and from the SQLite backend's directory.
    fs::path dir = scratch(std::string("conformance-authority-files-") + backend<TestType>::kind);
    auto repo = b.open();
    quorum_setup<TestType> s(*repo);

    auto f = make_file("GRANT-1");
    REQUIRE(s.authority.deposit(f.records.front()) == ea::deposit_result::stored);
    REQUIRE(s.authority.deposit(f.records.front()) == ea::deposit_result::already_present);
    auto req = s.request("GRANT-1");
    CHECK_ESCROW_ERROR((void)s.authority.recover(req, sign_by(req, {0})), errc::identity_rejected);
    ea::owner_blob blob = s.authority.recover(req, sign_by(req, {0, 2}));
    CHECK(blob.serial == "GRANT-1");
    CHECK(blob.store_id == escrow::store::native::id);
    CHECK_ESCROW_ERROR((void)s.authority.recover(req, sign_by(req, {0, 2})), errc::identity_rejected);  // replayed

    // The old owner key no longer opens the rewritten file; the new one does, with the same plaintext.
    CHECK(apply_and_decrypt(dir, f.file, blob) == escrow_test::pattern(3000, 7));
    escrow::file_source in(dir / "file.enc");
    auto rewritten = escrow::read_all(in, 1 << 24);
    CHECK_ESCROW_ERROR(escrow_test::decrypt(rewritten, keys().owner), errc::no_matching_key);

    CHECK(s.authority.revoke("GRANT-1"));
    CHECK_FALSE(s.authority.revoke("GRANT-1"));
    CHECK(s.authority.find("GRANT-1")->status == ea::record_status::revoked);

    auto log = s.authority.audit_log();
    REQUIRE(log.size() == 1 + 3 + 1 + 3 + 1);  // bind, officers, deposit, 2 refused + 1 granted, revocation
    CHECK(log[5].outcome == ea::audit_outcome::refused);
    CHECK(log[6].outcome == ea::audit_outcome::granted);
    CHECK(log[6].actor == "officers olivia, opal");
    CHECK(log[7].outcome == ea::audit_outcome::refused);
    CHECK(log[8].kind == ea::audit_kind::revocation);
    CHECK(s.authority.verify_audit().valid);
}

TEMPLATE_TEST_CASE("A forged deposit is refused by an authority holding its key, and displaces a forgery stored "
                   "without it", "[authority][conformance][hardening]", ESCROW_REPOSITORIES) {
    backend<TestType> b("squatting");
    fs::path dir = scratch(std::string("conformance-squatting-files-") + backend<TestType>::kind);  // as above
    auto repo = b.open();
    quorum_setup<TestType> s(*repo);
    rsa_authority<TestType, ea::officer_quorum<2>> keyless(*repo, {}, keys().authority.public_key());
    keyless.set_clock([] { return t0; });
    auto f = make_file("SQUAT-C");
    const auto& genuine = f.records.front();
    escrow::escrow_record forged = genuine;  // all a squatter can build from the file: a wrong MAC
    forged.mac[0] ^= 0x01;

    CHECK_ESCROW_ERROR(s.authority.deposit(forged), errc::authentication_failed);
    CHECK_FALSE(s.authority.find("SQUAT-C").has_value());
    CHECK(keyless.deposit(forged) == ea::deposit_result::stored);  // without the key, no way to tell
    CHECK(s.authority.deposit(genuine) == ea::deposit_result::replaced);
    CHECK(s.authority.find("SQUAT-C")->record.unverified_value().encode() == genuine.encode());
    auto req = s.request("SQUAT-C");
    CHECK(apply_and_decrypt(dir, f.file, s.authority.recover(req, sign_by(req, {0, 1}))) == escrow_test::pattern(3000, 7));
    CHECK(s.authority.verify_audit().valid);
}

TEMPLATE_TEST_CASE("A batch of checked deposits is one transaction: each record stored, present or refused and audited "
                   "as on its own, the head signed once", "[authority][conformance][hardening]", ESCROW_REPOSITORIES) {
    backend<TestType> b("batch");
    auto repo = b.open();
    quorum_setup<TestType> s(*repo);
    rsa_authority<TestType, ea::officer_quorum<2>> keyless(*repo, {}, keys().authority.public_key());
    keyless.set_clock([] { return t0; });
    auto a = make_file("BATCH-A").records.front(), b1 = make_file("BATCH-B").records.front();
    auto taken2 = make_file("BATCH-B").records.front();  // genuine, but its serial is taken in the batch
    auto forged = make_file("BATCH-F").records.front();
    forged.mac[0] ^= 0x01;
    auto e = make_file("BATCH-E").records.front();
    auto e_forged = e;
    e_forged.mac[1] ^= 0x01;
    REQUIRE(keyless.deposit(e_forged) == ea::deposit_result::stored);  // a squatter, stored without the key
    ea::memory_repository elsewhere;
    rsa_authority<ea::memory_repository, ea::officer_quorum<2>> other(elsewhere, {}, keys().owner.clone());
    const auto before = s.authority.audit_log().size();

    std::vector<ea::checked_deposit> batch;
    for (const auto* r : {&a, &b1, &a, &forged, &taken2, &e}) batch.push_back(s.authority.check_deposit(*r));
    auto misaddressed = make_file("BATCH-X").records.front();
    misaddressed.authority_fingerprint[0] ^= 1;
    batch.push_back(s.authority.check_deposit(misaddressed));  // refused unaudited, as before any deposit
    CHECK(batch[0].verified());
    CHECK_FALSE(batch[3].verified());
    CHECK(batch[3].audit_reason().find("does not verify") != std::string::npos);
    CHECK(batch.back().audit_reason().empty());

    auto out = s.authority.deposit_batch(batch);
    REQUIRE(out.size() == batch.size());
    CHECK(out[0].value() == ea::deposit_result::stored);
    CHECK(out[1].value() == ea::deposit_result::stored);
    CHECK(out[2].value() == ea::deposit_result::already_present);  // the first of the batch, seen in its transaction
    CHECK_ESCROW_ERROR((void)out[3].value(), errc::authentication_failed);
    CHECK_ESCROW_ERROR((void)out[4].value(), errc::invalid_argument);
    CHECK(out[5].value() == ea::deposit_result::replaced);
    CHECK_ESCROW_ERROR((void)out[6].value(), errc::bad_key);
    CHECK(s.authority.find("BATCH-B")->record.unverified_value().encode() == b1.encode());
    CHECK(s.authority.find("BATCH-E")->record.unverified_value().encode() == e.encode());
    CHECK_FALSE(s.authority.find("BATCH-F").has_value());

    auto log = s.authority.audit_log();
    REQUIRE(log.size() == before + 5);  // A, B stored; F, B again refused; E replaced
    CHECK(log[before + 2].outcome == ea::audit_outcome::refused);
    CHECK(log[before + 2].serial == "BATCH-F");
    CHECK(log[before + 3].serial == "BATCH-B");
    CHECK(log[before + 4].reason.find("replaced") != std::string::npos);
    auto rep = s.authority.verify_audit();
    CHECK(rep.valid);
    CHECK(rep.signature_checked);
    CHECK(rep.signed_seq == log.size());

    // A record checked by another authority is refused and the whole batch with it: nothing stored.
    std::vector<ea::checked_deposit> mixed;
    mixed.push_back(s.authority.check_deposit(make_file("BATCH-Y").records.front()));
    mixed.push_back(other.check_deposit(make_file("BATCH-Z").records.front()));
    CHECK_ESCROW_ERROR((void)s.authority.deposit_batch(mixed), errc::bad_key);
    CHECK_FALSE(s.authority.find("BATCH-Y").has_value());
    CHECK(s.authority.audit_log().size() == log.size());
}

TEMPLATE_TEST_CASE("Four writers at once, each on its own connection, keep every record and one valid audit chain",
                   "[authority][conformance][concurrency]", ESCROW_REPOSITORIES) {
    backend<TestType> b("writers");
    {
        auto repo = b.open();
        rsa_authority<TestType, ea::officer_quorum<1>> a(*repo, {}, keys().authority.public_key());
    }
    constexpr int writers = 4, each = 25;
    std::vector<std::vector<escrow::escrow_record>> records(writers);
    for (int w = 0; w < writers; ++w)
        for (int i = 0; i < each; ++i) records[w].push_back(make_file("W" + std::to_string(w) + "-" + std::to_string(i), 10).records.front());
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
        threads.emplace_back([&, w] {
            try {
                auto repo = b.open();
                rsa_authority<TestType, ea::officer_quorum<1>> a(*repo, {}, keys().authority.public_key());
                for (const auto& r : records[static_cast<std::size_t>(w)])
                    if (a.deposit(r) != ea::deposit_result::stored) ++failures;
            } catch (...) {
                ++failures;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    auto repo = b.open();
    rsa_authority<TestType, ea::officer_quorum<1>> a(*repo, {}, keys().authority.public_key());
    std::set<std::string> serials;
    for (const auto& e : a.list()) serials.insert(e.record.unverified_value().info.serial);
    CHECK(serials.size() == writers * each);
    auto rep = a.verify_audit();
    CHECK(rep.valid);
    CHECK(rep.entries == 1 + writers * each);
}

TEMPLATE_TEST_CASE("What was committed is there when the repository is opened again", "[authority][conformance]",
                   ESCROW_REPOSITORIES) {
    backend<TestType> b("reopen");
    escrow::digest256 head{};
    {
        auto repo = b.open();
        quorum_setup<TestType> s(*repo);
        s.authority.deposit(make_file("KEEP-1").records.front());
        head = s.authority.verify_audit().head;
    }
    auto repo = b.open();
    quorum_setup<TestType> s(*repo);  // finds its officers: registers none
    CHECK(s.authority.officers().size() == 3);
    CHECK(s.authority.find("KEEP-1").has_value());
    auto rep = s.authority.verify_audit();
    CHECK(rep.valid);
    CHECK(rep.head == head);
}

TEMPLATE_TEST_CASE("A whole authority is copied to an empty repository and back, with the same audit head",
                   "[authority][conformance][copy]", ESCROW_REPOSITORIES) {
    backend<TestType> b("copy");
    auto repo = b.open();
    ea::memory_repository source;
    escrow::digest256 head{};
    {
        quorum_setup<ea::memory_repository> s(source);
        s.authority.deposit(make_file("COPY-1").records.front());
        s.authority.deposit(make_file("COPY-2").records.front());
        auto req = s.request("COPY-1");
        (void)s.authority.recover(req, sign_by(req, {0, 1}));
        s.authority.revoke("COPY-2");
        head = s.authority.verify_audit().head;
    }
    auto into = ea::copy_repository(source, *repo);
    CHECK(into.records == 2);
    CHECK(into.officers == 3);
    CHECK(into.nonces == 1);
    CHECK(into.settings == 4);  // fingerprint, wrap id, public key, signed audit head
    CHECK(into.audit_entries == 1 + 3 + 2 + 1 + 1);
    CHECK(into.head == head);
    {
        quorum_setup<TestType> s(*repo);
        CHECK(s.authority.find("COPY-2")->status == ea::record_status::revoked);
        auto rep = s.authority.verify_audit();
        CHECK(rep.valid);
        CHECK(rep.head == head);
        CHECK(rep.head_signed);  // the signed head is a setting, and is copied with the others
        // The copied nonce still refuses a replay; the copied record still recovers with a new request.
        auto again = s.request("COPY-1");
        CHECK_NOTHROW((void)s.authority.recover(again, sign_by(again, {1, 2})));
    }
    SECTION("a target that is not empty is refused, and keeps what it holds") {
        auto before = repo->begin().audit_head().seq;
        CHECK_ESCROW_ERROR((void)ea::copy_repository(source, *repo), errc::invalid_argument);
        CHECK(repo->begin().audit_head().seq == before);
    }
    SECTION("and copied back out, the chain still ends at the same entries") {
        ea::memory_repository back;
        auto out = ea::copy_repository(*repo, back);
        CHECK(out.records == 2);
        CHECK(out.audit_entries == into.audit_entries + 1);
        auto t = back.begin();
        CHECK(ea::verify_chain(t.audit_entries(), t.audit_head()).valid);
    }
    SECTION("a source whose chain is broken is refused: a copy would launder it") {
        ea::memory_repository broken, target;
        { quorum_setup<ea::memory_repository> s(broken); }
        broken.unsafe_edit([](auto&, auto& audit) { audit.at(1).actor = "someone else"; });
        CHECK_ESCROW_ERROR((void)ea::copy_repository(broken, target), errc::authentication_failed);
        CHECK(target.begin().list_meta().empty());
    }
}
