// SPDX-License-Identifier: MIT
/// @file
/// An officer's proof of possession: the officer's Ed25519 signature over the name it is to be
/// registered under, its own public key and the fingerprint of the authority that registers it.
/// `backup_authority::register_officer(const officer_proof&)` registers a key only with one, so
/// that nobody can enrol a key whose private half they do not hold (a key copied from elsewhere,
/// or one made up to be a curve point nobody can sign for), and a proof made for one authority
/// cannot be replayed to another.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "escrow/authority/officer.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/detail/byte_reader.hpp"

namespace escrow::authority {

/// An officer's proof of possession of its key, for one name at one authority.
struct officer_proof {
    /// The encoding's format version, written after the magic; other versions are rejected.
    static constexpr std::uint16_t version = 1;
    /// The first 8 bytes of an encoded proof.
    static constexpr std::array<byte, 8> magic = {0x89, 'E', 'S', 'C', 'P', 'O', 'P', '\n'};
    /// The longest name a proof carries (the authority takes 1 to 128 characters).
    static constexpr std::size_t max_name = 128;
    /// Checks `name` as an officer's name: 1 to `max_name` printable ASCII characters, no comma.
    /// @throws escrow::error `invalid_argument`.
    static void check_name(std::string_view name) {
        if (name.empty() || name.size() > max_name)
            throw error(errc::invalid_argument, "an officer name must be 1 to " + std::to_string(max_name) + " characters");
        if (!text::printable(name) || name.find(',') != std::string_view::npos)
            throw error(errc::invalid_argument, "an officer name must be printable ASCII without commas");
    }
    /// The largest encoding: magic, version, key, fingerprint, name length and name, signature.
    static constexpr std::size_t max_encoded = 8 + 2 + 32 + 32 + 2 + max_name + 64;
    /// The domain of the signed message, so that no other signature of the key can pass as a proof.
    static constexpr std::string_view context = "escrow officer registration v1";

    bytes officer;                     ///< the officer's raw Ed25519 public key (32 bytes)
    digest256 authority_fingerprint{};  ///< the fingerprint of the authority it registers with
    std::string name;                  ///< the name it registers under
    ed25519_signature signature{};     ///< over `signed_message(...)`, by the officer's key

    /// What the officer signs: the context and a zero byte, the authority's fingerprint, the
    /// name's length (2 bytes, little-endian) and the name, and the officer's raw public key.
    [[nodiscard]] static bytes signed_message(byte_view authority_fp, std::string_view name, byte_view officer_raw) {
        bytes m(context.begin(), context.end());
        m.push_back(0);
        append(m, authority_fp);
        le::put<std::uint16_t>(m, static_cast<std::uint16_t>(name.size()));
        m.insert(m.end(), name.begin(), name.end());
        append(m, officer_raw);
        return m;
    }

    /// The proof of `key` for registering as `name` with the authority of fingerprint
    /// `authority_fp`. @throws escrow::error `invalid_argument` for a name longer than `max_name`
    /// or a fingerprint that is not 32 bytes.
    [[nodiscard]] static officer_proof make(byte_view authority_fp, std::string_view name, const officer_private_key& key) {
        if (authority_fp.size() != 32) throw error(errc::invalid_argument, "an authority fingerprint is 32 bytes");
        if (name.size() > max_name)
            throw error(errc::invalid_argument, "an officer name is at most " + std::to_string(max_name) + " characters");
        officer_proof p;
        const officer_public_key pub = key.public_key();
        p.officer.assign(pub.raw().begin(), pub.raw().end());
        std::memcpy(p.authority_fingerprint.data(), authority_fp.data(), 32);
        p.name = std::string(name);
        p.signature = key.sign(signed_message(authority_fp, name, pub.raw()));
        return p;
    }

    /// True when the signature verifies under the key the proof names (strict Ed25519, a usable
    /// key). Whether the proof is for this authority is the caller's check
    /// (`authority_fingerprint`).
    [[nodiscard]] bool verifies() const {
        if (officer.size() != ed25519_public_size) return false;
        try {
            return officer_public_key::from_raw(officer).verify(signed_message(authority_fingerprint, name, officer), signature);
        } catch (const error&) {
            return false;  // no usable Ed25519 key (small order, not on the curve)
        }
    }

    /// The encoding: magic, version, key, fingerprint, name length (2 bytes, little-endian),
    /// name, signature. @throws escrow::error `invalid_argument` for a key that is not 32 bytes or
    /// a name longer than `max_name`.
    [[nodiscard]] bytes encode() const {
        if (officer.size() != ed25519_public_size) throw error(errc::invalid_argument, "officer proof: the key must be 32 bytes");
        if (name.size() > max_name) throw error(errc::invalid_argument, "officer proof: the name is too long");
        bytes out;
        append(out, magic);
        le::put<std::uint16_t>(out, version);
        append(out, officer);
        append(out, authority_fingerprint);
        le::put<std::uint16_t>(out, static_cast<std::uint16_t>(name.size()));
        out.insert(out.end(), name.begin(), name.end());
        append(out, signature);
        return out;
    }

    /// @throws escrow::error `malformed_blob`, `unsupported_version`, `trailing_data`, `limit_exceeded`.
    [[nodiscard]] static officer_proof decode(byte_view b) {
        if (b.size() > max_encoded)
            throw error(errc::limit_exceeded, "officer proof larger than " + std::to_string(max_encoded) + " bytes");
        escrow::detail::byte_reader r(b, errc::malformed_blob, "officer proof");
        escrow::detail::expect_magic_and_version(r, magic, version, "an officer proof");
        officer_proof p;
        auto k = r.take(32, "officer key");
        p.officer.assign(k.begin(), k.end());
        auto fp = r.take(32, "authority fingerprint");
        std::memcpy(p.authority_fingerprint.data(), fp.data(), 32);
        auto len = le::get<std::uint16_t>(r.take(2, "name length").data());
        if (len > max_name) throw error(errc::malformed_blob, "officer proof: name longer than " + std::to_string(max_name));
        auto n = r.take(len, "name");
        p.name.assign(reinterpret_cast<const char*>(n.data()), n.size());
        auto sig = r.take(64, "signature");
        std::memcpy(p.signature.data(), sig.data(), 64);
        r.expect_end();
        return p;
    }
};

}  // namespace escrow::authority
