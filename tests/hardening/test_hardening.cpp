// SPDX-License-Identifier: MIT
// One test per finding of the security review that a library call shows (issue "Hardening");
// each failed on main before its fix. The CLI-level findings are in tests/cli/cases/hardening.sh.
#include <catch2/catch.hpp>

#include <cryptopp/integer.h>
#include <cryptopp/xed25519.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "../unit/test_support.hpp"
#include "escrow/authority/officer.hpp"
#include "escrow/detail/ed25519_strict.hpp"
#include "escrow/detail/rsa_pkcs1v15.hpp"

using escrow::byte;
using escrow::bytes;
using escrow::errc;

namespace {

void put_u32(bytes& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<byte>(v >> s));
}
void put_string(bytes& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
}
void put_string(bytes& out, const bytes& s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
}
void put_small_mpint(bytes& out, unsigned v) {
    bytes m;
    if (v) m.push_back(static_cast<byte>(v));
    put_string(out, m);
}

// An unencrypted openssh-key-v1 blob for an "RSA key" with the given small parameters.
bytes openssh_rsa_blob(unsigned n, unsigned e, unsigned d, unsigned p, unsigned q) {
    bytes pub;
    put_string(pub, std::string_view("ssh-rsa"));
    put_small_mpint(pub, e);
    put_small_mpint(pub, n);
    bytes priv;
    put_u32(priv, 0x01020304);
    put_u32(priv, 0x01020304);
    put_string(priv, std::string_view("ssh-rsa"));
    for (unsigned v : {n, e, d, 1u /* iqmp */, p, q}) put_small_mpint(priv, v);
    put_string(priv, std::string_view(""));
    for (byte pad = 1; priv.size() % 8 != 0; ++pad) priv.push_back(pad);
    bytes blob{'o', 'p', 'e', 'n', 's', 's', 'h', '-', 'k', 'e', 'y', '-', 'v', '1', 0};
    put_string(blob, std::string_view("none"));
    put_string(blob, std::string_view("none"));
    put_string(blob, std::string_view(""));
    put_u32(blob, 1);
    put_string(blob, pub);
    put_string(blob, priv);
    return blob;
}

using age_store = escrow::store::age;
using age_cipher = escrow::cipher::chacha20_poly1305_stream;
using age_wrap = escrow::wrap::x25519;

// An age header with one stanza "-> pad <L x's>" and an empty body, sized to `total` bytes from
// the version line to the MAC line's LF inclusive.
escrow::file_header padded_header(std::size_t total) {
    const std::size_t fixed = std::string_view("age-encryption.org/v1\n-> pad ").size() + 1 /* LF */ + 1 /* empty body line */ +
                              3 /* --- */ + age_store::mac_line_tail;
    REQUIRE(total > fixed);
    escrow::file_header h;
    h.nonce.assign(16, 7);
    escrow::recipient_entry e;
    e.type = "pad";
    e.key.args.push_back(std::string(total - fixed, 'x'));
    h.recipients.push_back(std::move(e));
    return h;
}

}  // namespace

TEST_CASE("finding: an OpenSSH RSA key with p = 1 is a clear bad_key, not Crypto++'s DivideByZero") {
    // The fuzzer's reproducer: n = 3, p = 1, q = 3 (so n == p * q), 103 bytes of openssh-key-v1.
    bytes blob = openssh_rsa_blob(3, 3, 1, 1, 3);
    try {
        (void)escrow::ssh_rsa_private_key::from_openssh(blob);
        FAIL("the key was accepted");
    } catch (const escrow::error& e) {
        CHECK(e.kind() == errc::bad_key);
        CHECK(std::string(e.what()).find("two primes") != std::string::npos);
    }
    // q = 1 likewise, and a zero d.
    CHECK_THROWS_AS(escrow::ssh_rsa_private_key::from_openssh(openssh_rsa_blob(3, 3, 1, 3, 1)), escrow::error);
    CHECK_THROWS_AS(escrow::ssh_rsa_private_key::from_openssh(openssh_rsa_blob(15, 3, 0, 3, 5)), escrow::error);
}

TEST_CASE("finding: every age header the reader accepts can be written back (1 MiB bound agrees)") {
    auto key = escrow::session_key::generate(16);
    SECTION("a header of exactly 1 MiB is written and read back") {
        auto h = padded_header(age_store::max_header_size);
        escrow::memory_sink sink;
        age_store::write_header<age_cipher, age_wrap>(sink, h, key);
        CHECK(sink.data().size() == age_store::max_header_size + 16);
        escrow::memory_source src(sink.data());
        auto back = age_store::read_header<age_cipher, age_wrap>(src);
        REQUIRE(back.recipients.size() == 1);
        CHECK(back.recipients[0].key.args.at(0).size() == h.recipients[0].key.args.at(0).size());
        CHECK(age_store::verify_header<age_cipher, age_wrap>(back, key));
    }
    SECTION("one byte more is refused by both the writer and the reader") {
        auto h = padded_header(age_store::max_header_size + 1);
        escrow::memory_sink sink;
        REQUIRE_THROWS_MATCHES((age_store::write_header<age_cipher, age_wrap>(sink, h, key)), escrow::error,
                               escrow_test::has_errc(errc::limit_exceeded));
        std::string text = "age-encryption.org/v1\n-> pad " + h.recipients[0].key.args[0] + "\n\n--- " +
                           std::string(43, 'A') + "\n" + std::string(16, '\0');
        REQUIRE(text.size() == age_store::max_header_size + 1 + 16);
        escrow::memory_source src(escrow::as_bytes(text));
        REQUIRE_THROWS_MATCHES((age_store::read_header<age_cipher, age_wrap>(src)), escrow::error,
                               escrow_test::has_errc(errc::limit_exceeded));
    }
}

TEST_CASE("finding: a scrypt stanza's work factor is bounded by the reader's limit before any work") {
    escrow::scrypt_passphrase writer("correct horse", 12);
    auto key = escrow::session_key::generate(16);
    auto w = escrow::wrap::scrypt::wrap(key, writer, escrow::default_random());
    // The same stanza, asking for 22 (4 GiB): refused at once under a limit of 20, before scrypt.
    auto heavy = w;
    heavy.args[1] = "22";
    auto reader = escrow::scrypt_passphrase("correct horse").with_max_work_factor(20);
    CHECK(reader.max_work_factor() == 20);
    auto t0 = std::chrono::steady_clock::now();
    REQUIRE_THROWS_MATCHES(escrow::wrap::scrypt::unwrap(heavy, reader, 16), escrow::error,
                           escrow_test::has_errc(errc::limit_exceeded));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200));
    // Within the limit it opens; the limit survives clone(); limits outside 1..22 are refused.
    auto opened = escrow::wrap::scrypt::unwrap(w, reader.clone(), 16);
    REQUIRE(opened.has_value());
    CHECK(escrow::constant_time_equal(opened->unsafe_bytes(), key.unsafe_bytes()));
    CHECK(reader.clone().max_work_factor() == 20);
    CHECK_THROWS_AS(escrow::scrypt_passphrase("x").with_max_work_factor(23), escrow::error);
    CHECK_THROWS_AS(escrow::scrypt_passphrase("x").with_max_work_factor(0), escrow::error);
    // With a limit of 12 the writer's own work factor still opens; 13 is refused.
    auto tight = escrow::scrypt_passphrase("correct horse").with_max_work_factor(12);
    CHECK(escrow::wrap::scrypt::unwrap(w, tight, 16).has_value());
    auto over = w;
    over.args[1] = "13";
    CHECK_THROWS_MATCHES(escrow::wrap::scrypt::unwrap(over, tight, 16), escrow::error,
                         escrow_test::has_errc(errc::limit_exceeded));
}

TEST_CASE("finding: implicit rejection gives the draft's known answers (draft-irtf-cfrg-rsa-guidance-09)") {
    std::ifstream in(std::string(ESCROW_VECTORS_DIR) + "/rsa-implicit-rejection/kat.json");
    REQUIRE(in);
    auto doc = nlohmann::json::parse(in);
    std::map<std::string, escrow::rsa_private_key> keys;
    for (const auto& k : doc["keys"]) {
        std::string pem = k["privateKeyPkcs8Pem"];
        keys.emplace(k["id"].get<std::string>(), escrow::rsa_private_key::load(escrow::as_bytes(pem)));
    }
    REQUIRE(keys.size() == 4);
    int checked = 0, synthetic = 0;
    for (const auto& t : doc["tests"]) {
        INFO("tcId " << t["tcId"].get<int>() << ": " << t["name"].get<std::string>() << " (" << t["key"].get<std::string>() << ")");
        bytes ct = escrow::hex::decode(t["ct"].get<std::string>());
        bytes msg = escrow::hex::decode(t["msg"].get<std::string>());
        auto r = escrow::detail::pkcs1v15_decrypt(keys.at(t["key"].get<std::string>()), ct);
        CHECK(r.valid == t["paddingValid"].get<bool>());
        CHECK(r.message.size() == msg.size());
        CHECK(escrow::constant_time_equal(r.message.unsafe_bytes(), msg));
        // Sized, as the hosts call it: the real message only when its size is the one asked for.
        if (t["paddingValid"].get<bool>()) {
            auto sized = escrow::detail::pkcs1v15_decrypt(keys.at(t["key"].get<std::string>()), ct, msg.size());
            CHECK(sized.valid);
            CHECK(escrow::constant_time_equal(sized.message.unsafe_bytes(), msg));
        } else {
            ++synthetic;
        }
        ++checked;
    }
    CHECK(checked == 48);
    CHECK(synthetic == 36);
}

namespace {
namespace strict = escrow::detail::ed25519_strict;

// The 32-byte little-endian encoding of y with the sign bit of x.
std::array<byte, 32> encode_point(const CryptoPP::Integer& y, bool sign) {
    std::array<byte, 32> out{};
    y.Encode(out.data(), out.size(), CryptoPP::Integer::UNSIGNED);
    std::reverse(out.begin(), out.end());
    if (sign) out[31] |= 0x80;
    return out;
}

bool cryptopp_alone_verifies(escrow::byte_view pub, escrow::byte_view msg, escrow::byte_view sig) {
    CryptoPP::ed25519Verifier v(pub.data());
    return v.VerifyMessage(msg.data(), msg.size(), sig.data(), sig.size());
}
}  // namespace

TEST_CASE("finding: small-order and non-canonical officer keys are refused at registration") {
    const auto& p = strict::field_prime();
    const CryptoPP::Integer y8("2707385501144840649318225287225658788936804267575313519463743609750303402022");
    // y8 is what the header says: a root of d·y⁴ + 2·y² − 1 (mod p).
    const CryptoPP::Integer y8sq = y8.Squared() % p;
    CHECK(((strict::curve_d() * y8sq % p * y8sq + 2 * y8sq + p - 1) % p).IsZero());
    // The eight small-order points (both signs of x where x ≠ 0), and non-canonical encodings.
    std::vector<std::array<byte, 32>> refused = {
        encode_point(1, false),           encode_point(p - 1, false), encode_point(0, false),      encode_point(0, true),
        encode_point(y8, false),          encode_point(y8, true),     encode_point(p - y8, false), encode_point(p - y8, true),
        encode_point(p + 1, false) /* y = p + 1, the identity again */, encode_point(1, true) /* x = 0, sign set */,
    };
    for (const auto& raw : refused) {
        INFO("key " << escrow::hex::encode(raw));
        CHECK_THROWS_MATCHES(escrow::authority::officer_public_key::from_raw(raw), escrow::error,
                             escrow_test::has_errc(errc::bad_key));
    }
    // y = 2 and y = 7 are no curve points (x² is not a square); y = 3 is one, of large order.
    CHECK(strict::point_problem(encode_point(2, false)).value_or("") == "not a point on the curve");
    CHECK(strict::point_problem(encode_point(7, true)).value_or("") == "not a point on the curve");
    CHECK_FALSE(strict::point_problem(encode_point(3, false)).has_value());
    // A genuine key still registers.
    auto good = escrow::authority::officer_private_key::generate();
    CHECK_NOTHROW(escrow::authority::officer_public_key::from_raw(good.public_key().raw()));

    // The attack the review made: under the identity key, (R = identity, S = 0) verifies for any
    // message in Crypto++ alone. The key cannot be made into an officer key now.
    std::array<byte, 64> forged{};
    forged[0] = 1;  // R = encoding of the identity (y = 1)
    auto identity = encode_point(1, false);
    const std::string msg = "recover payroll.xlsx for mallory";
    CHECK(cryptopp_alone_verifies(identity, escrow::as_bytes(msg), forged));
    CHECK_THROWS(escrow::authority::officer_public_key::from_raw(identity));
}

TEST_CASE("finding: a signature with S + L in place of S does not verify (strict RFC 8032)") {
    auto key = escrow::authority::officer_private_key::generate();
    const std::string msg = "a recovery request";
    auto sig = key.sign(escrow::as_bytes(msg));
    REQUIRE(key.public_key().verify(escrow::as_bytes(msg), sig));
    // S + L, when it still fits 256 bits (it does unless S is near 2^256 − L; retry otherwise).
    CryptoPP::Integer s = strict::from_le(escrow::byte_view(sig.data() + 32, 32)) + strict::group_order();
    REQUIRE(s.BitCount() <= 256);
    auto malleated = sig;
    auto s_le = encode_point(s, false);  // little-endian, no sign bit involved (S < 2^253 + L)
    std::copy(s_le.begin(), s_le.end(), malleated.begin() + 32);
    CHECK(cryptopp_alone_verifies(key.public_key().raw(), escrow::as_bytes(msg), malleated));
    CHECK_FALSE(key.public_key().verify(escrow::as_bytes(msg), malleated));
}

TEST_CASE("Wycheproof Ed25519 verification vectors (ed25519_test.json)") {
    std::ifstream in(std::string(ESCROW_VECTORS_DIR) + "/wycheproof/ed25519_test.json");
    REQUIRE(in);
    auto doc = nlohmann::json::parse(in);
    int valid = 0, invalid = 0;
    for (const auto& g : doc["testGroups"]) {
        bytes pk = escrow::hex::decode(g["publicKey"]["pk"].get<std::string>());
        std::optional<escrow::authority::officer_public_key> key;
        try {
            key = escrow::authority::officer_public_key::from_raw(pk);
        } catch (const escrow::error&) {
        }
        for (const auto& t : g["tests"]) {
            INFO("tcId " << t["tcId"].get<int>() << ": " << t["comment"].get<std::string>());
            bytes m = escrow::hex::decode(t["msg"].get<std::string>());
            bytes sig = escrow::hex::decode(t["sig"].get<std::string>());
            bool ok = false;
            if (key && sig.size() == escrow::authority::ed25519_signature_size) {
                escrow::authority::ed25519_signature s{};
                std::copy(sig.begin(), sig.end(), s.begin());
                ok = key->verify(m, s);
            }
            if (t["result"] == "valid") {
                CHECK(ok);
                ++valid;
            } else {
                CHECK_FALSE(ok);
                ++invalid;
            }
        }
    }
    CHECK(valid == 88);
    CHECK(invalid == 63);
}

TEST_CASE("finding: decrypt_payload checks the header against its key (a relabelled file is refused)") {
    using escrow_test::keys;
    const bytes plain = escrow_test::pattern(100000, 7);
    escrow_test::encrypted e = escrow_test::encrypt(plain, keys().owner, {&keys().authority});
    escrow::native_encryptor enc;
    const escrow::session_key key = enc.recover_session_key(e.records.front(), keys().authority);

    // The header's description is in clear: rewrite it ("quarterly" -> "Quarterly"), MAC untouched.
    bytes relabelled = e.file;
    const std::string from = "quarterly report.xlsx";
    auto at = std::search(relabelled.begin(), relabelled.end(), from.begin(), from.end());
    REQUIRE(at != relabelled.end());
    *at = static_cast<byte>('Q');

    // read_header hands the forged field out, marked as unverified ...
    escrow::memory_source in(relabelled);
    const escrow::unverified<escrow::file_header> h = enc.read_header(in);
    CHECK(h.unverified_value().info.description == "Quarterly report.xlsx");
    // ... and decrypt_payload, given the file's real session key, refuses it before any output.
    escrow::memory_sink out;
    try {
        enc.decrypt_payload(in, out, key, h);
        FAIL("a header modified after encryption was accepted");
    } catch (const escrow::error& err) {
        CHECK(err.kind() == errc::authentication_failed);
        CHECK(std::string(err.what()).find("header authentication failed") != std::string::npos);
    }
    CHECK(out.data().empty());

    // The untouched file opens the same way.
    escrow::memory_source good(e.file);
    const auto h2 = enc.read_header(good);
    escrow::memory_sink out2;
    enc.decrypt_payload(good, out2, key, h2);
    CHECK(out2.data() == plain);
}
