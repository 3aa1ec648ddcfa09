// SPDX-License-Identifier: MIT
/// @file
/// `escrow::authority::backup_authority<Wrap, Repository, IdentityPolicy>`: the authority's side of
/// key escrow: deposit, look-up, revocation, identity-checked recovery, audit.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "escrow/authority/audit.hpp"
#include "escrow/authority/audit_signing.hpp"
#include "escrow/authority/audit_trail.hpp"
#include "escrow/authority/deposit_batch.hpp"
#include "escrow/authority/identity.hpp"
#include "escrow/authority/officer_proof.hpp"
#include "escrow/authority/owner_blob.hpp"
#include "escrow/authority/record_checks.hpp"
#include "escrow/authority/recovery_request.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/open_record.hpp"
#include "escrow/registry.hpp"
#include "escrow/record.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::authority {

/// The backup authority of step 4: it keeps escrow records made for its key, and gives a session
/// key back, re-wrapped to the owner's new public key, once `IdentityPolicy` established the
/// owner's identity. Every deposit, recovery attempt and revocation goes to a hash-chained audit
/// log in the same repository transaction as the change it records. An authority that holds its
/// private key (and whose wrap derives an audit key from it, `audit_signing_key::derive_if`) also signs the chain's head with its audit
/// key (audit_signing.hpp) in that transaction, so that a rewritten chain is detected.
///
/// The authority handles records whose wrap is `Wrap`; their blobs are in their store's format, so
/// the store and the cipher are found by id among `Stores` and `Ciphers` (`escrow::type_list`s of
/// policy types, walked at compile time: no virtual call). A (store, cipher) pair is used only
/// when the store carries that cipher with `Wrap` (`Store::carries<Cipher, Wrap>`). The wrap and
/// the stores are objects the authority is given (a stateful wrap or store serves as it is); a
/// session key is recovered through `escrow::open_record`, the path the owner's host takes too.
///
/// The plaintext session key exists only inside `recover`, in wiped memory, between the unwrap
/// and the re-wrap.
///
/// @tparam Wrap           a `wrap_policy` whose keys have a `public_key_codec`
/// @tparam Repository     a `repository` (`sqlite_repository`, `memory_repository`)
/// @tparam IdentityPolicy an `identity_policy` for the repository's transactions (it reads them
///                        through a `transaction_view`, which cannot change them)
/// @tparam Stores         an `escrow::type_list` of the stores to dispatch over (default: the registry's)
/// @tparam Ciphers        an `escrow::type_list` of the ciphers to dispatch over (default: the registry's)
template <class Wrap, class Repository, class IdentityPolicy, class Stores = registry::stores,
          class Ciphers = registry::ciphers>
class backup_authority {
    static_assert(wrap_policy<Wrap>, "Wrap must be a wrap_policy (docs/policies.md#wrap)");
    static_assert(public_key_bytes<Wrap>,
                  "Wrap's public keys need a byte form: bytes der() const and static from_der(byte_view), or a "
                  "specialisation of escrow::authority::public_key_codec<Wrap> (docs/authority.md)");
    static_assert(repository<Repository>,
                  "Repository must model escrow::authority::repository (escrow/authority/repository.hpp)");
    static_assert(identity_policy<IdentityPolicy, typename Repository::transaction>,
                  "IdentityPolicy must provide std::string establish(const recovery_request&, "
                  "std::span<const officer_signature>, const transaction_view<Repository::transaction>&) const "
                  "(escrow/authority/identity.hpp)");

public:
    /// The wrap of the authority's key.
    using wrap_type = Wrap;
    /// The authority's public key type (the wrap's).
    using public_key = typename Wrap::public_key;
    /// The authority's private key type (the wrap's), held only by an authority that may recover.
    using private_key = typename Wrap::private_key;
    /// The repository's transaction, which every operation runs in.
    using transaction = typename Repository::transaction;
    /// The clock, in Unix seconds; replaceable for tests of expiry.
    using clock_function = std::function<std::uint64_t()>;
    /// One object of each store of `Stores`, as the authority is given them (a `std::tuple`).
    using store_objects = typename Stores::objects;

    /// An authority that can recover: it holds its private key. Binds the repository to this key
    /// on first use; a repository bound to another key is refused. `wrap` and `stores` are the
    /// policy objects it works with (default-constructed only when not given).
    /// @throws escrow::error `bad_key` (the repository belongs to another authority key).
    backup_authority(Repository& repo, IdentityPolicy policy, private_key key, Wrap wrap = Wrap{},
                     store_objects stores = store_objects{})
        : repo_(repo), policy_(std::move(policy)), wrap_(std::move(wrap)), stores_(std::move(stores)),
          public_(wrap_.public_of(key)), fingerprint_(wrap_.fingerprint(public_)), private_(std::move(key)) {
        audit_key_ = audit_signing_key::derive_if<Wrap>(*private_, fingerprint());
        bind_key();
    }

    /// An authority that accepts deposits and answers look-ups but cannot recover (no private key).
    backup_authority(Repository& repo, IdentityPolicy policy, public_key key, Wrap wrap = Wrap{},
                     store_objects stores = store_objects{})
        : repo_(repo), policy_(std::move(policy)), wrap_(std::move(wrap)), stores_(std::move(stores)),
          public_(std::move(key)), fingerprint_(wrap_.fingerprint(public_)) {
        bind_key();
    }

    /// Replaces the clock (tests of expiry).
    void set_clock(clock_function now) { now_ = std::move(now); }

    /// The SHA-256 fingerprint of the authority key, as records and requests carry it.
    [[nodiscard]] digest256 fingerprint() const { return fingerprint_; }
    /// The authority's public key.
    [[nodiscard]] const public_key& key() const noexcept { return public_; }

    /// Stores `record` durably (`check_deposit`, then `deposit_batch` of one). Depositing the same
    /// record again changes nothing. An authority that holds its private key verifies every
    /// deposit (its blob unwraps, its MAC verifies), so a record forged from the clear fields of a
    /// file is refused. One without its key cannot tell a forgery from the real record: it stores
    /// the first deposit under a serial, and a later verifying deposit through an authority that
    /// holds the key replaces a stored record that does not verify (`deposit_result::replaced`,
    /// audited), so a verifying record is never blocked for good by one that does not.
    /// @throws escrow::error `unknown_policy_id` (a wrap, store or cipher this authority does not
    /// handle), `bad_key` (made for another authority key), `authentication_failed` (the record
    /// does not verify under the authority's private key; audited), `malformed_blob`,
    /// `limit_exceeded`, `invalid_argument` (the serial already holds a different record that
    /// this deposit cannot displace; audited), `io_error`.
    deposit_result deposit(const escrow_record& record) {
        const checked_deposit c = check_deposit(record);
        return deposit_batch(std::span(&c, 1)).front().value();
    }

    /// The first half of `deposit`, touching no repository: the record's shape and, with the
    /// private key, its MAC (the costly part). With `concurrent_checks` (stateless wrap and
    /// stores), it may run on several threads at once, beside the other members.
    /// @throws what `deposit` throws for a failing key or token (not a verdict on the record).
    [[nodiscard]] checked_deposit check_deposit(const escrow_record& record) {
        return detail::check_deposit<Wrap, Stores, Ciphers>(wrap_, stores_, record, fingerprint_, private_ ? &*private_ : nullptr);
    }
    /// See `check_deposit`.
    static constexpr bool concurrent_checks = std::is_empty_v<Wrap> && std::is_empty_v<store_objects>;

    /// The second half of `deposit` for each record of `batch`, in order, in one transaction: one
    /// durable commit for all (group commit). Each is stored, found present, or refused as `deposit`
    /// would, per record, and audited per record; the head is signed once, at the end. @throws
    /// escrow::error `io_error` (the transaction failed: none is stored), `bad_key` (checked by another authority).
    [[nodiscard]] std::vector<deposit_outcome> deposit_batch(std::span<const checked_deposit> batch) {
        std::vector<deposit_outcome> out;
        std::optional<transaction> tx;
        std::optional<audit_entry> last;
        for (const checked_deposit& c : batch) {
            if (!constant_time_equal(c.checked_by(), fingerprint_)) throw error(errc::bad_key, "a deposit checked by another authority");
            if (c.problem() && c.audit_reason().empty()) {
                out.push_back({std::nullopt, c.problem()});
                continue;
            }
            if (!tx) tx.emplace(repo_.begin());
            const auto& info = c.record().info;
            out.push_back(detail::store_checked(
                *tx, c, now(), [&](audit_outcome o, std::string why) { last = append_audit(*tx, audit_kind::deposit, info.serial, info.owner, o, std::move(why), false); },
                [&](const stored_record& s) { return detail::stored_record_verifies<Wrap, Stores, Ciphers>(wrap_, stores_, s, fingerprint_, *private_); }));
        }
        if (last && audit_key_) sign_audit_head(*tx, *last, *audit_key_, fingerprint_);
        if (tx) tx->commit();
        return out;
    }

    /// True when `entry`'s record verifies under this authority's private key: its blob unwraps and
    /// its MAC holds, so its key info and ids are what the encrypting host wrote. Needs the key.
    /// @throws escrow::error `bad_key` (opened without the private key; or made for another key).
    [[nodiscard]] bool verifies(const record_entry& entry) {
        if (!private_) throw error(errc::bad_key, "this authority was opened without its private key: it cannot verify records");
        return detail::shaped_record_verifies<Wrap, Stores, Ciphers>(wrap_, stores_, entry.record.unverified_value(),
                                                                     fingerprint(), *private_);
    }

    /// True when this authority holds its private key, so that `deposit` verifies records.
    [[nodiscard]] bool verifies_deposits() const noexcept { return private_.has_value(); }

    /// The record stored under `serial`, if any.
    /// @throws escrow::error `authentication_failed` when the stored copy's look-up columns
    /// disagree with its encoding; parsing errors for a damaged encoding.
    [[nodiscard]] std::optional<record_entry> find(std::string_view serial) {
        transaction tx = repo_.begin();
        auto s = tx.find_record(serial);
        if (!s) return std::nullopt;
        return detail::to_entry(*s);
    }

    /// Every record of `owner` (every record when `owner` is empty), ordered by serial.
    [[nodiscard]] std::vector<record_entry> list(std::string_view owner = {}) {
        transaction tx = repo_.begin();
        std::vector<record_entry> out;
        for (const auto& s : tx.list_records(owner)) out.push_back(detail::to_entry(s));
        return out;
    }

    /// Revokes the record under `serial`: it is kept, and never recovered again. Audited.
    /// @return false when it was revoked already (nothing changes).
    /// @throws escrow::error `not_found`.
    bool revoke(std::string_view serial, std::string_view actor = "authority") {
        transaction tx = repo_.begin();
        auto s = tx.find_record(serial);
        if (!s) throw error(errc::not_found, "no escrow record with serial '" + std::string(serial) + "'");
        if (s->status == record_status::revoked) return false;
        tx.set_status(serial, record_status::revoked);
        append_audit(tx, audit_kind::revocation, std::string(serial), std::string(actor), audit_outcome::revoked, "");
        tx.commit();
        return true;
    }

    /// Registers the officer of `proof` under the name it carries, once the proof is checked: it
    /// must be made for this authority (its fingerprint) and verify under the key it names, which
    /// shows that whoever enrols the key holds its private half. Audited, refusals too.
    /// @throws escrow::error `identity_rejected` (a proof for another authority, or one that does
    /// not verify), `bad_key` (no usable Ed25519 key), `invalid_argument` (as the overload below).
    void register_officer(const officer_proof& proof) {
        const officer_public_key key = officer_public_key::from_raw(proof.officer);
        std::string problem;
        if (!constant_time_equal(proof.authority_fingerprint, fingerprint()))
            problem = "the proof of possession was made for another authority";
        else if (!proof.verifies())
            problem = "the proof of possession does not verify under the officer's key";
        if (!problem.empty()) {
            transaction tx = repo_.begin();
            append_audit(tx, audit_kind::officer, "", one_line_name(proof.name), audit_outcome::refused, problem);
            tx.commit();
            throw error(errc::identity_rejected, "officer '" + one_line_name(proof.name) + "' not registered: " + problem);
        }
        register_officer_as(proof.name, key, "proof of possession checked");
    }

    /// Registers a recovery officer without a proof of possession: for a key whose holder the
    /// authority has established otherwise (in person, say). Prefer the overload taking an
    /// `officer_proof`. Audited.
    /// @throws escrow::error `invalid_argument` (bad or taken name, key already registered).
    void register_officer(std::string_view name, const officer_public_key& key) {
        register_officer_as(name, key, "without a proof of possession");
    }

    /// The registered officers, ordered by name.
    [[nodiscard]] std::vector<officer_entry> officers() {
        transaction tx = repo_.begin();
        return tx.list_officers();
    }

    /// Step 4: gives the session key of `request.serial` back, re-wrapped to the request's new
    /// owner key, once the request passes every check:
    /// addressed to this authority; not expired; its nonce never granted before; the record exists
    /// and is not revoked; its record hash, when it binds one (version 2), is the stored record's
    /// (a record replaced since, `deposit_result::replaced`, voids it); `IdentityPolicy` vouches for it; the record's blob unwraps with the
    /// authority key and the record's MAC verifies (so metadata changed in the repository is
    /// caught). The grant records the nonce. Granted or refused, the attempt is audited.
    ///
    /// @throws escrow::error `identity_rejected` (expired, replayed, another authority, revoked,
    /// another record than the one stored under the serial, the policy refused), `not_found`, `authentication_failed` (record altered), `bad_key`
    /// (no private key, or the new owner key is unusable), `unknown_policy_id`.
    [[nodiscard]] owner_blob recover(const recovery_request& request, std::span<const officer_signature> signatures) {
        std::string actor = "request " + hex::encode(request.digest()).substr(0, 16);
        try {
            transaction tx = repo_.begin();
            owner_blob out = recover_in(tx, request, signatures, actor);
            tx.insert_nonce(request.nonce, request.expires);
            append_audit(tx, audit_kind::recovery, request.serial, actor, audit_outcome::granted, "");
            tx.commit();
            return out;
        } catch (const error& e) {
            // The failed transaction has rolled back; the refusal is recorded on its own.
            try {
                transaction tx = repo_.begin();
                append_audit(tx, audit_kind::recovery, request.serial, actor, audit_outcome::refused, e.what());
                tx.commit();
            } catch (const error&) {
                // The repository itself is failing: report the original error.
            }
            throw;
        }
    }

    /// Walks the audit log: every entry links to the one before, every hash matches its entry,
    /// sequence numbers have no gap, and the last entry is the recorded head.
    ///
    /// Then the signed head (`meta_keys::signed_head`), when there is one: it must be this
    /// authority's, name an entry of the chain and carry that entry's hash (a chain rewritten in
    /// the database, hashes and head recomputed, fails here), and, when this authority holds its
    /// private key, verify under its audit key. The report says up to which entry the log is
    /// signed; entries after it were appended by an authority without its key. No signed head at
    /// all (a log kept only by key-less authorities, or written before heads were signed) leaves
    /// the report valid and `head_signed` false.
    [[nodiscard]] audit_report verify_audit() {
        if (audit_key_) return verify_audit(audit_key_->public_key());
        return verify_audit_with(nullptr);
    }

    /// As `verify_audit()`, checking the signed head's signature under `key` (the authority's
    /// audit public key, from `audit_key()` on a host that holds the private key).
    [[nodiscard]] audit_report verify_audit(const audit_public_key& key) { return verify_audit_with(&key); }

    /// The audit public key, when this authority holds its private key and its wrap derives one
    /// (not for a key in a PKCS#11 token, nor for an authority opened with its public key only).
    [[nodiscard]] std::optional<audit_public_key> audit_key() const {
        if (!audit_key_) return std::nullopt;
        return audit_key_->public_key();
    }

    /// True when appending an audit entry also signs the head (see `audit_key()`).
    [[nodiscard]] bool signs_audit() const noexcept { return audit_key_.has_value(); }

    /// The last signed audit head, if any, as stored (not checked: `verify_audit` checks it).
    /// @throws escrow::error `malformed_blob` and the like when the stored bytes are not one.
    [[nodiscard]] std::optional<signed_audit_head> signed_head() {
        transaction tx = repo_.begin();
        auto b = tx.get_meta(meta_keys::signed_head);
        if (!b) return std::nullopt;
        return signed_audit_head::decode(*b);
    }

    /// The audit log, oldest first.
    [[nodiscard]] std::vector<audit_entry> audit_log() {
        transaction tx = repo_.begin();
        return tx.audit_entries();
    }

private:
    // Registers `name` with `key`, the audit entry saying `how` (with or without a proof).
    void register_officer_as(std::string_view name, const officer_public_key& key, std::string_view how) {
        officer_proof::check_name(name);
        transaction tx = repo_.begin();
        if (tx.find_officer(name)) throw error(errc::invalid_argument, "officer '" + std::string(name) + "' is already registered");
        if (auto o = tx.find_officer_by_key(key.raw()))
            throw error(errc::invalid_argument, "this key is already registered, for officer '" + o->name + "'");
        tx.insert_officer({std::string(name), bytes(key.raw().begin(), key.raw().end()), now()});
        append_audit(tx, audit_kind::officer, "", std::string(name), audit_outcome::registered, std::string(how));
        tx.commit();
    }
    // A name from outside as messages and the audit log show it: printable ASCII, '?' for the
    // rest, at most officer_proof::max_name characters.
    static std::string one_line_name(std::string_view name) { return text::shown(name, officer_proof::max_name); }
    Repository& repo_;
    IdentityPolicy policy_;
    [[no_unique_address]] Wrap wrap_;
    store_objects stores_;
    public_key public_;
    digest256 fingerprint_;
    std::optional<private_key> private_;
    std::optional<audit_signing_key> audit_key_;
    clock_function now_ = unix_now;

    std::uint64_t now() const { return now_(); }

    void bind_key() {
        transaction tx = repo_.begin();
        const digest256 fp = fingerprint();
        if (!bind_repository(tx, fp, Wrap::id, public_key_codec<Wrap>::encode(public_))) return;
        append_audit(tx, audit_kind::bind_key, "", "authority", audit_outcome::bound, "authority key SHA-256 " + hex::encode(fp));
        tx.commit();
    }

    // Appends an audit entry; `sign`: and signs the new head (a batch signs its last one only).
    audit_entry append_audit(transaction& tx, audit_kind kind, std::string serial, std::string actor, audit_outcome outcome,
                             std::string reason, bool sign = true) {
        return append_audit_event(tx, {kind, std::move(serial), std::move(actor), outcome, std::move(reason)}, now(),
                                  sign && audit_key_ ? &*audit_key_ : nullptr, fingerprint_);
    }

    audit_report verify_audit_with(const audit_public_key* key) {
        transaction tx = repo_.begin();
        return verify_audit_trail(tx, fingerprint(), key);
    }

    owner_blob recover_in(transaction& tx, const recovery_request& request, std::span<const officer_signature> signatures,
                          std::string& actor) {
        if (!private_) throw error(errc::bad_key, "this authority was opened without its private key: it cannot recover");
        stored_record stored = detail::vet_request<Wrap>(tx, request, fingerprint(), now());
        const transaction_view<transaction> view(tx);
        actor = policy_.establish(request, signatures, view);

        record_entry entry = detail::to_entry(stored);
        const escrow_record& rec = entry.record.unverified_value();  // its MAC is checked by open_record below
        if (rec.wrap_id != Wrap::id || !constant_time_equal(rec.authority_fingerprint, fingerprint()))
            throw error(errc::authentication_failed, "the stored record is not for this authority key (altered in the repository)");
        public_key new_owner = public_key_codec<Wrap>::decode(request.new_owner_key);

        owner_blob out;
        out.serial = rec.info.serial;
        out.cipher_id = rec.cipher_id;
        out.wrap_id = rec.wrap_id;
        out.store_id = rec.store_id;
        out.blob = detail::dispatch_record<Wrap, Stores, Ciphers>(stores_, rec.store_id, rec.cipher_id, [&](auto& st, auto c) {
            using C = typename decltype(c)::type;
            session_key key = open_record<C>(wrap_, st, rec, *private_, detail::altered_in_repository(rec));
            return st.template encode_blob<C, Wrap>(wrap_.wrap(key, new_owner, default_random()));
        });
        return out;
    }
};

}  // namespace escrow::authority
