// SPDX-License-Identifier: MIT
/// @file
/// The API reference checker's own test (ctest docs.api_check): this header has exactly five
/// undocumented public names, which the check must report: a function and a data member (which
/// Doxygen warns about), an enumerator, a concept and a namespace (which run-doxygen.cmake finds
/// in Doxygen's XML output). Its undocumented `detail` namespace and private member must not be
/// reported. It is never compiled.
#pragma once

/// @namespace escrow
/// The fixture's outer namespace.

/// A documented namespace.
namespace escrow::fixture {

/// A documented function.
inline int documented_function() { return 1; }

inline int undocumented_function() { return 2; }

/// A documented struct with one undocumented member.
struct documented_struct {
    /// A documented member.
    int documented_member = 0;
    int undocumented_member = 0;

private:
    int private_member_ = 0;
};

/// A documented enum with one undocumented enumerator.
enum class documented_enum {
    documented_value,  ///< A documented enumerator.
    undocumented_value,
};

/// A documented concept.
template <class T>
concept documented_concept = sizeof(T) > 0;

template <class T>
concept undocumented_concept = sizeof(T) > 1;

namespace undocumented_namespace {
/// A documented function in an undocumented namespace.
inline int documented_inside() { return 3; }
}  // namespace undocumented_namespace

namespace detail {
inline int implementation_helper() { return 4; }
enum class implementation_enum { a, b };
}  // namespace detail

}  // namespace escrow::fixture
