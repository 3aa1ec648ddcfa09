// SPDX-License-Identifier: MIT
/// @file
/// The PKCS#11 wraps against SoftHSM2 (the token the ctest fixture pkcs11.setup made with
/// escrow_p11_tool setup): the law suite over both, keys that cannot be exported, records made
/// with the file-key wraps recovered through the token, and one clear error per failure.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include <escrow/authority/memory_repository.hpp>
#include <escrow/escrow.hpp>
#include <escrow/legacy/presets.hpp>
#include <escrow/wrap/pkcs11.hpp>

#include "../pkcs11/softhsm.hpp"
#include "register_laws.hpp"

namespace {

const std::string token_dir = ESCROW_PKCS11_TOKEN_DIR;
const std::string pin_file = token_dir + "/pin.txt";
const std::string pin_text = "law-pin-2718";  // as escrow_p11_tool setup wrote it

/// The URI of `object` on the test token; SoftHSM 2.6 does OAEP over SHA-1 only, so x-oaep=host.
std::string uri(const std::string& object, const std::string& pin = pin_file) {
    return escrow_softhsm::uri_of("escrow-test", object, pin) + "&x-oaep=host";
}

/// The process's one session on the test token (opened on first use, reused by every case).
const std::shared_ptr<escrow::pkcs11::session>& shared_session() {
    static const std::shared_ptr<escrow::pkcs11::session> s = [] {
        ::setenv("SOFTHSM2_CONF", (token_dir + "/softhsm2.conf").c_str(), 1);
        const auto u = escrow::pkcs11::uri::parse(uri("law-0"));
        return escrow::pkcs11::session::open(u, escrow::pkcs11::read_pin(pin_file));
    }();
    return s;
}

escrow::pkcs11::rsa_key token_key(const std::string& label) {
    return escrow::pkcs11::rsa_key::find(shared_session(), escrow::pkcs11::uri::parse(uri(label)));
}

/// Three RSA-3072 keys generated inside the token, and each wrap on the shared session.
struct token_fixture {
    template <class W>
    static std::vector<escrow::pkcs11::rsa_key> keys() {
        std::vector<escrow::pkcs11::rsa_key> k;
        for (const char* l : {"law-0", "law-1", "law-2"}) k.push_back(token_key(l));
        return k;
    }
    template <class W>
    static W make() { return W(shared_session()); }
};

using token_wraps = escrow::type_list<escrow::wrap::pkcs11_rsa_oaep_sha256, escrow::wrap::pkcs11_rsa_pkcs1v15>;

const bool registered = [] {
    ::setenv("SOFTHSM2_CONF", (token_dir + "/softhsm2.conf").c_str(), 1);
    escrow_laws::register_wrap_laws<token_wraps, token_fixture>();
    return true;
}();

/// The committed test key "owner" or "authority" (tests/golden/keys), in a file.
escrow::rsa_private_key golden(const std::string& name) {
    auto k = escrow_laws::keys_of<escrow::wrap::rsa_oaep_sha256>();
    return std::move(k[name == "authority" ? 1 : 0]);
}

/// The message of the `escrow::error` `f` throws, checked to be of code `code`.
template <class F>
std::string error_of(F&& f, escrow::errc code) {
    try {
        f();
    } catch (const escrow::error& e) {
        CHECK(e.kind() == code);
        return e.what();
    }
    FAIL("no escrow::error thrown");
    return {};
}

}  // namespace

TEST_CASE("The token wraps share the ids and formats of the file-key wraps", "[pkcs11]") {
    REQUIRE(registered);
    STATIC_REQUIRE(escrow::wrap::pkcs11_rsa_oaep_sha256::id == escrow::wrap::rsa_oaep_sha256::id);
    STATIC_REQUIRE(escrow::wrap::pkcs11_rsa_pkcs1v15::id == escrow::wrap::rsa_pkcs1v15::id);
    STATIC_REQUIRE(escrow::store::native::carries<escrow::cipher::aes256_gcm_stream, escrow::wrap::pkcs11_rsa_oaep_sha256>);
    STATIC_REQUIRE(escrow::store::carries<escrow::store::cryptoapi, escrow::legacy::cryptoapi_aes_cbc<256>,
                                          escrow::wrap::pkcs11_rsa_pkcs1v15>);
    STATIC_REQUIRE(!escrow::store::native::carries<escrow::cipher::aes256_gcm_stream, escrow::wrap::pkcs11_rsa_pkcs1v15>);
    STATIC_REQUIRE(escrow::registry::id_lawful<escrow::registry::wraps, escrow::wrap::pkcs11_rsa_oaep_sha256>);
}

TEST_CASE("The keys generated in the token cannot be exported", "[pkcs11]") {
    escrow_softhsm::use_token_dir(token_dir);
    auto a = escrow_softhsm::admin::login("escrow-test", pin_text);
    for (const char* label : {"law-0", "file-authority"}) {
        INFO(label);
        CHECK(a.read_private_attribute(label, CKA_PRIVATE_EXPONENT) == CKR_ATTRIBUTE_SENSITIVE);
        CHECK(a.read_private_attribute(label, CKA_PRIME_1) == CKR_ATTRIBUTE_SENSITIVE);
        CHECK(a.read_private_attribute(label, CKA_VALUE) != CKR_OK);
        CHECK(a.read_private_attribute(label, CKA_MODULUS) == CKR_OK);  // the public part is readable
    }
}

TEST_CASE("The public key and its fingerprint come from the token", "[pkcs11]") {
    auto k = token_key("file-authority");
    const auto file = golden("authority").public_key();
    CHECK(k.public_key().der() == file.der());
    escrow::wrap::pkcs11_rsa_oaep_sha256 w(shared_session());
    CHECK(w.fingerprint(w.public_of(k)) == escrow::wrap::rsa_oaep_sha256::fingerprint(file));
    CHECK(token_key("law-0").public_key().bits() == 3072);
}

TEST_CASE("A native record made for a file key is recovered through the token", "[pkcs11]") {
    const auto file_pub = golden("authority").public_key();
    const escrow::bytes plain(100000, 0x42);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto records = escrow::native_encryptor{}.encrypt(in, out, golden("owner").public_key(),
                                                      std::span<const escrow::rsa_public_key>(&file_pub, 1),
                                                      escrow::key_info{});
    REQUIRE(records.size() == 1);
    escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::pkcs11_rsa_oaep_sha256, escrow::store::native>
        enc({}, escrow::wrap::pkcs11_rsa_oaep_sha256(shared_session()));
    escrow::memory_source back(out.data());
    escrow::memory_sink opened;
    enc.decrypt_with_record(back, opened, records[0], token_key("file-authority"));
    CHECK(opened.data() == plain);
    // A token key the record was not made for: the record names another key.
    escrow::memory_source again(out.data());
    escrow::memory_sink none;
    CHECK_THROWS_AS(enc.decrypt_with_record(again, none, records[0], token_key("law-0")), escrow::error);
    CHECK(none.data().empty());
}

TEST_CASE("A CryptoAPI record is recovered through the token, and a bad block fails like a wrong key", "[pkcs11]") {
    const auto file_pub = golden("authority").public_key();
    const escrow::bytes plain(5000, 0x17);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto records = escrow::legacy::cryptoapi_encryptor<256>{}.encrypt(
        in, out, golden("owner").public_key(), std::span<const escrow::rsa_public_key>(&file_pub, 1),
        escrow::key_info{});
    REQUIRE(records.size() == 1);
    using host = escrow::escrow_encryptor<escrow::legacy::cryptoapi_aes_cbc<256>, escrow::wrap::pkcs11_rsa_pkcs1v15,
                                          escrow::store::cryptoapi>;
    host enc({}, escrow::wrap::pkcs11_rsa_pkcs1v15(shared_session()));
    escrow::memory_source back(out.data());
    escrow::memory_sink opened;
    enc.decrypt_with_record(back, opened, records[0], token_key("file-authority"));
    CHECK(opened.data() == plain);

    // The record's RSA block replaced by one the token refuses (bad padding), and by a block of
    // good padding but a key of the wrong length: the wrap answers a key either way, and the
    // record's MAC refuses it with the same error a wrong key gives.
    escrow::wrap::pkcs11_rsa_pkcs1v15 w(shared_session());
    const auto tk = token_key("file-authority");
    escrow::wrapped_key bad{{}, escrow::bytes(256, 0x01)};
    auto stand_in = w.unwrap(bad, tk, 32);
    REQUIRE(stand_in.has_value());
    CHECK(stand_in->size() == 32);
    auto again = w.unwrap(bad, tk, 32);  // the same block, the same stand-in (within the session)
    CHECK(escrow::constant_time_equal(again->unsafe_bytes(), stand_in->unsafe_bytes()));
    const auto short_key = escrow::session_key::from_unsafe_bytes(escrow::bytes(16, 0x33));
    auto wrong_length = w.unwrap(w.wrap(short_key, tk.public_key(), escrow::default_random()), tk, 32);
    REQUIRE(wrong_length.has_value());
    CHECK(wrong_length->size() == 32);
    auto right = w.unwrap(w.wrap(short_key, tk.public_key(), escrow::default_random()), tk, 16);
    REQUIRE(right.has_value());
    CHECK(escrow::constant_time_equal(right->unsafe_bytes(), short_key.unsafe_bytes()));

    auto with_block = [&](const escrow::bytes& block) {
        escrow::escrow_record r = records[0];
        r.wrapped_key = escrow::store::cryptoapi::encode_blob<escrow::legacy::cryptoapi_aes_cbc<256>, escrow::wrap::rsa_pkcs1v15>(
            escrow::wrapped_key{{}, block});
        return r;
    };
    auto recover = [&](const escrow::escrow_record& r) {
        return error_of(
            [&] {
                escrow::memory_source s(out.data());
                escrow::memory_sink o;
                enc.decrypt_with_record(s, o, r, tk);
            },
            escrow::errc::authentication_failed);
    };
    const std::string bad_padding = recover(with_block(bad.body));
    const std::string wrong_size = recover(with_block(w.wrap(short_key, tk.public_key(), escrow::default_random()).body));
    const std::string other_key =
        recover(with_block(w.wrap(escrow::session_key::from_unsafe_bytes(escrow::bytes(32, 0x44)), tk.public_key(),
                                  escrow::default_random()).body));
    CHECK(bad_padding == wrong_size);
    CHECK(bad_padding == other_key);
    CHECK_THAT(bad_padding, Catch::Contains("MAC does not verify"));
}

TEST_CASE("A wrong PIN is one clear error that does not show the PIN", "[pkcs11][errors]") {
    std::string msg = error_of([] { (void)escrow::pkcs11::open_rsa_key(uri("law-0", token_dir + "/wrong-pin.txt"), std::nullopt); },
                               escrow::errc::bad_key);
    CHECK_THAT(msg, Catch::Contains("wrong PIN (CKR_PIN_INCORRECT)"));
    CHECK(msg.find("not-the-pin") == std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("A missing module, token or key, or a key of the wrong type, is one clear error", "[pkcs11][errors]") {
    ::setenv("SOFTHSM2_CONF", (token_dir + "/softhsm2.conf").c_str(), 1);
    CHECK_THAT(error_of([] { (void)escrow::pkcs11::open_rsa_key("pkcs11:token=escrow-test;object=law-0?module-path=/nonexistent/p11.so&pin-source=file:" + pin_file, std::nullopt); },
                        escrow::errc::not_found),
               Catch::Contains("PKCS#11 module '/nonexistent/p11.so' cannot be loaded"));
    CHECK_THAT(error_of([] { (void)escrow::pkcs11::open_rsa_key(escrow_softhsm::uri_of("no-such-token", "law-0", pin_file), std::nullopt); },
                        escrow::errc::not_found),
               Catch::Contains("no token matches token 'no-such-token'"));
    CHECK_THAT(error_of([] { (void)escrow::pkcs11::open_rsa_key(uri("no-such-key"), std::nullopt); }, escrow::errc::not_found),
               Catch::Contains("no private key token 'escrow-test', object 'no-such-key'"));
    CHECK_THAT(error_of([] { (void)escrow::pkcs11::open_rsa_key(uri("ec"), std::nullopt); }, escrow::errc::bad_key),
               Catch::Contains("is not an RSA key (wrong key type)"));
    CHECK_THAT(error_of([] { (void)escrow::pkcs11::uri::parse("pkcs11:object=a?module-path=/x.so&pin-value=1234"); },
                        escrow::errc::invalid_argument),
               Catch::Contains("pin-value is refused"));
    CHECK_THAT(error_of([] { (void)escrow::pkcs11::uri::parse("pkcs11:object=a;tokn=x?module-path=/x.so"); },
                        escrow::errc::invalid_argument),
               Catch::Contains("unknown path attribute 'tokn'"));
    CHECK_THAT(error_of([] { (void)escrow::pkcs11::uri::parse("pkcs11:object=a"); }, escrow::errc::invalid_argument),
               Catch::Contains("names no module"));
    CHECK_THAT(error_of([] { (void)escrow::pkcs11::open_rsa_key(uri("law-0", "").substr(0, uri("law-0", "").find("&pin")), std::nullopt); },
                        escrow::errc::invalid_argument),
               Catch::Contains("no PIN for the PKCS#11 token"));
}

TEST_CASE("RFC 7512 URIs are percent-decoded and their attributes read", "[pkcs11]") {
    auto u = escrow::pkcs11::uri::parse("pkcs11:token=my%20token;object=a%3bb;id=%01%02;slot-id=7;type=private"
                                        "?module-path=/usr/lib/m.so&pin-source=file:/run/pin");
    CHECK(*u.token == "my token");
    CHECK(*u.object == "a;b");
    CHECK(*u.id == escrow::bytes{1, 2});
    CHECK(*u.slot_id == 7);
    CHECK(u.module_path == "/usr/lib/m.so");
    CHECK(*u.pin_source == "file:/run/pin");
    CHECK_THROWS_AS(escrow::pkcs11::uri::parse("pkcs11:object=%4?module-path=/m.so"), escrow::error);
    CHECK_THROWS_AS(escrow::pkcs11::uri::parse("pkcs11:type=public;object=a?module-path=/m.so"), escrow::error);
}

TEST_CASE("A token without OAEP over SHA-256 refuses the mechanism with a clear error", "[pkcs11][errors]") {
    // SoftHSM 2.6 does CKM_RSA_PKCS_OAEP over SHA-1 only: without x-oaep=host the unwrap fails
    // before any data reaches the token, and says what to do.
    auto u = escrow::pkcs11::uri::parse(escrow_softhsm::uri_of("escrow-test", "law-0", pin_file));
    REQUIRE(!u.oaep_on_host);
    auto key = escrow::pkcs11::rsa_key::find(shared_session(), u);
    escrow::wrap::pkcs11_rsa_oaep_sha256 w(shared_session());
    const auto k = escrow::session_key::from_unsafe_bytes(escrow::bytes(32, 0x5A));
    const auto wk = w.wrap(k, key.public_key(), escrow::default_random());
    CHECK_THAT(error_of([&] { (void)w.unwrap(wk, key); }, escrow::errc::bad_key),
               Catch::Contains("CKM_RSA_PKCS_OAEP (SHA-256, MGF1-SHA-256)") && Catch::Contains("add x-oaep=host to the URI"));
}

TEST_CASE("A backup authority holds a token key and takes the records made for it in a file", "[pkcs11]") {
    ::setenv("SOFTHSM2_CONF", (token_dir + "/softhsm2.conf").c_str(), 1);
    const std::string token_uri = uri("file-authority");
    escrow::authority::memory_repository repo;
    // docs/authority.md quotes these lines.
    auto key = escrow::pkcs11::open_rsa_key(token_uri, std::nullopt);  // the PIN from the URI's pin-source
    escrow::wrap::pkcs11_rsa_oaep_sha256 wrap(key.shared_session());
    escrow::authority::backup_authority<escrow::wrap::pkcs11_rsa_oaep_sha256, escrow::authority::memory_repository,
                                        escrow::authority::officer_quorum<2>>
        auth(repo, {}, std::move(key), wrap);

    const auto file_pub = golden("authority").public_key();
    CHECK(auth.fingerprint() == file_pub.fingerprint());
    escrow::memory_source in(escrow::byte_view{});
    escrow::memory_sink out;
    auto record = escrow::native_encryptor{}.encrypt(in, out, golden("owner").public_key(),
                                                     std::span<const escrow::rsa_public_key>(&file_pub, 1), escrow::key_info{});
    CHECK(auth.deposit(record.front()) == escrow::authority::deposit_result::stored);

    // The token computes the audit key material (raw RSA of a fixed block, checked on the host):
    // the authority signs its audit head, with the audit key a file-key authority of the same RSA
    // key has, so moving the key into the token keeps the key auditors pinned.
    STATIC_REQUIRE_FALSE(escrow::authority::audit_key_derivable<escrow::wrap::pkcs11_rsa_oaep_sha256>);
    STATIC_REQUIRE(escrow::authority::audit_key_from_token<escrow::wrap::pkcs11_rsa_oaep_sha256>);
    STATIC_REQUIRE(escrow::authority::audit_key_from_token<escrow::wrap::pkcs11_rsa_pkcs1v15>);
    REQUIRE(auth.signs_audit());
    const auto file_audit_key = escrow::authority::audit_signing_key::derive<escrow::wrap::rsa_oaep_sha256>(
        golden("authority"), file_pub.fingerprint());
    CHECK(*auth.audit_key() == file_audit_key.public_key());
    auto rep = auth.verify_audit();
    CHECK(rep.valid);
    CHECK(rep.head_signed);
    CHECK(auth.verify_audit(file_audit_key.public_key()).head_signed);

    // A head signed through the token verifies under the file-key authority on the same repository.
    escrow::authority::backup_authority<escrow::wrap::rsa_oaep_sha256, escrow::authority::memory_repository,
                                        escrow::authority::officer_quorum<2>>
        file_auth(repo, {}, golden("authority"));
    CHECK(file_auth.verify_audit().head_signed);
}
