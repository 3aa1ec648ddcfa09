// SPDX-License-Identifier: MIT
// Fuzzes Bech32 and the age native keys, X25519 and post-quantum: bech32::decode,
// x25519_public_key::parse (age1...), x25519_private_key::parse (AGE-SECRET-KEY-1...), the same of
// mlkem768x25519_public_key (age1pq1...) and mlkem768x25519_private_key (AGE-SECRET-KEY-PQ-1...),
// load_all and load (age-keygen's identity files).
// Invariants: Bech32 has one encoding per string (decode then encode, in the input's case, gives
// the input back); a recipient or identity that parses prints as its input; every identity of a
// file that loads prints as an identity that parses to the same key.
#include <algorithm>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "escrow/core/mlkem768x25519_key.hpp"
#include "escrow/core/x25519_key.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;

bool has_upper(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

template <class Identity>
void check_identity(const Identity& k) {
    using recipient = std::remove_cvref_t<decltype(k.public_key())>;
    require(expect_escrow_errors([&] {
                const auto id = k.unsafe_str();
                const auto back = Identity::parse(text(id.unsafe_bytes()));
                require(same(back.unsafe_bytes(), k.unsafe_bytes()), "an identity's string parses to another key");
                require(recipient::parse(k.public_key().str()).str() == k.public_key().str(),
                        "an identity's recipient does not parse back");
            }),
            "an age identity's own string does not parse");
}

// The invariants above for one kind of age key: `Identity` and its recipient type.
template <class Identity>
void check_keys(escrow::byte_view in, std::string_view s) {
    using recipient = std::remove_cvref_t<decltype(std::declval<const Identity&>().public_key())>;
    expect_escrow_errors([&] {
        auto k = recipient::parse(s);
        require(k.str() == s, "an age recipient does not print as itself");
    });
    std::optional<Identity> id;
    if (expect_escrow_errors([&] { id.emplace(Identity::parse(s)); })) {
        require(text(id->unsafe_str().unsafe_bytes()) == s, "an age identity does not print as itself");
        check_identity(*id);
    }
    std::vector<Identity> ids;
    if (expect_escrow_errors([&] { ids = Identity::load_all(in); })) {
        require(!ids.empty() && ids.size() <= Identity::max_identities_per_file, "identity count");
        for (const auto& k : ids) check_identity(k);
        const bool one = expect_escrow_errors([&] { (void)Identity::load(in); });
        require(one == (ids.size() == 1), "load and load_all disagree");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);
    const std::string_view s = text(in);

    std::optional<escrow::bech32::decoded> d;
    if (expect_escrow_errors([&] { d.emplace(escrow::bech32::decode(s)); })) {
        std::string again;
        require(expect_escrow_errors([&] { again = escrow::bech32::encode(d->hrp, d->data, has_upper(s)); }),
                "a Bech32 string that decodes is refused by encode");
        require(again == s, "Bech32 decode/encode does not give the string back");
    }
    check_keys<escrow::x25519_private_key>(in, s);
    check_keys<escrow::mlkem768x25519_private_key>(in, s);
    return 0;
}
