// SPDX-License-Identifier: MIT
// What every harness shares (docs/fuzzing.md): the rule that only escrow::error may leave the
// library, cheap invariant checks, and the fixed keys of the decrypting harnesses.
//
// A harness calls each parser through `escrow_fuzz::expect_escrow_errors`: an escrow::error is the
// library's documented answer to bad input and ends that call; any other exception (a Crypto++
// one, std::bad_alloc, std::out_of_range, ...) is a finding, printed and turned into abort(), which
// libFuzzer reports as a crash and saves as a reproducer. `escrow_fuzz::require` does the same for
// an invariant that does not hold.
#pragma once

#include <cxxabi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"

#if !defined(ESCROW_TESTING_DETERMINISTIC_RANDOM)
#error "the fuzz harnesses are built with ESCROW_TESTING_DETERMINISTIC_RANDOM (tests/fuzz/CMakeLists.txt)"
#endif

namespace escrow_fuzz {

/// Ends the process with a message: libFuzzer reports the abort as a crash.
[[noreturn]] inline void die(const std::string& why) {
    std::fprintf(stderr, "\nescrow fuzz: %s\n", why.c_str());
    std::fflush(stderr);
    std::abort();
}

/// An invariant of the parser under test: aborts when `ok` is false.
inline void require(bool ok, std::string_view what) {
    if (!ok) die("invariant broken: " + std::string(what));
}

/// The demangled name of the exception being handled.
inline std::string current_exception_type() {
    const std::type_info* t = abi::__cxa_current_exception_type();
    if (!t) return "unknown";
    int status = 0;
    char* name = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
    std::string out = status == 0 && name ? name : t->name();
    std::free(name);
    return out;
}

/// Runs `f`: returns true when it returned, false when it threw an escrow::error (whose message
/// must carry the stable "[escrow.<tag>]" prefix); aborts on any other exception.
template <class F>
bool expect_escrow_errors(F&& f) {
    try {
        f();
        return true;
    } catch (const escrow::error& e) {
        require(std::string_view(e.what()).starts_with("[escrow." + std::string(escrow::tag(e.kind())) + "]"),
                "an escrow::error message without its [escrow.<kind>] prefix");
        return false;
    } catch (const std::exception& e) {
        die("an exception other than escrow::error escaped: " + current_exception_type() + ": " + e.what());
    } catch (...) {
        die("an exception other than escrow::error escaped: " + current_exception_type());
    }
}

/// Starts an input: the random stream restarts, so that every input replays exactly.
inline void begin_input() { escrow::default_random().reseed_for_testing(0x5eed); }

/// The input as bytes.
inline escrow::byte_view input(const std::uint8_t* data, std::size_t size) noexcept { return {data, size}; }

/// The input as text (a view, not a copy).
inline std::string_view text(escrow::byte_view b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// Bytes of a hex string from fuzz_keys.hpp.
inline escrow::bytes unhex(std::string_view hex) { return escrow::hex::decode(hex); }

/// True when `a` and `b` hold the same bytes.
inline bool same(escrow::byte_view a, escrow::byte_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace escrow_fuzz
