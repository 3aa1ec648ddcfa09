// SPDX-License-Identifier: MIT
/// @file
/// The age format's parts: Wycheproof X25519 and ChaCha20-Poly1305 through the primitives the
/// policies use, Bech32 keys, the presets' round trips (owner and authority stanzas, several
/// authorities, sizes around the chunk boundary, armor), escrow records carrying a stanza, and
/// files with stanzas of types the library does not know.
#include <cryptopp/poly1305.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"

using escrow::bytes;
using escrow::errc;
using json = nlohmann::json;
using escrow_test::pattern;

namespace {

json load_vectors(const std::string& name) {
    const std::filesystem::path path = std::filesystem::path(ESCROW_VECTORS_DIR) / "wycheproof" / name;
    std::ifstream in(path);
    REQUIRE(in.good());
    return json::parse(in);
}

bytes hex_field(const json& t, const char* name) { return escrow::hex::decode(t.at(name).get<std::string>()); }

bool same(escrow::byte_view a, escrow::byte_view b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

template <class Enc>
bytes encrypt_with(Enc& enc, const bytes& plain, const typename Enc::public_key& owner,
                   std::vector<typename Enc::public_key> authorities, std::vector<escrow::escrow_record>* records = nullptr) {
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto recs = enc.encrypt(in, out, owner, std::span<const typename Enc::public_key>(authorities));
    if (records) *records = std::move(recs);
    return std::move(out).take();
}

template <class Enc>
bytes decrypt_with(Enc& enc, const bytes& file, const typename Enc::private_key& key) {
    escrow::memory_source in(file);
    escrow::memory_sink out;
    enc.decrypt(in, out, key);
    return std::move(out).take();
}

const escrow::ssh_rsa_private_key& ssh_owner() {
    static const escrow::ssh_rsa_private_key k{escrow::rsa_private_key::generate(2048)};
    return k;
}
const escrow::ssh_rsa_private_key& ssh_authority() {
    static const escrow::ssh_rsa_private_key k{escrow::rsa_private_key::generate(2048)};
    return k;
}

}  // namespace

TEST_CASE("Wycheproof X25519 vectors pass through the agreement the X25519 wrap uses", "[wrap][x25519][wycheproof]") {
    const json j = load_vectors("x25519_test.json");
    int valid = 0, acceptable = 0, rejected = 0;
    for (const auto& g : j.at("testGroups"))
        for (const auto& t : g.at("tests")) {
            const std::string result = t.at("result").get<std::string>();
            auto pub = hex_field(t, "public"), priv = hex_field(t, "private"), shared = hex_field(t, "shared");
            CAPTURE(t.at("tcId").get<int>());
            REQUIRE(pub.size() == 32);
            REQUIRE(priv.size() == 32);
            escrow::byte out[32];
            bool ok = escrow::detail::x25519(out, priv, pub);
            if (result == "valid") {
                ++valid;
                REQUIRE(ok);
                REQUIRE(same(escrow::byte_view(out, 32), shared));
            } else {
                REQUIRE(result == "acceptable");
                ++acceptable;
                // Either refused (only an all-zero result is), or the expected value.
                if (ok) REQUIRE(same(escrow::byte_view(out, 32), shared));
                else {
                    ++rejected;
                    REQUIRE(std::all_of(shared.begin(), shared.end(), [](auto b) { return b == 0; }));
                }
            }
        }
    CHECK(valid == 264);
    CHECK(acceptable == 254);
    CHECK(rejected > 0);
}

TEST_CASE("Wycheproof ChaCha20-Poly1305 vectors pass through the chunk primitive", "[cipher][chacha20_poly1305][wycheproof]") {
    const json j = load_vectors("chacha20_poly1305_test.json");
    int valid = 0, invalid = 0;
    for (const auto& g : j.at("testGroups"))
        for (const auto& t : g.at("tests")) {
            CAPTURE(t.at("tcId").get<int>());
            const bool is_valid = t.at("result").get<std::string>() == "valid";
            auto key = hex_field(t, "key"), iv = hex_field(t, "iv"), aad = hex_field(t, "aad"), msg = hex_field(t, "msg");
            auto sealed = hex_field(t, "ct");
            escrow::append(sealed, hex_field(t, "tag"));
            escrow::detail::chacha20_poly1305 aead(key);
            if (iv.size() != 12) {
                // The primitive refuses other nonce sizes both ways.
                REQUIRE_FALSE(is_valid);
                bytes out(msg.size() + 16);
                CHECK_THROWS_AS(aead.seal(iv, aad, msg, out.data()), escrow::error);
                CHECK_THROWS_AS((void)aead.open(iv, aad, sealed, out.data()), escrow::error);
                ++invalid;
                continue;
            }
            bytes plain(sealed.size() >= 16 ? sealed.size() - 16 : 0);
            bool opened = aead.open(iv, aad, sealed, plain.data());
            if (is_valid) {
                bytes out(msg.size() + 16);
                aead.seal(iv, aad, msg, out.data());
                REQUIRE(same(out, sealed));
                REQUIRE(opened);
                REQUIRE(same(plain, msg));
                ++valid;
            } else {
                REQUIRE_FALSE(opened);
                REQUIRE(std::all_of(plain.begin(), plain.end(), [](auto b) { return b == 0; }));
                ++invalid;
            }
        }
    CHECK(valid == 256);
    CHECK(invalid == 69);
}

TEST_CASE("age keys round-trip through Bech32 and reject damaged strings", "[core][bech32][x25519]") {
    // The identity and recipient of the CCTV x25519 vectors (from the age test kit).
    const std::string id = "AGE-SECRET-KEY-1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4QX3S7F6";
    auto k = escrow::x25519_private_key::parse(id);
    std::string again(k.unsafe_str().unsafe_text());
    CHECK(again == id);
    auto pub = k.public_key();
    CHECK(pub.str().starts_with("age1"));
    CHECK(escrow::x25519_public_key::parse(pub.str()).str() == pub.str());
    auto g = escrow::x25519_private_key::generate();
    CHECK(escrow::x25519_public_key::parse(g.public_key().str()).fingerprint() == g.public_key().fingerprint());

    std::string bad = pub.str();
    bad[10] = bad[10] == 'q' ? 'p' : 'q';
    CHECK_THROWS_AS(escrow::x25519_public_key::parse(bad), escrow::error);  // checksum
    std::string mixed = pub.str();
    mixed[5] = static_cast<char>(std::toupper(mixed[5]));
    if (mixed != pub.str()) CHECK_THROWS_AS(escrow::x25519_public_key::parse(mixed), escrow::error);
    CHECK_THROWS_AS(escrow::x25519_private_key::parse(pub.str()), escrow::error);
    CHECK_THROWS_AS(escrow::x25519_public_key::parse(id), escrow::error);

    std::string file = "# created: now\n# public key: " + pub.str() + "\r\n" + id + "\n";
    CHECK(escrow::x25519_private_key::load(escrow::as_bytes(file)).public_key().str() == pub.str());
    std::string two = file + id + "\n";
    CHECK_THROWS_AS(escrow::x25519_private_key::load(escrow::as_bytes(two)), escrow::error);
    // load_all takes every identity of a file, in order, as age -d -i does.
    const auto other = escrow::x25519_private_key::generate();
    std::string other_id(other.unsafe_str().unsafe_text());
    std::string several = file + "\n# another key\n" + other_id + "\r\n";
    auto keys = escrow::x25519_private_key::load_all(escrow::as_bytes(several));
    REQUIRE(keys.size() == 2);
    CHECK(keys[0].public_key().str() == pub.str());
    CHECK(keys[1].public_key().str() == other.public_key().str());
    CHECK_THROWS_AS(escrow::x25519_private_key::load_all(escrow::as_bytes(std::string("# only a comment\n"))), escrow::error);
    CHECK_THROWS_AS(escrow::x25519_private_key::load_all(escrow::as_bytes(several + "age1notanidentity\n")), escrow::error);
    std::string too_many;
    for (std::size_t i = 0; i <= escrow::x25519_private_key::max_identities_per_file; ++i) too_many += other_id + "\n";
    CHECK_THROWS_AS(escrow::x25519_private_key::load_all(escrow::as_bytes(too_many)), escrow::error);
    CryptoPP::SecureWipeBuffer(other_id.data(), other_id.size());
}

TEST_CASE("age post-quantum keys: the spec's example, Bech32 of 1216 bytes, identity files", "[core][bech32][mlkem768x25519]") {
    std::ifstream in(std::string(ESCROW_VECTORS_DIR) + "/age-spec/mlkem768x25519_keys.txt");
    REQUIRE(in.good());
    std::string id_line, recipient_line;
    REQUIRE(std::getline(in, id_line));
    REQUIRE(std::getline(in, recipient_line));
    REQUIRE(id_line.starts_with("identity: "));
    REQUIRE(recipient_line.starts_with("recipient: "));
    const std::string id = id_line.substr(10), recipient = recipient_line.substr(11);
    // The seed expands to the spec's recipient: ML-KEM-768 and X25519 keys, 1,959 Bech32 characters.
    auto k = escrow::mlkem768x25519_private_key::parse(id);
    CHECK(k.public_key().str() == recipient);
    CHECK(std::string(k.unsafe_str().unsafe_text()) == id);
    const auto pub = escrow::mlkem768x25519_public_key::parse(recipient);
    CHECK(pub.fingerprint() == escrow::sha256(pub.bytes()));
    CHECK(pub.bytes().size() == 1216);

    std::string bad = recipient;
    bad[1000] = bad[1000] == 'q' ? 'p' : 'q';
    CHECK_ESCROW_ERROR(escrow::mlkem768x25519_public_key::parse(bad), errc::bad_key);  // checksum
    std::string upper = recipient;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK_ESCROW_ERROR(escrow::mlkem768x25519_public_key::parse(upper), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::mlkem768x25519_public_key::parse(recipient.substr(0, 1000)), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::x25519_public_key::parse(recipient), errc::bad_key);  // an age1pq1 key is not X25519's
    CHECK_ESCROW_ERROR(escrow::mlkem768x25519_private_key::parse(recipient), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::x25519_private_key::parse(id), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::mlkem768x25519_public_key::parse(escrow::x25519_private_key::generate().public_key().str()),
                       errc::bad_key);

    // Identity files as age-keygen -pq writes them; several identities; the bounds of load.
    const auto file = k.unsafe_identity_file(0);
    CHECK(std::string(file.unsafe_text()) == "# created: 1970-01-01T00:00:00Z\n# public key: " + recipient + "\n" + id + "\n");
    CHECK(escrow::mlkem768x25519_private_key::load(file.unsafe_bytes()).public_key().str() == recipient);
    const auto other = escrow::mlkem768x25519_private_key::generate();
    const std::string several = std::string(file.unsafe_text()) + std::string(other.unsafe_str().unsafe_text()) + "\r\n";
    auto keys = escrow::mlkem768x25519_private_key::load_all(escrow::as_bytes(several));
    REQUIRE(keys.size() == 2);
    CHECK(keys[1].public_key().str() == other.public_key().str());
    CHECK_ESCROW_ERROR(escrow::mlkem768x25519_private_key::load(escrow::as_bytes(several)), errc::bad_key);
    CHECK_ESCROW_ERROR(escrow::mlkem768x25519_private_key::load_all(escrow::as_bytes(several + "AGE-SECRET-KEY-1X\n")),
                       errc::bad_key);
}

TEST_CASE("The mlkem768x25519 stanza: its MUSTs, a wrong key, an invalid recipient", "[wrap][mlkem768x25519]") {
    using pq = escrow::wrap::mlkem768x25519;
    const auto a = escrow::mlkem768x25519_private_key::generate(), b = escrow::mlkem768x25519_private_key::generate();
    const auto key = escrow::session_key::generate(16);
    const escrow::wrapped_key w = pq::wrap(key, a.public_key(), escrow::default_random());
    REQUIRE(w.args.size() == 1);
    CHECK(w.args[0].size() == 1494);
    CHECK(w.body.size() == 32);
    auto back = pq::unwrap(w, a, 16);
    REQUIRE(back);
    CHECK(escrow::constant_time_equal(back->unsafe_bytes(), key.unsafe_bytes()));
    CHECK_FALSE(pq::unwrap(w, b, 16));  // another identity: not for it
    // Argument count, enc's size and canonical encoding, the body's size: malformed stanzas.
    escrow::wrapped_key two = w;
    two.args.push_back("x");
    CHECK_ESCROW_ERROR((void)pq::unwrap(two, a, 16), errc::malformed_header);
    escrow::wrapped_key none = w;
    none.args.clear();
    CHECK_ESCROW_ERROR((void)pq::unwrap(none, a, 16), errc::malformed_header);
    escrow::wrapped_key short_enc = w;
    short_enc.args[0].resize(1490);
    CHECK_ESCROW_ERROR((void)pq::unwrap(short_enc, a, 16), errc::malformed_header);
    escrow::wrapped_key padded = w;
    padded.args[0] += "==";
    CHECK_ESCROW_ERROR((void)pq::unwrap(padded, a, 16), errc::malformed_header);
    escrow::wrapped_key long_body = w;
    long_body.body.push_back(0);
    CHECK_ESCROW_ERROR((void)pq::unwrap(long_body, a, 16), errc::malformed_header);
    // A 32-byte file key wraps (the native sizes), and is refused where 16 bytes are expected.
    const escrow::wrapped_key w32 = pq::wrap(escrow::session_key::generate(32), a.public_key(), escrow::default_random());
    CHECK(pq::unwrap(w32, a, 32));
    CHECK_ESCROW_ERROR((void)pq::unwrap(w32, a, 16), errc::malformed_header);
    // A recipient whose ML-KEM part has a coefficient >= q fails FIPS 203's check: bad_key.
    escrow::bytes raw(a.public_key().bytes().begin(), a.public_key().bytes().end());
    raw[0] = 0xff;
    raw[1] |= 0x0f;  // the first 12-bit coefficient is 4095
    CHECK_ESCROW_ERROR((void)pq::wrap(key, escrow::mlkem768x25519_public_key(raw), escrow::default_random()), errc::bad_key);
}

TEST_CASE("age presets round-trip at chunk boundaries, and the owner and each authority open the file alone",
          "[host][age][x25519][ssh_rsa]") {
    const std::size_t size = GENERATE(as<std::size_t>{}, 0, 1, 65535, 65536, 65537, 3 * 65536 + 7);
    CAPTURE(size);
    const bytes plain = pattern(size, 7);
    SECTION("X25519") {
        auto owner = escrow::x25519_private_key::generate(), a1 = escrow::x25519_private_key::generate(),
             a2 = escrow::x25519_private_key::generate(), stranger = escrow::x25519_private_key::generate();
        escrow::age_encryptor enc;
        std::vector<escrow::escrow_record> recs;
        bytes file = encrypt_with(enc, plain, owner.public_key(), {a1.public_key(), a2.public_key()}, &recs);
        REQUIRE(file.size() > 21);
        CHECK(std::string(file.begin(), file.begin() + 22) == "age-encryption.org/v1\n");
        CHECK(decrypt_with(enc, file, owner) == plain);
        CHECK(decrypt_with(enc, file, a1) == plain);
        CHECK(decrypt_with(enc, file, a2) == plain);
        CHECK_THROWS_MATCHES(decrypt_with(enc, file, stranger), escrow::error,
                             Catch::Predicate<escrow::error>([](const auto& e) { return e.kind() == errc::no_matching_key; }));
        // The escrow record opens the file with the authority's key alone.
        REQUIRE(recs.size() == 2);
        escrow::memory_source in(file);
        escrow::memory_sink out;
        enc.decrypt_with_record(in, out, recs[1], a2);
        CHECK(out.data() == plain);
    }
    SECTION("ssh-rsa") {
        escrow::age_ssh_encryptor enc;
        bytes file = encrypt_with(enc, plain, ssh_owner().public_key(), {ssh_authority().public_key()});
        CHECK(decrypt_with(enc, file, ssh_owner()) == plain);
        CHECK(decrypt_with(enc, file, ssh_authority()) == plain);
    }
}

TEST_CASE("An armored age file round-trips, and its armor is checked", "[store][age][armor]") {
    const std::size_t size = GENERATE(as<std::size_t>{}, 0, 5, 48 * 100, 70000);
    const bytes plain = pattern(size, 9);
    auto owner = escrow::x25519_private_key::generate(), auth = escrow::x25519_private_key::generate();
    escrow::age_encryptor enc;
    escrow::memory_sink armored;
    {
        escrow::memory_source in(plain);
        escrow::store::age_armor_sink<escrow::memory_sink> sink(armored);
        (void)enc.encrypt(in, sink, owner.public_key(), auth.public_key());
        sink.finish();
    }
    std::string text(armored.data().begin(), armored.data().end());
    REQUIRE(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    REQUIRE(text.ends_with("\n-----END AGE ENCRYPTED FILE-----\n"));
    {
        escrow::memory_source raw(armored.data());
        escrow::store::age_dearmor_source<escrow::memory_source> in(raw);
        escrow::memory_sink out;
        enc.decrypt(in, out, auth);
        CHECK(out.data() == plain);
    }
    // A space at the end of the first base64 line breaks the armor.
    std::string broken = text;
    broken.insert(broken.find('\n', 36), " ");
    escrow::memory_source raw(escrow::as_bytes(broken));
    escrow::store::age_dearmor_source<escrow::memory_source> in(raw);
    escrow::memory_sink out;
    CHECK_THROWS_MATCHES(enc.decrypt(in, out, owner), escrow::error,
                         Catch::Predicate<escrow::error>([](const auto& e) { return e.kind() == errc::malformed_armor; }));
    CHECK(out.data().empty());
}

TEST_CASE("Stanzas of other types are skipped by type, and a file with X25519 and ssh-rsa stanzas opens with either preset",
          "[store][age][x25519][ssh_rsa]") {
    const bytes plain = pattern(100000, 11);
    auto owner = escrow::x25519_private_key::generate(), auth = escrow::x25519_private_key::generate();
    escrow::age_encryptor enc;
    bytes file = encrypt_with(enc, plain, owner.public_key(), {auth.public_key()});

    // Rebuild the header with an ssh-rsa stanza and a grease stanza added, under the same file key.
    escrow::memory_source in(file);
    const auto read = enc.read_header(in);
    escrow::session_key key = enc.open_header(read, owner);
    escrow::file_header h = read.unverified_value();
    h.recipients.push_back({escrow::recipient_role::unknown,
                            escrow::wrap::ssh_rsa::wrap(key, ssh_authority().public_key(), escrow::default_random()),
                            "ssh-rsa"});
    h.recipients.push_back({escrow::recipient_role::unknown, {{"x", "y"}, bytes{1, 2, 3}}, "grease-type"});
    escrow::memory_sink mixed;
    escrow::store::age::write_header<escrow::cipher::chacha20_poly1305_stream, escrow::wrap::x25519>(mixed, h, key);
    mixed.write(escrow::byte_view(file).subspan(file.size() - in.remaining()));
    bytes mixed_file = std::move(mixed).take();

    CHECK(decrypt_with(enc, mixed_file, owner) == plain);
    escrow::age_ssh_encryptor ssh;
    CHECK(decrypt_with(ssh, mixed_file, ssh_authority()) == plain);
    CHECK_THROWS_AS(decrypt_with(ssh, mixed_file, ssh_owner()), escrow::error);

    // Read back, the foreign stanzas keep their types and contents.
    escrow::memory_source again(mixed_file);
    auto h2 = enc.read_header(again).unverified_value();
    REQUIRE(h2.recipients.size() == 4);
    CHECK(h2.recipients[0].type == "X25519");
    CHECK(h2.recipients[2].type == "ssh-rsa");
    CHECK(h2.recipients[3].type == "grease-type");
    CHECK(h2.recipients[3].key.args == std::vector<std::string>{"x", "y"});
    CHECK(h2.recipients[3].key.body == bytes{1, 2, 3});
    CHECK(h2.recipients[0].role == escrow::recipient_role::unknown);
}

TEST_CASE("An age escrow record carries the authority's stanza as text", "[record][age]") {
    auto owner = escrow::x25519_private_key::generate(), auth = escrow::x25519_private_key::generate();
    escrow::age_encryptor enc;
    std::vector<escrow::escrow_record> recs;
    bytes file = encrypt_with(enc, pattern(10, 1), owner.public_key(), {auth.public_key()}, &recs);
    REQUIRE(recs.size() == 1);
    std::string blob(recs[0].wrapped_key.begin(), recs[0].wrapped_key.end());
    CHECK(blob.starts_with("-> X25519 "));
    CHECK(blob.ends_with("\n"));
    // The same stanza stands in the file's header.
    std::string header(file.begin(), file.end());
    CHECK(header.find(blob) != std::string::npos);
    auto w = escrow::store::age::decode_blob<escrow::cipher::chacha20_poly1305_stream, escrow::wrap::x25519>(recs[0].wrapped_key);
    CHECK(w.args.size() == 1);
    CHECK(w.body.size() == 32);
    CHECK(enc.recover_session_key(recs[0], auth).size() == 16);
    // Two stanzas, another type, or trailing bytes are not a blob.
    auto bad = [](std::string s) {
        return escrow::store::age::decode_blob<escrow::cipher::chacha20_poly1305_stream, escrow::wrap::x25519>(escrow::as_bytes(s));
    };
    CHECK_THROWS_AS(bad(blob + blob), escrow::error);
    CHECK_THROWS_AS(bad("-> ssh-rsa AAAA\n\n"), escrow::error);
    CHECK_THROWS_AS(bad(blob + "x"), escrow::error);
}

TEST_CASE("OpenSSH RSA keys parse from public lines and the wire format", "[core][ssh]") {
    const auto& k = ssh_owner();
    std::string line = k.public_key().str() + " user@host\n";
    auto pub = escrow::ssh_rsa_public_key::parse(line);
    CHECK(pub.fingerprint() == k.public_key().fingerprint());
    CHECK(escrow::ssh_rsa_public_key::load(escrow::as_bytes("# comment\n" + line)).str() == pub.str());
    CHECK_THROWS_AS(escrow::ssh_rsa_public_key::parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA x"), escrow::error);
    CHECK_THROWS_AS(escrow::ssh_rsa_public_key::parse("ssh-rsa !!!"), escrow::error);
    // The private key as PEM loads too.
    auto again = escrow::ssh_rsa_private_key::load(k.rsa().unsafe_pem().unsafe_bytes());
    CHECK(again.public_key().str() == pub.str());
}

TEST_CASE("The scrypt preset cannot encrypt an escrowed file: a scrypt stanza must be alone", "[host][age][scrypt]") {
    escrow::age_scrypt_encryptor enc;
    bytes plain = pattern(10, 3);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    escrow::scrypt_passphrase a("one", 10), b("two", 10);
    CHECK_THROWS_MATCHES(enc.encrypt(in, out, a, b), escrow::error,
                         Catch::Predicate<escrow::error>([](const auto& e) { return e.kind() == errc::invalid_argument; }));
    CHECK(out.data().empty());
}

TEST_CASE("An age stanza body is read up to exactly 16 KiB, the most the writer writes", "[store][age][bounds]") {
    // A header with one stanza of a foreign type and a body of `n` bytes, then the payload nonce;
    // read_header does not check the MAC, so any 32 bytes do.
    auto header_with_body = [](std::size_t n) {
        std::string b64 = escrow::base64::encode(escrow_test::pattern(n, 11), false);
        std::string h = "age-encryption.org/v1\n-> bounds-test arg\n";
        for (std::size_t i = 0; i < b64.size(); i += 64) h += b64.substr(i, 64) + "\n";
        if (b64.size() % 64 == 0) h += "\n";
        h += "--- " + escrow::base64::encode(escrow_test::pattern(32, 12), false) + "\n";
        return h + std::string(16, 'n');  // the payload nonce, which read_header reads too
    };
    for (std::size_t n : {std::size_t{16383}, std::size_t{16384}}) {
        std::string h = header_with_body(n);
        escrow::memory_source in(escrow::byte_view(reinterpret_cast<const escrow::byte*>(h.data()), h.size()));
        escrow::file_header parsed = escrow::age_encryptor{}.read_header(in).unverified_value();
        REQUIRE(parsed.recipients.size() == 1);
        CHECK(parsed.recipients[0].key.body.size() == n);
    }
    for (std::size_t n : {std::size_t{16385}, std::size_t{16386}, std::size_t{16387}, std::size_t{20000}}) {
        CAPTURE(n);
        std::string h = header_with_body(n);
        escrow::memory_source in(escrow::byte_view(reinterpret_cast<const escrow::byte*>(h.data()), h.size()));
        CHECK_THROWS_WITH(escrow::age_encryptor{}.read_header(in), Catch::Contains("larger than 16 KiB"));
    }
}

TEST_CASE("detail::poly1305 gives RFC 8439's tag and agrees with Crypto++'s Poly1305TLS on every length and split",
          "[mac][poly1305]") {
    // RFC 8439, section 2.5.2.
    {
        bytes key = escrow::hex::decode("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        std::string msg = "Cryptographic Forum Research Group";
        escrow::detail::poly1305 mac(key.data());
        mac.update(reinterpret_cast<const escrow::byte*>(msg.data()), msg.size());
        bytes tag(16);
        mac.finish(tag.data());
        CHECK(escrow::hex::encode(tag) == "a8061dc1305136c6c22b8baf0c0127a9");
    }
    // Keys chosen to push the accumulator against the modulus: r and s all ones (as clamped), and
    // messages of 0xff bytes, as well as random ones; every message fed whole and in two pieces.
    auto reference = [](const bytes& key, const bytes& msg) {
        CryptoPP::Poly1305TLS ref(key.data(), key.size());
        ref.Update(msg.data(), msg.size());
        bytes tag(16);
        ref.Final(tag.data());
        return tag;
    };
    std::vector<bytes> keys_to_try{bytes(32, 0xff), bytes(32, 0x00)};
    for (std::uint64_t seed = 1; seed <= 6; ++seed) keys_to_try.push_back(escrow_test::pattern(32, seed));
    int compared = 0;
    for (const auto& key : keys_to_try)
        for (std::size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 1000, 4096, 65536 + 16, 65536 + 7})
            for (int fill = 0; fill < 2; ++fill) {
                bytes msg = fill ? bytes(n, 0xff) : escrow_test::pattern(n, n + 99);
                bytes expect = reference(key, msg);
                for (std::size_t split : {std::size_t{0}, n / 3, n / 2 + 1}) {
                    if (split > n) continue;
                    CAPTURE(escrow::hex::encode(key), n, fill, split);
                    escrow::detail::poly1305 mac(key.data());
                    mac.update(msg.data(), split);
                    mac.update(msg.data() + split, n - split);
                    bytes tag(16);
                    mac.finish(tag.data());
                    CHECK(tag == expect);
                    ++compared;
                }
            }
    CHECK(compared > 700);

    // The reduction's edge cases, after RFC 8439 appendix A.3 (vectors 5 to 11): small r, s of 0 or
    // all ones, and blocks that leave the accumulator between 2^130 - 5 and 2^130 or wrap it.
    auto key_of = [](const char* r_hex, bool s_ones) {
        bytes k = escrow::hex::decode(r_hex);
        k.resize(32, s_ones ? 0xff : 0x00);
        return k;
    };
    auto blocks_of = [](std::initializer_list<const char*> parts) {
        bytes m;
        for (const char* p : parts) escrow::append(m, escrow::hex::decode(p));
        return m;
    };
    const char* r2 = "02000000000000000000000000000000";
    const char* r1 = "01000000000000000000000000000000";
    const char* r1_4 = "01000000000000000400000000000000";
    const char* ff16 = "ffffffffffffffffffffffffffffffff";
    struct edge {
        bytes key, msg;
        const char* tag;  // from the RFC where it gives one here; otherwise only the comparison
    } edges[] = {
        {key_of(r2, false), blocks_of({ff16}), "03000000000000000000000000000000"},
        {key_of(r2, true), blocks_of({"02000000000000000000000000000000"}), "03000000000000000000000000000000"},
        {key_of(r1, false), blocks_of({ff16, "f0ffffffffffffffffffffffffffffff", "11000000000000000000000000000000"}),
         "05000000000000000000000000000000"},
        {key_of(r1, false), blocks_of({ff16, "fbfefefefefefefefefefefefefefefe", "01010101010101010101010101010101"}),
         "00000000000000000000000000000000"},
        {key_of(r2, false), blocks_of({"fdffffffffffffffffffffffffffffff"}), "faffffffffffffffffffffffffffffff"},
        {key_of(r1_4, false),
         blocks_of({"e33594d7505e43b90000000000000000", "3394d7505e4379cd0100000000000000",
                    "00000000000000000000000000000000", "01000000000000000000000000000000"}),
         "14000000000000005500000000000000"},
        {key_of(r1_4, false),
         blocks_of({"e33594d7505e43b90000000000000000", "3394d7505e4379cd0100000000000000",
                    "00000000000000000000000000000000"}),
         "13000000000000000000000000000000"},
    };
    for (const auto& e : edges) {
        CAPTURE(escrow::hex::encode(e.key), escrow::hex::encode(e.msg));
        escrow::detail::poly1305 mac(e.key.data());
        mac.update(e.msg.data(), e.msg.size());
        bytes tag(16);
        mac.finish(tag.data());
        CHECK(tag == reference(e.key, e.msg));
        CHECK(escrow::hex::encode(tag) == e.tag);
    }
}
