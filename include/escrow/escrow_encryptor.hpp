// SPDX-License-Identifier: MIT
/// @file
/// `escrow::escrow_encryptor<Cipher, Wrap, Store>`: the owner-side host that encrypts a file for its
/// owner, exports the session key for one or more backup authorities, decrypts, and rewraps.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "escrow/cipher/concept.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/policy_ids.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/serial_number.hpp"
#include "escrow/core/unverified.hpp"
#include "escrow/detail/host_checks.hpp"
#include "escrow/detail/host_steps.hpp"
#include "escrow/detail/payload_engine.hpp"
#include "escrow/open_record.hpp"
#include "escrow/record.hpp"
#include "escrow/store/concept.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow {

/// Encrypts files for an owner with escrowed recovery keys, with the cipher, key wrap and file
/// format fixed at compile time. No virtual call, no runtime switch between policies.
///
/// The four steps (Microsoft CryptoAPI, "Storing Session Keys Using a Backup Authority"): `encrypt`
/// draws a fresh session key, wraps it for the owner into the file header, wraps it again for each
/// authority and returns one escrow record per authority; `recover_session_key` is the authority's
/// side; `rewrap_owner` hands the file to a new owner key without re-encrypting the payload.
///
/// Memory stays bounded by a few chunks whatever the input size. Decryption writes a chunk only
/// after it authenticates; a failure part-way leaves earlier authenticated chunks in the sink, so
/// callers that must leave nothing behind write to an `atomic_file_sink` (as the CLI does).
///
/// Between streams (files, pipes, iostreams: a source that is not `contiguous_byte_source` and a
/// sink that is not `buffer_byte_sink`), a cipher whose chunks are independent
/// (`cipher_options<Cipher>.parallel_chunks`, the STREAM ciphers) runs through a pipeline: the
/// calling thread reads and writes batches of chunks while worker threads seal or open them, and
/// the output keeps the input's order (see `threads`). With a mapped file on either side
/// (`mapped_byte_source`, `mapped_byte_sink`: `mapped_file_source`, `mapped_file_sink`) the workers
/// seal and open straight from and into windows of it. In memory, chunks are sealed and opened in
/// place instead (detail/payload_engine.hpp).
///
/// What differs between formats is the store's to say (`escrow::store_options<Store>`): how its
/// header is authenticated, how the owner's entry is found, the final-chunk rule.
///
/// @tparam Cipher a `cipher_policy` (e.g. `cipher::aes256_gcm_stream`)
/// @tparam Wrap   a `wrap_policy` (e.g. `wrap::rsa_oaep_sha256`)
/// @tparam Store  a `store_policy` for `Cipher` and `Wrap` (e.g. `store::native`)
template <class Cipher, class Wrap, class Store>
class escrow_encryptor {
    static_assert(detail::host_checks<Cipher, Wrap, Store>::value);
    using engine = detail::payload_engine<Cipher, store_options<Store>.final_chunk>;

public:
    /// The policy that encrypts the payload.
    using cipher_type = Cipher;
    /// The policy that wraps the session key for each recipient key.
    using wrap_type = Wrap;
    /// The policy that lays out the file and encodes the blobs.
    using store_type = Store;
    /// The recipients' public key type (the wrap's).
    using public_key = typename Wrap::public_key;
    /// The private key type that opens the file (the wrap's).
    using private_key = typename Wrap::private_key;

    /// A host with default-constructed (or given) policy objects.
    explicit escrow_encryptor(Cipher c = Cipher{}, Wrap w = Wrap{}, Store s = Store{})
        : cipher_(std::move(c)), wrap_(std::move(w)), store_(std::move(s)) {}

    /// Sets the threads that seal and open payloads: 0 (the default) runs one worker per hardware
    /// thread, at most 8, beside the calling thread, which reads and writes; 1 does everything on
    /// the calling thread. A payload that fits in one batch (256 KiB) never starts a thread; a
    /// cipher without independent chunks (`cipher_options<Cipher>.parallel_chunks`), and in-memory sources and
    /// lending sinks (which are worked on in place), always run on the caller.
    escrow_encryptor& threads(unsigned n) noexcept {
        threads_ = n;
        return *this;
    }

    /// The threads setting (0: automatic).
    [[nodiscard]] unsigned threads() const noexcept { return threads_; }

    /// True when this host's cipher can run in the parallel pipeline.
    static constexpr bool parallel_payload = engine::parallel;

    /// Steps 1–3: encrypts `in` to `out` under a fresh session key, wrapped for `owner` and, as a
    /// copy in the header where the format has room, for each authority. Returns one escrow
    /// record per authority, in the same order, to send to that authority.
    ///
    /// `info.serial` is generated when empty and `info.created` set to now when 0.
    /// @throws escrow::error `invalid_argument` with no authority; key and I/O errors as they come.
    template <byte_source Source, byte_sink Sink>
    std::vector<escrow_record> encrypt(Source& in, Sink& out, const public_key& owner,
                                       std::span<const public_key> authorities, key_info info = {}) {
        if (authorities.empty()) throw error(errc::invalid_argument, "encrypt needs at least one authority key");
        system_random& rng = default_random();
        auto [key, h] = detail::start_file<Cipher>(info, rng);
        h.wrap_id = Wrap::id;
        h.recipients.push_back({recipient_role::owner, wrap_.wrap(key, owner, rng), {}, 0});
        std::vector<escrow_record> records;
        records.reserve(authorities.size());
        for (const auto& authority : authorities) {
            wrapped_key w = wrap_.wrap(key, authority, rng);
            records.push_back(detail::make_record<Cipher, Wrap, Store>(info, wrap_.fingerprint(authority),
                                                                       store_.template encode_blob<Cipher, Wrap>(w), key));
            h.recipients.push_back({recipient_role::authority, std::move(w), {}, 0});
        }
        store_.template write_header<Cipher, Wrap>(out, h, key);
        engine::seal(in, out, key, h.nonce, threads_);
        return records;
    }

    /// Single-authority form of `encrypt`.
    template <byte_source Source, byte_sink Sink>
    escrow_record encrypt(Source& in, Sink& out, const public_key& owner, const public_key& authority, key_info info = {}) {
        return std::move(encrypt(in, out, owner, std::span<const public_key>(&authority, 1), std::move(info)).front());
    }

    /// Decrypts with a private key that matches any recipient of the file: the owner's, or an
    /// authority's through its copy of the blob in the header.
    /// @throws escrow::error `no_matching_key` (wrong key), `authentication_failed` (tampered),
    /// `truncated`, `malformed_header`, `unsupported_version`, `unknown_policy_id`.
    template <byte_source Source, byte_sink Sink>
    void decrypt(Source& in, Sink& out, const private_key& key) {
        const unverified<file_header> h = read_header(in);
        session_key sk = open_header(h, key);
        engine::open(in, out, sk, h.unverified_value().nonce, threads_);
    }

    /// Decrypts with a session key already recovered (by `recover_session_key`).
    /// @throws escrow::error `authentication_failed` when the key does not match the header.
    template <byte_source Source, byte_sink Sink>
    void decrypt_with_session_key(Source& in, Sink& out, const session_key& key) {
        decrypt_payload(in, out, key, read_header(in));
    }

    /// Step 4, the authority's side: unwraps the session key from `record` with the authority's
    /// private key and checks the record's MAC, so that altered metadata is detected
    /// (`escrow::open_record`, the path the backup authority takes too).
    /// @throws escrow::error `unknown_policy_id` (record for other policies), `bad_key` (record for
    /// another authority key), `authentication_failed` (unwrap or MAC failed).
    [[nodiscard]] session_key recover_session_key(const escrow_record& record, const private_key& authority) {
        record.policies().check_matches(policy_ids::of<Cipher, Wrap, Store>(), "the escrow record");
        if (!constant_time_equal(record.authority_fingerprint, wrap_.fingerprint(wrap_.public_of(authority))))
            throw error(errc::bad_key, "the record was made for a different authority key");
        return open_record<Cipher>(wrap_, store_, record, authority);
    }

    /// The authority's path end to end: recover the session key from `record`, then decrypt.
    template <byte_source Source, byte_sink Sink>
    void decrypt_with_record(Source& in, Sink& out, const escrow_record& record, const private_key& authority) {
        session_key key = recover_session_key(record, authority);
        decrypt_with_session_key(in, out, key);
    }

    /// Replaces the owner's blob with one for `new_owner`, copying the payload unchanged.
    /// @throws escrow::error `authentication_failed` when `key` does not match the header.
    template <byte_source Source, byte_sink Sink>
    void rewrap_owner(Source& in, Sink& out, const session_key& key, const public_key& new_owner) {
        file_header h = read_header(in).unverified_value();
        if (!store_.template verify_header<Cipher, Wrap>(h, key))
            throw error(errc::authentication_failed, "header authentication failed: wrong session key or modified header");
        rewrap(in, out, h, key, new_owner);
    }

    /// Replaces the owner's blob, opening the header with any recipient's private key.
    template <byte_source Source, byte_sink Sink>
    void rewrap_owner(Source& in, Sink& out, const private_key& current, const public_key& new_owner) {
        unverified<file_header> read = read_header(in);
        session_key key = open_header(read, current);
        file_header h = std::move(read).unverified_value();  // verified by open_header
        rewrap(in, out, h, key, new_owner);
    }

    /// Step 4, the owner's side: replaces the owner's blob with `new_owner_blob`, a blob the
    /// authority re-wrapped to the owner's new public key, and copies the payload unchanged.
    ///
    /// The blob is first unwrapped with `new_owner` (the new private key) and the session key must
    /// verify the header, so a blob made for another file, or for another key, is refused before
    /// anything is written. A format whose header has no MAC (`store::header_check::payload`)
    /// cannot refuse it there; the payload is then decrypted as it is copied, into nothing, and
    /// must pass the cipher's own checks (a CBC padding: a key of another file fails 255 times in
    /// 256), so write to a sink committed only when this returns (an `atomic_file_sink`, as
    /// `authority::apply_owner_blob_in_place` does).
    ///
    /// The entry replaced is the owner's, found as the store states (`store::owner_entry`): by its
    /// role, or, in a format without roles, as the first entry of this wrap's type that is not
    /// `authority_blob` (the blob the escrow record carries, decoded), which must then be given.
    /// @throws escrow::error `authentication_failed` (blob not for this file or key),
    /// `malformed_header` (no owner entry to replace), and the header and payload parsing errors.
    template <byte_source Source, byte_sink Sink>
    void apply_owner_blob(Source& in, Sink& out, const wrapped_key& new_owner_blob, const private_key& new_owner,
                          const wrapped_key* authority_blob = nullptr) {
        apply_blob(in, out, new_owner_blob, new_owner, authority_blob, nullptr);
    }

    /// As above, with the escrow record the blob was recovered from: its blob tells the
    /// authority's entry apart, and the blob's session key must also verify the record's MAC (so a
    /// blob for another record, or a wrong private key, is refused even where the file has no MAC).
    /// @throws escrow::error as above, and `unknown_policy_id` for a record of other policies.
    template <byte_source Source, byte_sink Sink>
    void apply_owner_blob(Source& in, Sink& out, const wrapped_key& new_owner_blob, const private_key& new_owner,
                          const escrow_record& record) {
        record.policies().check_matches(policy_ids::of<Cipher, Wrap, Store>(), "the escrow record");
        wrapped_key authority = decode_blob(record.wrapped_key);
        apply_blob(in, out, new_owner_blob, new_owner, &authority, &record);
    }

    /// Parses a blob in this host's store format (an escrow record's wrapped key, or the blob an
    /// authority re-wrapped for a new owner), with this host's store object.
    /// @throws escrow::error `malformed_blob`, and the store's own errors.
    [[nodiscard]] wrapped_key decode_blob(byte_view blob) { return store_.template decode_blob<Cipher, Wrap>(blob); }

    /// Parses and bounds the file header, without a key. Leaves `in` at the payload. Nothing in it
    /// is authenticated yet (key info, recipients, ids: anyone who can write the file wrote them),
    /// so it comes back as `unverified`: `open_header` checks it and gives the session key,
    /// `decrypt_payload` checks it again against the key it is given.
    template <byte_source Source>
    [[nodiscard]] unverified<file_header> read_header(Source& in) {
        return unverified<file_header>(store_.template read_header<Cipher, Wrap>(in));
    }

    /// Opens a parsed header with a private key: tries every recipient of the wrap's type, and the
    /// first whose unwrapped key verifies the header MAC wins. With `decrypt_payload` this is
    /// `decrypt` in two steps, for callers that must tell a header failure from a payload failure.
    /// @throws escrow::error `no_matching_key` (no recipient unwraps), `authentication_failed`
    /// (a recipient unwraps but the header MAC fails: the header was modified).
    [[nodiscard]] session_key open_header(const unverified<file_header>& read, const private_key& key) {
        const file_header& h = read.unverified_value();
        bool unwrapped = false;
        for (const auto& r : h.recipients) {
            if (!r.type.empty() && r.type != std::string_view(Wrap::stanza_type)) continue;
            if (r.wrap_id != 0 && r.wrap_id != Wrap::id) continue;  // another wrap's entry (a file of several)
            std::optional<session_key> sk = wrap::unwrap_expecting(wrap_, r.key, key, Cipher::key_size);
            if (!sk) continue;
            unwrapped = true;
            if (sk->size() == Cipher::key_size && store_.template verify_header<Cipher, Wrap>(h, *sk)) return std::move(*sk);
        }
        if (unwrapped)
            throw error(errc::authentication_failed, "header authentication failed: the file was modified");
        throw error(errc::no_matching_key, "the key does not open any of the file's " + std::to_string(h.recipients.size()) +
                                               " recipient blobs (wrong key?)");
    }

    /// Decrypts the payload that follows a header already read from `in` (by `read_header`) with
    /// `key` (from `open_header`, or recovered through an escrow record). The header is checked
    /// against the key first, so a key of another file, or a modified header, is refused before
    /// any payload is read. Writes a chunk only once it authenticates.
    /// @throws escrow::error `authentication_failed` (the key does not verify the header), and
    /// the payload's errors.
    template <byte_source Source, byte_sink Sink>
    void decrypt_payload(Source& in, Sink& out, const session_key& key, const unverified<file_header>& h) {
        if (key.size() != Cipher::key_size || !store_.template verify_header<Cipher, Wrap>(h.unverified_value(), key))
            throw error(errc::authentication_failed, "header authentication failed: wrong session key or modified header");
        engine::open(in, out, key, h.unverified_value().nonce, threads_);
    }

private:
    [[no_unique_address]] Cipher cipher_;
    [[no_unique_address]] Wrap wrap_;
    [[no_unique_address]] Store store_;
    unsigned threads_ = 0;

    template <byte_source Source, byte_sink Sink>
    void rewrap(Source& in, Sink& out, file_header& h, const session_key& key, const public_key& new_owner) {
        auto owner = std::find_if(h.recipients.begin(), h.recipients.end(),
                                  [](const recipient_entry& r) { return r.role == recipient_role::owner; });
        if (owner == h.recipients.end()) throw error(errc::malformed_header, "the file names no owner recipient to rewrap");
        owner->key = wrap_.wrap(key, new_owner, default_random());
        owner->wrap_id = 0;  // now this host's wrap's, in a file of several wraps too
        store_.template write_header<Cipher, Wrap>(out, h, key);
        engine::copy(in, out);
    }

    template <byte_source Source, byte_sink Sink>
    void apply_blob(Source& in, Sink& out, const wrapped_key& new_owner_blob, const private_key& new_owner,
                    const wrapped_key* authority_blob, const escrow_record* record) {
        file_header h = read_header(in).unverified_value();  // verified below before any use
        std::optional<session_key> key = wrap::unwrap_expecting(wrap_, new_owner_blob, new_owner, Cipher::key_size);
        if (!key || key->size() != Cipher::key_size || !store_.template verify_header<Cipher, Wrap>(h, *key))
            throw error(errc::authentication_failed,
                        "the re-wrapped owner blob does not open this file: it was made for another file, or for "
                        "another key than the one given");
        if (record && !record->verify(*key))
            throw error(errc::authentication_failed,
                        "the re-wrapped owner blob does not open the escrow record given: it was made for another "
                        "record, or for another key than the one given");
        recipient_entry& owner = store::owner_entry<Store, Wrap>(h, authority_blob);
        owner.key = new_owner_blob;
        owner.wrap_id = 0;
        store_.template write_header<Cipher, Wrap>(out, h, *key);
        if constexpr (store_options<Store>.header == store::header_check::mac) {
            engine::copy(in, out);
        } else {
            // No header MAC: the payload's own checks are the only evidence that the key is this file's.
            try {
                engine::copy_checked(in, out, *key, h.nonce, threads_);
            } catch (const error& e) {
                if (e.kind() != errc::authentication_failed) throw;
                throw error(errc::authentication_failed,
                            "the re-wrapped owner blob does not open this file: the payload does not decrypt under "
                            "its session key (this format has no header MAC): it was made for another file, or the "
                            "file was modified");
            }
        }
    }
};

}  // namespace escrow
