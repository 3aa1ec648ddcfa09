// SPDX-License-Identifier: MIT
/// @file
/// A deposit in two halves, so that a server can check records on several threads and store many
/// in one durable transaction (group commit): `checked_deposit`, what
/// `backup_authority::check_deposit` makes of a record without touching the repository, and
/// `deposit_outcome`, what `backup_authority::deposit_batch` says of each record it stored or
/// refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "escrow/authority/audit.hpp"
#include "escrow/authority/record_checks.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/record.hpp"

namespace escrow::authority {

class checked_deposit;
namespace detail {
template <class Wrap, class Stores, class Ciphers>
checked_deposit check_deposit(Wrap& wrap, typename Stores::objects& stores, const escrow_record& record,
                              const digest256& fingerprint, const typename Wrap::private_key* key);
}  // namespace detail

/// A record as `backup_authority::check_deposit` left it: its shape checked and, by an authority
/// holding its private key, its MAC; or the reason it is refused. Only an authority makes one, and
/// its `deposit_batch` takes only those made for its key.
class checked_deposit {
public:
    /// The record as deposited.
    [[nodiscard]] const escrow_record& record() const noexcept { return record_; }
    /// Its encoding (what the repository stores).
    [[nodiscard]] const bytes& encoded() const noexcept { return encoded_; }
    /// True when its MAC verified under the authority's private key.
    [[nodiscard]] bool verified() const noexcept { return verified_; }
    /// Why the check refused it, if it did.
    [[nodiscard]] const std::optional<error>& problem() const noexcept { return problem_; }
    /// For a refusal the audit log records (a record that does not verify), the reason it gives;
    /// empty for a record that does not even parse as this authority's (refused unaudited).
    [[nodiscard]] const std::string& audit_reason() const noexcept { return audit_reason_; }
    /// The fingerprint of the authority that checked it.
    [[nodiscard]] const digest256& checked_by() const noexcept { return checked_by_; }

private:
    template <class Wrap, class Stores, class Ciphers>
    friend checked_deposit detail::check_deposit(Wrap&, typename Stores::objects&, const escrow_record&, const digest256&,
                                                 const typename Wrap::private_key*);
    checked_deposit() = default;

    escrow_record record_;
    bytes encoded_;
    bool verified_ = false;
    std::optional<error> problem_;
    std::string audit_reason_;
    digest256 checked_by_{};
};

/// What became of one record of `backup_authority::deposit_batch`: its result, or its refusal.
struct deposit_outcome {
    std::optional<deposit_result> result;  ///< what the deposit did, unless refused
    std::optional<error> problem;          ///< why it was refused

    /// The result. @throws escrow::error the refusal, as `backup_authority::deposit` throws it.
    [[nodiscard]] deposit_result value() const {
        if (problem) throw *problem;
        return *result;
    }
};

namespace detail {

/// `backup_authority::check_deposit` for the authority of `fingerprint` whose private key is
/// `key` (none: the shape alone is checked).
template <class Wrap, class Stores, class Ciphers>
checked_deposit check_deposit(Wrap& wrap, typename Stores::objects& stores, const escrow_record& record,
                              const digest256& fingerprint, const typename Wrap::private_key* key) {
    checked_deposit c;
    c.record_ = record;
    c.encoded_ = record.encode();
    c.checked_by_ = fingerprint;
    try {
        check_record_shape<Wrap, Stores, Ciphers>(stores, record, fingerprint);
        if (key && !record_verifies<Wrap, Stores, Ciphers>(wrap, stores, record, *key)) {
            c.audit_reason_ = "the record does not verify under the authority key (forged or altered)";
            c.problem_ = error(errc::authentication_failed, c.audit_reason_ + ": serial '" + record.info.serial + "' not stored");
        }
        c.verified_ = key && !c.problem_;
    } catch (const error& e) {
        c.problem_ = e;
    }
    return c;
}

/// The second half of a deposit, for one checked record inside the batch's transaction `tx`:
/// a new serial is stored; the same record again changes nothing; a verified record displaces a
/// stored one that does not verify (`stored_verifies(existing)`, asked only when `c` is
/// verified); any other record under a taken serial is refused. `audit(outcome, reason)` appends
/// the audit entry of a change or refusal.
template <class Transaction, class Audit, class StoredVerifies>
deposit_outcome store_checked(Transaction& tx, const checked_deposit& c, std::uint64_t now, Audit&& audit,
                              StoredVerifies&& stored_verifies) {
    const escrow_record& record = c.record();
    if (c.problem()) {
        if (!c.audit_reason().empty()) audit(audit_outcome::refused, c.audit_reason());
        return {std::nullopt, c.problem()};
    }
    if (auto existing = tx.find_record(record.info.serial)) {
        if (existing->encoded == c.encoded()) return {deposit_result::already_present, std::nullopt};
        if (c.verified() && !stored_verifies(*existing)) {
            tx.replace_record({record.info.serial, record.info.owner, record_status::active, c.encoded(), now});
            audit(audit_outcome::stored, "replaced a stored record that does not verify under the authority key");
            return {deposit_result::replaced, std::nullopt};
        }
        const std::string why = "serial '" + record.info.serial + "' already holds a different record";
        audit(audit_outcome::refused, why);
        return {std::nullopt, error(errc::invalid_argument, why)};
    }
    tx.insert_record({record.info.serial, record.info.owner, record_status::active, c.encoded(), now});
    audit(audit_outcome::stored, "");
    return {deposit_result::stored, std::nullopt};
}

}  // namespace detail
}  // namespace escrow::authority
