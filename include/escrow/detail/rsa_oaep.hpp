// SPDX-License-Identifier: MIT
/// @file
/// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017 §7.1), with an optional label. Not public API:
/// shared by `wrap::rsa_oaep_sha256` and age's `wrap::ssh_rsa`.
#pragma once

#include <cryptopp/oaep.h>
#include <cryptopp/rsa.h>
#include <cryptopp/sha.h>

#include <optional>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/secret.hpp"

namespace escrow::detail {

using oaep_sha256 = CryptoPP::RSAES<CryptoPP::OAEP<CryptoPP::SHA256>>;

/// Encrypts `message` to `pub`; the result is exactly the modulus size.
/// @throws escrow::error `invalid_argument` when the message is too long for the key.
inline bytes rsa_oaep_sha256_encrypt(const rsa_public_key& pub, byte_view message, byte_view label, system_random& rng) {
    oaep_sha256::Encryptor enc(pub.cryptopp());
    if (message.size() > enc.FixedMaxPlaintextLength())
        throw error(errc::invalid_argument, "message too long for RSA-OAEP with this key");
    bytes out(enc.FixedCiphertextLength());
    CryptoPP::AlgorithmParameters params =
        CryptoPP::MakeParameters(CryptoPP::Name::EncodingParameters(), CryptoPP::ConstByteArrayParameter(label.data(), label.size()), false);
    enc.Encrypt(rng.engine(), message.data(), message.size(), out.data(), params);
    return out;
}

/// Decrypts; `std::nullopt` on any failure (wrong length, integer ≥ modulus, bad padding, wrong
/// label), with no distinction between them.
template <class Tag = session_key_tag>
inline std::optional<secret<Tag>> rsa_oaep_sha256_decrypt(const rsa_private_key& priv, byte_view ciphertext, byte_view label) {
    oaep_sha256::Decryptor dec(priv.cryptopp());
    if (ciphertext.size() != dec.FixedCiphertextLength()) return std::nullopt;
    secret<Tag> buf(dec.FixedMaxPlaintextLength());
    CryptoPP::AlgorithmParameters params =
        CryptoPP::MakeParameters(CryptoPP::Name::EncodingParameters(), CryptoPP::ConstByteArrayParameter(label.data(), label.size()), false);
    try {
        auto r = dec.Decrypt(default_random().engine(), ciphertext.data(), ciphertext.size(),
                             buf.unsafe_mutable_bytes().data(), params);
        if (!r.isValidCoding) return std::nullopt;
        return secret<Tag>::from_unsafe_bytes(buf.unsafe_bytes().first(r.messageLength));
    } catch (const CryptoPP::Exception&) {
        return std::nullopt;
    }
}

}  // namespace escrow::detail
