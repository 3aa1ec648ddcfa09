// SPDX-License-Identifier: MIT
/// @file
/// The audit log as an authority writes and checks it inside a repository transaction: appending
/// an entry (linked to the head, and the head signed when the authority holds an audit key), and
/// walking the chain and the signed head.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "escrow/authority/audit.hpp"
#include "escrow/authority/audit_signing.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/core/error.hpp"

namespace escrow::authority {

/// What an operation writes to the audit log: what happened, to which serial, at whose hand, with
/// what outcome and why. Long fields are clipped (`audit_entry::clip`).
struct audit_event {
    audit_kind kind;          ///< deposit, recovery, ...
    std::string serial;       ///< the record's serial, or empty
    std::string actor;        ///< who acted
    audit_outcome outcome;    ///< stored, granted, refused, ...
    std::string reason;       ///< why (for a refusal), or empty
};

/// Stores in `tx` the head `e` (the last entry appended) signed with `signer` for the authority of
/// `fingerprint` (`meta_keys::signed_head`).
template <class Transaction>
void sign_audit_head(Transaction& tx, const audit_entry& e, const audit_signing_key& signer, const digest256& fingerprint) {
    tx.set_meta(meta_keys::signed_head, signed_audit_head::sign(e.seq, e.hash, fingerprint, e.time, signer).encode());
}

/// Appends `ev` at `time` after the log's head in `tx`, and returns the entry. With `signer`, also
/// stores the new head signed for the authority of `fingerprint` (`sign_audit_head`), in the same
/// transaction.
template <class Transaction>
audit_entry append_audit_event(Transaction& tx, audit_event ev, std::uint64_t time, const audit_signing_key* signer,
                        const digest256& fingerprint) {
    const audit_head head = tx.audit_head();
    audit_entry e;
    e.seq = head.seq + 1;
    e.time = time;
    e.kind = ev.kind;
    e.serial = audit_entry::clip(std::move(ev.serial));
    e.actor = audit_entry::clip(std::move(ev.actor));
    e.outcome = ev.outcome;
    e.reason = audit_entry::clip(std::move(ev.reason));
    e.prev_hash = head.hash;
    e.hash = e.compute_hash();
    tx.append_audit(e);
    if (signer) sign_audit_head(tx, e, *signer, fingerprint);
    return e;
}

/// Walks the log in `tx` (`verify_chain`), then its signed head, if any, for the authority of
/// `fingerprint`, checking the head's signature under `key` when given (`check_signed_head`). A
/// stored head that does not decode makes the report invalid.
template <class Transaction>
[[nodiscard]] audit_report verify_audit_trail(Transaction& tx, const digest256& fingerprint, const audit_public_key* key) {
    std::vector<audit_entry> entries = tx.audit_entries();
    audit_report rep = verify_chain(entries, tx.audit_head());
    if (!rep.valid) return rep;
    std::optional<signed_audit_head> head;
    if (auto b = tx.get_meta(meta_keys::signed_head)) {
        try {
            head = signed_audit_head::decode(*b);
        } catch (const error& e) {
            rep.valid = false;
            rep.problem = std::string("the stored signed audit head is damaged: ") + e.what();
            return rep;
        }
    }
    check_signed_head(rep, entries, head, fingerprint, key);
    return rep;
}

}  // namespace escrow::authority
