// SPDX-License-Identifier: MIT
/// @file
/// Golden files: every format and preset, written with a reproducible random stream, must come out
/// byte for byte as the committed files in tests/golden/files, and those files must still decrypt.
///
/// The files were written by the library as it was before the policy-design rework (issue 12), so
/// this test proves that refactoring changed no byte of any format. Built with
/// ESCROW_TESTING_DETERMINISTIC_RANDOM, which replaces the operating system's generator by a
/// seeded ChaCha20 keystream in this executable only. The same random draws in the same order give
/// the same bytes; a change that draws in another order shows up here too.
///
/// To write the files anew (only when a format is meant to change): ESCROW_GOLDEN_WRITE=1.
#include <catch2/catch.hpp>

#include <escrow/escrow.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef ESCROW_GOLDEN_DIR
#error "ESCROW_GOLDEN_DIR must name tests/golden"
#endif
#ifndef ESCROW_TESTING_DETERMINISTIC_RANDOM
#error "the golden test must be built with ESCROW_TESTING_DETERMINISTIC_RANDOM"
#endif

namespace fs = std::filesystem;
using escrow::byte_view;
using escrow::bytes;

namespace {

const fs::path golden_dir{ESCROW_GOLDEN_DIR};

bytes read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + p.string());
    return bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

bool writing() {
    const char* w = std::getenv("ESCROW_GOLDEN_WRITE");
    return w && *w && std::string(w) != "0";
}

// Compares `actual` with the golden file `name` (or writes it when ESCROW_GOLDEN_WRITE is set).
void check_golden(const std::string& name, byte_view actual) {
    const fs::path p = golden_dir / "files" / name;
    if (writing()) {
        fs::create_directories(p.parent_path());
        std::ofstream f(p, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(actual.data()), static_cast<std::streamsize>(actual.size()));
        REQUIRE(f.good());
        return;
    }
    INFO("golden file " << p.string());
    REQUIRE(fs::exists(p));
    bytes expected = read_file(p);
    REQUIRE(expected.size() == actual.size());
    // Index of the first differing byte, for the failure message.
    std::size_t first = 0;
    while (first < expected.size() && expected[first] == actual[first]) ++first;
    INFO("first difference at byte " << first);
    CHECK(first == expected.size());
}

void check_golden(const std::string& name, const std::string& text) { check_golden(name, escrow::as_bytes(text)); }

bytes key_file(const std::string& name) { return read_file(golden_dir / "keys" / name); }

escrow::rsa_private_key rsa_key(const std::string& who) { return escrow::rsa_private_key::load(key_file("rsa_" + who + ".pem")); }
escrow::x25519_private_key x25519_key(const std::string& who) {
    return escrow::x25519_private_key::load(key_file("x25519_" + who + ".txt"));
}
escrow::ssh_rsa_private_key ssh_key(const std::string& who) { return escrow::ssh_rsa_private_key::load(key_file("ssh_rsa_" + who)); }

// Deterministic plaintext of `n` bytes (SplitMix64 of the index).
bytes plaintext(std::size_t n) {
    bytes out(n);
    std::uint64_t x = 0x243F6A8885A308D3ull;
    for (std::size_t i = 0; i < n; ++i) {
        x += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        out[i] = static_cast<escrow::byte>(z ^ (z >> 31));
    }
    return out;
}

escrow::key_info info_for(const std::string& name) {
    escrow::key_info info;
    info.serial = "GOLDEN-" + name;
    info.description = "golden file " + name;
    info.owner = "golden@example.org";
    info.created = 1767225600;  // 2026-01-01T00:00:00Z
    return info;
}

// Sizes: empty, inside one chunk, and one full 64 KiB chunk plus a short final one.
constexpr std::size_t sizes[] = {0, 1000, 65536 + 17};

// One seed per (case, size), so that each file is reproducible on its own.
void reseed(std::uint64_t case_no, std::size_t size) { escrow::default_random().reseed_for_testing(case_no * 1000003 + size); }

// Encrypts with `Host` for `owner` and `authorities`, checks the file and every record (binary and
// JSON) against the golden files, then decrypts the golden file with the owner's key.
template <class Host, class Priv, class Pub>
void golden_case(std::uint64_t case_no, const std::string& name, const Priv& owner, const std::vector<Pub>& authorities) {
    for (std::size_t size : sizes) {
        const std::string base = name + "-" + std::to_string(size);
        SECTION(base) {
            const bytes plain = plaintext(size);
            reseed(case_no, size);
            Host host;
            escrow::memory_source in(plain);
            escrow::memory_sink out;
            auto records = host.encrypt(in, out, owner.public_key(), std::span<const Pub>(authorities), info_for(base));
            check_golden(base + ".file", out.data());
            for (std::size_t i = 0; i < records.size(); ++i) {
                check_golden(base + ".record" + std::to_string(i), records[i].encode());
                check_golden(base + ".record" + std::to_string(i) + ".json", records[i].to_json());
            }
            if (!writing()) {
                bytes file = read_file(golden_dir / "files" / (base + ".file"));
                escrow::memory_source gin(file);
                escrow::memory_sink gout;
                Host reader;
                reader.decrypt(gin, gout, owner);
                CHECK(gout.data() == plain);
            }
        }
    }
}

// Decrypts a rewritten 1,000-byte golden file with the new owner's key (when not writing).
template <class Host, class Priv>
void check_opens(const bytes& file, const Priv& new_owner) {
    if (writing()) return;
    escrow::memory_source in(file);
    escrow::memory_sink plain;
    Host reader;
    reader.decrypt(in, plain, new_owner);
    CHECK(plain.data() == plaintext(1000));
}

// Rewraps the golden file of `name` (size 1000) from `owner` to `new_owner`, checks the output.
template <class Host, class Priv>
void golden_rewrap(std::uint64_t case_no, const std::string& name, const Priv& owner, const Priv& new_owner) {
    const std::string base = name + "-1000";
    reseed(case_no, 1);
    bytes file = read_file(golden_dir / "files" / (base + ".file"));
    Host host;
    escrow::memory_source in(file);
    escrow::memory_sink out;
    host.rewrap_owner(in, out, owner, new_owner.public_key());
    check_golden(base + ".rewrapped", out.data());
    check_opens<Host>(out.data(), new_owner);
}

// The authority's recovery of the golden file of `name` (size 1000): the session key from its
// first record with `authority`, wrapped for `new_owner` and applied to the file as step 4 does.
template <class Host, class Priv>
void golden_recovery(std::uint64_t case_no, const std::string& name, const Priv& authority, const Priv& new_owner) {
    const std::string base = name + "-1000";
    reseed(case_no, 2);
    bytes file = read_file(golden_dir / "files" / (base + ".file"));
    auto record = escrow::escrow_record::decode(read_file(golden_dir / "files" / (base + ".record0")));
    Host host;
    escrow::session_key key = host.recover_session_key(record, authority);
    typename Host::wrap_type wrap;
    escrow::wrapped_key blob = wrap.wrap(key, new_owner.public_key(), escrow::default_random());
    escrow::memory_source in(file);
    escrow::memory_sink out;
    host.apply_owner_blob(in, out, blob, new_owner, record);
    check_golden(base + ".recovered", out.data());
    check_opens<Host>(out.data(), new_owner);
}

template <class Key>
auto publics(std::initializer_list<const Key*> keys) {
    std::vector<std::decay_t<decltype(std::declval<const Key&>().public_key())>> out;
    for (const Key* k : keys) out.push_back(k->public_key());
    return out;
}

}  // namespace

TEST_CASE("The native format writes the golden bytes", "[golden][native]") {
    const auto owner = rsa_key("owner"), a1 = rsa_key("authority"), a2 = rsa_key("authority2");
    const auto xo = x25519_key("owner"), xa = x25519_key("authority");
    const auto so = ssh_key("owner"), sa = ssh_key("authority");
    golden_case<escrow::native_encryptor>(1, "native-aes-rsaoaep", owner, publics<escrow::rsa_private_key>({&a1, &a2}));
    golden_case<escrow::escrow_encryptor<escrow::cipher::chacha20_poly1305_stream, escrow::wrap::x25519, escrow::store::native>>(
        2, "native-chacha-x25519", xo, publics<escrow::x25519_private_key>({&xa}));
    golden_case<escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, escrow::wrap::ssh_rsa, escrow::store::native>>(
        3, "native-aes-sshrsa", so, publics<escrow::ssh_rsa_private_key>({&sa}));
}

TEST_CASE("The age format writes the golden bytes", "[golden][age]") {
    const auto xo = x25519_key("owner"), xa = x25519_key("authority"), xa2 = x25519_key("authority2");
    const auto so = ssh_key("owner"), sa = ssh_key("authority");
    golden_case<escrow::age_encryptor>(4, "age-x25519", xo, publics<escrow::x25519_private_key>({&xa, &xa2}));
    golden_case<escrow::age_ssh_encryptor>(5, "age-sshrsa", so, publics<escrow::ssh_rsa_private_key>({&sa}));
}

TEST_CASE("The armored age format writes the golden bytes", "[golden][age][armor]") {
    const auto xo = x25519_key("owner"), xa = x25519_key("authority");
    const bytes plain = plaintext(1000);
    reseed(6, 1000);
    escrow::age_encryptor host;
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    {
        escrow::store::age_armor_sink<escrow::memory_sink> armored(out);
        (void)host.encrypt(in, armored, xo.public_key(), xa.public_key(), info_for("age-armored-1000"));
        armored.finish();
    }
    check_golden("age-armored-1000.file", out.data());
}

TEST_CASE("The CryptoAPI format writes the golden bytes", "[golden][cryptoapi]") {
    const auto owner = rsa_key("owner"), a1 = rsa_key("authority");
    golden_case<escrow::legacy::cryptoapi_encryptor<128>>(7, "cryptoapi-aes128", owner, publics<escrow::rsa_private_key>({&a1}));
    golden_case<escrow::legacy::cryptoapi_encryptor<192>>(8, "cryptoapi-aes192", owner, publics<escrow::rsa_private_key>({&a1}));
    golden_case<escrow::legacy::cryptoapi_encryptor<256>>(9, "cryptoapi-aes256", owner, publics<escrow::rsa_private_key>({&a1}));
}

TEST_CASE("Rewrapping the owner writes the golden bytes", "[golden][rewrap]") {
    // Reads the encrypted golden files (written first, by the cases above, when writing).
    golden_rewrap<escrow::native_encryptor>(10, "native-aes-rsaoaep", rsa_key("owner"), rsa_key("new_owner"));
    golden_rewrap<escrow::legacy::cryptoapi_encryptor<256>>(13, "cryptoapi-aes256", rsa_key("owner"), rsa_key("new_owner"));
}

TEST_CASE("The authority's recovery applied to a file writes the golden bytes", "[golden][recovery]") {
    // Reads the encrypted golden files and their records (written first when writing).
    golden_recovery<escrow::native_encryptor>(14, "native-aes-rsaoaep", rsa_key("authority"), rsa_key("new_owner"));
    golden_recovery<escrow::age_encryptor>(11, "age-x25519", x25519_key("authority"), x25519_key("new_owner"));
    golden_recovery<escrow::age_ssh_encryptor>(12, "age-sshrsa", ssh_key("authority"), ssh_key("new_owner"));
    golden_recovery<escrow::legacy::cryptoapi_encryptor<256>>(15, "cryptoapi-aes256", rsa_key("authority"), rsa_key("new_owner"));
}

TEST_CASE("The wrap-set presets write the golden bytes when every recipient is of one wrap", "[golden][wrap_set]") {
    if (writing()) return;  // they have no golden files of their own: they must write the ones above
    using native_set = escrow::native_mixed_encryptor;
    using age_set = escrow::age_mixed_encryptor;
    const auto owner = rsa_key("owner"), a1 = rsa_key("authority"), a2 = rsa_key("authority2");
    golden_case<native_set>(1, "native-aes-rsaoaep", owner, std::vector<native_set::public_key>{a1.public_key(), a2.public_key()});
    const auto xo = x25519_key("owner"), xa = x25519_key("authority"), xa2 = x25519_key("authority2");
    golden_case<age_set>(4, "age-x25519", xo, std::vector<age_set::public_key>{xa.public_key(), xa2.public_key()});
    const auto so = ssh_key("owner"), sa = ssh_key("authority");
    golden_case<age_set>(5, "age-sshrsa", so, std::vector<age_set::public_key>{sa.public_key()});
    golden_rewrap<native_set>(10, "native-aes-rsaoaep", rsa_key("owner"), rsa_key("new_owner"));
}
