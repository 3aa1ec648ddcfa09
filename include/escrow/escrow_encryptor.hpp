// SPDX-License-Identifier: MIT
/// @file
/// `escrow::escrow_encryptor<Cipher, Wrap, Store>`: the owner-side host that encrypts a file for its
/// owner, exports the session key for one or more backup authorities, decrypts, and rewraps.
#pragma once

#include <cryptopp/secblock.h>

#include <algorithm>
#include <chrono>
#include <cstring>
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
#include "escrow/detail/chunk_pipeline.hpp"
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
/// (`Cipher::parallel_chunks`, the STREAM ciphers) runs through a pipeline: the calling thread
/// reads and writes batches of chunks while worker threads seal or open them, and the output keeps
/// the input's order (see `threads`). In memory, chunks are sealed and opened in place instead.
///
/// @tparam Cipher a `cipher_policy` (e.g. `cipher::aes256_gcm_stream`)
/// @tparam Wrap   a `wrap_policy` (e.g. `wrap::rsa_oaep_sha256`)
/// @tparam Store  a `store_policy` for `Cipher` and `Wrap` (e.g. `store::native`)
template <class Cipher, class Wrap, class Store>
class escrow_encryptor {
    static_assert(cipher::cipher_traits<Cipher>,
                  "Cipher must declare static constexpr members: std::string_view name; std::uint16_t id; "
                  "std::size_t key_size, nonce_size, chunk_size, sealed_chunk_size, min_final_sealed_size, "
                  "max_final_sealed_size; static constexpr std::size_t sealed_size(std::size_t plain, bool last) "
                  "(docs/policies.md#cipher)");
    static_assert(cipher::cipher_seal<Cipher>,
                  "Cipher must have a nested class sealer with sealer(const escrow::session_key&, escrow::byte_view "
                  "nonce) and std::size_t seal(std::uint64_t index, escrow::byte_view plain, bool last, "
                  "escrow::mutable_byte_view out) (docs/policies.md#cipher)");
    static_assert(cipher::cipher_open<Cipher>,
                  "Cipher must have a nested class opener with opener(const escrow::session_key&, escrow::byte_view "
                  "nonce) and std::size_t open(std::uint64_t index, escrow::byte_view sealed, bool last, "
                  "escrow::mutable_byte_view out) (docs/policies.md#cipher)");
    static_assert(wrap::wrap_traits<Wrap>,
                  "Wrap must be copyable and declare: static constexpr std::string_view name, stanza_type; "
                  "static constexpr std::uint16_t id; types public_key and private_key (docs/policies.md#wrap)");
    static_assert(wrap::wrap_seal<Wrap>,
                  "Wrap must provide escrow::wrapped_key wrap(const escrow::session_key&, const public_key&, "
                  "escrow::system_random&) (docs/policies.md#wrap)");
    static_assert(wrap::wrap_open<Wrap>,
                  "Wrap must provide std::optional<escrow::session_key> unwrap(const escrow::wrapped_key&, const "
                  "private_key&) (docs/policies.md#wrap)");
    static_assert(wrap::wrap_keys<Wrap>,
                  "Wrap must provide public_key public_of(const private_key&) and escrow::digest256 "
                  "fingerprint(const public_key&) (docs/policies.md#wrap)");
    static_assert(store::store_traits<Store>,
                  "Store must be copyable and declare: static constexpr std::string_view name; std::uint16_t id; "
                  "Boost.Hana sets cipher_ids and wrap_ids (docs/policies.md#store)");
    static_assert(Store::template accepts<Cipher, Wrap>(), "this Store cannot carry this Cipher and Wrap");
    static_assert(store::store_header<Store, Cipher, Wrap>,
                  "Store must provide template <class C, class W> members write_header(sink, escrow::file_header&, "
                  "const escrow::session_key&), escrow::file_header read_header(source) and bool "
                  "verify_header(const escrow::file_header&, const escrow::session_key&) (docs/policies.md#store)");
    static_assert(store::store_blob<Store, Cipher, Wrap>,
                  "Store must provide template <class C, class W> members escrow::bytes encode_blob(const "
                  "escrow::wrapped_key&) and escrow::wrapped_key decode_blob(escrow::byte_view) (docs/policies.md#store)");
    static_assert(Cipher::sealed_chunk_size <= Cipher::max_final_sealed_size &&
                      Cipher::min_final_sealed_size <= Cipher::max_final_sealed_size,
                  "Cipher framing: need sealed_chunk_size <= max_final_sealed_size and "
                  "min_final_sealed_size <= max_final_sealed_size");

public:
    using cipher_type = Cipher;
    using wrap_type = Wrap;
    using store_type = Store;
    using public_key = typename Wrap::public_key;
    using private_key = typename Wrap::private_key;

    /// A host with default-constructed (or given) policy objects.
    explicit escrow_encryptor(Cipher c = Cipher{}, Wrap w = Wrap{}, Store s = Store{})
        : cipher_(std::move(c)), wrap_(std::move(w)), store_(std::move(s)) {}

    /// Sets the threads that seal and open payloads: 0 (the default) runs one worker per hardware
    /// thread, at most 8, beside the calling thread, which reads and writes; 1 does everything on
    /// the calling thread. A payload that fits in one batch (256 KiB) never starts a thread; a
    /// cipher without independent chunks (`Cipher::parallel_chunks`), and in-memory sources and
    /// lending sinks (which are worked on in place), always run on the caller.
    escrow_encryptor& threads(unsigned n) noexcept {
        threads_ = n;
        return *this;
    }

    /// The threads setting (0: automatic).
    [[nodiscard]] unsigned threads() const noexcept { return threads_; }

    /// True when this host's cipher can run in the parallel pipeline.
    static constexpr bool parallel_payload = requires { requires Cipher::parallel_chunks; } &&
                                             Cipher::sealed_chunk_size == Cipher::max_final_sealed_size;

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
        if (info.serial.empty()) info.serial = serial_number::generate(rng).str();
        if (info.created == 0)
            info.created = static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());

        session_key key = session_key::generate(Cipher::key_size, rng);
        file_header h;
        h.cipher_id = Cipher::id;
        h.wrap_id = Wrap::id;
        h.nonce.resize(Cipher::nonce_size);
        rng.fill(h.nonce);
        h.info = info;
        h.recipients.push_back({recipient_role::owner, wrap_.wrap(key, owner, rng), {}});
        std::vector<escrow_record> records;
        records.reserve(authorities.size());
        for (const auto& authority : authorities) {
            wrapped_key w = wrap_.wrap(key, authority, rng);
            escrow_record rec;
            rec.info = info;
            rec.cipher_id = Cipher::id;
            rec.wrap_id = Wrap::id;
            rec.store_id = Store::id;
            rec.authority_fingerprint = wrap_.fingerprint(authority);
            rec.wrapped_key = store_.template encode_blob<Cipher, Wrap>(w);
            rec.seal(key);
            records.push_back(std::move(rec));
            h.recipients.push_back({recipient_role::authority, std::move(w), {}});
        }
        store_.template write_header<Cipher, Wrap>(out, h, key);
        seal_payload(in, out, key, h.nonce);
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
        file_header h = read_header(in);
        session_key sk = open_header(h, key);
        open_payload(in, out, sk, h.nonce);
    }

    /// Decrypts with a session key already recovered (by `recover_session_key`).
    /// @throws escrow::error `authentication_failed` when the key does not match the header.
    template <byte_source Source, byte_sink Sink>
    void decrypt_with_session_key(Source& in, Sink& out, const session_key& key) {
        file_header h = read_header(in);
        if (!store_.template verify_header<Cipher, Wrap>(h, key))
            throw error(errc::authentication_failed, "header authentication failed: wrong session key or modified header");
        open_payload(in, out, key, h.nonce);
    }

    /// Step 4, the authority's side: unwraps the session key from `record` with the authority's
    /// private key and checks the record's MAC, so that altered metadata is detected.
    /// @throws escrow::error `unknown_policy_id` (record for other policies), `bad_key` (record for
    /// another authority key), `authentication_failed` (unwrap or MAC failed).
    [[nodiscard]] session_key recover_session_key(const escrow_record& record, const private_key& authority) {
        record.policies().check_matches(policy_ids::of<Cipher, Wrap, Store>(), "the escrow record");
        if (!constant_time_equal(record.authority_fingerprint, wrap_.fingerprint(wrap_.public_of(authority))))
            throw error(errc::bad_key, "the record was made for a different authority key");
        wrapped_key w = store_.template decode_blob<Cipher, Wrap>(record.wrapped_key);
        std::optional<session_key> key = wrap::unwrap_expecting(wrap_, w, authority, Cipher::key_size);
        if (!key || key->size() != Cipher::key_size)
            throw error(errc::authentication_failed, "the authority key does not unwrap this record's session key");
        if (!record.verify(*key))
            throw error(errc::authentication_failed, "escrow record MAC does not verify: a field was altered");
        return std::move(*key);
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
        file_header h = read_header(in);
        if (!store_.template verify_header<Cipher, Wrap>(h, key))
            throw error(errc::authentication_failed, "header authentication failed: wrong session key or modified header");
        rewrap(in, out, h, key, new_owner);
    }

    /// Replaces the owner's blob, opening the header with any recipient's private key.
    template <byte_source Source, byte_sink Sink>
    void rewrap_owner(Source& in, Sink& out, const private_key& current, const public_key& new_owner) {
        file_header h = read_header(in);
        session_key key = open_header(h, current);
        rewrap(in, out, h, key, new_owner);
    }

    /// Step 4, the owner's side: replaces the owner's blob with `new_owner_blob`, a blob the
    /// authority re-wrapped to the owner's new public key, and copies the payload unchanged.
    ///
    /// The blob is first unwrapped with `new_owner` (the new private key) and the session key must
    /// verify the header MAC, so a blob made for another file, or for another key, is refused
    /// before anything is written. A format whose header has no MAC (`file_header::mac` empty:
    /// CryptoAPI) cannot refuse it there; the payload is then decrypted as it is copied, into
    /// nothing, and must pass the cipher's own checks (the CBC padding: a key of another file
    /// fails 255 times in 256), so write to a sink committed only when this returns (an
    /// `atomic_file_sink`, as `authority::apply_owner_blob_in_place` does).
    ///
    /// The entry replaced is the recipient whose role is `owner`; in a format without roles it is
    /// the first entry of this wrap's type that is not `authority_blob` (the blob the escrow record
    /// carries, decoded), which must then be given.
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
        wrapped_key authority = store_.template decode_blob<Cipher, Wrap>(record.wrapped_key);
        apply_blob(in, out, new_owner_blob, new_owner, &authority, &record);
    }

    /// Parses and bounds the file header, without a key. Leaves `in` at the payload.
    template <byte_source Source>
    [[nodiscard]] file_header read_header(Source& in) {
        return store_.template read_header<Cipher, Wrap>(in);
    }

    /// Opens a parsed header with a private key: tries every recipient of the wrap's type, and the
    /// first whose unwrapped key verifies the header MAC wins. With `decrypt_payload` this is
    /// `decrypt` in two steps, for callers that must tell a header failure from a payload failure.
    /// @throws escrow::error `no_matching_key` (no recipient unwraps), `authentication_failed`
    /// (a recipient unwraps but the header MAC fails: the header was modified).
    [[nodiscard]] session_key open_header(const file_header& h, const private_key& key) {
        bool unwrapped = false;
        for (const auto& r : h.recipients) {
            if (!r.type.empty() && r.type != std::string_view(Wrap::stanza_type)) continue;
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
    /// the session key `open_header` returned. Writes a chunk only once it authenticates.
    template <byte_source Source, byte_sink Sink>
    void decrypt_payload(Source& in, Sink& out, const session_key& key, const file_header& h) {
        open_payload(in, out, key, h.nonce);
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
        store_.template write_header<Cipher, Wrap>(out, h, key);
        copy_rest(in, out);
    }

    template <byte_source Source, byte_sink Sink>
    void apply_blob(Source& in, Sink& out, const wrapped_key& new_owner_blob, const private_key& new_owner,
                    const wrapped_key* authority_blob, const escrow_record* record) {
        file_header h = read_header(in);
        std::optional<session_key> key = wrap::unwrap_expecting(wrap_, new_owner_blob, new_owner, Cipher::key_size);
        if (!key || key->size() != Cipher::key_size || !store_.template verify_header<Cipher, Wrap>(h, *key))
            throw error(errc::authentication_failed,
                        "the re-wrapped owner blob does not open this file: it was made for another file, or for "
                        "another key than the one given");
        if (record && !record->verify(*key))
            throw error(errc::authentication_failed,
                        "the re-wrapped owner blob does not open the escrow record given: it was made for another "
                        "record, or for another key than the one given");
        recipient_entry& slot = owner_entry(h, authority_blob);
        slot.key = new_owner_blob;
        store_.template write_header<Cipher, Wrap>(out, h, *key);
        if (!h.mac.empty()) {
            copy_rest(in, out);
            return;
        }
        // No header MAC: the payload's own checks are the only evidence that the key is this file's.
        copying_source<Source, Sink> tee{in, out};
        discarding_sink nothing;
        try {
            open_payload(tee, nothing, *key, h.nonce);
        } catch (const error& e) {
            if (e.kind() != errc::authentication_failed) throw;
            throw error(errc::authentication_failed,
                        "the re-wrapped owner blob does not open this file: the payload does not decrypt under "
                        "its session key (this format has no header MAC): it was made for another file, or the "
                        "file was modified");
        }
    }

    // Reads from `in` and writes what it read to `out`: the payload is copied while it is checked.
    template <byte_source Source, byte_sink Sink>
    struct copying_source {
        Source& in;
        Sink& out;
        std::size_t read(mutable_byte_view b) {
            std::size_t n = in.read(b);
            if (n) out.write(byte_view(b.data(), n));
            return n;
        }
    };

    // Takes plaintext and keeps none of it.
    struct discarding_sink {
        void write(byte_view) noexcept {}
    };

    template <byte_source Source, byte_sink Sink>
    static void copy_rest(Source& in, Sink& out) {
        bytes buf(64 * 1024);
        for (;;) {
            std::size_t n = in.read(buf);
            if (n) out.write(byte_view(buf).first(n));
            if (n < buf.size()) break;
        }
    }

    // The owner's entry: by role where the format records roles; otherwise the first entry of this
    // wrap's type that is not the authority's own blob (age lists stanzas without roles).
    static recipient_entry& owner_entry(file_header& h, const wrapped_key* authority_blob) {
        for (auto& r : h.recipients)
            if (r.role == recipient_role::owner) return r;
        if (!authority_blob)
            throw error(errc::malformed_header,
                        "the file records no recipient roles: the authority's blob is needed to tell the owner's entry");
        for (auto& r : h.recipients) {
            if (!r.type.empty() && r.type != std::string_view(Wrap::stanza_type)) continue;
            if (r.key.args == authority_blob->args && r.key.body == authority_blob->body) continue;
            return r;
        }
        throw error(errc::malformed_header, "the file has no owner recipient to replace");
    }

    // One pass with one chunk of look-ahead, so the final chunk is known when it is sealed. A source
    // that holds its bytes in memory is sealed in place and a sink that lends its memory is sealed
    // into, so that in-memory work copies nothing beyond what the cipher itself reads and writes.
    template <byte_source Source, byte_sink Sink>
    void seal_payload(Source& in, Sink& out, const session_key& key, byte_view nonce) {
        if constexpr (parallel_payload && !contiguous_byte_source<Source> && !buffer_byte_sink<Sink>) {
            if (unsigned workers = detail::resolve_threads(threads_); workers > 1)
                return seal_parallel(in, out, key, nonce, workers);
        }
        typename Cipher::sealer sealer(key, nonce);
        bytes sealed(buffer_byte_sink<Sink> ? 0 : Cipher::max_final_sealed_size);
        if constexpr (contiguous_byte_source<Source>) {
            for (std::uint64_t i = 0;; ++i) {
                byte_view ahead = in.peek(Cipher::chunk_size + 1);
                bool last = ahead.size() <= Cipher::chunk_size;
                std::size_t n = last ? ahead.size() : Cipher::chunk_size;
                seal_chunk(sealer, i, ahead.first(n), last, out, sealed);
                in.skip(n);
                if (last) return;
            }
        } else {
            CryptoPP::SecByteBlock cur(Cipher::chunk_size), next(Cipher::chunk_size);
            std::size_t n = in.read(mutable_byte_view(cur.data(), cur.size()));
            for (std::uint64_t i = 0;; ++i) {
                std::size_t m = 0;
                bool last = n < Cipher::chunk_size;
                if (!last) {
                    m = in.read(mutable_byte_view(next.data(), next.size()));
                    last = m == 0;
                }
                seal_chunk(sealer, i, byte_view(cur.data(), n), last, out, sealed);
                if (last) return;
                std::swap(cur, next);
                n = m;
            }
        }
    }

    template <byte_sink Sink>
    static void seal_chunk(typename Cipher::sealer& sealer, std::uint64_t i, byte_view plain, bool last, Sink& out,
                           bytes& scratch) {
        if constexpr (buffer_byte_sink<Sink>) {
            mutable_byte_view dst = out.prepare(Cipher::sealed_size(plain.size(), last));
            out.commit(sealer.seal(i, plain, last, dst));
        } else {
            std::size_t s = sealer.seal(i, plain, last, scratch);
            out.write(byte_view(scratch).first(s));
        }
    }

    // A chunk is the last when what remains of the input fits in a final chunk; the look-ahead holds
    // one byte more than the largest final chunk to tell the two apart.
    template <byte_source Source, byte_sink Sink>
    void open_payload(Source& in, Sink& out, const session_key& key, byte_view nonce) {
        if constexpr (parallel_payload && !contiguous_byte_source<Source> && !buffer_byte_sink<Sink>) {
            if (unsigned workers = detail::resolve_threads(threads_); workers > 1)
                return open_parallel(in, out, key, nonce, workers);
        }
        typename Cipher::opener opener(key, nonce);
        constexpr std::size_t window = Cipher::max_final_sealed_size + 1;
        bytes buf(contiguous_byte_source<Source> ? 0 : window);
        CryptoPP::SecByteBlock plain;
        std::size_t have = 0;
        for (std::uint64_t i = 0;; ++i) {
            byte_view ahead;
            if constexpr (contiguous_byte_source<Source>) {
                ahead = in.peek(window);
            } else {
                have += in.read(mutable_byte_view(buf).subspan(have));
                ahead = byte_view(buf).first(have);
            }
            bool last = ahead.size() < window;
            std::size_t take = last ? ahead.size() : Cipher::sealed_chunk_size;
            if (last && ahead.size() < Cipher::min_final_sealed_size)
                throw error(errc::truncated, i == 0 && ahead.empty() ? "the payload is missing" : "the payload ends inside a chunk");
            if (full_chunks_try_both_flags && take == Cipher::sealed_chunk_size)
                open_full_chunk(opener, i, ahead.first(take), last, out, plain);
            else
                open_chunk(opener, i, ahead.first(take), last, out, plain);
            if (last) return;
            if constexpr (contiguous_byte_source<Source>) {
                in.skip(take);
            } else {
                std::memmove(buf.data(), buf.data() + take, have - take);
                have -= take;
            }
        }
    }

    // ---- The parallel pipeline (ciphers with independent chunks) ----------------------------------
    //
    // The calling thread reads batches of whole chunks and writes their output in order; workers,
    // each with a sealer or opener of its own, process the batches in between. A batch is known to
    // end the payload once the next read comes back short, so a full batch waits for that next
    // read before it is submitted: the same one-step look-ahead as the sequential path, per batch.

    static constexpr std::size_t batch_chunks = std::max<std::size_t>(1, (256 * 1024) / Cipher::chunk_size);

    // Batches in the ring: two per worker keep every worker busy while the caller writes one and
    // reads the next; memory is slots × (batch in + batch out), about 3 MiB for two workers.
    static std::size_t pipeline_slots(unsigned workers) { return 2 * std::size_t{workers} + 2; }

    template <class State, byte_source Source, byte_sink Sink, class Finish>
    static void run_pipeline(detail::chunk_pipeline<State>& p, Source& in, Sink& out, std::size_t stride, Finish finish) {
        const std::size_t batch_bytes = batch_chunks * stride;
        detail::chunk_batch* pending = nullptr;
        std::uint64_t next_index = 0;
        bool eof = false;
        auto submit = [&](detail::chunk_batch& b, bool at_end) {
            b.final = at_end;
            finish(b);
            p.submit();
        };
        for (;;) {
            while (!eof && p.in_flight() < p.slots()) {
                detail::chunk_batch& b = p.acquire();
                b.in_len = in.read(mutable_byte_view(b.in.data(), batch_bytes));
                b.first_index = next_index;
                next_index += batch_chunks;
                if (b.in_len == batch_bytes) {
                    if (pending) submit(*pending, false);
                    pending = &b;
                    continue;
                }
                eof = true;
                if (pending && b.in_len == 0) {
                    p.unacquire();
                    submit(*pending, true);
                } else {
                    if (pending) submit(*pending, false);
                    submit(b, true);
                }
                pending = nullptr;
            }
            if (eof && p.in_flight() == 0) return;
            detail::chunk_batch& b = p.wait();
            if (b.out_len) out.write(byte_view(b.out.data(), b.out_len));
            if (b.error) std::rethrow_exception(b.error);
            if (b.tail_error) std::rethrow_exception(b.tail_error);
            p.release();
        }
    }

    template <byte_source Source, byte_sink Sink>
    void seal_parallel(Source& in, Sink& out, const session_key& key, byte_view nonce, unsigned workers) {
        using sealer = typename Cipher::sealer;
        detail::chunk_pipeline<sealer> p(
            pipeline_slots(workers), batch_chunks * Cipher::chunk_size, batch_chunks * Cipher::sealed_chunk_size, workers,
            [&] { return std::make_unique<sealer>(key, nonce); },
            [](sealer& s, detail::chunk_batch& b) {
                detail::batch_sink sink{mutable_byte_view(b.out.data(), b.out.size())};
                bytes unused;
                try {
                    // An empty payload is one empty final chunk.
                    std::size_t n = b.in_len, chunks = n == 0 ? 1 : (n + Cipher::chunk_size - 1) / Cipher::chunk_size;
                    for (std::size_t j = 0; j < chunks; ++j) {
                        std::size_t off = j * Cipher::chunk_size, len = std::min(Cipher::chunk_size, n - off);
                        seal_chunk(s, b.first_index + j, byte_view(b.in.data() + off, len), b.final && j + 1 == chunks,
                                   sink, unused);
                    }
                } catch (...) {
                    b.error = std::current_exception();
                }
                b.out_len = b.error ? 0 : sink.len;
            });
        run_pipeline(p, in, out, Cipher::chunk_size, [](detail::chunk_batch&) {});
    }

    template <byte_source Source, byte_sink Sink>
    void open_parallel(Source& in, Sink& out, const session_key& key, byte_view nonce, unsigned workers) {
        using opener = typename Cipher::opener;
        struct worker {
            opener o;
            CryptoPP::SecByteBlock scratch;
            worker(const session_key& k, byte_view n) : o(k, n) {}
        };
        detail::chunk_pipeline<worker> p(
            pipeline_slots(workers), batch_chunks * Cipher::sealed_chunk_size, batch_chunks * Cipher::chunk_size, workers,
            [&] { return std::make_unique<worker>(key, nonce); },
            [](worker& w, detail::chunk_batch& b) {
                // Chunks: whole ones, then in a final batch the final chunk, which may be shorter.
                detail::batch_sink sink{mutable_byte_view(b.out.data(), b.out.size())};
                try {
                    std::size_t n = b.in_len, chunks = (n + Cipher::sealed_chunk_size - 1) / Cipher::sealed_chunk_size;
                    for (std::size_t j = 0; j < chunks; ++j) {
                        std::size_t off = j * Cipher::sealed_chunk_size;
                        std::size_t len = std::min(Cipher::sealed_chunk_size, n - off);
                        byte_view sealed(b.in.data() + off, len);
                        bool last = b.final && j + 1 == chunks;
                        if (full_chunks_try_both_flags && len == Cipher::sealed_chunk_size)
                            open_full_chunk(w.o, b.first_index + j, sealed, last, sink, w.scratch);
                        else
                            open_chunk(w.o, b.first_index + j, sealed, last, sink, w.scratch);
                    }
                } catch (...) {
                    b.error = std::current_exception();
                }
                // What opened before a failure (and, for a format that releases it, the chunk that
                // opened under the other flag) is authenticated and is released in order.
                b.out_len = sink.len;
            });
        run_pipeline(p, in, out, Cipher::sealed_chunk_size, [](detail::chunk_batch& b) {
            // The reader's framing checks, as in the sequential path: a final batch that ends in
            // a piece too short for a chunk has its chunks opened as not final, then fails.
            if (!b.final) return;
            std::size_t tail = b.in_len % Cipher::sealed_chunk_size;
            if (b.in_len == 0) {
                b.final = false;
                b.tail_error = std::make_exception_ptr(
                    error(errc::truncated, b.first_index == 0 ? "the payload is missing" : "the payload ends inside a chunk"));
            } else if (tail != 0 && tail < Cipher::min_final_sealed_size) {
                b.in_len -= tail;
                b.final = false;
                b.tail_error = std::make_exception_ptr(error(errc::truncated, "the payload ends inside a chunk"));
            }
        });
    }

    static constexpr bool full_chunks_try_both_flags = requires { requires Store::full_chunks_try_both_flags; };

    // A full-size chunk in a format whose reader tries both final flags on it (age: a reader that
    // sees a full chunk cannot know yet whether more follows). When the chunk opens only under the
    // flag the look-ahead did not expect, its plaintext is authenticated and is released, as the
    // format's reader releases it, and then the framing error is reported: data after the final
    // chunk, or input that ends without one.
    template <byte_sink Sink>
    static void open_full_chunk(typename Cipher::opener& opener, std::uint64_t i, byte_view sealed, bool last, Sink& out,
                                CryptoPP::SecByteBlock& scratch) {
        try {
            open_chunk(opener, i, sealed, last, out, scratch);
            return;
        } catch (const error& e) {
            if (e.kind() != errc::authentication_failed) throw;
            try {
                open_chunk(opener, i, sealed, !last, out, scratch);
            } catch (const error& other) {
                if (other.kind() != errc::authentication_failed) throw;
                throw e;
            }
        }
        if (last) throw error(errc::truncated, "the payload ends without a final chunk");
        throw error(errc::trailing_data, "data after the final chunk of the payload");
    }

    // Opens one chunk; its plaintext reaches the sink only once it authenticated and the framing
    // holds. A lending sink is opened into directly, and on failure the lent bytes are wiped and
    // never committed.
    template <byte_sink Sink>
    static void open_chunk(typename Cipher::opener& opener, std::uint64_t i, byte_view sealed, bool last, Sink& out,
                           CryptoPP::SecByteBlock& scratch) {
        auto check_framing = [&](std::size_t n) {
            if (last && n == 0 && i > 0)
                throw error(errc::malformed_header, "payload: an empty final chunk may only follow nothing");
        };
        if constexpr (buffer_byte_sink<Sink>) {
            // The plaintext size `sealed` holds, when `sealed_size` is plaintext plus a fixed overhead
            // (every STREAM cipher) and so determines it; any other cipher (a padded CBC final
            // chunk, whose plaintext may be 1 to 16 bytes shorter) takes the scratch buffer below.
            std::size_t overhead = Cipher::sealed_size(0, last);
            std::size_t expect = sealed.size() >= overhead ? sealed.size() - overhead : 0;
            if (sealed.size() >= overhead && Cipher::sealed_size(expect, last) == sealed.size() &&
                Cipher::sealed_size(expect + 1, last) != sealed.size()) {
                mutable_byte_view dst = out.prepare(expect);
                try {
                    std::size_t n = opener.open(i, sealed, last, dst);
                    check_framing(n);
                    out.commit(n);
                } catch (...) {
                    if (!dst.empty()) CryptoPP::SecureWipeArray(dst.data(), dst.size());
                    throw;
                }
                return;
            }
        }
        if (scratch.size() == 0) scratch.New(Cipher::max_final_sealed_size);
        std::size_t n = opener.open(i, sealed, last, mutable_byte_view(scratch.data(), scratch.size()));
        check_framing(n);
        out.write(byte_view(scratch.data(), n));
    }
};

}  // namespace escrow
