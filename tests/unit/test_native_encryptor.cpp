// SPDX-License-Identifier: MIT
/// @file
/// native_encryptor end to end: round trips, the authority's two paths, several authorities,
/// rewrap_owner, and header inputs the parser must refuse (including before allocating).
#include <atomic>
#include <cstdlib>
#include <new>

#include "test_support.hpp"

using escrow::errc;
using namespace escrow_test;

// ---- allocation probe ------------------------------------------------------------------------
// The largest single operator new request since the last reset, so that a test can show the
// header parser refuses a huge length before it allocates for it.
namespace {
std::atomic<std::size_t> largest_allocation{0};
}

// noinline: g++ would otherwise inline these into callers and warn that free() meets operator new.
[[gnu::noinline]] void* operator new(std::size_t n) {
    std::size_t prev = largest_allocation.load(std::memory_order_relaxed);
    while (n > prev && !largest_allocation.compare_exchange_weak(prev, n, std::memory_order_relaxed)) {
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// The nothrow form too: the library's own would pair with the replaced delete and mismatch
// allocators (AddressSanitizer reports it as alloc-dealloc-mismatch).
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return ::operator new(n);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

std::size_t expected_file_size(std::size_t header, std::size_t plain) {
    std::size_t chunks = plain == 0 ? 1 : (plain + 65535) / 65536;
    return header + plain + 16 * chunks;
}

escrow::bytes decrypt_with_record(escrow::byte_view file, const escrow::escrow_record& rec,
                                  const escrow::rsa_private_key& authority) {
    escrow::native_encryptor enc;
    escrow::memory_source in(file);
    escrow::memory_sink out;
    enc.decrypt_with_record(in, out, rec, authority);
    return std::move(out).take();
}

bool same_bytes(escrow::byte_view a, escrow::byte_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

TEST_CASE("A file round-trips for the owner and opens for the authority by record and by header copy",
          "[host][native][roundtrip]") {
    const auto& k = keys();
    const std::size_t size = GENERATE(as<std::size_t>{}, 0, 1, 65535, 65536, 65537, 3 * 65536, 50u * 1024 * 1024);
    CAPTURE(size);
    const escrow::bytes plain = pattern(size, size + 7);

    auto t0 = std::chrono::steady_clock::now();
    encrypted e = encrypt(plain, k.owner, {&k.authority});
    REQUIRE(e.records.size() == 1);
    const escrow::escrow_record& rec = e.records.front();
    REQUIRE(e.file.size() == expected_file_size(header_size(e.file), size));

    // The record describes this file.
    CHECK(rec.info.serial == "TEST-0001");
    CHECK(rec.info.description == "quarterly report.xlsx");
    CHECK(rec.info.owner == "alice@example.org");
    CHECK(rec.info.created == 1700000000u);
    CHECK(rec.cipher_id == escrow::cipher::aes256_gcm_stream::id);
    CHECK(rec.wrap_id == escrow::wrap::rsa_oaep_sha256::id);
    CHECK(rec.store_id == escrow::store::native::id);
    CHECK(rec.authority_fingerprint == k.authority.public_key().fingerprint());

    SECTION("the owner's private key decrypts to the original") {
        REQUIRE(same_bytes(decrypt(e.file, k.owner), plain));
        if (size >= 1024 * 1024) WARN("size " << size << ": encrypt + owner decrypt took " << seconds_since(t0) << " s");
    }
    SECTION("the authority key alone opens it through the escrow record") {
        REQUIRE(same_bytes(decrypt_with_record(e.file, rec, k.authority), plain));
    }
    SECTION("the authority key opens it through a record that went through its binary encoding") {
        escrow::escrow_record again = escrow::escrow_record::decode(rec.encode());
        REQUIRE(same_bytes(decrypt_with_record(e.file, again, k.authority), plain));
    }
    SECTION("the authority key opens it through its blob copy in the header") {
        REQUIRE(same_bytes(decrypt(e.file, k.authority), plain));
    }
    SECTION("a wrong key is rejected with no_matching_key and nothing is written") {
        escrow::native_encryptor enc;
        escrow::memory_source in(e.file);
        escrow::memory_sink out;
        REQUIRE_ESCROW_ERROR(enc.decrypt(in, out, k.stranger), errc::no_matching_key);
        REQUIRE(out.data().empty());
    }
    SECTION("a wrong key on the record path is rejected as a key mismatch") {
        REQUIRE_ESCROW_ERROR(decrypt_with_record(e.file, rec, k.stranger), errc::bad_key);
        REQUIRE_ESCROW_ERROR(decrypt_with_record(e.file, rec, k.owner), errc::bad_key);
    }
    SECTION("a session key that is not the file's is refused by the header MAC") {
        escrow::native_encryptor enc;
        escrow::memory_source in(e.file);
        escrow::memory_sink out;
        auto wrong = escrow::session_key::generate(32);
        REQUIRE_ESCROW_ERROR(enc.decrypt_with_session_key(in, out, wrong), errc::authentication_failed);
        REQUIRE(out.data().empty());
    }
}

TEST_CASE("Each of several authorities gets its own record, in order, that opens the file with its key only",
          "[host][native][authority]") {
    const auto& k = keys();
    const escrow::bytes plain = pattern(70000, 3);
    const std::vector<const escrow::rsa_private_key*> auths = {&k.authority, &k.authority2, &k.authority3};
    encrypted e = encrypt(plain, k.owner, auths);
    REQUIRE(e.records.size() == 3);

    escrow::native_encryptor enc;
    {
        escrow::memory_source in(e.file);
        auto h = enc.read_header(in).unverified_value();
        REQUIRE(h.recipients.size() == 4);
        CHECK(h.recipients[0].role == escrow::recipient_role::owner);
        for (std::size_t i = 1; i < 4; ++i) CHECK(h.recipients[i].role == escrow::recipient_role::authority);
    }
    for (std::size_t i = 0; i < auths.size(); ++i) {
        CAPTURE(i);
        const auto& rec = e.records[i];
        REQUIRE(rec.authority_fingerprint == auths[i]->public_key().fingerprint());
        CHECK(rec.info.serial == e.records[0].info.serial);
        REQUIRE(same_bytes(decrypt_with_record(e.file, rec, *auths[i]), plain));
        REQUIRE(same_bytes(decrypt(e.file, *auths[i]), plain));  // its copy in the header
        for (std::size_t j = 0; j < auths.size(); ++j) {
            if (j == i) continue;
            CAPTURE(j);
            REQUIRE_ESCROW_ERROR(enc.recover_session_key(rec, *auths[j]), errc::bad_key);
            REQUIRE_ESCROW_ERROR(decrypt_with_record(e.file, rec, *auths[j]), errc::bad_key);
        }
    }
    // The wrapped keys differ: each authority has its own blob.
    CHECK(e.records[0].wrapped_key != e.records[1].wrapped_key);
    CHECK(e.records[1].wrapped_key != e.records[2].wrapped_key);
    // All three recover the same session key (compared in constant time, never printed).
    auto s0 = enc.recover_session_key(e.records[0], k.authority);
    auto s1 = enc.recover_session_key(e.records[1], k.authority2);
    auto s2 = enc.recover_session_key(e.records[2], k.authority3);
    CHECK(escrow::constant_time_equal(s0, s1));
    CHECK(escrow::constant_time_equal(s1, s2));
}

TEST_CASE("Encrypting with no authority is refused", "[host][native]") {
    const auto& k = keys();
    escrow::native_encryptor enc;
    escrow::bytes plain = pattern(10);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    REQUIRE_ESCROW_ERROR(enc.encrypt(in, out, k.owner.public_key(), std::span<const escrow::rsa_public_key>{}),
                         errc::invalid_argument);
    REQUIRE(out.data().empty());
}

TEST_CASE("An empty serial and zero creation time are filled in, and serials differ between files",
          "[host][native][record]") {
    const auto& k = keys();
    escrow::bytes plain = pattern(5);
    encrypted a = encrypt(plain, k.owner, {&k.authority}, escrow::key_info{});
    encrypted b = encrypt(plain, k.owner, {&k.authority}, escrow::key_info{});
    const auto& sa = a.records[0].info.serial;
    CHECK(sa.rfind("ESC-", 0) == 0);
    CHECK(sa.size() == 30);
    CHECK(sa != b.records[0].info.serial);
    CHECK(a.records[0].info.created > 1600000000u);
}

TEST_CASE("rewrap_owner hands the file to a new owner key without touching the payload",
          "[host][native][rewrap]") {
    const auto& k = keys();
    const escrow::bytes plain = pattern(2 * 65536 + 7, 11);
    encrypted e = encrypt(plain, k.owner, {&k.authority});
    const auto& rec = e.records.front();
    escrow::native_encryptor enc;

    escrow::bytes rewrapped;
    SECTION("with the session key recovered by the authority") {
        auto sk = enc.recover_session_key(rec, k.authority);
        escrow::memory_source in(e.file);
        escrow::memory_sink out;
        enc.rewrap_owner(in, out, sk, k.new_owner.public_key());
        rewrapped = std::move(out).take();
    }
    SECTION("with the current owner's private key") {
        escrow::memory_source in(e.file);
        escrow::memory_sink out;
        enc.rewrap_owner(in, out, k.owner, k.new_owner.public_key());
        rewrapped = std::move(out).take();
    }
    SECTION("with the authority's private key through its header copy") {
        escrow::memory_source in(e.file);
        escrow::memory_sink out;
        enc.rewrap_owner(in, out, k.authority, k.new_owner.public_key());
        rewrapped = std::move(out).take();
    }
    REQUIRE(!rewrapped.empty());

    // The payload after the header is byte-identical.
    std::size_t h0 = header_size(e.file), h1 = header_size(rewrapped);
    REQUIRE(e.file.size() - h0 == rewrapped.size() - h1);
    REQUIRE(std::equal(e.file.begin() + static_cast<std::ptrdiff_t>(h0), e.file.end(),
                       rewrapped.begin() + static_cast<std::ptrdiff_t>(h1)));
    // The header did change (a new owner blob and MAC).
    REQUIRE(!same_bytes(escrow::byte_view(e.file).first(h0), escrow::byte_view(rewrapped).first(h1)));

    // The new key opens it, the old one does not, the authority still does (both ways).
    REQUIRE(same_bytes(decrypt(rewrapped, k.new_owner), plain));
    REQUIRE_ESCROW_ERROR(decrypt(rewrapped, k.owner), errc::no_matching_key);
    REQUIRE(same_bytes(decrypt_with_record(rewrapped, rec, k.authority), plain));
    REQUIRE(same_bytes(decrypt(rewrapped, k.authority), plain));
    // Key info is carried over.
    escrow::memory_source in(rewrapped);
    auto h = enc.read_header(in).unverified_value();
    CHECK(h.info.serial == "TEST-0001");
    CHECK(h.info.owner == "alice@example.org");
    CHECK(h.recipients.size() == 2);
}

TEST_CASE("rewrap_owner refuses a wrong session key or a key that opens no recipient", "[host][native][rewrap]") {
    const auto& k = keys();
    const escrow::bytes plain = pattern(1000, 12);
    encrypted e = encrypt(plain, k.owner, {&k.authority});
    escrow::native_encryptor enc;
    {
        escrow::memory_source in(e.file);
        escrow::memory_sink out;
        auto wrong = escrow::session_key::generate(32);
        REQUIRE_ESCROW_ERROR(enc.rewrap_owner(in, out, wrong, k.new_owner.public_key()), errc::authentication_failed);
        REQUIRE(out.data().empty());
    }
    {
        escrow::memory_source in(e.file);
        escrow::memory_sink out;
        REQUIRE_ESCROW_ERROR(enc.rewrap_owner(in, out, k.stranger, k.new_owner.public_key()), errc::no_matching_key);
        REQUIRE(out.data().empty());
    }
}

// ---- header bad input -------------------------------------------------------------------------

namespace {
void put_u16(escrow::bytes& f, std::size_t at, std::uint16_t v) {
    f[at] = static_cast<escrow::byte>(v);
    f[at + 1] = static_cast<escrow::byte>(v >> 8);
}
void put_u32(escrow::bytes& f, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) f[at + static_cast<std::size_t>(i)] = static_cast<escrow::byte>(v >> (8 * i));
}
}  // namespace

TEST_CASE("The native header parser refuses bad input with the documented error", "[store][native][header]") {
    const auto& k = keys();
    const escrow::bytes plain = pattern(300, 21);
    const encrypted e = encrypt(plain, k.owner, {&k.authority});
    escrow::bytes f = e.file;

    SECTION("an unknown version is unsupported_version") {
        put_u16(f, 8, 2);
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::unsupported_version);
        put_u16(f, 8, 0);
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::unsupported_version);
    }
    SECTION("a header length over 1 MiB is limit_exceeded, refused before allocating") {
        for (std::uint32_t len : {std::uint32_t{1024 * 1024 + 1}, std::uint32_t{0x7FFFFFFF}, std::uint32_t{0xFFFFFFFF}}) {
            CAPTURE(len);
            put_u32(f, 16, len);
            escrow::native_encryptor enc;
            escrow::memory_source in(f);
            escrow::memory_sink out;
            largest_allocation = 0;
            REQUIRE_ESCROW_ERROR(enc.decrypt(in, out, k.owner), errc::limit_exceeded);
            std::size_t peak = largest_allocation.load();
            CAPTURE(peak);
            REQUIRE(peak < 64 * 1024);
            REQUIRE(out.data().empty());
        }
    }
    SECTION("a header length under the fixed part is limit_exceeded") {
        put_u32(f, 16, 20);
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::limit_exceeded);
    }
    SECTION("a header length of exactly 1 MiB is accepted as a bound and the short input is truncated") {
        put_u32(f, 16, 1024 * 1024);
        largest_allocation = 0;
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::truncated);
        // The allocation probe is live: a length within the bound is allocated for.
        REQUIRE(largest_allocation.load() >= 1024 * 1024);
    }
    SECTION("a wrong magic is malformed_header") {
        f[1] = 'X';
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::malformed_header);
        f = e.file;
        f[0] = 0x88;
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::malformed_header);
    }
    SECTION("a file made for another cipher id is unknown_policy_id") {
        put_u16(f, 10, escrow::cipher::chacha20_poly1305_stream::id);
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::unknown_policy_id);
    }
    SECTION("a file made for another wrap id is unknown_policy_id") {
        put_u16(f, 12, escrow::wrap::x25519::id);
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::unknown_policy_id);
    }
    SECTION("reserved flags set are malformed_header") {
        put_u16(f, 14, 1);
        REQUIRE_ESCROW_ERROR(decrypt(f, k.owner), errc::malformed_header);
    }
    SECTION("empty input is an error") {
        escrow::bytes empty;
        REQUIRE_THROWS_AS(decrypt(empty, k.owner), escrow::error);
        REQUIRE_ESCROW_ERROR(decrypt(empty, k.owner), errc::malformed_header);
    }
    SECTION("input that is not an escrow file is malformed_header") {
        auto view = escrow::as_bytes("hello, this is plain text and not an escrow file at all");
        escrow::bytes text(view.begin(), view.end());
        REQUIRE_ESCROW_ERROR(decrypt(text, k.owner), errc::malformed_header);
    }
}

TEST_CASE("The header a file is written with is read back field by field", "[store][native][header]") {
    const auto& k = keys();
    const escrow::bytes plain = pattern(10, 22);
    const encrypted e = encrypt(plain, k.owner, {&k.authority, &k.authority2});
    escrow::native_encryptor enc;
    escrow::memory_source in(e.file);
    auto h = enc.read_header(in).unverified_value();
    CHECK(h.cipher_id == escrow::cipher::aes256_gcm_stream::id);
    CHECK(h.wrap_id == escrow::wrap::rsa_oaep_sha256::id);
    CHECK(h.nonce.size() == 32);
    CHECK(h.info.serial == "TEST-0001");
    CHECK(h.info.description == "quarterly report.xlsx");
    CHECK(h.info.owner == "alice@example.org");
    CHECK(h.info.created == 1700000000u);
    CHECK(h.mac.size() == 32);
    CHECK(h.authenticated.size() + 32 == header_size(e.file));
    CHECK(in.remaining() == e.file.size() - header_size(e.file));
    REQUIRE(h.recipients.size() == 3);
    for (const auto& r : h.recipients) CHECK(r.key.body.size() == 256);
    // Each authority's blob in the header is the blob its record carries.
    for (std::size_t i = 0; i < 2; ++i) {
        auto w = escrow::store::native::decode_blob<escrow::cipher::aes256_gcm_stream, escrow::wrap::rsa_oaep_sha256>(
            e.records[i].wrapped_key);
        CHECK(w.body == h.recipients[i + 1].key.body);
    }
}

// ---- the host's two I/O paths --------------------------------------------------------------------
// The host seals and opens in place when the source is contiguous (memory_source) and straight into
// the sink's memory when the sink lends it (buffer_byte_sink); otherwise it copies through buffers
// of its own. Every combination must write the same format and release nothing unauthenticated.
namespace {

/// A source that only reads: hides memory_source's peek/skip, so the host takes the buffered path.
class read_only_source {
public:
    explicit read_only_source(escrow::byte_view data) : in_(data) {}
    std::size_t read(escrow::mutable_byte_view out) { return in_.read(out); }

private:
    escrow::memory_source in_;
};
static_assert(escrow::byte_source<read_only_source> && !escrow::contiguous_byte_source<read_only_source>);
static_assert(escrow::contiguous_byte_source<escrow::memory_source>);

static_assert(escrow::buffer_byte_sink<lending_sink> && !escrow::buffer_byte_sink<escrow::memory_sink>);

template <class Source, class Sink>
encrypted encrypt_via(escrow::byte_view plain, Sink& out) {
    const auto& k = keys();
    std::vector<escrow::rsa_public_key> pubs{k.authority.public_key()};
    Source in(plain);
    auto records = escrow::native_encryptor{}.encrypt(in, out, k.owner.public_key(),
                                                     std::span<const escrow::rsa_public_key>(pubs), sample_info());
    return {out.data(), std::move(records)};
}

template <class Source, class Sink>
escrow::bytes decrypt_via(escrow::byte_view file, Sink& out) {
    Source in(file);
    escrow::native_encryptor{}.decrypt(in, out, keys().owner);
    return out.data();
}

}  // namespace

TEST_CASE("Contiguous and read-only sources, lending and plain sinks write and read the same format",
          "[host][native][io]") {
    const std::size_t size = GENERATE(as<std::size_t>{}, 0, 1, 65535, 65536, 65537, 3 * 65536, 3 * 65536 + 5);
    CAPTURE(size);
    const escrow::bytes plain = pattern(size, size + 11);

    // Encrypted each way, and every file decrypted each way.
    std::vector<escrow::bytes> files;
    {
        escrow::memory_sink a;
        files.push_back(encrypt_via<escrow::memory_source>(plain, a).file);
        escrow::memory_sink b;
        files.push_back(encrypt_via<read_only_source>(plain, b).file);
        lending_sink c;
        files.push_back(encrypt_via<escrow::memory_source>(plain, c).file);
        CHECK(c.prepares() == (size + 65535) / 65536 + (size == 0 ? 1 : 0));
        lending_sink d;
        files.push_back(encrypt_via<read_only_source>(plain, d).file);
    }
    for (std::size_t f = 0; f < files.size(); ++f) {
        CAPTURE(f);
        REQUIRE(files[f].size() == expected_file_size(header_size(files[f]), size));
        {
            escrow::memory_sink out;
            CHECK(same_bytes(decrypt_via<escrow::memory_source>(files[f], out), plain));
        }
        {
            escrow::memory_sink out;
            CHECK(same_bytes(decrypt_via<read_only_source>(files[f], out), plain));
        }
        {
            lending_sink out;
            CHECK(same_bytes(decrypt_via<escrow::memory_source>(files[f], out), plain));
        }
        {
            lending_sink out;
            CHECK(same_bytes(decrypt_via<read_only_source>(files[f], out), plain));
        }
    }
}

TEST_CASE("A lending sink gets nothing committed from a chunk that fails, and the lent bytes are wiped",
          "[host][native][io][tamper]") {
    const escrow::bytes plain = pattern(3 * 65536 + 100, 5);
    escrow::bytes file = encrypt(plain, keys().owner, {&keys().authority}).file;
    const std::size_t payload = header_size(file);
    // A flip in the second chunk: the first chunk (authenticated) reaches the sink, the second never.
    file[payload + 65536 + 16 + 1000] ^= 0x04;

    SECTION("contiguous source") {
        lending_sink out;
        REQUIRE_ESCROW_ERROR(decrypt_via<escrow::memory_source>(file, out), errc::authentication_failed);
        CHECK(out.data().size() == 65536);
        CHECK(same_bytes(out.data(), escrow::byte_view(plain).first(65536)));
        REQUIRE(out.lent().size() == 65536);
        CHECK(std::all_of(out.lent().begin(), out.lent().end(), [](escrow::byte b) { return b == 0; }));
    }
    SECTION("read-only source") {
        lending_sink out;
        REQUIRE_ESCROW_ERROR(decrypt_via<read_only_source>(file, out), errc::authentication_failed);
        CHECK(out.data().size() == 65536);
        REQUIRE(out.lent().size() == 65536);
        CHECK(std::all_of(out.lent().begin(), out.lent().end(), [](escrow::byte b) { return b == 0; }));
    }
}
