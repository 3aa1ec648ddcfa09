// SPDX-License-Identifier: MIT
/// @file
/// Core pieces: encodings (base64, PEM, hex, little-endian), errors, secrets, constant-time
/// comparison, atomic_file_sink, RSA key bounds and key files.
#include <concepts>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <sys/stat.h>

#include <escrow/core/posix_file.hpp>

#include "test_support.hpp"

using escrow::errc;
using namespace escrow_test;

namespace {

escrow::bytes b(std::string_view s) {
    auto v = escrow::as_bytes(s);
    return {v.begin(), v.end()};
}

/// A fresh empty directory, removed with everything in it at the end of the scope.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        escrow::byte rnd[8];
        escrow::default_random().fill(rnd);
        path = std::filesystem::temp_directory_path() / ("escrow-unit-" + escrow::hex::encode(rnd));
        std::filesystem::create_directory(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::size_t entries() const {
        return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path), {}));
    }
};

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_text(const std::filesystem::path& p, std::string_view s) {
    std::ofstream out(p, std::ios::binary);
    out << s;
}

}  // namespace

// ---- base64 ------------------------------------------------------------------------------------

TEST_CASE("base64 encodes the RFC 4648 test vectors, padded and unpadded", "[core][base64]") {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"}};
    for (auto [plain, encoded] : vectors) {
        CAPTURE(plain);
        std::string unpadded = encoded;
        unpadded.erase(unpadded.find_last_not_of('=') + 1);
        CHECK(escrow::base64::encode(b(plain)) == encoded);
        CHECK(escrow::base64::encode(b(plain), false) == unpadded);
        CHECK(escrow::base64::decode(encoded) == b(plain));
        CHECK(escrow::base64::decode(unpadded, false) == b(plain));
    }
}

TEST_CASE("base64 round-trips every length and every byte value", "[core][base64]") {
    for (std::size_t n = 0; n < 300; ++n) {
        CAPTURE(n);
        escrow::bytes data = pattern(n, n);
        for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<escrow::byte>(data[i] ^ i);
        REQUIRE(escrow::base64::decode(escrow::base64::encode(data)) == data);
        REQUIRE(escrow::base64::decode(escrow::base64::encode(data, false), false) == data);
    }
}

TEST_CASE("base64 decoding is strict", "[core][base64]") {
    using escrow::base64::decode;
    SECTION("non-canonical trailing bits are rejected") {
        CHECK_ESCROW_ERROR(decode("Zh=="), errc::invalid_argument);   // canonical: Zg==
        CHECK_ESCROW_ERROR(decode("Zm9="), errc::invalid_argument);   // canonical: Zm8=
        CHECK_ESCROW_ERROR(decode("Zh", false), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("Zm9", false), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("Zm9vYh==" ), errc::invalid_argument);
    }
    SECTION("padding must be exactly as asked") {
        CHECK_ESCROW_ERROR(decode("Zg"), errc::invalid_argument);           // padded form needs '='
        CHECK_ESCROW_ERROR(decode("Zg="), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("Zg==", false), errc::invalid_argument);  // unpadded form refuses '='
        CHECK_ESCROW_ERROR(decode("Zm8=", false), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("Z==="), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("===="), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("Zg=a"), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("Zg==Zg=="), errc::invalid_argument);     // padding in the middle
        CHECK_ESCROW_ERROR(decode("Z", false), errc::invalid_argument);     // impossible length
        CHECK_ESCROW_ERROR(decode("Zm9vY", false), errc::invalid_argument);
    }
    SECTION("characters outside the alphabet, whitespace included, are rejected") {
        CHECK_ESCROW_ERROR(decode("Zm9v YmFy"), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("Zm9v\nYmFy", false), errc::invalid_argument);
        CHECK_ESCROW_ERROR(decode("Zm9-"), errc::invalid_argument);  // base64url, not standard
        CHECK_ESCROW_ERROR(decode("Zm9_", false), errc::invalid_argument);
    }
}

// ---- PEM ---------------------------------------------------------------------------------------

TEST_CASE("PEM encodes in 64-column lines and decodes back", "[core][pem]") {
    const escrow::bytes der = pattern(200, 5);
    const std::string text = escrow::pem::encode("TEST DATA", der);
    CHECK(text.rfind("-----BEGIN TEST DATA-----\n", 0) == 0);
    CHECK(text.find("-----END TEST DATA-----\n") == text.size() - 24);
    std::size_t line_start = text.find('\n') + 1;
    std::size_t first_line = text.find('\n', line_start) - line_start;
    CHECK(first_line == 64);
    CHECK(escrow::pem::looks_like_pem("  \n" + text));
    CHECK(!escrow::pem::looks_like_pem("MIIB"));

    auto blk = escrow::pem::decode(text);
    CHECK(blk.label == "TEST DATA");
    CHECK(blk.der == der);
    // Text before BEGIN is ignored; CRLF line ends are accepted; whitespace may follow END.
    std::string crlf;
    for (char c : text) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    CHECK(escrow::pem::decode("comment line\n" + crlf + "\n  \n").der == der);
}

TEST_CASE("PEM decoding rejects a mismatched END label and other damage", "[core][pem]") {
    const std::string text = escrow::pem::encode("PRIVATE KEY", pattern(50, 6));
    std::string wrong_end = text;
    wrong_end.replace(wrong_end.find("END PRIVATE KEY"), 15, "END PUBLIC KEY");
    CHECK_ESCROW_ERROR(escrow::pem::decode(wrong_end), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::pem::decode(text.substr(0, text.find("-----END"))), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::pem::decode(text + "trailing garbage\n"), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::pem::decode("no pem here"), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::pem::decode("-----BEGIN PRIVATE KEY"), errc::bad_key);
    std::string bad_body = text;
    bad_body[bad_body.find('\n') + 3] = '*';
    CHECK_ESCROW_ERROR(escrow::pem::decode(bad_body), errc::bad_key);
}

// ---- hex and integers ------------------------------------------------------------------------

TEST_CASE("hex encodes lower case and decodes either case, strictly", "[core][hex]") {
    const escrow::bytes data = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    CHECK(escrow::hex::encode(data) == "00017f80abff");
    CHECK(escrow::hex::decode("00017f80abff") == data);
    CHECK(escrow::hex::decode("00017F80ABFF") == data);
    CHECK(escrow::hex::decode("").empty());
    CHECK_ESCROW_ERROR(escrow::hex::decode("abc"), errc::invalid_argument);
    CHECK_ESCROW_ERROR(escrow::hex::decode("zz"), errc::invalid_argument);
    CHECK_ESCROW_ERROR(escrow::hex::decode("0g"), errc::invalid_argument);
    for (std::size_t n = 0; n < 64; ++n) {
        auto d = pattern(n, 9);
        REQUIRE(escrow::hex::decode(escrow::hex::encode(d)) == d);
    }
}

TEST_CASE("Little- and big-endian helpers put and get in the documented byte order", "[core][encoding]") {
    escrow::bytes out;
    escrow::le::put<std::uint32_t>(out, 0x11223344u);
    escrow::be::put<std::uint16_t>(out, 0xA1B2u);
    REQUIRE(out == escrow::bytes{0x44, 0x33, 0x22, 0x11, 0xA1, 0xB2});
    CHECK(escrow::le::get<std::uint32_t>(out.data()) == 0x11223344u);
    CHECK(escrow::be::get<std::uint16_t>(out.data() + 4) == 0xA1B2u);
    escrow::bytes w;
    escrow::le::put<std::uint64_t>(w, 0x0102030405060708ull);
    CHECK(escrow::le::get<std::uint64_t>(w.data()) == 0x0102030405060708ull);
    CHECK(w.front() == 0x08);
}

// ---- errors ------------------------------------------------------------------------------------

TEST_CASE("escrow::error carries its code and a message starting with the stable tag", "[core][error]") {
    for (errc code : escrow::all_errc) {
        CAPTURE(static_cast<int>(code));
        escrow::error e(code, "what was expected");
        std::string expected = "[escrow." + std::string(escrow::tag(code)) + "] what was expected";
        CHECK(std::string(e.what()) == expected);
        CHECK(e.code() == code);
        CHECK(e.kind() == code);
        CHECK(e.code().category().name() == std::string("escrow"));
        CHECK(e.code().message() == escrow::tag(code));
        CHECK(escrow::tag(code) != "unknown");
    }
    // It is a std::system_error, so generic handlers catch it.
    REQUIRE_THROWS_AS(throw escrow::error(errc::bad_key, "x"), std::system_error);
    std::error_code ec = errc::truncated;
    CHECK(ec == errc::truncated);
    CHECK(ec != errc::bad_key);
}

// ---- secrets -----------------------------------------------------------------------------------

static_assert(!std::equality_comparable<escrow::session_key>, "secrets must not be comparable with ==");
static_assert(!std::equality_comparable<escrow::derived_key>, "secrets must not be comparable with ==");
static_assert(!std::is_convertible_v<escrow::session_key, escrow::derived_key>, "secret kinds must not mix");

TEST_CASE("Secrets hold their bytes, compare only in constant time, and are fresh when generated",
          "[core][secret]") {
    const escrow::bytes raw = pattern(32, 7);
    auto s = escrow::session_key::from_unsafe_bytes(raw);
    CHECK(s.size() == 32);
    CHECK(!s.empty());
    CHECK(std::equal(raw.begin(), raw.end(), s.unsafe_bytes().begin()));
    auto t = escrow::session_key::from_unsafe_bytes(raw);
    CHECK(escrow::constant_time_equal(s, t));
    t.unsafe_mutable_bytes()[31] ^= 1;
    CHECK(!escrow::constant_time_equal(s, t));
    auto g1 = escrow::session_key::generate(32), g2 = escrow::session_key::generate(32);
    CHECK(!escrow::constant_time_equal(g1, g2));
    CHECK(escrow::session_key(16).size() == 16);
    CHECK(escrow::session_key().empty());
    auto z = escrow::session_key(8);
    CHECK(std::all_of(z.unsafe_bytes().begin(), z.unsafe_bytes().end(), [](escrow::byte x) { return x == 0; }));
}

TEST_CASE("constant_time_equal compares contents and lengths", "[core][secret]") {
    const escrow::bytes a = {1, 2, 3, 4}, same = {1, 2, 3, 4}, other = {1, 2, 3, 5}, shorter = {1, 2, 3};
    CHECK(escrow::constant_time_equal(a, same));
    CHECK(!escrow::constant_time_equal(a, other));
    CHECK(!escrow::constant_time_equal(a, shorter));
    CHECK(escrow::constant_time_equal(escrow::bytes{}, escrow::bytes{}));
    CHECK(!escrow::constant_time_equal(escrow::bytes{}, a));
    escrow::bytes big = pattern(1000, 8), big2 = big;
    CHECK(escrow::constant_time_equal(big, big2));
    big2[0] ^= 0x80;
    CHECK(!escrow::constant_time_equal(big, big2));
}

// ---- atomic_file_sink --------------------------------------------------------------------------

TEST_CASE("atomic_file_sink leaves nothing behind without commit and replaces the file on commit",
          "[core][io]") {
    temp_dir dir;
    const auto dest = dir.path / "out.bin";

    SECTION("destroyed without commit: no file at all") {
        {
            escrow::atomic_file_sink sink(dest);
            sink.write(escrow::as_bytes("partial output"));
            // Meanwhile the output has no name at all (O_TMPFILE), or a temporary one where the
            // file system refuses unnamed files.
            CHECK(dir.entries() == (sink.unnamed() ? 0u : 1u));
            CHECK(!std::filesystem::exists(dest));
        }
        CHECK(!std::filesystem::exists(dest));
        CHECK(dir.entries() == 0);
    }
    SECTION("destroyed without commit: an existing destination is untouched") {
        write_text(dest, "the original");
        {
            escrow::atomic_file_sink sink(dest);
            sink.write(escrow::as_bytes("replacement that must not land"));
        }
        CHECK(read_text(dest) == "the original");
        CHECK(dir.entries() == 1);
    }
    SECTION("destroyed by an exception part-way: an existing destination is untouched") {
        write_text(dest, "the original");
        try {
            escrow::atomic_file_sink sink(dest);
            sink.write(escrow::as_bytes("half"));
            throw escrow::error(errc::authentication_failed, "simulated failure");
        } catch (const escrow::error&) {
        }
        CHECK(read_text(dest) == "the original");
        CHECK(dir.entries() == 1);
    }
    SECTION("commit replaces the destination, with the requested mode") {
        write_text(dest, "the original");
        {
            escrow::atomic_file_sink sink(dest);
            sink.write(escrow::as_bytes("new "));
            sink.write(escrow::as_bytes("content"));
            CHECK(read_text(dest) == "the original");
            sink.commit(0600);
            CHECK(sink.path() == dest);
        }
        CHECK(read_text(dest) == "new content");
        CHECK(dir.entries() == 1);
        auto perms = std::filesystem::status(dest).permissions();
        CHECK((perms & std::filesystem::perms::all) == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    }
    SECTION("commit without replace: a file that appeared meanwhile is kept, and the commit fails") {
        {
            escrow::atomic_file_sink sink(dest);
            sink.write(escrow::as_bytes("ours"));
            write_text(dest, "someone else's");  // created after the sink checked nothing
            CHECK_THROWS_MATCHES(sink.commit(0600, false), escrow::error, has_errc(errc::io_error));
        }
        CHECK(read_text(dest) == "someone else's");
        CHECK(dir.entries() == 1);  // our temporary file is gone
    }
    SECTION("commit without replace: a free name is taken") {
        {
            escrow::atomic_file_sink sink(dest);
            sink.write(escrow::as_bytes("ours"));
            sink.commit(0600, false);
        }
        CHECK(read_text(dest) == "ours");
        CHECK(dir.entries() == 1);
    }
    SECTION("commit's default mode is 0666 less the umask, as for a newly created file") {
        const mode_t old = ::umask(027);
        {
            escrow::atomic_file_sink sink(dest);
            sink.write(escrow::as_bytes("x"));
            sink.commit();
        }
        ::umask(old);
        namespace fs = std::filesystem;
        CHECK((fs::status(dest).permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
    }
    SECTION("a destination in a missing directory is an io_error") {
        CHECK_ESCROW_ERROR(escrow::atomic_file_sink(dir.path / "missing" / "x"), errc::io_error);
    }
}

TEST_CASE("file_source reads a file and reports a missing one as not_found", "[core][io]") {
    temp_dir dir;
    write_text(dir.path / "in.txt", "abcdef");
    escrow::file_source src(dir.path / "in.txt");
    escrow::bytes buf(4);
    CHECK(src.read(buf) == 4);
    CHECK(buf == b("abcd"));
    CHECK(src.read(buf) == 2);
    CHECK(src.read(buf) == 0);
    CHECK_ESCROW_ERROR(escrow::file_source(dir.path / "nope"), errc::not_found);
    CHECK_ESCROW_ERROR(escrow::file_source(dir.path), errc::io_error);
}

// ---- RSA keys ----------------------------------------------------------------------------------

TEST_CASE("RSA key generation refuses sizes under 2048 bits and uses exponent 65537", "[core][rsa]") {
    CHECK_ESCROW_ERROR(escrow::rsa_private_key::generate(1024), errc::invalid_argument);
    CHECK_ESCROW_ERROR(escrow::rsa_private_key::generate(2047), errc::invalid_argument);
    CHECK_ESCROW_ERROR(escrow::rsa_private_key::generate(16385), errc::invalid_argument);
    const auto& k = keys().owner;
    CHECK(k.bits() == 2048);
    CHECK(k.cryptopp().GetPublicExponent() == CryptoPP::Integer(65537));
}

TEST_CASE("An RSA public key outside the accepted bounds is refused as bad_key", "[core][rsa]") {
    const escrow::rsa_public_key good = keys().owner.public_key();
    const CryptoPP::Integer n = good.cryptopp().GetModulus();
    auto make = [](const CryptoPP::Integer& modulus, const CryptoPP::Integer& exponent) {
        CryptoPP::RSA::PublicKey k;
        k.Initialize(modulus, exponent);
        return escrow::rsa_public_key(k);
    };
    CHECK_NOTHROW(make(n, CryptoPP::Integer(65537)));
    CHECK_ESCROW_ERROR(make(n, CryptoPP::Integer(65536)), errc::bad_key);  // even exponent
    CHECK_ESCROW_ERROR(make(n, CryptoPP::Integer(1)), errc::bad_key);      // exponent under 3
    CHECK_ESCROW_ERROR(make(n, n), errc::bad_key);                          // exponent not below n
    CHECK_ESCROW_ERROR(make(n + 1, CryptoPP::Integer(65537)), errc::bad_key);  // even modulus
    // An odd modulus of 16385 bits: over the upper bound, refused before any arithmetic on it.
    CryptoPP::Integer huge = CryptoPP::Integer::Power2(16384) + 1;
    CHECK_ESCROW_ERROR(make(huge, CryptoPP::Integer(65537)), errc::bad_key);
    // Over 3072 bits, an exponent of more than 64 bits is refused (as OpenSSL does).
    CryptoPP::Integer big_n = CryptoPP::Integer::Power2(4095) + 1;
    CryptoPP::Integer big_e = CryptoPP::Integer::Power2(64) + 1;
    CHECK_ESCROW_ERROR(make(big_n, big_e), errc::bad_key);
    CHECK_NOTHROW(make(big_n, CryptoPP::Integer(65537)));
}

TEST_CASE("The RSA-OAEP wrap refuses a key under 2048 bits both ways", "[wrap][rsa_oaep]") {
    // A 1024-bit key made with Crypto++ directly: the library will not generate one.
    CryptoPP::RSA::PrivateKey small;
    small.Initialize(escrow::default_random().engine(), 1024, CryptoPP::Integer(65537));
    escrow::rsa_private_key priv(small);
    REQUIRE(priv.bits() == 1024);
    auto key = escrow::session_key::generate(32);
    CHECK_ESCROW_ERROR(escrow::wrap::rsa_oaep_sha256::wrap(key, priv.public_key(), escrow::default_random()),
                       errc::bad_key);
    // Even a well-formed wrap made for that key is refused on unwrapping.
    escrow::wrapped_key w{{}, escrow::detail::rsa_oaep_sha256_encrypt(priv.public_key(), key.unsafe_bytes(), {},
                                                                     escrow::default_random())};
    CHECK_ESCROW_ERROR(escrow::wrap::rsa_oaep_sha256::unwrap(w, priv), errc::bad_key);
    // And the host will not encrypt a file to it.
    escrow::native_encryptor enc;
    escrow::bytes plain = pattern(10);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    CHECK_ESCROW_ERROR(enc.encrypt(in, out, priv.public_key(), keys().authority.public_key()), errc::bad_key);
    CHECK(out.data().empty());
}

TEST_CASE("The RSA-OAEP wrap round-trips a session key and rejects another key", "[wrap][rsa_oaep]") {
    const auto& k = keys();
    using W = escrow::wrap::rsa_oaep_sha256;
    static_assert(escrow::wrap_policy<W>);
    for (std::size_t n : {16u, 32u, 64u}) {
        CAPTURE(n);
        auto key = escrow::session_key::generate(n);
        auto w = W::wrap(key, k.owner.public_key(), escrow::default_random());
        CHECK(w.args.empty());
        CHECK(w.body.size() == 256);
        auto back = W::unwrap(w, k.owner);
        REQUIRE(back.has_value());
        CHECK(escrow::constant_time_equal(*back, key));
        CHECK(!W::unwrap(w, k.stranger).has_value());
        auto w2 = W::wrap(key, k.owner.public_key(), escrow::default_random());
        CHECK(w2.body != w.body);  // randomised padding
        escrow::wrapped_key with_args = w;
        with_args.args.push_back("x");
        CHECK_ESCROW_ERROR(W::unwrap(with_args, k.owner), errc::malformed_blob);
    }
    CHECK(W::fingerprint(W::public_of(k.owner)) == k.owner.public_key().fingerprint());
    CHECK(W::fingerprint(k.owner.public_key()) != W::fingerprint(k.stranger.public_key()));
}

TEST_CASE("RSA keys written by the library load back from PEM and DER", "[core][rsa]") {
    const auto& k = keys().owner;
    const auto modulus = k.cryptopp().GetModulus();
    auto from_pem = escrow::rsa_private_key::load(k.unsafe_pem().unsafe_bytes());
    auto from_der = escrow::rsa_private_key::load(k.unsafe_der().unsafe_bytes());
    CHECK(from_pem.cryptopp().GetModulus() == modulus);
    CHECK(from_der.cryptopp().GetModulus() == modulus);
    CHECK(k.unsafe_pem().unsafe_text().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    auto pub = k.public_key();
    CHECK(pub.pem().rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
    CHECK(escrow::rsa_public_key::load(escrow::as_bytes(pub.pem())).fingerprint() == pub.fingerprint());
    CHECK(escrow::rsa_public_key::load(pub.der()).fingerprint() == pub.fingerprint());
    CHECK(pub.fingerprint() == escrow::sha256(pub.der()));

    // Wrong kinds and damage are bad_key.
    CHECK_ESCROW_ERROR(escrow::rsa_private_key::from_pem(pub.pem()), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::rsa_public_key::from_pem(k.unsafe_pem().unsafe_text()), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::rsa_private_key::load(escrow::as_bytes("garbage")), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::rsa_public_key::load(escrow::as_bytes("garbage")), errc::bad_key);
    escrow::bytes der = pub.der();
    der.push_back(0);
    CHECK_ESCROW_ERROR(escrow::rsa_public_key::from_der(der), errc::bad_key);
    std::string enc = escrow::pem::encode("ENCRYPTED PRIVATE KEY", k.unsafe_der().unsafe_bytes());
    CHECK_ESCROW_ERROR(escrow::rsa_private_key::from_pem(enc), errc::bad_key);
}
