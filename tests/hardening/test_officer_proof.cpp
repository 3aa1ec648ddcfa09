// SPDX-License-Identifier: MIT
// Finding "officer keys not validated": besides the strict key checks (test_hardening), an officer
// registers only with a proof of possession, its signature over its name, its key and the
// authority's fingerprint. Before, any public key registered under any name: a key copied from
// another authority's officer, or one nobody can sign for.
#include "../unit/authority_support.hpp"

#include <escrow/authority/memory_repository.hpp>
#include <escrow/authority/officer_proof.hpp>

using namespace escrow_test;
using escrow::errc;

namespace {
struct proof_setup {
    ea::memory_repository repo;
    rsa_authority<ea::memory_repository, ea::officer_quorum<2>> authority{repo, {}, keys().authority.clone()};
    proof_setup() { authority.set_clock([] { return t0; }); }
};
}  // namespace

TEST_CASE("An officer registers with a proof of possession made for this authority", "[authority][hardening]") {
    proof_setup s;
    const auto& olivia = officer_keys()[0];
    auto proof = ea::officer_proof::make(s.authority.fingerprint(), "olivia", olivia);
    REQUIRE(proof.verifies());
    s.authority.register_officer(proof);
    auto officers = s.authority.officers();
    REQUIRE(officers.size() == 1);
    CHECK(officers[0].name == "olivia");
    CHECK(escrow::constant_time_equal(officers[0].public_key, olivia.public_key().raw()));
    CHECK(s.authority.audit_log().back().outcome == ea::audit_outcome::registered);
    // The encoding round-trips, and what is decoded still verifies.
    auto decoded = ea::officer_proof::decode(proof.encode());
    CHECK(decoded.encode() == proof.encode());
    CHECK(decoded.verifies());
}

TEST_CASE("A proof for another authority, another name or another key registers nothing", "[authority][hardening]") {
    proof_setup s;
    const auto& olivia = officer_keys()[0];
    const auto& oscar = officer_keys()[1];

    SECTION("made for another authority (replayed from elsewhere)") {
        auto other_fp = keys().owner.public_key().fingerprint();
        auto proof = ea::officer_proof::make(other_fp, "olivia", olivia);
        CHECK(proof.verifies());  // a good proof, for the wrong authority
        CHECK_ESCROW_ERROR(s.authority.register_officer(proof), errc::identity_rejected);
    }
    SECTION("its name changed after signing") {
        auto proof = ea::officer_proof::make(s.authority.fingerprint(), "olivia", olivia);
        proof.name = "mallory";
        CHECK_FALSE(proof.verifies());
        CHECK_ESCROW_ERROR(s.authority.register_officer(proof), errc::identity_rejected);
    }
    SECTION("another officer's key, signed by someone who does not hold it") {
        auto proof = ea::officer_proof::make(s.authority.fingerprint(), "oscar", olivia);
        const auto oscar_pub = oscar.public_key();
        proof.officer.assign(oscar_pub.raw().begin(), oscar_pub.raw().end());
        CHECK_FALSE(proof.verifies());
        CHECK_ESCROW_ERROR(s.authority.register_officer(proof), errc::identity_rejected);
    }
    SECTION("a signature with a flipped bit") {
        auto proof = ea::officer_proof::make(s.authority.fingerprint(), "olivia", olivia);
        proof.signature[5] ^= 0x10;
        CHECK_ESCROW_ERROR(s.authority.register_officer(proof), errc::identity_rejected);
    }
    CHECK(s.authority.officers().empty());
    auto log = s.authority.audit_log();
    REQUIRE(log.size() == 2);  // the key binding, then the refusal
    CHECK(log.back().outcome == ea::audit_outcome::refused);
    CHECK(log.back().kind == ea::audit_kind::officer);
    CHECK(s.authority.verify_audit().valid);
}

TEST_CASE("A malformed proof is a clear error", "[authority][hardening]") {
    proof_setup s;
    const auto encoded = ea::officer_proof::make(s.authority.fingerprint(), "olivia", officer_keys()[0]).encode();
    escrow::bytes truncated(encoded.begin(), encoded.end() - 1);
    CHECK_ESCROW_ERROR((void)ea::officer_proof::decode(truncated), errc::malformed_blob);  // a short field is malformed
    escrow::bytes trailing = encoded;
    trailing.push_back(0);
    CHECK_ESCROW_ERROR((void)ea::officer_proof::decode(trailing), errc::trailing_data);
    escrow::bytes version = encoded;
    version[8] = 2;
    CHECK_ESCROW_ERROR((void)ea::officer_proof::decode(version), errc::unsupported_version);
    escrow::bytes garbage(200, 0x41);
    CHECK_ESCROW_ERROR((void)ea::officer_proof::decode(garbage), errc::malformed_blob);
    CHECK_ESCROW_ERROR((void)ea::officer_proof::decode(escrow::bytes(5000, 0)), errc::limit_exceeded);
    CHECK_ESCROW_ERROR((void)ea::officer_proof::make(s.authority.fingerprint(), std::string(129, 'a'), officer_keys()[0]),
                       errc::invalid_argument);
}
