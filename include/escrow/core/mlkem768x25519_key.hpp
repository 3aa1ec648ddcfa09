// SPDX-License-Identifier: MIT
/// @file
/// MLKEM768-X25519 keys as age writes them (C2SP age spec, the hybrid post-quantum recipient
/// type): `age1pq1…` recipients (the KEM's 1216-byte public key), `AGE-SECRET-KEY-PQ-1…`
/// identities (a 32-byte seed) and age-keygen -pq's identity files.
#pragma once

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
#include "escrow/detail/mlkem768x25519.hpp"

namespace escrow {

/// Tag of MLKEM768-X25519 seeds (the identity) and shared secrets.
struct mlkem768x25519_secret_tag {};
/// A 32-byte MLKEM768-X25519 seed or shared secret, in wiped memory.
using mlkem768x25519_secret = secret<mlkem768x25519_secret_tag>;

/// An MLKEM768-X25519 public key: an age post-quantum recipient (`age1pq1…`), the 1184-byte
/// ML-KEM-768 encapsulation key followed by the 32-byte X25519 public key.
class mlkem768x25519_public_key {
public:
    /// Bytes of the key.
    static constexpr std::size_t size = 1216;
    /// The Bech32 human-readable part of a recipient string (`age1pq1...`).
    static constexpr std::string_view hrp = "age1pq";

    /// From the 1216 bytes. Whether they make a valid encapsulation key (FIPS 203's modulus check)
    /// is checked when a key is wrapped to it (`bad_key` then).
    /// @throws escrow::error `bad_key` for another size.
    explicit mlkem768x25519_public_key(byte_view raw) {
        if (raw.size() != size) throw error(errc::bad_key, "an MLKEM768-X25519 public key is 1216 bytes");
        std::copy(raw.begin(), raw.end(), key_.begin());
    }

    /// Parses an `age1pq1…` recipient (Bech32 without BIP-173's 90-character limit, as age has it).
    /// @throws escrow::error `bad_key`.
    [[nodiscard]] static mlkem768x25519_public_key parse(std::string_view text) {
        if (!text.starts_with("age1pq1"))
            throw error(errc::bad_key, "not an age post-quantum recipient (expected 'age1pq1...')");
        auto d = bech32::decode(text);
        if (d.hrp != hrp) throw error(errc::bad_key, "not an age post-quantum recipient (Bech32 prefix '" + d.hrp + "')");
        if (d.data.size() != size) throw error(errc::bad_key, "an age post-quantum recipient holds 1216 bytes");
        return mlkem768x25519_public_key(d.data);
    }

    /// The `age1pq1…` string (1,959 characters).
    [[nodiscard]] std::string str() const { return bech32::encode(hrp, key_); }
    /// The 1216 bytes.
    [[nodiscard]] byte_view bytes() const noexcept { return key_; }
    /// SHA-256 of the 1216 bytes: the key's fingerprint in escrow records.
    [[nodiscard]] digest256 fingerprint() const { return sha256(key_); }

private:
    std::array<byte, size> key_{};
};

/// An MLKEM768-X25519 private key: an age post-quantum identity, the 32-byte seed from which both
/// halves of the key pair are expanded. The seed lives in wiped memory. Move-only, with `clone()`.
class mlkem768x25519_private_key {
public:
    /// Bytes of the seed.
    static constexpr std::size_t size = 32;
    /// The Bech32 human-readable part of an identity string (`AGE-SECRET-KEY-PQ-1...`, upper case).
    static constexpr std::string_view hrp = "age-secret-key-pq-";
    /// What an identity line starts with.
    static constexpr std::string_view prefix = "AGE-SECRET-KEY-PQ-1";

    /// From a 32-byte seed (copied). @throws escrow::error `bad_key` for another size.
    explicit mlkem768x25519_private_key(byte_view seed) : seed_(checked_seed(seed)), public_(public_of_seed(seed_)) {}

    /// A fresh key: 32 bytes from `rng`.
    [[nodiscard]] static mlkem768x25519_private_key generate(system_random& rng = default_random()) {
        mlkem768x25519_secret s = mlkem768x25519_secret::generate(size, rng);
        return mlkem768x25519_private_key(s.unsafe_bytes());
    }

    /// Parses an `AGE-SECRET-KEY-PQ-1…` identity. @throws escrow::error `bad_key` (never echoing it).
    [[nodiscard]] static mlkem768x25519_private_key parse(std::string_view text) {
        if (!text.starts_with(prefix))
            throw error(errc::bad_key, "not an age post-quantum identity (expected 'AGE-SECRET-KEY-PQ-1...')");
        auto d = bech32::decode(text);
        scoped_wipe wipe(d.data);
        if (d.hrp != hrp || d.data.size() != size) throw error(errc::bad_key, "not an age post-quantum identity");
        return mlkem768x25519_private_key(d.data);
    }

    /// Most identities `load_all` reads from one file.
    static constexpr std::size_t max_identities_per_file = 1024;

    /// Loads every identity of an identity file as age reads it with `-i`: `#` comment lines,
    /// blank lines and `AGE-SECRET-KEY-PQ-1…` lines (LF or CRLF line ends), in order.
    /// @throws escrow::error `bad_key` for any other line, for no identity and for too many.
    [[nodiscard]] static std::vector<mlkem768x25519_private_key> load_all(byte_view content) {
        return detail::load_identity_lines<mlkem768x25519_private_key>(content, prefix, max_identities_per_file, parse);
    }

    /// Loads an identity file that holds exactly one identity (an authority's key, say).
    /// @throws escrow::error `bad_key` for anything else (several identities included).
    [[nodiscard]] static mlkem768x25519_private_key load(byte_view content) {
        return detail::load_one_identity<mlkem768x25519_private_key>(content, prefix, max_identities_per_file, parse);
    }

    /// The `AGE-SECRET-KEY-PQ-1…` string, in wiped memory (`unsafe_text()` reads it).
    [[nodiscard]] private_key_encoding unsafe_str() const {
        std::string id = bech32::encode(hrp, seed_.unsafe_bytes(), true);
        scoped_wipe wipe(id);
        return private_key_encoding::from_unsafe_bytes(as_bytes(id));
    }

    /// An identity file as `age-keygen -pq` writes it (created time, public key, identity), in
    /// wiped memory (`unsafe_text()` reads it).
    [[nodiscard]] private_key_encoding unsafe_identity_file(std::uint64_t created) const {
        return detail::age_identity_file(created, public_key().str(), unsafe_str());
    }

    /// A second copy of the key.
    [[nodiscard]] mlkem768x25519_private_key clone() const { return mlkem768x25519_private_key(seed_.unsafe_bytes()); }

    /// The matching public key.
    [[nodiscard]] const mlkem768x25519_public_key& public_key() const noexcept { return public_; }

    /// The seed. Every use is a place where the secret leaves its wrapper.
    [[nodiscard]] byte_view unsafe_bytes() const noexcept { return seed_.unsafe_bytes(); }

private:
    static mlkem768x25519_secret checked_seed(byte_view seed) {
        if (seed.size() != size) throw error(errc::bad_key, "an MLKEM768-X25519 identity is a 32-byte seed");
        return mlkem768x25519_secret::from_unsafe_bytes(seed);
    }

    static mlkem768x25519_public_key public_of_seed(const mlkem768x25519_secret& seed) {
        namespace kem = detail::mlkem768x25519;
        static_assert(kem::public_key_size == mlkem768x25519_public_key::size && kem::seed_size == size);
        std::array<byte, mlkem768x25519_public_key::size> pub{};
        kem::public_key_from_seed(kem::seed_view(seed.unsafe_bytes().data(), size), pub);
        return mlkem768x25519_public_key(pub);
    }

    mlkem768x25519_secret seed_;
    mlkem768x25519_public_key public_;
};

}  // namespace escrow
