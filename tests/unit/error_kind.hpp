// SPDX-License-Identifier: MIT
/// @file
/// `error_kind(f)`: the `escrow::errc` of the `escrow::error` that `f()` throws, or `errc{}` when it
/// throws none; `message_of(f)`: its message, or "" when it throws none; for tests that check
/// which error a call ends in.
#pragma once

#include <escrow/core/error.hpp>

#include <string>

namespace escrow_test {

template <class F>
escrow::errc error_kind(F&& f) {
    try {
        f();
    } catch (const escrow::error& e) {
        return e.kind();
    }
    return escrow::errc{};
}

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const escrow::error& e) {
        return e.what();
    }
    return "";
}

}  // namespace escrow_test
