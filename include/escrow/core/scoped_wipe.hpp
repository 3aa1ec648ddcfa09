// SPDX-License-Identifier: MIT
/// @file
/// `escrow::scoped_wipe`: zeroes a buffer that held secret bytes when its scope ends, however it ends.
#pragma once

#include <cryptopp/misc.h>

#include <iterator>

namespace escrow {

/// Zeroes the elements of `buffer` (a `bytes`, a `std::string`: anything with `std::data` and
/// `std::size` over trivially copyable elements) when the scope ends, on return and on throw.
///
/// For buffers that are not `secret`s but briefly hold secret material: a decoded PEM body, an
/// encoded key on its way to a file. The wipe goes through Crypto++'s `SecureWipeBuffer`, which
/// the compiler may not elide. Only `size()` elements are wiped: a buffer that shrank keeps its
/// old tail, so keep the buffer at its final size while it holds the secret.
///
///     bytes der = pem::decode(text).der;
///     scoped_wipe wipe(der);
template <class Buffer>
class [[nodiscard]] scoped_wipe {
public:
    /// Wipes `buffer` when this guard is destroyed; `buffer` must outlive the guard.
    explicit scoped_wipe(Buffer& buffer) noexcept : buffer_(buffer) {}
    ~scoped_wipe() {
        if (std::size(buffer_) != 0) CryptoPP::SecureWipeBuffer(std::data(buffer_), std::size(buffer_));
    }
    scoped_wipe(const scoped_wipe&) = delete;
    scoped_wipe& operator=(const scoped_wipe&) = delete;

private:
    Buffer& buffer_;
};

}  // namespace escrow
