// SPDX-License-Identifier: MIT
/// @file
/// RSA key pairs: generation, and PKCS#8 / SubjectPublicKeyInfo in PEM and DER, as OpenSSL writes them.
#pragma once

#include <cryptopp/misc.h>
#include <cryptopp/queue.h>
#include <cryptopp/rsa.h>

#include <memory>
#include <string>
#include <utility>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/key_der.hpp"

namespace escrow {

/// The largest RSA modulus the library accepts, in bits (as `rsa_private_key::generate` makes).
inline constexpr unsigned rsa_max_bits = 16384;

/// An RSA public key.
class rsa_public_key {
public:
    /// Wraps a Crypto++ key. @throws escrow::error `bad_key` when the key fails validation: modulus
    /// odd and of 512 to 16384 bits; exponent odd, at least 3 and below the modulus, and (as OpenSSL
    /// demands) at most 64 bits for a modulus over 3072 bits. The bounds keep a key from a third
    /// party from making each operation take seconds, and Crypto++ from throwing its own exception.
    explicit rsa_public_key(CryptoPP::RSA::PublicKey k) : key_(std::move(k)) {
        const CryptoPP::Integer& n = key_.GetModulus();
        const CryptoPP::Integer& e = key_.GetPublicExponent();
        const unsigned n_bits = n.BitCount();
        if (n_bits > rsa_max_bits)
            throw error(errc::bad_key, "RSA key of " + std::to_string(n_bits) + " bits (at most 16384 supported)");
        if (n.IsEven() || n_bits < 512 || e < 3 || e.IsEven() || e >= n || (n_bits > 3072 && e.BitCount() > 64))
            throw error(errc::bad_key, "RSA public key fails validation");
    }

    /// Parses SubjectPublicKeyInfo or PKCS#1 RSAPublicKey DER, with nothing after it.
    /// @throws escrow::error `bad_key`.
    [[nodiscard]] static rsa_public_key from_der(byte_view der) {
        return rsa_public_key(detail::decode_der_either<CryptoPP::RSA::PublicKey>(
            der, [](auto& key, auto& q) { key.BERDecodePublicKey(q, false, 0); },
            "not an RSA public key (expected SubjectPublicKeyInfo or PKCS#1 DER, nothing after it)"));
    }

    /// Parses PEM ("PUBLIC KEY" or "RSA PUBLIC KEY"). @throws escrow::error `bad_key`.
    [[nodiscard]] static rsa_public_key from_pem(std::string_view text) {
        auto b = pem::decode(text);
        detail::expect_pem_label(b.label, "PUBLIC KEY", "RSA PUBLIC KEY", "an RSA public key");
        return from_der(b.der);
    }

    /// Parses a key file's content, PEM or DER, told apart by the content.
    [[nodiscard]] static rsa_public_key load(byte_view content) {
        return detail::is_pem(content) ? from_pem(to_string(content)) : from_der(content);
    }

    /// SubjectPublicKeyInfo DER (what `openssl pkey -pubout -outform DER` writes).
    [[nodiscard]] bytes der() const {
        CryptoPP::ByteQueue q;
        key_.Save(q);
        return detail::drain(q);
    }
    /// SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
    [[nodiscard]] std::string pem() const { return pem::encode("PUBLIC KEY", der()); }

    /// SHA-256 of the SubjectPublicKeyInfo DER: the key's fingerprint in records.
    [[nodiscard]] digest256 fingerprint() const { return sha256(der()); }

    /// Modulus size in bits.
    [[nodiscard]] unsigned bits() const { return key_.GetModulus().BitCount(); }

    /// The Crypto++ key.
    [[nodiscard]] const CryptoPP::RSA::PublicKey& cryptopp() const noexcept { return key_; }

private:
    CryptoPP::RSA::PublicKey key_;
};

/// An RSA private key. Crypto++ keeps its integers in wiped memory.
///
/// Move-only, as every private key of the library: a second copy of the key exists only where
/// `clone()` says so. (The Crypto++ key sits behind a pointer, so that a move hands it over
/// instead of copying its integers; a moved-from key may only be destroyed or assigned to.)
class rsa_private_key {
public:
    /// Wraps a Crypto++ key. @throws escrow::error `bad_key` when the key fails validation.
    explicit rsa_private_key(CryptoPP::RSA::PrivateKey k)
        : key_(std::make_unique<CryptoPP::RSA::PrivateKey>(std::move(k))) {
        // Bounded before Validate, whose cost grows with the key; the same upper bounds as
        // rsa_public_key, so that the public half of an accepted key is accepted there too.
        if (key_->GetModulus().BitCount() > rsa_max_bits)
            throw error(errc::bad_key, "RSA key of " + std::to_string(key_->GetModulus().BitCount()) +
                                           " bits (at most 16384 supported)");
        bool valid = false;
        try {
            valid = key_->Validate(default_random().engine(), 1);
        } catch (const CryptoPP::Exception&) {
            // A decoded key with impossible parameters (a prime of 1, say) divides by zero in there.
        }
        if (!valid) throw error(errc::bad_key, "RSA private key fails validation");
        if (key_->GetModulus().BitCount() > 3072 && key_->GetPublicExponent().BitCount() > 64)
            throw error(errc::bad_key, "RSA public exponent over 64 bits for a modulus over 3072 bits");
    }

    /// Moves the key; the source is left empty.
    rsa_private_key(rsa_private_key&&) noexcept = default;
    /// Moves the key; the source is left empty.
    rsa_private_key& operator=(rsa_private_key&&) noexcept = default;
    rsa_private_key(const rsa_private_key&) = delete;
    rsa_private_key& operator=(const rsa_private_key&) = delete;

    /// A second copy of the key (validated already, so not validated again).
    [[nodiscard]] rsa_private_key clone() const { return rsa_private_key(*key_, validated{}); }

    /// A new key of `bits` bits with public exponent 65537 (Crypto++'s default would be 17).
    /// @throws escrow::error `invalid_argument` for fewer than 2048 or more than 16384 bits.
    [[nodiscard]] static rsa_private_key generate(unsigned bits, system_random& rng = default_random()) {
        if (bits < 2048 || bits > 16384)
            throw error(errc::invalid_argument, "RSA key size must be 2048 to 16384 bits, got " + std::to_string(bits));
        CryptoPP::RSA::PrivateKey k;
        k.Initialize(rng.engine(), bits, CryptoPP::Integer(65537));
        return rsa_private_key(std::move(k));
    }

    /// Parses PKCS#8 PrivateKeyInfo or PKCS#1 RSAPrivateKey DER, with nothing after it.
    /// @throws escrow::error `bad_key`.
    [[nodiscard]] static rsa_private_key from_der(byte_view der) {
        return rsa_private_key(detail::decode_der_either<CryptoPP::RSA::PrivateKey>(
            der, [](auto& key, auto& q) { key.BERDecodePrivateKey(q, false, 0); },
            "not an RSA private key (expected unencrypted PKCS#8 or PKCS#1 DER, nothing after it)"));
    }

    /// Parses PEM ("PRIVATE KEY" or "RSA PRIVATE KEY"). @throws escrow::error `bad_key`.
    [[nodiscard]] static rsa_private_key from_pem(std::string_view text) {
        auto b = pem::decode(text);
        if (b.label == "ENCRYPTED PRIVATE KEY")
            throw error(errc::bad_key, "encrypted PKCS#8 keys are not supported; decrypt with 'openssl pkey' first");
        scoped_wipe wipe(b.der);  // the decoded DER is the private key: wiped whatever from_der does
        detail::expect_pem_label(b.label, "PRIVATE KEY", "RSA PRIVATE KEY", "an RSA private key");
        return from_der(b.der);
    }

    /// Parses a key file's content, PEM or DER, told apart by the content.
    [[nodiscard]] static rsa_private_key load(byte_view content) {
        // Viewed in place, not copied into a std::string that would be freed unwiped.
        return detail::is_pem(content)
                   ? from_pem(std::string_view(reinterpret_cast<const char*>(content.data()), content.size()))
                   : from_der(content);
    }

    /// PKCS#8 PrivateKeyInfo DER, in wiped memory: write it only to protected files.
    [[nodiscard]] private_key_encoding unsafe_der() const {
        CryptoPP::ByteQueue q;  // Crypto++ keeps a queue's bytes in wiped blocks
        key_->Save(q);
        private_key_encoding out(static_cast<std::size_t>(q.MaxRetrievable()));
        q.Get(out.unsafe_mutable_bytes().data(), out.size());
        return out;
    }
    /// PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), as `openssl genpkey` writes, in wiped memory
    /// (`unsafe_text()` reads it).
    [[nodiscard]] private_key_encoding unsafe_pem() const { return pem::encode_private("PRIVATE KEY", unsafe_der().unsafe_bytes()); }

    /// The matching public key.
    [[nodiscard]] rsa_public_key public_key() const {
        return rsa_public_key(CryptoPP::RSA::PublicKey(*key_));
    }

    /// Modulus size in bits.
    [[nodiscard]] unsigned bits() const { return key_->GetModulus().BitCount(); }

    /// The Crypto++ key.
    [[nodiscard]] const CryptoPP::RSA::PrivateKey& cryptopp() const noexcept { return *key_; }

private:
    struct validated {};
    rsa_private_key(const CryptoPP::RSA::PrivateKey& k, validated)
        : key_(std::make_unique<CryptoPP::RSA::PrivateKey>(k)) {}

    std::unique_ptr<CryptoPP::RSA::PrivateKey> key_;
};

}  // namespace escrow
