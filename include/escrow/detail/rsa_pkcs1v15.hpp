// SPDX-License-Identifier: MIT
/// @file
/// RSAES-PKCS1-v1_5 (RFC 8017 §7.2) with implicit rejection (draft-irtf-cfrg-rsa-guidance): a
/// block whose padding is bad decrypts to a pseudo-random message derived from the ciphertext and
/// the private key, chosen without a branch on secret data. Not public API.
#pragma once

#include <cryptopp/hmac.h>
#include <cryptopp/integer.h>
#include <cryptopp/pkcspad.h>
#include <cryptopp/rsa.h>
#include <cryptopp/secblock.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/constant_time.hpp"

namespace escrow::detail {

/// Smallest block a PKCS#1 v1.5 encryption can have: 0x00 0x02, 8 padding bytes, 0x00.
inline constexpr std::size_t pkcs1v15_overhead = 11;

/// A PKCS#1 v1.5 decryption with implicit rejection, and whether the padding was valid.
///
/// `valid` exists for the known-answer tests only (they check that invalid vectors are really
/// rejected); the wrap policy never looks at it, and never branches on it.
struct pkcs1v15_result {
    secret<session_key_tag> message;
    bool valid = false;
};

/// The public checks, which need no secret: the block is the modulus size and below the modulus.
/// @throws escrow::error `malformed_blob` otherwise.
inline void pkcs1v15_check_block(const rsa_private_key& priv, byte_view block) {
    const CryptoPP::Integer& n = priv.cryptopp().GetModulus();
    if (block.size() != n.ByteCount())
        throw error(errc::malformed_blob, "RSA block of " + std::to_string(block.size()) + " bytes for a " +
                                              std::to_string(n.ByteCount()) + "-byte modulus");
    if (CryptoPP::Integer(block.data(), block.size()) >= n)
        throw error(errc::malformed_blob, "RSA block is not less than the modulus");
}

/// The draft's IPRF: HMAC-SHA-256(kdk, I2OSP(i, 2) ‖ label ‖ I2OSP(bits, 2)) for i = 0, 1, …,
/// concatenated and cut to `out.size()` bytes.
inline void pkcs1v15_iprf(byte_view kdk, std::string_view label, mutable_byte_view out) {
    CryptoPP::HMAC<CryptoPP::SHA256> mac(kdk.data(), kdk.size());
    const std::size_t bits = out.size() * 8;
    CryptoPP::FixedSizeSecBlock<byte, 32> block;
    for (std::size_t i = 0, done = 0; done < out.size(); ++i) {
        const byte counter[2] = {static_cast<byte>(i >> 8), static_cast<byte>(i)};
        const byte length[2] = {static_cast<byte>(bits >> 8), static_cast<byte>(bits)};
        mac.Update(counter, 2);
        mac.Update(reinterpret_cast<const byte*>(label.data()), label.size());
        mac.Update(length, 2);
        mac.Final(block.data());
        std::size_t n = std::min<std::size_t>(32, out.size() - done);
        std::memcpy(out.data() + done, block.data(), n);
        done += n;
    }
}

/// The draft's synthetic length for a `k`-byte block, from `candidates` (IPRF(KDK, "length", 256
/// bytes)): 128 big-endian 16-bit candidates, each masked to the bit width of the largest message
/// size (k - 11), the last one of at most that size kept (a message may be k - 11 bytes long);
/// chosen without a branch on their values.
inline std::uint32_t pkcs1v15_synthetic_length(byte_view candidates, std::size_t k) {
    const std::size_t max_message = k - pkcs1v15_overhead;
    std::uint32_t mask = 1;
    while (mask < max_message) mask = mask << 1 | 1;
    std::uint32_t length = 0;
    for (std::size_t i = 0; i + 1 < candidates.size(); i += 2) {
        std::uint32_t c = (std::uint32_t(candidates[i]) << 8 | candidates[i + 1]) & mask;
        length = ct_select(ct_lt(c, static_cast<std::uint32_t>(max_message) + 1), c, length);
    }
    return length;
}

/// The message a rejected block decrypts to: `k` pseudo-random bytes, of which the last `length`
/// are the message (at most `k` - 11 bytes), both derived from the key derivation key `kdk`.
struct pkcs1v15_synthetic {
    CryptoPP::SecByteBlock message;  ///< R = IPRF(KDK, "message", k bytes)
    std::uint32_t length = 0;        ///< the synthetic length (`pkcs1v15_synthetic_length`)
};

/// The draft's synthetic message for a `k`-byte block, from the key derivation key `kdk`.
inline pkcs1v15_synthetic pkcs1v15_synthesize(byte_view kdk, std::size_t k) {
    CryptoPP::SecByteBlock candidates(256);
    pkcs1v15_synthetic out{CryptoPP::SecByteBlock(k), 0};
    pkcs1v15_iprf(kdk, "length", {candidates.data(), candidates.size()});
    pkcs1v15_iprf(kdk, "message", {out.message.data(), out.message.size()});
    out.length = pkcs1v15_synthetic_length({candidates.data(), candidates.size()}, k);
    return out;
}

/// What `pkcs1v15_select` chose: the message length, and an all-ones mask when the padding was
/// valid (0 otherwise).
struct pkcs1v15_selection {
    std::size_t length = 0;
    std::uint32_t good = 0;
};

/// The secret-dependent half of implicit rejection, on its own so that the constant-time check
/// (tests/hardening, valgrind with the inputs marked undefined) can run it alone: checks that `em`
/// (k bytes) is 0x00 ‖ 0x02 ‖ PS (at least 8 non-zero bytes) ‖ 0x00 ‖ M, picks the synthetic
/// length from `candidates` (IPRF "length", 256 bytes) as the draft says, and overwrites `em`
/// with the real or the synthetic message (`synthetic`, k bytes), byte by byte with masks. No
/// branch and no memory address depends on the bytes of `em`, `candidates` or `synthetic`; the
/// returned length is the message's (the caller learns it by design when no size is expected).
inline pkcs1v15_selection pkcs1v15_select(mutable_byte_view em, byte_view candidates, byte_view synthetic,
                                          std::optional<std::size_t> expected_size) {
    const std::size_t k = em.size();
    const std::uint32_t synthetic_length = pkcs1v15_synthetic_length(candidates, k);

    // EM = 0x00 ‖ 0x02 ‖ PS (at least 8 non-zero bytes) ‖ 0x00 ‖ M, checked over every byte.
    std::uint32_t good = ct_is_zero(em[0]) & ct_eq(em[1], 2);
    std::uint32_t found = 0, separator = 0;
    for (std::size_t i = 2; i < k; ++i) {
        std::uint32_t zero = ct_is_zero(em[i]);
        separator = ct_select(~found & zero, static_cast<std::uint32_t>(i), separator);
        found |= zero;
    }
    good &= found & ~ct_lt(separator, 2 + 8);
    const std::uint32_t real_length = static_cast<std::uint32_t>(k) - 1 - separator;
    if (expected_size) good &= ct_eq(real_length, static_cast<std::uint32_t>(*expected_size));

    // Real or synthetic, byte by byte; both messages end at the block's last byte.
    for (std::size_t i = 0; i < k; ++i) em[i] = ct_select_byte(good, em[i], synthetic[i]);
    pkcs1v15_selection out;
    out.length = expected_size ? *expected_size : ct_select(good, real_length, synthetic_length);
    out.good = good;
    return out;
}

/// Implicit rejection applied to `em`, the RSA operation's result on `block` (both k bytes,
/// big-endian), for a private key whose exponent hashes to `d_digest` (SHA-256(I2OSP(d, k))):
/// the real message when the padding is valid (and of `expected_size` bytes, if given), else the
/// synthetic one, chosen with masks (`pkcs1v15_select`). Shared by the Crypto++ operation below and
/// the service's OpenSSL one (escrow/service/openssl_rsa.hpp), so that both give the same bytes.
/// `em` is overwritten.
inline pkcs1v15_result pkcs1v15_unpad(mutable_byte_view em, byte_view d_digest, byte_view block,
                                      std::optional<std::size_t> expected_size) {
    const std::size_t k = em.size();
    CryptoPP::FixedSizeSecBlock<byte, 32> kdk;
    CryptoPP::HMAC<CryptoPP::SHA256>(d_digest.data(), d_digest.size()).CalculateDigest(kdk.data(), block.data(), block.size());
    CryptoPP::SecByteBlock candidates(256), synthetic(k);
    pkcs1v15_iprf({kdk.data(), kdk.size()}, "length", {candidates.data(), candidates.size()});
    pkcs1v15_iprf({kdk.data(), kdk.size()}, "message", {synthetic.data(), synthetic.size()});
    const pkcs1v15_selection chosen = pkcs1v15_select(em, {candidates.data(), candidates.size()},
                                                      {synthetic.data(), synthetic.size()}, expected_size);
    pkcs1v15_result r;
    r.message = secret<session_key_tag>::from_unsafe_bytes(byte_view(em.data(), em.size()).last(chosen.length));
    r.valid = chosen.good != 0;
    return r;
}

/// Decrypts `block` (big-endian, the modulus size) with implicit rejection.
///
/// With `expected_size`, a message of any other length is treated as bad padding, and the result
/// always has `*expected_size` bytes. Without it, the result has the real message's length when the
/// padding is valid, else a pseudo-random length chosen as the draft says.
///
/// Steps (draft-irtf-cfrg-rsa-guidance, implicit rejection): KDK = HMAC-SHA-256(SHA-256(I2OSP(d, k)),
/// C); 128 candidate lengths from IPRF(KDK, "length", 256 bytes), each masked to the bit width of
/// the largest message size (k − 11), the last one of at most that size chosen; R = IPRF(KDK, "message", k bytes).
/// The RSA operation uses Crypto++'s blinding; padding is checked and the output selected with
/// masks over every byte, whatever the data (`pkcs1v15_unpad`).
/// @throws escrow::error `malformed_blob` when the public checks fail (pkcs1v15_check_block).
inline pkcs1v15_result pkcs1v15_decrypt(const rsa_private_key& priv, byte_view block,
                                        std::optional<std::size_t> expected_size = std::nullopt) {
    pkcs1v15_check_block(priv, block);
    const auto& key = priv.cryptopp();
    const std::size_t k = block.size();
    const std::size_t max_message = k - pkcs1v15_overhead;
    if (expected_size && *expected_size > max_message)
        throw error(errc::invalid_argument, "a " + std::to_string(*expected_size) + "-byte key does not fit this RSA key");

    // The RSA operation (CalculateInverse blinds with a fresh random factor) and the encoded block.
    CryptoPP::SecByteBlock em(k);
    {
        CryptoPP::Integer m = key.CalculateInverse(default_random().engine(), CryptoPP::Integer(block.data(), block.size()));
        m.Encode(em.data(), em.size());
    }
    CryptoPP::FixedSizeSecBlock<byte, 32> dh;
    {
        CryptoPP::SecByteBlock d(k);
        key.GetPrivateExponent().Encode(d.data(), d.size());
        CryptoPP::SHA256().CalculateDigest(dh.data(), d.data(), d.size());
    }
    return pkcs1v15_unpad({em.data(), em.size()}, {dh.data(), dh.size()}, block, expected_size);
}

/// Encrypts `message` to `pub` with PKCS#1 v1.5 type 2 padding; the block is the modulus size.
/// @throws escrow::error `invalid_argument` when the message is longer than the modulus size − 11.
inline bytes pkcs1v15_encrypt(const rsa_public_key& pub, byte_view message, system_random& rng) {
    CryptoPP::RSAES<CryptoPP::PKCS1v15>::Encryptor enc(pub.cryptopp());
    if (message.size() > enc.FixedMaxPlaintextLength())
        throw error(errc::invalid_argument, "message too long for RSA PKCS#1 v1.5 with this key");
    bytes out(enc.FixedCiphertextLength());
    enc.Encrypt(rng.engine(), message.data(), message.size(), out.data());
    return out;
}

}  // namespace escrow::detail
