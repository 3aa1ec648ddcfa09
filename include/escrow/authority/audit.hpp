// SPDX-License-Identifier: MIT
/// @file
/// The authority's audit log: hash-chained entries, their canonical encoding, and the walk that
/// verifies a chain.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/byte_reader.hpp"

namespace escrow::authority {

/// What an audit entry records.
enum class audit_kind : std::uint8_t {
    bind_key,    ///< "bind-key": the repository was bound to the authority key
    deposit,     ///< "deposit": an escrow record was deposited (or refused)
    recovery,    ///< "recovery": a recovery request was granted or refused
    revocation,  ///< "revocation": a record was revoked
    officer,     ///< "officer": a recovery officer was registered
};

/// How the action an audit entry records ended.
enum class audit_outcome : std::uint8_t {
    bound,       ///< "bound"
    stored,      ///< "stored"
    granted,     ///< "granted"
    refused,     ///< "refused"
    revoked,     ///< "revoked"
    registered,  ///< "registered"
};

/// An audit kind or outcome.
template <class E>
concept audit_enum = std::same_as<E, audit_kind> || std::same_as<E, audit_outcome>;

namespace detail {
// The stored texts, indexed by the enumerators' values.
inline constexpr std::string_view audit_kind_texts[] = {"bind-key", "deposit", "recovery", "revocation", "officer"};
inline constexpr std::string_view audit_outcome_texts[] = {"bound", "stored", "granted", "refused", "revoked", "registered"};

template <audit_enum E>
[[nodiscard]] constexpr std::span<const std::string_view> audit_texts() noexcept {
    if constexpr (std::same_as<E, audit_kind>) return audit_kind_texts;
    else return audit_outcome_texts;
}
}  // namespace detail

// The byte-string escrow::to_string stays visible beside the overloads below.
using escrow::to_string;

/// The text of `v` as it is stored, hashed and printed ("deposit", "refused", ...). Stable: the
/// audit chain's hashes cover it.
template <audit_enum E>
[[nodiscard]] constexpr std::string_view to_string(E v) noexcept {
    const auto texts = detail::audit_texts<E>();
    const auto i = static_cast<std::size_t>(v);
    return i < texts.size() ? texts[i] : "?";
}

/// The enumerator whose text is `text`, if any.
template <audit_enum E>
[[nodiscard]] constexpr std::optional<E> from_string(std::string_view text) noexcept {
    const auto texts = detail::audit_texts<E>();
    for (std::size_t i = 0; i < texts.size(); ++i)
        if (texts[i] == text) return static_cast<E>(i);
    return std::nullopt;
}

/// For repositories that store the text: the enumerator of `text`, read back from entry `seq`.
/// @throws escrow::error `authentication_failed` for any other text, which the authority never
/// writes: the entry was edited outside it.
template <audit_enum E>
[[nodiscard]] E from_stored_text(std::string_view text, std::uint64_t seq) {
    if (auto v = from_string<E>(text)) return *v;
    throw error(errc::authentication_failed, "audit entry " + std::to_string(seq) + ": '" + std::string(text) +
                                                 "' is not a value the authority writes (edited in the repository)");
}

/// Writes `to_string(v)`, the text the audit log stores.
template <audit_enum E>
std::ostream& operator<<(std::ostream& os, E v) {
    return os << to_string(v);
}

/// One audit entry. Holds no key material: only serials, officer names, outcomes and reasons.
///
/// hash = SHA-256(prev_hash | canonical()), where canonical() is
///
///     "escrow/v1 audit\n" | seq u64 | time u64 | kind str16 | serial str16 | actor str16
///     | outcome str16 | reason str16            (integers little-endian)
///
/// and prev_hash is the previous entry's hash (32 zero bytes for the first). Each entry thus
/// commits to the whole history before it.
struct audit_entry {
    /// Domain separation prefix of the hashed encoding.
    static constexpr std::string_view domain = "escrow/v1 audit\n";
    /// Bound on each text field, in bytes.
    static constexpr std::size_t max_field = 4096;

    std::uint64_t seq = 0;    ///< 1, 2, 3, ... without gaps
    std::uint64_t time = 0;   ///< Unix seconds
    /// What happened.
    audit_kind kind = audit_kind::deposit;
    std::string serial;       ///< the record concerned (empty when none)
    std::string actor;        ///< who acted: officers' names, "owner", the caller's check
    /// How it ended.
    audit_outcome outcome = audit_outcome::stored;
    std::string reason;       ///< why, for refusals
    /// The previous entry's hash (32 zero bytes for the first).
    digest256 prev_hash{};
    /// SHA-256 over the domain, this entry's fields and `prev_hash`.
    digest256 hash{};

    /// The bytes the hash covers after `prev_hash`. @throws escrow::error `limit_exceeded`.
    [[nodiscard]] bytes canonical() const {
        bytes out(domain.begin(), domain.end());
        le::put<std::uint64_t>(out, seq);
        le::put<std::uint64_t>(out, time);
        for (std::string_view f : {to_string(kind), std::string_view(serial), std::string_view(actor),
                                   to_string(outcome), std::string_view(reason)})
            escrow::detail::put_str16(out, f, max_field, "audit field");
        return out;
    }

    /// SHA-256(prev_hash | canonical()).
    [[nodiscard]] digest256 compute_hash() const {
        bytes in(prev_hash.begin(), prev_hash.end());
        append(in, canonical());
        return sha256(in);
    }

    /// Cuts a text field to the bound the encoding allows (reasons come from error messages).
    [[nodiscard]] static std::string clip(std::string s) {
        if (s.size() > max_field) s.resize(max_field);
        return s;
    }
};

/// The chain's head as recorded beside the entries: the last sequence number and its hash (0 and
/// zeros for an empty log). Updated in the same transaction as each append, so that deleting
/// entries from the end of the log is detected too.
struct audit_head {
    /// Sequence number of the last entry (0 for an empty log).
    std::uint64_t seq = 0;
    /// Hash of the last entry (32 zeros for an empty log).
    digest256 hash{};
};

/// What `verify_audit` found.
struct audit_report {
    bool valid = false;        ///< the chain is intact and ends at the recorded head
    std::uint64_t entries = 0; ///< entries walked
    digest256 head{};          ///< the last entry's hash (publish it to anchor the log elsewhere)
    std::string problem;       ///< what is wrong, when not valid
    /// A signed head (audit_signing.hpp) was found and names an entry of the chain with its hash.
    bool head_signed = false;
    /// The signed head's signature was checked under an audit public key (and verified).
    bool signature_checked = false;
    /// The entry the signed head names (0 when unsigned); the `entries - signed_seq` entries after
    /// it are signed by no one (appended by an authority without its private key).
    std::uint64_t signed_seq = 0;
};

/// Walks `entries` (in storage order, expected ascending by `seq`) against the recorded `head`.
/// Detects a deleted entry (a gap in `seq`, a broken `prev_hash` link, or a head that does not
/// match the last entry), an inserted one (a duplicate or out-of-order `seq`, a broken link) and an
/// edited one (a stored hash that does not match its recomputed value).
[[nodiscard]] inline audit_report verify_chain(const std::vector<audit_entry>& entries, const audit_head& head) {
    audit_report rep;
    digest256 prev{};
    std::uint64_t expect = 1;
    for (const auto& e : entries) {
        auto bad = [&](const std::string& what) {
            rep.problem = "audit entry " + std::to_string(e.seq) + ": " + what;
            return rep;
        };
        if (e.seq != expect)
            return bad("sequence number out of order: expected " + std::to_string(expect) +
                       " (an entry was deleted or inserted)");
        if (!constant_time_equal(e.prev_hash, prev)) return bad("does not link to the previous entry's hash");
        if (!constant_time_equal(e.compute_hash(), e.hash)) return bad("its hash does not match its contents (edited)");
        prev = e.hash;
        ++expect;
        ++rep.entries;
    }
    if (head.seq != rep.entries) {
        rep.problem = "the log ends at entry " + std::to_string(rep.entries) + " but its recorded head is entry " +
                      std::to_string(head.seq) + " (entries were deleted from the end, or appended outside the authority)";
        return rep;
    }
    if (!constant_time_equal(head.hash, prev)) {
        rep.problem = "the recorded head hash does not match the last entry";
        return rep;
    }
    rep.valid = true;
    rep.head = prev;
    return rep;
}

}  // namespace escrow::authority
