// SPDX-License-Identifier: MIT
/// @file
/// The `repository` concept: where a backup authority keeps escrow records, officers, used
/// request nonces and its audit log, changed only inside transactions.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "escrow/authority/audit.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"

namespace escrow::authority {

/// Whether a stored record may still be recovered.
enum class record_status : std::uint8_t {
    active = 1,   ///< recoverable
    revoked = 2,  ///< kept for the audit trail, never recovered again
};

/// A record as a repository stores it: the encoded escrow record, with its serial and owner
/// copied out for look-ups. The encoding (and its MAC) is the truth; the copies are checked
/// against it whenever the record is used.
struct stored_record {
    /// The record's serial (copied out of `encoded`).
    std::string serial;
    /// The record's owner identity (copied out of `encoded`).
    std::string owner;
    /// Active, or revoked.
    record_status status = record_status::active;
    bytes encoded;               ///< `escrow_record::encode()`
    std::uint64_t deposited = 0; ///< Unix seconds
};

/// A registered recovery officer.
struct officer_entry {
    std::string name;             ///< unique
    bytes public_key;             ///< raw Ed25519 key, 32 bytes, unique
    std::uint64_t registered = 0; ///< Unix seconds
};

/// A nonce of a granted recovery request, as `list_nonces` returns it.
struct nonce_entry {
    bytes nonce;              ///< the request's nonce
    std::uint64_t expires = 0;  ///< the request's expiry, Unix seconds
};

/// A setting, as `list_meta` returns it.
struct meta_entry {
    std::string key;  ///< e.g. `meta_keys::fingerprint`
    bytes value;      ///< as `set_meta` stored it
};

/// Keys of the settings (`get_meta`/`set_meta`) a backup authority keeps in its repository.
namespace meta_keys {
inline constexpr std::string_view fingerprint = "authority.fingerprint";  ///< SHA-256 of the authority key
inline constexpr std::string_view wrap_id = "authority.wrap_id";          ///< u16 little-endian
inline constexpr std::string_view public_key = "authority.public_key";    ///< `public_key_codec` bytes
/// The last signed audit head, `signed_audit_head::encode()` (audit_signing.hpp); absent until an
/// authority holding its private key appends an entry.
inline constexpr std::string_view signed_head = "authority.signed_head";
}  // namespace meta_keys

/// One transaction on a repository. Every change is visible to others only after `commit()`;
/// destroying an uncommitted transaction rolls it back. Requirements, on a transaction `t`:
/// - records: `t.find_record(serial)` → `std::optional<stored_record>`; `t.insert_record(r)`;
///   `t.replace_record(r)` (the record stored under `r.serial` becomes `r`; `not_found` when
///   there is none); `t.set_status(serial, status)`; `t.list_records(owner)` (every record for an empty owner),
///   ordered by serial;
/// - officers: `t.find_officer(name)`, `t.find_officer_by_key(raw)` → `std::optional<officer_entry>`;
///   `t.insert_officer(o)`; `t.list_officers()`;
/// - nonces of granted requests: `t.nonce_used(nonce)` → `bool`; `t.insert_nonce(nonce, expires)`;
/// - settings: `t.get_meta(key)` → `std::optional<bytes>`; `t.set_meta(key, value)`;
/// - audit: `t.audit_head()` → `audit_head`; `t.append_audit(entry)` stores the entry and makes it
///   the head; `t.audit_entries()` → every entry in ascending `seq` order as stored;
/// - `t.commit()`.
///
/// Laws: transactions are serialisable (two never interleave their changes); a committed
/// transaction survives a crash of the process; a failure throws `escrow::error` (`io_error`).
template <class T>
concept repository_transaction =
    requires(T& t, std::string_view s, const stored_record& r, record_status st, const officer_entry& o, byte_view b,
             std::uint64_t n, const audit_entry& e) {
        { t.find_record(s) } -> std::same_as<std::optional<stored_record>>;
        t.insert_record(r);
        t.replace_record(r);
        t.set_status(s, st);
        { t.list_records(s) } -> std::same_as<std::vector<stored_record>>;
        { t.find_officer(s) } -> std::same_as<std::optional<officer_entry>>;
        { t.find_officer_by_key(b) } -> std::same_as<std::optional<officer_entry>>;
        t.insert_officer(o);
        { t.list_officers() } -> std::same_as<std::vector<officer_entry>>;
        { t.nonce_used(b) } -> std::same_as<bool>;
        t.insert_nonce(b, n);
        { t.get_meta(s) } -> std::same_as<std::optional<bytes>>;
        t.set_meta(s, b);
        { t.audit_head() } -> std::same_as<authority::audit_head>;
        t.append_audit(e);
        { t.audit_entries() } -> std::same_as<std::vector<audit_entry>>;
        t.commit();
    };

/// A transaction that can also list what it holds beside records, officers and the audit log:
/// `t.list_nonces()` → `std::vector<nonce_entry>` and `t.list_meta()` → `std::vector<meta_entry>`,
/// each in ascending byte order. What copying a whole repository (`copy_repository`) needs; an
/// authority does not.
template <class T>
concept listable_transaction = repository_transaction<T> && requires(T& t) {
    { t.list_nonces() } -> std::same_as<std::vector<nonce_entry>>;
    { t.list_meta() } -> std::same_as<std::vector<meta_entry>>;
};

/// A read-only view of a repository transaction: the look-ups of `repository_transaction` and
/// nothing that changes the repository. What an identity policy is given, so that vouching for a
/// request cannot change what the authority holds.
template <class Tx>
class transaction_view {
public:
    /// A view of `tx`, which must outlive it.
    explicit transaction_view(Tx& tx) noexcept : tx_(tx) {}

    /// As `repository_transaction`'s `find_record`.
    [[nodiscard]] std::optional<stored_record> find_record(std::string_view serial) const { return tx_.find_record(serial); }
    /// As `repository_transaction`'s `list_records`.
    [[nodiscard]] std::vector<stored_record> list_records(std::string_view owner) const { return tx_.list_records(owner); }
    /// As `repository_transaction`'s `find_officer`.
    [[nodiscard]] std::optional<officer_entry> find_officer(std::string_view name) const { return tx_.find_officer(name); }
    /// As `repository_transaction`'s `find_officer_by_key`.
    [[nodiscard]] std::optional<officer_entry> find_officer_by_key(byte_view raw) const { return tx_.find_officer_by_key(raw); }
    /// As `repository_transaction`'s `list_officers`.
    [[nodiscard]] std::vector<officer_entry> list_officers() const { return tx_.list_officers(); }
    /// As `repository_transaction`'s `nonce_used`.
    [[nodiscard]] bool nonce_used(byte_view nonce) const { return tx_.nonce_used(nonce); }
    /// As `repository_transaction`'s `get_meta`.
    [[nodiscard]] std::optional<bytes> get_meta(std::string_view key) const { return tx_.get_meta(key); }
    /// As `repository_transaction`'s `audit_head`.
    [[nodiscard]] authority::audit_head audit_head() const { return tx_.audit_head(); }
    /// As `repository_transaction`'s `audit_entries`.
    [[nodiscard]] std::vector<audit_entry> audit_entries() const { return tx_.audit_entries(); }

private:
    Tx& tx_;
};

/// A repository: `r.begin()` starts a transaction (waiting for writers in other threads or
/// processes as the repository allows). Models: `memory_repository`, `sqlite_repository`,
/// `postgres_repository`.
template <class R>
concept repository = requires(R& r) {
    typename R::transaction;
    { r.begin() } -> std::same_as<typename R::transaction>;
} && repository_transaction<typename R::transaction>;

/// Binds the repository of `tx` to the authority key of fingerprint `fp` (wrap `wrap_id`, public
/// key `public_encoded`) on first use: stores the three settings and returns true, leaving the
/// commit to the caller. A repository already bound to that key returns false.
/// @throws escrow::error `bad_key` (the repository belongs to another authority key).
template <class Transaction>
bool bind_repository(Transaction& tx, const digest256& fp, std::uint16_t wrap_id, const bytes& public_encoded) {
    if (auto stored = tx.get_meta(meta_keys::fingerprint)) {
        if (!constant_time_equal(*stored, fp))
            throw error(errc::bad_key, "this repository belongs to another authority key (SHA-256 " + hex::encode(*stored) + ")");
        return false;
    }
    tx.set_meta(meta_keys::fingerprint, fp);
    bytes id;
    le::put<std::uint16_t>(id, wrap_id);
    tx.set_meta(meta_keys::wrap_id, id);
    tx.set_meta(meta_keys::public_key, public_encoded);
    return true;
}

}  // namespace escrow::authority
