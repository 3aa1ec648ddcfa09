// SPDX-License-Identifier: MIT
/// @file
/// `escrow::unverified<T>`: a value read from outside that nothing has authenticated yet.
#pragma once

#include <utility>

namespace escrow {

/// A value exactly as a file, a record or a peer stated it, before any key has checked it: a file
/// header before its MAC verified, say. Its fields may have been written by anyone who could write
/// the bytes, so it does not convert to `T`: code that reads it says so (`unverified_value()`),
/// and the functions that check it (`escrow_encryptor::open_header`) take it as it is and hand
/// back what they verified.
template <class T>
class unverified {
public:
    /// Wraps a value read from outside.
    explicit unverified(T value) : value_(std::move(value)) {}

    /// The value as stated, unchecked: fit to show (marked as such) or to look a key up by, not
    /// to decide on.
    [[nodiscard]] const T& unverified_value() const& noexcept { return value_; }
    /// As above, moved out.
    [[nodiscard]] T unverified_value() && { return std::move(value_); }

private:
    T value_;
};

}  // namespace escrow
