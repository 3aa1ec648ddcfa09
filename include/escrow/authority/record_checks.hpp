// SPDX-License-Identifier: MIT
/// @file
/// What `backup_authority` knows about a record apart from its repository: the types it answers
/// with (`record_entry`, `deposit_result`), the dispatch from a record's store and cipher ids to
/// the policies that read it, and the checks a deposit goes through (shape, addressee, MAC).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "escrow/authority/recovery_request.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/policy_ids.hpp"
#include "escrow/core/unverified.hpp"
#include "escrow/open_record.hpp"
#include "escrow/record.hpp"
#include "escrow/registry.hpp"
#include "escrow/store/concept.hpp"

namespace escrow::authority {

/// A record as the authority holds it.
struct record_entry {
    /// The record as deposited. Its key info (serial, owner, description) and ids are the
    /// depositor's word: an authority that holds its private key checked the MAC at deposit, one
    /// without it did not, and the repository's writers can change it since. Check it with
    /// `backup_authority::verifies` before deciding on what it says (recovery checks it itself).
    unverified<escrow_record> record;
    /// Active, or revoked by the authority.
    record_status status = record_status::active;
    std::uint64_t deposited = 0;  ///< Unix seconds
};

/// What `deposit` did.
enum class deposit_result {
    stored,           ///< a new record
    already_present,  ///< the same record was deposited before: nothing changed
    replaced,         ///< a record that verifies took the place of one under its serial that does not
};

/// Seconds since the Unix epoch, from the system clock.
[[nodiscard]] inline std::uint64_t unix_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

namespace detail {

/// A policy id in a message: its registry name with the id, or the id alone.
[[nodiscard]] inline std::string named_policy(std::string_view family, std::uint16_t id) {
    return policy_ids::describe(ids::name_of(family, id), id);
}

/// Calls `f(store, std::type_identity<Cipher>{})` with the object in `stores` of the store that
/// `store_id` names and the cipher `cipher_id` names, when that store carries that cipher with
/// `Wrap`, and returns what `f` returns.
/// @throws escrow::error `unknown_policy_id`, saying which id is not handled.
template <class Wrap, class Stores, class Ciphers, class F>
bytes dispatch_record(typename Stores::objects& stores, std::uint16_t store_id, std::uint16_t cipher_id, F&& f) {
    std::optional<bytes> out;
    bool cipher_known = false;
    const bool store_known = registry::visit_id<Stores>(store_id, [&](auto s) {
        using S = typename decltype(s)::type;
        cipher_known = registry::visit_id<Ciphers>(cipher_id, [&](auto c) {
            if constexpr (store::carries<S, typename decltype(c)::type, Wrap>) out = f(std::get<S>(stores), c);
        });
    });
    if (out) return std::move(*out);
    if (!store_known)
        throw error(errc::unknown_policy_id,
                    "the record's store " + named_policy("store", store_id) + " is not one this authority handles");
    if (!cipher_known)
        throw error(errc::unknown_policy_id,
                    "the record's cipher " + named_policy("cipher", cipher_id) + " is not one this authority handles");
    throw error(errc::unknown_policy_id, "the record's store " + named_policy("store", store_id) + " does not carry cipher " +
                                             named_policy("cipher", cipher_id) + " with " + std::string(Wrap::name));
}

/// A record's shape, as far as it can be checked without the session key: its wrap is `Wrap`, it
/// is addressed to the key of `fingerprint`, and its blob decodes in its store's format.
/// @throws escrow::error `unknown_policy_id`, `bad_key`, `malformed_blob`.
template <class Wrap, class Stores, class Ciphers>
void check_record_shape(typename Stores::objects& stores, const escrow_record& record, const digest256& fingerprint) {
    if (record.wrap_id != Wrap::id)
        throw error(errc::unknown_policy_id, "the record's wrap " + named_policy("wrap", record.wrap_id) +
                                                 " is not this authority's (" + std::string(Wrap::name) + ")");
    if (!constant_time_equal(record.authority_fingerprint, fingerprint))
        throw error(errc::bad_key, "the record was made for a different authority key");
    dispatch_record<Wrap, Stores, Ciphers>(stores, record.store_id, record.cipher_id, [&](auto& st, auto c) {
        (void)st.template decode_blob<typename decltype(c)::type, Wrap>(record.wrapped_key);
        return bytes{};
    });
}

/// True when the record's blob unwraps under `key` to a session key under which its MAC verifies.
/// The session key lives in wiped memory inside `open_record`'s result and dies here.
/// @throws escrow::error other than `authentication_failed` and `malformed_blob` (a failing token
/// or repository is not a verdict on the record).
template <class Wrap, class Stores, class Ciphers>
bool record_verifies(Wrap& wrap, typename Stores::objects& stores, const escrow_record& rec,
                     const typename Wrap::private_key& key) {
    try {
        dispatch_record<Wrap, Stores, Ciphers>(stores, rec.store_id, rec.cipher_id, [&](auto& st, auto c) {
            (void)open_record<typename decltype(c)::type>(wrap, st, rec, key);
            return bytes{};
        });
        return true;
    } catch (const error& e) {
        if (e.kind() == errc::authentication_failed || e.kind() == errc::malformed_blob) return false;
        throw;
    }
}

/// `record_verifies` after `check_record_shape` against `fingerprint`: false too for a blob that
/// does not decode or ids this authority does not handle.
/// @throws escrow::error `bad_key` (made for another authority key), and as `record_verifies`.
template <class Wrap, class Stores, class Ciphers>
bool shaped_record_verifies(Wrap& wrap, typename Stores::objects& stores, const escrow_record& rec, const digest256& fingerprint,
                            const typename Wrap::private_key& key) {
    try {
        check_record_shape<Wrap, Stores, Ciphers>(stores, rec, fingerprint);
    } catch (const error& e) {
        if (e.kind() == errc::malformed_blob || e.kind() == errc::unknown_policy_id) return false;
        throw;
    }
    return record_verifies<Wrap, Stores, Ciphers>(wrap, stores, rec, key);
}

/// `record_verifies` for a stored encoding: false as well when it does not decode or is not for
/// this authority.
template <class Wrap, class Stores, class Ciphers>
bool stored_record_verifies(Wrap& wrap, typename Stores::objects& stores, const stored_record& s, const digest256& fingerprint,
                            const typename Wrap::private_key& key) {
    std::optional<escrow_record> rec;
    try {
        rec = escrow_record::decode(s.encoded);
        check_record_shape<Wrap, Stores, Ciphers>(stores, *rec, fingerprint);
    } catch (const error&) {
        return false;
    }
    return record_verifies<Wrap, Stores, Ciphers>(wrap, stores, *rec, key);
}

/// A stored record decoded, with its look-up columns checked against its encoding.
/// @throws escrow::error `authentication_failed` (the columns disagree: altered in the repository),
/// parsing errors for a damaged encoding.
[[nodiscard]] inline record_entry to_entry(const stored_record& s) {
    record_entry e{unverified<escrow_record>(escrow_record::decode(s.encoded)), s.status, s.deposited};
    const escrow_record& r = e.record.unverified_value();
    if (r.info.serial != s.serial || r.info.owner != s.owner)
        throw error(errc::authentication_failed,
                    "stored record '" + s.serial + "': its look-up columns disagree with its encoding (altered in the repository)");
    return e;
}

/// How a recovery names a stored record whose MAC fails: altered in the repository, and for a share
/// record of a k-of-n file, which share ("share 2 of 3, record SERIAL").
[[nodiscard]] inline std::string altered_in_repository(const escrow_record& rec) {
    std::string m = "the record was altered in the repository";
    if (rec.is_share())
        m += " (share " + std::to_string(rec.share_index) + " of " + std::to_string(rec.share_count) + ", record " +
             rec.info.serial + ")";
    return m;
}

/// The checks of a recovery request that come before the identity policy's: addressed to the
/// authority of `fingerprint` and its wrap `Wrap`; within its bounds; not expired at `now`; its
/// nonce never granted before; its record stored and not revoked; and, for a request that binds a
/// record hash (version 2), that record the one stored under the serial now.
/// @return the stored record.
/// @throws escrow::error `identity_rejected`, `unknown_policy_id`, `not_found`, `limit_exceeded`.
template <class Wrap, class Transaction>
[[nodiscard]] stored_record vet_request(Transaction& tx, const recovery_request& request, const digest256& fingerprint,
                                        std::uint64_t now) {
    if (!constant_time_equal(request.authority_fingerprint, fingerprint))
        throw error(errc::identity_rejected, "the request is addressed to another authority key");
    if (request.wrap_id != Wrap::id)
        throw error(errc::unknown_policy_id, "the request's new owner key is for wrap " + detail::named_policy("wrap", request.wrap_id) +
                                                 ", not " + std::string(Wrap::name));
    (void)request.encode();  // bounds
    if (now > request.expires)
        throw error(errc::identity_rejected, "the request expired " + std::to_string(now - request.expires) + " s ago");
    if (tx.nonce_used(request.nonce)) throw error(errc::identity_rejected, "the request was granted before (replayed nonce)");
    auto found = tx.find_record(request.serial);
    if (!found) throw error(errc::not_found, "no escrow record with serial '" + request.serial + "'");
    stored_record stored = std::move(*found);
    if (stored.status == record_status::revoked)
        throw error(errc::identity_rejected, "the record '" + request.serial + "' is revoked");
    if (request.record_hash) {
        const digest256 stored_hash = recovery_request::record_digest(stored.encoded);
        if (!constant_time_equal(*request.record_hash, stored_hash))
            throw error(errc::identity_rejected,
                        "the request was made for another record under serial '" + request.serial + "' (record SHA-256 " +
                            hex::encode(*request.record_hash).substr(0, 16) + "..., stored " +
                            hex::encode(stored_hash).substr(0, 16) +
                            "...): the record was replaced after the request was made; make and sign a new request");
    }
    return stored;
}

}  // namespace detail
}  // namespace escrow::authority
