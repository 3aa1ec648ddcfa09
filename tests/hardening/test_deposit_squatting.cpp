// SPDX-License-Identifier: MIT
// Finding "deposit squatting": everything in a native record but its MAC is in clear in the file
// header, so anyone who sees an encrypted file can build a record for its serial. Before the fix,
// such a forgery deposited first was stored, the genuine record was refused for ever, and recovery
// failed with "the record was altered in the repository".
#include "../unit/authority_support.hpp"

#include <escrow/authority/sqlite_repository.hpp>

#include <optional>
#include <type_traits>

using namespace escrow_test;
using escrow::errc;

namespace {
// The genuine record with its MAC changed: what a squatter can build from the file alone.
escrow::escrow_record forge(const escrow::escrow_record& genuine) {
    escrow::escrow_record f = genuine;
    f.mac[0] ^= 0x01;
    return f;
}

template <class Repo>
void open_repo(std::optional<Repo>& r, const fs::path& dir) {
    if constexpr (std::is_same_v<Repo, ea::sqlite_repository>) r.emplace(dir / "authority.db");
    else r.emplace();
}
}  // namespace

TEMPLATE_TEST_CASE("An authority holding its key refuses a forged deposit, and the genuine record is stored",
                   "[authority][hardening]", ea::memory_repository, ea::sqlite_repository) {
    fs::path dir = scratch("squat-keyed");
    std::optional<TestType> repo;
    open_repo(repo, dir);
    quorum_setup<TestType> s(*repo);
    REQUIRE(s.authority.verifies_deposits());
    auto f = make_file("SQUAT-1");
    const auto& genuine = f.records.front();

    CHECK_ESCROW_ERROR(s.authority.deposit(forge(genuine)), errc::authentication_failed);
    CHECK_FALSE(s.authority.find("SQUAT-1").has_value());
    auto log = s.authority.audit_log();
    REQUIRE(!log.empty());
    CHECK(log.back().outcome == ea::audit_outcome::refused);
    CHECK(log.back().serial == "SQUAT-1");

    CHECK(s.authority.deposit(genuine) == ea::deposit_result::stored);
    // A forgery after the genuine record changes nothing.
    CHECK_ESCROW_ERROR(s.authority.deposit(forge(genuine)), errc::authentication_failed);
    auto req = s.request("SQUAT-1");
    auto blob = s.authority.recover(req, sign_by(req, {0, 1}));
    CHECK(apply_and_decrypt(dir, f.file, blob) == pattern(3000, 7));
    CHECK(s.authority.verify_audit().valid);
}

TEMPLATE_TEST_CASE("A forgery stored by a key-less authority is displaced by the genuine record deposited with the key",
                   "[authority][hardening]", ea::memory_repository, ea::sqlite_repository) {
    fs::path dir = scratch("squat-keyless");
    std::optional<TestType> repo;
    open_repo(repo, dir);
    quorum_setup<TestType> s(*repo);  // registers the officers and binds the key
    rsa_authority<TestType, ea::officer_quorum<2>> keyless(*repo, {}, keys().authority.public_key());
    keyless.set_clock([] { return t0; });
    REQUIRE_FALSE(keyless.verifies_deposits());
    auto f = make_file("SQUAT-2");
    const auto& genuine = f.records.front();

    // Without the key the authority cannot tell: the first deposit is stored, a different one refused.
    CHECK(keyless.deposit(forge(genuine)) == ea::deposit_result::stored);
    CHECK_ESCROW_ERROR(keyless.deposit(genuine), errc::invalid_argument);
    // With the key, the genuine record takes the forgery's place; recovery then works.
    CHECK(s.authority.deposit(genuine) == ea::deposit_result::replaced);
    CHECK(s.authority.deposit(genuine) == ea::deposit_result::already_present);
    auto stored = s.authority.find("SQUAT-2");
    REQUIRE(stored);
    CHECK(stored->record.unverified_value().encode() == genuine.encode());
    auto req = s.request("SQUAT-2");
    auto blob = s.authority.recover(req, sign_by(req, {0, 2}));
    CHECK(apply_and_decrypt(dir, f.file, blob) == pattern(3000, 7));
    // A forgery never displaces a verifying record, with or without the key.
    CHECK_ESCROW_ERROR(keyless.deposit(forge(genuine)), errc::invalid_argument);
    CHECK_ESCROW_ERROR(s.authority.deposit(forge(genuine)), errc::authentication_failed);
    CHECK(s.authority.verify_audit().valid);
}
