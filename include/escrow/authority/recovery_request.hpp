// SPDX-License-Identifier: MIT
/// @file
/// The recovery request that officers sign, their signatures, and the byte form of a wrap's public
/// key that a request carries.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "escrow/authority/officer.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/detail/byte_reader.hpp"
#include "escrow/record.hpp"
#include "escrow/wrap/concept.hpp"
#include "escrow/wrap/mlkem768x25519.hpp"
#include "escrow/wrap/ssh_ed25519.hpp"
#include "escrow/wrap/ssh_rsa.hpp"
#include "escrow/wrap/x25519.hpp"

namespace escrow::authority {

/// The byte form of a `Wrap`'s public key, as a recovery request carries the owner's new key.
///
/// The primary template serves every key type with `bytes der() const` and a static
/// `from_der(byte_view)` (RSA keys: SubjectPublicKeyInfo DER). A wrap whose keys look different
/// (an X25519 key as its 32 raw bytes, say) specialises it with the same two static functions:
/// `static bytes encode(const public_key&)` and `static public_key decode(byte_view)`, the latter
/// throwing `escrow::error` (`bad_key`) on bytes that are not such a key.
template <class Wrap>
struct public_key_codec {
    /// The wrap's public key type.
    using public_key = typename Wrap::public_key;
    /// The key's DER encoding (SubjectPublicKeyInfo).
    [[nodiscard]] static bytes encode(const public_key& k)
        requires requires { { k.der() } -> std::convertible_to<bytes>; }
    {
        return k.der();
    }
    /// The key of a DER encoding. @throws escrow::error `bad_key` for bytes that are not one.
    [[nodiscard]] static public_key decode(byte_view b)
        requires requires { { public_key::from_der(b) } -> std::same_as<public_key>; }
    {
        return public_key::from_der(b);
    }
};

/// An age X25519 recipient as its 32 raw bytes (the bytes its fingerprint hashes).
template <>
struct public_key_codec<wrap::x25519> {
    /// The key's 32 raw bytes.
    [[nodiscard]] static bytes encode(const x25519_public_key& k) { return bytes(k.bytes().begin(), k.bytes().end()); }
    /// @throws escrow::error `bad_key` for another size.
    [[nodiscard]] static x25519_public_key decode(byte_view b) { return x25519_public_key(b); }
};

/// An OpenSSH RSA key as its SSH wire encoding (the bytes its fingerprint hashes).
template <>
struct public_key_codec<wrap::ssh_rsa> {
    /// The key's SSH wire encoding.
    [[nodiscard]] static bytes encode(const ssh_rsa_public_key& k) { return bytes(k.wire().begin(), k.wire().end()); }
    /// @throws escrow::error `bad_key` for anything else, a non-canonical encoding included.
    [[nodiscard]] static ssh_rsa_public_key decode(byte_view b) { return ssh_rsa_public_key::from_wire(b); }
};

/// An OpenSSH Ed25519 key as its SSH wire encoding (the bytes its fingerprint hashes).
template <>
struct public_key_codec<wrap::ssh_ed25519> {
    /// The key's SSH wire encoding.
    [[nodiscard]] static bytes encode(const ssh_ed25519_public_key& k) { return bytes(k.wire().begin(), k.wire().end()); }
    /// @throws escrow::error `bad_key` for anything else, a key that is not a point included.
    [[nodiscard]] static ssh_ed25519_public_key decode(byte_view b) { return ssh_ed25519_public_key::from_wire(b); }
};

/// An age post-quantum recipient as its 1216 raw bytes (the bytes its fingerprint hashes).
template <>
struct public_key_codec<wrap::mlkem768x25519> {
    /// The key's 1216 raw bytes.
    [[nodiscard]] static bytes encode(const mlkem768x25519_public_key& k) { return bytes(k.bytes().begin(), k.bytes().end()); }
    /// @throws escrow::error `bad_key` for another size.
    [[nodiscard]] static mlkem768x25519_public_key decode(byte_view b) { return mlkem768x25519_public_key(b); }
};

/// True when `public_key_codec<Wrap>` can encode and decode `Wrap`'s public keys.
template <class Wrap>
concept public_key_bytes = requires(const typename Wrap::public_key& k, byte_view b) {
    { public_key_codec<Wrap>::encode(k) } -> std::same_as<bytes>;
    { public_key_codec<Wrap>::decode(b) } -> std::same_as<typename Wrap::public_key>;
};

/// A request to recover the session key of one escrow record, re-wrapped to the owner's new
/// public key. Officers sign its exact encoding; the authority grants it at most once (its nonce)
/// and not after `expires`.
///
/// Binary encoding, version 2 (integers little-endian):
///
///     magic "\x89ESCRRQ\n" | version u16 = 2 | serial str16 | wrap id u16
///     | new owner key length u16 | new owner key (public_key_codec bytes)
///     | authority fingerprint [32] | record hash [32]
///     | nonce length u8 (16..64) | nonce | expires u64 (Unix seconds)
///
/// The record hash is the SHA-256 of the escrow record's encoding (`escrow_record::encode()`,
/// the bytes the authority stores and officers were shown): the authority refuses the request
/// when the record stored under the serial has another hash, so that a record replaced after the
/// officers signed (`deposit_result::replaced`) voids their signatures.
///
/// Version 1 is the same without the record hash. It still decodes (into a request whose
/// `record_hash` is empty) and encodes back to the same bytes, so that signatures over it still
/// check; such a request binds the serial only. `make` with a record writes version 2; `make` with
/// a serial alone, which has no record to hash, writes version 1.
///
/// What is signed is `signing_domain` followed by that encoding, so that a signature over a
/// request can never be mistaken for a signature over anything else an officer key signs.
struct recovery_request {
    /// The encoding's format version, written after the magic when the request binds a record
    /// hash; versions other than this and `version_without_record` are rejected.
    static constexpr std::uint16_t version = 2;
    /// The version of requests that bind no record hash (the first version of the format).
    static constexpr std::uint16_t version_without_record = 1;
    /// The first 8 bytes of an encoded request.
    static constexpr std::array<byte, 8> magic = {0x89, 'E', 'S', 'C', 'R', 'R', 'Q', '\n'};
    /// Prefix of what officers sign, before the encoding (domain separation).
    static constexpr std::string_view signing_domain = "escrow/v1 recovery request\n";
    /// Bounds of the nonce's length, and the length `make` draws, in bytes.
    /// @{
    static constexpr std::size_t min_nonce = 16, max_nonce = 64, default_nonce = 32;
    /// @}
    /// Bound on the encoded new public key, in bytes.
    static constexpr std::size_t max_key = 16 * 1024;
    /// Bound on the whole encoding, in bytes: `decode` refuses longer input before parsing it.
    static constexpr std::size_t max_encoded = 20 * 1024;

    std::string serial;                 ///< the escrow record to recover
    std::uint16_t wrap_id = 0;          ///< the wrap of the new owner key (and of the record)
    bytes new_owner_key;                ///< the owner's new public key, `public_key_codec` bytes
    digest256 authority_fingerprint{};  ///< the authority the request is addressed to
    /// SHA-256 of the record's encoding, when the request binds it (version 2); empty for a
    /// version 1 request, which binds the serial only.
    std::optional<digest256> record_hash;
    bytes nonce;                        ///< random, 16 to 64 bytes: the request's identity
    std::uint64_t expires = 0;          ///< Unix seconds after which the request is refused

    /// A request for `serial` with a fresh random nonce, valid until `expires`.
    template <class Wrap>
        requires public_key_bytes<Wrap>
    [[nodiscard]] static recovery_request make(std::string serial, const typename Wrap::public_key& new_owner,
                                               const digest256& authority_fingerprint, std::uint64_t expires,
                                               system_random& rng = default_random()) {
        recovery_request r;
        r.serial = std::move(serial);
        r.wrap_id = Wrap::id;
        r.new_owner_key = public_key_codec<Wrap>::encode(new_owner);
        r.authority_fingerprint = authority_fingerprint;
        r.nonce.resize(default_nonce);
        rng.fill(r.nonce);
        r.expires = expires;
        (void)r.encode();  // checks the bounds now rather than when an officer signs
        return r;
    }

    /// A request for `record` (its serial, its authority and the SHA-256 of its encoding) with a
    /// fresh random nonce, valid until `expires`. The record's wrap must be `Wrap`.
    /// @throws escrow::error `unknown_policy_id` for a record of another wrap.
    template <class Wrap>
        requires public_key_bytes<Wrap>
    [[nodiscard]] static recovery_request make(const escrow_record& record, const typename Wrap::public_key& new_owner,
                                               std::uint64_t expires, system_random& rng = default_random()) {
        if (record.wrap_id != Wrap::id)
            throw error(errc::unknown_policy_id, "recovery request: the record is for another wrap than the new owner key's");
        recovery_request r = make<Wrap>(record.info.serial, new_owner, record.authority_fingerprint, expires, rng);
        r.record_hash = record_digest(record.encode());
        return r;
    }

    /// The record hash a request binds for a record whose encoding is `encoded`.
    [[nodiscard]] static digest256 record_digest(byte_view encoded) { return sha256(encoded); }

    /// The canonical encoding. @throws escrow::error `invalid_argument` or `limit_exceeded`.
    [[nodiscard]] bytes encode() const {
        bytes out;
        append(out, magic);
        le::put<std::uint16_t>(out, record_hash ? version : version_without_record);
        escrow::detail::put_serial(out, serial);
        le::put<std::uint16_t>(out, wrap_id);
        if (new_owner_key.empty() || new_owner_key.size() > max_key)
            throw error(errc::limit_exceeded, "recovery request: the new owner key must be 1 byte to 16 KiB");
        le::put<std::uint16_t>(out, static_cast<std::uint16_t>(new_owner_key.size()));
        append(out, new_owner_key);
        append(out, authority_fingerprint);
        if (record_hash) append(out, *record_hash);
        if (nonce.size() < min_nonce || nonce.size() > max_nonce)
            throw error(errc::invalid_argument, "recovery request: the nonce must be 16 to 64 bytes");
        out.push_back(static_cast<byte>(nonce.size()));
        append(out, nonce);
        le::put<std::uint64_t>(out, expires);
        return out;
    }

    /// Parses the encoding, bounded before allocating.
    /// @throws escrow::error `malformed_blob`, `unsupported_version`, `trailing_data`, `limit_exceeded`.
    [[nodiscard]] static recovery_request decode(byte_view b) {
        if (b.size() > max_encoded) throw error(errc::limit_exceeded, "recovery request larger than 20 KiB");
        escrow::detail::byte_reader r(b, errc::malformed_blob, "recovery request");
        auto m = r.take(magic.size(), "magic");
        if (!std::equal(m.begin(), m.end(), magic.begin())) r.fail("not a recovery request (bad magic)");
        const std::uint16_t v = r.u16("version");
        if (v != version && v != version_without_record)
            throw error(errc::unsupported_version, "a recovery request version " + std::to_string(v) +
                                                       " (this library reads versions 1 and 2)");
        recovery_request q;
        q.serial = escrow::detail::read_serial(r);
        q.wrap_id = r.u16("wrap id");
        std::size_t n = r.u16("new owner key length");
        if (n == 0 || n > max_key) r.fail("the new owner key must be 1 byte to 16 KiB");
        auto k = r.take(n, "new owner key");
        q.new_owner_key.assign(k.begin(), k.end());
        auto fp = r.take(32, "authority fingerprint");
        std::memcpy(q.authority_fingerprint.data(), fp.data(), 32);
        if (v == version) {
            auto h = r.take(32, "record hash");
            q.record_hash.emplace();
            std::memcpy(q.record_hash->data(), h.data(), 32);
        }
        std::size_t nn = r.u8("nonce length");
        if (nn < min_nonce || nn > max_nonce) r.fail("the nonce must be 16 to 64 bytes");
        auto nonce = r.take(nn, "nonce");
        q.nonce.assign(nonce.begin(), nonce.end());
        q.expires = r.u64("expiry");
        r.expect_end();
        return q;
    }

    /// The bytes an officer signs: `signing_domain` then the encoding.
    [[nodiscard]] bytes signed_message() const {
        bytes out(signing_domain.begin(), signing_domain.end());
        append(out, encode());
        return out;
    }

    /// SHA-256 of the encoding: names the request in signatures and messages.
    [[nodiscard]] digest256 digest() const { return sha256(encode()); }
};

/// One officer's signature over a recovery request.
///
/// Binary encoding, version 1: magic "\x89ESCSIG\n" | version u16 = 1 | officer public key [32]
/// | request digest [32] | Ed25519 signature [64]. The digest only lets the authority tell "a
/// signature over another request" apart in its refusal; the signature itself covers the request.
struct officer_signature {
    /// The encoding's format version, written after the magic; other versions are rejected.
    static constexpr std::uint16_t version = 1;
    /// The first 8 bytes of an encoded signature.
    static constexpr std::array<byte, 8> magic = {0x89, 'E', 'S', 'C', 'S', 'I', 'G', '\n'};
    /// Size of the encoding, in bytes: magic, version, key, digest and signature.
    static constexpr std::size_t encoded_size = 8 + 2 + 32 + 32 + 64;

    bytes officer;             ///< the signer's raw Ed25519 public key (32 bytes)
    digest256 request_digest{};  ///< `recovery_request::digest()` of the request signed
    ed25519_signature signature{};  ///< the Ed25519 signature over `recovery_request::signed_message()`

    /// Signs `request` with an officer's key.
    [[nodiscard]] static officer_signature sign(const recovery_request& request, const officer_private_key& key) {
        officer_signature s;
        const officer_public_key pub = key.public_key();
        s.officer.assign(pub.raw().begin(), pub.raw().end());
        s.request_digest = request.digest();
        s.signature = key.sign(request.signed_message());
        return s;
    }

    /// True when the signature verifies over `request` under the key it names.
    [[nodiscard]] bool verifies(const recovery_request& request) const {
        if (officer.size() != ed25519_public_size) return false;
        try {
            return officer_public_key::from_raw(officer).verify(request.signed_message(), signature);
        } catch (const error&) {
            return false;  // the named key is no usable Ed25519 key (small order, not on the curve)
        }
    }

    /// The fixed-size encoding above (`encoded_size` bytes).
    [[nodiscard]] bytes encode() const {
        if (officer.size() != ed25519_public_size)
            throw error(errc::invalid_argument, "officer signature: the officer key must be 32 bytes");
        bytes out;
        append(out, magic);
        le::put<std::uint16_t>(out, version);
        append(out, officer);
        append(out, request_digest);
        append(out, signature);
        return out;
    }

    /// @throws escrow::error `malformed_blob`, `unsupported_version`, `trailing_data`, `limit_exceeded`.
    [[nodiscard]] static officer_signature decode(byte_view b) {
        if (b.size() > 1024) throw error(errc::limit_exceeded, "officer signature larger than 1 KiB");
        escrow::detail::byte_reader r(b, errc::malformed_blob, "officer signature");
        escrow::detail::expect_magic_and_version(r, magic, version, "an officer signature");
        officer_signature s;
        auto k = r.take(32, "officer key");
        s.officer.assign(k.begin(), k.end());
        auto d = r.take(32, "request digest");
        std::memcpy(s.request_digest.data(), d.data(), 32);
        auto sig = r.take(64, "signature");
        std::memcpy(s.signature.data(), sig.data(), 64);
        r.expect_end();
        return s;
    }
};

}  // namespace escrow::authority
