// SPDX-License-Identifier: MIT
/// @file
/// Tampering: every bit flip of a small file, truncation at chunk boundaries and inside the header,
/// appended bytes, and every change to an escrow record and its binary encoding.
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using escrow::errc;
using namespace escrow_test;

namespace {

constexpr std::size_t sealed_chunk = 65536 + 16;

/// Outcome of one decryption attempt on modified input.
struct attempt {
    bool threw_escrow_error = false;
    bool threw_other = false;
    escrow::errc code{};
    std::size_t bytes_written = 0;
};

template <class Decrypt>
attempt try_decrypt(escrow::byte_view file, Decrypt&& d) {
    escrow::memory_source in(file);
    escrow::memory_sink out;
    attempt a;
    try {
        d(in, out);
    } catch (const escrow::error& e) {
        a.threw_escrow_error = true;
        a.code = e.kind();
    } catch (...) {
        a.threw_other = true;
    }
    a.bytes_written = out.data().size();
    return a;
}

bool is_prefix_of(escrow::byte_view prefix, escrow::byte_view whole) {
    return prefix.size() <= whole.size() && std::equal(prefix.begin(), prefix.end(), whole.begin());
}

}  // namespace

TEST_CASE("Every single-bit flip of a small encrypted file is rejected and releases no plaintext",
          "[host][native][tamper]") {
    const auto& k = keys();
    const escrow::bytes plain = pattern(100, 31);
    const encrypted e = encrypt(plain, k.owner, {&k.authority});
    const std::size_t hsize = header_size(e.file);
    REQUIRE(e.file.size() == hsize + 100 + 16);
    escrow::native_encryptor enc;
    const escrow::session_key sk = enc.recover_session_key(e.records.front(), k.authority);

    // Sanity: the untouched file opens on both paths.
    REQUIRE(decrypt(e.file, k.owner) == plain);

    std::vector<std::size_t> accepted_owner, leaked_owner, accepted_session, leaked_session;
    std::size_t rejected_owner = 0, rejected_session = 0, header_bits = 0, payload_bits = 0;
    auto t0 = std::chrono::steady_clock::now();
    escrow::bytes f = e.file;
    for (std::size_t bit = 0; bit < f.size() * 8; ++bit) {
        (bit / 8 < hsize ? header_bits : payload_bits)++;
        f[bit / 8] ^= static_cast<escrow::byte>(1u << (bit % 8));
        // The owner's path: private key, header blobs, header MAC, payload.
        attempt a = try_decrypt(f, [&](auto& in, auto& out) { enc.decrypt(in, out, k.owner); });
        if (a.threw_escrow_error) ++rejected_owner; else accepted_owner.push_back(bit);
        if (a.bytes_written) leaked_owner.push_back(bit);
        // The authority's path with a recovered session key (header MAC, then payload).
        attempt b = try_decrypt(f, [&](auto& in, auto& out) { enc.decrypt_with_session_key(in, out, sk); });
        if (b.threw_escrow_error) ++rejected_session; else accepted_session.push_back(bit);
        if (b.bytes_written) leaked_session.push_back(bit);
        f[bit / 8] ^= static_cast<escrow::byte>(1u << (bit % 8));
    }
    const double secs = seconds_since(t0);
    WARN("bit flips: " << f.size() * 8 << " bits (" << header_bits << " header, " << payload_bits
                       << " payload), owner path rejected " << rejected_owner << ", session-key path rejected "
                       << rejected_session << ", in " << secs << " s");
    CHECK(header_bits == hsize * 8);
    CHECK(payload_bits == 116 * 8);
    REQUIRE(accepted_owner.empty());
    REQUIRE(leaked_owner.empty());
    REQUIRE(accepted_session.empty());
    REQUIRE(leaked_session.empty());
    REQUIRE(rejected_owner == f.size() * 8);
    REQUIRE(rejected_session == f.size() * 8);
}

TEST_CASE("A file truncated anywhere inside its header is rejected with nothing written",
          "[host][native][truncation]") {
    const auto& k = keys();
    const escrow::bytes plain = pattern(3 * 65536 + 100, 32);
    const encrypted e = encrypt(plain, k.owner, {&k.authority});
    const std::size_t hsize = header_size(e.file);
    escrow::native_encryptor enc;
    const escrow::session_key sk = enc.recover_session_key(e.records.front(), k.authority);

    std::vector<std::size_t> accepted, leaked;
    for (std::size_t len = 0; len <= hsize; ++len) {
        escrow::byte_view cut = escrow::byte_view(e.file).first(len);
        attempt a = try_decrypt(cut, [&](auto& in, auto& out) { enc.decrypt(in, out, k.owner); });
        attempt b = try_decrypt(cut, [&](auto& in, auto& out) { enc.decrypt_with_session_key(in, out, sk); });
        if (!a.threw_escrow_error || !b.threw_escrow_error) accepted.push_back(len);
        if (a.bytes_written || b.bytes_written) leaked.push_back(len);
        if (len == hsize) {
            // The header is whole but the payload is missing.
            CHECK(a.code == errc::truncated);
            CHECK(b.code == errc::truncated);
        } else if (len >= 24) {
            CHECK(a.code == errc::truncated);
        }
    }
    INFO("header size " << hsize);
    REQUIRE(accepted.empty());
    REQUIRE(leaked.empty());
}

TEST_CASE("A multi-chunk file truncated at each chunk boundary is rejected", "[host][native][truncation]") {
    const auto& k = keys();
    const std::size_t plain_size = GENERATE(as<std::size_t>{}, 3 * 65536 + 100, 2 * 65536);
    CAPTURE(plain_size);
    const escrow::bytes plain = pattern(plain_size, 33);
    const encrypted e = encrypt(plain, k.owner, {&k.authority});
    const std::size_t hsize = header_size(e.file);
    const std::size_t chunks = (plain_size + 65535) / 65536;
    REQUIRE(decrypt(e.file, k.owner) == plain);

    std::vector<std::size_t> cuts;
    for (std::size_t c = 0; c < chunks; ++c) {
        std::size_t boundary = hsize + c * sealed_chunk;  // the start of chunk c
        cuts.push_back(boundary);
        cuts.push_back(boundary + 1);
        if (c > 0) cuts.push_back(boundary - 1);
    }
    cuts.push_back(e.file.size() - 1);
    cuts.push_back(e.file.size() - 16);  // the last tag dropped
    for (std::size_t len : cuts) {
        const std::size_t chunk_index = (len - hsize) / sealed_chunk, offset_in_chunk = (len - hsize) % sealed_chunk;
        CAPTURE(len, chunk_index, offset_in_chunk);
        attempt a = try_decrypt(escrow::byte_view(e.file).first(len),
                                [&](auto& in, auto& out) { escrow::native_encryptor().decrypt(in, out, k.owner); });
        REQUIRE(a.threw_escrow_error);
        if (len == hsize) CHECK(a.code == errc::truncated);
        // What was released before the failure is authenticated plaintext, and never all of it.
        REQUIRE(a.bytes_written < plain.size());
    }
}

TEST_CASE("Bytes appended to an encrypted file are rejected", "[host][native][tamper]") {
    const auto& k = keys();
    const std::size_t plain_size = GENERATE(as<std::size_t>{}, 100, 3 * 65536 + 100, 2 * 65536);
    CAPTURE(plain_size);
    const escrow::bytes plain = pattern(plain_size, 34);
    const encrypted e = encrypt(plain, k.owner, {&k.authority});
    const std::size_t extra = GENERATE(as<std::size_t>{}, 1, 17, sealed_chunk);
    CAPTURE(extra);
    escrow::bytes f = e.file;
    escrow::bytes junk(extra);
    escrow::default_random().fill(junk);
    escrow::append(f, junk);
    escrow::memory_source in(f);
    escrow::memory_sink out;
    REQUIRE_THROWS_AS(escrow::native_encryptor().decrypt(in, out, k.owner), escrow::error);
    REQUIRE(out.data().size() < plain.size());
    REQUIRE(is_prefix_of(out.data(), plain));
}

// ---- escrow records ------------------------------------------------------------------------------

TEST_CASE("A changed field of an escrow record is detected by recover_session_key", "[record][native][tamper]") {
    const auto& k = keys();
    const escrow::bytes plain = pattern(1000, 41);
    const encrypted e = encrypt(plain, k.owner, {&k.authority});
    const escrow::escrow_record rec = e.records.front();
    escrow::native_encryptor enc;
    REQUIRE_NOTHROW(enc.recover_session_key(rec, k.authority));

    // Each change is checked on the struct and after a trip through the binary encoding.
    auto check = [&](const escrow::escrow_record& changed, errc expected) {
        CHECK_ESCROW_ERROR(enc.recover_session_key(changed, k.authority), expected);
        escrow::escrow_record decoded = escrow::escrow_record::decode(changed.encode());
        CHECK_ESCROW_ERROR(enc.recover_session_key(decoded, k.authority), expected);
        escrow::memory_source in(e.file);
        escrow::memory_sink out;
        CHECK_ESCROW_ERROR(enc.decrypt_with_record(in, out, decoded, k.authority), expected);
        CHECK(out.data().empty());
    };
    escrow::escrow_record r = rec;
    SECTION("serial") { r.info.serial[0] ^= 1; check(r, errc::authentication_failed); }
    SECTION("description") { r.info.description += "!"; check(r, errc::authentication_failed); }
    SECTION("owner") { r.info.owner = "mallory@example.org"; check(r, errc::authentication_failed); }
    SECTION("creation time") { r.info.created += 1; check(r, errc::authentication_failed); }
    SECTION("cipher id") { r.cipher_id = escrow::cipher::chacha20_poly1305_stream::id; check(r, errc::unknown_policy_id); }
    SECTION("wrap id") { r.wrap_id = escrow::wrap::x25519::id; check(r, errc::unknown_policy_id); }
    SECTION("store id") { r.store_id = escrow::store::age::id; check(r, errc::unknown_policy_id); }
    SECTION("authority fingerprint") { r.authority_fingerprint[5] ^= 0x40; check(r, errc::bad_key); }
    SECTION("wrapped key, one bit") { r.wrapped_key.back() ^= 1; check(r, errc::authentication_failed); }
    SECTION("wrapped key, replaced by the wrapped key of another file for the same authority") {
        const encrypted other = encrypt(plain, k.owner, {&k.authority});
        r.wrapped_key = other.records.front().wrapped_key;
        check(r, errc::authentication_failed);  // unwraps fine, but the MAC binds the record to its key
    }
    SECTION("MAC") { r.mac[0] ^= 0x80; check(r, errc::authentication_failed); }
    SECTION("wrapped key framing") {
        r.wrapped_key.push_back(0);  // the native blob then has a trailing byte
        CHECK_ESCROW_ERROR(enc.recover_session_key(r, k.authority), errc::trailing_data);
    }
}

TEST_CASE("Every single-bit flip of an encoded escrow record is rejected by decode or by recovery",
          "[record][native][tamper]") {
    const auto& k = keys();
    const encrypted e = encrypt(pattern(10, 42), k.owner, {&k.authority});
    const escrow::bytes enc_rec = e.records.front().encode();
    escrow::native_encryptor enc;
    std::vector<std::size_t> accepted;
    std::size_t by_decode = 0, by_recovery = 0;
    auto t0 = std::chrono::steady_clock::now();
    escrow::bytes b = enc_rec;
    for (std::size_t bit = 0; bit < b.size() * 8; ++bit) {
        b[bit / 8] ^= static_cast<escrow::byte>(1u << (bit % 8));
        try {
            auto r = escrow::escrow_record::decode(b);
            try {
                (void)enc.recover_session_key(r, k.authority);
                accepted.push_back(bit);
            } catch (const escrow::error&) {
                ++by_recovery;
            }
        } catch (const escrow::error&) {
            ++by_decode;
        }
        b[bit / 8] ^= static_cast<escrow::byte>(1u << (bit % 8));
    }
    WARN("record bit flips: " << b.size() * 8 << " bits, " << by_decode << " rejected by decode, " << by_recovery
                              << " by recover_session_key, in " << seconds_since(t0) << " s");
    REQUIRE(accepted.empty());
    REQUIRE(by_decode + by_recovery == b.size() * 8);
    REQUIRE(by_decode > 0);
    REQUIRE(by_recovery > 0);
}

TEST_CASE("escrow_record::decode round-trips and rejects malformed encodings", "[record][native]") {
    const auto& k = keys();
    const encrypted e = encrypt(pattern(10, 43), k.owner, {&k.authority});
    const escrow::escrow_record& rec = e.records.front();
    const escrow::bytes good = rec.encode();

    SECTION("a round trip keeps every field") {
        auto r = escrow::escrow_record::decode(good);
        CHECK(r.info.serial == rec.info.serial);
        CHECK(r.info.description == rec.info.description);
        CHECK(r.info.owner == rec.info.owner);
        CHECK(r.info.created == rec.info.created);
        CHECK(r.cipher_id == rec.cipher_id);
        CHECK(r.wrap_id == rec.wrap_id);
        CHECK(r.store_id == rec.store_id);
        CHECK(r.authority_fingerprint == rec.authority_fingerprint);
        CHECK(r.wrapped_key == rec.wrapped_key);
        CHECK(r.mac == rec.mac);
        CHECK(r.encode() == good);
    }
    SECTION("garbage") {
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(escrow::as_bytes("hello, world")), errc::malformed_blob);
        escrow::bytes noise(600);
        escrow::default_random().fill(noise);
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(noise), errc::malformed_blob);
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(escrow::bytes{}), errc::malformed_blob);
    }
    SECTION("a truncated encoding, at every length") {
        std::vector<std::size_t> accepted;
        for (std::size_t len = 0; len < good.size(); ++len) {
            try {
                (void)escrow::escrow_record::decode(escrow::byte_view(good).first(len));
                accepted.push_back(len);
            } catch (const escrow::error& err) {
                CAPTURE(len, err.what());
                CHECK(err.code() == errc::malformed_blob);
            }
        }
        REQUIRE(accepted.empty());
    }
    SECTION("trailing bytes") {
        escrow::bytes b = good;
        b.push_back(0);
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::trailing_data);
        b.insert(b.end(), 100, 0x41);
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::trailing_data);
    }
    SECTION("a bad magic") {
        escrow::bytes b = good;
        b[3] ^= 0x20;
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::malformed_blob);
    }
    SECTION("an unknown version") {
        escrow::bytes b = good;
        b[8] = 3;  // version 2 is the share record of a k-of-n file
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::unsupported_version);
        b[8] = 1;
        b[9] = 1;  // version 257
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::unsupported_version);
    }
    SECTION("an encoding over the size bound") {
        escrow::bytes b = good;
        b.resize(81 * 1024, 0);
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::limit_exceeded);
    }
    SECTION("a wrapped-key length over the bound") {
        // The length field sits right before the wrapped key and the 32-byte MAC.
        escrow::bytes b = good;
        std::size_t at = b.size() - 32 - rec.wrapped_key.size() - 4;
        REQUIRE(escrow::le::get<std::uint32_t>(b.data() + at) == rec.wrapped_key.size());
        b[at + 2] = 0x01;  // 64 KiB + original
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::malformed_blob);
        b[at + 3] = 0xFF;
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::malformed_blob);
    }
    SECTION("a serial that encode would refuse (a space in it)") {
        escrow::bytes b = good;
        b[13] = ' ';  // second serial character
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::malformed_blob);
    }
    SECTION("a non-printable serial") {
        escrow::bytes b = good;
        b[12] = 0x07;  // first serial character (after magic, version, serial length)
        CHECK_ESCROW_ERROR(escrow::escrow_record::decode(b), errc::malformed_blob);
    }
}

TEST_CASE("An escrow record's JSON rendering holds its serial and escapes quotes and controls",
          "[record][native][json]") {
    const auto& k = keys();
    escrow::key_info info = sample_info("SER-42/\"x\"");
    info.description = std::string("He said \"hi\"\\ then\nleft\t\x01\x1f end");
    info.owner = "o\"wner\r";
    const encrypted e = encrypt(pattern(10, 44), k.owner, {&k.authority}, info);
    const std::string json = e.records.front().to_json();
    INFO(json);
    CHECK(json.find("SER-42/\\\"x\\\"") != std::string::npos);
    CHECK(json.find("He said \\\"hi\\\"\\\\ then\\nleft\\t\\u0001\\u001f end") != std::string::npos);
    // No raw control character escapes into the text except the layout newlines.
    CHECK(std::none_of(json.begin(), json.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\n'; }));

    // A JSON parser reads back the exact strings.
    auto j = nlohmann::json::parse(json);
    CHECK(j.at("serial").get<std::string>() == info.serial);
    CHECK(j.at("description").get<std::string>() == info.description);
    CHECK(j.at("owner").get<std::string>() == info.owner);
    CHECK(j.at("created").get<std::uint64_t>() == info.created);
    CHECK(j.at("format").get<std::string>() == "escrow-record");
    CHECK(j.at("cipher").at("name").get<std::string>() == "aes256-gcm-stream");
    CHECK(j.at("wrap").at("id").get<std::string>() == "0x0201");
    CHECK(j.at("authority_fingerprint").get<std::string>() ==
          escrow::hex::encode(k.authority.public_key().fingerprint()));
    CHECK(escrow::base64::decode(j.at("wrapped_key").get<std::string>()) == e.records.front().wrapped_key);
}
