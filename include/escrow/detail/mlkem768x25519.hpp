// SPDX-License-Identifier: MIT
/// @file
/// MLKEM768-X25519 (HPKE KEM 0x647a, draft-ietf-hpke-pq; X-Wing): the hybrid KEM of age's
/// `mlkem768x25519` recipients, ML-KEM-768 and X25519 joined by a SHA3-256 combiner.
#pragma once

#include <cryptopp/sha3.h>
#include <cryptopp/shake.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "escrow/core/bytes.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/detail/constant_time.hpp"
#include "escrow/detail/mlkem768.hpp"

namespace escrow::detail::mlkem768x25519 {

/// The HPKE KEM identifier (draft-ietf-hpke-pq).
inline constexpr std::uint16_t kem_id = 0x647a;
/// Bytes of a private key: a seed, expanded on each use (Nsk).
inline constexpr std::size_t seed_size = 32;
/// Bytes of a public key: ML-KEM-768 ek ‖ X25519 public key (Npk).
inline constexpr std::size_t public_key_size = mlkem768::encaps_key_size + 32;  // 1216
/// Bytes of an encapsulation: ML-KEM-768 ciphertext ‖ X25519 ephemeral public key (Nenc).
inline constexpr std::size_t enc_size = mlkem768::ciphertext_size + 32;  // 1120
/// Bytes of the shared secret (Nsecret).
inline constexpr std::size_t shared_secret_size = 32;
/// Bytes of encapsulation randomness: ML-KEM's m, then the X25519 ephemeral private key.
inline constexpr std::size_t randomness_size = 64;
/// The combiner's label, X-Wing's `\.//^\` (hex 5c2e2f2f5e5c).
inline constexpr std::array<byte, 6> label = {0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c};

using seed_view = std::span<const byte, seed_size>;
using public_key_view = std::span<const byte, public_key_size>;
using public_key_out = std::span<byte, public_key_size>;
using randomness_view = std::span<const byte, randomness_size>;
using enc_view = std::span<const byte, enc_size>;
using enc_out = std::span<byte, enc_size>;
using shared_secret_out = std::span<byte, shared_secret_size>;

namespace hybrid_detail {

/// The key pair a seed expands to: SHAKE256(seed, 96) gives ML-KEM's (d, z) and the X25519
/// private key; the X25519 public key is X25519(sk_X, 9). Wiped when it goes out of scope.
struct expanded_key {
    std::array<byte, mlkem768::encaps_key_size> ek_m{};
    std::array<byte, mlkem768::decaps_key_size> dk_m{};
    std::array<byte, 32> sk_x{};
    std::array<byte, 32> pk_x{};
};

inline void expand(seed_view seed, mlkem768::wiped<expanded_key>& key) {
    mlkem768::wiped<std::array<byte, 96>> full;
    CryptoPP::SHAKE256 xof(96);
    xof.Update(seed.data(), seed.size());
    xof.TruncatedFinal(full.data(), full.size());
    mlkem768::keygen(std::span<const byte, 32>(full.data(), 32), std::span<const byte, 32>(full.data() + 32, 32),
                     key.ek_m, key.dk_m);
    std::copy(full.begin() + 64, full.end(), key.sk_x.begin());
    x25519_base(key.pk_x.data(), key.sk_x);
}

/// SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ label), the combiner of draft-irtf-cfrg-hybrid-kems as
/// draft-ietf-hpke-pq instantiates it for X25519 (the order X-Wing fixed).
inline void combine(const byte* ss_m, const byte* ss_x, const byte* ct_x, const byte* pk_x, byte* out) {
    CryptoPP::SHA3_256 h;
    h.Update(ss_m, 32);
    h.Update(ss_x, 32);
    h.Update(ct_x, 32);
    h.Update(pk_x, 32);
    h.Update(label.data(), label.size());
    h.Final(out);
}

/// Zeroes `ss` unless `ok`, without a branch on it.
inline void keep_if(bool ok, shared_secret_out ss) noexcept {
    const std::uint32_t mask = ct_is_zero(static_cast<std::uint32_t>(!ok));
    for (auto& b : ss) b = ct_select_byte(mask, b, 0);
}

}  // namespace hybrid_detail

/// The public key of a private seed (PrivateKeyToPublicKey of filippo.io/hpke-pq).
inline void public_key_from_seed(seed_view seed, public_key_out pk) {
    mlkem768::wiped<hybrid_detail::expanded_key> key;
    hybrid_detail::expand(seed, key);
    std::copy(key.ek_m.begin(), key.ek_m.end(), pk.begin());
    std::copy(key.pk_x.begin(), key.pk_x.end(), pk.begin() + mlkem768::encaps_key_size);
}

/// Encapsulation with caller-given randomness (EncapsDerand): the first 32 bytes are ML-KEM's m,
/// the last 32 the X25519 ephemeral private key. The caller draws them from a strong source.
/// @return false, with `ss` zeroed, when the public key is refused: its ML-KEM part fails the
/// FIPS 203 §7.2 modulus check, or its X25519 part is a low-order point (an all-zero X25519
/// output). The drafts require only the first; age's implementation (filippo.io/hpke over Go's
/// crypto/ecdh) also refuses the second, and so does this one.
[[nodiscard]] inline bool encapsulate(public_key_view pk, randomness_view randomness, enc_out enc, shared_secret_out ss) {
    const auto ek_m = pk.first<mlkem768::encaps_key_size>();
    const auto pk_x = pk.last<32>();
    if (!mlkem768::encaps_key_ok(ek_m)) {
        std::fill(ss.begin(), ss.end(), byte{0});
        return false;
    }
    mlkem768::wiped<std::array<byte, 32>> ss_m, ss_x;
    mlkem768::encaps(ek_m, randomness.first<32>(), enc.first<mlkem768::ciphertext_size>(), ss_m);
    byte* ct_x = enc.data() + mlkem768::ciphertext_size;
    const auto sk_e = randomness.last<32>();
    x25519_base(ct_x, sk_e);
    const bool ok = x25519(ss_x.data(), sk_e, pk_x);
    hybrid_detail::combine(ss_m.data(), ss_x.data(), ct_x, pk_x.data(), ss.data());
    hybrid_detail::keep_if(ok, ss);
    return ok;
}

/// Decapsulation with the private seed. ML-KEM rejects a bad ciphertext implicitly (a different,
/// unpredictable secret, no error), so the only failure is an X25519 part that is a low-order
/// point. @return false, with `ss` zeroed, in that case; the outcome is computed without a branch.
[[nodiscard]] inline bool decapsulate(seed_view seed, enc_view enc, shared_secret_out ss) {
    mlkem768::wiped<hybrid_detail::expanded_key> key;
    hybrid_detail::expand(seed, key);
    mlkem768::wiped<std::array<byte, 32>> ss_m, ss_x;
    mlkem768::decaps(key.dk_m, enc.first<mlkem768::ciphertext_size>(), ss_m);
    const auto ct_x = enc.last<32>();
    const bool ok = x25519(ss_x.data(), key.sk_x, ct_x);
    hybrid_detail::combine(ss_m.data(), ss_x.data(), ct_x.data(), key.pk_x.data(), ss.data());
    hybrid_detail::keep_if(ok, ss);
    return ok;
}

}  // namespace escrow::detail::mlkem768x25519
