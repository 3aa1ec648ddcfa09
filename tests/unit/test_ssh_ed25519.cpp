// SPDX-License-Identifier: MIT
/// @file
/// age's ssh-ed25519 recipient (`wrap::ssh_ed25519`) and OpenSSH Ed25519 keys: a file the real
/// `age` wrote (tests/unit/data, with the committed key of tests/golden/keys) opens; round trips
/// through the age and native formats; the stanza's structural errors; the key parsers' refusals.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include <escrow/escrow.hpp>

#include "error_kind.hpp"

namespace {

using escrow::errc;

escrow::bytes file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return escrow::bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
escrow::bytes test_key(const std::string& name) { return file_bytes(std::string(ESCROW_TEST_KEYS_DIR) + "/" + name); }
escrow::bytes test_data(const std::string& name) { return file_bytes(std::string(ESCROW_TEST_DATA_DIR) + "/" + name); }

escrow::ssh_ed25519_private_key key(const std::string& name) { return escrow::ssh_ed25519_private_key::load(test_key(name)); }

using escrow_test::error_kind;

using escrow_test::message_of;

}  // namespace

TEST_CASE("ssh-keygen's Ed25519 keys load, and the .pub line names the same key", "[keys][ssh_ed25519]") {
    for (const char* name : {"ssh_ed25519_owner", "ssh_ed25519_authority", "ssh_ed25519_new_owner"}) {
        const auto priv = key(name);
        const auto pub = escrow::ssh_ed25519_public_key::load(test_key(std::string(name) + ".pub"));
        CHECK(pub.str() == priv.public_key().str());
        CHECK(pub.fingerprint() == priv.public_key().fingerprint());
        // The X25519 form of the public key is X25519(scalar, 9) of the private one: the birational map
        // and the SHA-512 scalar agree.
        std::array<escrow::byte, 32> u{};
        escrow::detail::x25519_base(u.data(), priv.unsafe_x25519_scalar());
        CHECK(escrow::constant_time_equal(u, pub.x25519()));
    }
    CHECK(key("ssh_ed25519_owner").public_key().str() != key("ssh_ed25519_authority").public_key().str());
}

TEST_CASE("A key written by unsafe_openssh reads back, and a generated key differs from the last", "[keys][ssh_ed25519]") {
    const auto k = escrow::ssh_ed25519_private_key::generate();
    const auto text = k.unsafe_openssh("round trip");
    const auto again = escrow::ssh_ed25519_private_key::load(text.unsafe_bytes());
    CHECK(again.public_key().str() == k.public_key().str());
    CHECK(escrow::constant_time_equal(again.unsafe_x25519_scalar(), k.unsafe_x25519_scalar()));
    CHECK(escrow::ssh_ed25519_private_key::generate().public_key().str() != k.public_key().str());
}

TEST_CASE("Bad Ed25519 keys are refused with a clear bad_key", "[keys][ssh_ed25519]") {
    using escrow::ssh_ed25519_public_key;
    // A key that is not a curve point, the identity point, and a wire key with a wrong length.
    std::array<escrow::byte, 32> not_on_curve{};
    not_on_curve[0] = 2;
    CHECK(message_of([&] { ssh_ed25519_public_key k(not_on_curve); }).find("not a point on the curve") != std::string::npos);
    std::array<escrow::byte, 32> identity{};
    identity[0] = 1;
    CHECK(message_of([&] { ssh_ed25519_public_key k(identity); }).find("small order") != std::string::npos);
    escrow::bytes short_wire;
    escrow::ssh::put_string(short_wire, escrow::as_bytes(std::string_view("ssh-ed25519")));
    escrow::ssh::put_string(short_wire, escrow::bytes(31, 7));
    CHECK(error_kind([&] { (void)ssh_ed25519_public_key::from_wire(short_wire); }) == errc::bad_key);
    // An RSA line, a line with no key, a key that is not base64.
    const std::string rsa_line(reinterpret_cast<const char*>(test_key("ssh_rsa_owner.pub").data()), test_key("ssh_rsa_owner.pub").size());
    CHECK(error_kind([&] { (void)ssh_ed25519_public_key::parse(rsa_line); }) == errc::bad_key);
    CHECK(error_kind([&] { (void)ssh_ed25519_public_key::parse("ssh-ed25519"); }) == errc::bad_key);
    CHECK(error_kind([&] { (void)ssh_ed25519_public_key::parse("ssh-ed25519 !!!"); }) == errc::bad_key);
    // Private keys: an RSA key in OpenSSH's format, a PEM key, and a passphrase-protected key.
    CHECK(message_of([] { (void)key("ssh_rsa_owner"); }).find("not an Ed25519 key") != std::string::npos);
    CHECK(error_kind([] { (void)escrow::ssh_ed25519_private_key::load(test_key("rsa_owner.pem")); }) == errc::bad_key);
    CHECK(message_of([] { (void)escrow::ssh_ed25519_private_key::load(test_data("ssh_ed25519_passphrase")); })
              .find("passphrase-protected") != std::string::npos);
}

TEST_CASE("A file the real age wrote for an ssh-ed25519 and an X25519 recipient opens with either key",
          "[host][age][ssh_ed25519][known_answer]") {
    const escrow::bytes file = test_data("age_ssh_ed25519.age");
    const escrow::bytes want = test_data("age_ssh_ed25519.txt");
    {
        escrow::memory_source in(file);
        escrow::memory_sink out;
        escrow::age_ssh_ed25519_encryptor{}.decrypt(in, out, key("ssh_ed25519_owner"));
        CHECK(std::move(out).take() == want);
    }
    {
        escrow::memory_source in(file);
        escrow::memory_sink out;
        escrow::age_encryptor{}.decrypt(in, out, escrow::x25519_private_key::load(test_key("x25519_authority.txt")));
        CHECK(std::move(out).take() == want);
    }
    escrow::memory_source in(file);
    escrow::memory_sink out;
    CHECK(error_kind([&] { escrow::age_ssh_ed25519_encryptor{}.decrypt(in, out, key("ssh_ed25519_authority")); }) ==
          errc::no_matching_key);
}

TEST_CASE("ssh-ed25519 round trips through the age and native formats, for the owner and the authority",
          "[host][age][native][ssh_ed25519]") {
    const auto owner = key("ssh_ed25519_owner"), authority = key("ssh_ed25519_authority");
    const escrow::bytes plain(70000, 0x5a);
    auto round_trip = [&](auto enc) {
        escrow::memory_source in(plain);
        escrow::memory_sink sealed;
        const auto record = enc.encrypt(in, sealed, owner.public_key(), authority.public_key());
        const escrow::bytes file = std::move(sealed).take();
        for (const auto* k : {&owner, &authority}) {
            escrow::memory_source src(file);
            escrow::memory_sink out;
            enc.decrypt(src, out, *k);
            CHECK(std::move(out).take() == plain);
        }
        escrow::memory_source src(file);
        escrow::memory_sink out;
        enc.decrypt_with_record(src, out, record, authority);
        CHECK(std::move(out).take() == plain);
        escrow::memory_source again(file);
        escrow::memory_sink none;
        CHECK(error_kind([&] { enc.decrypt(again, none, key("ssh_ed25519_new_owner")); }) == errc::no_matching_key);
    };
    round_trip(escrow::age_ssh_ed25519_encryptor{});
    round_trip(escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::ssh_ed25519, escrow::store::native>{});
}

TEST_CASE("ssh-ed25519 stanzas: the tag selects the key, and broken stanzas are header errors", "[wrap][ssh_ed25519]") {
    using W = escrow::wrap::ssh_ed25519;
    const auto owner = key("ssh_ed25519_owner"), other = key("ssh_ed25519_authority");
    const auto k = escrow::session_key::generate(16);
    const escrow::wrapped_key w = W::wrap(k, owner.public_key(), escrow::default_random());
    REQUIRE(w.args.size() == 2);
    CHECK(w.args[0] == escrow::base64::encode(W::tag_of(owner.public_key()), false));
    CHECK(w.args[0].size() == 6);
    CHECK(w.body.size() == 16 + 16);
    REQUIRE(W::unwrap(w, owner, 16).has_value());
    CHECK_FALSE(W::unwrap(w, other, 16).has_value());

    auto changed = [&](auto edit) {
        escrow::wrapped_key c = w;
        edit(c);
        return c;
    };
    // A body altered, or a share replaced by another point: the AEAD refuses, nullopt.
    CHECK_FALSE(W::unwrap(changed([](auto& c) { c.body[0] ^= 1; }), owner, 16).has_value());
    std::array<escrow::byte, 32> nine{9};
    CHECK_FALSE(W::unwrap(changed([&](auto& c) { c.args[1] = escrow::base64::encode(nine, false); }), owner, 16).has_value());
    // Structure: argument count, tag size, share size, a low-order share, a body of the wrong size.
    CHECK(error_kind([&] { (void)W::unwrap(changed([](auto& c) { c.args.pop_back(); }), owner, 16); }) == errc::malformed_header);
    CHECK(error_kind([&] { (void)W::unwrap(changed([](auto& c) { c.args[0] = "AAAAAAA"; }), owner, 16); }) ==
          errc::malformed_header);
    CHECK(error_kind([&] { (void)W::unwrap(changed([](auto& c) { c.args[1] = "AAAA"; }), owner, 16); }) == errc::malformed_header);
    std::array<escrow::byte, 32> zero{};
    CHECK(error_kind([&] { (void)W::unwrap(changed([&](auto& c) { c.args[1] = escrow::base64::encode(zero, false); }), owner, 16); }) ==
          errc::malformed_header);
    CHECK(error_kind([&] { (void)W::unwrap(changed([](auto& c) { c.body.push_back(0); }), owner, 16); }) == errc::malformed_header);
    // Another key's stanza is not judged: its body size does not matter.
    CHECK_FALSE(W::unwrap(changed([](auto& c) { c.body.push_back(0); }), other, 16).has_value());
}
