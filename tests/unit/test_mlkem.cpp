// SPDX-License-Identifier: MIT
/// @file
/// ML-KEM-768 (FIPS 203) known answers: Wycheproof's four ML-KEM-768 files (key generation from a
/// seed under the final standard, encapsulation with a given m, decapsulation, decapsulation with
/// an expanded dk) and C2SP CCTV's intermediate, strcmp, unlucky-sample and modulus files (with
/// their own keys: their key generation is the FIPS 203 draft's). Invalid cases must be rejected.
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "escrow/detail/mlkem768.hpp"
#include "escrow/detail/mlkem768x25519.hpp"
#include "test_support.hpp"

using json = nlohmann::json;
namespace ml = escrow::detail::mlkem768;
using escrow::byte;
using escrow::byte_view;
using escrow::bytes;

#ifndef ESCROW_VECTORS_DIR
#error "ESCROW_VECTORS_DIR must name the public test-vector folder"
#endif

namespace {

std::filesystem::path vectors(const std::string& relative) { return std::filesystem::path(ESCROW_VECTORS_DIR) / relative; }

json load_wycheproof(const std::string& name) {
    const auto path = vectors("wycheproof/" + name);
    INFO("reading " << path.string());
    std::ifstream in(path);
    REQUIRE(in.good());
    json j = json::parse(in);
    REQUIRE(j.at("testGroups").is_array());
    return j;
}

bytes hex_field(const json& t, const char* name) { return escrow::hex::decode(t.at(name).get<std::string>()); }

bool same(byte_view a, byte_view b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

/// A CCTV `name = value` file: the first value of ek, dk, m, K and c, hex-decoded (the
/// intermediate values are not read).
std::map<std::string, bytes> load_cctv(const std::string& relative) {
    const auto path = vectors(relative);
    INFO("reading " << path.string());
    std::ifstream in(path);
    REQUIRE(in.good());
    std::map<std::string, bytes> out;
    for (std::string line; std::getline(in, line);) {
        const auto eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        const std::string name = line.substr(0, eq);
        if (name == "ek" || name == "dk" || name == "m" || name == "K" || name == "c")
            out.emplace(name, escrow::hex::decode(line.substr(eq + 3)));
    }
    return out;
}

/// Fixed-size views of a vector's byte strings; nullopt when the length is not the one ML-KEM-768
/// takes (the API's fixed extents make a wrong length unrepresentable: the caller rejects it).
template <std::size_t N>
std::optional<std::span<const byte, N>> fixed(const bytes& b) {
    if (b.size() != N) return std::nullopt;
    return std::span<const byte, N>(b.data(), N);
}

struct key_pair {
    std::array<byte, ml::encaps_key_size> ek{};
    std::array<byte, ml::decaps_key_size> dk{};
};
key_pair keygen_from(std::span<const byte, 64> seed) {
    key_pair kp;
    ml::keygen(seed.first<32>(), seed.last<32>(), kp.ek, kp.dk);
    return kp;
}

bytes encaps(std::span<const byte, ml::encaps_key_size> ek, std::span<const byte, 32> m, bytes& ct) {
    ct.assign(ml::ciphertext_size, 0);
    bytes ss(ml::shared_secret_size);
    ml::encaps(ek, m, std::span<byte, ml::ciphertext_size>(ct.data(), ct.size()), std::span<byte, 32>(ss.data(), 32));
    return ss;
}

bytes decaps(std::span<const byte, ml::decaps_key_size> dk, std::span<const byte, ml::ciphertext_size> ct) {
    bytes ss(ml::shared_secret_size);
    ml::decaps(dk, ct, std::span<byte, 32>(ss.data(), 32));
    return ss;
}

}  // namespace

TEST_CASE("ML-KEM-768 arithmetic: Barrett reduction and the division-free Compress are exact", "[mlkem][arithmetic]") {
    // Against plain % and /, which the library never uses on secrets. Mismatches are counted, so
    // that millions of inputs cost one assertion each.
    std::size_t wrong = 0;
    for (std::uint32_t x = 0; x < (1u << 26); x += 7) wrong += ml::reduce(x) != x % ml::q;
    for (std::uint32_t x = (1u << 26) - 4096; x < (1u << 26); ++x) wrong += ml::reduce(x) != x % ml::q;
    CHECK(wrong == 0);
    for (std::uint32_t x = 0; x < ml::q; ++x) {
        const auto expect = [x](unsigned d) { return static_cast<std::uint16_t>((((x << d) * 2 + ml::q) / (2 * ml::q)) % (1u << d)); };
        wrong += ml::compress<1>(x) != expect(1);
        wrong += ml::compress<4>(x) != expect(4);
        wrong += ml::compress<10>(x) != expect(10);
    }
    CHECK(wrong == 0);
    // NTT⁻¹(NTT(f)) = f.
    ml::poly f{};
    for (std::size_t i = 0; i < ml::n; ++i) f[i] = static_cast<std::uint16_t>((i * 2897 + 11) % ml::q);
    ml::poly g = f;
    ml::ntt(g);
    CHECK(g != f);
    ml::inverse_ntt(g);
    CHECK(g == f);
}

TEST_CASE("Wycheproof ML-KEM-768 key generation from a seed gives ek and dk (FIPS 203 final)", "[mlkem][wycheproof]") {
    const json j = load_wycheproof("mlkem_768_keygen_seed_test.json");
    std::size_t passed = 0;
    for (const auto& group : j.at("testGroups"))
        for (const auto& t : group.at("tests")) {
            INFO("tcId " << t.at("tcId").get<int>());
            REQUIRE(t.at("result") == "valid");
            const bytes seed = hex_field(t, "seed");
            REQUIRE(seed.size() == 64);
            const key_pair kp = keygen_from(std::span<const byte, 64>(seed.data(), 64));
            CHECK(same(kp.ek, hex_field(t, "ek")));
            CHECK(same(kp.dk, hex_field(t, "dk")));
            CHECK(ml::encaps_key_ok(kp.ek));
            CHECK(ml::decaps_key_ok(kp.dk));
            ++passed;
        }
    CHECK(passed == 100);
    CHECK(passed == j.at("numberOfTests").get<std::size_t>());
}

TEST_CASE("Wycheproof ML-KEM-768 decapsulation of keys from seeds: K, implicit rejection, bad lengths refused",
          "[mlkem][wycheproof]") {
    const json j = load_wycheproof("mlkem_768_test.json");
    std::size_t valid = 0, invalid = 0;
    for (const auto& group : j.at("testGroups"))
        for (const auto& t : group.at("tests")) {
            INFO("tcId " << t.at("tcId").get<int>());
            const bytes seed = hex_field(t, "seed"), c = hex_field(t, "c");
            const auto seed_view = fixed<64>(seed);
            const auto ct = fixed<ml::ciphertext_size>(c);
            if (t.at("result") == "invalid") {
                // Every invalid test here has a seed or a ciphertext of the wrong length.
                CHECK((!seed_view || !ct));
                ++invalid;
                continue;
            }
            REQUIRE(t.at("result") == "valid");
            REQUIRE(seed_view);
            REQUIRE(ct);
            const key_pair kp = keygen_from(*seed_view);
            if (t.contains("ek")) CHECK(same(kp.ek, hex_field(t, "ek")));
            CHECK(same(decaps(kp.dk, *ct), hex_field(t, "K")));
            ++valid;
        }
    CHECK(valid == 153);
    CHECK(invalid == 40);
}

TEST_CASE("Wycheproof ML-KEM-768 encapsulation with a given m: c and K, unreduced or mis-sized keys rejected",
          "[mlkem][wycheproof]") {
    const json j = load_wycheproof("mlkem_768_encaps_test.json");
    std::size_t valid = 0, invalid = 0;
    for (const auto& group : j.at("testGroups"))
        for (const auto& t : group.at("tests")) {
            INFO("tcId " << t.at("tcId").get<int>());
            const bytes ek_bytes = hex_field(t, "ek"), m_bytes = hex_field(t, "m");
            const auto ek = fixed<ml::encaps_key_size>(ek_bytes);
            const auto m = fixed<32>(m_bytes);
            REQUIRE(m);
            const bool accepted = ek && ml::encaps_key_ok(*ek);
            if (t.at("result") == "invalid") {
                CHECK_FALSE(accepted);
                ++invalid;
                continue;
            }
            REQUIRE(t.at("result") == "valid");
            REQUIRE(accepted);
            bytes ct;
            const bytes ss = encaps(*ek, *m, ct);
            CHECK(same(ct, hex_field(t, "c")));
            CHECK(same(ss, hex_field(t, "K")));
            ++valid;
        }
    CHECK(valid == 133);
    CHECK(invalid == 132);
}

TEST_CASE("Wycheproof ML-KEM-768 decapsulation with an expanded dk: K, or the key or ciphertext refused",
          "[mlkem][wycheproof]") {
    const json j = load_wycheproof("mlkem_768_semi_expanded_decaps_test.json");
    std::size_t valid = 0, invalid = 0;
    for (const auto& group : j.at("testGroups"))
        for (const auto& t : group.at("tests")) {
            INFO("tcId " << t.at("tcId").get<int>());
            const bytes dk_bytes = hex_field(t, "dk"), c = hex_field(t, "c");
            const auto dk = fixed<ml::decaps_key_size>(dk_bytes);
            const auto ct = fixed<ml::ciphertext_size>(c);
            const bool accepted = dk && ct && ml::decaps_key_ok(*dk);
            if (t.at("result") == "invalid") {
                CHECK_FALSE(accepted);
                ++invalid;
                continue;
            }
            REQUIRE(t.at("result") == "valid");
            REQUIRE(accepted);
            // The expanded key embeds ek, as the vector states it.
            CHECK(same(dk->subspan<1152, ml::encaps_key_size>(), hex_field(t, "ek")));
            CHECK(same(decaps(*dk, *ct), hex_field(t, "K")));
            ++valid;
        }
    CHECK(valid == 3);
    CHECK(invalid == 6);
}

TEST_CASE("CCTV ML-KEM-768 intermediate, strcmp and unlucky-sample vectors, with their own keys", "[mlkem][cctv]") {
    for (const char* file : {"mlkem/intermediate/ML-KEM-768.txt", "mlkem/unluckysample/ML-KEM-768.txt"}) {
        INFO(file);
        const auto v = load_cctv(file);
        const auto ek = fixed<ml::encaps_key_size>(v.at("ek"));
        const auto dk = fixed<ml::decaps_key_size>(v.at("dk"));
        const auto m = fixed<32>(v.at("m"));
        REQUIRE(ek);
        REQUIRE(dk);
        REQUIRE(m);
        CHECK(ml::encaps_key_ok(*ek));
        CHECK(ml::decaps_key_ok(*dk));
        bytes ct;
        CHECK(same(encaps(*ek, *m, ct), v.at("K")));
        CHECK(same(ct, v.at("c")));
        CHECK(same(decaps(*dk, *fixed<ml::ciphertext_size>(ct)), v.at("K")));
    }
    // strcmp: c and its re-encryption both begin with a zero byte; a comparison that stops at the
    // first zero would accept c, but K is the implicit-rejection secret J(z ‖ c).
    const auto v = load_cctv("mlkem/strcmp/ML-KEM-768.txt");
    const auto dk = fixed<ml::decaps_key_size>(v.at("dk"));
    const auto ct = fixed<ml::ciphertext_size>(v.at("c"));
    REQUIRE(dk);
    REQUIRE(ct);
    REQUIRE(v.at("c").front() == 0);
    CHECK(same(decaps(*dk, *ct), v.at("K")));
    // A ciphertext changed in its last byte is rejected implicitly too: a different K, every time the same.
    std::array<byte, ml::ciphertext_size> tampered{};
    std::copy(ct->begin(), ct->end(), tampered.begin());
    tampered[ml::ciphertext_size - 1] ^= 1;
    CHECK_FALSE(same(decaps(*dk, tampered), v.at("K")));
    CHECK(same(decaps(*dk, tampered), decaps(*dk, tampered)));
}

TEST_CASE("CCTV ML-KEM-768 modulus vectors: every encapsulation key with a coefficient >= q is rejected",
          "[mlkem][cctv]") {
    const auto path = vectors("mlkem/modulus/ML-KEM-768.txt.gz");
    gzFile in = gzopen(path.string().c_str(), "rb");
    REQUIRE(in != nullptr);
    std::size_t lines = 0, rejected = 0;
    std::string line;
    std::array<char, 4096> buf{};
    while (gzgets(in, buf.data(), static_cast<int>(buf.size())) != nullptr) {
        line.assign(buf.data());
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        if (line.empty()) continue;
        const bytes ek = escrow::hex::decode(line);
        REQUIRE(ek.size() == ml::encaps_key_size);
        ++lines;
        if (!ml::encaps_key_ok(std::span<const byte, ml::encaps_key_size>(ek.data(), ek.size()))) ++rejected;
    }
    gzclose(in);
    CHECK(lines == 780);
    CHECK(rejected == lines);
}

// ---- MLKEM768-X25519 (the hybrid KEM of age's post-quantum recipients) ------------------------

namespace {
namespace hy = escrow::detail::mlkem768x25519;

json load_json(const std::string& relative) {
    const auto path = vectors(relative);
    INFO("reading " << path.string());
    std::ifstream in(path);
    REQUIRE(in.good());
    return json::parse(in);
}

struct hybrid_case {
    bytes seed, pk, randomness, enc, ss;
};

/// Public key from the seed, encapsulation with the given randomness, decapsulation: all three
/// must give the vector's bytes.
void check_hybrid(const hybrid_case& v) {
    REQUIRE(v.seed.size() == hy::seed_size);
    REQUIRE(v.randomness.size() == hy::randomness_size);
    const hy::seed_view seed(v.seed.data(), hy::seed_size);
    std::array<byte, hy::public_key_size> pk{};
    hy::public_key_from_seed(seed, pk);
    CHECK(same(pk, v.pk));
    std::array<byte, hy::enc_size> enc{};
    std::array<byte, 32> ss{}, ss2{};
    REQUIRE(hy::encapsulate(pk, hy::randomness_view(v.randomness.data(), hy::randomness_size), enc, ss));
    CHECK(same(enc, v.enc));
    CHECK(same(ss, v.ss));
    REQUIRE(hy::decapsulate(seed, enc, ss2));
    CHECK(same(ss2, v.ss));
}
}  // namespace

TEST_CASE("X-Wing's test vectors through MLKEM768-X25519: public key, encapsulation, decapsulation", "[mlkem][hybrid]") {
    const json j = load_json("xwing/test-vectors.json");
    std::size_t n = 0;
    for (const auto& t : j) {
        INFO("vector " << n);
        // `sk` is the seed itself in X-Wing's final form (the decapsulation key is the seed).
        CHECK(same(hex_field(t, "sk"), hex_field(t, "seed")));
        check_hybrid({hex_field(t, "seed"), hex_field(t, "pk"), hex_field(t, "eseed"), hex_field(t, "ct"), hex_field(t, "ss")});
        ++n;
    }
    CHECK(n == 3);
}

TEST_CASE("draft-ietf-hpke-pq's MLKEM768-X25519 vectors: public key, enc and shared secret", "[mlkem][hybrid]") {
    const json j = load_json("hpke-pq/test-vectors.json");
    std::size_t n = 0;
    for (const auto& t : j) {
        if (t.at("kem_id").get<int>() != hy::kem_id) continue;
        INFO("vector with kdf " << t.at("kdf_id").get<int>() << ", aead " << t.at("aead_id").get<int>());
        // skRm is the seed that DeriveKeyPair(ikmR) gave; ikmE is the encapsulation randomness.
        check_hybrid({hex_field(t, "skRm"), hex_field(t, "pkRm"), hex_field(t, "ikmE"), hex_field(t, "enc"),
                      hex_field(t, "shared_secret")});
        ++n;
    }
    CHECK(n == 2);
}

TEST_CASE("MLKEM768-X25519 refuses unreduced ML-KEM keys and low-order X25519 points", "[mlkem][hybrid]") {
    std::array<byte, hy::seed_size> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<byte>(i * 7 + 1);
    std::array<byte, hy::public_key_size> pk{};
    hy::public_key_from_seed(seed, pk);
    std::array<byte, hy::randomness_size> randomness{};
    randomness.fill(0x42);
    std::array<byte, hy::enc_size> enc{};
    std::array<byte, 32> ss{}, ss2{};
    REQUIRE(hy::encapsulate(pk, randomness, enc, ss));
    REQUIRE(hy::decapsulate(seed, enc, ss2));
    CHECK(escrow::constant_time_equal(ss, ss2));

    // The first 12-bit coefficient set to 4095 (>= q): refused, and no secret comes out.
    auto unreduced = pk;
    unreduced[0] = 0xff;
    unreduced[1] |= 0x0f;
    ss.fill(0x55);
    CHECK_FALSE(hy::encapsulate(unreduced, randomness, enc, ss));
    CHECK(escrow::constant_time_equal(ss, std::array<byte, 32>{}));

    // X25519 low-order points: u = 0, u = 1 (each gives an all-zero X25519 output).
    for (byte u : {byte{0}, byte{1}}) {
        auto low = pk;
        std::fill(low.begin() + ml::encaps_key_size, low.end(), byte{0});
        low[ml::encaps_key_size] = u;
        ss.fill(0x55);
        CHECK_FALSE(hy::encapsulate(low, randomness, enc, ss));
        CHECK(escrow::constant_time_equal(ss, std::array<byte, 32>{}));
        REQUIRE(hy::encapsulate(pk, randomness, enc, ss));
        std::fill(enc.begin() + ml::ciphertext_size, enc.end(), byte{0});
        enc[ml::ciphertext_size] = u;
        ss2.fill(0x55);
        CHECK_FALSE(hy::decapsulate(seed, enc, ss2));
        CHECK(escrow::constant_time_equal(ss2, std::array<byte, 32>{}));
    }

    // A changed ML-KEM ciphertext decapsulates (implicit rejection) to another secret.
    REQUIRE(hy::encapsulate(pk, randomness, enc, ss));
    enc[5] ^= 0x10;
    REQUIRE(hy::decapsulate(seed, enc, ss2));
    CHECK_FALSE(escrow::constant_time_equal(ss, ss2));
}
