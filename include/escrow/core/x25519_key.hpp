// SPDX-License-Identifier: MIT
/// @file
/// X25519 keys (RFC 7748) as age writes them: `age1…` recipients, `AGE-SECRET-KEY-1…` identities
/// and age-keygen's identity files.
#pragma once

#include <cryptopp/misc.h>
#include <cryptopp/xed25519.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "escrow/core/bech32.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/key_file_lines.hpp"

namespace escrow {

/// Tag of X25519 private scalars and shared secrets.
struct x25519_secret_tag {};
/// A 32-byte X25519 private scalar or shared secret, in wiped memory.
using x25519_secret = secret<x25519_secret_tag>;

namespace detail {
/// X25519(scalar, point) into `out` (32 bytes). Returns false when the result is all zeros (a
/// low-order or identity point), which age and RFC 7748 §6.1 say to reject. The scalar is clamped
/// by the function, as RFC 7748 specifies; the point's top bit is ignored.
[[nodiscard]] inline bool x25519(byte* out, byte_view scalar, byte_view point) {
    if (scalar.size() != 32 || point.size() != 32) throw error(errc::invalid_argument, "X25519 inputs are 32 bytes");
    CryptoPP::x25519 dh;
    // Validation off: a low-order point yields all zeros, which is checked below in constant time.
    (void)dh.Agree(out, scalar.data(), point.data(), false);
    byte acc = 0;
    for (int i = 0; i < 32; ++i) acc |= out[i];
    return acc != 0;
}

/// X25519(scalar, 9): the public key of a private scalar.
inline void x25519_base(byte* out, byte_view scalar) {
    static constexpr byte basepoint[32] = {9};
    if (!x25519(out, scalar, basepoint)) throw error(errc::bad_key, "X25519 private key gives the identity point");
}
}  // namespace detail

/// An X25519 public key: an age recipient.
class x25519_public_key {
public:
    /// The Bech32 human-readable part of a recipient string (`age1...`).
    static constexpr std::string_view hrp = "age";

    /// From the 32-byte u-coordinate. @throws escrow::error `bad_key` for another size.
    explicit x25519_public_key(byte_view raw) {
        if (raw.size() != 32) throw error(errc::bad_key, "an X25519 public key is 32 bytes");
        std::copy(raw.begin(), raw.end(), key_.begin());
    }

    /// Parses an `age1…` recipient. @throws escrow::error `bad_key`.
    [[nodiscard]] static x25519_public_key parse(std::string_view text) {
        if (!text.starts_with("age1"))
            throw error(errc::bad_key, "not an age X25519 recipient (expected 'age1...')");
        auto d = bech32::decode(text);
        if (d.hrp != hrp) throw error(errc::bad_key, "not an age X25519 recipient (Bech32 prefix '" + d.hrp + "')");
        if (d.data.size() != 32) throw error(errc::bad_key, "an age X25519 recipient holds 32 bytes");
        return x25519_public_key(d.data);
    }

    /// The `age1…` string.
    [[nodiscard]] std::string str() const { return bech32::encode(hrp, key_); }
    /// The 32 bytes.
    [[nodiscard]] byte_view bytes() const noexcept { return key_; }
    /// SHA-256 of the 32 bytes: the key's fingerprint in escrow records.
    [[nodiscard]] digest256 fingerprint() const { return sha256(key_); }

private:
    std::array<byte, 32> key_{};
};

/// An X25519 private key: an age identity. The scalar lives in wiped memory. Move-only (as its
/// `secret` is), with `clone()` for a deliberate second copy.
class x25519_private_key {
public:
    /// The Bech32 human-readable part of an identity string (`AGE-SECRET-KEY-1...`, upper case).
    static constexpr std::string_view hrp = "age-secret-key-";

    /// From a 32-byte scalar (copied). @throws escrow::error `bad_key` for another size.
    explicit x25519_private_key(byte_view raw) : scalar_(x25519_secret::from_unsafe_bytes(raw)) {
        if (raw.size() != 32) throw error(errc::bad_key, "an X25519 private key is 32 bytes");
        detail::x25519_base(public_.data(), scalar_.unsafe_bytes());
    }

    /// A fresh key.
    [[nodiscard]] static x25519_private_key generate(system_random& rng = default_random()) {
        x25519_secret s = x25519_secret::generate(32, rng);
        return x25519_private_key(s.unsafe_bytes());
    }

    /// Parses an `AGE-SECRET-KEY-1…` identity. @throws escrow::error `bad_key` (never echoing it).
    [[nodiscard]] static x25519_private_key parse(std::string_view text) {
        if (!text.starts_with("AGE-SECRET-KEY-1"))
            throw error(errc::bad_key, "not an age X25519 identity (expected 'AGE-SECRET-KEY-1...')");
        auto d = bech32::decode(text);
        scoped_wipe wipe(d.data);
        if (d.hrp != hrp || d.data.size() != 32) throw error(errc::bad_key, "not an age X25519 identity");
        return x25519_private_key(d.data);
    }

    /// Most identities `load_all` reads from one file.
    static constexpr std::size_t max_identities_per_file = 1024;

    /// Loads every identity of an identity file as age reads it with `-i`: `#` comment lines,
    /// blank lines, and one or more `AGE-SECRET-KEY-1…` lines (LF or CRLF line ends), in order.
    /// @throws escrow::error `bad_key` for any other line, for no identity, and for more than
    /// `max_identities_per_file` (a key file that is not usable, whatever the reason).
    [[nodiscard]] static std::vector<x25519_private_key> load_all(byte_view content) {
        return detail::load_identity_lines<x25519_private_key>(content, "AGE-SECRET-KEY-1", max_identities_per_file, parse);
    }

    /// Loads an identity file that holds exactly one identity (a key that must be one key: an
    /// authority's, say); otherwise as `load_all`.
    /// @throws escrow::error `bad_key` for anything else (several identities included).
    [[nodiscard]] static x25519_private_key load(byte_view content) {
        return detail::load_one_identity<x25519_private_key>(content, "AGE-SECRET-KEY-1", max_identities_per_file, parse);
    }

    /// The `AGE-SECRET-KEY-1…` string, in wiped memory (`unsafe_text()` reads it).
    [[nodiscard]] private_key_encoding unsafe_str() const {
        // bech32::encode sizes its string once, so no reallocation leaves a copy behind.
        std::string id = bech32::encode(hrp, scalar_.unsafe_bytes(), true);
        scoped_wipe wipe(id);
        return private_key_encoding::from_unsafe_bytes(as_bytes(id));
    }

    /// An identity file as age-keygen writes it (created time, public key, identity), in wiped
    /// memory (`unsafe_text()` reads it).
    [[nodiscard]] private_key_encoding unsafe_identity_file(std::uint64_t created) const {
        return detail::age_identity_file(created, public_key().str(), unsafe_str());
    }

    /// A second copy of the key.
    [[nodiscard]] x25519_private_key clone() const { return x25519_private_key(scalar_.unsafe_bytes()); }

    /// The matching public key.
    [[nodiscard]] x25519_public_key public_key() const { return x25519_public_key(public_); }

    /// The scalar. Every use is a place where the secret leaves its wrapper.
    [[nodiscard]] byte_view unsafe_bytes() const noexcept { return scalar_.unsafe_bytes(); }

private:
    x25519_secret scalar_;
    std::array<byte, 32> public_{};
};

}  // namespace escrow
