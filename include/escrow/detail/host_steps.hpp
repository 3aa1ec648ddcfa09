// SPDX-License-Identifier: MIT
/// @file
/// Steps both owner-side hosts take (`escrow_encryptor` with one wrap or a `wrap_set`): starting a
/// file (its key info completed, session key and nonce drawn, in the order the golden files fix)
/// and making an authority's escrow record. Not public API.
#pragma once

#include <chrono>
#include <cstdint>
#include <utility>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/serial_number.hpp"
#include "escrow/record.hpp"
#include "escrow/store/concept.hpp"

namespace escrow::detail {

/// Completes `info` (a serial drawn when it has none, the creation time now when 0), then draws the
/// session key and the nonce: the random draws in this order, which the golden files depend on.
/// Returns the key and a header with the cipher id, the nonce and `info` set.
template <class Cipher>
[[nodiscard]] std::pair<session_key, file_header> start_file(key_info& info, system_random& rng) {
    if (info.serial.empty()) info.serial = serial_number::generate(rng).str();
    if (info.created == 0)
        info.created = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    session_key key = session_key::generate(Cipher::key_size, rng);
    file_header h;
    h.cipher_id = Cipher::id;
    h.nonce.resize(Cipher::nonce_size);
    rng.fill(h.nonce);
    h.info = info;
    return {std::move(key), std::move(h)};
}

/// An escrow record's fields but its MAC: `info`, the policy ids, the authority's fingerprint, its
/// blob in the store's form. `make_record` and a k-of-n file's `make_share_record` seal it.
template <class Cipher, class Wrap, class Store>
[[nodiscard]] escrow_record unsealed_record(const key_info& info, const digest256& authority_fingerprint, bytes blob) {
    escrow_record rec;
    rec.info = info;
    rec.cipher_id = Cipher::id;
    rec.wrap_id = Wrap::id;
    rec.store_id = Store::id;
    rec.authority_fingerprint = authority_fingerprint;
    rec.wrapped_key = std::move(blob);
    return rec;
}

/// The escrow record of one authority: `unsealed_record`, sealed under `key`.
template <class Cipher, class Wrap, class Store>
[[nodiscard]] escrow_record make_record(const key_info& info, const digest256& authority_fingerprint, bytes blob,
                                        const session_key& key) {
    escrow_record rec = unsealed_record<Cipher, Wrap, Store>(info, authority_fingerprint, std::move(blob));
    rec.seal(key);
    return rec;
}

}  // namespace escrow::detail
