// SPDX-License-Identifier: MIT
/// @file
/// Secret byte strings: wiped on destruction, never compared with `==`, never printed.
#pragma once

#include <cryptopp/misc.h>
#include <cryptopp/secblock.h>

#include <cstddef>
#include <cstring>
#include <iosfwd>
#include <string_view>
#include <utility>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"

namespace escrow {

/// A secret byte string of a kind named by `Tag`.
///
/// The bytes live in a Crypto++ `SecByteBlock`, which zeroes them when the object is destroyed or
/// resized. There is no `operator==` (use `constant_time_equal`) and no stream output. The raw
/// bytes are reachable only through `unsafe_bytes()`, a name a reviewer can grep for.
///
/// A secret is move-only: a move hands the storage over (Crypto++ 8.7's `SecBlock` has no move of
/// its own, so without this every "move" would be a copy and a wipe), and a second copy of the
/// bytes exists only where `clone()` says so.
///
/// @tparam Tag an empty type that keeps secrets of different kinds from mixing.
template <class Tag>
class secret {
public:
    /// An empty secret.
    secret() = default;

    /// Takes `other`'s storage; `other` is left empty.
    secret(secret&& other) noexcept { block_.swap(other.block_); }
    /// Wipes and frees this secret's bytes, then takes `other`'s storage; `other` is left empty.
    secret& operator=(secret&& other) noexcept {
        if (this != &other) {
            secret gone(std::move(*this));  // wiped when it goes out of scope
            block_.swap(other.block_);
        }
        return *this;
    }
    secret(const secret&) = delete;
    secret& operator=(const secret&) = delete;

    /// A second copy of the bytes, in its own wiped memory. Explicit, so that every copy of a
    /// secret is a place a reviewer can find.
    [[nodiscard]] secret clone() const { return from_unsafe_bytes(unsafe_bytes()); }

    /// A zero-filled secret of `n` bytes, to be written through `unsafe_mutable_bytes()`.
    explicit secret(std::size_t n) : block_(n) {
        // A zero-size SecByteBlock has a null data(); memset's pointer must not be null even for 0 bytes.
        if (n) CryptoPP::memset_z(block_.data(), 0, n);
    }

    /// Copies `raw` into a new secret. The caller remains responsible for wiping `raw`.
    [[nodiscard]] static secret from_unsafe_bytes(byte_view raw) {
        secret s(raw.size());
        if (!raw.empty()) std::memcpy(s.block_.data(), raw.data(), raw.size());
        return s;
    }

    /// A fresh secret of `n` random bytes.
    [[nodiscard]] static secret generate(std::size_t n, system_random& rng = default_random()) {
        secret s(n);
        rng.fill(s.unsafe_mutable_bytes());
        return s;
    }

    /// Number of bytes.
    [[nodiscard]] std::size_t size() const noexcept { return block_.size(); }
    /// True when the secret holds no bytes.
    [[nodiscard]] bool empty() const noexcept { return block_.size() == 0; }

    /// The raw secret bytes. Every use is a place where a secret leaves its wrapper: keep it short.
    [[nodiscard]] byte_view unsafe_bytes() const noexcept { return {block_.data(), block_.size()}; }
    /// The raw secret bytes read as text (an encoded private key, say). The same caution applies.
    [[nodiscard]] std::string_view unsafe_text() const noexcept {
        return {reinterpret_cast<const char*>(block_.data()), block_.size()};
    }
    /// The raw secret bytes, writable.
    [[nodiscard]] mutable_byte_view unsafe_mutable_bytes() noexcept {
        return {block_.data(), block_.size()};
    }

    friend bool operator==(const secret&, const secret&) = delete;
    friend bool operator!=(const secret&, const secret&) = delete;
    template <class Ch, class Tr>
    friend std::basic_ostream<Ch, Tr>& operator<<(std::basic_ostream<Ch, Tr>&, const secret&) = delete;

private:
    CryptoPP::SecByteBlock block_;
};

/// Compares two byte strings in time that depends only on their lengths.
[[nodiscard]] inline bool constant_time_equal(byte_view a, byte_view b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CryptoPP::VerifyBufsEqual(a.data(), b.data(), a.size());
}

/// Compares two secrets of the same kind in constant time.
template <class Tag>
[[nodiscard]] bool constant_time_equal(const secret<Tag>& a, const secret<Tag>& b) noexcept {
    return constant_time_equal(a.unsafe_bytes(), b.unsafe_bytes());
}

/// Tag of the per-file session key (the "file key" in age's terms).
struct session_key_tag {};
/// The per-file session key that the cipher uses and that every recipient blob wraps.
using session_key = secret<session_key_tag>;

/// Tag of keys derived from a session key (payload, header and record MAC keys).
struct derived_key_tag {};
/// A key derived from a session key by HKDF.
using derived_key = secret<derived_key_tag>;

/// Tag of encodings that hold a private key: PKCS#8 DER, PEM text, an age identity line or file.
struct private_key_encoding_tag {};
/// An encoded private key (binary or text), in wiped memory. Write it only to protected files.
using private_key_encoding = secret<private_key_encoding_tag>;

}  // namespace escrow
