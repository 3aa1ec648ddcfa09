// SPDX-License-Identifier: MIT
// Constant time, checked (the ctgrind technique): run under valgrind memcheck, each case marks its
// secret inputs undefined (VALGRIND_MAKE_MEM_UNDEFINED); memcheck then reports every conditional
// jump and every memory address that depends on them. ctest runs the program under valgrind with
// --error-exitcode, so one secret-dependent branch or table index fails the test. The case tagged
// [.leaky] holds such a branch on purpose: ctest runs it alone and expects valgrind to fail it,
// which shows that the check can fail.
//
// Results that the caller learns by design (a tag matched or not, the padding was valid or not)
// are declassified with VALGRIND_MAKE_MEM_DEFINED before anything branches on them. ML-KEM's ρ is
// public by design (the encapsulation key carries it) and its matrix is sampled by rejection:
// the library marks it public through ESCROW_CT_PUBLIC, defined here before its headers.
#include <catch2/catch.hpp>

#include <valgrind/memcheck.h>

#define ESCROW_CT_PUBLIC(ptr, len) ((void)VALGRIND_MAKE_MEM_DEFINED(ptr, len))

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "escrow/core/crypto.hpp"
#include "escrow/core/shamir.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/mlkem768.hpp"
#include "escrow/detail/mlkem768x25519.hpp"
#include "escrow/detail/poly1305_limb64.hpp"
#include "escrow/detail/rsa_pkcs1v15.hpp"
#include "escrow/record.hpp"

using escrow::byte;

namespace {
template <class T>
void secret(T* p, std::size_t n) {
    (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
}
template <class T>
void declassify(T& v) {
    (void)VALGRIND_MAKE_MEM_DEFINED(&v, sizeof v);
}

std::vector<byte> pattern(std::size_t n, unsigned seed) {
    std::vector<byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<byte>(i * 131 + seed * 7 + (i >> 8));
    return v;
}

// Tags under a secret key over a secret message, fed in two pieces through `path`, for lengths
// that take the scalar code only, and (from 16 full blocks on) the AVX2 lanes, their combination
// and a scalar tail.
void poly1305_case(escrow::detail::poly1305_path path) {
    for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 64u, 256u, 257u, 1000u, 4096u + 16u + 7u}) {
        auto key = pattern(32, 1);
        auto msg = pattern(len, 2);
        secret(key.data(), key.size());
        secret(msg.data(), msg.size());
        std::array<byte, 16> tag{};
        {
            escrow::detail::poly1305_limb64 mac(key.data(), path);
            REQUIRE(mac.path() == path);
            mac.update(msg.data(), msg.size() / 2);
            mac.update(msg.data() + msg.size() / 2, msg.size() - msg.size() / 2);
            mac.finish(tag.data());
        }
        // The tag is compared in constant time against a forged one; only the verdict is public.
        std::array<byte, 16> forged{};
        bool same = escrow::constant_time_equal(tag, forged);
        declassify(same);
        CHECK_FALSE(same);
    }
}
}  // namespace

TEST_CASE("memcheck sees this program (it runs under valgrind)") {
    // Without valgrind the checks below prove nothing; ctest always runs this program under it.
    REQUIRE(RUNNING_ON_VALGRIND);
}

TEST_CASE("Poly1305's scalar path under a secret key and message: no secret-dependent branch or address") {
    poly1305_case(escrow::detail::poly1305_path::scalar);
}

TEST_CASE("Poly1305's AVX2 path under a secret key and message: no secret-dependent branch or address") {
    // valgrind's virtual processor reports AVX2 where the real one has it; without it the case
    // would prove nothing, so it says so.
    if (!escrow::detail::poly1305_avx2_usable()) {
        WARN("no AVX2 here (or under valgrind): the AVX2 path is not checked");
        return;
    }
    poly1305_case(escrow::detail::poly1305_path::avx2);
}

TEST_CASE("constant_time_equal on secret bytes: no branch on them") {
    for (std::size_t n : {1u, 16u, 32u, 33u}) {
        auto a = pattern(n, 3), b = a;
        secret(a.data(), a.size());
        bool eq = escrow::constant_time_equal(a, b);
        declassify(eq);
        CHECK(eq);
        b[n - 1] ^= 1;
        bool ne = escrow::constant_time_equal(a, b);
        declassify(ne);
        CHECK_FALSE(ne);
    }
}

TEST_CASE("The escrow record's MAC check under a secret session key") {
    escrow::escrow_record rec;
    rec.info.serial = "CT-1";
    rec.info.description = "constant time";
    rec.info.owner = "tester";
    rec.cipher_id = 0x0101;
    rec.wrap_id = 0x0201;
    rec.store_id = 0x0301;
    rec.wrapped_key = pattern(40, 4);
    auto raw = pattern(32, 5);
    auto key = escrow::session_key::from_unsafe_bytes(raw);
    rec.seal(key);
    // The key's bytes, in the secret's own memory, become undefined for memcheck.
    secret(const_cast<byte*>(key.unsafe_bytes().data()), key.size());
    bool ok = rec.verify(key);
    declassify(ok);
    CHECK(ok);
}

TEST_CASE("Shamir's field and combination under secret shares (k-of-n escrow): no branch or address on them") {
    // The field operations with both operands secret.
    for (unsigned v : {0x00u, 0x01u, 0x53u, 0xCAu, 0xFFu}) {
        auto a = static_cast<std::uint8_t>(v), b = static_cast<std::uint8_t>(v ^ 0x5Au);
        secret(&a, 1);
        secret(&b, 1);
        std::uint8_t product = escrow::shamir::gf_mul(a, b);
        std::uint8_t inverse = escrow::shamir::gf_inv(a);
        std::uint8_t check = escrow::shamir::gf_mul(inverse, a);  // 1, or 0 for a = 0
        declassify(product);
        declassify(check);
        CHECK(check == (v == 0 ? 0 : 1));
        CHECK(product == escrow::shamir::gf_mul(static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v ^ 0x5Au)));
    }
    // A 32-byte key split 2-of-3 and 3-of-5; the shares' values become secret, then every
    // combination of k of them is interpolated; only the verdict of the comparison is public.
    const auto key = pattern(32, 6);
    for (auto [k, n] : {std::pair<std::size_t, std::size_t>{2, 3}, {3, 5}}) {
        auto shares = escrow::shamir::split(key, k, n);
        for (auto& s : shares) secret(const_cast<byte*>(s.value.unsafe_bytes().data()), s.value.size());
        auto joined = escrow::shamir::combine(std::span<const escrow::shamir_share>(shares.data() + (n - k), k));
        bool same = escrow::constant_time_equal(joined.unsafe_bytes(), key);
        declassify(same);
        CHECK(same);
    }
}

TEST_CASE("Implicit rejection's selection: no branch or address on the decrypted block") {
    const std::size_t k = 256;
    for (int kind = 0; kind < 4; ++kind) {
        std::vector<byte> em(k, 0x5a), synthetic = pattern(k, 6), candidates = pattern(256, 7);
        em[0] = 0;
        em[1] = 2;
        std::size_t sep = kind == 0 ? 200 : kind == 1 ? 5 : kind == 2 ? k - 1 : 0;  // valid, short PS, empty M, none
        if (sep) em[sep] = 0;
        if (kind == 3) em[1] = 1;
        secret(em.data(), em.size());
        secret(synthetic.data(), synthetic.size());
        secret(candidates.data(), candidates.size());
        for (std::optional<std::size_t> expected : {std::optional<std::size_t>{}, std::optional<std::size_t>{55}}) {
            auto copy = em;
            auto r = escrow::detail::pkcs1v15_select(copy, candidates, synthetic, expected);
            declassify(r);
            CHECK(r.length <= k - 11);
        }
    }
}

TEST_CASE("A deliberately leaky comparison (valgrind must fail this)", "[.leaky]") {
    auto a = pattern(32, 8), b = a;
    secret(a.data(), a.size());
    bool eq = true;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) {  // a branch on a secret byte: what memcheck must report
            eq = false;
            break;
        }
    declassify(eq);
    CHECK(eq);
}

namespace {
namespace ml = escrow::detail::mlkem768;
namespace hy = escrow::detail::mlkem768x25519;

/// An ML-KEM-768 key pair from secret seeds; the encapsulation key is public by design.
struct mlkem_pair {
    std::array<byte, ml::encaps_key_size> ek{};
    std::array<byte, ml::decaps_key_size> dk{};
    explicit mlkem_pair(unsigned seed) {
        auto d = pattern(32, seed), z = pattern(32, seed + 1);
        secret(d.data(), d.size());
        secret(z.data(), z.size());
        ml::keygen(std::span<const byte, 32>(d.data(), 32), std::span<const byte, 32>(z.data(), 32), ek, dk);
        (void)VALGRIND_MAKE_MEM_DEFINED(ek.data(), ek.size());
    }
};

/// Encapsulation under a secret m, then decapsulation of the ciphertext (or of a changed one, the
/// implicit-rejection path) under a wholly secret dk and ciphertext; `Select` is decaps's choice.
template <class Select>
bool mlkem_round_trip(bool tamper, Select select) {
    mlkem_pair kp(11);
    auto m = pattern(32, 13);
    secret(m.data(), m.size());
    std::array<byte, ml::ciphertext_size> ct{};
    std::array<byte, 32> ss{}, ss2{};
    ml::encaps(kp.ek, std::span<const byte, 32>(m.data(), 32), ct, ss);
    if (tamper) ct[100] ^= 1;
    secret(kp.dk.data(), kp.dk.size());
    secret(ct.data(), ct.size());
    ml::decaps_with(kp.dk, ct, ss2, select);
    bool same = escrow::constant_time_equal(ss, ss2);
    declassify(same);
    return same;
}

/// decaps's choice between K' and K-bar made with a branch on the secret comparison: the leak
/// that the [.leaky_mlkem] case must show.
struct branching_select {
    void operator()(escrow::byte_view c, escrow::byte_view c_prime, byte* k_prime, const byte* k_bar) const {
        if (std::memcmp(c.data(), c_prime.data(), c.size()) != 0) std::memcpy(k_prime, k_bar, 32);
    }
};
}  // namespace

TEST_CASE("ML-KEM-768 keygen, encaps and decaps (both outcomes) under secret seeds, m, dk and ciphertext") {
    // keygen and encaps run inside; a valid ciphertext gives the same secret, a changed one the
    // implicit-rejection secret, through the same branch-free code.
    CHECK(mlkem_round_trip(false, ml::kem_detail::branch_free_select{}));
    CHECK_FALSE(mlkem_round_trip(true, ml::kem_detail::branch_free_select{}));
}

TEST_CASE("MLKEM768-X25519 key expansion, encapsulation and decapsulation under a secret seed and randomness") {
    auto seed = pattern(32, 21), randomness = pattern(64, 22);
    std::array<byte, hy::public_key_size> pk{};
    secret(seed.data(), seed.size());
    hy::public_key_from_seed(hy::seed_view(seed.data(), 32), pk);
    (void)VALGRIND_MAKE_MEM_DEFINED(pk.data(), pk.size());
    secret(randomness.data(), randomness.size());
    std::array<byte, hy::enc_size> enc{};
    std::array<byte, 32> ss{}, ss2{};
    bool sent = hy::encapsulate(pk, hy::randomness_view(randomness.data(), 64), enc, ss);
    declassify(sent);
    REQUIRE(sent);
    secret(enc.data(), enc.size());
    bool received = hy::decapsulate(hy::seed_view(seed.data(), 32), enc, ss2);
    bool same = escrow::constant_time_equal(ss, ss2);
    declassify(received);
    declassify(same);
    CHECK(received);
    CHECK(same);
}

TEST_CASE("ML-KEM-768 decaps with a branching selection (valgrind must fail this)", "[.leaky_mlkem]") {
    CHECK_FALSE(mlkem_round_trip(true, branching_select{}));
}
