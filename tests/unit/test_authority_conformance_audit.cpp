// SPDX-License-Identifier: MIT
/// @file
/// The repository conformance suite, continued: the audit log written directly into the database
/// (deleted, edited, inserted, truncated entries; the whole chain rewritten) and the signed audit
/// head, on the repositories where that applies (conformance_backends.hpp).

#include "conformance_backends.hpp"

using namespace escrow_conformance;

TEMPLATE_TEST_CASE("verify_audit detects a deleted, an edited, an inserted and a truncated entry written directly into "
                   "the database",
                   "[authority][conformance][audit]", ea::sqlite_repository, ea::postgres_repository) {
    backend<TestType> b("tamper");
    {
        auto repo = b.open();
        quorum_setup<TestType> s(*repo);
        for (int i = 0; i < 3; ++i) s.authority.deposit(make_file("AUDIT-" + std::to_string(i)).records.front());
        s.authority.revoke("AUDIT-1");
        auto rep = s.authority.verify_audit();
        REQUIRE(rep.valid);
        REQUIRE(rep.entries == 8);  // bind-key, 3 officers, 3 deposits, 1 revocation
    }
    auto verify = [&] {
        auto repo = b.open();
        rsa_authority<TestType, ea::officer_quorum<2>> a(*repo, {}, keys().authority.clone());
        return a.verify_audit();
    };
    SECTION("a deleted row") {
        REQUIRE(b.raw_sql("DELETE FROM audit WHERE seq = 5") == 1);
        auto rep = verify();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("entry 6") && Catch::Contains("deleted"));
    }
    SECTION("an edited row") {
        REQUIRE(b.raw_sql("UPDATE audit SET outcome = 'refused' WHERE seq = 6") == 1);
        auto rep = verify();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("entry 6") && Catch::Contains("edited"));
    }
    SECTION("a row edited to a kind the authority never writes") {
        REQUIRE(b.raw_sql("UPDATE audit SET kind = 'deposit-ish' WHERE seq = 6") == 1);
        CHECK_ESCROW_ERROR((void)verify(), errc::authentication_failed);
    }
    SECTION("an edited row with its hash recomputed") {
        // The attacker recomputes the edited entry's hash: the next entry's link breaks.
        ea::audit_entry e;
        {
            auto repo = b.open();
            rsa_authority<TestType, ea::officer_quorum<2>> a(*repo, {}, keys().authority.clone());
            e = a.audit_log().at(5);
        }
        e.actor = "someone else";
        REQUIRE(b.raw_sql("UPDATE audit SET actor = 'someone else', hash = $1 WHERE seq = 6", e.compute_hash()) == 1);
        auto rep = verify();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("entry 7") && Catch::Contains("link"));
    }
    SECTION("the last row deleted") {
        REQUIRE(b.raw_sql("DELETE FROM audit WHERE seq = 8") == 1);
        auto rep = verify();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("recorded head"));
    }
    SECTION("an inserted row") {
        REQUIRE(b.raw_sql("INSERT INTO audit VALUES (9, 0, 'deposit', 'FAKE', 'x', 'stored', '', $1, $1)",
                          escrow::digest256{}) == 1);
        CHECK_FALSE(verify().valid);
    }
}

// ---- the signed audit head -------------------------------------------------------------------------

namespace {
/// Rewrites the whole audit chain in the database as a writer of it could: entry `edit` gets a new
/// actor, and every entry's link and hash, and the recorded head, are computed again.
template <class B>
void rewrite_chain(B& b, std::vector<ea::audit_entry> log, std::size_t edit) {
    log.at(edit).actor = "someone else";
    escrow::digest256 prev{};
    for (auto& e : log) {
        e.prev_hash = prev;
        e.hash = e.compute_hash();
        prev = e.hash;
        const std::string where = " WHERE seq = " + std::to_string(e.seq);
        REQUIRE(b.raw_sql("UPDATE audit SET actor = '" + e.actor + "'" + where) == 1);
        REQUIRE(b.raw_sql("UPDATE audit SET prev_hash = $1" + where, e.prev_hash) == 1);
        REQUIRE(b.raw_sql("UPDATE audit SET hash = $1" + where, e.hash) == 1);
    }
    REQUIRE(b.raw_sql("UPDATE audit_head SET hash = $1", prev) == 1);
}
}  // namespace

TEMPLATE_TEST_CASE("A chain rewritten in the database, every hash and the head recomputed, is caught by the signed head",
                   "[authority][conformance][audit][audit_key][hardening]", ea::sqlite_repository, ea::postgres_repository) {
    backend<TestType> b("rewrite");
    std::vector<ea::audit_entry> log;
    {
        auto repo = b.open();
        quorum_setup<TestType> s(*repo);
        for (int i = 0; i < 3; ++i) s.authority.deposit(make_file("REWRITE-" + std::to_string(i)).records.front());
        log = s.authority.audit_log();
        REQUIRE(log.size() == 7);
        auto rep = s.authority.verify_audit();
        REQUIRE(rep.valid);
        CHECK(rep.head_signed);
        CHECK(rep.signature_checked);
        CHECK(rep.signed_seq == 7);
    }
    rewrite_chain(b, log, 5);
    auto repo = b.open();
    {
        // The chain alone is consistent again: only the signed head tells.
        auto t = repo->begin();
        REQUIRE(ea::verify_chain(t.audit_entries(), t.audit_head()).valid);
    }
    SECTION("by an authority holding its key") {
        rsa_authority<TestType, ea::officer_quorum<2>> a(*repo, {}, keys().authority.clone());
        auto rep = a.verify_audit();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("entry 7") && Catch::Contains("rewritten"));
    }
    SECTION("by an authority without it") {
        rsa_authority<TestType, ea::officer_quorum<2>> a(*repo, {}, keys().authority.public_key());
        auto rep = a.verify_audit();
        CHECK_FALSE(rep.valid);
        CHECK_THAT(rep.problem, Catch::Contains("rewritten"));
    }
}

TEMPLATE_TEST_CASE("A signed head checks out elsewhere with the audit public key alone, and a tampered signature, a wrong "
                   "audit key and another authority's head are refused",
                   "[authority][conformance][audit][audit_key]", ESCROW_REPOSITORIES) {
    backend<TestType> b("signed_head");
    auto repo = b.open();
    quorum_setup<TestType> s(*repo);
    s.authority.deposit(make_file("HEAD-1").records.front());
    s.authority.revoke("HEAD-1");
    REQUIRE(s.authority.signs_audit());
    const ea::audit_public_key pub = *s.authority.audit_key();
    const escrow::digest256 fp = s.authority.fingerprint();

    // What is exported: the entries and the head's file; what the verifier holds: the public key's PEM.
    const auto entries = s.authority.audit_log();
    const auto head = ea::signed_audit_head::decode(s.authority.signed_head()->encode());
    const auto key = ea::audit_public_key::load(escrow::as_bytes(pub.pem()));
    auto rep = ea::verify_signed_audit(entries, head, key, fp);
    CHECK(rep.valid);
    CHECK(rep.signature_checked);
    CHECK(rep.signed_seq == entries.size());
    CHECK(ea::describe_signing(rep) == "head signed up to seq " + std::to_string(entries.size()));

    SECTION("a tampered signature") {
        auto bad = head;
        bad.signature[10] ^= 0x01;
        auto r = ea::verify_signed_audit(entries, bad, key, fp);
        CHECK_FALSE(r.valid);
        CHECK_THAT(r.problem, Catch::Contains("does not verify"));
        auto t = repo->begin();
        t.set_meta(ea::meta_keys::signed_head, bad.encode());
        t.commit();
        CHECK_FALSE(s.authority.verify_audit().valid);
    }
    SECTION("a wrong audit key") {
        auto other = ea::audit_signing_key::derive<escrow::wrap::rsa_oaep_sha256>(keys().authority2,
                                                                                 keys().authority2.public_key().fingerprint());
        auto r = ea::verify_signed_audit(entries, head, other.public_key(), fp);
        CHECK_FALSE(r.valid);
        CHECK_THAT(r.problem, Catch::Contains("does not verify"));
        CHECK_FALSE(s.authority.verify_audit(other.public_key()).valid);
    }
    SECTION("another authority's head") {
        ea::memory_repository elsewhere;
        rsa_authority<ea::memory_repository, ea::officer_quorum<2>> a2(elsewhere, {}, keys().authority2.clone());
        a2.set_clock([] { return t0; });
        for (int i = 0; i < 4; ++i) a2.register_officer("officer-" + std::to_string(i), officer_keys()[static_cast<std::size_t>(i)].public_key());
        const auto foreign = *a2.signed_head();
        REQUIRE(foreign.seq <= entries.size());
        auto r = ea::verify_signed_audit(entries, foreign, *a2.audit_key(), fp);
        CHECK_FALSE(r.valid);
        CHECK_THAT(r.problem, Catch::Contains("another authority's"));
        // Stored in this repository in place of its own head, it is refused there too.
        auto t = repo->begin();
        t.set_meta(ea::meta_keys::signed_head, foreign.encode());
        t.commit();
        auto r2 = s.authority.verify_audit();
        CHECK_FALSE(r2.valid);
        CHECK_THAT(r2.problem, Catch::Contains("another authority's"));
    }
    SECTION("entries that do not reach the head") {
        auto fewer = entries;
        fewer.pop_back();
        auto r = ea::verify_signed_audit(fewer, head, key, fp);
        CHECK_FALSE(r.valid);
        CHECK_THAT(r.problem, Catch::Contains("deleted"));
    }
}

TEMPLATE_TEST_CASE("Deposits by an authority without its key leave the head signed up to the last entry an authority with "
                   "its key appended",
                   "[authority][conformance][audit][audit_key]", ESCROW_REPOSITORIES) {
    backend<TestType> b("lagging_head");
    auto repo = b.open();
    quorum_setup<TestType> s(*repo);
    s.authority.deposit(make_file("LAG-1").records.front());
    const std::uint64_t signed_seq = s.authority.audit_log().size();
    rsa_authority<TestType, ea::officer_quorum<2>> keyless(*repo, {}, keys().authority.public_key());
    keyless.set_clock([] { return t0; });
    CHECK_FALSE(keyless.signs_audit());
    CHECK_FALSE(keyless.audit_key().has_value());
    keyless.deposit(make_file("LAG-2").records.front());
    keyless.deposit(make_file("LAG-3").records.front());

    for (auto rep : {s.authority.verify_audit(), keyless.verify_audit(*s.authority.audit_key())}) {
        CHECK(rep.valid);
        CHECK(rep.head_signed);
        CHECK(rep.signature_checked);
        CHECK(rep.entries == signed_seq + 2);
        CHECK(rep.signed_seq == signed_seq);
        CHECK(ea::describe_signing(rep) ==
              "head signed up to seq " + std::to_string(signed_seq) + ", 2 entries after it unsigned");
    }
    // Without the audit key, the head is matched against the chain but its signature is unchecked.
    auto unchecked = keyless.verify_audit();
    CHECK(unchecked.valid);
    CHECK_FALSE(unchecked.signature_checked);
    CHECK_THAT(ea::describe_signing(unchecked), Catch::Contains("not checked"));
    // The next entry an authority with its key appends signs the head again.
    s.authority.revoke("LAG-3");
    auto rep = keyless.verify_audit(*s.authority.audit_key());
    CHECK(rep.signed_seq == signed_seq + 3);
    CHECK(ea::describe_signing(rep) == "head signed up to seq " + std::to_string(signed_seq + 3));
}
