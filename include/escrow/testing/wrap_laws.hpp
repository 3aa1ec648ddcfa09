// SPDX-License-Identifier: MIT
/// @file
/// The laws of `wrap_policy`, as functions that throw `escrow::testing::law_violation`: run them
/// over your own wrap, with a few private keys of it, as tests/laws runs them over the library's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "escrow/core/crypto.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/testing/law_violation.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow::testing {

namespace detail {
inline bool same_key(const std::optional<session_key>& got, const session_key& want) {
    return got && got->size() == want.size() && constant_time_equal(got->unsafe_bytes(), want.unsafe_bytes());
}
}  // namespace detail

/// Round trip, for every session key size the wrap states (`wrap_options<W>.min_key_size` to
/// `max_key_size`): `unwrap(wrap(k, public_of(priv)), priv)` holds `k`, and so does the sized
/// `unwrap(…, k.size())` when the wrap opts into it.
template <class W>
void wrap_round_trip(W& w, const typename W::private_key& priv) {
    const std::string_view p = W::name;
    const auto pub = w.public_of(priv);
    for (std::size_t n = wrap_options<W>.min_key_size; n <= wrap_options<W>.max_key_size; ++n) {
        const session_key k = session_key::from_unsafe_bytes(detail::pattern(n, static_cast<unsigned>(n)));
        const wrapped_key wk = w.wrap(k, pub, default_random());
        detail::require(detail::same_key(w.unwrap(wk, priv), k), p, "unwrap(wrap(k)) == k", std::to_string(n) + "-byte key");
        if constexpr (wrap_options<W>.sized_unwrap)
            detail::require(detail::same_key(w.unwrap(wk, priv, n), k), p, "unwrap(wrap(k), k.size()) == k",
                            std::to_string(n) + "-byte key");
    }
}

/// Fresh randomness: wrapping one key twice for one recipient gives two different wrapped keys.
template <class W>
void wrap_fresh(W& w, const typename W::private_key& priv) {
    const std::size_t n = std::clamp<std::size_t>(16, wrap_options<W>.min_key_size, wrap_options<W>.max_key_size);
    const session_key k = session_key::from_unsafe_bytes(detail::pattern(n, 21));
    const auto pub = w.public_of(priv);
    const wrapped_key a = w.wrap(k, pub, default_random()), b = w.wrap(k, pub, default_random());
    detail::require(a.args != b.args || a.body != b.body, W::name, "wrap draws fresh randomness");
}

/// Fingerprints: with `wrap_options<W>.identifies_key`, distinct keys give distinct fingerprints
/// (and a key always the same one); without it, every key gives the same fingerprint.
template <class W>
void wrap_fingerprints(W& w, std::span<const typename W::private_key> keys) {
    const std::string_view p = W::name;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const digest256 fi = w.fingerprint(w.public_of(keys[i]));
        detail::require(fi == w.fingerprint(w.public_of(keys[i])), p, "a key's fingerprint is always the same");
        for (std::size_t j = i + 1; j < keys.size(); ++j) {
            const bool same = fi == w.fingerprint(w.public_of(keys[j]));
            if constexpr (wrap_options<W>.identifies_key)
                detail::require(!same, p, "distinct keys give distinct fingerprints",
                                "keys " + std::to_string(i) + " and " + std::to_string(j));
            else
                detail::require(same, p, "every key gives the same fingerprint (identifies_key is false)",
                                "keys " + std::to_string(i) + " and " + std::to_string(j));
        }
    }
}

/// Refusal, unless the wrap states `implicit_rejection`: a key wrapped for one recipient unwraps
/// to `std::nullopt` under another recipient's key, so that a host tries the next entry.
template <class W>
void wrap_refuses_other_keys(W& w, std::span<const typename W::private_key> keys) {
    if constexpr (!wrap_options<W>.implicit_rejection) {
        const session_key k = session_key::from_unsafe_bytes(detail::pattern(wrap_options<W>.max_key_size, 22));
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const wrapped_key wk = w.wrap(k, w.public_of(keys[i]), default_random());
            for (std::size_t j = 0; j < keys.size(); ++j)
                if (j != i)
                    detail::require(!w.unwrap(wk, keys[j]).has_value(), W::name, "another recipient's key unwraps to nullopt",
                                    "wrapped for key " + std::to_string(i) + ", unwrapped with key " + std::to_string(j));
        }
    }
}

/// Every wrap law above, over `keys` (at least two distinct private keys of the wrap).
template <class W>
void wrap_laws(W& w, std::span<const typename W::private_key> keys) {
    static_assert(wrap_policy<W>, "the law suite runs over a wrap_policy");
    detail::require(keys.size() >= 2, W::name, "the law suite needs two keys or more");
    wrap_round_trip(w, keys[0]);
    wrap_fresh(w, keys[0]);
    wrap_fingerprints(w, keys);
    wrap_refuses_other_keys(w, keys);
}

}  // namespace escrow::testing
