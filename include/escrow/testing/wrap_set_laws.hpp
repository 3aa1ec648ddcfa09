// SPDX-License-Identifier: MIT
/// @file
/// The laws of a host over a set of wraps (`escrow_encryptor<Cipher, wrap_set<W...>, Store>`), as
/// functions that throw `escrow::testing::law_violation`: run them over your own set with two keys
/// of each member, as tests/laws runs them over the library's presets.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/record.hpp"
#include "escrow/testing/law_violation.hpp"

namespace escrow::testing {

/// Every pairing of the members: for each owner key and each authority key of another holder (any
/// member, the owner's own included), a file for the two opens with either key alone, through its
/// header entry and through the authority's escrow record; and a key of a third holder opens
/// nothing (`no_matching_key`), however its wrap relates to the recipients'. `first` and `second`
/// hold one key per member, of two holders; `third` one key per member of a third holder.
template <class Host>
void wrap_set_pairings(std::span<const typename Host::private_key> first, std::span<const typename Host::private_key> second,
                       std::span<const typename Host::private_key> third) {
    using pub = typename Host::public_key;
    auto public_of = [](const typename Host::private_key& k) {
        return std::visit([](const auto& key) -> pub { return key.public_key(); }, k);
    };
    const bytes plain = detail::pattern(3000, 31);
    const std::string_view p = "wrap set";
    for (std::size_t o = 0; o < first.size(); ++o)
        for (std::size_t a = 0; a < second.size(); ++a) {
            const std::string at = "owner member " + std::to_string(o) + ", authority member " + std::to_string(a);
            Host host;
            memory_source in(plain);
            memory_sink sealed;
            const escrow_record rec = host.encrypt(in, sealed, public_of(first[o]), public_of(second[a]));
            const bytes file = std::move(sealed).take();
            for (const auto* k : {&first[o], &second[a]}) {
                memory_source src(file);
                memory_sink out;
                host.decrypt(src, out, *k);
                detail::require(out.data() == plain, p, "each recipient's key alone opens the file", at);
            }
            memory_source src(file);
            memory_sink out;
            host.decrypt_with_record(src, out, rec, second[a]);
            detail::require(out.data() == plain, p, "the authority's record opens the file", at);
            for (std::size_t s = 0; s < third.size(); ++s) {
                memory_source s_in(file);
                memory_sink s_out;
                errc got{};
                try {
                    host.decrypt(s_in, s_out, third[s]);
                } catch (const error& e) {
                    got = e.kind();
                }
                detail::require(got == errc::no_matching_key && s_out.data().empty(), p,
                                "a key of no recipient opens nothing (no_matching_key)", at + ", stranger member " + std::to_string(s));
            }
        }
}

}  // namespace escrow::testing
