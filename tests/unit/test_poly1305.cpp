// SPDX-License-Identifier: MIT
/// Poly1305's two bulk paths (detail/poly1305_limb64.hpp: scalar, and AVX2 four blocks at a time
/// from detail/poly1305_avx2.hpp) against RFC 8439's tags and against Crypto++'s Poly1305TLS, on
/// every message length from 0 to 65,552 bytes (a 64 KiB chunk and its tag) fed in random pieces.
#include <cryptopp/poly1305.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

#if ESCROW_TEST_OPENSSL_CIPHER
#include "escrow/cipher/openssl_chacha20_poly1305.hpp"
#endif

using escrow::bytes;
using escrow::detail::poly1305_limb64;
using escrow::detail::poly1305_path;

// Under AddressSanitizer (tests/sanitize.sh builds at -O0) every length would take minutes: there
// (ESCROW_TEST_SANITIZED, test_support.hpp) the sweep takes every length to 4 KiB, the last 64
// before the end, and every 97th between.

namespace {

bytes crypto_pp_tag(const escrow::byte* key, const escrow::byte* msg, std::size_t n) {
    CryptoPP::Poly1305TLS ref(key, 32);
    if (n) ref.Update(msg, n);
    bytes tag(16);
    ref.Final(tag.data());
    return tag;
}

// The tag through `path`, the message fed in the pieces that end at `cuts` (ascending, each <= n).
bytes limb64_tag(poly1305_path path, const escrow::byte* key, const escrow::byte* msg, std::size_t n,
                 const std::vector<std::size_t>& cuts = {}) {
    poly1305_limb64 mac(key, path);
    std::size_t at = 0;
    for (std::size_t cut : cuts) {
        mac.update(msg + at, cut - at);
        at = cut;
    }
    mac.update(msg + at, n - at);
    bytes tag(16);
    mac.finish(tag.data());
    return tag;
}

// The paths this machine runs: scalar always, AVX2 where the processor has it.
std::vector<poly1305_path> paths() {
    std::vector<poly1305_path> p{poly1305_path::scalar};
    if (escrow::detail::poly1305_avx2_usable()) p.push_back(poly1305_path::avx2);
    return p;
}

const char* name_of(poly1305_path p) { return p == poly1305_path::avx2 ? "avx2" : "scalar"; }

bool cpuinfo_lists_avx2() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) return (line + " ").find(" avx2 ") != std::string::npos;
    return false;
}

}  // namespace

TEST_CASE("The AVX2 Poly1305 is chosen exactly where the processor lists AVX2", "[mac][poly1305][avx2]") {
    // Unless the build leaves the AVX2 code out (ESCROW_POLY1305_NO_AVX2, or not x86-64).
    const bool listed = ESCROW_POLY1305_AVX2 && cpuinfo_lists_avx2();
    CHECK(escrow::detail::poly1305_avx2_usable() == listed);
    CHECK((escrow::detail::poly1305_best_path() == poly1305_path::avx2) == listed);
    // The AEAD, and with it the age format, takes the default path.
    const bytes key = escrow_test::pattern(32, 5);
    poly1305_limb64 defaulted(key.data());
    CHECK((defaulted.path() == poly1305_path::avx2) == listed);
    poly1305_limb64 scalar(key.data(), poly1305_path::scalar);
    CHECK(scalar.path() == poly1305_path::scalar);
    if (!listed) WARN("AVX2 not usable here (not on this processor, or left out of the build): only the scalar path is tested");
}

TEST_CASE("Both Poly1305 paths give RFC 8439's tags, whole and in pieces", "[mac][poly1305][avx2]") {
    const std::string ietf =
        "Any submission to the IETF intended by the Contributor for publication as all or part of an IETF "
        "Internet-Draft or RFC and any statement made within the context of an IETF activity is considered an "
        "\"IETF Contribution\". Such statements include oral statements in IETF sessions, as well as written and "
        "electronic communications made at any time or place, which are addressed to";
    REQUIRE(ietf.size() == 375);
    const std::string jabberwock =
        "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the borogoves,\n"
        "And the mome raths outgrabe.";
    struct vector {
        const char* key;
        std::string msg;
        const char* tag;
    } vectors[] = {
        // Section 2.5.2.
        {"85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", "Cryptographic Forum Research Group",
         "a8061dc1305136c6c22b8baf0c0127a9"},
        // Appendix A.3, vectors 1 to 4 (vector 1: 64 zero bytes under a zero key).
        {"0000000000000000000000000000000000000000000000000000000000000000", std::string(64, '\0'),
         "00000000000000000000000000000000"},
        {"0000000000000000000000000000000036e5f6b5c5e06070f0efca96227a863e", ietf, "36e5f6b5c5e06070f0efca96227a863e"},
        {"36e5f6b5c5e06070f0efca96227a863e00000000000000000000000000000000", ietf, "f3477e7cd95417af89a6b8794c310cf0"},
        {"1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0", jabberwock,
         "4541669a7eaaee61e708dc7cbcc5eb62"},
    };
    for (poly1305_path path : paths())
        for (const auto& v : vectors) {
            CAPTURE(name_of(path), v.key, v.msg.size());
            const bytes key = escrow::hex::decode(v.key);
            const auto* msg = reinterpret_cast<const escrow::byte*>(v.msg.data());
            const std::size_t n = v.msg.size();
            CHECK(escrow::hex::encode(limb64_tag(path, key.data(), msg, n)) == v.tag);
            CHECK(escrow::hex::encode(limb64_tag(path, key.data(), msg, n, {n / 3, n / 3 + 1})) == v.tag);
            CHECK(escrow::hex::encode(crypto_pp_tag(key.data(), msg, n)) == v.tag);
        }
}

TEST_CASE("Both Poly1305 paths agree with Crypto++ on every length from 0 to 65,552 bytes, in random pieces",
          "[mac][poly1305][avx2]") {
    constexpr std::size_t longest = 65536 + 16;
    const bytes msg = escrow_test::pattern(longest, 77);
    std::mt19937_64 rng(20261203);
    const auto available = paths();
    std::size_t compared = 0, mismatches = 0, first_mismatch = 0, lengths = 0;
    for (std::size_t n = 0; n <= longest; ++n) {
        if (ESCROW_TEST_SANITIZED && n > 4096 && n + 64 < longest && n % 97 != 0) continue;
        ++lengths;
        // A fresh key per length; the message is a prefix of one stream, starting at a moving
        // offset so that the same bytes do not always open the message.
        bytes key(32);
        for (auto& b : key) b = static_cast<escrow::byte>(rng());
        const escrow::byte* m = msg.data() + (n < longest ? rng() % (longest - n + 1) : 0);
        const bytes expect = crypto_pp_tag(key.data(), m, n);
        for (poly1305_path path : available) {
            // Up to three cut points, anywhere (a piece may be empty).
            std::vector<std::size_t> cuts(rng() % 4);
            for (auto& c : cuts) c = n ? rng() % (n + 1) : 0;
            std::sort(cuts.begin(), cuts.end());
            if (limb64_tag(path, key.data(), m, n, cuts) != expect && mismatches++ == 0) first_mismatch = n;
            ++compared;
        }
    }
    INFO("first mismatch at length " << first_mismatch);
    CHECK(mismatches == 0);
    CHECK(compared == available.size() * lengths);
    if (!ESCROW_TEST_SANITIZED) CHECK(lengths == longest + 1);
}

TEST_CASE("Both Poly1305 paths agree with Crypto++ where the limbs are fullest", "[mac][poly1305][avx2]") {
    // r and s all ones (as clamped) and messages of 0xff bytes keep every limb at its widest;
    // a zero key and the all-ones key with random messages besides.
    const bytes ones(32, 0xff), zeros(32, 0x00);
    const bytes ff(8192 + 16, 0xff), random = escrow_test::pattern(8192 + 16, 3);
    std::size_t mismatches = 0;
    for (const bytes* key : {&ones, &zeros})
        for (const bytes* msg : {&ff, &random})
            for (std::size_t n : {0, 15, 16, 63, 64, 255, 256, 257, 1024, 4096, 4096 + 48, 8192, 8192 + 16})
                for (poly1305_path path : paths()) {
                    CAPTURE(n, name_of(path));
                    const bytes expect = crypto_pp_tag(key->data(), msg->data(), n);
                    if (limb64_tag(path, key->data(), msg->data(), n) != expect) ++mismatches;
                    // One byte first leaves every later block unaligned to the caller's pieces.
                    if (limb64_tag(path, key->data(), msg->data(), n, {std::min<std::size_t>(n, 1), n / 2 + 1 > n ? n : n / 2 + 1}) != expect)
                        ++mismatches;
                }
    CHECK(mismatches == 0);
}

// OpenSSL's Poly1305, the MAC of the escrow tool's age format (escrow::openssl_cipher,
// cipher/openssl_chacha20_poly1305.hpp): RFC 8439's tag, and the same tags as Crypto++'s on every
// length from 0 to 65,552 bytes fed in random pieces, with RFC 8439's padding after a random prefix.
#if ESCROW_TEST_OPENSSL_CIPHER
TEST_CASE("OpenSSL's Poly1305 agrees with RFC 8439 and with Crypto++, in random pieces and padded", "[mac][poly1305][openssl]") {
    using escrow::detail::openssl_poly1305;
    {
        const bytes key = escrow::hex::decode("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        const std::string msg = "Cryptographic Forum Research Group";
        openssl_poly1305 mac(key.data());
        mac.update(reinterpret_cast<const escrow::byte*>(msg.data()), 10);
        mac.update(reinterpret_cast<const escrow::byte*>(msg.data()) + 10, msg.size() - 10);
        bytes tag(16);
        mac.finish(tag.data());
        CHECK(escrow::hex::encode(tag) == "a8061dc1305136c6c22b8baf0c0127a9");
    }
    constexpr std::size_t longest = 65536 + 16;
    const bytes msg = escrow_test::pattern(longest + 16, 91);
    std::mt19937_64 rng(20261204);
    std::size_t lengths = 0, mismatches = 0, first_mismatch = 0;
    for (std::size_t n = 0; n <= longest; ++n) {
        if (ESCROW_TEST_SANITIZED && n > 4096 && n + 64 < longest && n % 97 != 0) continue;
        ++lengths;
        bytes key(32);
        for (auto& b : key) b = static_cast<escrow::byte>(rng());
        // A prefix of random length padded with zeros to 16 bytes, then the message in up to four
        // pieces: the reference is fed the same bytes with the zeros written out.
        const std::size_t prefix = rng() % 40, padded = (prefix + 15) / 16 * 16;
        bytes whole(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(prefix));
        whole.resize(padded, 0);
        whole.insert(whole.end(), msg.begin() + 16, msg.begin() + 16 + static_cast<std::ptrdiff_t>(n));
        openssl_poly1305 mac(key.data());
        mac.update(msg.data(), prefix);
        mac.pad16();
        std::vector<std::size_t> cuts(rng() % 4);
        for (auto& c : cuts) c = n ? rng() % (n + 1) : 0;
        std::sort(cuts.begin(), cuts.end());
        std::size_t at = 0;
        for (std::size_t cut : cuts) {
            mac.update(msg.data() + 16 + at, cut - at);
            at = cut;
        }
        mac.update(msg.data() + 16 + at, n - at);
        bytes tag(16);
        mac.finish(tag.data());
        if (tag != crypto_pp_tag(key.data(), whole.data(), whole.size()) && mismatches++ == 0) first_mismatch = n;
    }
    INFO("first mismatch at length " << first_mismatch);
    CHECK(mismatches == 0);
    if (!ESCROW_TEST_SANITIZED) CHECK(lengths == longest + 1);
}
#endif
