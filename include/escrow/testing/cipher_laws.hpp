// SPDX-License-Identifier: MIT
/// @file
/// The laws of `cipher_policy`, as functions that throw `escrow::testing::law_violation`: run them
/// over your own cipher as the library's law suite (tests/laws) runs them over its own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "escrow/cipher/concept.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/payload_engine.hpp"
#include "escrow/testing/law_violation.hpp"

namespace escrow::testing {

namespace detail {
template <class C>
session_key cipher_key(unsigned seed) {
    return session_key::from_unsafe_bytes(pattern(C::key_size, seed));
}
template <class C>
bytes sealed_chunk(const session_key& k, byte_view nonce, std::uint64_t i, byte_view plain, bool last) {
    typename C::sealer s(k, nonce);
    bytes out(C::max_final_sealed_size);
    out.resize(s.seal(i, plain, last, out));
    return out;
}
// True when opening `sealed` fails with an escrow::error of kind `kind`.
template <class C>
bool open_fails(const session_key& k, byte_view nonce, std::uint64_t i, byte_view sealed, bool last, errc kind) {
    typename C::opener o(k, nonce);
    bytes out(C::max_final_sealed_size);
    try {
        (void)o.open(i, sealed, last, out);
    } catch (const error& e) {
        return e.kind() == kind;
    }
    return false;
}
}  // namespace detail

/// Framing: `sealed_chunk_size == sealed_size(chunk_size, false)`, a final chunk of 0 to
/// `chunk_size` bytes seals to `min_final_sealed_size` .. `max_final_sealed_size`, and
/// `sealed_chunk_size <= max_final_sealed_size`, so a reader tells the last chunk by the bytes left.
template <class C>
void cipher_framing() {
    const std::string_view p = C::name;
    detail::require(C::sealed_size(C::chunk_size, false) == C::sealed_chunk_size, p, "sealed_chunk_size == sealed_size(chunk_size, false)");
    detail::require(C::sealed_size(0, true) == C::min_final_sealed_size, p, "min_final_sealed_size == sealed_size(0, true)");
    detail::require(C::sealed_size(C::chunk_size, true) == C::max_final_sealed_size, p,
                    "max_final_sealed_size == sealed_size(chunk_size, true)");
    detail::require(C::sealed_chunk_size <= C::max_final_sealed_size, p, "sealed_chunk_size <= max_final_sealed_size");
    for (std::size_t n = 1; n <= C::chunk_size; n += n < 64 ? 1 : 4093)
        detail::require(C::sealed_size(n - 1, true) <= C::sealed_size(n, true), p, "sealed_size(n, true) grows with n",
                        "n = " + std::to_string(n));
}

/// Chunks: `open(i, seal(i, p, last), last) == p`, and `seal` writes exactly `sealed_size(p.size(),
/// last)` bytes, for final chunks of 0, 1, 15 to 17 and `chunk_size - 1` to `chunk_size` bytes and a
/// full non-final chunk, at indexes 0 and 7.
template <class C>
void cipher_round_trip() {
    const std::string_view p = C::name;
    const session_key k = detail::cipher_key<C>(1);
    const bytes nonce = detail::pattern(C::nonce_size, 2);
    struct chunk_case {
        std::size_t n;
        bool last;
    };
    const chunk_case cases[] = {{0, true},  {1, true},  {15, true}, {16, true}, {17, true}, {C::chunk_size - 1, true},
                                {C::chunk_size, true}, {C::chunk_size, false}};
    for (std::uint64_t index : {std::uint64_t{0}, std::uint64_t{7}}) {
        for (const auto& c : cases) {
            const std::string what = std::to_string(c.n) + " bytes, " + (c.last ? "final" : "not final") + ", index " +
                                     std::to_string(index);
            const bytes plain = detail::pattern(c.n, static_cast<unsigned>(c.n));
            const bytes sealed = detail::sealed_chunk<C>(k, nonce, index, plain, c.last);
            detail::require(sealed.size() == C::sealed_size(c.n, c.last), p, "seal writes sealed_size(n, last) bytes", what);
            typename C::opener o(k, nonce);
            bytes out(C::max_final_sealed_size);
            out.resize(o.open(index, sealed, c.last, out));
            detail::require(out == plain, p, "open(i, seal(i, p, last), last) == p", what);
        }
    }
}

/// Integrity, for a cipher that states `cipher_options<C>.authenticated`: any changed byte of a
/// sealed chunk, any other index, final flag, key or nonce makes `open` throw
/// `authentication_failed`. A cipher that states no integrity is not held to it.
template <class C>
void cipher_authentication() {
    if constexpr (cipher_options<C>.authenticated) {
        const std::string_view p = C::name;
        const session_key k = detail::cipher_key<C>(3);
        const bytes nonce = detail::pattern(C::nonce_size, 4);
        const bytes plain = detail::pattern(40, 5);
        const bytes sealed = detail::sealed_chunk<C>(k, nonce, 3, plain, true);
        for (std::size_t i = 0; i < sealed.size(); ++i) {
            bytes changed = sealed;
            changed[i] ^= 0x01;
            detail::require(detail::open_fails<C>(k, nonce, 3, changed, true, errc::authentication_failed), p,
                            "a changed byte fails authentication", "byte " + std::to_string(i));
        }
        detail::require(detail::open_fails<C>(k, nonce, 4, sealed, true, errc::authentication_failed), p,
                        "another index fails authentication");
        detail::require(detail::open_fails<C>(k, nonce, 3, sealed, false, errc::authentication_failed), p,
                        "the other final flag fails authentication");
        detail::require(detail::open_fails<C>(detail::cipher_key<C>(6), nonce, 3, sealed, true, errc::authentication_failed),
                        p, "another key fails authentication");
        if constexpr (C::nonce_size > 0)
            detail::require(detail::open_fails<C>(k, detail::pattern(C::nonce_size, 7), 3, sealed, true,
                                                  errc::authentication_failed),
                            p, "another nonce fails authentication");
    }
}

/// Independence, for a cipher that states `cipher_options<C>.parallel_chunks`: chunks sealed by
/// separate sealers, in any order, are the bytes one sealer gives in order.
template <class C>
void cipher_independent_chunks() {
    if constexpr (cipher_options<C>.parallel_chunks) {
        const session_key k = detail::cipher_key<C>(8);
        const bytes nonce = detail::pattern(C::nonce_size, 9);
        const bytes plain = detail::pattern(C::chunk_size, 10);
        typename C::sealer one(k, nonce);
        for (std::uint64_t i = 0; i < 4; ++i) {
            bytes in_order(C::max_final_sealed_size);
            in_order.resize(one.seal(i, plain, i == 3, in_order));
            detail::require(in_order == detail::sealed_chunk<C>(k, nonce, i, plain, i == 3), C::name,
                            "separate sealers give the bytes of one", "chunk " + std::to_string(i));
        }
    }
}

/// Payloads, through the host's payload engine, in memory and between streams, on one thread and
/// on several: `open(seal(p)) == p`, the sealed payload is the sum of `sealed_size` over its
/// chunks, and, for an authenticated cipher, a payload cut short (by a byte, or by its final chunk)
/// fails to open.
template <class C>
void cipher_payload_round_trip() {
    using engine = escrow::detail::payload_engine<C, store::final_chunk_rule::look_ahead>;
    const std::string_view p = C::name;
    const session_key k = detail::cipher_key<C>(11);
    const bytes nonce = detail::pattern(C::nonce_size, 12);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, C::chunk_size, C::chunk_size + 1, 5 * C::chunk_size + 3}) {
        const std::string what = std::to_string(n) + " bytes";
        const bytes plain = detail::pattern(n, 13);
        std::size_t expect = 0;
        for (std::size_t left = n;;) {
            const bool last = left <= C::chunk_size;
            expect += C::sealed_size(last ? left : C::chunk_size, last);
            if (last) break;
            left -= C::chunk_size;
        }
        memory_source in(plain);
        memory_sink sealed;
        engine::seal(in, sealed, k, nonce, 1);
        detail::require(sealed.data().size() == expect, p, "a payload seals to the sum of sealed_size over its chunks", what);
        for (unsigned threads : {1u, 3u}) {
            detail::stream_source src{memory_source(sealed.data())};
            detail::stream_sink out;
            engine::open(src, out, k, nonce, threads);
            detail::require(out.data == plain, p, "open(seal(p)) == p", what + ", " + std::to_string(threads) + " threads");
            detail::stream_source again{memory_source(plain)};
            detail::stream_sink resealed;
            engine::seal(again, resealed, k, nonce, threads);
            detail::require(resealed.data == sealed.data(), p, "sealing between streams gives the bytes of sealing in memory",
                            what + ", " + std::to_string(threads) + " threads");
        }
        if constexpr (cipher_options<C>.authenticated) {
            std::vector<std::size_t> cuts = {sealed.data().size() - 1};
            if (n > C::chunk_size) cuts.push_back(sealed.data().size() - C::sealed_size(n % C::chunk_size, true));
            for (std::size_t cut : cuts) {
                memory_source src(byte_view(sealed.data()).first(cut));
                memory_sink out;
                bool failed = false;
                try {
                    engine::open(src, out, k, nonce, 1);
                } catch (const error&) {
                    failed = true;
                }
                detail::require(failed, p, "a payload cut short fails to open", what + " cut to " + std::to_string(cut));
            }
        }
    }
}

/// Every cipher law above.
template <class C>
void cipher_laws() {
    static_assert(cipher_policy<C>, "the law suite runs over a cipher_policy");
    cipher_framing<C>();
    cipher_round_trip<C>();
    cipher_authentication<C>();
    cipher_independent_chunks<C>();
    cipher_payload_round_trip<C>();
}

}  // namespace escrow::testing
