// SPDX-License-Identifier: MIT
/// @file
/// k-of-n escrow (`encrypt_threshold`, `open_shares`, `rewrap_with_shares`): a 2-of-3 native file
/// at 0, 1 and 5 MiB opens for its owner and for every pair of authorities, for no authority alone;
/// a share that is not the file's (altered record, wrong key, forged share, another file's record)
/// is named before combination; share records encode as version 2 and an authority recovers its
/// share through `backup_authority`, K such blobs then hand the file to a new owner key.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <variant>
#include <vector>

#include <escrow/escrow.hpp>

#include "error_kind.hpp"

namespace {

using escrow::errc;
using escrow_test::error_kind;
using host_type = escrow::native_mixed_encryptor;
using private_key = host_type::private_key;
using public_key = host_type::public_key;
using age_host = escrow::age_mixed_encryptor;

escrow::bytes test_key(const std::string& name) {
    std::ifstream in(std::string(ESCROW_TEST_KEYS_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    return escrow::bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <class Key>
auto public_of(const Key& k) {
    using Pub = std::conditional_t<std::is_same_v<Key, age_host::private_key>, age_host::public_key, public_key>;
    return std::visit([](const auto& key) -> Pub { return key.public_key(); }, k);
}

// The three authorities, one of each wrap of the native preset.
std::vector<private_key> authority_keys() {
    std::vector<private_key> out;
    out.emplace_back(escrow::rsa_private_key::load(test_key("rsa_authority.pem")));
    out.emplace_back(escrow::x25519_private_key::load(test_key("x25519_authority.txt")));
    out.emplace_back(escrow::ssh_ed25519_private_key::load(test_key("ssh_ed25519_authority")));
    return out;
}

// The age preset's three authorities: X25519, ssh-rsa, ssh-ed25519.
std::vector<age_host::private_key> age_authority_keys() {
    std::vector<age_host::private_key> out;
    out.emplace_back(escrow::x25519_private_key::load(test_key("x25519_authority.txt")));
    out.emplace_back(escrow::ssh_rsa_private_key::load(test_key("ssh_rsa_authority")));
    out.emplace_back(escrow::ssh_ed25519_private_key::load(test_key("ssh_ed25519_authority")));
    return out;
}

using escrow_test::message_of;

struct sealed_file {
    escrow::bytes file;
    std::vector<escrow::escrow_record> records;
};

template <class Host = host_type>
sealed_file seal(const escrow::bytes& plain, const typename Host::private_key& owner,
                 const std::vector<typename Host::private_key>& auths, std::size_t k) {
    std::vector<typename Host::public_key> pubs;
    for (const auto& a : auths) pubs.push_back(public_of(a));
    Host host;
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    sealed_file s;
    s.records = host.encrypt_threshold(in, out, public_of(owner), pubs, k);
    s.file = std::move(out).take();
    return s;
}

// Opens `f` with the authorities and records at `which`, returning the plaintext.
template <class Host = host_type>
escrow::bytes open_with(const sealed_file& f, const std::vector<typename Host::private_key>& auths,
                        std::vector<std::size_t> which, std::vector<escrow::escrow_record> records = {}) {
    using Key = typename Host::private_key;
    if (records.empty()) records = f.records;
    Host host;
    escrow::memory_source src(f.file);
    const auto h = host.read_header(src);
    std::vector<escrow::escrow_record> recs;
    std::vector<Key> keys;
    for (auto i : which) {
        recs.push_back(records[i]);
        keys.push_back(std::visit([](const auto& key) -> Key { return key.clone(); }, auths[i]));
    }
    escrow::session_key sk = host.open_shares(h, recs, keys);
    escrow::memory_sink out;
    host.decrypt_payload(src, out, sk, h);
    return std::move(out).take();
}

}  // namespace

template <class Host>
void two_of_three(const typename Host::private_key& owner, const std::vector<typename Host::private_key>& auths) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1} << 20, std::size_t{5} << 20}) {
        INFO("size " << size);
        escrow::bytes plain(size);
        escrow::default_random().fill(plain);
        const sealed_file f = seal<Host>(plain, owner, auths, 2);
        REQUIRE(f.records.size() == 3);
        for (std::size_t i = 0; i < 3; ++i) {
            CHECK(f.records[i].threshold == 2);
            CHECK(f.records[i].share_count == 3);
            CHECK(f.records[i].share_index == i + 1);
            CHECK(f.records[i].encoded_version() == 2);
        }
        Host host;
        {
            escrow::memory_source src(f.file);
            escrow::memory_sink out;
            host.decrypt(src, out, owner);
            CHECK(std::move(out).take() == plain);
        }
        for (std::size_t a = 0; a < 3; ++a) {
            // Alone: neither its key on the header nor its share with its record opens the file.
            escrow::memory_source src(f.file);
            escrow::memory_sink out;
            const std::string m = message_of([&] { host.decrypt(src, out, auths[a]); });
            CHECK(m.find("[escrow.no_matching_key]") == 0);
            CHECK(m.find("2 of its 3 authority keys") != std::string::npos);
            const std::string alone = message_of([&] { (void)open_with<Host>(f, auths, {a}); });
            CHECK(alone.find("[escrow.no_matching_key]") == 0);
            CHECK(alone.find("1 more needed") != std::string::npos);
            // The same share twice is still one share.
            CHECK(message_of([&] { (void)open_with<Host>(f, auths, {a, a}); }).find("1 more needed") != std::string::npos);
            for (std::size_t b = 0; b < 3; ++b)
                if (b != a) CHECK(open_with<Host>(f, auths, {a, b}) == plain);
        }
        CHECK(open_with<Host>(f, auths, {0, 1, 2}) == plain);
    }
}

TEST_CASE("A 2-of-3 native file opens for its owner and every pair of authorities, for no authority alone",
          "[host][native][threshold]") {
    two_of_three<host_type>(private_key(escrow::rsa_private_key::load(test_key("rsa_owner.pem"))), authority_keys());
}

TEST_CASE("A 2-of-3 age file opens for its owner and every pair of authorities, for no authority alone",
          "[host][age][threshold]") {
    two_of_three<age_host>(age_host::private_key(escrow::x25519_private_key::load(test_key("x25519_owner.txt"))),
                           age_authority_keys());
}

TEST_CASE("An age k-of-n file carries its section in one escrow-kofn stanza, and only the owner's stanza besides",
          "[host][age][threshold]") {
    const auto owner = age_host::private_key(escrow::x25519_private_key::load(test_key("x25519_owner.txt")));
    const sealed_file f = seal<age_host>(escrow::bytes(5, 7), owner, age_authority_keys(), 2);
    const std::string text(f.file.begin(), f.file.end());
    CHECK(text.find("\n-> escrow-kofn 2 3 ") != std::string::npos);
    escrow::memory_source src(f.file);
    const auto h = escrow::store::age::parse(src);
    REQUIRE(h.threshold);
    CHECK(h.recipients.size() == 1);
    CHECK(h.recipients[0].type == "X25519");
    CHECK(h.threshold->commitments.size() == 3);
}


TEST_CASE("A share that is not the file's is named before combination", "[host][native][threshold]") {
    const auto owner = private_key(escrow::rsa_private_key::load(test_key("rsa_owner.pem")));
    const auto auths = authority_keys();
    const escrow::bytes plain(1000, 0x5a);
    const sealed_file f = seal(plain, owner, auths, 2);
    const std::string serial = f.records[1].info.serial;

    SECTION("an altered share record") {
        auto recs = f.records;
        recs[1].info.description = "altered";
        const std::string m = message_of([&] { (void)open_with(f, auths, {0, 1}, recs); });
        CHECK(m.find("[escrow.authentication_failed] share 2 (record " + serial + ")") == 0);
        recs = f.records;
        recs[1].wrapped_key.back() ^= 1;
        CHECK(message_of([&] { (void)open_with(f, auths, {0, 1}, recs); }).find("share 2 (record " + serial + ")") !=
              std::string::npos);
    }
    SECTION("a record given with another authority's key") {
        auto recs = f.records;
        std::swap(recs[0], recs[1]);
        const std::string m = message_of([&] { (void)open_with(f, auths, {0, 1}, recs); });
        CHECK(m.find("share 2 (record " + serial + ")") != std::string::npos);
    }
    SECTION("a forged share, self-consistent in its record, is refused by the header's commitment") {
        auto recs = f.records;
        escrow::shamir_share fake{2, escrow::share_value::generate(32)};
        const auto pub = std::get<escrow::x25519_public_key>(public_of(auths[1]));
        escrow::file_header h;
        {
            host_type host;
            escrow::memory_source src(f.file);
            h = host.read_header(src).unverified_value();
        }
        const auto w = escrow::wrap::x25519{}.wrap(escrow::detail::share_as_key(fake), pub, escrow::default_random());
        recs[1] = escrow::detail::make_share_record<escrow::cipher::aes256_gcm_stream, escrow::wrap::x25519, escrow::store::native>(
            recs[1].info, recs[1].authority_fingerprint, escrow::store::native::encode_blob<void, void>(w), fake, *h.threshold);
        const std::string m = message_of([&] { (void)open_with(f, auths, {0, 1}, recs); });
        CHECK(m == "[escrow.authentication_failed] share 2 (record " + serial +
                       ") does not match the file: the record or the file was altered, or the record belongs to another file");
    }
    SECTION("a share record of another file") {
        const sealed_file other = seal(plain, owner, auths, 2);
        auto recs = f.records;
        recs[1] = other.records[1];
        const std::string m = message_of([&] { (void)open_with(f, auths, {0, 1}, recs); });
        CHECK(m.find("[escrow.invalid_argument] share 2 (record " + other.records[1].info.serial + ") is for file serial") == 0);
    }
    SECTION("an altered commitment in the header names the share, and an altered header byte fails its MAC") {
        sealed_file g = f;
        // The commitments end the header, just before its 32-byte MAC: share 3's is the last.
        host_type host;
        escrow::memory_source src(f.file);
        const std::size_t header_size = host.read_header(src).unverified_value().authenticated.size() + 32;
        g.file[header_size - 33] ^= 1;
        CHECK(message_of([&] { (void)open_with(g, auths, {0, 2}); }).find("share 3 (record") != std::string::npos);
        CHECK(message_of([&] { (void)open_with(g, auths, {0, 1}); }) ==
              "[escrow.authentication_failed] header authentication failed: the checked shares combine to a key that "
              "does not open the header (the header was modified)");
    }
}

TEST_CASE("Share records encode as version 2 and decode back; K > N and a format without a section are refused",
          "[record][threshold]") {
    const auto owner = private_key(escrow::rsa_private_key::load(test_key("rsa_owner.pem")));
    const auto auths = authority_keys();
    const sealed_file f = seal(escrow::bytes(10, 1), owner, auths, 3);
    for (const auto& r : f.records) {
        const escrow::bytes enc = r.encode();
        CHECK(enc[8] == 2);
        const auto back = escrow::escrow_record::decode(enc);
        CHECK(back.encode() == enc);
        CHECK(back.share_index == r.share_index);
        CHECK(back.to_json().find("\"threshold\": 3") != std::string::npos);
    }
    CHECK(open_with(f, auths, {2, 0, 1}) == escrow::bytes(10, 1));
    CHECK(message_of([&] { (void)open_with(f, auths, {2, 0}); }).find("1 more needed") != std::string::npos);
    std::vector<public_key> pubs{public_of(auths[0]), public_of(auths[1])};
    host_type host;
    escrow::bytes plain(3, 0);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    CHECK(error_kind([&] { (void)host.encrypt_threshold(in, out, public_of(owner), pubs, 3); }) == errc::invalid_argument);
}

TEST_CASE("An authority's recover on a share record gives back that share alone, wrapped to the new owner key",
          "[authority][threshold]") {
    namespace ea = escrow::authority;
    using x25519_authority = ea::backup_authority<escrow::wrap::x25519, ea::memory_repository, ea::officer_quorum<2>>;
    constexpr std::uint64_t now = 1'800'000'000;
    const auto owner = private_key(escrow::rsa_private_key::load(test_key("rsa_owner.pem")));
    const auto auths = authority_keys();
    const escrow::bytes plain(4000, 0x33);
    const sealed_file f = seal(plain, owner, auths, 2);
    const escrow::escrow_record& rec = f.records[1];  // the X25519 authority's: share 2
    const auto new_owner = escrow::x25519_private_key::load(test_key("x25519_new_owner.txt"));
    std::vector<ea::officer_private_key> officers;
    for (int i = 0; i < 2; ++i) officers.push_back(ea::officer_private_key::generate());
    ea::memory_repository repo;
    x25519_authority auth(repo, {}, std::get<escrow::x25519_private_key>(auths[1]).clone());
    auth.set_clock([] { return now; });
    auth.register_officer("olivia", officers[0].public_key());
    auth.register_officer("oscar", officers[1].public_key());
    auth.deposit(rec);
    auto recover = [&](const ea::recovery_request& req) {
        std::vector<ea::officer_signature> sigs;
        for (const auto& o : officers) sigs.push_back(ea::officer_signature::sign(req, o));
        return auth.recover(req, sigs);
    };
    host_type host;
    escrow::file_header h;
    {
        escrow::memory_source src(f.file);
        h = host.read_header(src).unverified_value();
    }

    SECTION("the blob holds share 2, which its record and the header's commitment accept and no other does") {
        const ea::owner_blob blob = recover(ea::recovery_request::make<escrow::wrap::x25519>(rec, new_owner.public_key(), now + 60));
        CHECK(blob.serial == rec.info.serial);
        CHECK(blob.wrap_id == escrow::wrap::x25519::id);
        CHECK(blob.store_id == escrow::store::native::id);
        const escrow::wrapped_key w = escrow::store::native::decode_blob<void, void>(blob.blob);
        escrow::wrap::x25519 x25519;
        const auto piece = escrow::wrap::unwrap_expecting(x25519, w, new_owner, 32);
        REQUIRE(piece);
        CHECK(rec.verify(*piece));
        CHECK_FALSE(f.records[0].verify(*piece));
        CHECK_FALSE(f.records[2].verify(*piece));
        const escrow::shamir_share share{rec.share_index, escrow::share_value::from_unsafe_bytes(piece->unsafe_bytes())};
        CHECK_NOTHROW(escrow::detail::check_share(h, rec, share));
        const escrow::shamir_share as_share_1{1, share.value.clone()};
        CHECK(error_kind([&] { escrow::detail::check_share(h, f.records[0], as_share_1); }) == errc::authentication_failed);
        // A share is not the session key: alone it fails the header MAC.
        CHECK_FALSE(escrow::store::native::verify_header<escrow::cipher::aes256_gcm_stream, host_type::wrap_type>(h, *piece));
        // With the RSA authority's share 1, re-wrapped to the same new key, it hands the file over.
        const escrow::session_key share1 = host.recover_session_key(f.records[0], auths[0]);
        const escrow::wrapped_key w1 = x25519.wrap(share1, new_owner.public_key(), escrow::default_random());
        const std::vector<escrow::escrow_record> recs{f.records[0], rec};
        const std::vector<escrow::wrapped_key> blobs{w1, w};
        escrow::memory_source in(f.file);
        escrow::memory_sink out;
        host.rewrap_with_shares(in, out, recs, blobs, new_owner);
        const escrow::bytes handed = std::move(out).take();
        escrow::memory_source in2(handed);
        escrow::memory_sink back;
        host.decrypt(in2, back, new_owner);
        CHECK(std::move(back).take() == plain);
    }
    SECTION("the wrong authority key is refused, naming it") {
        const auto other = escrow::x25519_private_key::load(test_key("x25519_authority2.txt"));
        const std::string bound = message_of([&] { x25519_authority wrong(repo, {}, other.clone()); });
        CHECK(bound.find("[escrow.bad_key]") == 0);
        INFO(bound);
        CHECK(bound.find("another authority key") != std::string::npos);
        ea::memory_repository fresh;
        x25519_authority wrong(fresh, {}, other.clone());
        const std::string deposit = message_of([&] { (void)wrong.deposit(rec); });
        INFO(deposit);
        CHECK(deposit.find("[escrow.bad_key]") == 0);
        CHECK(deposit.find("different authority key") != std::string::npos);
    }
    SECTION("a share record altered in the repository is refused, naming the share") {
        repo.unsafe_edit([&](auto& records, auto&) {
            auto& stored = records.at(rec.info.serial);
            escrow::escrow_record altered = escrow::escrow_record::decode(stored.encoded);
            altered.info.description = "altered";
            stored.encoded = altered.encode();
        });
        // A request naming the serial alone (version 1), so that the record's MAC is what fails.
        const auto req = ea::recovery_request::make<escrow::wrap::x25519>(rec.info.serial, new_owner.public_key(),
                                                                          auth.fingerprint(), now + 60);
        const std::string m = message_of([&] { (void)recover(req); });
        CHECK(m == "[escrow.authentication_failed] escrow record MAC does not verify: the record was altered in the "
                   "repository (share 2 of 3, record " + rec.info.serial + ")");
    }
}
