// SPDX-License-Identifier: MIT
/// @file
/// Wycheproof known-answer tests through the primitives as the policies use them: AES-GCM (96-bit
/// IV groups), RSA-OAEP-SHA-256 2048 and 3072, HMAC-SHA-256 and HKDF-SHA-256. Invalid cases must fail.
/// RFC 9180's base-mode vector for HKDF-SHA256 and ChaCha20Poly1305 through detail/hpke.hpp.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include <escrow/detail/hpke.hpp>

#include "test_support.hpp"

using escrow::errc;
using json = nlohmann::json;

#ifndef ESCROW_VECTORS_DIR
#error "ESCROW_VECTORS_DIR must name the public test-vector folder"
#endif

namespace {

json load_vectors(const std::string& name) {
    const std::filesystem::path path = std::filesystem::path(ESCROW_VECTORS_DIR) / "wycheproof" / name;
    INFO("reading " << path.string());
    std::ifstream in(path);
    REQUIRE(in.good());
    json j = json::parse(in);
    REQUIRE(j.at("testGroups").is_array());
    return j;
}

escrow::bytes hex_field(const json& t, const char* name) { return escrow::hex::decode(t.at(name).get<std::string>()); }

bool same(escrow::byte_view a, escrow::byte_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

struct tally {
    std::size_t valid = 0, invalid = 0, skipped_tests = 0, skipped_groups = 0;
};

}  // namespace

TEST_CASE("Wycheproof AES-GCM vectors with 96-bit IVs pass through the chunk primitive",
          "[cipher][aes256_gcm_stream][wycheproof]") {
    const json j = load_vectors("aes_gcm_test.json");
    tally n;
    std::vector<int> failures;
    for (const auto& g : j.at("testGroups")) {
        if (g.at("ivSize").get<int>() != 96 || g.at("tagSize").get<int>() != 128) {
            ++n.skipped_groups;
            n.skipped_tests += g.at("tests").size();
            continue;
        }
        for (const auto& t : g.at("tests")) {
            const int id = t.at("tcId").get<int>();
            const std::string result = t.at("result").get<std::string>();
            REQUIRE((result == "valid" || result == "invalid"));
            const bool valid = result == "valid";
            auto key = hex_field(t, "key"), iv = hex_field(t, "iv"), aad = hex_field(t, "aad"), msg = hex_field(t, "msg");
            auto sealed = hex_field(t, "ct");
            escrow::append(sealed, hex_field(t, "tag"));
            REQUIRE(iv.size() == 12);
            escrow::cipher::detail::aes_gcm gcm(key);
            bool ok = true;
            if (valid) {
                escrow::bytes out(msg.size() + 16);
                gcm.seal(iv.data(), aad, msg, out.data());
                ok = ok && same(out, sealed);
            }
            escrow::bytes plain(sealed.size() >= 16 ? sealed.size() - 16 : 0);
            bool opened = gcm.open(iv.data(), aad, sealed, plain.data());
            if (valid) {
                ok = ok && opened && same(plain, msg);
                ++n.valid;
            } else {
                ok = ok && !opened;
                // A rejected chunk must not leave plaintext behind in the output buffer.
                ok = ok && std::all_of(plain.begin(), plain.end(), [](escrow::byte x) { return x == 0; });
                ++n.invalid;
            }
            if (!ok) failures.push_back(id);
        }
    }
    WARN("aes_gcm_test.json: " << n.valid << " valid and " << n.invalid << " invalid tests checked; "
                               << n.skipped_groups << " groups (" << n.skipped_tests << " tests) skipped for IV size");
    INFO("failing tcIds: " << ::Catch::Detail::stringify(failures));
    REQUIRE(failures.empty());
    REQUIRE(n.valid > 0);
    REQUIRE(n.invalid > 0);
    REQUIRE(n.skipped_groups > 0);
}

TEST_CASE("Wycheproof RSA-OAEP-SHA-256 vectors decrypt as the wrap policy uses them", "[wrap][rsa_oaep][wycheproof]") {
    const std::string file = GENERATE(as<std::string>{}, "rsa_oaep_2048_sha256_mgf1sha256_test.json",
                                      "rsa_oaep_3072_sha256_mgf1sha256_test.json");
    CAPTURE(file);
    const json j = load_vectors(file);
    tally n;
    std::size_t unwrap_checked = 0;
    std::vector<int> failures;
    for (const auto& g : j.at("testGroups")) {
        REQUIRE(g.at("sha").get<std::string>() == "SHA-256");
        REQUIRE(g.at("mgfSha").get<std::string>() == "SHA-256");
        const auto priv = escrow::rsa_private_key::from_der(hex_field(g, "privateKeyPkcs8"));
        // The PEM form of the same key loads to the same modulus.
        const auto priv_pem = escrow::rsa_private_key::load(escrow::as_bytes(g.at("privateKeyPem").get<std::string>()));
        REQUIRE(priv_pem.cryptopp().GetModulus() == priv.cryptopp().GetModulus());
        REQUIRE(priv.bits() == g.at("keySize").get<unsigned>());
        for (const auto& t : g.at("tests")) {
            const int id = t.at("tcId").get<int>();
            const std::string result = t.at("result").get<std::string>();
            REQUIRE((result == "valid" || result == "invalid"));
            const bool valid = result == "valid";
            const auto ct = hex_field(t, "ct"), msg = hex_field(t, "msg"), label = hex_field(t, "label");
            auto got = escrow::detail::rsa_oaep_sha256_decrypt(priv, ct, label);
            bool ok = valid ? got.has_value() && same(got->unsafe_bytes(), msg) : !got.has_value();
            if (label.empty()) {
                // The wrap policy (empty label) agrees with the primitive.
                auto w = escrow::wrap::rsa_oaep_sha256::unwrap(escrow::wrapped_key{{}, ct}, priv);
                ok = ok && w.has_value() == got.has_value();
                if (w && got) ok = ok && escrow::constant_time_equal(*w, *got);
                ++unwrap_checked;
            }
            (valid ? n.valid : n.invalid)++;
            if (!ok) failures.push_back(id);
        }
    }
    WARN(file << ": " << n.valid << " valid and " << n.invalid << " invalid tests checked, " << unwrap_checked
              << " of them also through wrap::rsa_oaep_sha256::unwrap");
    INFO("failing tcIds: " << ::Catch::Detail::stringify(failures));
    REQUIRE(failures.empty());
    REQUIRE(n.valid > 0);
    REQUIRE(n.invalid > 0);
    REQUIRE(unwrap_checked > 0);
}

TEST_CASE("Wycheproof HMAC-SHA-256 vectors pass through the header and record MAC primitive",
          "[core][hmac][wycheproof]") {
    const json j = load_vectors("hmac_sha256_test.json");
    tally n;
    std::vector<int> failures;
    for (const auto& g : j.at("testGroups")) {
        const std::size_t tag_bytes = g.at("tagSize").get<std::size_t>() / 8;
        for (const auto& t : g.at("tests")) {
            const bool valid = t.at("result").get<std::string>() == "valid";
            auto key = hex_field(t, "key"), msg = hex_field(t, "msg"), tag = hex_field(t, "tag");
            auto mac = escrow::hmac_sha256(key, msg);
            bool match = tag.size() == tag_bytes && escrow::constant_time_equal(escrow::byte_view(mac).first(tag_bytes), tag);
            if (match != valid) failures.push_back(t.at("tcId").get<int>());
            (valid ? n.valid : n.invalid)++;
        }
    }
    WARN("hmac_sha256_test.json: " << n.valid << " valid and " << n.invalid << " invalid tests checked");
    INFO("failing tcIds: " << ::Catch::Detail::stringify(failures));
    REQUIRE(failures.empty());
    REQUIRE(n.valid > 0);
    REQUIRE(n.invalid > 0);
}

TEST_CASE("Wycheproof HKDF-SHA-256 vectors pass through the key derivation", "[core][hkdf][wycheproof]") {
    const json j = load_vectors("hkdf_sha256_test.json");
    tally n;
    std::vector<int> failures;
    for (const auto& g : j.at("testGroups")) {
        for (const auto& t : g.at("tests")) {
            const bool valid = t.at("result").get<std::string>() == "valid";
            auto ikm = hex_field(t, "ikm"), salt = hex_field(t, "salt"), info = hex_field(t, "info");
            const std::size_t size = t.at("size").get<std::size_t>();
            bool ok;
            try {
                auto okm = escrow::hkdf_sha256(ikm, salt, escrow::byte_view(info), size);
                ok = valid && escrow::constant_time_equal(okm.unsafe_bytes(), hex_field(t, "okm"));
            } catch (const escrow::error& e) {
                ok = !valid && e.code() == errc::invalid_argument;
            }
            if (!ok) failures.push_back(t.at("tcId").get<int>());
            (valid ? n.valid : n.invalid)++;
        }
    }
    WARN("hkdf_sha256_test.json: " << n.valid << " valid and " << n.invalid << " invalid tests checked");
    INFO("failing tcIds: " << ::Catch::Detail::stringify(failures));
    REQUIRE(failures.empty());
    REQUIRE(n.valid > 0);
    REQUIRE(n.invalid > 0);
}

TEST_CASE("The STREAM chunk nonce is an 11-byte big-endian counter and a final flag",
          "[cipher][aes256_gcm_stream]") {
    auto n = escrow::detail::stream_nonce(0x0102030405060708ull, true);
    const std::array<escrow::byte, 12> expected = {0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1};
    CHECK(n == expected);
    CHECK(escrow::detail::stream_nonce(0, false) == std::array<escrow::byte, 12>{});
    // Sealing chunk i as final and opening it as non-final (or as another index) fails.
    auto key = escrow::session_key::generate(32);
    escrow::bytes salt = escrow_test::pattern(32, 1);
    escrow::cipher::aes256_gcm_stream::sealer s(key, salt);
    escrow::cipher::aes256_gcm_stream::opener o(key, salt);
    escrow::bytes plain = escrow_test::pattern(100, 2), sealed(116), out(116);
    REQUIRE(s.seal(3, plain, true, sealed) == 116);
    CHECK_ESCROW_ERROR((void)o.open(3, sealed, false, out), errc::authentication_failed);
    CHECK_ESCROW_ERROR((void)o.open(2, sealed, true, out), errc::authentication_failed);
    REQUIRE(o.open(3, sealed, true, out) == 100);
    CHECK(same(escrow::byte_view(out).first(100), plain));
    // Another salt is another payload key.
    escrow::cipher::aes256_gcm_stream::opener other(key, escrow_test::pattern(32, 3));
    CHECK_ESCROW_ERROR((void)other.open(3, sealed, true, out), errc::authentication_failed);
}

TEST_CASE("HPKE's base-mode key schedule and first message match RFC 9180 A.2.1 (HKDF-SHA256, ChaCha20Poly1305)",
          "[core][hpke][rfc9180]") {
    namespace hpke = escrow::detail::hpke;
    const std::filesystem::path path = std::filesystem::path(ESCROW_VECTORS_DIR) / "hpke" / "rfc9180_a2_1_base.json";
    INFO("reading " << path.string());
    std::ifstream in(path);
    REQUIRE(in.good());
    const json j = json::parse(in);
    const json& setup = j.at("setup");
    const json& enc = j.at("encryption");
    REQUIRE(setup.at("mode").get<std::string>() == "0");
    REQUIRE(setup.at("kdf_id").get<std::string>() == std::to_string(hpke::kdf_hkdf_sha256));
    REQUIRE(setup.at("aead_id").get<std::string>() == std::to_string(hpke::aead_chacha20_poly1305));
    REQUIRE(enc.at("sequence number").get<std::string>() == "0");
    const auto kem_id = static_cast<std::uint16_t>(std::stoi(setup.at("kem_id").get<std::string>()));
    const escrow::bytes shared = hex_field(setup, "shared_secret"), info = hex_field(setup, "info");

    // The intermediate values of the schedule, through the labeled functions.
    const hpke::suite_id suite = hpke::suite_for(kem_id);
    const auto psk_id_hash = hpke::labeled_extract(suite, {}, "psk_id_hash", {});
    const auto info_hash = hpke::labeled_extract(suite, {}, "info_hash", info);
    escrow::bytes context{0};
    context.insert(context.end(), psk_id_hash.unsafe_bytes().begin(), psk_id_hash.unsafe_bytes().end());
    context.insert(context.end(), info_hash.unsafe_bytes().begin(), info_hash.unsafe_bytes().end());
    CHECK(same(context, hex_field(setup, "key_schedule_context")));
    CHECK(same(hpke::labeled_extract(suite, shared, "secret", {}).unsafe_bytes(), hex_field(setup, "secret")));

    const hpke::context c = hpke::key_schedule_base(kem_id, shared, info);
    CHECK(same(c.key.unsafe_bytes(), hex_field(setup, "key")));
    CHECK(same(c.base_nonce, hex_field(setup, "base_nonce")));
    CHECK(same(c.base_nonce, hex_field(enc, "nonce")));
    CHECK(same(c.exporter_secret.unsafe_bytes(), hex_field(setup, "exporter_secret")));

    const escrow::bytes pt = hex_field(enc, "pt"), aad = hex_field(enc, "aad"), ct = hex_field(enc, "ct");
    CHECK(same(hpke::seal_first(c, aad, pt), ct));
    escrow::bytes out(pt.size());
    REQUIRE(hpke::open_first(c, aad, ct, out));
    CHECK(same(out, pt));

    // Every flipped bit of the ciphertext, a changed aad, another info or shared secret fail to open.
    for (std::size_t i = 0; i < ct.size() * 8; ++i) {
        escrow::bytes bad = ct;
        bad[i / 8] ^= static_cast<escrow::byte>(1u << (i % 8));
        CHECK_FALSE(hpke::open_first(c, aad, bad, out));
    }
    CHECK_FALSE(hpke::open_first(c, {}, ct, out));
    escrow::bytes other_shared = shared;
    other_shared[0] ^= 1;
    CHECK_FALSE(hpke::open_first(hpke::key_schedule_base(kem_id, other_shared, info), aad, ct, out));
    CHECK_FALSE(hpke::open_first(hpke::key_schedule_base(kem_id, shared, {}), aad, ct, out));
    CHECK_FALSE(hpke::open_first(hpke::key_schedule_base(0x647a, shared, info), aad, ct, out));
    CHECK_FALSE(hpke::open_first(c, aad, escrow::byte_view(ct).first(15), out));
    // L enters the labeled info (another length, another prefix); lengths HKDF cannot give are refused.
    const auto long_out = hpke::labeled_expand(suite, shared, "x", {}, 100);
    CHECK_FALSE(same(long_out.unsafe_bytes().first(32), hpke::labeled_expand(suite, shared, "x", {}, 32).unsafe_bytes()));
    CHECK_ESCROW_ERROR((void)hpke::labeled_expand(suite, shared, "x", {}, 255 * 32 + 1), errc::invalid_argument);
}
