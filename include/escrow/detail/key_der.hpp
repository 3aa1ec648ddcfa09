// SPDX-License-Identifier: MIT
/// @file
/// Reading and writing Crypto++ keys as DER, shared by the RSA and the officers' Ed25519 keys.
/// Not public API.
#pragma once

#include <cryptopp/cryptlib.h>
#include <cryptopp/queue.h>

#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"

namespace escrow::detail {

/// Everything left in `q`, as bytes (public keys only: the bytes are not wiped).
[[nodiscard]] inline bytes drain(CryptoPP::ByteQueue& q) {
    bytes out(static_cast<std::size_t>(q.MaxRetrievable()));
    q.Get(out.data(), out.size());
    return out;
}

/// Reads `der` into the Crypto++ key `key` through `decode(key, queue)`. True when Crypto++
/// takes it and nothing is left over; a `CryptoPP::Exception` is a false, never an escape.
template <class Key, class Decode>
[[nodiscard]] bool decode_der_exactly(Key& key, byte_view der, Decode decode) {
    try {
        CryptoPP::ByteQueue q;
        q.Put(der.data(), der.size());
        q.MessageEnd();
        decode(key, q);
        return q.MaxRetrievable() == 0;
    } catch (const CryptoPP::Exception&) {
        return false;
    }
}

/// Text or binary? A key file is PEM when it starts, after whitespace, with a BEGIN line.
[[nodiscard]] inline bool is_pem(byte_view content) noexcept {
    return pem::looks_like_pem(std::string_view(reinterpret_cast<const char*>(content.data()), content.size()));
}

}  // namespace escrow::detail
