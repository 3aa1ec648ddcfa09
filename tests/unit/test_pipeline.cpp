// SPDX-License-Identifier: MIT
// The parallel payload pipeline: it writes and reads the same files as the sequential path, at
// every batch boundary; it fails where the sequential path fails, releasing the same authenticated
// prefix; and a corrupt chunk in the middle of a large file leaves no output file behind.
#include "payload_support.hpp"

#include <dirent.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include <escrow/core/posix_file.hpp>

using escrow::byte_view;
using escrow::bytes;
using escrow::errc;
using escrow::mutable_byte_view;
using escrow_test::has_errc;
using escrow_test::keys;
using escrow_test::pattern;

namespace {

namespace fs = std::filesystem;

using escrow_test::age_format;
using escrow_test::batch;
using escrow_test::chunk;
using escrow_test::native_format;
using escrow_test::payload_size;
using escrow_test::sealed;
using escrow_test::stream_source;

static_assert(!escrow::contiguous_byte_source<stream_source>);
static_assert(!escrow::buffer_byte_sink<escrow::memory_sink>);
static_assert(escrow::native_encryptor::parallel_payload && escrow::age_encryptor::parallel_payload);
static_assert(!escrow::legacy::cryptoapi_encryptor<256>::parallel_payload);

// Threads alive in this process, from /proc/self/task.
std::size_t live_threads() {
    std::size_t n = 0;
    if (DIR* d = ::opendir("/proc/self/task")) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
    }
    return n;
}

// A plain sink that notes the most threads it saw alive while being written to.
struct watching_sink {
    escrow::memory_sink out;
    std::size_t most_threads = 0;
    void write(byte_view b) {
        most_threads = std::max(most_threads, live_threads());
        out.write(b);
    }
};

template <class F>
bytes encrypt_with(byte_view plain, unsigned threads) {
    typename F::host enc;
    enc.threads(threads);
    stream_source in(plain);
    escrow::memory_sink out;
    enc.encrypt(in, out, F::owner_pub(), F::authority_pub());
    return std::move(out).take();
}

struct result {
    bytes released;
    std::optional<errc> failure;
    std::string message;
};

template <class F>
result decrypt_with(byte_view file, unsigned threads) {
    typename F::host enc;
    enc.threads(threads);
    stream_source in(file);
    escrow::memory_sink out;
    result r;
    try {
        enc.decrypt(in, out, F::owner());
    } catch (const escrow::error& e) {
        r.failure = e.kind();
        r.message = e.what();
    }
    r.released = std::move(out).take();
    return r;
}


const std::size_t sizes[] = {0,         1,         chunk - 1, chunk,         chunk + 1,         batch - 1,
                             batch,     batch + 1, 2 * batch, 2 * batch + 1, 5 * batch - chunk, 3 * 1024 * 1024 + 5};

template <class F>
void same_files_both_ways() {
    for (std::size_t n : sizes) {
        CAPTURE(n);
        bytes plain = pattern(n, n + 7);
        for (unsigned enc_threads : {1u, 2u, 3u}) {
            CAPTURE(enc_threads);
            bytes file = encrypt_with<F>(plain, enc_threads);
            REQUIRE(file.size() >= payload_size(n));
            for (unsigned dec_threads : {1u, 2u, 8u}) {
                CAPTURE(dec_threads);
                result r = decrypt_with<F>(file, dec_threads);
                REQUIRE_FALSE(r.failure);
                CHECK(r.released == plain);
            }
            // And in place, by the sequential path over memory.
            typename F::host enc;
            escrow::memory_source in(file);
            escrow::memory_sink out;
            enc.decrypt(in, out, F::owner());
            CHECK(out.data() == plain);
        }
    }
}

template <class F>
void fails_alike() {
    const std::size_t n = 5 * batch + 100;
    bytes plain = pattern(n, 99);
    bytes file = encrypt_with<F>(plain, 2);
    const std::size_t payload = file.size() - payload_size(n);
    std::vector<bytes> cases;
    // Cut inside and at the edges of chunks and batches, and past the end.
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, sealed - 1,
                            sealed, sealed + 1, 4 * sealed - 1, 4 * sealed, 4 * sealed + 1, 4 * sealed + 16,
                            8 * sealed + 5, 20 * sealed, 20 * sealed + 16, 20 * sealed + 17, payload_size(n) - 1})
        cases.emplace_back(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(payload + cut));
    bytes longer = file;
    longer.push_back(0);
    cases.push_back(longer);
    bytes much_longer = file;
    much_longer.resize(file.size() + sealed, 0x5A);
    cases.push_back(much_longer);
    // Flip one bit in chunks 0, 3, 4, 11 and the final one.
    for (std::size_t c : {std::size_t{0}, std::size_t{3}, std::size_t{4}, std::size_t{11}, std::size_t{20}}) {
        bytes t = file;
        t[payload + c * sealed + 7] ^= 0x10;
        cases.push_back(t);
    }
    for (std::size_t k = 0; k < cases.size(); ++k) {
        CAPTURE(k, cases[k].size());
        result seq = decrypt_with<F>(cases[k], 1);
        result par = decrypt_with<F>(cases[k], 2);
        REQUIRE(seq.failure);
        REQUIRE(par.failure);
        CHECK(*par.failure == *seq.failure);
        CHECK(par.message == seq.message);
        // Only whole, authenticated chunks of the plaintext were released, the same ones.
        CHECK(par.released == seq.released);
        CHECK(par.released.size() % chunk == 0);
        CHECK(std::equal(par.released.begin(), par.released.end(), plain.begin()));
    }
}

// Files in `dir`, by name.
std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

template <class F>
void corrupt_middle_chunk_leaves_nothing(unsigned threads) {
    const fs::path dir = fs::temp_directory_path() / ("escrow-pipeline-" + escrow::hex::encode(pattern(6, threads + 40)));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::size_t n = 48u << 20;  // 768 chunks, 192 batches
    {
        bytes plain = pattern(n, 5);
        std::ofstream(dir / "plain.bin", std::ios::binary).write(reinterpret_cast<const char*>(plain.data()), std::streamsize(n));
    }
    {
        typename F::host enc;
        escrow::file_source in(dir / "plain.bin");
        escrow::atomic_file_sink out(dir / "file.enc");
        enc.encrypt(in, out, F::owner_pub(), F::authority_pub());
        out.commit();
    }
    // Flip one byte in the middle of chunk 384.
    const auto size = fs::file_size(dir / "file.enc");
    const auto payload = size - payload_size(n);
    {
        std::fstream f(dir / "file.enc", std::ios::binary | std::ios::in | std::ios::out);
        f.seekg(std::streamoff(payload + 384 * sealed + 1000));
        char c = 0;
        f.read(&c, 1);
        c = static_cast<char>(c ^ 0x01);
        f.seekp(std::streamoff(payload + 384 * sealed + 1000));
        f.write(&c, 1);
    }
    const auto before = listing(dir);
    {
        typename F::host enc;
        enc.threads(threads);
        escrow::file_source in(dir / "file.enc");
        std::optional<escrow::atomic_file_sink> out(std::in_place, dir / "plain.out");
        bool threw = false;
        try {
            enc.decrypt(in, *out, F::owner());
        } catch (const escrow::error& e) {
            threw = true;
            CHECK_THAT(e, has_errc(errc::authentication_failed));
            CHECK(std::string(e.what()).find("chunk 384 ") != std::string::npos);
        }
        CHECK(threw);
        out.reset();  // not committed: the temporary file goes
    }
    CHECK_FALSE(fs::exists(dir / "plain.out"));
    CHECK(listing(dir) == before);
    CHECK(fs::file_size(dir / "file.enc") == size);
    fs::remove_all(dir);
}

}  // namespace

TEST_CASE("Parallel and sequential pipelines write and read the same native files", "[pipeline]") {
    same_files_both_ways<native_format>();
}

TEST_CASE("Parallel and sequential pipelines write and read the same age files", "[pipeline][age]") {
    same_files_both_ways<age_format>();
}

TEST_CASE("Truncated, extended and tampered native payloads fail alike in both pipelines", "[pipeline][tamper]") {
    fails_alike<native_format>();
}

TEST_CASE("Truncated, extended and tampered age payloads fail alike in both pipelines", "[pipeline][tamper][age]") {
    fails_alike<age_format>();
}

TEST_CASE("A corrupt chunk in the middle of a large file leaves no output file, with the parallel pipeline",
          "[pipeline][tamper]") {
    SECTION("native, 2 threads") { corrupt_middle_chunk_leaves_nothing<native_format>(2); }
    SECTION("native, 4 threads") { corrupt_middle_chunk_leaves_nothing<native_format>(4); }
    SECTION("age, 2 threads") { corrupt_middle_chunk_leaves_nothing<age_format>(2); }
    SECTION("native, sequential") { corrupt_middle_chunk_leaves_nothing<native_format>(1); }
}

TEST_CASE("The pipeline runs its workers for large streams only, and none with threads(1)", "[pipeline]") {
    bytes plain = pattern(4u << 20, 3);
    auto run = [&](unsigned threads, byte_view data) {
        escrow::native_encryptor enc;
        enc.threads(threads);
        stream_source in(data);
        watching_sink out;
        enc.encrypt(in, out, keys().owner.public_key(), keys().authority.public_key());
        return out.most_threads;
    };
    const std::size_t base = live_threads();
    CHECK(run(2, plain) >= base + 2);
    CHECK(run(3, plain) >= base + 3);
    CHECK(run(1, plain) == base);
    // A payload within one batch is sealed on the calling thread.
    CHECK(run(2, byte_view(plain).first(batch)) == base);
}
