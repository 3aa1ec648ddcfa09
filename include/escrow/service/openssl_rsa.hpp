// SPDX-License-Identifier: MIT
/// @file
/// `escrow::service::openssl_rsa_oaep_sha256` and `escrow::service::openssl_rsa_pkcs1v15`: the
/// formats and ids of `wrap::rsa_oaep_sha256` and `wrap::rsa_pkcs1v15`, with the private key held
/// by OpenSSL's libcrypto (`openssl_rsa_private_key`), whose RSA private operation runs about twice
/// as fast as Crypto++'s here (docs/performance.md). For the authority service, which links
/// libcrypto for TLS anyway: CMake target `escrow::authority_service`; the core does not need it.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cryptopp/integer.h>
#include <cryptopp/secblock.h>
#include <cryptopp/sha.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "escrow/authority/audit_signing.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/key_der.hpp"
#include "escrow/detail/rsa_fixed_signature.hpp"
#include "escrow/detail/rsa_pkcs1v15.hpp"
#include "escrow/wrap/concept.hpp"
#include "escrow/wrap/rsa_oaep_sha256.hpp"
#include "escrow/wrap/rsa_pkcs1v15.hpp"

namespace escrow::service {

/// An RSA private key in OpenSSL's memory (an `EVP_PKEY`), which OpenSSL frees with its
/// clear-free (the key's integers are zeroed); nothing of it is in the library's memory but its
/// public half and SHA-256(I2OSP(d, k)), the input of PKCS#1 v1.5's implicit rejection, kept in
/// wiped memory.
///
/// Move-only like every private key of the library; `clone()` shares the one OpenSSL key (no
/// second copy of the integers). Its operations are `const` and may run on several threads at
/// once (each makes its own `EVP_PKEY_CTX`; OpenSSL's RSA blinding is thread-safe).
class openssl_rsa_private_key {
public:
    /// Parses unencrypted PKCS#8 PrivateKeyInfo or PKCS#1 RSAPrivateKey DER, with nothing after
    /// it, and checks the key pair's consistency (OpenSSL's pairwise check).
    /// @throws escrow::error `bad_key`.
    [[nodiscard]] static openssl_rsa_private_key from_der(byte_view der) {
        const unsigned char* p = der.data();
        EVP_PKEY* raw = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
        ERR_clear_error();
        std::shared_ptr<EVP_PKEY> pkey(raw, EVP_PKEY_free);
        if (!raw || p != der.data() + der.size())
            throw error(errc::bad_key, "not an RSA private key (expected unencrypted PKCS#8 or PKCS#1 DER, nothing after it)");
        return openssl_rsa_private_key(std::move(pkey));
    }

    /// Parses a key file's content, PEM ("PRIVATE KEY" or "RSA PRIVATE KEY", decoded by the
    /// library into wiped memory) or DER.
    /// @throws escrow::error `bad_key`.
    [[nodiscard]] static openssl_rsa_private_key load(byte_view content) {
        if (!escrow::detail::is_pem(content)) return from_der(content);
        auto b = pem::decode(std::string_view(reinterpret_cast<const char*>(content.data()), content.size()));
        scoped_wipe wipe(b.der);
        if (b.label == "ENCRYPTED PRIVATE KEY")
            throw error(errc::bad_key, "encrypted PKCS#8 keys are not supported; decrypt with 'openssl pkey' first");
        escrow::detail::expect_pem_label(b.label, "PRIVATE KEY", "RSA PRIVATE KEY", "an RSA private key");
        return from_der(b.der);
    }

    /// The same key as `key` (a key the library loaded, from any form it reads), handed to
    /// OpenSSL through its PKCS#8 DER in wiped memory; `key` may be destroyed afterwards.
    /// @throws escrow::error `bad_key`.
    [[nodiscard]] static openssl_rsa_private_key from_key(const rsa_private_key& key) {
        const private_key_encoding der = key.unsafe_der();
        return from_der(der.unsafe_bytes());
    }

    /// Moves the key; the source is left empty.
    openssl_rsa_private_key(openssl_rsa_private_key&&) noexcept = default;
    /// Moves the key; the source is left empty.
    openssl_rsa_private_key& operator=(openssl_rsa_private_key&&) noexcept = default;
    openssl_rsa_private_key(const openssl_rsa_private_key&) = delete;
    openssl_rsa_private_key& operator=(const openssl_rsa_private_key&) = delete;

    /// The same key (the same OpenSSL object, shared).
    [[nodiscard]] openssl_rsa_private_key clone() const { return openssl_rsa_private_key(*this, shared{}); }

    /// The matching public key.
    [[nodiscard]] const rsa_public_key& public_key() const noexcept { return s_->pub; }
    /// Modulus size in bits.
    [[nodiscard]] unsigned bits() const { return s_->pub.bits(); }
    /// The modulus size in bytes (k).
    [[nodiscard]] std::size_t size() const { return s_->pub.cryptopp().GetModulus().ByteCount(); }

    /// The raw private operation `block`^d mod n (RSADP), `size()` bytes into `out`; false when
    /// OpenSSL refuses `block` (not `size()` bytes, or not below the modulus).
    [[nodiscard]] bool raw_decrypt(byte_view block, mutable_byte_view out) const {
        return decrypt(block, out, RSA_NO_PADDING).has_value();
    }

    /// RSAES-OAEP decryption with SHA-256, MGF1-SHA-256 and an empty label: the message's length in
    /// `out` (`size()` bytes), or nothing for any failure, all alike.
    [[nodiscard]] std::optional<std::size_t> oaep_sha256_decrypt(byte_view block, mutable_byte_view out) const {
        return decrypt(block, out, RSA_PKCS1_OAEP_PADDING);
    }

    /// SHA-256(I2OSP(d, k)), the key of implicit rejection's KDK (detail::pkcs1v15_unpad).
    [[nodiscard]] byte_view unsafe_d_digest() const noexcept { return {s_->d_digest.data(), s_->d_digest.size()}; }

private:
    struct shared {};
    struct state {
        state(std::shared_ptr<EVP_PKEY> p, rsa_public_key k) : pkey(std::move(p)), pub(std::move(k)) {}
        std::shared_ptr<EVP_PKEY> pkey;
        rsa_public_key pub;
        CryptoPP::FixedSizeSecBlock<byte, 32> d_digest;
    };
    openssl_rsa_private_key(const openssl_rsa_private_key& other, shared) : s_(other.s_) {}

    explicit openssl_rsa_private_key(std::shared_ptr<EVP_PKEY> pkey) {
        if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA) throw error(errc::bad_key, "not an RSA private key");
        if (EVP_PKEY_get_bits(pkey.get()) > static_cast<int>(rsa_max_bits))
            throw error(errc::bad_key, "RSA key of " + std::to_string(EVP_PKEY_get_bits(pkey.get())) + " bits (at most 16384 supported)");
        {
            std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr), EVP_PKEY_CTX_free);
            const bool ok = ctx && EVP_PKEY_pairwise_check(ctx.get()) == 1;
            ERR_clear_error();
            if (!ok) throw error(errc::bad_key, "RSA private key fails validation");
        }
        // The public half, through its SubjectPublicKeyInfo DER, in the library's type (which
        // applies its own bounds), so that fingerprints are those of the Crypto++ key.
        unsigned char* spki = nullptr;
        const int len = i2d_PUBKEY(pkey.get(), &spki);
        if (len <= 0) {
            ERR_clear_error();
            throw error(errc::bad_key, "OpenSSL cannot encode the RSA key's public half");
        }
        std::unique_ptr<unsigned char, void (*)(void*)> spki_owner(spki, [](void* q) { OPENSSL_free(q); });
        auto st = std::make_shared<state>(pkey, rsa_public_key::from_der(byte_view(spki, static_cast<std::size_t>(len))));
        if (st->pub.bits() > 3072 && st->pub.cryptopp().GetPublicExponent().BitCount() > 64)
            throw error(errc::bad_key, "RSA public exponent over 64 bits for a modulus over 3072 bits");
        // SHA-256(I2OSP(d, k)): d leaves OpenSSL only into wiped memory, for this hash.
        BIGNUM* d = nullptr;
        if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_D, &d) != 1 || !d) {
            ERR_clear_error();
            throw error(errc::bad_key, "OpenSSL holds no private exponent for this RSA key");
        }
        const std::size_t k = st->pub.cryptopp().GetModulus().ByteCount();
        CryptoPP::SecByteBlock d_bytes(k);
        const int put = BN_bn2binpad(d, d_bytes.data(), static_cast<int>(k));
        BN_clear_free(d);
        if (put != static_cast<int>(k)) throw error(errc::bad_key, "RSA private exponent larger than the modulus");
        CryptoPP::SHA256().CalculateDigest(st->d_digest.data(), d_bytes.data(), d_bytes.size());
        s_ = std::move(st);
    }

    std::optional<std::size_t> decrypt(byte_view block, mutable_byte_view out, int padding) const {
        std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(s_->pkey.get(), nullptr), EVP_PKEY_CTX_free);
        if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), padding) != 1 ||
            (padding == RSA_PKCS1_OAEP_PADDING && (EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
                                                   EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1))) {
            ERR_clear_error();
            throw error(errc::bad_key, "OpenSSL cannot set up an RSA decryption with this key");
        }
        std::size_t length = out.size();
        const int r = EVP_PKEY_decrypt(ctx.get(), out.data(), &length, block.data(), block.size());
        ERR_clear_error();  // a refused block leaves a reason in this thread's queue; nobody reads it
        if (r != 1) return std::nullopt;
        return length;
    }

    std::shared_ptr<const state> s_;
};

namespace detail_openssl {
/// What the two wraps share: wrapping with the public key (the file-key wrap's code, so the same
/// bytes), the keys' public halves and fingerprints, and the public checks on a block.
template <class FileWrap>
struct openssl_wrap_base {
    using stands_for = FileWrap;                        ///< its formats, id and options (`escrow::wrap_format`)
    using public_key = rsa_public_key;                  ///< the file-key wrap's public key
    using private_key = openssl_rsa_private_key;        ///< a key in OpenSSL's memory

    /// As the file-key wrap. @throws escrow::error `bad_key` for a key under 2048 bits.
    [[nodiscard]] static wrapped_key wrap(const session_key& key, const public_key& pub, system_random& rng) {
        return FileWrap::wrap(key, pub, rng);
    }
    /// The key's public half.
    [[nodiscard]] static public_key public_of(const private_key& priv) { return priv.public_key(); }
    /// SHA-256 of the SubjectPublicKeyInfo DER, as the file-key wrap's (records name the same key).
    [[nodiscard]] static digest256 fingerprint(const public_key& pub) { return pub.fingerprint(); }

protected:
    /// The file wrap's checks, with its errors: the key's size, no arguments.
    static void check(const wrapped_key& w, const private_key& priv, std::string_view scheme) {
        if (priv.bits() < FileWrap::min_bits)
            throw error(errc::bad_key, std::string(scheme) + " needs a key of at least 2048 bits, got " + std::to_string(priv.bits()));
        if (!w.args.empty()) throw error(errc::malformed_blob, "an " + std::string(scheme) + " wrapped key takes no arguments");
    }
    /// A block the modulus size and below the modulus: public facts.
    static bool fits(const wrapped_key& w, const private_key& priv) {
        const CryptoPP::Integer& n = priv.public_key().cryptopp().GetModulus();
        return w.body.size() == n.ByteCount() && CryptoPP::Integer(w.body.data(), w.body.size()) < n;
    }
};
}  // namespace detail_openssl

/// RSA-OAEP with SHA-256, MGF1-SHA-256 and an empty label, decrypted by OpenSSL
/// (`EVP_PKEY_decrypt`, `RSA_PKCS1_OAEP_PADDING`): the format and id of `wrap::rsa_oaep_sha256`,
/// and its results: the session key, or `std::nullopt` for any block not made for this key.
/// Stateless, so an authority checks deposits with it on several threads.
struct openssl_rsa_oaep_sha256 : detail_openssl::openssl_wrap_base<wrap::rsa_oaep_sha256> {
    static constexpr std::string_view name = "openssl-rsa-oaep-sha256";                 ///< for messages
    static constexpr std::string_view stanza_type = wrap::rsa_oaep_sha256::stanza_type;  ///< the file wrap's
    static constexpr std::uint16_t id = wrap::rsa_oaep_sha256::id;                       ///< the file wrap's

    /// @throws escrow::error `bad_key` for a key under 2048 bits; `malformed_blob` when the wrapped
    /// key has arguments.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv) {
        check(w, priv, "RSA-OAEP");
        if (w.body.size() != priv.size()) return std::nullopt;
        CryptoPP::SecByteBlock out(priv.size());
        const std::optional<std::size_t> length = priv.oaep_sha256_decrypt(w.body, {out.data(), out.size()});
        if (!length) return std::nullopt;
        return session_key::from_unsafe_bytes(byte_view(out.data(), *length));
    }
};

/// RSAES-PKCS1-v1_5 with implicit rejection, the RSA operation by OpenSSL (raw, `RSA_NO_PADDING`,
/// blinded) and the padding check and selection by the library's own constant-time code
/// (detail::pkcs1v15_unpad) with the same KDK: the format and id of `wrap::rsa_pkcs1v15` and the
/// very same results, a well-padded block or a stand-in key alike. (OpenSSL 3.0 has no implicit
/// rejection of its own; 3.2's would derive its stand-in differently.)
struct openssl_rsa_pkcs1v15 : detail_openssl::openssl_wrap_base<wrap::rsa_pkcs1v15> {
    static constexpr std::string_view name = "openssl-rsa-pkcs1v15";                 ///< for messages
    static constexpr std::string_view stanza_type = wrap::rsa_pkcs1v15::stanza_type;  ///< the file wrap's
    static constexpr std::uint16_t id = wrap::rsa_pkcs1v15::id;                       ///< the file wrap's

    /// As `wrap::rsa_pkcs1v15::unwrap`.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv) {
        return unwrap_impl(w, priv, std::nullopt);
    }
    /// As `wrap::rsa_pkcs1v15::unwrap` with an expected size.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv,
                                                           std::size_t expected_size) {
        return unwrap_impl(w, priv, expected_size);
    }

private:
    static std::optional<session_key> unwrap_impl(const wrapped_key& w, const private_key& priv,
                                                  std::optional<std::size_t> expected_size) {
        check(w, priv, "RSA PKCS#1 v1.5");
        if (!fits(w, priv)) return std::nullopt;
        const std::size_t k = w.body.size();
        if (expected_size && *expected_size > k - escrow::detail::pkcs1v15_overhead)
            throw error(errc::invalid_argument, "a " + std::to_string(*expected_size) + "-byte key does not fit this RSA key");
        CryptoPP::SecByteBlock em(k);
        if (!priv.raw_decrypt(w.body, {em.data(), em.size()}))
            throw error(errc::bad_key, "OpenSSL's RSA operation failed on a block below the modulus");
        return escrow::detail::pkcs1v15_unpad({em.data(), em.size()}, priv.unsafe_d_digest(), w.body, expected_size).message;
    }
};

}  // namespace escrow::service

namespace escrow {
static_assert(wrap_policy<service::openssl_rsa_oaep_sha256>);
static_assert(wrap_policy<service::openssl_rsa_pkcs1v15>);
}  // namespace escrow

namespace escrow::service::detail_openssl {
/// The audit key material of a key in OpenSSL's memory: its PKCS#1 v1.5 signature of the fixed
/// message (`detail::rsa_fixed_signature`), made with the raw operation on the encoded block and
/// checked with the public key: the same bytes as the Crypto++ key gives, so an audit chain signed
/// before keeps verifying.
/// @throws escrow::error `bad_key` when OpenSSL's signature does not check.
[[nodiscard]] inline private_key_encoding audit_material(const openssl_rsa_private_key& key) {
    const bytes block = escrow::detail::rsa_fixed_block(key.public_key());
    private_key_encoding out(block.size());
    if (!key.raw_decrypt(block, out.unsafe_mutable_bytes()) ||
        !escrow::detail::rsa_fixed_signature_verifies(key.public_key(), out.unsafe_bytes()))
        throw error(errc::bad_key, "OpenSSL's signature for the audit key does not verify");
    return out;
}
}  // namespace escrow::service::detail_openssl

namespace escrow::authority {
/// RSA-OAEP with the key in OpenSSL: the audit key of the same key in a file.
template <>
struct audit_key_source<service::openssl_rsa_oaep_sha256> {
    /// See `detail::rsa_fixed_signature`.
    [[nodiscard]] static private_key_encoding canonical(const service::openssl_rsa_private_key& k) {
        return service::detail_openssl::audit_material(k);
    }
};
/// RSA PKCS#1 v1.5 with the key in OpenSSL: as RSA-OAEP.
template <>
struct audit_key_source<service::openssl_rsa_pkcs1v15> {
    /// See `detail::rsa_fixed_signature`.
    [[nodiscard]] static private_key_encoding canonical(const service::openssl_rsa_private_key& k) {
        return service::detail_openssl::audit_material(k);
    }
};
}  // namespace escrow::authority
