// SPDX-License-Identifier: MIT
// Sealing and opening through mapped files (`mapped_file_source`, `mapped_file_sink`):
// the same files as the streaming path at every batch boundary, in every mix of mapped and
// streamed sides; a corrupt, truncated or extended file leaves no output; and a file that shrinks
// under its mapping is a clear error, not SIGBUS.
#include "payload_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <escrow/core/mapped_file.hpp>

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

// A directory of its own, removed at the end.
struct scratch_dir {
    fs::path path;
    explicit scratch_dir(std::string_view name)
        : path(fs::temp_directory_path() / ("escrow-mapped-" + std::string(name) + "-" + std::to_string(::getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~scratch_dir() { fs::remove_all(path); }
    fs::path operator/(std::string_view name) const { return path / name; }
};

void write_file(const fs::path& p, byte_view b) {
    std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

bytes read_file(const fs::path& p) {
    escrow::file_source in(p);
    return escrow::read_all(in, std::size_t{1} << 31);
}

std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

template <class F, class Source, class Sink>
void encrypt(Source& in, Sink& out, unsigned threads) {
    typename F::host enc;
    enc.threads(threads);
    enc.encrypt(in, out, F::owner_pub(), F::authority_pub());
}

template <class F, class Source, class Sink>
void decrypt(Source& in, Sink& out, unsigned threads) {
    typename F::host enc;
    enc.threads(threads);
    enc.decrypt(in, out, F::owner());
}


template <class F>
void same_as_streams() {
    scratch_dir dir("same");
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, chunk - 1, chunk, chunk + 1, batch - 1, batch, batch + 1,
                          2 * batch, 2 * batch + 1, 5 * batch - chunk, std::size_t{3 * 1024 * 1024 + 5}}) {
        for (unsigned threads : {2u, 3u}) {
            CAPTURE(n, threads);
            bytes plain = pattern(n, n + threads);
            write_file(dir / "plain", plain);
            // Mapped to mapped, then opened by the streaming path.
            {
                escrow::mapped_file_source in(dir / "plain");
                escrow::atomic_file_sink file(dir / "m.enc");
                escrow::mapped_file_sink out(file);
                encrypt<F>(in, out, threads);
                file.commit();
            }
            bytes file = read_file(dir / "m.enc");
            REQUIRE(file.size() >= payload_size(n));
            {
                stream_source in(file);
                escrow::memory_sink out;
                decrypt<F>(in, out, threads);
                CHECK(out.data() == plain);
            }
            // Mapped to mapped back; mapped to a stream; a stream to mapped.
            {
                escrow::mapped_file_source in(dir / "m.enc");
                escrow::atomic_file_sink file(dir / "m.dec");
                escrow::mapped_file_sink out(file);
                decrypt<F>(in, out, threads);
                file.commit();
                CHECK(read_file(dir / "m.dec") == plain);
            }
            {
                escrow::mapped_file_source in(dir / "m.enc");
                escrow::memory_sink out;
                decrypt<F>(in, out, threads);
                CHECK(out.data() == plain);
            }
            {
                stream_source in(file);
                escrow::atomic_file_sink sink(dir / "s.dec");
                escrow::mapped_file_sink out(sink);
                decrypt<F>(in, out, threads);
                sink.commit();
                CHECK(read_file(dir / "s.dec") == plain);
            }
            {
                escrow::mapped_file_source in(dir / "m.enc");
                escrow::atomic_file_sink out(dir / "w.dec");  // written, not mapped
                decrypt<F>(in, out, threads);
                out.commit();
                CHECK(read_file(dir / "w.dec") == plain);
            }
            {
                escrow::mapped_file_source in(dir / "plain");
                escrow::memory_sink out;
                encrypt<F>(in, out, threads);
                stream_source back(out.data());
                escrow::memory_sink again;
                decrypt<F>(back, again, 1);
                CHECK(again.data() == plain);
            }
            for (const char* name : {"m.enc", "m.dec", "s.dec", "w.dec"}) fs::remove(dir / name);
        }
    }
}

// Decrypts `file` through mapped files and returns the error; the output must not exist after.
template <class F>
escrow::error fails_mapped(const scratch_dir& dir, byte_view file, unsigned threads, bool map_output) {
    write_file(dir / "bad.enc", file);
    const auto before = listing(dir.path);
    std::optional<escrow::error> failure;
    {
        escrow::mapped_file_source in(dir / "bad.enc");
        escrow::atomic_file_sink file(dir / "bad.out");
        escrow::mapped_file_sink mapped(file);
        try {
            if (map_output) decrypt<F>(in, mapped, threads);
            else decrypt<F>(in, file, threads);
        } catch (const escrow::error& e) {
            failure = e;
        }
    }  // not committed
    CHECK_FALSE(fs::exists(dir / "bad.out"));
    CHECK(listing(dir.path) == before);
    REQUIRE(failure);
    return *failure;
}

// The streaming path's error for the same file.
template <class F>
escrow::error fails_streamed(byte_view file) {
    stream_source in(file);
    escrow::memory_sink out;
    try {
        decrypt<F>(in, out, 2);
    } catch (const escrow::error& e) {
        return e;
    }
    FAIL("the streaming path opened a bad file");
    throw;
}

template <class F>
void failures_leave_nothing() {
    scratch_dir dir("fail");
    const std::size_t n = 6u << 20;  // 96 chunks, 24 batches
    bytes plain = pattern(n, 77);
    write_file(dir / "plain", plain);
    {
        escrow::mapped_file_source in(dir / "plain");
        escrow::atomic_file_sink file(dir / "good.enc");
        escrow::mapped_file_sink out(file);
        encrypt<F>(in, out, 2);
        file.commit();
    }
    bytes file = read_file(dir / "good.enc");
    const std::size_t payload = file.size() - payload_size(n);
    auto bad_cases = [&] {
        std::vector<std::pair<std::string, bytes>> cases;
        bytes corrupt = file;
        corrupt[payload + 48 * sealed + 1000] ^= 0x01;
        cases.emplace_back("a corrupt chunk in the middle", corrupt);
        for (std::size_t cut : {payload + 40 * sealed + 17, payload + 40 * sealed, file.size() - 1})
            cases.emplace_back("a file truncated to " + std::to_string(cut), bytes(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(cut)));
        bytes longer = file;
        longer.push_back(0);
        cases.emplace_back("an appended byte", longer);
        return cases;
    }();
    for (unsigned threads : {2u, 4u}) {
        for (const auto& [what, bad] : bad_cases) {
          for (bool map_output : {true, false}) {
            CAPTURE(threads, what, map_output);
            escrow::error e = fails_mapped<F>(dir, bad, threads, map_output);
            escrow::error s = fails_streamed<F>(bad);
            CHECK(e.kind() == s.kind());
            CHECK(std::string(e.what()) == s.what());
            if (what.starts_with("a corrupt")) {
                CHECK_THAT(e, has_errc(errc::authentication_failed));
                CHECK(std::string(e.what()).find("chunk 48 ") != std::string::npos);
            }
          }
        }
    }
}

// A sink that cuts the file `victim` to `keep` bytes at its first write: the input shrinks while
// windows of it are in flight.
struct shrinking_sink {
    fs::path victim;
    std::uint64_t keep;
    escrow::memory_sink out;
    std::size_t writes = 0;
    void write(byte_view b) {
        if (++writes == 2) fs::resize_file(victim, keep);  // the first write is the header
        out.write(b);
    }
};

}  // namespace

TEST_CASE("Mapped native files are the streaming path's files, at every batch boundary", "[mapped]") {
    same_as_streams<native_format>();
}

TEST_CASE("Mapped age files are the streaming path's files, at every batch boundary", "[mapped][age]") {
    same_as_streams<age_format>();
}

TEST_CASE("A corrupt, truncated or extended native file opened through mappings leaves no output", "[mapped][tamper]") {
    failures_leave_nothing<native_format>();
}

TEST_CASE("A corrupt, truncated or extended age file opened through mappings leaves no output", "[mapped][tamper][age]") {
    failures_leave_nothing<age_format>();
}

TEST_CASE("A window over a file that shrank reads zeros and says so, instead of raising SIGBUS", "[mapped][sigbus]") {
    scratch_dir dir("window");
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    write_file(dir / "f", pattern(16 * page, 3));
    int fd = ::open((dir / "f").c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    for (bool writable : {false, true}) {
        CAPTURE(writable);
        escrow::file_window w(fd, 100, 10 * page, writable);
        CHECK(w.intact());
        REQUIRE(::ftruncate(fd, static_cast<off_t>(2 * page)) == 0);
        volatile escrow::byte sum = 0;
        for (std::size_t i = 0; i < w.view().size(); i += 512) sum = static_cast<escrow::byte>(sum + w.view()[i]);
        if (writable) w.view()[5 * page] = 1;  // a store to a missing page goes nowhere
        CHECK_FALSE(w.intact());
        CHECK(w.view()[4 * page] == 0);
        // The pages still in the file are the file's.
        CHECK(w.view()[0] == pattern(16 * page, 3)[100]);
        w.reset();
        write_file(dir / "f", pattern(16 * page, 3));
    }
    ::close(fd);
}

TEST_CASE("A file that shrinks while it is sealed or opened through a mapping gives a clear error", "[mapped][sigbus]") {
    scratch_dir dir("shrink");
    const std::size_t n = 24u << 20;
    write_file(dir / "plain", pattern(n, 8));
    {
        escrow::mapped_file_source in(dir / "plain");
        escrow::atomic_file_sink out(dir / "file.enc");
        encrypt<native_format>(in, out, 2);
        out.commit();
    }
    const bytes file = read_file(dir / "file.enc");
    for (std::uint64_t keep : {std::uint64_t{3} << 20, std::uint64_t{700000}}) {
        CAPTURE(keep);
        {
            escrow::mapped_file_source in(dir / "plain");
            shrinking_sink out{dir / "plain", keep, {}};
            CHECK_THROWS_MATCHES(encrypt<native_format>(in, out, 2), escrow::error, has_errc(errc::truncated));
            write_file(dir / "plain", pattern(n, 8));
        }
        {
            write_file(dir / "copy.enc", file);
            escrow::mapped_file_source in(dir / "copy.enc");
            shrinking_sink out{dir / "copy.enc", keep, {}};
            try {
                decrypt<native_format>(in, out, 2);
                FAIL("opened a file that shrank");
            } catch (const escrow::error& e) {
                CHECK_THAT(e, has_errc(errc::truncated));
                CHECK(std::string(e.what()).find("became shorter") != std::string::npos);
            }
        }
    }
}
