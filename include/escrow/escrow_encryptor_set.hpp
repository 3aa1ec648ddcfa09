// SPDX-License-Identifier: MIT
/// @file
/// `escrow::escrow_encryptor<Cipher, wrap_set<Ws...>, Store>`: the owner-side host for files whose
/// recipients are of several wraps (an RSA owner, an X25519 authority, an ssh-ed25519 second
/// authority). Each key is a `std::variant` over the members' key types; the host wraps and
/// unwraps each entry with the member its key's type names, over a closed compile-time list.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "escrow/escrow_encryptor.hpp"
#include "escrow/core/unverified.hpp"
#include "escrow/detail/threshold_steps.hpp"
#include "escrow/detail/wrap_set_dispatch.hpp"
#include "escrow/wrap/set.hpp"

namespace escrow {

/// The wrap-set host. It behaves as `escrow_encryptor<Cipher, W, Store>` for a file whose
/// recipients are all of one member `W`, and writes the very same bytes (random draws in the same
/// order: serial, session key, nonce, owner, then each authority); a file of several wraps says
/// each entry's wrap as the store states (a native entry's wrap id, an age stanza's type).
///
/// Decryption offers each entry only to a key of its own wrap. A key of any member type may be
/// given where a `public_key` or `private_key` is asked (the variant converts from it).
template <class Cipher, class... Ws, class Store>
class escrow_encryptor<Cipher, wrap_set<Ws...>, Store> {
    static_assert((detail::host_checks<Cipher, Ws, Store>::value && ...));
    static_assert(wrap::set_members_distinct<Ws...>,
                  "escrow::wrap_set: the members' ids, public key types and private key types must be pairwise "
                  "distinct (a key's type names its wrap)");
    using set_type = wrap_set<Ws...>;
    using engine = detail::payload_engine<Cipher, store_options<Store>.final_chunk>;
    using dispatch = detail::wrap_set_dispatch<Ws...>;

public:
    /// The policy that encrypts the payload.
    using cipher_type = Cipher;
    /// The wrap set.
    using wrap_type = set_type;
    /// The policy that lays out the file and encodes the blobs.
    using store_type = Store;
    /// A recipient's public key, of any member's type.
    using public_key = typename set_type::public_key;
    /// A private key of any member's type.
    using private_key = typename set_type::private_key;

    /// A host with default-constructed (or given) policy objects.
    explicit escrow_encryptor(Cipher c = Cipher{}, set_type w = set_type{}, Store s = Store{})
        : cipher_(std::move(c)), wraps_(std::move(w)), store_(std::move(s)) {}

    /// As `escrow_encryptor::threads`.
    escrow_encryptor& threads(unsigned n) noexcept {
        threads_ = n;
        return *this;
    }
    /// The threads setting (0: automatic).
    [[nodiscard]] unsigned threads() const noexcept { return threads_; }

    /// As `escrow_encryptor::encrypt`, the owner and each authority of any member's key type.
    /// @throws escrow::error `invalid_argument` with no authority; key and I/O errors as they come.
    template <byte_source Source, byte_sink Sink>
    std::vector<escrow_record> encrypt(Source& in, Sink& out, const public_key& owner,
                                       std::span<const public_key> authorities, key_info info = {}) {
        if (authorities.empty()) throw error(errc::invalid_argument, "encrypt needs at least one authority key");
        system_random& rng = default_random();
        // Named, not a structured binding: lambdas below capture the key (clang 14 cannot).
        auto started = detail::start_file<Cipher>(info, rng);
        session_key& key = started.first;
        file_header& h = started.second;
        h.recipients.push_back(wrap_entry(recipient_role::owner, key, owner, rng));
        std::vector<escrow_record> records;
        records.reserve(authorities.size());
        for (const auto& authority : authorities) {
            recipient_entry e = wrap_entry(recipient_role::authority, key, authority, rng);
            with_member(authority, [&](auto m, const auto& pub) {
                using W = typename decltype(m)::type;
                records.push_back(detail::make_record<Cipher, W, Store>(info, wraps_.template get<W>().fingerprint(pub),
                                                                        store_.template encode_blob<Cipher, W>(e.key), key));
            });
            h.recipients.push_back(std::move(e));
        }
        write(out, h, key);
        engine::seal(in, out, key, h.nonce, threads_);
        return records;
    }

    /// Single-authority form of `encrypt`.
    template <byte_source Source, byte_sink Sink>
    escrow_record encrypt(Source& in, Sink& out, const public_key& owner, const public_key& authority, key_info info = {}) {
        return std::move(encrypt(in, out, owner, std::span<const public_key>(&authority, 1), std::move(info)).front());
    }

    /// k-of-n escrow: as `encrypt`, but with `threshold` K >= 2 the session key is split with
    /// Shamir's scheme into one share per authority (N = `authorities.size()`), each wrapped for its
    /// authority alone in a share record (K, N, its index; MAC keyed from the share). The header
    /// holds the owner's entry and a commitment per share, no authority entry. K of 1 is `encrypt`.
    /// @throws escrow::error `invalid_argument` (K > N, or a format without a k-of-n section).
    template <byte_source Source, byte_sink Sink>
    std::vector<escrow_record> encrypt_threshold(Source& in, Sink& out, const public_key& owner,
                                                 std::span<const public_key> authorities, std::size_t threshold,
                                                 key_info info = {}) {
        if (threshold <= 1) return encrypt(in, out, owner, authorities, std::move(info));
        detail::check_threshold(store_options<Store>.threshold, Store::name, threshold, authorities.size());
        system_random& rng = default_random();
        auto started = detail::start_file<Cipher>(info, rng);  // named: lambdas below capture it (clang 14)
        session_key& key = started.first;
        file_header& h = started.second;
        h.recipients.push_back(wrap_entry(recipient_role::owner, key, owner, rng));
        const std::vector<shamir_share> shares = detail::split_for_file(h, key, threshold, authorities.size(), rng);
        std::vector<escrow_record> records;
        for (std::size_t i = 0; i < authorities.size(); ++i) {
            const session_key piece = detail::share_as_key(shares[i]);
            with_member(authorities[i], [&](auto m, const auto& pub) {
                using W = typename decltype(m)::type;
                W& w = wraps_.template get<W>();
                bytes blob = store_.template encode_blob<Cipher, W>(w.wrap(piece, pub, rng));
                records.push_back(detail::make_share_record<Cipher, W, Store>(info, w.fingerprint(pub), std::move(blob),
                                                                              shares[i], *h.threshold));
            });
        }
        write(out, h, key);
        engine::seal(in, out, key, h.nonce, threads_);
        return records;
    }

    /// Opens a k-of-n file's header with authority keys and their share records, paired by order:
    /// each share is unwrapped, its record's MAC and the header's commitment checked (a wrong one
    /// is named), then K of them are combined and must verify the header.
    /// @throws escrow::error `no_matching_key` (fewer than K distinct shares: says how many more),
    /// `authentication_failed` (naming the share), `invalid_argument` (not a k-of-n file).
    [[nodiscard]] session_key open_shares(const unverified<file_header>& read, std::span<const escrow_record> records,
                                          std::span<const private_key> keys) {
        const file_header& h = read.unverified_value();
        if (records.size() != keys.size()) throw error(errc::invalid_argument, "one share record per authority key");
        const std::vector<shamir_share> shares = detail::checked_shares(h, records, [&](std::size_t i) {
            try {
                return recover_session_key(records[i], keys[i]);
            } catch (const error& e) {
                detail::rethrow_with(e, detail::share_name(records[i]) + ": ");
            }
        });
        return detail::combine_shares(h, shares, [&](const session_key& k) { return verifies(h, k); });
    }

    /// Hands a k-of-n file to a new owner key with K blobs that K authorities re-wrapped to it
    /// (`backup_authority::recover` on share records) and their records, paired by order: each blob
    /// is unwrapped with `new_owner` (the new private key) and checked as `open_shares` does; the
    /// owner's entry is re-wrapped to the new key's public half (of any member), the header MAC
    /// recomputed, the payload copied unchanged. In a format without roles (age) the owner's entry
    /// is the first of a member's wrap that is none of the records' entries.
    /// @throws escrow::error as `open_shares`.
    template <byte_source Source, byte_sink Sink, class Key>
    void rewrap_with_shares(Source& in, Sink& out, std::span<const escrow_record> records,
                            std::span<const wrapped_key> blobs, const Key& new_owner) {
        file_header h = read_header(in).unverified_value();  // verified by combine_shares
        if (records.size() != blobs.size()) throw error(errc::invalid_argument, "one share record per blob");
        const std::vector<shamir_share> shares = detail::checked_shares(h, records, [&](std::size_t i) {
            std::optional<session_key> piece = unwrap_blob(blobs[i], new_owner);
            if (!piece || !records[i].verify(*piece))
                throw error(errc::authentication_failed, detail::share_name(records[i]) + ": the re-wrapped blob does not "
                                                         "open with the key given, or was made from another record");
            return std::move(*piece);
        });
        session_key key = detail::combine_shares(h, shares, [&](const session_key& k) { return verifies(h, k); });
        dispatch::template mark_owner<Cipher>(store_, h, records);
        rewrap(in, out, h, key, public_of(new_owner));
    }

    /// The owner's last step of a recovery from one escrow record (not a share): `blob`, the session
    /// key re-wrapped to the new owner key (of any member, not necessarily the old owner's wrap),
    /// must unwrap with `new_owner` and verify the header's and `record`'s MACs; it then becomes the
    /// owner's entry (in age, the first of a member's wrap that is not the record's), the payload
    /// copied unchanged.
    /// @throws escrow::error `authentication_failed` (the blob is not for this file, record or key).
    template <byte_source Source, byte_sink Sink, class Key>
    void apply_owner_blob(Source& in, Sink& out, const wrapped_key& blob, const Key& new_owner, const escrow_record& record) {
        file_header h = read_header(in).unverified_value();  // verified below before any use
        std::optional<session_key> key = unwrap_blob(blob, new_owner);
        if (!key || !verifies(h, *key) || !record.verify(*key))
            throw error(errc::authentication_failed, "the re-wrapped owner blob does not open this file and record: it was "
                                                     "made for another file or record, or for another key than the one given");
        dispatch::template mark_owner<Cipher>(store_, h, std::span<const escrow_record>(&record, 1));
        rewrap(in, out, h, *key, public_of(new_owner), &blob);
    }

    /// Decrypts with a private key that matches any recipient of its own wrap.
    /// @throws escrow::error as `escrow_encryptor::decrypt`.
    template <byte_source Source, byte_sink Sink, class Key>
    void decrypt(Source& in, Sink& out, const Key& key) {
        const unverified<file_header> h = read_header(in);
        session_key sk = open_header(h, key);
        engine::open(in, out, sk, h.unverified_value().nonce, threads_);
    }

    /// Decrypts with a session key already recovered.
    /// @throws escrow::error `authentication_failed` when the key does not match the header.
    template <byte_source Source, byte_sink Sink>
    void decrypt_with_session_key(Source& in, Sink& out, const session_key& key) {
        decrypt_payload(in, out, key, read_header(in));
    }

    /// The authority's side: the session key `record` holds, for the authority's private key (of
    /// the record's wrap), its MAC checked.
    /// @throws escrow::error as `escrow_encryptor::recover_session_key`.
    template <class Key>
    [[nodiscard]] session_key recover_session_key(const escrow_record& record, const Key& authority) {
        return with_private(authority, [&](auto m, const auto& k) {
            using W = typename decltype(m)::type;
            W& w = wraps_.template get<W>();
            record.policies().check_matches(policy_ids::of<Cipher, W, Store>(), "the escrow record");
            if (!constant_time_equal(record.authority_fingerprint, w.fingerprint(w.public_of(k))))
                throw error(errc::bad_key, "the record was made for a different authority key");
            return open_record<Cipher>(w, store_, record, k);
        });
    }

    /// The authority's path end to end: recover the session key from `record`, then decrypt.
    template <byte_source Source, byte_sink Sink, class Key>
    void decrypt_with_record(Source& in, Sink& out, const escrow_record& record, const Key& authority) {
        session_key key = recover_session_key(record, authority);
        decrypt_with_session_key(in, out, key);
    }

    /// Replaces the owner's entry with one for `new_owner` (of any member), copying the payload.
    /// @throws escrow::error `authentication_failed` when `key` does not match the header.
    template <byte_source Source, byte_sink Sink>
    void rewrap_owner(Source& in, Sink& out, const session_key& key, const public_key& new_owner) {
        file_header h = read_header(in).unverified_value();
        require_header(h, key);
        rewrap(in, out, h, key, new_owner);
    }

    /// Replaces the owner's entry, opening the header with any recipient's private key.
    template <byte_source Source, byte_sink Sink, class Key>
    void rewrap_owner(Source& in, Sink& out, const Key& current, const public_key& new_owner) {
        unverified<file_header> read = read_header(in);
        session_key key = open_header(read, current);
        file_header h = std::move(read).unverified_value();  // verified by open_header
        rewrap(in, out, h, key, new_owner);
    }

    /// Parses and bounds the file header, without a key. Leaves `in` at the payload. Nothing in it
    /// is authenticated yet, as for `escrow_encryptor::read_header`.
    template <byte_source Source>
    [[nodiscard]] unverified<file_header> read_header(Source& in) {
        return unverified<file_header>(store_.template read_header<Cipher, set_type>(in));
    }

    /// Opens a parsed header with a private key of any member: tries every entry of that member's
    /// wrap, and the first whose key verifies the header MAC wins.
    /// @throws escrow::error `no_matching_key`, `authentication_failed`.
    template <class Key>
    [[nodiscard]] session_key open_header(const unverified<file_header>& read, const Key& key) {
        const file_header& h = read.unverified_value();
        bool unwrapped = false;
        std::optional<session_key> found = with_private(key, [&](auto m, const auto& k) -> std::optional<session_key> {
            using W = typename decltype(m)::type;
            for (const auto& r : h.recipients) {
                if (entry_wrap_id(h, r) != W::id) continue;
                std::optional<session_key> sk = wrap::unwrap_expecting(wraps_.template get<W>(), r.key, k, Cipher::key_size);
                if (!sk) continue;
                unwrapped = true;
                if (sk->size() == Cipher::key_size && store_.template verify_header<Cipher, set_type>(h, *sk)) return sk;
            }
            return std::nullopt;
        });
        if (found) return std::move(*found);
        if (unwrapped) throw error(errc::authentication_failed, "header authentication failed: the file was modified");
        if (h.threshold) detail::throw_shares_needed(*h.threshold);
        throw error(errc::no_matching_key, "the key does not open any of the file's " + std::to_string(h.recipients.size()) +
                                               " recipient blobs (wrong key?)");
    }

    /// Decrypts the payload that follows a header already read (by `read_header`), once the header
    /// verifies under `key` (as `escrow_encryptor::decrypt_payload`).
    /// @throws escrow::error `authentication_failed`, and the payload's errors.
    template <byte_source Source, byte_sink Sink>
    void decrypt_payload(Source& in, Sink& out, const session_key& key, const unverified<file_header>& h) {
        require_header(h.unverified_value(), key);
        engine::open(in, out, key, h.unverified_value().nonce, threads_);
    }

    /// The fingerprint of the public half of `key` (a private key of any member), as records name
    /// their authority.
    template <class Key>
    [[nodiscard]] digest256 fingerprint_of(const Key& key) {
        return with_private(key, [&](auto m, const auto& k) {
            auto& w = wraps_.template get<typename decltype(m)::type>();
            return w.fingerprint(w.public_of(k));
        });
    }

    /// The wrap id of entry `r` of `h`: its own (a native file of several wraps), else that of the
    /// member whose stanza type it names (age; 0 for a type no member has), else the file's.
    [[nodiscard]] static std::uint16_t entry_wrap_id(const file_header& h, const recipient_entry& r) {
        return dispatch::entry_wrap_id(h, r);
    }

private:
    [[no_unique_address]] Cipher cipher_;
    set_type wraps_;
    [[no_unique_address]] Store store_;
    unsigned threads_ = 0;

    template <class F>
    static decltype(auto) with_member(const public_key& key, F&& f) {
        return dispatch::visit_key(key, f);
    }
    // A private key as the variant or as one member's key type (no copy of a move-only key).
    template <class Key, class F>
    static decltype(auto) with_private(const Key& key, F&& f) {
        return dispatch::template with_key<private_key>(key, f);
    }

    // The session key (or share) in `blob`, unwrapped with a private key of any member.
    template <class Key>
    std::optional<session_key> unwrap_blob(const wrapped_key& blob, const Key& key) {
        return with_private(key, [&](auto m, const auto& k) {
            return wrap::unwrap_expecting(wraps_.template get<typename decltype(m)::type>(), blob, k, Cipher::key_size);
        });
    }
    template <class Key>
    public_key public_of(const Key& key) {
        return with_private(key, [&](auto m, const auto& k) {
            return public_key(wraps_.template get<typename decltype(m)::type>().public_of(k));
        });
    }

    recipient_entry wrap_entry(recipient_role role, const session_key& key, const public_key& pub, system_random& rng) {
        return with_member(pub, [&](auto m, const auto& k) {
            using W = typename decltype(m)::type;
            return recipient_entry{role, wraps_.template get<W>().wrap(key, k, rng), std::string(W::stanza_type), W::id};
        });
    }

    bool verifies(const file_header& h, const session_key& key) { return store_.template verify_header<Cipher, set_type>(h, key); }
    void require_header(const file_header& h, const session_key& key) {
        if (!verifies(h, key))
            throw error(errc::authentication_failed, "header authentication failed: wrong session key or modified header");
    }

    // Writes `h` as a file of the owner's wrap when every entry is of it (exactly as that wrap's own
    // host would), else naming each entry's wrap.
    template <byte_sink Sink>
    void write(Sink& out, file_header& h, const session_key& key) {
        const std::uint16_t owner_id = entry_wrap_id(h, owner_of(h));
        bool one = true;
        for (auto& r : h.recipients) {
            r.wrap_id = entry_wrap_id(h, r);
            one = one && (r.wrap_id == 0 || r.wrap_id == owner_id);
        }
        for (auto& r : h.recipients) {
            if (r.wrap_id == 0) continue;  // an entry of a type no member has (age grease): as it is
            if (one) r.type.clear(), r.wrap_id = 0;
        }
        const bool known = wrap::visit_member_id<set_type>(owner_id, [&](auto m) {
            using W = typename decltype(m)::type;
            store_.template write_header<Cipher, W>(out, h, key);
        });
        if (!known) throw error(errc::malformed_header, "the owner's entry is of no wrap of this host");
    }

    static recipient_entry& owner_of(file_header& h) {
        auto owner = std::find_if(h.recipients.begin(), h.recipients.end(),
                                  [](const recipient_entry& r) { return r.role == recipient_role::owner; });
        if (owner == h.recipients.end()) {
            if (h.recipients.empty() || h.recipients.front().role != recipient_role::unknown)
                throw error(errc::malformed_header, "the file names no owner recipient");
            return h.recipients.front();  // no roles written (age): this library writes the owner first
        }
        return *owner;
    }

    // Replaces the owner's entry by `blob` (already wrapped to `new_owner`), or by a fresh wrap.
    template <byte_source Source, byte_sink Sink>
    void rewrap(Source& in, Sink& out, file_header& h, const session_key& key, const public_key& new_owner,
                const wrapped_key* blob = nullptr) {
        if (std::none_of(h.recipients.begin(), h.recipients.end(),
                         [](const recipient_entry& r) { return r.role == recipient_role::owner; }))
            throw error(errc::malformed_header, "the file names no owner recipient to rewrap");
        for (auto& r : h.recipients) r.wrap_id = entry_wrap_id(h, r);
        owner_of(h) = blob ? with_member(new_owner, [&](auto m, const auto&) {
            using W = typename decltype(m)::type;
            return recipient_entry{recipient_role::owner, *blob, std::string(W::stanza_type), W::id};
        }) : wrap_entry(recipient_role::owner, key, new_owner, default_random());
        write(out, h, key);
        engine::copy(in, out);
    }
};

}  // namespace escrow
