// SPDX-License-Identifier: MIT
// Writes the seed corpora of tests/fuzz/corpus/<harness>/ (docs/fuzzing.md): valid inputs, most of
// them written by the library, the rest taken as they are from the repository's test data. Run by
// hand, when a format gains a case worth seeding:
//
//     build-fuzz/tests/fuzz/fuzz_make_corpus tests/fuzz/corpus
//
// Sources: tests/golden/files (files and records the library wrote, and that the harnesses' fixed
// keys open), tests/golden/keys (their keys, in every form the loaders read), the C2SP CCTV age
// vectors of tests/vectors/age/testdata (the file after their text prelude; the zlib-compressed
// ones are left out), and requests, signatures and officer keys made here from the fixtures of
// fuzz_fixtures.hpp. The random stream is the seeded one, so a run writes the same bytes.
#include <cryptopp/queue.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "escrow/core/ms_key_blob.hpp"
#include "escrow/legacy/presets.hpp"
#include "escrow/presets.hpp"
#include "escrow/record.hpp"
#include "escrow/store/age_armor.hpp"
#include "fuzz_fixtures.hpp"

namespace fs = std::filesystem;
using escrow::bytes;

namespace {

const fs::path source_dir = ESCROW_SOURCE_DIR;
const fs::path golden = source_dir / "tests/golden";
const fs::path cctv = source_dir / "tests/vectors/age/testdata";
fs::path out_dir;
std::size_t written = 0;

bytes read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void put(const std::string& harness, const std::string& name, escrow::byte_view content) {
    const fs::path dir = out_dir / harness;
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
    ++written;
}
void put(const std::string& harness, const std::string& name, std::string_view content) {
    put(harness, name, escrow::as_bytes(content));
}

bytes golden_file(const std::string& name) { return read_file(golden / "files" / name); }
bytes golden_key(const std::string& name) { return read_file(golden / "keys" / name); }

// A CCTV vector's age file: what follows the first empty line of its text prelude; empty when the
// vector is zlib-compressed (its prelude says "compressed: zlib").
bytes cctv_file(const std::string& name) {
    bytes all = read_file(cctv / name);
    std::string_view text(reinterpret_cast<const char*>(all.data()), all.size());
    auto end = text.find("\n\n");
    if (end == std::string_view::npos) throw std::runtime_error("no prelude in " + name);
    if (text.substr(0, end).find("\ncompressed:") != std::string_view::npos) return {};
    return bytes(all.begin() + static_cast<std::ptrdiff_t>(end + 2), all.end());
}

void put_cctv(const std::string& harness, const std::vector<std::string>& names) {
    for (const auto& n : names) {
        bytes f = cctv_file(n);
        if (!f.empty()) put(harness, "cctv-" + n, f);
    }
}

// The bare PKCS#1 structure of a Crypto++ key (RSAPrivateKey or RSAPublicKey DER).
template <class Encode>
bytes pkcs1_der(Encode encode) {
    CryptoPP::ByteQueue q;
    encode(q);
    bytes out(static_cast<std::size_t>(q.MaxRetrievable()));
    q.Get(out.data(), out.size());
    return out;
}

void native_header() {
    for (const char* name : {"native-aes-rsaoaep", "native-chacha-x25519", "native-aes-sshrsa"})
        for (const char* size : {"0", "1000"}) {
            const std::string file = std::string(name) + "-" + size + ".file";
            bytes f = golden_file(file);
            escrow::memory_source src(f);
            (void)escrow::store::native::parse(src);
            const std::size_t header = f.size() - src.remaining();
            put("native_header", "golden-" + file, escrow::byte_view(f).first(std::min(f.size(), header + 16)));
        }
}

void escrow_record() {
    for (const char* name : {"native-aes-rsaoaep-0.record0", "native-aes-rsaoaep-0.record1", "native-chacha-x25519-0.record0",
                             "native-aes-sshrsa-0.record0", "age-x25519-0.record0", "age-sshrsa-0.record0",
                             "cryptoapi-aes128-0.record0", "cryptoapi-aes192-0.record0", "cryptoapi-aes256-0.record0"})
        put("escrow_record", std::string("golden-") + name, golden_file(name));
}

void cryptoapi_blob() {
    for (const char* who : {"owner", "authority"}) {
        auto k = escrow::rsa_private_key::load(golden_key(std::string("rsa_") + who + ".pem"));
        put("cryptoapi_blob", std::string("publickeyblob-") + who, escrow::ms_blob::public_key_blob(k.public_key()));
        put("cryptoapi_blob", std::string("privatekeyblob-") + who, escrow::ms_blob::unsafe_private_key_blob(k).unsafe_bytes());
    }
    for (const char* bits : {"128", "192", "256"}) {
        const std::string base = std::string("cryptoapi-aes") + bits + "-0";
        auto rec = escrow::escrow_record::decode(golden_file(base + ".record0"));
        put("cryptoapi_blob", "simpleblob-" + base, rec.wrapped_key);
        put("cryptoapi_blob", "golden-" + base + ".file", golden_file(base + ".file"));
    }
}

void age_header() {
    for (const char* name : {"age-x25519-0.file", "age-sshrsa-0.file"}) put("age_header", std::string("golden-") + name, golden_file(name));
    for (const char* name : {"age-x25519-0.record0", "age-sshrsa-0.record0"})
        put("age_header", std::string("stanza-") + name, escrow::escrow_record::decode(golden_file(name)).wrapped_key);
    put_cctv("age_header", {"empty", "header_crlf", "hmac_bad", "hmac_extra_space", "hmac_garbage", "hmac_missing", "hmac_no_space",
                            "hmac_not_canonical", "hmac_trailing_space", "hmac_truncated", "scrypt", "scrypt_double",
                            "scrypt_and_x25519", "scrypt_work_factor_23", "scrypt_work_factor_leading_zero_decimal",
                            "stanza_bad_start", "stanza_base64_padding", "stanza_empty_argument", "stanza_empty_body",
                            "stanza_empty_last_line", "stanza_long_line", "stanza_missing_final_line",
                            "stanza_multiple_short_lines", "stanza_spurious_cr", "stanza_valid_characters",
                            "version_unsupported"});
}

void age_armor() {
    put("age_armor", "golden-age-armored-1000.file", golden_file("age-armored-1000.file"));
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(cctv))
        if (e.path().filename().string().starts_with("armor_")) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    if (names.size() > 29) names.resize(29);
    put_cctv("age_armor", names);
}

void rsa_key() {
    for (const char* who : {"owner", "authority"})
        put("rsa_key", std::string("golden-rsa_") + who + ".pem", golden_key(std::string("rsa_") + who + ".pem"));
    const auto& k = escrow_fuzz::fixtures::rsa_owner();
    put("rsa_key", "owner-pkcs8.der", k.unsafe_der().unsafe_bytes());
    const bytes pkcs1 = pkcs1_der([&](auto& q) { k.cryptopp().DEREncodePrivateKey(q); });
    put("rsa_key", "owner-pkcs1.der", pkcs1);
    put("rsa_key", "owner-pkcs1.pem", escrow::pem::encode("RSA PRIVATE KEY", pkcs1));
    put("rsa_key", "owner-spki.der", k.public_key().der());
    put("rsa_key", "owner-spki.pem", k.public_key().pem());
    const bytes pkcs1_pub = pkcs1_der([&](auto& q) { k.public_key().cryptopp().DEREncodePublicKey(q); });
    put("rsa_key", "owner-pkcs1-public.der", pkcs1_pub);
    put("rsa_key", "owner-pkcs1-public.pem", escrow::pem::encode("RSA PUBLIC KEY", pkcs1_pub));
}

void ssh_key() {
    put("ssh_key", "golden-ssh_rsa_owner", golden_key("ssh_rsa_owner"));
    put("ssh_key", "golden-ssh_rsa_owner.pub", golden_key("ssh_rsa_owner.pub"));
    const auto& k = escrow_fuzz::fixtures::ssh_owner();
    put("ssh_key", "owner-wire", k.public_key().wire());
    const bytes text = golden_key("ssh_rsa_owner");
    put("ssh_key", "owner-openssh-key-v1", escrow::pem::decode(escrow_fuzz::text(text)).der);
    put("ssh_key", "owner-pkcs8.pem", k.rsa().unsafe_pem().unsafe_bytes());
}

void age_key() {
    for (const char* who : {"owner", "authority"}) {
        const std::string file = std::string("x25519_") + who + ".txt";
        const bytes content = golden_key(file);
        put("age_key", "golden-" + file, content);
        const auto k = escrow::x25519_private_key::load(content);
        put("age_key", std::string("recipient-") + who, k.public_key().str());
        put("age_key", std::string("identity-") + who, k.unsafe_str().unsafe_bytes());
    }
    bytes two = golden_key("x25519_owner.txt");
    escrow::append(two, golden_key("x25519_authority.txt"));
    put("age_key", "two-identities.txt", two);
    put("age_key", "identity-cctv", escrow_fuzz::fixtures::cctv_identity().unsafe_str().unsafe_bytes());
}

void authority_messages() {
    namespace authority = escrow::authority;
    const auto& request = escrow_fuzz::fixtures::request();
    const auto& officer = escrow_fuzz::fixtures::officer();
    const escrow::digest256 fp = request.authority_fingerprint;
    const std::uint64_t expires = request.expires;
    put("recovery_request", "fixed-rsa-oaep", request.encode());
    const auto& rsa = escrow_fuzz::fixtures::rsa_owner();
    put("recovery_request", "rsa-pkcs1v15",
        authority::recovery_request::make<escrow::wrap::rsa_pkcs1v15>("ESC-0001", rsa.public_key(), fp, expires).encode());
    const auto x = authority::recovery_request::make<escrow::wrap::x25519>(
        "ESC-0002", escrow_fuzz::fixtures::x25519_owner().public_key(), fp, expires);
    put("recovery_request", "x25519", x.encode());
    put("recovery_request", "ssh-rsa",
        authority::recovery_request::make<escrow::wrap::ssh_rsa>("ESC-0003", escrow_fuzz::fixtures::ssh_owner().public_key(), fp,
                                                                 expires)
            .encode());

    put("officer_signature", "fixed-request", authority::officer_signature::sign(request, officer).encode());
    put("officer_signature", "x25519-request", authority::officer_signature::sign(x, officer).encode());

    const auto pub = officer.public_key();
    put("officer_key", "public.pem", pub.pem());
    put("officer_key", "public.der", pub.der());
    put("officer_key", "public.raw", pub.raw());
    const auto pem = officer.unsafe_pem();
    put("officer_key", "private.pem", pem.unsafe_bytes());
    put("officer_key", "private.der", escrow::pem::decode(escrow_fuzz::text(pem.unsafe_bytes())).der);
}

void decrypt_seeds() {
    for (const char* size : {"0", "1000", "65553"}) {
        put("decrypt_native", std::string("golden-native-aes-rsaoaep-") + size,
            golden_file(std::string("native-aes-rsaoaep-") + size + ".file"));
        put("decrypt_age", std::string("golden-age-x25519-") + size, golden_file(std::string("age-x25519-") + size + ".file"));
        put("decrypt_age_ssh", std::string("golden-age-sshrsa-") + size, golden_file(std::string("age-sshrsa-") + size + ".file"));
    }
    put("decrypt_age", "golden-age-armored-1000", golden_file("age-armored-1000.file"));
    put_cctv("decrypt_age", {"x25519", "x25519_multiple_recipients", "x25519_grease", "x25519_bad_tag", "x25519_low_order",
                             "x25519_identity", "stream_bad_tag", "stream_empty_payload", "stream_missing_tag",
                             "stream_no_chunks", "stream_no_final", "stream_no_nonce", "stream_short_chunk",
                             "stream_short_nonce", "stream_two_final_chunks_short", "scrypt", "scrypt_bad_tag",
                             "scrypt_long_file_key", "armor_x25519", "armor_scrypt", "armor_crlf", "stanza_empty_body",
                             "stanza_valid_characters"});
    // An armored ssh-rsa file: the golden one, armored.
    escrow::memory_sink armored;
    {
        escrow::store::age_armor_sink<escrow::memory_sink> sink(armored);
        sink.write(golden_file("age-sshrsa-1000.file"));
        sink.finish();
    }
    put("decrypt_age_ssh", "golden-age-sshrsa-1000-armored", armored.data());
    for (const char* bits : {"128", "192", "256"})
        for (const char* size : {"0", "1000"}) {
            const std::string base = std::string("cryptoapi-aes") + bits + "-" + size;
            put("decrypt_cryptoapi", "golden-" + base, golden_file(base + ".file"));
        }
    put("decrypt_cryptoapi", "golden-cryptoapi-aes256-65553", golden_file("cryptoapi-aes256-65553.file"));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " CORPUS_DIR   (tests/fuzz/corpus)\n";
        return 2;
    }
    out_dir = argv[1];
    try {
        escrow_fuzz::begin_input();
        native_header();
        escrow_record();
        cryptoapi_blob();
        age_header();
        age_armor();
        rsa_key();
        ssh_key();
        age_key();
        authority_messages();
        decrypt_seeds();
    } catch (const std::exception& e) {
        std::cerr << "fuzz_make_corpus: " << e.what() << "\n";
        return 1;
    }
    std::cout << "fuzz_make_corpus: " << written << " files written under " << out_dir.string() << "\n";
    return 0;
}
