// SPDX-License-Identifier: MIT
/// @file
/// The API reference checker's own test (ctest docs.api_check): this header has exactly two
/// undocumented public names, `escrow::fixture::undocumented_function` and
/// `escrow::fixture::documented_struct::undocumented_member`, which the check must report, and
/// an undocumented `detail` namespace, which it must not. It is never compiled.
#pragma once

namespace escrow::fixture {

/// A documented function.
inline int documented_function() { return 1; }

inline int undocumented_function() { return 2; }

/// A documented struct with one undocumented member.
struct documented_struct {
    /// A documented member.
    int documented_member = 0;
    int undocumented_member = 0;
};

namespace detail {
inline int implementation_helper() { return 3; }
struct implementation_type {
    int x = 0;
};
}  // namespace detail

}  // namespace escrow::fixture
