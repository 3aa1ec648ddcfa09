// SPDX-License-Identifier: MIT
/// @file
/// Byte sources and sinks over POSIX files: `file_source`, `fd_sink`, and `atomic_file_sink`,
/// which writes beside its destination and renames into place only on commit (the mapped source
/// is in core/mapped_file.hpp).
///
/// POSIX only (open(2), fsync(2), rename(2) and their kin); the portable concepts and adapters are
/// in core/io.hpp. The umbrella header includes this one where <unistd.h> exists.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/file_window.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/random.hpp"

namespace escrow {

namespace detail {
/// Runs `op`, a read(2) or write(2) call, again while a signal interrupts it (EINTR); returns the
/// byte count it gave. @throws escrow::error `io_error` ("`what` failed: ...") on any other failure.
template <class Op>
std::size_t retry_on_eintr(Op op, const char* what) {
    for (;;) {
        ssize_t n = op();
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) throw error(errc::io_error, std::string(what) + " failed: " + std::strerror(errno));
    }
}
}  // namespace detail

/// A source over a POSIX file descriptor; owns it when opened from a path.
class file_source {
public:
    /// Opens `path` for reading. @throws escrow::error `not_found` or `io_error`.
    explicit file_source(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), owned_(true) {
        if (fd_ < 0) {
            int e = errno;
            throw error(e == ENOENT ? errc::not_found : errc::io_error,
                        "cannot open '" + path.string() + "' for reading: " + std::strerror(e));
        }
        struct stat st{};
        if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
            ::close(fd_);
            throw error(errc::io_error, "'" + path.string() + "' is a directory");
        }
    }
    /// Reads from a descriptor the caller keeps (e.g. 0 for standard input).
    static file_source borrow(int fd) noexcept { return file_source(fd); }

    /// Moves the descriptor (and its ownership) out of `o`.
    file_source(file_source&& o) noexcept : fd_(std::exchange(o.fd_, -1)), owned_(o.owned_) {}
    file_source& operator=(file_source&&) = delete;
    ~file_source() {
        if (owned_ && fd_ >= 0) ::close(fd_);
    }

    /// The descriptor read (for fstat(2) and the like; still owned by this source).
    [[nodiscard]] int native_handle() const noexcept { return fd_; }

    /// Reads until `out` is full or the file ends; returns the count. @throws escrow::error
    /// `io_error` when read(2) fails.
    std::size_t read(mutable_byte_view out) {
        std::size_t total = 0;
        while (total < out.size()) {
            std::size_t n = detail::retry_on_eintr([&] { return ::read(fd_, out.data() + total, out.size() - total); }, "read");
            if (n == 0) break;
            total += n;
        }
        return total;
    }

private:
    explicit file_source(int fd) noexcept : fd_(fd), owned_(false) {}
    int fd_;
    bool owned_;
};

namespace detail {
inline void write_fd(int fd, byte_view in) {
    std::size_t done = 0;
    while (done < in.size()) {
        done += retry_on_eintr([&] { return ::write(fd, in.data() + done, in.size() - done); }, "write");
    }
}

inline void write_fd_at(int fd, byte_view in, std::uint64_t at) {
    std::size_t done = 0;
    while (done < in.size()) {
        done += retry_on_eintr(
            [&] { return ::pwrite(fd, in.data() + done, in.size() - done, static_cast<off_t>(at + done)); }, "write");
    }
}

/// The process umask, read without changing it: umask(2) reads it only by setting it, which would
/// race with other threads creating files. Linux reports it in /proc/self/status; where that is not
/// available, 077 is assumed, so that a file never ends up more open than intended.
inline mode_t current_umask() noexcept {
    int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 077;
    char buf[8192];
    std::size_t len = 0;
    while (len < sizeof buf - 1) {
        ssize_t n = ::read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += static_cast<std::size_t>(n);
    }
    ::close(fd);
    buf[len] = '\0';
    const char* at = std::strstr(buf, "\nUmask:");
    if (!at) return 077;
    char* end = nullptr;
    unsigned long mask = std::strtoul(at + 7, &end, 8);
    return end == at + 7 ? mode_t{077} : static_cast<mode_t>(mask & 0777);
}
}  // namespace detail

/// A sink over a POSIX file descriptor the caller keeps (e.g. 1 for standard output).
class fd_sink {
public:
    /// A sink that writes to `fd`, which the caller keeps open and closes.
    explicit fd_sink(int fd) noexcept : fd_(fd) {}
    /// Writes all of `in`. @throws escrow::error `io_error` when write(2) fails.
    void write(byte_view in) { detail::write_fd(fd_, in); }

private:
    int fd_;
};

/// A sink that writes to a temporary file beside `path` and gives it the name `path` only on
/// `commit()`. Destroyed without a commit, it removes the temporary file: a failed run leaves
/// nothing behind and never touches an existing `path`.
///
/// On Linux the temporary file has no name at all until the commit (`O_TMPFILE`, then `linkat`),
/// so a process killed by SIGKILL, which runs no destructor and no handler, leaves nothing in the
/// directory: the kernel frees the unnamed file with its last descriptor. Where the file system
/// or the system refuses `O_TMPFILE`, the temporary file is a hidden name beside `path`
/// (".NAME.tmp-RANDOM", mode 0600), removed on every failure this process sees, but left behind
/// by a SIGKILL or a power cut.
///
/// It also lends windows of a mapping of the temporary file (`map_window`), which `mapped_file_sink`
/// (core/mapped_file.hpp) hands to a host's pipeline: the file is sized ahead of them (fallocate(2),
/// so that a full disk is an error here rather than a SIGBUS later) and cut to the output's length
/// on `commit`, whose fsync(2) writes the mapped pages too.
class atomic_file_sink {
public:
    /// @throws escrow::error `io_error` when the temporary file cannot be created.
    explicit atomic_file_sink(std::filesystem::path path) : path_(std::move(path)) {
        auto dir = path_.parent_path();
        if (dir.empty()) dir = ".";
#ifdef O_TMPFILE
        fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ >= 0) return;  // unnamed: tmp_ stays empty
#endif
        tmp_ = hidden_name();
        fd_ = ::open(tmp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd_ < 0)
            throw error(errc::io_error, "cannot create a temporary file in '" + dir.string() + "': " + std::strerror(errno));
    }
    atomic_file_sink(const atomic_file_sink&) = delete;
    atomic_file_sink& operator=(const atomic_file_sink&) = delete;
    ~atomic_file_sink() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
    }

    /// Writes all of `in` to the temporary file. @throws escrow::error `io_error` when write(2)
    /// fails.
    void write(byte_view in) {
        detail::write_fd_at(fd_, in, written_);
        advance(in.size());
    }

    /// A writable window over the next `n` bytes after those written or mapped so far, the file
    /// grown ahead to hold them. @throws escrow::error `io_error` when the file cannot grow (a full
    /// disk) or be mapped.
    file_window map_window(std::size_t n) {
        std::uint64_t start = std::max(mapped_end_, written_), end = start + n;
        if (end > reserved_) grow(end + grow_step);
        file_window w(fd_, start, n, /*writable=*/true);
        mapped_end_ = end;
        return w;
    }

    /// Makes the next `n` mapped bytes part of the output.
    void commit_window(std::size_t n) { advance(n); }

    /// Flushes to disk and renames the temporary file over the destination, then flushes the
    /// directory, so that the new name survives a power failure too.
    /// @param mode permission bits as for open(2): the file gets `mode & ~umask`, so the default
    /// makes it as open as a newly created file would be, and 0600 keeps it private.
    /// @param replace false: the destination must not exist when the file is renamed into place
    /// (a file created there meanwhile is kept, and this throws `io_error`); true: it is replaced.
    /// @param apply_umask false: the file gets exactly `mode` (a file rewritten in place keeps
    /// its bits), set on the descriptor before the file has its name.
    void commit(mode_t mode = 0666, bool replace = true, bool apply_umask = true) {
        if (reserved_ > written_ && ::ftruncate(fd_, static_cast<off_t>(written_)) != 0)
            throw error(errc::io_error, "cannot cut the file for '" + path_.string() + "' to size: " + std::strerror(errno));
        if (::fchmod(fd_, apply_umask ? mode & ~detail::current_umask() : mode) != 0 || ::fsync(fd_) != 0)
            throw error(errc::io_error, "cannot flush the file for '" + path_.string() + "': " + std::strerror(errno));
        if (tmp_.empty()) return commit_unnamed(replace);
        ::close(std::exchange(fd_, -1));
        if (replace ? ::rename(tmp_.c_str(), path_.c_str()) != 0 : !rename_no_replace())
            throw error(errc::io_error, errno == EEXIST
                                            ? "'" + path_.string() + "' was created by someone else while this was written; not replaced"
                                            : "cannot rename onto '" + path_.string() + "': " + std::strerror(errno));
        committed_ = true;
        sync_directory();
    }

    /// True while the file being written has no name (Linux `O_TMPFILE`): nothing to remove if
    /// the process is killed.
    [[nodiscard]] bool unnamed() const noexcept { return tmp_.empty(); }

    /// The temporary file written until `commit` (for a caller that must remove it from a signal
    /// handler, where destructors do not run); empty while the file is unnamed.
    [[nodiscard]] const std::filesystem::path& temp_path() const noexcept { return tmp_; }

    /// The destination path.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    void advance(std::size_t n) {
        written_ += n;
#ifdef __linux__
        // Starts writing back each 8 MiB as soon as it is written, without waiting for it, so that
        // the fsync in `commit` finds little left to write: a large file is flushed while the
        // rest of it is still being produced, rather than all at the end. A hint only: its errors
        // are left to that fsync.
        if (written_ - started_ >= writeback_step) {
            (void)::sync_file_range(fd_, static_cast<off_t>(started_), static_cast<off_t>(written_ - started_),
                                    SYNC_FILE_RANGE_WRITE);
            started_ = written_;
        }
#endif
    }

    // Sizes the file to `size` for windows to come: allocated where the file system can, so that
    // no store into a window finds the disk full.
    void grow(std::uint64_t size) {
#ifdef __linux__
        int rc = ::fallocate(fd_, 0, static_cast<off_t>(reserved_), static_cast<off_t>(size - reserved_));
        if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) rc = ::ftruncate(fd_, static_cast<off_t>(size));
#else
        int rc = ::ftruncate(fd_, static_cast<off_t>(size));
#endif
        if (rc != 0)
            throw error(errc::io_error, "cannot make room for '" + path_.string() + "': " + std::strerror(errno));
        reserved_ = size;
    }

    std::filesystem::path hidden_name() const {
        auto dir = path_.parent_path();
        if (dir.empty()) dir = ".";
        byte rnd[8];
        default_random().fill(rnd);
        // At most 128 bytes of the name, so that the temporary name stays under NAME_MAX (255)
        // whenever the destination's does.
        return dir / ("." + path_.filename().string().substr(0, 128) + ".tmp-" + hex::encode(rnd));
    }

    // Gives the unnamed file a name: linkat(2) never replaces, so without `replace` it links
    // straight to the destination (EEXIST if someone created it meanwhile); with `replace` it
    // links to a hidden name and renames that over the destination. linkat through
    // /proc/self/fd needs no privilege; AT_EMPTY_PATH is the way without /proc (it needs
    // CAP_DAC_READ_SEARCH).
    void commit_unnamed(bool replace) {
        const std::filesystem::path target = replace ? hidden_name() : path_;
        const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
        bool linked = ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0;
#ifdef AT_EMPTY_PATH
        if (!linked && errno != EEXIST) linked = ::linkat(fd_, "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH) == 0;
#endif
        if (!linked)
            throw error(errc::io_error, errno == EEXIST
                                            ? "'" + path_.string() + "' was created by someone else while this was written; not replaced"
                                            : "cannot give the new file the name '" + path_.string() + "': " + std::strerror(errno));
        ::close(std::exchange(fd_, -1));
        if (replace && ::rename(target.c_str(), path_.c_str()) != 0) {
            int e = errno;
            ::unlink(target.c_str());
            throw error(errc::io_error, "cannot rename onto '" + path_.string() + "': " + std::strerror(e));
        }
        committed_ = true;
        sync_directory();
    }

    // Renames without replacing: renameat2(RENAME_NOREPLACE) where the file system has it, else a
    // hard link (which never replaces either) and the removal of the temporary name.
    bool rename_no_replace() {
#ifdef RENAME_NOREPLACE
        if (::renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) == 0) return true;
        if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return false;
#endif
        if (::link(tmp_.c_str(), path_.c_str()) != 0) return false;
        ::unlink(tmp_.c_str());
        return true;
    }

    // The rename is an entry in the directory: it is durable once the directory is flushed.
    // File systems that cannot flush a directory (EINVAL) have nothing to do.
    void sync_directory() {
        auto dir = path_.parent_path();
        if (dir.empty()) dir = ".";
        int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) throw error(errc::io_error, "cannot open '" + dir.string() + "' to flush it: " + std::strerror(errno));
        int rc = ::fsync(dfd);
        int e = errno;
        ::close(dfd);
        if (rc != 0 && e != EINVAL)
            throw error(errc::io_error, "'" + path_.string() + "' is written but its directory could not be flushed: " +
                                            std::strerror(e));
    }

    static constexpr std::uint64_t writeback_step = 8u << 20;
    // The file grows ahead of its windows in steps, so that its size follows the progress.
    static constexpr std::uint64_t grow_step = 8u << 20;
    std::filesystem::path path_, tmp_;
    int fd_ = -1;
    bool committed_ = false;
    std::uint64_t written_ = 0, started_ = 0, mapped_end_ = 0, reserved_ = 0;
};

}  // namespace escrow
