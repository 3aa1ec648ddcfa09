// SPDX-License-Identifier: MIT
/// @file
/// `escrow::policy_ids`: the (cipher, wrap, store) id triple that records, owner blobs and file
/// headers carry, with the one way ids are printed and the one check that a triple matches.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "escrow/core/error.hpp"

namespace escrow {

/// The ids of the three policies a file, an escrow record or an owner blob was made with.
///
/// A triple made from policy types (`of<C, W, S>()`) also knows their names, for messages; a
/// triple read from a file knows only ids (`escrow::registry::describe` names the library's).
/// Names never take part in comparison.
struct policy_ids {
    /// The cipher's numeric id, as written in blobs.
    std::uint16_t cipher = 0;
    /// The wrap's numeric id.
    std::uint16_t wrap = 0;
    /// The store's numeric id.
    std::uint16_t store = 0;
    /// The policies' names, empty where not known.
    /// @{
    std::string_view cipher_name{}, wrap_name{}, store_name{};
    /// @}

    /// The ids (and names) of the policy types `Cipher`, `Wrap` and `Store`.
    template <class Cipher, class Wrap, class Store>
    [[nodiscard]] static constexpr policy_ids of() noexcept {
        return {Cipher::id, Wrap::id, Store::id, Cipher::name, Wrap::name, Store::name};
    }

    /// Equal when the three ids are; the names are not compared.
    friend constexpr bool operator==(const policy_ids& a, const policy_ids& b) noexcept {
        return a.cipher == b.cipher && a.wrap == b.wrap && a.store == b.store;
    }

    /// A policy id as it is printed everywhere (messages, `escrow inspect`, JSON): "0x0101".
    [[nodiscard]] static std::string hex(std::uint16_t id) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string s = "0x";
        for (int shift = 12; shift >= 0; shift -= 4) s.push_back(digits[(id >> shift) & 15]);
        return s;
    }

    /// One id with its name where known: "aes256-gcm-stream (0x0101)", else "0x0101".
    [[nodiscard]] static std::string describe(std::string_view name, std::uint16_t id) {
        return name.empty() ? hex(id) : std::string(name) + " (" + hex(id) + ")";
    }

    /// "cipher aes256-gcm-stream (0x0101), wrap rsa-oaep-sha256 (0x0201), store native (0x0301)".
    [[nodiscard]] std::string to_string() const {
        return "cipher " + describe(cipher_name, cipher) + ", wrap " + describe(wrap_name, wrap) + ", store " +
               describe(store_name, store);
    }

    /// Checks that these are the `expected` ids; `what` names the thing that carries them in the
    /// message ("the escrow record", "the owner blob").
    /// @throws escrow::error `unknown_policy_id` naming both triples when they differ.
    void check_matches(const policy_ids& expected, std::string_view what) const {
        if (*this != expected)
            throw error(errc::unknown_policy_id, std::string(what) + " was made for other policies (" + to_string() +
                                                     ") than these (" + expected.to_string() + ")");
    }
};

}  // namespace escrow
