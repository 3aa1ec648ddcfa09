// SPDX-License-Identifier: MIT
// Fuzzes authority::officer_signature::decode and its verification over a fixed recovery request
// (fuzz_fixtures.hpp; the seeds are real signatures over it by a fixed officer key). Invariants: a
// signature that decodes encodes back to its input; verifies() answers, never throws; and a
// signature that verifies over the fixed request names the fixed officer's key, since any other
// key that verified would be a forgery (the small-order officer key of the issue verifies for
// every message). The digest field is not covered: it only helps the authority word a refusal.
#include "fuzz_fixtures.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace escrow_fuzz;
    namespace authority = escrow::authority;
    begin_input();
    const escrow::byte_view in = input(data, size);
    const authority::recovery_request& request = fixtures::request();
    const authority::officer_public_key officer = fixtures::officer().public_key();

    authority::officer_signature s;
    if (!expect_escrow_errors([&] { s = authority::officer_signature::decode(in); })) return 0;
    escrow::bytes again;
    require(expect_escrow_errors([&] { again = s.encode(); }), "a signature that decodes is refused by encode");
    require(same(again, in), "officer_signature decode/encode does not give the input back");

    bool ok = false;
    require(expect_escrow_errors([&] { ok = s.verifies(request); }), "verifies() threw");
    if (ok) {
        require(same(s.officer, officer.raw()), "a signature verifies over the fixed request under another officer key");
    }
    // The officer key it names, as the authority reads it at registration.
    expect_escrow_errors([&] {
        const auto k = authority::officer_public_key::from_raw(s.officer);
        const bool direct = k.verify(request.signed_message(), s.signature);
        require(direct == ok, "officer_public_key::verify and officer_signature::verifies disagree");
    });
    return 0;
}
