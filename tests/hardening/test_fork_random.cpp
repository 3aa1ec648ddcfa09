// SPDX-License-Identifier: MIT
// Finding "RNG not fork-safe": run under the frozen-clock shim (LD_PRELOAD, set by ctest), a
// process draws from escrow::default_random(), forks, and parent and child each draw 200 blocks
// more. With a user-space pool copied by fork() and the clock as its only fresh input, the two
// streams were identical; every draw must now differ.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <vector>

#include "escrow/core/random.hpp"

namespace {
constexpr int draws = 200;
using block = std::array<escrow::byte, 32>;

std::vector<block> draw_blocks() {
    std::vector<block> out(draws);
    for (auto& b : out) escrow::default_random().fill(b);
    return out;
}

bool read_all(int fd, void* buf, std::size_t n) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        ssize_t got = ::read(fd, p, n);
        if (got <= 0) return false;
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    return true;
}
}  // namespace

TEST_CASE("the clock is frozen in this test (the shim is loaded)") {
    std::time_t a = std::time(nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(std::time(nullptr) == a);
    timespec t1{}, t2{};
    ::clock_gettime(CLOCK_MONOTONIC, &t1);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ::clock_gettime(CLOCK_MONOTONIC, &t2);
    REQUIRE(t1.tv_sec == t2.tv_sec);
    REQUIRE(t1.tv_nsec == t2.tv_nsec);
}

TEST_CASE("parent and child draw different bytes after fork(), with the clock frozen") {
    block warm{};
    escrow::default_random().fill(warm);  // the generator exists and has been used before the fork
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        auto mine = draw_blocks();
        std::size_t n = mine.size() * sizeof(block);
        const auto* p = reinterpret_cast<const char*>(mine.data());
        while (n > 0) {
            ssize_t put = ::write(fds[1], p, n);
            if (put <= 0) ::_exit(2);
            p += put;
            n -= static_cast<std::size_t>(put);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    auto parent = draw_blocks();
    std::vector<block> child(draws);
    bool got = read_all(fds[0], child.data(), child.size() * sizeof(block));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(got);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    int same = 0;
    for (int i = 0; i < draws; ++i) same += parent[static_cast<std::size_t>(i)] == child[static_cast<std::size_t>(i)] ? 1 : 0;
    CHECK(same == 0);
}
