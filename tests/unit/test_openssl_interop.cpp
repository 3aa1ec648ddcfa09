// SPDX-License-Identifier: MIT
/// @file
/// Interoperability with the real `openssl` tool: keys in both directions (PKCS#8 and
/// SubjectPublicKeyInfo, PEM and DER) and RSA-OAEP-SHA-256 wraps in both directions.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "test_support.hpp"

using namespace escrow_test;
namespace fs = std::filesystem;

#ifndef ESCROW_OPENSSL
#define ESCROW_OPENSSL "openssl"
#endif

namespace {

/// A private temporary directory for key files, removed at the end of the scope.
struct temp_dir {
    fs::path path;
    temp_dir() {
        escrow::byte rnd[8];
        escrow::default_random().fill(rnd);
        path = fs::temp_directory_path() / ("escrow-openssl-" + escrow::hex::encode(rnd));
        fs::create_directory(path);
        fs::permissions(path, fs::perms::owner_all);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::string operator/(const char* name) const { return (path / name).string(); }
};

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// Runs `openssl <args>` with stderr captured; returns the exit status.
int openssl(const temp_dir& dir, const std::string& args) {
    std::string cmd = quote(ESCROW_OPENSSL) + " " + args + " >" + quote(dir / "stdout.txt") + " 2>" + quote(dir / "stderr.txt");
    int status = std::system(cmd.c_str());
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code != 0) {
        std::ifstream err(dir / "stderr.txt");
        UNSCOPED_INFO("command: " << cmd << "\nstderr: " << std::string(std::istreambuf_iterator<char>(err), {}));
    }
    return code;
}

/// Runs `openssl <args>` and returns its standard output; fails the test on a non-zero exit.
std::string openssl_output(const temp_dir& dir, const std::string& args) {
    std::string cmd = quote(ESCROW_OPENSSL) + " " + args + " 2>" + quote(dir / "stderr.txt");
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int status = ::pclose(p);
    INFO("command: " << cmd);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    return out;
}

escrow::bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::string& path, escrow::byte_view data) {
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        REQUIRE(out.good());
    }
    ::chmod(path.c_str(), 0600);
}

/// The modulus from `openssl pkey -text` output ("modulus:" or "Modulus:" then hex lines), as
/// lower-case hex without leading zero bytes.
std::string modulus_from_text(const std::string& text) {
    std::size_t at = text.find("odulus:");
    REQUIRE(at != std::string::npos);
    std::size_t line = text.find('\n', at);
    std::string hexdigits;
    while (line != std::string::npos && line + 1 < text.size() && (text[line + 1] == ' ' || text[line + 1] == '\t')) {
        std::size_t next = text.find('\n', line + 1);
        for (std::size_t i = line + 1; i < (next == std::string::npos ? text.size() : next); ++i)
            if (std::isxdigit(static_cast<unsigned char>(text[i]))) hexdigits += static_cast<char>(std::tolower(text[i]));
        line = next;
    }
    while (hexdigits.size() > 2 && hexdigits.compare(0, 2, "00") == 0) hexdigits.erase(0, 2);
    return hexdigits;
}

std::string modulus_hex(const CryptoPP::Integer& n) {
    escrow::bytes b(n.MinEncodedSize());
    n.Encode(b.data(), b.size());
    return escrow::hex::encode(b);
}

bool same(escrow::byte_view a, escrow::byte_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

const char* const oaep_opts =
    " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256";

}  // namespace

TEST_CASE("A key made by openssl genpkey is used by the library as the owner key, PEM and DER",
          "[core][rsa][openssl]") {
    temp_dir dir;
    REQUIRE(openssl(dir, "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + quote(dir / "key.pem")) == 0);
    REQUIRE(openssl(dir, "pkey -in " + quote(dir / "key.pem") + " -outform DER -out " + quote(dir / "key.der")) == 0);
    REQUIRE(openssl(dir, "pkey -in " + quote(dir / "key.pem") + " -pubout -out " + quote(dir / "pub.pem")) == 0);
    REQUIRE(openssl(dir, "pkey -in " + quote(dir / "key.pem") + " -pubout -outform DER -out " + quote(dir / "pub.der")) == 0);

    const auto priv_pem = escrow::rsa_private_key::load(read_file(dir / "key.pem"));
    const auto priv_der = escrow::rsa_private_key::load(read_file(dir / "key.der"));
    const auto pub_pem = escrow::rsa_public_key::load(read_file(dir / "pub.pem"));
    const auto pub_der = escrow::rsa_public_key::load(read_file(dir / "pub.der"));
    CHECK(priv_pem.bits() == 2048);
    CHECK(priv_der.cryptopp().GetModulus() == priv_pem.cryptopp().GetModulus());
    CHECK(pub_pem.fingerprint() == priv_pem.public_key().fingerprint());
    CHECK(pub_der.fingerprint() == priv_pem.public_key().fingerprint());
    // The library re-encodes openssl's key to the same bytes.
    CHECK(priv_pem.public_key().der() == read_file(dir / "pub.der"));
    CHECK(modulus_hex(priv_pem.cryptopp().GetModulus()) ==
          modulus_from_text(openssl_output(dir, "pkey -in " + quote(dir / "key.pem") + " -noout -text")));

    // Encrypt to openssl's public key (PEM and DER forms), decrypt with its private key (both forms).
    const escrow::bytes plain = pattern(100000, 51);
    for (const escrow::rsa_public_key* owner : {&pub_pem, &pub_der}) {
        escrow::native_encryptor enc;
        escrow::memory_source in(plain);
        escrow::memory_sink out;
        auto rec = enc.encrypt(in, out, *owner, keys().authority.public_key(), sample_info());
        REQUIRE(same(decrypt(out.data(), priv_pem), plain));
        REQUIRE(same(decrypt(out.data(), priv_der), plain));
        escrow::memory_source again(out.data());
        escrow::memory_sink back;
        enc.decrypt_with_record(again, back, rec, keys().authority);
        REQUIRE(same(back.data(), plain));
    }
}

TEST_CASE("A key written by the library is read by openssl pkey with the same modulus", "[core][rsa][openssl]") {
    temp_dir dir;
    const auto& k = keys().owner;
    const auto pub = k.public_key();
    write_file(dir / "key.pem", k.unsafe_pem().unsafe_bytes());
    write_file(dir / "key.der", k.unsafe_der().unsafe_bytes());
    write_file(dir / "pub.pem", escrow::as_bytes(pub.pem()));
    write_file(dir / "pub.der", pub.der());
    const std::string expected = modulus_hex(k.cryptopp().GetModulus());

    CHECK(openssl(dir, "pkey -in " + quote(dir / "key.pem") + " -noout -check") == 0);
    CHECK(openssl(dir, "pkey -inform DER -in " + quote(dir / "key.der") + " -noout -check") == 0);
    CHECK(openssl(dir, "pkey -pubin -in " + quote(dir / "pub.pem") + " -noout") == 0);
    CHECK(openssl(dir, "pkey -pubin -inform DER -in " + quote(dir / "pub.der") + " -noout") == 0);

    CHECK(modulus_from_text(openssl_output(dir, "pkey -in " + quote(dir / "key.pem") + " -noout -text")) == expected);
    CHECK(modulus_from_text(openssl_output(dir, "pkey -inform DER -in " + quote(dir / "key.der") + " -noout -text")) ==
          expected);
    CHECK(modulus_from_text(openssl_output(dir, "pkey -pubin -in " + quote(dir / "pub.pem") + " -noout -text")) ==
          expected);
    CHECK(modulus_from_text(openssl_output(dir, "pkey -pubin -inform DER -in " + quote(dir / "pub.der") + " -noout -text")) ==
          expected);
    // openssl derives the same public key from the library's private key.
    REQUIRE(openssl(dir, "pkey -in " + quote(dir / "key.pem") + " -pubout -outform DER -out " + quote(dir / "derived.der")) == 0);
    CHECK(read_file(dir / "derived.der") == pub.der());
    // And writes the private key back in the same PKCS#8 DER.
    REQUIRE(openssl(dir, "pkey -in " + quote(dir / "key.pem") + " -outform DER -out " + quote(dir / "rt.der")) == 0);
    auto rt = escrow::rsa_private_key::load(read_file(dir / "rt.der"));
    CHECK(rt.cryptopp().GetModulus() == k.cryptopp().GetModulus());
    CHECK(rt.cryptopp().GetPrivateExponent() == k.cryptopp().GetPrivateExponent());
}

TEST_CASE("A session key wrapped by openssl pkeyutl OAEP-SHA-256 is unwrapped by the library, and back",
          "[wrap][rsa_oaep][openssl]") {
    temp_dir dir;
    const auto& k = keys().owner;
    write_file(dir / "key.pem", k.unsafe_pem().unsafe_bytes());
    write_file(dir / "pub.pem", escrow::as_bytes(k.public_key().pem()));

    SECTION("openssl wraps, the library unwraps") {
        auto sk = escrow::session_key::generate(32);
        write_file(dir / "sk.bin", sk.unsafe_bytes());
        REQUIRE(openssl(dir, "pkeyutl -encrypt -pubin -inkey " + quote(dir / "pub.pem") + " -in " + quote(dir / "sk.bin") +
                                 " -out " + quote(dir / "wrapped.bin") + oaep_opts) == 0);
        escrow::wrapped_key w{{}, read_file(dir / "wrapped.bin")};
        REQUIRE(w.body.size() == 256);
        auto back = escrow::wrap::rsa_oaep_sha256::unwrap(w, k);
        REQUIRE(back.has_value());
        REQUIRE(escrow::constant_time_equal(*back, sk));
        // The same bytes under SHA-1 OAEP (openssl's default digest) are not accepted.
        REQUIRE(openssl(dir, "pkeyutl -encrypt -pubin -inkey " + quote(dir / "pub.pem") + " -in " + quote(dir / "sk.bin") +
                                 " -out " + quote(dir / "sha1.bin") + " -pkeyopt rsa_padding_mode:oaep") == 0);
        CHECK(!escrow::wrap::rsa_oaep_sha256::unwrap(escrow::wrapped_key{{}, read_file(dir / "sha1.bin")}, k).has_value());
    }
    SECTION("the library wraps, openssl unwraps") {
        auto sk = escrow::session_key::generate(32);
        auto w = escrow::wrap::rsa_oaep_sha256::wrap(sk, k.public_key(), escrow::default_random());
        write_file(dir / "wrapped.bin", w.body);
        REQUIRE(openssl(dir, "pkeyutl -decrypt -inkey " + quote(dir / "key.pem") + " -in " + quote(dir / "wrapped.bin") +
                                 " -out " + quote(dir / "sk.bin") + oaep_opts) == 0);
        auto got = read_file(dir / "sk.bin");
        REQUIRE(escrow::constant_time_equal(got, sk.unsafe_bytes()));
        // With the wrong digest openssl refuses it.
        CHECK(openssl(dir, "pkeyutl -decrypt -inkey " + quote(dir / "key.pem") + " -in " + quote(dir / "wrapped.bin") +
                               " -out " + quote(dir / "sk1.bin") + " -pkeyopt rsa_padding_mode:oaep") != 0);
    }
}
