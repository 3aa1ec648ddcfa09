// SPDX-License-Identifier: MIT
/// @file
/// `mapped_file_source`: a regular file read through bounded windows of a mapping of it, so that
/// a host seals or opens it straight from the page cache.
///
/// POSIX only; the umbrella header includes it where <unistd.h> exists.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/file_window.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/posix_file.hpp"

namespace escrow {

/// A source over a regular file (`mapped_byte_source`): `read` for the bytes a format parses
/// (its header), then windows of a mapping for the payload, which a host's pipeline seals or
/// opens in place. Its size is taken when the payload starts; bytes appended later are not read.
///
/// A file that shrinks while it is read is reported, not a crash: each window is checked against
/// the file's size when it is mapped, and a truncation after that turns the missing pages into
/// zeros and the window's `intact()` false (`file_window`), which the host reports as `truncated`.
class mapped_file_source {
public:
    /// Opens `path`, which must be a regular file. @throws escrow::error `not_found`, or
    /// `io_error` (not a regular file, or unreadable).
    explicit mapped_file_source(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), owned_(true) {
        if (fd_ < 0) {
            int e = errno;
            throw error(e == ENOENT ? errc::not_found : errc::io_error,
                        "cannot open '" + path.string() + "' for reading: " + std::strerror(e));
        }
        if (!is_regular_file(fd_)) {
            ::close(fd_);
            throw error(errc::io_error, "'" + path.string() + "' is not a regular file: it cannot be mapped");
        }
    }

    /// Reads a regular file through a descriptor the caller keeps, from byte `offset` of it.
    /// @pre `is_regular_file(fd)`
    static mapped_file_source borrow(int fd, std::uint64_t offset = 0) noexcept { return mapped_file_source(fd, offset); }

    /// True when `fd` is open on a regular file (what this source can map).
    [[nodiscard]] static bool is_regular_file(int fd) noexcept {
        struct stat st{};
        return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    }

    /// Takes over `o`'s file; `o` is left closed.
    mapped_file_source(mapped_file_source&& o) noexcept
        : fd_(std::exchange(o.fd_, -1)), owned_(o.owned_), pos_(o.pos_), end_(o.end_) {}
    mapped_file_source& operator=(mapped_file_source&&) = delete;
    ~mapped_file_source() {
        if (owned_ && fd_ >= 0) ::close(fd_);
    }

    /// Reads until `out` is full or the file ends; returns the count. @throws escrow::error
    /// `io_error` when pread(2) fails.
    std::size_t read(mutable_byte_view out) {
        std::size_t total = 0;
        while (total < out.size()) {
            std::size_t n = detail::retry_on_eintr(
                [&] { return ::pread(fd_, out.data() + total, out.size() - total, static_cast<off_t>(pos_ + total)); }, "read");
            if (n == 0) break;
            total += n;
        }
        pos_ += total;
        return total;
    }

    /// Bytes not read yet; the first call fixes where the file ends.
    [[nodiscard]] std::uint64_t remaining() {
        if (!end_) end_ = file_size();
        return *end_ > pos_ ? *end_ - pos_ : 0;
    }

    /// A window over the next `min(n, remaining())` bytes, which it consumes.
    /// @throws escrow::error `truncated` when the file is now shorter than that; `io_error` when
    /// it cannot be mapped.
    file_window map_next(std::size_t n) {
        n = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining()));
        if (n && file_size() < pos_ + n) throw shrank();
        file_window w(fd_, pos_, n, /*writable=*/false);
        pos_ += n;
        return w;
    }

    /// The error for a file that became shorter while it was read.
    [[nodiscard]] static error shrank() {
        return error(errc::truncated, "the input file became shorter while it was read (was it changed meanwhile?)");
    }

private:
    mapped_file_source(int fd, std::uint64_t offset) noexcept : fd_(fd), owned_(false), pos_(offset) {}

    std::uint64_t file_size() const {
        struct stat st{};
        if (::fstat(fd_, &st) != 0) throw error(errc::io_error, std::string("cannot stat the input: ") + std::strerror(errno));
        return static_cast<std::uint64_t>(st.st_size);
    }

    int fd_;
    bool owned_;
    std::uint64_t pos_ = 0;
    std::optional<std::uint64_t> end_;
};

/// An `atomic_file_sink` as a `mapped_byte_sink`: a host's pipeline seals or opens its payload
/// straight into windows of the sink's temporary file (`atomic_file_sink::map_window`) instead of
/// writing it. Opt-in by type: with 4 KiB pages, faulting in a fresh page of the output costs
/// about as much as the copy write(2) makes (docs/performance.md), so the plain sink writes.
class mapped_file_sink {
public:
    /// Writes through `file`, which must outlive this sink; commit `file` as usual.
    explicit mapped_file_sink(atomic_file_sink& file) noexcept : file_(file) {}
    /// Writes `in` after the output so far (a header).
    void write(byte_view in) { file_.write(in); }
    /// A writable window over the next `n` bytes of the file (`atomic_file_sink::map_window`).
    file_window map_next(std::size_t n) { return file_.map_window(n); }
    /// Makes the next `n` mapped bytes output.
    void commit_mapped(std::size_t n) { file_.commit_window(n); }

private:
    atomic_file_sink& file_;
};

static_assert(mapped_byte_source<mapped_file_source> && mapped_byte_sink<mapped_file_sink>);
static_assert(!contiguous_byte_source<mapped_file_source> && !mapped_byte_sink<atomic_file_sink>);

}  // namespace escrow
