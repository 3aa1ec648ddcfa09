// SPDX-License-Identifier: MIT
// A 1 GiB round trip through mapped files, both formats: the plaintext's SHA-256 comes back, and
// the process's peak RSS stays bounded whatever the size (ctest label `large`; a minute or two).
#include "test_support.hpp"

#include <unistd.h>

#include <cryptopp/sha.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <escrow/core/mapped_file.hpp>

using escrow::byte_view;
using escrow::bytes;
using escrow_test::keys;

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t gib = std::uint64_t{1} << 30;

// The SHA-256 of a file, read through the mapped source's windows.
bytes sha256_of(const fs::path& p) {
    escrow::mapped_file_source in(p);
    CryptoPP::SHA256 h;
    while (in.remaining()) {
        escrow::file_window w = in.map_next(4u << 20);
        h.Update(w.view().data(), w.view().size());
        REQUIRE(w.intact());
    }
    bytes d(h.DigestSize());
    h.Final(d.data());
    return d;
}

// Writes `n` bytes of the test pattern to `p` in pieces, returning their SHA-256.
bytes write_pattern(const fs::path& p, std::uint64_t n) {
    escrow::atomic_file_sink out(p);
    CryptoPP::SHA256 h;
    const std::size_t piece = 4u << 20;
    for (std::uint64_t done = 0, i = 0; done < n; done += piece, ++i) {
        bytes b = escrow_test::pattern(static_cast<std::size_t>(std::min<std::uint64_t>(piece, n - done)), i + 1);
        h.Update(b.data(), b.size());
        out.write(b);
    }
    out.commit(0600);
    bytes d(h.DigestSize());
    h.Final(d.data());
    return d;
}

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM": resident now, and at the peak).
long status_kib(std::string_view field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':')
            return std::stol(line.substr(field.size() + 1));
    return -1;
}

// Starts the peak over from the resident size now (Linux: "5" to /proc/self/clear_refs).
bool reset_peak_rss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

template <class Host, class Pub, class Priv>
void round_trip(const Pub& owner_pub, const Pub& authority_pub, const Priv& owner, const char* name) {
    const fs::path dir = fs::temp_directory_path() / ("escrow-large-" + std::string(name) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const bytes digest = write_pattern(dir / "plain", gib);
    const bool peak_reset = reset_peak_rss();
    const long rss_before = status_kib("VmRSS");
    {
        escrow::mapped_file_source in(dir / "plain");
        escrow::atomic_file_sink file(dir / "file.enc");
        escrow::mapped_file_sink out(file);
        Host{}.encrypt(in, out, owner_pub, authority_pub);
        file.commit();
    }
    fs::remove(dir / "plain");
    {
        escrow::mapped_file_source in(dir / "file.enc");
        escrow::atomic_file_sink file(dir / "plain.out");
        escrow::mapped_file_sink out(file);
        Host{}.decrypt(in, out, owner);
        file.commit(0600);
    }
    // The round trip added a few MiB at most to the process (windows and the pipeline), not the
    // file: the peak since the reset, over the resident size before.
    if (peak_reset) {
        const long growth = status_kib("VmHWM") - rss_before;
        CAPTURE(rss_before, growth);
        CHECK(growth < 8 * 1024);
    } else {
        WARN("/proc/self/clear_refs refused the reset of the peak: the RSS bound is not checked");
    }
    CHECK(fs::file_size(dir / "plain.out") == gib);
    CHECK(sha256_of(dir / "plain.out") == digest);
    fs::remove_all(dir);
}

}  // namespace

TEST_CASE("A 1 GiB native file makes the round trip through mapped files with its SHA-256", "[mapped][large]") {
    round_trip<escrow::native_encryptor>(keys().owner.public_key(), keys().authority.public_key(), keys().owner, "native");
}

TEST_CASE("A 1 GiB age file makes the round trip through mapped files with its SHA-256", "[mapped][large][age]") {
    const auto owner = escrow::x25519_private_key::generate();
    const auto authority = escrow::x25519_private_key::generate();
    round_trip<escrow::age_encryptor>(owner.public_key(), authority.public_key(), owner, "age");
}
