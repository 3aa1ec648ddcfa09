// SPDX-License-Identifier: MIT
/// @file
/// `escrow::authority::copy_repository`: moves a whole authority (records with their status,
/// officers, nonces of granted requests, settings and the audit chain) from one repository to
/// another, e.g. from SQLite to PostgreSQL.
#pragma once

#include <cstdint>
#include <string>

#include "escrow/authority/audit.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"

namespace escrow::authority {

/// What `copy_repository` copied.
struct copy_report {
    std::uint64_t records = 0;        ///< records, active and revoked
    std::uint64_t officers = 0;       ///< registered officers
    std::uint64_t nonces = 0;         ///< nonces of granted requests
    std::uint64_t settings = 0;       ///< `meta` entries (the authority key, the CLI's quorum, ...)
    std::uint64_t audit_entries = 0;  ///< audit entries, byte for byte
    digest256 head{};                 ///< the audit chain's head, the same in both repositories
};

/// Copies everything `from` holds into `to`, which must hold nothing yet, in one transaction on
/// each: the target gets all of it or none. The audit entries are stored exactly as they are
/// (their hashes are not recomputed), so the target's chain verifies and ends at the source's
/// head: `verify_audit()` on the copy prints the head the source printed.
///
/// The source's chain is verified first and the target's before it commits.
/// @throws escrow::error `authentication_failed` (the source's audit chain is broken: a copy
/// would launder it), `invalid_argument` (the target is not empty), `io_error` (either
/// repository failed, or the copy does not verify).
template <repository Source, repository Target>
    requires listable_transaction<typename Source::transaction> && listable_transaction<typename Target::transaction>
copy_report copy_repository(Source& from, Target& to) {
    auto src = from.begin();
    const auto entries = src.audit_entries();
    const auto source_head = src.audit_head();
    audit_report checked = verify_chain(entries, source_head);
    if (!checked.valid) throw error(errc::authentication_failed, "the source's audit log is broken: " + checked.problem);

    auto dst = to.begin();
    if (dst.audit_head().seq != 0 || !dst.audit_entries().empty() || !dst.list_records("").empty() ||
        !dst.list_officers().empty() || !dst.list_nonces().empty() || !dst.list_meta().empty())
        throw error(errc::invalid_argument, "the target already holds an authority (or part of one): import needs an empty one");

    copy_report rep;
    for (const auto& m : src.list_meta()) {
        dst.set_meta(m.key, m.value);
        ++rep.settings;
    }
    for (const auto& o : src.list_officers()) {
        dst.insert_officer(o);
        ++rep.officers;
    }
    for (const auto& r : src.list_records("")) {
        dst.insert_record(r);
        ++rep.records;
    }
    for (const auto& n : src.list_nonces()) {
        dst.insert_nonce(n.nonce, n.expires);
        ++rep.nonces;
    }
    for (const auto& e : entries) {
        dst.append_audit(e);
        ++rep.audit_entries;
    }
    audit_report copied = verify_chain(dst.audit_entries(), dst.audit_head());
    if (!copied.valid || copied.entries != checked.entries || !constant_time_equal(copied.head, checked.head))
        throw error(errc::io_error, "the copied audit log does not verify against the source's: " +
                                        (copied.valid ? std::string("another head") : copied.problem));
    rep.head = copied.head;
    dst.commit();
    return rep;
}

}  // namespace escrow::authority
