// SPDX-License-Identifier: MIT
/// @file
/// The small domain types: move-only secrets and private keys, private-key encodings in wiped
/// memory, scoped_wipe, serial_number, policy_ids, audit kinds and outcomes, and the error codes
/// with their table in docs/errors.md.
#include <algorithm>
#include <concepts>
#include <fstream>
#include <iterator>
#include <sstream>
#include <type_traits>

#include <escrow/detail/chunk_pipeline.hpp>

#include "cli_args.hpp"  // escrow_cli::exit_code_for: the CLI's one mapping from errc to exit status
#include "test_support.hpp"

#ifndef ESCROW_ERRORS_DOC
#error "ESCROW_ERRORS_DOC must name docs/errors.md"
#endif

using escrow::errc;
using namespace escrow_test;
namespace ea = escrow::authority;

// ---- secrets and private keys ------------------------------------------------------------------

static_assert(!std::is_copy_constructible_v<escrow::session_key> && !std::is_copy_assignable_v<escrow::session_key>,
              "a secret is copied only through clone()");
static_assert(std::is_nothrow_move_constructible_v<escrow::session_key> &&
              std::is_nothrow_move_assignable_v<escrow::session_key>);
static_assert(!std::is_copy_constructible_v<escrow::rsa_private_key>);
static_assert(!std::is_copy_constructible_v<escrow::ssh_rsa_private_key>);
static_assert(!std::is_copy_constructible_v<escrow::x25519_private_key>);
static_assert(!std::is_copy_constructible_v<ea::officer_private_key>);
static_assert(!std::is_copy_constructible_v<escrow::scrypt_passphrase>);
static_assert(std::is_nothrow_move_constructible_v<escrow::rsa_private_key>);
// Public keys stay ordinary values.
static_assert(std::is_copy_constructible_v<escrow::rsa_public_key> && std::is_copy_constructible_v<escrow::x25519_public_key>);
// Encodings of private keys are secrets.
static_assert(std::same_as<decltype(std::declval<const escrow::rsa_private_key&>().unsafe_der()), escrow::private_key_encoding>);
static_assert(std::same_as<decltype(std::declval<const escrow::rsa_private_key&>().unsafe_pem()), escrow::private_key_encoding>);
static_assert(std::same_as<decltype(std::declval<const escrow::x25519_private_key&>().unsafe_str()), escrow::private_key_encoding>);
static_assert(std::same_as<decltype(std::declval<const ea::officer_private_key&>().unsafe_pem()), escrow::private_key_encoding>);

TEST_CASE("A secret moves its storage, leaving the source empty, and copies only through clone()", "[core][secret]") {
    const escrow::bytes raw = pattern(32, 3);
    auto a = escrow::session_key::from_unsafe_bytes(raw);
    const escrow::byte* storage = a.unsafe_bytes().data();

    escrow::session_key b(std::move(a));
    CHECK(b.unsafe_bytes().data() == storage);  // the same memory: nothing was copied
    CHECK(a.empty());                           // NOLINT(bugprone-use-after-move): the documented state
    CHECK(escrow::constant_time_equal(b.unsafe_bytes(), raw));

    escrow::session_key c = escrow::session_key::generate(16);
    c = std::move(b);
    CHECK(c.unsafe_bytes().data() == storage);
    CHECK(c.size() == 32);
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move)

    escrow::session_key d = c.clone();
    CHECK(d.unsafe_bytes().data() != c.unsafe_bytes().data());
    CHECK(escrow::constant_time_equal(c, d));
    d.unsafe_mutable_bytes()[0] ^= 1;
    CHECK(!escrow::constant_time_equal(c, d));  // the clone is its own copy
}

TEST_CASE("Private keys clone into an equal key and move without copying", "[core][secret][keys]") {
    const auto& k = keys().owner;
    escrow::rsa_private_key c = k.clone();
    CHECK(c.cryptopp().GetModulus() == k.cryptopp().GetModulus());
    CHECK(c.cryptopp().GetPrivateExponent() == k.cryptopp().GetPrivateExponent());
    const auto* inner = &c.cryptopp();
    escrow::rsa_private_key moved(std::move(c));
    CHECK(&moved.cryptopp() == inner);

    auto x = escrow::x25519_private_key::generate();
    auto x2 = x.clone();
    CHECK(x2.public_key().bytes().size() == 32);
    CHECK(escrow::constant_time_equal(x2.unsafe_bytes(), x.unsafe_bytes()));
    CHECK(x2.unsafe_bytes().data() != x.unsafe_bytes().data());

    escrow::ssh_rsa_private_key s(k.clone());
    CHECK(s.clone().public_key().str() == s.public_key().str());

    auto o = ea::officer_private_key::generate();
    CHECK(o.clone().public_key() == o.public_key());

    escrow::scrypt_passphrase p("correct horse", 10);
    auto p2 = p.clone();
    CHECK(escrow::constant_time_equal(p2.unsafe_bytes(), p.unsafe_bytes()));
    CHECK(p2.work_factor() == 10);
}

TEST_CASE("Private-key encodings come back in wiped memory and load back", "[core][secret][keys][pem]") {
    const auto& k = keys().owner;
    const escrow::private_key_encoding der = k.unsafe_der();
    const escrow::private_key_encoding pem = k.unsafe_pem();
    // The PEM is exactly the DER under the PRIVATE KEY label.
    const std::string expected = escrow::pem::encode("PRIVATE KEY", der.unsafe_bytes());
    CHECK(escrow::constant_time_equal(pem.unsafe_bytes(), escrow::as_bytes(expected)));
    CHECK(escrow::rsa_private_key::load(pem.unsafe_bytes()).cryptopp().GetModulus() == k.cryptopp().GetModulus());
    CHECK(escrow::rsa_private_key::load(der.unsafe_bytes()).cryptopp().GetModulus() == k.cryptopp().GetModulus());

    auto x = escrow::x25519_private_key::generate();
    const auto id = x.unsafe_str();
    CHECK(id.unsafe_text().starts_with("AGE-SECRET-KEY-1"));
    CHECK(escrow::x25519_private_key::parse(id.unsafe_text()).public_key().str() == x.public_key().str());
    const auto file = x.unsafe_identity_file(0);
    CHECK(file.unsafe_text().starts_with("# created: 1970-01-01T00:00:00Z\n# public key: " + x.public_key().str() + "\n"));
    CHECK(file.unsafe_text().ends_with(std::string(id.unsafe_text()) + "\n"));
    CHECK(escrow::x25519_private_key::load(file.unsafe_bytes()).public_key().str() == x.public_key().str());
}

TEST_CASE("pem::encode_into writes the PEM text of every length into a buffer of exactly its size", "[core][pem]") {
    for (std::size_t n = 0; n <= 150; ++n) {
        CAPTURE(n);
        const escrow::bytes der = pattern(n, n + 1);
        escrow::bytes out(escrow::pem::encoded_size("K", n));
        escrow::pem::encode_into("K", der, out);
        const std::string text = escrow::to_string(out);
        CHECK(text == escrow::pem::encode("K", der));
        std::istringstream lines(text);
        std::string line;
        std::size_t body = 0;
        while (std::getline(lines, line)) {
            if (line.starts_with("-----")) continue;
            CHECK(line.size() <= 64);
            body += line.size();
        }
        CHECK(body == (n + 2) / 3 * 4);
        CHECK(escrow::pem::decode(text).der == der);
    }
    escrow::bytes wrong(escrow::pem::encoded_size("K", 10) + 1);
    CHECK_ESCROW_ERROR(escrow::pem::encode_into("K", pattern(10), wrong), errc::invalid_argument);
}

TEST_CASE("scoped_wipe zeroes its buffer when the scope ends, on return and on throw", "[core][secret]") {
    escrow::bytes b = pattern(40, 9);
    std::string s = "secret text of some length";
    {
        escrow::scoped_wipe wb(b);
        escrow::scoped_wipe ws(s);
    }
    CHECK(std::all_of(b.begin(), b.end(), [](escrow::byte x) { return x == 0; }));
    CHECK(std::all_of(s.begin(), s.end(), [](char c) { return c == 0; }));
    escrow::bytes t = pattern(8, 2);
    try {
        escrow::scoped_wipe wt(t);
        throw escrow::error(errc::bad_key, "x");
    } catch (const escrow::error&) {
    }
    CHECK(std::all_of(t.begin(), t.end(), [](escrow::byte x) { return x == 0; }));
}

// ---- serial numbers ----------------------------------------------------------------------------

TEST_CASE("A serial number keeps its rule: 1 to 128 printable ASCII characters without spaces", "[core][serial]") {
    CHECK(escrow::serial_number("TEST-0001").str() == "TEST-0001");
    CHECK(escrow::serial_number(std::string(128, '~')).str().size() == 128);
    CHECK(escrow::serial_number::valid("!"));
    for (std::string bad : {std::string(), std::string(129, 'a'), std::string("has space"), std::string("tab\t"),
                            std::string("nul\0x", 5), std::string("del\x7f"), std::string("\xc3\xa9")}) {
        CAPTURE(bad);
        CHECK_FALSE(escrow::serial_number::valid(bad));
        CHECK(escrow::serial_number::problem(bad).has_value());
        CHECK_ESCROW_ERROR(escrow::serial_number(bad), errc::invalid_argument);
        // Every encoder refuses it the same way.
        ea::owner_blob blob{bad, 1, 2, 3, {1}};
        CHECK_ESCROW_ERROR((void)blob.encode(), errc::invalid_argument);
        escrow::escrow_record rec;
        rec.info.serial = bad;
        CHECK_ESCROW_ERROR((void)rec.encode(), errc::invalid_argument);
    }
    std::ostringstream os;
    os << escrow::serial_number("S-1");
    CHECK(os.str() == "S-1");
    CHECK(escrow::serial_number("S-1") == std::string_view("S-1"));
    CHECK(escrow::serial_number("S-1") != escrow::serial_number("S-2"));
}

TEST_CASE("Generated serial numbers are ESC- and 26 Crockford base32 characters, fresh each time", "[core][serial]") {
    const std::string_view crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::vector<std::string> seen;
    for (int i = 0; i < 64; ++i) {
        const std::string s = escrow::serial_number::generate().str();
        CAPTURE(s);
        REQUIRE(s.size() == 30);
        CHECK(s.starts_with("ESC-"));
        CHECK(std::all_of(s.begin() + 4, s.end(), [&](char c) { return crockford.find(c) != std::string_view::npos; }));
        // 128 bits in 26 groups of 5: the last group holds 3 bits and 2 zero bits of padding.
        CHECK(crockford.find(s.back()) % 4 == 0);
        CHECK(escrow::serial_number::valid(s));
        seen.push_back(s);
    }
    std::sort(seen.begin(), seen.end());
    CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
}

// ---- policy ids --------------------------------------------------------------------------------

TEST_CASE("policy_ids prints ids one way and checks a triple with one message", "[core][ids]") {
    CHECK(escrow::policy_ids::hex(0x0101) == "0x0101");
    CHECK(escrow::policy_ids::hex(0xBEEF) == "0xbeef");
    CHECK(escrow::policy_ids::hex(0) == "0x0000");
    CHECK(escrow::policy_ids::describe("x25519", escrow::wrap::x25519::id) == "x25519 (0x0203)");
    CHECK(escrow::policy_ids::describe("", 0x8001) == "0x8001");

    constexpr auto native = escrow::policy_ids::of<escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256,
                                                   escrow::store::native>();
    static_assert(native == escrow::policy_ids{0x0101, 0x0201, 0x0301});
    CHECK(native.to_string() ==
          "cipher aes256-gcm-stream (0x0101), wrap rsa-oaep-sha256 (0x0201), store native (0x0301)");
    CHECK_NOTHROW(native.check_matches(native, "the record"));
    const escrow::policy_ids age{escrow::cipher::chacha20_poly1305_stream::id, escrow::wrap::x25519::id,
                                 escrow::store::age::id};
    CHECK(age.to_string() == "cipher 0x0102, wrap 0x0203, store 0x0303");  // ids alone name nothing
    escrow::escrow_record aged;
    aged.cipher_id = age.cipher;
    aged.wrap_id = age.wrap;
    aged.store_id = age.store;
    CHECK(aged.policies() == age);  // a record names its ids through the registry
    CHECK(aged.policies().to_string() ==
          "cipher chacha20-poly1305-stream (0x0102), wrap x25519 (0x0203), store age (0x0303)");
    CHECK(age != native);
    try {
        age.check_matches(native, "the escrow record");
        FAIL("check_matches accepted other policies");
    } catch (const escrow::error& e) {
        CHECK(e.kind() == errc::unknown_policy_id);
        CHECK_THAT(e.what(), Catch::StartsWith("[escrow.unknown_policy_id] the escrow record was made for other policies") &&
                                 Catch::Contains(age.to_string()) && Catch::Contains(native.to_string()));
    }
    escrow::escrow_record rec;
    rec.cipher_id = 1, rec.wrap_id = 2, rec.store_id = 3;
    CHECK(rec.policies() == escrow::policy_ids{1, 2, 3});
}

// ---- audit kinds and outcomes ------------------------------------------------------------------

TEST_CASE("Audit kinds and outcomes have the texts the audit chain stores and hashes", "[authority][audit]") {
    using K = ea::audit_kind;
    using O = ea::audit_outcome;
    const std::pair<K, std::string_view> kinds[] = {
        {K::bind_key, "bind-key"}, {K::deposit, "deposit"}, {K::recovery, "recovery"},
        {K::revocation, "revocation"}, {K::officer, "officer"}};
    for (auto [k, text] : kinds) {
        CHECK(ea::to_string(k) == text);
        CHECK(ea::from_string<K>(text) == k);
    }
    const std::pair<O, std::string_view> outcomes[] = {{O::bound, "bound"},     {O::stored, "stored"},
                                                       {O::granted, "granted"}, {O::refused, "refused"},
                                                       {O::revoked, "revoked"}, {O::registered, "registered"}};
    for (auto [o, text] : outcomes) {
        CHECK(ea::to_string(o) == text);
        CHECK(ea::from_string<O>(text) == o);
    }
    CHECK_FALSE(ea::from_string<K>("Deposit").has_value());
    CHECK_FALSE(ea::from_string<O>("").has_value());
    CHECK_ESCROW_ERROR((void)ea::from_stored_text<O>("approved", 7), errc::authentication_failed);
    std::ostringstream os;
    os << K::bind_key << "/" << O::refused;
    CHECK(os.str() == "bind-key/refused");
}

TEST_CASE("An audit entry's hash is the one the string-typed entries had", "[authority][audit]") {
    ea::audit_entry e;
    e.seq = 3;
    e.time = 1700000000;
    e.kind = ea::audit_kind::deposit;
    e.serial = "S-1";
    e.actor = "alice";
    e.outcome = ea::audit_outcome::refused;
    e.reason = "why";
    e.prev_hash.fill(0xAB);
    // The canonical bytes written out by hand, with the texts as literals.
    escrow::bytes expect(e.prev_hash.begin(), e.prev_hash.end());
    escrow::append(expect, escrow::as_bytes(std::string_view("escrow/v1 audit\n")));
    escrow::le::put<std::uint64_t>(expect, 3);
    escrow::le::put<std::uint64_t>(expect, 1700000000);
    for (std::string_view f : {"deposit", "S-1", "alice", "refused", "why"}) {
        escrow::le::put<std::uint16_t>(expect, static_cast<std::uint16_t>(f.size()));
        escrow::append(expect, escrow::as_bytes(f));
    }
    CHECK(e.compute_hash() == escrow::sha256(expect));
}

// ---- errors ------------------------------------------------------------------------------------

TEST_CASE("Every error code has a tag, and docs/errors.md tabulates every code with its CLI exit status",
          "[core][error][docs]") {
    // all_errc lists every code, in order and without gaps; the value after the last has no tag.
    for (std::size_t i = 0; i < escrow::all_errc.size(); ++i) {
        const errc c = escrow::all_errc[i];
        CAPTURE(i);
        CHECK(static_cast<std::size_t>(c) == i + 1);
        CHECK(escrow::tag(c) != "unknown");
        CHECK(std::string(escrow::error(c, "x").what()) == "[escrow." + std::string(escrow::tag(c)) + "] x");
    }
    CHECK(escrow::tag(static_cast<errc>(escrow::all_errc.size() + 1)) == "unknown");

    std::ifstream in(ESCROW_ERRORS_DOC);
    REQUIRE(in);
    std::vector<std::vector<std::string>> rows;  // the table's rows that name a code
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("| `")) continue;
        std::vector<std::string> cells;
        std::istringstream cs(line.substr(1));
        for (std::string cell; std::getline(cs, cell, '|');) {
            cell.erase(0, cell.find_first_not_of(' '));
            cell.erase(cell.find_last_not_of(' ') + 1);
            cells.push_back(cell);
        }
        rows.push_back(cells);
    }
    CHECK(rows.size() == escrow::all_errc.size());
    for (errc c : escrow::all_errc) {
        const std::string name = "`" + std::string(escrow::tag(c)) + "`";
        CAPTURE(name);
        auto row = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return !r.empty() && r[0] == name; });
        REQUIRE(row != rows.end());
        REQUIRE(row->size() == 5);
        CHECK((*row)[1] == std::to_string(static_cast<int>(c)));
        CHECK(!(*row)[2].empty());
        CHECK(!(*row)[3].empty());
        CHECK((*row)[4] == std::to_string(escrow_cli::exit_code_for(c)));
    }
}

TEST_CASE("The STREAM ciphers give one code per chunk-size fault", "[cipher][error]") {
    auto check = [](auto cipher) {
        using C = decltype(cipher);
        CAPTURE(C::name);
        const auto key = escrow::session_key::generate(C::key_size);
        const escrow::bytes nonce(C::nonce_size, 7);
        typename C::opener opener(key, nonce);
        escrow::bytes out(C::chunk_size + C::tag_size + 1);
        const escrow::bytes short_chunk(C::tag_size - 1);
        CHECK_ESCROW_ERROR((void)opener.open(0, short_chunk, true, out), errc::truncated);
        const escrow::bytes long_chunk(C::sealed_chunk_size + 1);
        CHECK_ESCROW_ERROR((void)opener.open(0, long_chunk, false, out), errc::invalid_argument);
        const escrow::bytes fine(C::tag_size + 10);
        CHECK_ESCROW_ERROR((void)opener.open(0, fine, true, escrow::mutable_byte_view(out).first(9)), errc::invalid_argument);
        typename C::sealer sealer(key, nonce);
        const escrow::bytes too_much(C::chunk_size + 1);
        CHECK_ESCROW_ERROR((void)sealer.seal(0, too_much, true, out), errc::invalid_argument);
    };
    check(escrow::cipher::aes256_gcm_stream{});
    check(escrow::cipher::chacha20_poly1305_stream{});
}

TEST_CASE("The payload pipeline's batch sink reports an overflow as an escrow::error", "[pipeline][error]") {
    escrow::bytes buf(8);
    escrow::detail::batch_sink sink{buf};
    sink.write(pattern(8));
    CHECK_ESCROW_ERROR(sink.write(pattern(1)), errc::invalid_argument);
}
