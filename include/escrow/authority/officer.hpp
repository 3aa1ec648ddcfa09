// SPDX-License-Identifier: MIT
/// @file
/// Recovery officers' Ed25519 keys (RFC 8032, through Crypto++'s xed25519.h): the keys that sign
/// recovery requests for `officer_quorum`.
#pragma once

#include <cryptopp/filters.h>
#include <cryptopp/queue.h>
#include <cryptopp/xed25519.h>

#include <array>
#include <cstring>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/ed25519_strict.hpp"
#include "escrow/detail/key_der.hpp"

namespace escrow::authority {

/// Size of an Ed25519 public key, of its private seed, and of a signature.
/// @{
inline constexpr std::size_t ed25519_public_size = 32;
inline constexpr std::size_t ed25519_seed_size = 32;
inline constexpr std::size_t ed25519_signature_size = 64;
/// @}

/// An Ed25519 signature.
using ed25519_signature = std::array<byte, ed25519_signature_size>;


/// An officer's Ed25519 public key: 32 bytes, also readable and writable as SubjectPublicKeyInfo
/// (DER or PEM, as `openssl pkey -pubout` writes it).
class officer_public_key {
public:
    /// From the raw 32 bytes. @throws escrow::error `bad_key` for another length, or for bytes that
    /// are not a canonical encoding of a curve point of large order (a small-order key would let
    /// one forged signature verify for every message).
    [[nodiscard]] static officer_public_key from_raw(byte_view raw) {
        if (raw.size() != ed25519_public_size)
            throw error(errc::bad_key, "an Ed25519 public key is 32 bytes, got " + std::to_string(raw.size()));
        if (auto why = escrow::detail::ed25519_strict::point_problem(raw))
            throw error(errc::bad_key, "not a usable Ed25519 public key: " + *why);
        officer_public_key k;
        std::memcpy(k.raw_.data(), raw.data(), raw.size());
        return k;
    }

    /// From SubjectPublicKeyInfo DER. @throws escrow::error `bad_key`.
    [[nodiscard]] static officer_public_key from_der(byte_view der) {
        CryptoPP::ed25519PublicKey key;
        if (!escrow::detail::decode_der_exactly(key, der, [](auto& k, auto& q) { k.BERDecode(q); }))
            throw error(errc::bad_key, "not an Ed25519 public key (expected SubjectPublicKeyInfo DER, nothing after it)");
        return from_raw(byte_view(key.GetPublicKeyBytePtr(), ed25519_public_size));
    }

    /// From a key file's content, PEM ("PUBLIC KEY") or DER. @throws escrow::error `bad_key`.
    [[nodiscard]] static officer_public_key load(byte_view content) {
        if (!escrow::detail::is_pem(content)) return from_der(content);
        auto b = pem::decode(to_string(content));
        if (b.label != "PUBLIC KEY") throw error(errc::bad_key, "expected a PEM PUBLIC KEY, got '" + b.label + "'");
        return from_der(b.der);
    }

    /// SubjectPublicKeyInfo DER.
    [[nodiscard]] bytes der() const {
        CryptoPP::ed25519PublicKey key;
        key.SetPublicElement(raw_.data());
        CryptoPP::ByteQueue q;
        key.DEREncode(q);
        return escrow::detail::drain(q);
    }
    /// SubjectPublicKeyInfo PEM.
    [[nodiscard]] std::string pem() const { return pem::encode("PUBLIC KEY", der()); }

    /// The 32 raw bytes.
    [[nodiscard]] byte_view raw() const noexcept { return raw_; }
    /// SHA-256 of the raw key, for messages and listings.
    [[nodiscard]] digest256 fingerprint() const { return sha256(raw_); }

    /// Checks `sig` over `message`: strict RFC 8032 verification. R must be a canonical encoding
    /// of a point of large order and S below the group order (Crypto++ alone accepts S + L);
    /// then Crypto++'s verifier decides.
    [[nodiscard]] bool verify(byte_view message, const ed25519_signature& sig) const {
        if (!escrow::detail::ed25519_strict::signature_is_canonical(raw_, sig)) return false;
        CryptoPP::ed25519Verifier v(raw_.data());
        return v.VerifyMessage(message.data(), message.size(), sig.data(), sig.size());
    }

    /// Equal when the 32 key bytes are.
    friend bool operator==(const officer_public_key&, const officer_public_key&) = default;

private:
    officer_public_key() = default;
    std::array<byte, ed25519_public_size> raw_{};
};

/// Ed25519 with a 32-byte seed, as the officer keys and the audit signing key use it.
namespace ed25519_seed {
/// The raw public key of `seed`.
[[nodiscard]] inline std::array<byte, ed25519_public_size> public_of(byte_view seed) {
    CryptoPP::ed25519Signer s(seed.data());
    const auto& k = static_cast<const CryptoPP::ed25519PrivateKey&>(s.GetPrivateKey());
    std::array<byte, ed25519_public_size> out{};
    std::memcpy(out.data(), k.GetPublicKeyBytePtr(), out.size());
    return out;
}
/// Signs `message` under `seed` (Ed25519 is deterministic: no randomness is drawn).
[[nodiscard]] inline ed25519_signature sign(byte_view seed, byte_view message) {
    CryptoPP::ed25519Signer s(seed.data());
    ed25519_signature sig{};
    s.SignMessage(CryptoPP::NullRNG(), message.data(), message.size(), sig.data());
    return sig;
}
}  // namespace ed25519_seed

/// Tag of an officer's Ed25519 private seed.
struct officer_seed_tag {};

/// An officer's Ed25519 private key: the 32-byte seed in wiped memory. Also readable and
/// writable as PKCS#8 (DER or PEM, as `openssl genpkey -algorithm ed25519` writes it).
class officer_private_key {
public:
    /// A fresh key.
    [[nodiscard]] static officer_private_key generate(system_random& rng = default_random()) {
        return officer_private_key(secret<officer_seed_tag>::generate(ed25519_seed_size, rng));
    }

    /// From PKCS#8 DER. @throws escrow::error `bad_key`.
    [[nodiscard]] static officer_private_key from_der(byte_view der) {
        CryptoPP::ed25519PrivateKey key;
        if (!escrow::detail::decode_der_exactly(key, der, [](auto& k, auto& q) { k.BERDecode(q); }))
            throw error(errc::bad_key, "not an Ed25519 private key (expected PKCS#8 DER, nothing after it)");
        return officer_private_key(
            secret<officer_seed_tag>::from_unsafe_bytes(byte_view(key.GetPrivateKeyBytePtr(), ed25519_seed_size)));
    }

    /// From a key file's content, PEM ("PRIVATE KEY") or DER. @throws escrow::error `bad_key`.
    [[nodiscard]] static officer_private_key load(byte_view content) {
        if (!escrow::detail::is_pem(content)) return from_der(content);
        auto b = pem::decode(to_string(content));
        scoped_wipe wipe(b.der);
        if (b.label != "PRIVATE KEY") throw error(errc::bad_key, "expected a PEM PRIVATE KEY, got '" + b.label + "'");
        return from_der(b.der);
    }

    /// PKCS#8 PEM of the key, in wiped memory (`unsafe_text()` reads it): for a key file written
    /// with mode 0600.
    [[nodiscard]] private_key_encoding unsafe_pem() const {
        CryptoPP::ed25519Signer s(seed_.unsafe_bytes().data());
        CryptoPP::ByteQueue q;
        s.GetPrivateKey().Save(q);
        private_key_encoding der(static_cast<std::size_t>(q.MaxRetrievable()));
        q.Get(der.unsafe_mutable_bytes().data(), der.size());
        return pem::encode_private("PRIVATE KEY", der.unsafe_bytes());
    }

    /// A second copy of the key (move-only, as its seed).
    [[nodiscard]] officer_private_key clone() const { return officer_private_key(seed_.clone()); }

    /// The matching public key.
    [[nodiscard]] officer_public_key public_key() const {
        return officer_public_key::from_raw(ed25519_seed::public_of(seed_.unsafe_bytes()));
    }

    /// Signs `message` (Ed25519 is deterministic: no randomness is drawn).
    [[nodiscard]] ed25519_signature sign(byte_view message) const { return ed25519_seed::sign(seed_.unsafe_bytes(), message); }

private:
    explicit officer_private_key(secret<officer_seed_tag> seed) : seed_(std::move(seed)) {}
    secret<officer_seed_tag> seed_;
};

}  // namespace escrow::authority
