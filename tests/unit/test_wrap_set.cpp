// SPDX-License-Identifier: MIT
/// @file
/// Hosts over a set of wraps (`escrow::wrap_set`, the presets `native_mixed_encryptor` and
/// `age_mixed_encryptor`): every pairing of an owner and two authorities of the three wraps of each
/// preset round trips for the owner and for each authority alone (its header entry, and its escrow
/// record); entries are offered only to keys of their own wrap; the native header of a file of
/// several wraps names each entry's wrap, and is refused when altered; a file of one wrap is the
/// format as before (test_golden checks its bytes).
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

escrow::bytes test_key(const std::string& name) {
    std::ifstream in(std::string(ESCROW_TEST_KEYS_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    return escrow::bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

using escrow_test::error_kind;

// Keys of each wrap of the preset, in its order, for one holder ("owner", "authority", "new_owner").
std::vector<escrow::native_mixed_encryptor::private_key> native_keys(const char* who) {
    std::vector<escrow::native_mixed_encryptor::private_key> out;
    out.emplace_back(escrow::rsa_private_key::load(test_key(std::string("rsa_") + who + ".pem")));
    out.emplace_back(escrow::x25519_private_key::load(test_key(std::string("x25519_") + who + ".txt")));
    out.emplace_back(escrow::ssh_ed25519_private_key::load(test_key(std::string("ssh_ed25519_") + who)));
    return out;
}
std::vector<escrow::age_mixed_encryptor::private_key> age_keys(const char* who) {
    std::vector<escrow::age_mixed_encryptor::private_key> out;
    out.emplace_back(escrow::x25519_private_key::load(test_key(std::string("x25519_") + who + ".txt")));
    out.emplace_back(escrow::ssh_rsa_private_key::load(test_key(std::string("ssh_rsa_") + who)));
    out.emplace_back(escrow::ssh_ed25519_private_key::load(test_key(std::string("ssh_ed25519_") + who)));
    return out;
}

template <class Host>
typename Host::public_key public_of(const typename Host::private_key& k) {
    return std::visit([](const auto& key) -> typename Host::public_key { return key.public_key(); }, k);
}

// Every owner wrap with every ordered pair of authority wraps (all 3 x 3 x 3): the owner and each
// authority alone open the file, by its header entry and by its record; a key of a wrap the file
// does not hold for that holder does not.
template <class Host>
void every_pairing(const std::vector<typename Host::private_key>& owners, const std::vector<typename Host::private_key>& auths,
                   const std::vector<typename Host::private_key>& strangers) {
    const escrow::bytes plain(70000, 0x42);
    for (std::size_t o = 0; o < 3; ++o)
        for (std::size_t a = 0; a < 3; ++a)
            for (std::size_t b = 0; b < 3; ++b) {
                INFO("owner wrap " << o << ", authority wraps " << a << " and " << b);
                // Two authorities of one wrap need two keys: the second is the "stranger" of that wrap.
                const auto& second = a == b ? strangers[b] : auths[b];
                const std::vector<typename Host::public_key> authorities{public_of<Host>(auths[a]), public_of<Host>(second)};
                Host host;
                escrow::memory_source in(plain);
                escrow::memory_sink sealed;
                const auto records = host.encrypt(in, sealed, public_of<Host>(owners[o]), authorities);
                const escrow::bytes file = std::move(sealed).take();
                REQUIRE(records.size() == 2);
                for (const auto* k : {&owners[o], &auths[a], &second}) {
                    escrow::memory_source src(file);
                    escrow::memory_sink out;
                    host.decrypt(src, out, *k);
                    CHECK(std::move(out).take() == plain);
                }
                std::size_t i = 0;
                for (const auto* k : {&auths[a], &second}) {
                    escrow::memory_source src(file);
                    escrow::memory_sink out;
                    host.decrypt_with_record(src, out, records[i++], *k);
                    CHECK(std::move(out).take() == plain);
                }
                // The owner's key of another wrap (not among the recipients) opens nothing.
                const std::size_t other = (o + 1) % 3;
                if (other != a && other != b) {
                    escrow::memory_source src(file);
                    escrow::memory_sink out;
                    CHECK(error_kind([&] { host.decrypt(src, out, owners[other]); }) == errc::no_matching_key);
                }
            }
}

}  // namespace

TEST_CASE("Native files mixing RSA, X25519 and ssh-ed25519 recipients open for the owner and each authority alone",
          "[host][native][wrap_set]") {
    every_pairing<escrow::native_mixed_encryptor>(native_keys("owner"), native_keys("authority"), native_keys("new_owner"));
}

TEST_CASE("age files mixing X25519, ssh-rsa and ssh-ed25519 recipients open for the owner and each authority alone",
          "[host][age][wrap_set]") {
    every_pairing<escrow::age_mixed_encryptor>(age_keys("owner"), age_keys("authority"), age_keys("new_owner"));
}

TEST_CASE("A native header of several wraps names each entry's wrap, and its bytes are authenticated",
          "[store][native][wrap_set]") {
    const auto owners = native_keys("owner"), auths = native_keys("authority");
    escrow::native_mixed_encryptor host;
    const escrow::bytes plain{1, 2, 3};
    escrow::memory_source in(plain);
    escrow::memory_sink sealed;
    (void)host.encrypt(in, sealed, public_of<escrow::native_mixed_encryptor>(owners[0]),
                       public_of<escrow::native_mixed_encryptor>(auths[1]));
    escrow::bytes file = std::move(sealed).take();
    // Fixed header: wrap id 0 (bytes 12-13) and flag bit 0 (bytes 14-15).
    CHECK(file[12] == 0);
    CHECK(file[13] == 0);
    CHECK(file[14] == 1);
    CHECK(file[15] == 0);
    escrow::memory_source src(file);
    const escrow::file_header h = escrow::store::native::parse(src);
    REQUIRE(h.recipients.size() == 2);
    CHECK(h.wrap_id == 0);
    CHECK(h.recipients[0].wrap_id == escrow::wrap::rsa_oaep_sha256::id);
    CHECK(h.recipients[1].wrap_id == escrow::wrap::x25519::id);

    // The single-wrap RSA host reads the file and opens the owner's entry, skipping the other.
    {
        escrow::memory_source s(file);
        escrow::memory_sink out;
        escrow::native_encryptor{}.decrypt(s, out, std::get<escrow::rsa_private_key>(owners[0]));
        CHECK(std::move(out).take() == plain);
    }
    // A host of none of the file's wraps refuses it by its wraps.
    {
        escrow::memory_source s(file);
        using ed_host = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::ssh_ed25519, escrow::store::native>;
        CHECK(error_kind([&] { (void)ed_host{}.read_header(s); }) == errc::unknown_policy_id);
    }
    // The owner's entry retagged as ssh-ed25519: the authority's entry still unwraps, and the
    // header MAC, which covers the wrap ids, fails.
    const std::size_t at = escrow::store::native::fixed_prefix_size + 1 + h.nonce.size() + 1 + 1;  // first entry's wrap id
    REQUIRE(escrow::le::get<std::uint16_t>(file.data() + at) == escrow::wrap::rsa_oaep_sha256::id);
    escrow::bytes retagged = file;
    retagged[at] = escrow::wrap::ssh_ed25519::id & 0xff;
    {
        escrow::memory_source s(retagged);
        escrow::memory_sink out;
        CHECK(error_kind([&] { host.decrypt(s, out, auths[1]); }) == errc::authentication_failed);
    }
    // The flag cleared: wrap id 0 without it is refused.
    escrow::bytes unflagged = file;
    unflagged[14] = 0;
    escrow::memory_source s(unflagged);
    CHECK(error_kind([&] { (void)escrow::store::native::parse(s); }) == errc::malformed_header);
}

TEST_CASE("A set host writes a file of one wrap exactly as that wrap's own host does, and rewraps across wraps",
          "[host][native][wrap_set]") {
    const auto owners = native_keys("owner"), auths = native_keys("authority"), news = native_keys("new_owner");
    using host_t = escrow::native_mixed_encryptor;
    host_t host;
    const escrow::bytes plain(1000, 7);
    escrow::memory_source in(plain);
    escrow::memory_sink sealed;
    (void)host.encrypt(in, sealed, public_of<host_t>(owners[0]), public_of<host_t>(auths[0]));
    const escrow::bytes file = std::move(sealed).take();
    escrow::memory_source src(file);
    const escrow::file_header h = escrow::store::native::parse(src);
    CHECK(h.wrap_id == escrow::wrap::rsa_oaep_sha256::id);
    CHECK(file[14] == 0);
    for (const auto& r : h.recipients) CHECK(r.wrap_id == 0);

    // The owner moves to an ssh-ed25519 key: the file becomes one of several wraps, and back.
    escrow::memory_source s1(file);
    escrow::memory_sink moved;
    host.rewrap_owner(s1, moved, owners[0], public_of<host_t>(news[2]));
    const escrow::bytes file2 = std::move(moved).take();
    CHECK(file2[14] == 1);
    {
        escrow::memory_source s(file2);
        escrow::memory_sink out;
        host.decrypt(s, out, news[2]);
        CHECK(std::move(out).take() == plain);
        escrow::memory_source s2(file2);
        escrow::memory_sink out2;
        CHECK(error_kind([&] { host.decrypt(s2, out2, owners[0]); }) == errc::no_matching_key);
    }
    escrow::memory_source s2(file2);
    escrow::memory_sink back;
    host.rewrap_owner(s2, back, auths[0], public_of<host_t>(news[0]));
    const escrow::bytes file3 = std::move(back).take();
    CHECK(file3[14] == 0);
    escrow::memory_source s3(file3);
    escrow::memory_sink out3;
    escrow::native_encryptor{}.decrypt(s3, out3, std::get<escrow::rsa_private_key>(news[0]));
    CHECK(std::move(out3).take() == plain);
}
