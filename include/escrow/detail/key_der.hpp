// SPDX-License-Identifier: MIT
/// @file
/// Reading and writing Crypto++ keys as DER, shared by the RSA and the officers' Ed25519 keys.
/// Not public API.
#pragma once

#include <cryptopp/cryptlib.h>
#include <cryptopp/queue.h>

#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"

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

/// Parses DER as `Key` in either of its two encodings (`Key::Load`: SubjectPublicKeyInfo or
/// PKCS#8; `pkcs1`: the bare PKCS#1 structure), with nothing after it.
/// @throws escrow::error `bad_key` with `message` when neither fits.
template <class Key, class Pkcs1>
[[nodiscard]] Key decode_der_either(byte_view der, Pkcs1 pkcs1, std::string_view message) {
    Key k;
    if (decode_der_exactly(k, der, [](auto& key, auto& q) { key.Load(q); }) || decode_der_exactly(k, der, pkcs1))
        return k;
    throw error(errc::bad_key, std::string(message));
}

/// Checks a PEM label: one of the two names of a key's encodings (e.g. "PRIVATE KEY" for PKCS#8,
/// "RSA PRIVATE KEY" for PKCS#1). @throws escrow::error `bad_key` naming `what` otherwise.
inline void expect_pem_label(std::string_view label, std::string_view generic, std::string_view pkcs1,
                             std::string_view what) {
    if (label != generic && label != pkcs1)
        throw error(errc::bad_key, "PEM label '" + std::string(label) + "' is not " + std::string(what));
}

/// Text or binary? A key file is PEM when it starts, after whitespace, with a BEGIN line.
[[nodiscard]] inline bool is_pem(byte_view content) noexcept {
    return pem::looks_like_pem(std::string_view(reinterpret_cast<const char*>(content.data()), content.size()));
}

}  // namespace escrow::detail
