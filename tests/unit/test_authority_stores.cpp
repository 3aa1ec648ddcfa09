// SPDX-License-Identifier: MIT
/// @file
/// The backup authority with other stores: dispatch on a record's store, a format without recipient
/// roles, an X25519 authority for age files and a PKCS#1 v1.5 authority for CryptoAPI files.

#include "authority_support.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

using namespace escrow_test;
using escrow::errc;

// ---- user-defined stores ---------------------------------------------------------------------------

namespace {

// The native format under a user-defined store id: the members the two test stores below keep.
template <std::uint16_t Id>
struct native_under_id {
    static constexpr std::uint16_t id = Id;
    template <class C, class W>
    static constexpr bool carries = escrow::store::native::carries<C, W>;
    template <class C, class W, escrow::byte_sink Sink>
    static void write_header(Sink& sink, escrow::file_header& h, const escrow::session_key& key) {
        escrow::store::native::write_header<C, W>(sink, h, key);
    }
    template <class C, class W, escrow::byte_source Source>
    static escrow::file_header read_header(Source& src) { return escrow::store::native::read_header<C, W>(src); }
    template <class C, class W>
    static bool verify_header(const escrow::file_header& h, const escrow::session_key& key) {
        return escrow::store::native::verify_header<C, W>(h, key);
    }
    template <class C, class W>
    static escrow::bytes encode_blob(const escrow::wrapped_key& w) { return escrow::store::native::encode_blob<C, W>(w); }
    template <class C, class W>
    static escrow::wrapped_key decode_blob(escrow::byte_view b) { return escrow::store::native::decode_blob<C, W>(b); }
};

// A user-defined store for the dispatch test: the native file layout, but its own id and its own
// blob format (a "TSTB" prefix and the native blob reversed), so a blob in the wrong format fails.
struct reversed_blob_store : native_under_id<0x8301> {
    static constexpr std::string_view name = "reversed-blob-test-store";
    template <class C, class W>
    static escrow::bytes encode_blob(const escrow::wrapped_key& w) {
        escrow::bytes b = escrow::store::native::encode_blob<C, W>(w);
        std::reverse(b.begin(), b.end());
        escrow::bytes out = {'T', 'S', 'T', 'B'};
        escrow::append(out, b);
        return out;
    }
    template <class C, class W>
    static escrow::wrapped_key decode_blob(escrow::byte_view b) {
        if (b.size() < 4 || b[0] != 'T' || b[1] != 'S' || b[2] != 'T' || b[3] != 'B')
            throw escrow::error(errc::malformed_blob, "not a reversed test blob");
        escrow::bytes rev(b.begin() + 4, b.end());
        std::reverse(rev.begin(), rev.end());
        return escrow::store::native::decode_blob<C, W>(rev);
    }
};
static_assert(escrow::store_policy<reversed_blob_store, escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256>);
static_assert(escrow::store::carries<reversed_blob_store, escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256>);
static_assert(escrow::store::carries<escrow::store::native, escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256>);

using test_encryptor = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256, reversed_blob_store>;
using two_stores = escrow::type_list<escrow::store::native, reversed_blob_store>;

}  // namespace

TEST_CASE("The authority dispatches on the record's store and answers in that store's blob format",
          "[authority][dispatch]") {
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::rsa_oaep_sha256, ea::memory_repository, ea::dynamic_officer_quorum, two_stores>
        authority(repo, ea::dynamic_officer_quorum(1), keys().authority.clone());
    authority.register_officer("olivia", officer_keys()[0].public_key());

    test_encryptor enc;
    auto plain = escrow_test::pattern(5000, 3);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto rec = enc.encrypt(in, out, keys().owner.public_key(), keys().authority.public_key(), escrow_test::sample_info("TSTB-1"));
    REQUIRE(rec.store_id == reversed_blob_store::id);
    authority.deposit(rec);
    authority.deposit(make_file("NATIVE-1").records.front());  // both stores in one repository

    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("TSTB-1", keys().new_owner.public_key(),
                                                                        authority.fingerprint(), ea::unix_now() + 60);
    ea::owner_blob blob = authority.recover(req, sign_by(req, {0}));
    CHECK(blob.store_id == reversed_blob_store::id);
    REQUIRE(blob.blob.size() > 4);
    CHECK(std::string(blob.blob.begin(), blob.blob.begin() + 4) == "TSTB");

    fs::path dir = scratch("dispatch");
    fs::path p = dir / "t.enc";
    {
        std::ofstream o(p, std::ios::binary);
        o.write(reinterpret_cast<const char*>(out.data().data()), static_cast<std::streamsize>(out.data().size()));
    }
    // A native encryptor cannot apply a blob of the test store.
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<escrow::native_encryptor>(p, blob, keys().new_owner),
                       errc::unknown_policy_id);
    ea::apply_owner_blob_in_place<test_encryptor>(p, blob, keys().new_owner);
    escrow::file_source fin(p);
    auto file = escrow::read_all(fin, 1 << 24);
    escrow::memory_source fin2(file);
    escrow::memory_sink dec;
    enc.decrypt(fin2, dec, keys().new_owner);
    CHECK(dec.data() == plain);

    // The library's default store list does not know the test store.
    ea::memory_repository repo2;
    ea::backup_authority<escrow::wrap::rsa_oaep_sha256, ea::memory_repository, ea::officer_quorum<1>> plain_authority(
        repo2, {}, keys().authority.clone());
    CHECK_ESCROW_ERROR(plain_authority.deposit(rec), errc::unknown_policy_id);
}

namespace {

// A store whose headers, as read, record no roles and list the authority's entry before the
// owner's (as an age file may): the native layout underneath, the order reversed and the roles
// cleared on reading, restored on writing (the owner's entry is always written first).
struct roleless_store : native_under_id<0x8302> {
    static constexpr std::string_view name = "roleless-test-store";
    template <class C, class W, escrow::byte_sink Sink>
    static void write_header(Sink& sink, escrow::file_header& h, const escrow::session_key& key) {
        escrow::file_header native_order = h;
        if (native_order.recipients.front().role == escrow::recipient_role::unknown)
            std::reverse(native_order.recipients.begin(), native_order.recipients.end());
        for (std::size_t i = 0; i < native_order.recipients.size(); ++i)
            native_order.recipients[i].role = i == 0 ? escrow::recipient_role::owner : escrow::recipient_role::authority;
        escrow::store::native::write_header<C, W>(sink, native_order, key);
        h.authenticated = native_order.authenticated;
        h.mac = native_order.mac;
    }
    template <class C, class W, escrow::byte_source Source>
    static escrow::file_header read_header(Source& src) {
        escrow::file_header h = escrow::store::native::read_header<C, W>(src);
        std::reverse(h.recipients.begin(), h.recipients.end());
        for (auto& r : h.recipients) r.role = escrow::recipient_role::unknown;
        return h;
    }
};

}  // namespace

// The store states that its headers record no roles, as age does.
template <>
inline constexpr escrow::store::options escrow::store_options<roleless_store> = {
    .owner_entry = escrow::store::owner_lookup::first_not_authority};

namespace {

using roleless_encryptor = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256, roleless_store>;

}  // namespace

TEST_CASE("In a format without recipient roles, the owner's entry is the first that is not the authority's",
          "[authority][rewrap]") {
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::rsa_oaep_sha256, ea::memory_repository, ea::officer_quorum<1>,
                         escrow::type_list<roleless_store>>
        authority(repo, {}, keys().authority.clone());
    authority.register_officer("olivia", officer_keys()[0].public_key());

    roleless_encryptor enc;
    auto plain = escrow_test::pattern(70000, 4);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto rec = enc.encrypt(in, out, keys().owner.public_key(), keys().authority.public_key(), escrow_test::sample_info("ROLELESS-1"));
    authority.deposit(rec);
    auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>("ROLELESS-1", keys().new_owner.public_key(),
                                                                        authority.fingerprint(), ea::unix_now() + 60);
    auto blob = authority.recover(req, sign_by(req, {0}));

    fs::path p = scratch("roleless") / "r.enc";
    {
        std::ofstream o(p, std::ios::binary);
        o.write(reinterpret_cast<const char*>(out.data().data()), static_cast<std::streamsize>(out.data().size()));
    }
    // Without the record, the tool cannot tell the entries apart, and says so.
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<roleless_encryptor>(p, blob, keys().new_owner), errc::malformed_header);
    ea::apply_owner_blob_in_place<roleless_encryptor>(p, blob, keys().new_owner, &rec);

    escrow::file_source fin(p);
    auto file = escrow::read_all(fin, 1 << 24);
    auto decrypt_with = [&](const escrow::rsa_private_key& k) {
        escrow::memory_source s(file);
        escrow::memory_sink d;
        enc.decrypt(s, d, k);
        return std::move(d).take();
    };
    CHECK(decrypt_with(keys().new_owner) == plain);
    CHECK(decrypt_with(keys().authority) == plain);  // the authority's entry was left alone
    CHECK_ESCROW_ERROR(decrypt_with(keys().owner), errc::no_matching_key);
}

// ---- the age and CryptoAPI formats -----------------------------------------------------------------

namespace {

/// Writes `data` to `p`, replacing it.
void write_file(const fs::path& p, escrow::byte_view data) {
    std::ofstream o(p, std::ios::binary | std::ios::trunc);
    o.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

escrow::bytes read_file(const fs::path& p) {
    escrow::file_source in(p);
    return escrow::read_all(in, 1 << 24);
}

/// Decrypts `file` with `Encryptor` and a private key.
template <class Encryptor, class Key>
escrow::bytes decrypt_as(escrow::byte_view file, const Key& key) {
    Encryptor enc;
    escrow::memory_source in(file);
    escrow::memory_sink out;
    enc.decrypt(in, out, key);
    return std::move(out).take();
}

}  // namespace

static_assert(escrow::store::carries<escrow::store::age, escrow::cipher::chacha20_poly1305_stream, escrow::wrap::x25519>);
static_assert(escrow::store::carries<escrow::store::age, escrow::cipher::chacha20_poly1305_stream, escrow::wrap::ssh_rsa>);
static_assert(!escrow::store::carries<escrow::store::age, escrow::cipher::aes256_gcm_stream, escrow::wrap::x25519>);
static_assert(!escrow::store::carries<escrow::store::age, escrow::cipher::chacha20_poly1305_stream, escrow::wrap::rsa_oaep_sha256>);
static_assert(escrow::store::carries<escrow::store::cryptoapi, escrow::legacy::cryptoapi_aes_cbc<192>, escrow::wrap::rsa_pkcs1v15>);
static_assert(!escrow::store::carries<escrow::store::cryptoapi, escrow::legacy::cryptoapi_aes_cbc<192>, escrow::wrap::rsa_oaep_sha256>);
static_assert(!escrow::store::carries<escrow::store::cryptoapi, escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_pkcs1v15>);
static_assert(!escrow::store::carries<escrow::store::native, escrow::legacy::cryptoapi_aes_cbc<256>, escrow::wrap::rsa_pkcs1v15>);

TEST_CASE("X25519 and OpenSSH RSA public keys travel in requests as their raw bytes and wire encoding",
          "[authority][encoding]") {
    auto x = escrow::x25519_private_key::generate().public_key();
    auto xb = ea::public_key_codec<escrow::wrap::x25519>::encode(x);
    REQUIRE(xb.size() == 32);
    CHECK(escrow::sha256(xb) == escrow::wrap::x25519::fingerprint(x));
    CHECK(ea::public_key_codec<escrow::wrap::x25519>::decode(xb).str() == x.str());
    xb.pop_back();
    CHECK_ESCROW_ERROR((void)ea::public_key_codec<escrow::wrap::x25519>::decode(xb), errc::bad_key);

    escrow::ssh_rsa_public_key s(keys().new_owner.public_key());
    auto sb = ea::public_key_codec<escrow::wrap::ssh_rsa>::encode(s);
    CHECK(escrow::sha256(sb) == escrow::wrap::ssh_rsa::fingerprint(s));
    CHECK(ea::public_key_codec<escrow::wrap::ssh_rsa>::decode(sb).str() == s.str());
    sb.push_back(0);
    CHECK_ESCROW_ERROR((void)ea::public_key_codec<escrow::wrap::ssh_rsa>::decode(sb), errc::bad_key);

    auto req = ea::recovery_request::make<escrow::wrap::x25519>("X-1", x, escrow::digest256{}, 1);
    CHECK(ea::recovery_request::decode(req.encode()).new_owner_key == ea::public_key_codec<escrow::wrap::x25519>::encode(x));
}

TEST_CASE("An X25519 authority recovers an age record, and the rewritten age file opens with the new identity",
          "[authority][age][rewrap]") {
    auto owner = escrow::x25519_private_key::generate();
    auto authority_key = escrow::x25519_private_key::generate();
    auto new_owner = escrow::x25519_private_key::generate();
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::x25519, ea::memory_repository, ea::officer_quorum<1>> authority(repo, {}, authority_key.clone());
    authority.register_officer("olivia", officer_keys()[0].public_key());

    escrow::age_encryptor enc;
    auto plain = escrow_test::pattern(70000, 9);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto rec = enc.encrypt(in, out, owner.public_key(), authority_key.public_key(), escrow_test::sample_info("AGE-1"));
    REQUIRE(authority.deposit(rec) == ea::deposit_result::stored);
    auto req = ea::recovery_request::make<escrow::wrap::x25519>("AGE-1", new_owner.public_key(), authority.fingerprint(),
                                                               ea::unix_now() + 60);
    auto blob = authority.recover(req, sign_by(req, {0}));
    CHECK(blob.store_id == escrow::store::age::id);
    CHECK(blob.wrap_id == escrow::wrap::x25519::id);
    CHECK(std::string(blob.blob.begin(), blob.blob.begin() + 10) == "-> X25519 ");

    fs::path p = scratch("age") / "f.age";
    write_file(p, out.data());
    // The wrong identity with the record: refused, the file untouched.
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<escrow::age_encryptor>(p, blob, owner, &rec), errc::authentication_failed);
    CHECK(read_file(p) == out.data());
    ea::apply_owner_blob_in_place<escrow::age_encryptor>(p, blob, new_owner, &rec);
    auto file = read_file(p);
    CHECK(decrypt_as<escrow::age_encryptor>(file, new_owner) == plain);
    CHECK(decrypt_as<escrow::age_encryptor>(file, authority_key) == plain);  // the authority's stanza was kept
    CHECK_ESCROW_ERROR(decrypt_as<escrow::age_encryptor>(file, owner), errc::no_matching_key);
}

TEST_CASE("A PKCS#1 v1.5 authority recovers a CryptoAPI record, and rewrap checks the payload's padding and the record's MAC",
          "[authority][cryptoapi][rewrap]") {
    using E = escrow::legacy::cryptoapi_encryptor<192>;
    ea::memory_repository repo;
    ea::backup_authority<escrow::wrap::rsa_pkcs1v15, ea::memory_repository, ea::officer_quorum<1>> authority(
        repo, {}, keys().authority.clone());
    authority.register_officer("olivia", officer_keys()[0].public_key());

    auto encrypt = [&](const std::string& serial, const escrow::bytes& plain) {
        E enc;
        escrow::memory_source in(plain);
        escrow::memory_sink out;
        auto rec = enc.encrypt(in, out, keys().owner.public_key(), keys().authority.public_key(),
                               escrow_test::sample_info(serial));
        return std::pair{std::move(out).take(), rec};
    };
    auto plain = escrow_test::pattern(100000, 5);
    auto [file_a, rec_a] = encrypt("CAPI-A", plain);
    REQUIRE(authority.deposit(rec_a) == ea::deposit_result::stored);
    auto req = ea::recovery_request::make<escrow::wrap::rsa_pkcs1v15>("CAPI-A", keys().new_owner.public_key(),
                                                                     authority.fingerprint(), ea::unix_now() + 60);
    auto blob = authority.recover(req, sign_by(req, {0}));
    CHECK(blob.store_id == escrow::store::cryptoapi::id);
    CHECK(blob.cipher_id == escrow::legacy::cryptoapi_aes_cbc<192>::id);
    E enc;
    const escrow::session_key key_a = enc.recover_session_key(rec_a, keys().authority);

    // Another file whose payload does not decrypt under A's key (its final padding fails; the tool
    // cannot refuse the one file in 256 whose padding happens to pass, so the test picks by that).
    escrow::bytes file_b;
    for (int i = 0; i < 20 && file_b.empty(); ++i) {
        auto candidate = encrypt("CAPI-B", escrow_test::pattern(3000, 40 + static_cast<std::uint64_t>(i))).first;
        try {
            escrow::memory_source src(candidate);
            escrow::memory_sink sink;
            enc.decrypt_with_session_key(src, sink, key_a);
        } catch (const escrow::error& e) {
            if (e.kind() == errc::authentication_failed) file_b = candidate;
        }
    }
    REQUIRE(!file_b.empty());

    fs::path dir = scratch("cryptoapi");
    fs::path pb = dir / "b.enc";
    write_file(pb, file_b);
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<E>(pb, blob, keys().new_owner), errc::authentication_failed);
    CHECK(read_file(pb) == file_b);

    fs::path pa = dir / "a.enc";
    write_file(pa, file_a);
    // A wrong private key: PKCS#1 v1.5 unwraps it to a pseudo-random key, which the record's MAC refuses.
    CHECK_ESCROW_ERROR(ea::apply_owner_blob_in_place<E>(pa, blob, keys().stranger, &rec_a), errc::authentication_failed);
    CHECK(read_file(pa) == file_a);
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 2);  // no temporary file left

    ea::apply_owner_blob_in_place<E>(pa, blob, keys().new_owner, &rec_a);
    auto rewritten = read_file(pa);
    CHECK(rewritten.size() == file_a.size());
    CHECK(decrypt_as<E>(rewritten, keys().new_owner) == plain);
    // Only the SIMPLEBLOB changed: the payload is byte for byte the one CryptEncrypt wrote.
    const std::size_t header = 4 + 12 + 256;
    CHECK(std::equal(rewritten.begin() + header, rewritten.end(), file_a.begin() + header));
}
