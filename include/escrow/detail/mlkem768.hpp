// SPDX-License-Identifier: MIT
/// @file
/// ML-KEM-768 (FIPS 203, August 2024): key generation from seeds, encapsulation, decapsulation
/// with implicit rejection, and the §7.2 / §7.3 input checks. Constant time on every secret.
#pragma once

#include <cryptopp/sha3.h>
#include <cryptopp/shake.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "escrow/core/bytes.hpp"
#include "escrow/detail/constant_time.hpp"
#include "escrow/detail/mlkem768_poly.hpp"

namespace escrow::detail::mlkem768 {

/// Bytes of an encapsulation key (ek): ByteEncode12(t̂) ‖ ρ.
inline constexpr std::size_t encaps_key_size = 384 * k + 32;  // 1184
/// Bytes of a decapsulation key (dk): ByteEncode12(ŝ) ‖ ek ‖ H(ek) ‖ z.
inline constexpr std::size_t decaps_key_size = 768 * k + 96;  // 2400
/// Bytes of a ciphertext: ByteEncode_du(u) ‖ ByteEncode_dv(v).
inline constexpr std::size_t ciphertext_size = 32 * (du * k + dv);  // 1088
/// Bytes of a shared secret, and of each seed (d, z, m).
inline constexpr std::size_t shared_secret_size = 32;
inline constexpr std::size_t seed_size = 32;

using seed_view = std::span<const byte, seed_size>;
using encaps_key_view = std::span<const byte, encaps_key_size>;
using encaps_key_out = std::span<byte, encaps_key_size>;
using decaps_key_view = std::span<const byte, decaps_key_size>;
using decaps_key_out = std::span<byte, decaps_key_size>;
using ciphertext_view = std::span<const byte, ciphertext_size>;
using ciphertext_out = std::span<byte, ciphertext_size>;
using shared_secret_out = std::span<byte, shared_secret_size>;

namespace kem_detail {

inline constexpr std::size_t poly12_size = 384;        // ByteEncode12 of one polynomial
inline constexpr std::size_t pke_key_size = 384 * k;   // ByteEncode12 of a vector
inline constexpr std::size_t u_size = 32 * du * k;     // c1

/// G = SHA3-512 over the concatenation of `a` and `b` (FIPS 203 §4.1).
inline void g(byte_view a, byte_view b, byte* out64) {
    CryptoPP::SHA3_512 h;
    h.Update(a.data(), a.size());
    h.Update(b.data(), b.size());
    h.Final(out64);
}
/// H = SHA3-256.
inline void h(byte_view a, byte* out32) { CryptoPP::SHA3_256().CalculateDigest(out32, a.data(), a.size()); }
/// PRF_2(s, b) = SHAKE256(s ‖ b), 128 bytes, then SamplePolyCBD_2.
inline void prf_cbd2(const byte* s, byte counter, poly& f) {
    wiped<std::array<byte, 128>> buf;
    CryptoPP::SHAKE256 xof(128);
    xof.Update(s, 32);
    xof.Update(&counter, 1);
    xof.TruncatedFinal(buf.data(), buf.size());
    sample_cbd2(buf.data(), f);
}

/// Â from ρ (Algorithm 13 line 3-7 / Algorithm 14 line 4-8): Â[i][j] = SampleNTT(ρ ‖ j ‖ i).
/// `transposed` gives Âᵀ, which encryption multiplies by.
struct matrix {
    std::array<polyvec, k> rows{};
    matrix(const byte* rho, bool transposed) {
        std::array<byte, 32> public_rho{};
        std::copy(rho, rho + 32, public_rho.begin());
        ESCROW_CT_PUBLIC(public_rho.data(), public_rho.size());
        for (std::size_t i = 0; i < k; ++i)
            for (std::size_t j = 0; j < k; ++j)
                sample_ntt(public_rho.data(), static_cast<byte>(j), static_cast<byte>(i),
                           transposed ? rows[j][i] : rows[i][j]);
    }
};

/// r̂ = M ∘ v̂ (+ the previous content of r̂), row by row.
inline void multiply_matrix(polyvec& r, const std::array<polyvec, k>& m, const polyvec& v) noexcept {
    for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < k; ++j) multiply_ntts_add(r[i], m[i][j], v[j]);
}

/// ByteDecode12 of a vector, each coefficient reduced mod q as FIPS 203 decodes it (ByteDecode_12
/// works mod q). One conditional subtraction suffices: a 12-bit value is below 2q.
inline void decode_vector12(const byte* in, polyvec& v) noexcept {
    for (std::size_t i = 0; i < k; ++i) {
        byte_decode<12>(in + i * poly12_size, v[i]);
        for (auto& c : v[i]) c = reduce_once(c);
    }
}
inline void encode_vector12(const polyvec& v, byte* out) noexcept {
    for (std::size_t i = 0; i < k; ++i) byte_encode<12>(v[i], out + i * poly12_size);
}

/// K-PKE.Encrypt (Algorithm 14) under ek_PKE with message m and randomness r.
inline void pke_encrypt(const byte* ek, const byte* m, const byte* r, byte* c) {
    wiped<polyvec> t_hat, y_hat, u;
    wiped<poly> e2, v, mu;
    decode_vector12(ek, t_hat);
    const matrix a_t(ek + pke_key_size, true);
    byte counter = 0;
    for (std::size_t i = 0; i < k; ++i) prf_cbd2(r, counter++, y_hat[i]);
    for (std::size_t i = 0; i < k; ++i) prf_cbd2(r, counter++, u[i]);  // e1
    prf_cbd2(r, counter, e2);
    for (auto& p : y_hat) ntt(p);
    // u = NTT⁻¹(Âᵀ ∘ ŷ) + e1
    {
        wiped<polyvec> product;
        multiply_matrix(product, a_t.rows, y_hat);
        for (std::size_t i = 0; i < k; ++i) {
            inverse_ntt(product[i]);
            poly_add(u[i], product[i]);
        }
    }
    // v = NTT⁻¹(t̂ᵀ ∘ ŷ) + e2 + μ, μ = Decompress_1(ByteDecode_1(m))
    for (std::size_t i = 0; i < k; ++i) multiply_ntts_add(v, t_hat[i], y_hat[i]);
    inverse_ntt(v);
    poly_add(v, e2);
    byte_decode<1>(m, mu);
    for (auto& x : mu) x = decompress<1>(x);
    poly_add(v, mu);
    for (std::size_t i = 0; i < k; ++i) {
        for (auto& x : u[i]) x = compress<du>(x);
        byte_encode<du>(u[i], c + i * 32 * du);
    }
    for (auto& x : v) x = compress<dv>(x);
    byte_encode<dv>(v, c + u_size);
}

/// K-PKE.Decrypt (Algorithm 15) under dk_PKE: the 32-byte message m.
inline void pke_decrypt(const byte* dk, const byte* c, byte* m) noexcept {
    wiped<polyvec> s_hat, u;
    wiped<poly> v, w;
    for (std::size_t i = 0; i < k; ++i) {
        byte_decode<du>(c + i * 32 * du, u[i]);
        for (auto& x : u[i]) x = decompress<du>(x);
        ntt(u[i]);
    }
    byte_decode<dv>(c + u_size, v);
    for (auto& x : v) x = decompress<dv>(x);
    decode_vector12(dk, s_hat);
    for (std::size_t i = 0; i < k; ++i) multiply_ntts_add(w, s_hat[i], u[i]);
    inverse_ntt(w);
    for (std::size_t i = 0; i < n; ++i) w[i] = compress<1>(sub(v[i], w[i]));
    byte_encode<1>(w, m);
}

/// The implicit-rejection choice of Algorithm 18, lines 9-11, without a branch: K' when the
/// re-encryption c' equals c, K̄ otherwise. A test-only instantiation of decaps_with replaces it
/// with a branching one to show that the constant-time check can fail.
struct branch_free_select {
    void operator()(byte_view c, byte_view c_prime, byte* k_prime, const byte* k_bar) const noexcept {
        std::uint32_t diff = 0;
        for (std::size_t i = 0; i < c.size(); ++i) diff |= static_cast<std::uint32_t>(c[i] ^ c_prime[i]);
        const std::uint32_t equal = ct_is_zero(diff);
        for (std::size_t i = 0; i < shared_secret_size; ++i) k_prime[i] = ct_select_byte(equal, k_prime[i], k_bar[i]);
    }
};

}  // namespace kem_detail

/// ML-KEM.KeyGen_internal (Algorithm 16, with K-PKE.KeyGen, Algorithm 13): the key pair of the
/// seeds d and z. Deterministic; the caller draws d and z from a strong random source.
inline void keygen(seed_view d, seed_view z, encaps_key_out ek, decaps_key_out dk) {
    using namespace kem_detail;
    wiped<std::array<byte, 64>> rho_sigma;
    const byte rank = static_cast<byte>(k);
    g(d, byte_view(&rank, 1), rho_sigma.data());
    const byte* rho = rho_sigma.data();
    const byte* sigma = rho_sigma.data() + 32;
    const matrix a(rho, false);
    wiped<polyvec> s_hat, t_hat;
    byte counter = 0;
    for (std::size_t i = 0; i < k; ++i) prf_cbd2(sigma, counter++, s_hat[i]);
    for (std::size_t i = 0; i < k; ++i) prf_cbd2(sigma, counter++, t_hat[i]);  // e, then t̂ = Âŝ + ê
    for (std::size_t i = 0; i < k; ++i) {
        ntt(s_hat[i]);
        ntt(t_hat[i]);
    }
    multiply_matrix(t_hat, a.rows, s_hat);
    encode_vector12(t_hat, ek.data());
    std::copy(rho, rho + 32, ek.data() + pke_key_size);
    encode_vector12(s_hat, dk.data());
    std::copy(ek.begin(), ek.end(), dk.data() + pke_key_size);
    h(ek, dk.data() + pke_key_size + encaps_key_size);
    std::copy(z.begin(), z.end(), dk.data() + pke_key_size + encaps_key_size + 32);
}

/// The encapsulation-key check of FIPS 203 §7.2: every 12-bit coefficient of ek is below q (ek
/// re-encodes to itself). ek is public; this is not constant time and need not be.
[[nodiscard]] inline bool encaps_key_ok(encaps_key_view ek) noexcept {
    poly f;
    for (std::size_t i = 0; i < k; ++i) {
        byte_decode<12>(ek.data() + i * kem_detail::poly12_size, f);
        for (auto c : f)
            if (c >= q) return false;
    }
    return true;
}

/// The decapsulation-key check of FIPS 203 §7.3: the H(ek) that dk stores is the hash of the ek it
/// stores. Both are public parts of dk; the secret parts are not read.
[[nodiscard]] inline bool decaps_key_ok(decaps_key_view dk) noexcept {
    using kem_detail::pke_key_size;
    std::array<byte, 32> hash{};
    kem_detail::h(dk.subspan<pke_key_size, encaps_key_size>(), hash.data());
    return std::equal(hash.begin(), hash.end(), dk.data() + pke_key_size + encaps_key_size);
}

/// ML-KEM.Encaps_internal (Algorithm 17): the ciphertext and shared secret for message m.
/// @pre encaps_key_ok(ek) (FIPS 203 §7.2 requires the check before encapsulating).
inline void encaps(encaps_key_view ek, seed_view m, ciphertext_out ct, shared_secret_out ss) {
    using namespace kem_detail;
    std::array<byte, 32> ek_hash{};
    h(ek, ek_hash.data());
    wiped<std::array<byte, 64>> k_r;
    g(m, ek_hash, k_r.data());
    pke_encrypt(ek.data(), m.data(), k_r.data() + 32, ct.data());
    std::copy(k_r.begin(), k_r.begin() + 32, ss.begin());
}

/// ML-KEM.Decaps_internal (Algorithm 18) with the selection of K' or K̄ done by `select`.
/// Use decaps; this form exists so that a test can instantiate a leaky selection.
template <class Select>
void decaps_with(decaps_key_view dk, ciphertext_view ct, shared_secret_out ss, Select select) {
    using namespace kem_detail;
    const byte* dk_pke = dk.data();
    const byte* ek_pke = dk.data() + pke_key_size;
    const byte* ek_hash = ek_pke + encaps_key_size;
    const byte* z = ek_hash + 32;
    wiped<std::array<byte, 32>> m_prime;
    pke_decrypt(dk_pke, ct.data(), m_prime.data());
    wiped<std::array<byte, 64>> k_r;  // K' ‖ r'
    g(m_prime, byte_view(ek_hash, 32), k_r.data());
    wiped<std::array<byte, 32>> k_bar;
    {
        CryptoPP::SHAKE256 j(32);  // J(z ‖ c)
        j.Update(z, 32);
        j.Update(ct.data(), ct.size());
        j.TruncatedFinal(k_bar.data(), k_bar.size());
    }
    wiped<std::array<byte, ciphertext_size>> c_prime;
    pke_encrypt(ek_pke, m_prime.data(), k_r.data() + 32, c_prime.data());
    select(byte_view(ct), byte_view(c_prime), k_r.data(), k_bar.data());
    std::copy(k_r.begin(), k_r.begin() + 32, ss.begin());
}

/// ML-KEM.Decaps_internal (Algorithm 18): the shared secret of ct, or, when ct does not
/// re-encrypt to itself, the implicit-rejection secret J(z ‖ ct). Never fails, never branches on
/// the outcome. @pre decaps_key_ok(dk) for a dk that did not come from keygen (FIPS 203 §7.3).
inline void decaps(decaps_key_view dk, ciphertext_view ct, shared_secret_out ss) {
    decaps_with(dk, ct, ss, kem_detail::branch_free_select{});
}

}  // namespace escrow::detail::mlkem768
