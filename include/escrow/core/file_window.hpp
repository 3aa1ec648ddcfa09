// SPDX-License-Identifier: MIT
/// @file
/// A bounded window of a mapped file (`file_window`), guarded against SIGBUS: a file that shrinks
/// under its mapping turns the fault into a flag the host reports as an error.
///
/// POSIX only (mmap(2), sigaction(2)); used by `mapped_file_source` and `atomic_file_sink`.
#pragma once

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"

namespace escrow {

namespace detail {

/// The windows a SIGBUS may hit. A fault inside a registered window means the file is shorter
/// than the window (someone truncated it): the handler maps a page of zeros over the faulting
/// page, so that the instruction completes, and flags the window; the host checks the flag before
/// it uses the window's bytes and reports the error. A fault anywhere else goes to the handler
/// that was installed before (or to the default action: the process dies as without this guard).
///
/// A fixed table of atomics, so that the handler reads memory and calls mmap(2) only.
class sigbus_guard {
public:
    static constexpr std::size_t slots = 1024;

    /// Registers [begin, end); returns the slot, or -1 when the table is full.
    static int add(const void* begin, std::size_t len) noexcept {
        install();
        for (std::size_t i = 0; i < slots; ++i) {
            if (table()[i].claimed.exchange(true, std::memory_order_acq_rel)) continue;
            table()[i].faulted.store(false, std::memory_order_relaxed);
            table()[i].begin.store(reinterpret_cast<std::uintptr_t>(begin), std::memory_order_relaxed);
            table()[i].end.store(reinterpret_cast<std::uintptr_t>(begin) + len, std::memory_order_release);
            return static_cast<int>(i);
        }
        return -1;
    }

    /// True when a fault hit the window in slot `i` since it was registered.
    [[nodiscard]] static bool faulted(int i) noexcept {
        return i >= 0 && table()[i].faulted.load(std::memory_order_acquire);
    }

    /// Forgets slot `i` (before its window is unmapped).
    static void remove(int i) noexcept {
        if (i < 0) return;
        table()[i].end.store(0, std::memory_order_release);
        table()[i].begin.store(0, std::memory_order_release);
        table()[i].claimed.store(false, std::memory_order_release);
    }

private:
    struct slot {
        std::atomic<bool> claimed{false}, faulted{false};
        std::atomic<std::uintptr_t> begin{0}, end{0};
    };
    static_assert(std::atomic<std::uintptr_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

    static slot* table() noexcept {
        static slot t[slots];
        return t;
    }
    static struct sigaction& previous() noexcept {
        static struct sigaction p{};
        return p;
    }

    static void install() noexcept {
        static std::once_flag once;
        std::call_once(once, [] {
            struct sigaction sa{};
            sa.sa_sigaction = &on_sigbus;
            sa.sa_flags = SA_SIGINFO | SA_NODEFER;
            sigemptyset(&sa.sa_mask);
            ::sigaction(SIGBUS, &sa, &previous());
        });
    }

    static void on_sigbus(int sig, siginfo_t* info, void* context) {
        auto at = reinterpret_cast<std::uintptr_t>(info->si_addr);
        for (std::size_t i = 0; i < slots; ++i) {
            slot& s = table()[i];
            if (at < s.begin.load(std::memory_order_acquire) || at >= s.end.load(std::memory_order_acquire)) continue;
            const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
            void* p = reinterpret_cast<void*>(at & ~(page - 1));
            if (::mmap(p, page, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) break;
            s.faulted.store(true, std::memory_order_release);
            return;
        }
        // Not a window of ours: as if this handler were not there.
        struct sigaction& prev = previous();
        if (prev.sa_flags & SA_SIGINFO) return prev.sa_sigaction(sig, info, context);
        if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) return prev.sa_handler(sig);
        ::signal(SIGBUS, SIG_DFL);  // the faulting instruction runs again and the default action ends the process
    }
};

}  // namespace detail

/// A mapping of `len` bytes of a file from `offset`, unmapped on destruction; read-only, or
/// writable and shared (stores reach the file). Move-only.
///
/// Guarded (`detail::sigbus_guard`): when the file is shorter than the window, touching the
/// missing pages reads zeros and writes nowhere instead of raising SIGBUS, and `intact()` turns
/// false; a caller checks it before trusting what it read or wrote.
class file_window {
public:
    file_window() noexcept = default;

    /// @throws escrow::error `io_error` when mmap(2) fails, or when the guard's table is full.
    file_window(int fd, std::uint64_t offset, std::size_t len, bool writable) {
        if (len == 0) return;
        const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        const std::uint64_t start = offset & ~(page - 1);
        map_len_ = static_cast<std::size_t>(offset - start) + len;
        // No MAP_POPULATE: the pages are faulted in by the threads that touch them (the pipeline's
        // workers, in parallel), not all by the thread that maps them.
        int flags = MAP_SHARED;
        void* p = ::mmap(nullptr, map_len_, writable ? PROT_READ | PROT_WRITE : PROT_READ, flags, fd, static_cast<off_t>(start));
        if (p == MAP_FAILED) throw error(errc::io_error, std::string("cannot map the file: ") + std::strerror(errno));
        base_ = static_cast<byte*>(p);
        data_ = mutable_byte_view(base_ + (offset - start), len);
        slot_ = detail::sigbus_guard::add(base_, map_len_);
        if (slot_ < 0) {
            ::munmap(base_, map_len_);
            throw error(errc::io_error, "too many file windows mapped at once");
        }
    }

    /// Takes over `o`'s mapping; `o` is left empty.
    file_window(file_window&& o) noexcept
        : base_(std::exchange(o.base_, nullptr)), map_len_(std::exchange(o.map_len_, 0)), data_(std::exchange(o.data_, {})),
          slot_(std::exchange(o.slot_, -1)) {}
    /// Unmaps this window, then takes over `o`'s mapping; `o` is left empty.
    file_window& operator=(file_window&& o) noexcept {
        if (this != &o) {
            reset();
            base_ = std::exchange(o.base_, nullptr);
            map_len_ = std::exchange(o.map_len_, 0);
            data_ = std::exchange(o.data_, {});
            slot_ = std::exchange(o.slot_, -1);
        }
        return *this;
    }
    ~file_window() { reset(); }

    /// The window's bytes (writable only for a writable window).
    [[nodiscard]] mutable_byte_view view() const noexcept { return data_; }

    /// False once a page of the window was missing from the file (the file shrank under it).
    [[nodiscard]] bool intact() const noexcept { return !detail::sigbus_guard::faulted(slot_); }

    /// Unmaps the window now.
    void reset() noexcept {
        detail::sigbus_guard::remove(std::exchange(slot_, -1));
        if (base_) ::munmap(std::exchange(base_, nullptr), std::exchange(map_len_, 0));
        data_ = {};
    }

private:
    byte* base_ = nullptr;
    std::size_t map_len_ = 0;
    mutable_byte_view data_;
    int slot_ = -1;
};

}  // namespace escrow
