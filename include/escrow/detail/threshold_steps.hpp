// SPDX-License-Identifier: MIT
/// @file
/// Steps of a k-of-n file (docs/format.md, "k-of-n files"): splitting the session key into the
/// header's commitments and the authorities' share records, naming a share that does not belong
/// to the file, and combining K checked shares. Not public API.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/shamir.hpp"
#include "escrow/detail/host_steps.hpp"
#include "escrow/record.hpp"
#include "escrow/store/concept.hpp"

namespace escrow::detail {

/// Splits `key` into `n` shares any `k` of which give it back, and gives `h` its k-of-n section:
/// a fresh salt and each share's commitment. Draws the polynomials, then the salt.
/// @throws escrow::error `invalid_argument` unless 2 <= k <= n.
[[nodiscard]] inline std::vector<shamir_share> split_for_file(file_header& h, const session_key& key, std::size_t k,
                                                              std::size_t n, system_random& rng) {
    std::vector<shamir_share> shares = shamir::split(key.unsafe_bytes(), k, n, rng);
    threshold_section t;
    t.threshold = static_cast<std::uint8_t>(k);
    t.share_count = static_cast<std::uint8_t>(n);
    rng.fill(t.salt);
    for (const auto& s : shares) t.commitments.push_back(shamir::commitment(t.salt, s.index, s.value));
    h.threshold = std::move(t);
    return shares;
}

/// Checks a threshold `k` of `n` authorities for a store that `carries` k-of-n sections or not.
/// @throws escrow::error `invalid_argument` (no section in the format, or K > N).
inline void check_threshold(bool carries, std::string_view store_name, std::size_t k, std::size_t n) {
    if (!carries)
        throw error(errc::invalid_argument, "the " + std::string(store_name) + " format carries no k-of-n section: no threshold");
    if (k > n)
        throw error(errc::invalid_argument, "threshold " + std::to_string(k) + " of " + std::to_string(n) +
                                                " authorities: K must be <= N");
}

/// A share where a wrap expects a session key (it is as long as one): what a share record's blob
/// wraps, and what unwrapping one gives back.
[[nodiscard]] inline session_key share_as_key(const shamir_share& s) {
    return session_key::from_unsafe_bytes(s.value.unsafe_bytes());
}

/// The share record of one authority: as `make_record`, with K, N and the share's index, its MAC
/// keyed from the share.
template <class Cipher, class Wrap, class Store>
[[nodiscard]] escrow_record make_share_record(const key_info& info, const digest256& authority_fingerprint, bytes blob,
                                              const shamir_share& share, const threshold_section& t) {
    escrow_record rec = unsealed_record<Cipher, Wrap, Store>(info, authority_fingerprint, std::move(blob));
    rec.threshold = t.threshold;
    rec.share_count = t.share_count;
    rec.share_index = share.index;
    rec.seal(share_as_key(share));
    return rec;
}

/// How messages name a share record: "share 2 (record SERIAL)".
[[nodiscard]] inline std::string share_name(const escrow_record& rec) {
    return "share " + std::to_string(rec.share_index) + " (record " + rec.info.serial + ")";
}

/// The k-of-n section of `h`.
/// @throws escrow::error `invalid_argument` when the file is not a k-of-n file.
[[nodiscard]] inline const threshold_section& threshold_of(const file_header& h) {
    if (!h.threshold)
        throw error(errc::invalid_argument, "the file is not a k-of-n file: open it with one key (its owner's or an "
                                            "authority's with its record)");
    return *h.threshold;
}

/// Checks, before anything is unwrapped, that `rec` is a share record of the file `h` describes.
/// @throws escrow::error `invalid_argument` (not a share record, another file's, other K or N).
inline void check_share_record(const file_header& h, const escrow_record& rec) {
    const threshold_section& t = threshold_of(h);
    if (!rec.is_share())
        throw error(errc::invalid_argument, "record " + rec.info.serial + " holds a whole session key, not a share: "
                                            "it belongs to a file without a threshold");
    if (!h.info.serial.empty() && rec.info.serial != h.info.serial)  // age headers carry no serial
        throw error(errc::invalid_argument, share_name(rec) + " is for file serial " + rec.info.serial +
                                                ", not this file's (" + h.info.serial + ")");
    if (rec.threshold != t.threshold || rec.share_count != t.share_count)
        throw error(errc::authentication_failed, share_name(rec) + " says " + std::to_string(rec.threshold) + " of " +
                                                     std::to_string(rec.share_count) + ", the file " +
                                                     std::to_string(t.threshold) + " of " + std::to_string(t.share_count));
}

/// Checks an unwrapped share (whose record's MAC verified) against the header's commitment to its
/// index, so a wrong share is named here rather than found as a key that opens nothing.
/// @throws escrow::error `authentication_failed` naming the share.
inline void check_share(const file_header& h, const escrow_record& rec, const shamir_share& s) {
    const threshold_section& t = threshold_of(h);
    if (s.index == 0 || s.index > t.commitments.size() ||
        !constant_time_equal(shamir::commitment(t.salt, s.index, s.value), t.commitments[s.index - 1]))
        throw error(errc::authentication_failed,
                    share_name(rec) + " does not match the file: the record or the file was altered, or the record "
                                      "belongs to another file");
}

/// The shares of a k-of-n file's `records`, each checked before anything is combined: the record
/// is the file's (`check_share_record`), `piece_of(i)` gives record i's share (unwrapped and its
/// record's MAC verified, or it throws naming the share), and the share matches `h`'s commitment.
/// @throws escrow::error as `check_share_record`, `piece_of` and `check_share`.
template <class PieceOf>
[[nodiscard]] std::vector<shamir_share> checked_shares(const file_header& h, std::span<const escrow_record> records,
                                                       PieceOf&& piece_of) {
    std::vector<shamir_share> shares;
    for (std::size_t i = 0; i < records.size(); ++i) {
        check_share_record(h, records[i]);
        const session_key piece = piece_of(i);
        shares.push_back({records[i].share_index, share_value::from_unsafe_bytes(piece.unsafe_bytes())});
        check_share(h, records[i], shares.back());
    }
    return shares;
}

/// Combines the checked shares: at least K of distinct indices are needed; the first K are used.
/// The result must pass `verifies` (the header MAC under it).
/// @throws escrow::error `no_matching_key` naming how many more shares are needed,
/// `authentication_failed` when the combined key does not verify the header.
template <class Verifies>
[[nodiscard]] session_key combine_shares(const file_header& h, std::span<const shamir_share> shares, Verifies&& verifies) {
    const threshold_section& t = threshold_of(h);
    std::vector<shamir_share> distinct;
    for (const auto& s : shares) {
        bool seen = false;
        for (const auto& d : distinct) seen = seen || d.index == s.index;
        if (!seen && distinct.size() < t.threshold) distinct.push_back({s.index, s.value.clone()});
    }
    if (distinct.size() < t.threshold) {
        const std::size_t more = t.threshold - distinct.size();
        throw error(errc::no_matching_key,
                    "this file needs " + std::to_string(t.threshold) + " of its " + std::to_string(t.share_count) +
                        " authorities' shares: " + std::to_string(distinct.size()) + " distinct given, " +
                        std::to_string(more) + " more needed (a key and its share record for each)");
    }
    session_key key = shamir::combine<session_key_tag>(distinct);
    if (!verifies(std::as_const(key)))
        throw error(errc::authentication_failed, "header authentication failed: the checked shares combine to a key "
                                                 "that does not open the header (the header was modified)");
    return key;
}

/// The error for a key that is not the owner's on a k-of-n file: its authorities hold shares.
[[noreturn]] inline void throw_shares_needed(const threshold_section& t) {
    throw error(errc::no_matching_key, "the key is not the owner's, and this file's authorities hold shares: " +
                                           std::to_string(t.threshold) + " of its " + std::to_string(t.share_count) +
                                           " authority keys, each with its share record, open it");
}

/// Rethrows `e` with `prefix` before its detail, keeping its kind.
[[noreturn]] inline void rethrow_with(const error& e, std::string_view prefix) {
    throw error(e.kind(), std::string(prefix) + std::string(e.detail()));
}

}  // namespace escrow::detail
