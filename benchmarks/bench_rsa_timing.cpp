// SPDX-License-Identifier: MIT
// RSA unwrap timing by input class, dudect-style: a measurement, not a test (it never fails on the
// figures). For RSA-OAEP-SHA-256 and for RSA PKCS#1 v1.5 with implicit rejection (the sized unwrap
// the hosts call), it times unwraps of three classes of blocks, interleaved in random order:
//   valid     a block that decodes to a key of the expected size;
//   bad       a block whose padding is broken (random EM below the modulus);
//   length    a block with valid padding around a message of the wrong length (16 bytes for 32).
// For each pair of classes it reports Welch's t statistic over the cropped measurements (values
// above the 90th percentile of all samples dropped, as dudect does against interrupts). |t| above
// about 4.5 means the classes are distinguishable with this many samples; below it, they were not
// told apart at this sample size, which bounds but does not exclude a leak.
//
//   bench_rsa_timing [--samples N] [--bits B]      (defaults: 3000 samples per class, 2048 bits)

#include <cryptopp/integer.h>
#include <cryptopp/rsa.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <escrow/escrow.hpp>

namespace {

using escrow::byte;
using escrow::bytes;

// EM → RSA block, through the raw public function (no padding of its own).
bytes raw_encrypt(const escrow::rsa_public_key& pub, const bytes& em) {
    CryptoPP::Integer m(em.data(), em.size());
    CryptoPP::Integer c = pub.cryptopp().ApplyFunction(m);
    bytes out(em.size());
    c.Encode(out.data(), out.size());
    return out;
}

// PKCS#1 v1.5 type 2 encoding of a message of `len` bytes for a k-byte modulus.
bytes pkcs1_em(std::size_t k, std::size_t len, std::mt19937_64& g) {
    bytes em(k);
    em[0] = 0;
    em[1] = 2;
    for (std::size_t i = 2; i < k - len - 1; ++i) em[i] = static_cast<byte>(1 + g() % 255);
    em[k - len - 1] = 0;
    for (std::size_t i = k - len; i < k; ++i) em[i] = static_cast<byte>(g());
    return em;
}

struct stats {
    double mean = 0, var = 0;
    std::size_t n = 0;
};

stats summarise(const std::vector<double>& v, double cap) {
    stats s;
    for (double x : v)
        if (x <= cap) {
            ++s.n;
            double d = x - s.mean;
            s.mean += d / static_cast<double>(s.n);
            s.var += d * (x - s.mean);
        }
    if (s.n > 1) s.var /= static_cast<double>(s.n - 1);
    return s;
}

double welch_t(const stats& a, const stats& b) {
    return (a.mean - b.mean) / std::sqrt(a.var / static_cast<double>(a.n) + b.var / static_cast<double>(b.n));
}

template <class Unwrap, class ExpectKey>
void measure(std::string_view name, const std::array<std::vector<escrow::wrapped_key>, 3>& blocks, Unwrap unwrap,
             ExpectKey expect_key, std::size_t samples, std::mt19937_64& g) {
    static constexpr const char* classes[] = {"valid", "bad", "length"};
    std::array<std::vector<double>, 3> t;
    std::vector<int> order;
    for (int c = 0; c < 3; ++c) order.insert(order.end(), samples, c);
    std::shuffle(order.begin(), order.end(), g);
    std::array<std::size_t, 3> next{};
    for (int c : order) {
        const auto& w = blocks[static_cast<std::size_t>(c)][next[static_cast<std::size_t>(c)]++ % blocks[static_cast<std::size_t>(c)].size()];
        auto t0 = std::chrono::steady_clock::now();
        auto k = unwrap(w);
        auto t1 = std::chrono::steady_clock::now();
        // A block must give what its class says: OAEP refuses a bad block (nullopt) and opens the
        // others; implicit rejection gives a key for every block.
        if (k.has_value() != expect_key(c)) std::abort();
        t[static_cast<std::size_t>(c)].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::vector<double> all;
    for (const auto& v : t) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    const double cap = all[all.size() * 9 / 10];
    std::array<stats, 3> s;
    for (int c = 0; c < 3; ++c) s[static_cast<std::size_t>(c)] = summarise(t[static_cast<std::size_t>(c)], cap);
    std::printf("%s\n", std::string(name).c_str());
    for (int c = 0; c < 3; ++c)
        std::printf("  %-7s mean %9.2f us  sd %7.2f us  (n = %zu after cropping)\n", classes[c], s[static_cast<std::size_t>(c)].mean,
                    std::sqrt(s[static_cast<std::size_t>(c)].var), s[static_cast<std::size_t>(c)].n);
    std::printf("  Welch t: valid/bad %+.2f, valid/length %+.2f, bad/length %+.2f  (|t| > 4.5: distinguishable)\n",
                welch_t(s[0], s[1]), welch_t(s[0], s[2]), welch_t(s[1], s[2]));
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t samples = 3000;
    unsigned bits = 2048;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view a = argv[i];
        if (a == "--samples") samples = std::strtoul(argv[i + 1], nullptr, 10);
        else if (a == "--bits") bits = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    }
    std::mt19937_64 g(20261202);
    auto priv = escrow::rsa_private_key::generate(bits);
    auto pub = priv.public_key();
    const std::size_t k = (bits + 7) / 8;
    const std::size_t variants = 64;  // distinct blocks per class, cycled

    std::array<std::vector<escrow::wrapped_key>, 3> oaep, pkcs1;
    for (std::size_t i = 0; i < variants; ++i) {
        auto key32 = escrow::session_key::generate(32);
        auto key16 = escrow::session_key::generate(16);
        oaep[0].push_back(escrow::wrap::rsa_oaep_sha256::wrap(key32, pub, escrow::default_random()));
        // A random EM below the modulus (leading zero byte) almost never decodes as OAEP.
        bytes em(k);
        for (auto& b : em) b = static_cast<byte>(g());
        em[0] = 0;
        oaep[1].push_back({{}, raw_encrypt(pub, em)});
        oaep[2].push_back(escrow::wrap::rsa_oaep_sha256::wrap(key16, pub, escrow::default_random()));

        pkcs1[0].push_back({{}, raw_encrypt(pub, pkcs1_em(k, 32, g))});
        bytes bad = pkcs1_em(k, 32, g);
        bad[1] = 1;  // broken padding
        pkcs1[1].push_back({{}, raw_encrypt(pub, bad)});
        pkcs1[2].push_back({{}, raw_encrypt(pub, pkcs1_em(k, 16, g))});
    }
    std::printf("RSA-%u unwrap timing, %zu samples per class, interleaved at random\n", bits, samples);
    measure("rsa-oaep-sha256 (unwrap; the host then checks the size)", oaep,
            [&](const escrow::wrapped_key& w) { return escrow::wrap::rsa_oaep_sha256::unwrap(w, priv); },
            [](int c) { return c != 1; }, samples, g);
    measure("rsa-pkcs1v15 (sized unwrap, implicit rejection)", pkcs1,
            [&](const escrow::wrapped_key& w) { return escrow::wrap::rsa_pkcs1v15::unwrap(w, priv, 32); },
            [](int) { return true; }, samples, g);
    return 0;
}
