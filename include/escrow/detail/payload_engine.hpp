// SPDX-License-Identifier: MIT
/// @file
/// The payload engine behind `escrow_encryptor`: sealing and opening a payload chunk by chunk,
/// sequentially or through the parallel pipeline, with the framing checks every format shares and
/// the final-chunk rule its store states. Not public API: the host is.
#pragma once

#include <cryptopp/secblock.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <utility>

#include "escrow/cipher/concept.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/chunk_pipeline.hpp"
#include "escrow/detail/pipeline_io.hpp"
#include "escrow/store/concept.hpp"

namespace escrow::detail {

/// Seals and opens the payloads of cipher `Cipher` under the final-chunk rule `Rule` (its store's
/// `store_options<S>.final_chunk`). Memory stays bounded by a few chunks whatever the payload size;
/// a chunk is written only after it authenticated and its framing holds.
///
/// Between streams (a source that is not `contiguous_byte_source` and a sink that is not
/// `buffer_byte_sink`), a cipher whose chunks are independent (`cipher_options<Cipher>.
/// parallel_chunks`) runs through the pipeline: the calling thread reads and writes batches of
/// chunks while worker threads seal or open them, and the output keeps the input's order. A mapped
/// file on either side (`mapped_byte_source`, `mapped_byte_sink`) is not read or written: the
/// workers seal or open straight from and into windows of its mapping. In memory, chunks are
/// sealed and opened in place instead.
template <class Cipher, store::final_chunk_rule Rule>
class payload_engine {
public:
    /// True when this cipher can run in the parallel pipeline.
    static constexpr bool parallel =
        cipher_options<Cipher>.parallel_chunks && Cipher::sealed_chunk_size == Cipher::max_final_sealed_size;

    /// Copies the rest of `in` to `out` unchanged (a payload under a rewritten header).
    template <byte_source Source, byte_sink Sink>
    static void copy(Source& in, Sink& out) {
        bytes buf(64 * 1024);
        for (;;) {
            std::size_t n = in.read(buf);
            if (n) out.write(byte_view(buf).first(n));
            if (n < buf.size()) break;
        }
    }

    /// Copies the rest of `in` to `out` unchanged while opening it under `key` into nothing: for a
    /// format whose header has no MAC, the payload's own checks are the only evidence that a key
    /// is the file's. @throws escrow::error as `open`.
    template <byte_source Source, byte_sink Sink>
    static void copy_checked(Source& in, Sink& out, const session_key& key, byte_view nonce, unsigned threads) {
        copying_source<Source, Sink> tee{in, out};
        discarding_sink nothing;
        open(tee, nothing, key, nonce, threads);
    }

    // One pass with one chunk of look-ahead, so the final chunk is known when it is sealed. A source
    // that holds its bytes in memory is sealed in place and a sink that lends its memory is sealed
    // into, so that in-memory work copies nothing beyond what the cipher itself reads and writes.
    template <byte_source Source, byte_sink Sink>
    static void seal(Source& in, Sink& out, const session_key& key, byte_view nonce, unsigned threads) {
        if (unsigned workers = pipeline_workers<Source, Sink>(threads); workers > 1)
            return seal_parallel(in, out, key, nonce, workers);
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
    static void open(Source& in, Sink& out, const session_key& key, byte_view nonce, unsigned threads) {
        if (unsigned workers = pipeline_workers<Source, Sink>(threads); workers > 1)
            return open_parallel(in, out, key, nonce, workers);
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
            if (try_both_flags && take == Cipher::sealed_chunk_size)
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

private:
    // The worker threads for a payload between `Source` and `Sink`: 0 when it runs on the caller
    // (a cipher with dependent chunks, or memory that is worked on in place).
    template <class Source, class Sink>
    static unsigned pipeline_workers(unsigned threads) noexcept {
        if constexpr (parallel && !contiguous_byte_source<Source> && !buffer_byte_sink<Sink>) return resolve_threads(threads);
        else return 0;
    }

    // ---- The parallel pipeline (ciphers with independent chunks) ------------------------------
    //
    // The calling thread reads batches of whole chunks and writes their output in order; workers,
    // each with a sealer or opener of its own, process the batches in between. A batch is known to
    // end the payload once the next read comes back short, so a full batch waits for that next
    // read before it is submitted: the same one-step look-ahead as the sequential path, per batch.

    // Batches in the ring: two per worker keep every worker busy while the caller writes one and reads the next.
    static std::size_t pipeline_slots(unsigned workers) { return 2 * std::size_t{workers} + 2; }

    // Chunks in a batch: 256 KiB of them, fewer when more workers would put more than `in_flight_budget`
    // bytes in flight on one side (input windows or buffers; output), so that memory stays about 3 MiB,
    // and peak RSS under 16 MiB, whatever the cores (docs/performance.md, "Peak RSS"); at least one chunk.
    static constexpr std::size_t in_flight_budget = 1536 * 1024;
    static std::size_t batch_chunks(unsigned workers) {
        constexpr std::size_t most = std::max<std::size_t>(1, (256 * 1024) / Cipher::chunk_size);
        return std::clamp<std::size_t>(in_flight_budget / (pipeline_slots(workers) * Cipher::chunk_size), 1, most);
    }

    // `full_out`: the output of a batch of whole chunks. A mapped sink's windows are laid end to
    // end, so every batch but the last must fill its window exactly, which STREAM ciphers do.
    template <class State, byte_source Source, byte_sink Sink, class Finish>
    static void run_pipeline(chunk_pipeline<State>& p, batch_input<Source>& in, batch_output<Sink>& out,
                             std::size_t per_batch, std::size_t stride, std::size_t full_out, Finish finish) {
        const std::size_t batch_bytes = per_batch * stride;
        chunk_batch* pending = nullptr;
        std::uint64_t next_index = 0;
        bool eof = false;
        auto submit = [&](chunk_batch& b, bool at_end) {
            b.final = at_end;
            finish(b);
            p.submit();
        };
        for (;;) {
            while (!eof && p.in_flight() < p.slots()) {
                chunk_batch& b = p.acquire();
                in.next(b, batch_bytes);
                b.first_index = next_index;
                next_index += per_batch;
                if (b.in_len == batch_bytes) {
                    out.prepare(b, full_out);
                    if (pending) submit(*pending, false);
                    pending = &b;
                    continue;
                }
                eof = true;
                if (pending && b.in_len == 0) {
                    in.release(b);
                    p.unacquire();
                    submit(*pending, true);
                } else {
                    out.prepare(b, full_out);
                    if (pending) submit(*pending, false);
                    submit(b, true);
                }
                pending = nullptr;
            }
            if (eof && p.in_flight() == 0) return;
            chunk_batch& b = p.wait();
            in.check(b);
            out.emit(b, full_out);
            if (b.error) std::rethrow_exception(b.error);
            if (b.tail_error) std::rethrow_exception(b.tail_error);
            in.release(b);
            out.release(b);
            p.release();
        }
    }

    // The pipeline's buffers, for what is not mapped.
    template <class Source, class Sink>
    static std::pair<std::size_t, std::size_t> buffer_sizes(std::size_t in, std::size_t out) {
        return {batch_input<Source>::buffered ? in : 0, batch_output<Sink>::buffered ? out : 0};
    }

    template <byte_source Source, byte_sink Sink>
    static void seal_parallel(Source& in, Sink& out, const session_key& key, byte_view nonce, unsigned workers) {
        using sealer = typename Cipher::sealer;
        const std::size_t per_batch = batch_chunks(workers), full_out = per_batch * Cipher::sealed_chunk_size;
        // The windows of mapped files outlive the workers that use them.
        batch_input<Source> bin(in, pipeline_slots(workers));
        batch_output<Sink> bout(out, pipeline_slots(workers));
        auto [in_cap, out_cap] = buffer_sizes<Source, Sink>(per_batch * Cipher::chunk_size, full_out);
        chunk_pipeline<sealer> p(
            pipeline_slots(workers), in_cap, out_cap, workers, [&] { return std::make_unique<sealer>(key, nonce); },
            [](sealer& s, chunk_batch& b) {
                batch_sink sink{b.output};
                bytes unused;
                try {
                    // An empty payload is one empty final chunk.
                    std::size_t n = b.in_len, chunks = n == 0 ? 1 : (n + Cipher::chunk_size - 1) / Cipher::chunk_size;
                    for (std::size_t j = 0; j < chunks; ++j) {
                        std::size_t off = j * Cipher::chunk_size, len = std::min(Cipher::chunk_size, n - off);
                        seal_chunk(s, b.first_index + j, b.input.subspan(off, len), b.final && j + 1 == chunks, sink, unused);
                    }
                } catch (...) {
                    b.error = std::current_exception();
                }
                b.out_len = b.error ? 0 : sink.len;
            });
        run_pipeline(p, bin, bout, per_batch, Cipher::chunk_size, full_out, [](chunk_batch&) {});
    }

    template <byte_source Source, byte_sink Sink>
    static void open_parallel(Source& in, Sink& out, const session_key& key, byte_view nonce, unsigned workers) {
        using opener = typename Cipher::opener;
        struct worker {
            opener o;
            CryptoPP::SecByteBlock scratch;
            worker(const session_key& k, byte_view n) : o(k, n) {}
        };
        const std::size_t per_batch = batch_chunks(workers), full_out = per_batch * Cipher::chunk_size;
        // The windows of mapped files outlive the workers that use them.
        batch_input<Source> bin(in, pipeline_slots(workers));
        batch_output<Sink> bout(out, pipeline_slots(workers));
        auto [in_cap, out_cap] = buffer_sizes<Source, Sink>(per_batch * Cipher::sealed_chunk_size, full_out);
        chunk_pipeline<worker> p(
            pipeline_slots(workers), in_cap, out_cap, workers, [&] { return std::make_unique<worker>(key, nonce); },
            [](worker& w, chunk_batch& b) {
                // Chunks: whole ones, then in a final batch the final chunk, which may be shorter.
                // Each is opened into the output only once it authenticates (a mapped output is
                // the unnamed file's memory: what fails is wiped there, as in a lending sink).
                batch_sink sink{b.output};
                try {
                    std::size_t n = b.in_len, chunks = (n + Cipher::sealed_chunk_size - 1) / Cipher::sealed_chunk_size;
                    for (std::size_t j = 0; j < chunks; ++j) {
                        std::size_t off = j * Cipher::sealed_chunk_size;
                        std::size_t len = std::min(Cipher::sealed_chunk_size, n - off);
                        byte_view sealed = b.input.subspan(off, len);
                        bool last = b.final && j + 1 == chunks;
                        if (try_both_flags && len == Cipher::sealed_chunk_size)
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
        run_pipeline(p, bin, bout, per_batch, Cipher::sealed_chunk_size, full_out, [](chunk_batch& b) {
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

    // A full-size chunk in a format whose reader tries both final flags on it (`Rule`: age's reader,
    // which sees a full chunk and cannot know yet whether more follows). When the chunk opens only under the
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

    static constexpr bool try_both_flags = Rule == store::final_chunk_rule::try_both_on_full_chunks;

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
};

}  // namespace escrow::detail
