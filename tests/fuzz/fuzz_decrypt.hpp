// SPDX-License-Identifier: MIT
// Whole-file decryption through a preset, the same file three ways, for the decrypt_* harnesses.
//
// The host's `decrypt` is `read_header`, `open_header` and `decrypt_payload`; the harness takes
// those steps itself, so that the private-key operation runs once per input, and then opens the
// payload again with the session key it found, through the host's other paths:
//   1. a memory source into a memory sink (chunks opened in place, copied out);
//   2. a memory source into a lending sink (`buffer_byte_sink`: chunks opened into the sink);
//   3. a source that only reads (`byte_source`: the streaming path, with the pipeline's threads
//      when the payload is over one batch) into a memory sink.
// Invariants: the three agree on success or failure, on the error's kind and on every byte they
// released (a failure part-way may release the chunks before it, the same in every path); and a
// file that decrypts and can be rewrapped (to the same owner, with the session key: what
// `escrow rewrap` writes) decrypts again to the same plaintext.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "escrow/core/io.hpp"
#include "escrow/core/secret.hpp"
#include "fuzz_support.hpp"

namespace escrow_fuzz {

/// A sink that lends its own memory (`buffer_byte_sink`), as a file mapping or a batch would.
class lending_sink {
public:
    void write(escrow::byte_view in) {
        std::copy(in.begin(), in.end(), prepare(in.size()).begin());
        commit(in.size());
    }
    escrow::mutable_byte_view prepare(std::size_t n) {
        data_.resize(committed_ + n);
        return escrow::mutable_byte_view(data_).subspan(committed_, n);
    }
    void commit(std::size_t n) {
        committed_ += n;
        data_.resize(committed_);
    }
    [[nodiscard]] escrow::bytes released() const { return escrow::bytes(data_.begin(), data_.begin() + committed_); }

private:
    escrow::bytes data_;
    std::size_t committed_ = 0;
};

/// A source that only reads (not `contiguous_byte_source`): the host's streaming path.
template <escrow::byte_source Source>
struct reading_source {
    Source& in;
    std::size_t read(escrow::mutable_byte_view out) { return in.read(out); }
};

/// What one decryption did.
struct decryption {
    bool ok = false;
    escrow::errc kind{};
    escrow::bytes released;  ///< what reached the sink, also on failure
};

/// Runs `f(sink)` with a fresh `Sink`, recording what it released and how it ended.
template <class Sink, class F>
decryption attempt(F&& f) {
    decryption d;
    Sink sink;
    try {
        f(sink);
        d.ok = true;
    } catch (const escrow::error& e) {
        d.kind = e.kind();
    }
    if constexpr (std::is_same_v<Sink, lending_sink>) d.released = sink.released();
    else d.released = sink.data();
    return d;
}

/// With ESCROW_FUZZ_TRACE set, says on stderr how a decryption ended (to check what a seed or a
/// reproducer reaches: `ESCROW_FUZZ_TRACE=1 ./fuzz_decrypt_native -runs=0 FILE`).
inline void trace(std::string_view what, const std::optional<decryption>& d) {
    if (!std::getenv("ESCROW_FUZZ_TRACE")) return;
    if (!d) std::fprintf(stderr, "escrow fuzz: %.*s: the header did not open\n", static_cast<int>(what.size()), what.data());
    else if (d->ok)
        std::fprintf(stderr, "escrow fuzz: %.*s: decrypted %zu bytes\n", static_cast<int>(what.size()), what.data(), d->released.size());
    else
        std::fprintf(stderr, "escrow fuzz: %.*s: the payload failed (%s) after %zu bytes\n", static_cast<int>(what.size()),
                     what.data(), std::string(escrow::tag(d->kind)).c_str(), d->released.size());
}

inline void require_same(const decryption& a, const decryption& b, std::string_view path) {
    require(a.ok == b.ok, std::string(path) + ": succeeds or fails unlike the in-memory path");
    require(a.ok || a.kind == b.kind, std::string(path) + ": fails with another error kind than the in-memory path");
    require(a.released == b.released, std::string(path) + ": released other bytes than the in-memory path");
}

/// Decrypts `file` with `key` through `Host` the three ways above, then rewraps it. Returns the
/// in-memory path's outcome (std::nullopt when the header did not open).
template <class Host>
std::optional<decryption> decrypt_all_ways(escrow::byte_view file, const typename Host::private_key& key,
                                           const typename Host::public_key& owner) {
    Host host;
    std::optional<escrow::session_key> sk;
    std::optional<escrow::unverified<escrow::file_header>> header;
    const decryption direct = attempt<escrow::memory_sink>([&](escrow::memory_sink& out) {
        escrow::memory_source src(file);
        header.emplace(host.read_header(src));
        sk.emplace(host.open_header(*header, key));
        host.decrypt_payload(src, out, *sk, *header);
    });
    if (!sk) {
        require(direct.released.empty(), "plaintext released before the header opened");
        trace(Host::store_type::name, std::nullopt);
        return std::nullopt;
    }
    const decryption lent = attempt<lending_sink>([&](lending_sink& out) {
        escrow::memory_source src(file);
        auto h = host.read_header(src);
        host.decrypt_payload(src, out, *sk, h);
    });
    require_same(direct, lent, "a lending sink");
    const decryption streamed = attempt<escrow::memory_sink>([&](escrow::memory_sink& out) {
        escrow::memory_source mem(file);
        reading_source<escrow::memory_source> src{mem};
        Host threaded;
        threaded.threads(2);
        auto h = threaded.read_header(src);
        threaded.decrypt_payload(src, out, *sk, h);
    });
    require_same(direct, streamed, "a streaming source");
    // The authority's path with the session key: the header check, then the same payload.
    const decryption with_key = attempt<escrow::memory_sink>([&](escrow::memory_sink& out) {
        escrow::memory_source src(file);
        host.decrypt_with_session_key(src, out, *sk);
    });
    require_same(direct, with_key, "decrypt_with_session_key");

    if (direct.ok) {
        escrow::memory_sink rewrapped;
        const bool rewrote = expect_escrow_errors([&] {
            escrow::memory_source src(file);
            host.rewrap_owner(src, rewrapped, *sk, owner);
        });
        if (rewrote) {
            const decryption again = attempt<escrow::memory_sink>([&](escrow::memory_sink& out) {
                escrow::memory_source src(rewrapped.data());
                host.decrypt(src, out, key);
            });
            require(again.ok && again.released == direct.released, "a rewrapped file does not decrypt to the same plaintext");
        }
    }
    trace(Host::store_type::name, direct);
    return direct;
}

}  // namespace escrow_fuzz
