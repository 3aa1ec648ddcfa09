// SPDX-License-Identifier: MIT
/// @file
/// OpenSSH Ed25519 keys: `ssh-ed25519 AAAA…` public key lines and unencrypted openssh-key-v1
/// private keys (`ssh-keygen -t ed25519`), with the X25519 keys age's ssh-ed25519 recipient
/// derives from them.
#pragma once

#include <cryptopp/integer.h>
#include <cryptopp/sha.h>
#include <cryptopp/xed25519.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/ssh_key.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/detail/ed25519_strict.hpp"

namespace escrow {

namespace ssh {

/// The OpenSSH key type name of Ed25519 keys.
inline constexpr std::string_view ed25519_type = "ssh-ed25519";

/// The SSH wire encoding of an Ed25519 public key: string "ssh-ed25519", string key (32 bytes).
[[nodiscard]] inline bytes ed25519_wire(byte_view key) {
    bytes out;
    put_string(out, as_bytes(ed25519_type));
    put_string(out, key);
    return out;
}

/// The X25519 u-coordinate of an Ed25519 point (the birational map u = (1 + y) / (1 − y) mod p,
/// RFC 7748 section 4.1), from its encoding, which `ed25519_strict::point_problem` has accepted
/// (so y ≠ 1). Public data only: plain big-integer arithmetic serves.
[[nodiscard]] inline std::array<byte, 32> ed25519_to_x25519(byte_view encoded) {
    const CryptoPP::Integer& p = detail::ed25519_strict::field_prime();
    std::array<byte, 32> low{};
    std::copy(encoded.begin(), encoded.begin() + 32, low.begin());
    low[31] &= 0x7f;  // the sign of x: u does not depend on it
    const CryptoPP::Integer y = detail::ed25519_strict::from_le(low);
    const CryptoPP::Integer u = (y + 1) * ((p + 1 - y) % p).InverseMod(p) % p;
    std::array<byte, 32> out{};
    u.Encode(out.data(), out.size(), CryptoPP::Integer::UNSIGNED);
    std::reverse(out.begin(), out.end());  // little-endian, as X25519 takes it
    return out;
}

}  // namespace ssh

/// An OpenSSH Ed25519 public key (what an `id_ed25519.pub` line holds), and the X25519 key age's
/// ssh-ed25519 recipient uses in its place.
class ssh_ed25519_public_key {
public:
    /// Bytes of the raw Ed25519 key.
    static constexpr std::size_t key_size = 32;

    /// From the 32-byte Ed25519 key. @throws escrow::error `bad_key` for a key that is not a
    /// canonical encoding of a curve point of large order.
    explicit ssh_ed25519_public_key(byte_view key) {
        if (key.size() != key_size) throw error(errc::bad_key, "an Ed25519 public key is 32 bytes");
        if (auto problem = detail::ed25519_strict::point_problem(key))
            throw error(errc::bad_key, "ssh-ed25519 public key: " + *problem);
        std::copy(key.begin(), key.end(), key_.begin());
        wire_ = ssh::ed25519_wire(key_);
        x25519_ = ssh::ed25519_to_x25519(key_);
    }

    /// Parses the SSH wire encoding. @throws escrow::error `bad_key`.
    [[nodiscard]] static ssh_ed25519_public_key from_wire(byte_view wire) {
        ssh::wire_reader r(wire, "ssh-ed25519 public key");
        auto type = to_string(r.string("key type"));
        if (type != ssh::ed25519_type)
            throw error(errc::bad_key, "OpenSSH key of type '" + ssh::printable(type) + "', expected ssh-ed25519");
        byte_view key = r.string("key");
        if (key.size() != key_size) r.fail("the key is not 32 bytes");
        if (r.remaining()) r.fail("trailing bytes");
        return ssh_ed25519_public_key(key);
    }

    /// Parses a public key line, `ssh-ed25519 <base64> [comment]`. @throws escrow::error `bad_key`.
    [[nodiscard]] static ssh_ed25519_public_key parse(std::string_view line) {
        if (ssh::line_type(line) != ssh::ed25519_type)
            throw error(errc::bad_key, "not an OpenSSH ssh-ed25519 public key line ('ssh-ed25519 AAAA...')");
        return from_wire(ssh::line_key(line));
    }

    /// Loads a `.pub` file: blank and `#` lines ignored, exactly one key line.
    [[nodiscard]] static ssh_ed25519_public_key load(byte_view content) { return parse(ssh::single_key_line(content)); }

    /// `ssh-ed25519 <base64>` (no comment).
    [[nodiscard]] std::string str() const { return std::string(ssh::ed25519_type) + " " + base64::encode(wire_, true); }
    /// The SSH wire encoding.
    [[nodiscard]] byte_view wire() const noexcept { return wire_; }
    /// SHA-256 of the wire encoding (what `ssh-keygen -l` prints in base64): the fingerprint in records.
    [[nodiscard]] digest256 fingerprint() const { return sha256(wire_); }
    /// The raw 32-byte Ed25519 key.
    [[nodiscard]] byte_view ed25519() const noexcept { return key_; }
    /// The X25519 public key of the same point (its Montgomery u-coordinate).
    [[nodiscard]] byte_view x25519() const noexcept { return x25519_; }

private:
    std::array<byte, key_size> key_{};
    std::array<byte, 32> x25519_{};
    bytes wire_;
};

/// Tag of an Ed25519 private seed.
struct ed25519_seed_tag {};

/// An OpenSSH Ed25519 private key: the 32-byte seed and the X25519 scalar derived from it (the
/// first half of SHA-512(seed), as Ed25519 derives its own scalar), both in wiped memory.
/// Move-only, with `clone()`.
class ssh_ed25519_private_key {
public:
    /// Bytes of the seed.
    static constexpr std::size_t seed_size = 32;

    /// From a 32-byte seed (copied). @throws escrow::error `bad_key` for another size.
    explicit ssh_ed25519_private_key(byte_view seed)
        : seed_(secret<ed25519_seed_tag>::from_unsafe_bytes(seed)), pub_(public_of_seed(seed)), scalar_(32) {
        byte digest[CryptoPP::SHA512::DIGESTSIZE];
        CryptoPP::SHA512().CalculateDigest(digest, seed.data(), seed.size());
        std::copy(digest, digest + 32, scalar_.unsafe_mutable_bytes().begin());
        CryptoPP::SecureWipeArray(digest, sizeof digest);
    }

    /// A fresh key.
    [[nodiscard]] static ssh_ed25519_private_key generate(system_random& rng = default_random()) {
        secret<ed25519_seed_tag> s = secret<ed25519_seed_tag>::generate(seed_size, rng);
        return ssh_ed25519_private_key(s.unsafe_bytes());
    }

    /// Loads a private key file in the openssh-key-v1 format (`-----BEGIN OPENSSH PRIVATE
    /// KEY-----`, what `ssh-keygen -t ed25519` writes), unencrypted.
    /// @throws escrow::error `bad_key`, with a clear word for a passphrase-protected key.
    [[nodiscard]] static ssh_ed25519_private_key load(byte_view content) {
        if (!ssh::is_openssh_private_key(content))
            throw error(errc::bad_key, "not an OpenSSH private key ('-----BEGIN OPENSSH PRIVATE KEY-----')");
        bytes der = ssh::openssh_private_der(content);
        scoped_wipe wipe(der);
        return from_openssh(der);
    }

    /// Parses the decoded openssh-key-v1 structure (OpenSSH PROTOCOL.key): the private section
    /// holds string "ssh-ed25519", string public key, string (seed ‖ public key), string comment.
    /// @throws escrow::error `bad_key`.
    [[nodiscard]] static ssh_ed25519_private_key from_openssh(byte_view blob) {
        const ssh::openssh_key_v1 v1 = ssh::open_key_v1(blob);
        ssh::wire_reader p(v1.private_section, "OpenSSH private key");
        if (ssh::begin_private_section(p) != ssh::ed25519_type)
            throw error(errc::bad_key, "the OpenSSH private key is not an Ed25519 key (ssh-ed25519)");
        byte_view pub = p.string("public key");
        byte_view pair = p.string("private key");
        if (pub.size() != 32 || pair.size() != 64) p.fail("an Ed25519 key is 32 bytes, its private half 64");
        ssh::end_private_section(p);
        ssh_ed25519_private_key out(pair.first(seed_size));
        if (!constant_time_equal(out.pub_.ed25519(), pub) || !constant_time_equal(out.pub_.ed25519(), pair.subspan(32)) ||
            !constant_time_equal(out.pub_.wire(), v1.public_wire))
            p.fail("the public key does not match the private key");
        return out;
    }

    /// The key as an unencrypted OpenSSH private key file (openssh-key-v1 in PEM, as `ssh-keygen
    /// -t ed25519 -N ''` writes it), in wiped memory (`unsafe_bytes()` reads it).
    [[nodiscard]] private_key_encoding unsafe_openssh(std::string_view comment, system_random& rng = default_random()) const {
        std::array<byte, 4> check{};
        rng.fill(check);
        const std::size_t section_size = 8 + (4 + ssh::ed25519_type.size()) + (4 + 32) + (4 + 64) + (4 + comment.size());
        bytes section;
        scoped_wipe wipe_section(section);
        section.reserve(section_size + 8);  // one allocation: no reallocation leaves a copy behind
        append(section, check), append(section, check);
        ssh::put_string(section, as_bytes(ssh::ed25519_type));
        ssh::put_string(section, pub_.ed25519());
        be::put<std::uint32_t>(section, 64);
        append(section, seed_.unsafe_bytes()), append(section, pub_.ed25519());
        ssh::put_string(section, as_bytes(comment));
        for (byte pad = 1; section.size() % 8 != 0; ++pad) section.push_back(pad);

        bytes blob;
        scoped_wipe wipe_blob(blob);
        blob.reserve(ssh::key_v1_magic.size() + 3 * 4 + 8 + 4 + 4 + pub_.wire().size() + 4 + section.size());
        append(blob, as_bytes(ssh::key_v1_magic));
        ssh::put_string(blob, as_bytes(std::string_view("none")));
        ssh::put_string(blob, as_bytes(std::string_view("none")));
        ssh::put_string(blob, {});
        be::put<std::uint32_t>(blob, 1);
        ssh::put_string(blob, pub_.wire());
        ssh::put_string(blob, section);
        return pem::encode_private("OPENSSH PRIVATE KEY", blob);
    }

    /// A second copy of the key.
    [[nodiscard]] ssh_ed25519_private_key clone() const { return ssh_ed25519_private_key(seed_.unsafe_bytes()); }

    /// The matching OpenSSH public key.
    [[nodiscard]] const ssh_ed25519_public_key& public_key() const noexcept { return pub_; }

    /// The X25519 scalar (SHA-512(seed)[0..32), clamped by X25519 itself). Every use is a place
    /// where the secret leaves its wrapper.
    [[nodiscard]] byte_view unsafe_x25519_scalar() const noexcept { return scalar_.unsafe_bytes(); }

private:
    static ssh_ed25519_public_key public_of_seed(byte_view seed) {
        if (seed.size() != seed_size) throw error(errc::bad_key, "an Ed25519 seed is 32 bytes");
        CryptoPP::ed25519Signer s(seed.data());
        const auto& k = static_cast<const CryptoPP::ed25519PrivateKey&>(s.GetPrivateKey());
        return ssh_ed25519_public_key(byte_view(k.GetPublicKeyBytePtr(), 32));
    }

    secret<ed25519_seed_tag> seed_;
    ssh_ed25519_public_key pub_;
    x25519_secret scalar_;
};

}  // namespace escrow
