// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap::pkcs11_rsa_oaep_sha256` and `escrow::wrap::pkcs11_rsa_pkcs1v15`: the formats
/// of `wrap::rsa_oaep_sha256` and `wrap::rsa_pkcs1v15`, with the private key in a PKCS#11 token.
/// Only `C_Decrypt` on the token uses it. CMake target `escrow::pkcs11` (the core does not need it).
#pragma once

#include <cryptopp/hmac.h>
#include <cryptopp/oaep.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "escrow/core/crypto.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/rsa_fixed_signature.hpp"
#include "escrow/detail/rsa_pkcs1v15.hpp"
#include "escrow/wrap/concept.hpp"
#include "escrow/wrap/pkcs11_token.hpp"
#include "escrow/wrap/rsa_oaep_sha256.hpp"
#include "escrow/wrap/rsa_pkcs1v15.hpp"

namespace escrow::wrap {

namespace detail_pkcs11 {
/// What the two token wraps share: their state (the session), wrapping with the public key on the
/// host (the same code, so the same bytes, as the file-key wrap), and the keys' public halves.
template <class FileWrap>
class token_wrap_base {
public:
    using stands_for = FileWrap;          ///< its formats, id and options (`escrow::wrap_format`)
    using public_key = rsa_public_key;    ///< the file-key wrap's public key
    using private_key = pkcs11::rsa_key;  ///< a handle of the key in the token

    /// A wrap that decrypts in `s`, the session its keys were found in.
    explicit token_wrap_base(std::shared_ptr<pkcs11::session> s) : session_(std::move(s)) {}

    /// As the file-key wrap: the public key does not need the token.
    /// @throws escrow::error `bad_key` for a key under 2048 bits.
    [[nodiscard]] wrapped_key wrap(const session_key& key, const public_key& pub, system_random& rng) const {
        return FileWrap::wrap(key, pub, rng);
    }
    /// The key's public half, as the token gave it.
    [[nodiscard]] public_key public_of(const private_key& priv) const { return priv.public_key(); }
    /// SHA-256 of the SubjectPublicKeyInfo DER, as the file-key wrap's (records name the same key).
    [[nodiscard]] digest256 fingerprint(const public_key& pub) const { return pub.fingerprint(); }

    /// The material of the authority's audit signing key (authority/audit_signing.hpp), computed
    /// on the token: the key's PKCS#1 v1.5 signature of a fixed message
    /// (`detail::rsa_fixed_signature`), made with `CKM_SHA256_RSA_PKCS` or, where the key may not
    /// sign, with raw RSA (`CKM_RSA_X_509`) on the encoded block, and checked on the host with the
    /// public key. The same bytes as the key gives in a file, so the audit key survives the key's
    /// move into the token. Nothing when the token allows neither with this key (its authority's
    /// audit head is then unsigned).
    /// @throws escrow::error `bad_key` when the token's answer does not check; `io_error`.
    [[nodiscard]] static std::optional<private_key_encoding> audit_key_material(const private_key& priv) {
        pkcs11::session& s = *priv.shared_session();
        const bytes block = escrow::detail::rsa_fixed_block(priv.public_key());
        const std::size_t k = block.size();
        std::optional<private_key_encoding> got;
        CK_MECHANISM sign_mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
        if (auto sig = s.sign(priv.handle(), sign_mech, escrow::detail::rsa_fixed_message(priv.public_key()), k)) {
            got = std::move(sig);
        } else {
            CK_MECHANISM raw{CKM_RSA_X_509, nullptr, 0};
            pkcs11::decrypt_result r;
            try {
                r = s.decrypt(priv.handle(), raw, block, k);
            } catch (const error& e) {
                if (e.kind() == errc::bad_key) return std::nullopt;  // raw RSA refused as well
                throw;
            }
            if (r.rv != CKR_OK) return std::nullopt;
            got = private_key_encoding::from_unsafe_bytes(r.message.unsafe_bytes());
        }
        if (got->size() > k) throw error(errc::bad_key, "PKCS#11: the token's signature for the audit key is too long");
        private_key_encoding out(k);  // right-aligned: a token may drop leading zero bytes
        auto o = out.unsafe_mutable_bytes();
        std::fill(o.begin(), o.end(), byte{0});
        std::copy(got->unsafe_bytes().begin(), got->unsafe_bytes().end(), o.end() - static_cast<std::ptrdiff_t>(got->size()));
        if (!escrow::detail::rsa_fixed_signature_verifies(priv.public_key(), out.unsafe_bytes()))
            throw error(errc::bad_key, "PKCS#11: the token's signature for the audit key does not verify");
        return out;
    }

protected:
    /// The session `priv` lives in, checked to be this wrap's; the public checks on the block.
    /// @throws escrow::error `invalid_argument` (a key of another session), `malformed_blob`.
    pkcs11::session& session_of(const wrapped_key& w, const private_key& priv, std::string_view scheme) const {
        if (!session_ || priv.shared_session() != session_)
            throw error(errc::invalid_argument, "a PKCS#11 wrap decrypts with keys of its own session only");
        if (!w.args.empty()) throw error(errc::malformed_blob, "an " + std::string(scheme) + " wrapped key takes no arguments");
        return *session_;
    }
    /// A block the modulus size and below the modulus: public facts, checked before the token sees it.
    static bool fits(const wrapped_key& w, const private_key& priv) {
        const CryptoPP::Integer& n = priv.public_key().cryptopp().GetModulus();
        return w.body.size() == n.ByteCount() && CryptoPP::Integer(w.body.data(), w.body.size()) < n;
    }

    std::shared_ptr<pkcs11::session> session_;  ///< the token session the wrap's keys live in
};
}  // namespace detail_pkcs11

/// RSA-OAEP with SHA-256 and MGF1-SHA-256, empty label (`CKM_RSA_PKCS_OAEP`, `CKM_SHA256`,
/// `CKG_MGF1_SHA256`), the private key in a token: the format and id of `wrap::rsa_oaep_sha256`,
/// so records made for a key in a file open through the token once the key is imported there, and
/// the other way round. A block the token refuses unwraps to `std::nullopt`, as the file wrap's.
///
/// A token without OAEP over SHA-256 (SoftHSM 2.6 has SHA-1 only) refuses the mechanism with a
/// clear `bad_key` error; its keys can be used with `x-oaep=host` in their URI (`rsa_key::oaep_on_host`):
/// the token then decrypts raw (`CKM_RSA_X_509`) and the host removes the OAEP encoding. The key
/// stays in the token either way; docs/threat-model.md says what raw decryption allows.
struct pkcs11_rsa_oaep_sha256 : detail_pkcs11::token_wrap_base<rsa_oaep_sha256> {
    static constexpr std::string_view name = "pkcs11-rsa-oaep-sha256";           ///< for messages
    static constexpr std::string_view stanza_type = rsa_oaep_sha256::stanza_type;  ///< as the file wrap's
    static constexpr std::uint16_t id = rsa_oaep_sha256::id;                       ///< the file wrap's (`wrap_format`)

    /// A wrap that decrypts in `s`, the session its keys were found in.
    using token_wrap_base::token_wrap_base;

    /// The session key, or `std::nullopt` when the block was not made for this key (the token
    /// refused it, or it does not fit the modulus).
    /// @throws escrow::error `malformed_blob` (arguments present), `bad_key`, `io_error` (token gone).
    [[nodiscard]] std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv) const {
        pkcs11::session& s = session_of(w, priv, "RSA-OAEP");
        if (!fits(w, priv)) return std::nullopt;
        if (priv.oaep_on_host()) return unwrap_on_host(s, w, priv);
        CK_RSA_PKCS_OAEP_PARAMS params{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
        CK_MECHANISM mech{CKM_RSA_PKCS_OAEP, &params, sizeof params};
        pkcs11::decrypt_result r = s.decrypt(priv.handle(), mech, w.body, w.body.size());
        if (r.rv != CKR_OK) return std::nullopt;
        return std::move(r.message);
    }

private:
    // x-oaep=host: the token computes c^d mod n (CKM_RSA_X_509) and the host removes the OAEP
    // encoding, with Crypto++'s OAEP<SHA256> as the file wrap does (the same checks, the same
    // single failure for any of them).
    static std::optional<session_key> unwrap_on_host(pkcs11::session& s, const wrapped_key& w, const private_key& priv) {
        CK_MECHANISM mech{CKM_RSA_X_509, nullptr, 0};
        const std::size_t k = w.body.size();
        pkcs11::decrypt_result r = s.decrypt(priv.handle(), mech, w.body, k);
        if (r.rv != CKR_OK || r.message.size() > k) return std::nullopt;
        // The token may drop leading zero bytes: the encoded message is right-aligned in k bytes.
        const std::size_t bits = priv.public_key().bits() - 1, padded = (bits + 7) / 8;
        CryptoPP::SecByteBlock em(k), out(k);
        std::memset(em.data(), 0, k);
        std::memcpy(em.data() + k - r.message.size(), r.message.unsafe_bytes().data(), r.message.size());
        const byte* block = em.data() + (k - padded);
        if (padded < k && em[0] != 0) return std::nullopt;
        CryptoPP::OAEP<CryptoPP::SHA256> oaep;
        const CryptoPP::DecodingResult d = oaep.Unpad(block, bits, out.data(), CryptoPP::g_nullNameValuePairs);
        if (!d.isValidCoding) return std::nullopt;
        return session_key::from_unsafe_bytes(byte_view(out.data(), d.messageLength));
    }
};

/// RSAES-PKCS1-v1_5 (`CKM_RSA_PKCS`), the private key in a token: the format and id of
/// `wrap::rsa_pkcs1v15` (CryptoAPI's CALG_RSA_KEYX), carried where that wrap is.
///
/// The token removes the padding itself and answers a bad one with an error
/// (`CKR_ENCRYPTED_DATA_INVALID`), so the draft's implicit rejection cannot be done inside the
/// RSA operation as the file wrap does it. This wrap keeps its contract all the same: a refused
/// block, or a well-padded block of the wrong length, unwraps to a stand-in key derived from the
/// block and a random secret of the session (HMAC-SHA-256, the draft's IPRF), computed for every
/// block and selected with masks; so the caller sees a key in every case and only the record's or
/// header's MAC says no, with the same error as for any other wrong key. What stays visible is
/// the token's own timing for good and bad padding (docs/threat-model.md).
struct pkcs11_rsa_pkcs1v15 : detail_pkcs11::token_wrap_base<rsa_pkcs1v15> {
    static constexpr std::string_view name = "pkcs11-rsa-pkcs1v15";            ///< for messages
    static constexpr std::string_view stanza_type = rsa_pkcs1v15::stanza_type;  ///< as the file wrap's
    static constexpr std::uint16_t id = rsa_pkcs1v15::id;                       ///< the file wrap's (`wrap_format`)

    /// A wrap that decrypts in `s`, the session its keys were found in.
    using token_wrap_base::token_wrap_base;

    /// The session key, or a stand-in when the token refuses the padding; `std::nullopt` when the
    /// block cannot have been made for this key (not the modulus size, or not below the modulus).
    /// @throws escrow::error `malformed_blob` (arguments present), `bad_key`, `io_error` (token gone).
    [[nodiscard]] std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv) const {
        return unwrap_impl(w, priv, std::nullopt);
    }

    /// As `unwrap`, but always `expected_size` bytes: a block that decrypts to a key of another
    /// length is treated exactly like a block the token refused.
    [[nodiscard]] std::optional<session_key> unwrap(const wrapped_key& w, const private_key& priv,
                                                    std::size_t expected_size) const {
        return unwrap_impl(w, priv, expected_size);
    }

private:
    std::optional<session_key> unwrap_impl(const wrapped_key& w, const private_key& priv,
                                           std::optional<std::size_t> expected_size) const {
        pkcs11::session& s = session_of(w, priv, "RSA PKCS#1 v1.5");
        if (!fits(w, priv)) return std::nullopt;
        const std::size_t k = w.body.size();
        if (expected_size && *expected_size > k - detail::pkcs1v15_overhead)
            throw error(errc::invalid_argument, "a " + std::to_string(*expected_size) + "-byte key does not fit this RSA key");

        // The stand-in, computed whatever the token answers: KDK = HMAC-SHA-256(session secret, C).
        CryptoPP::FixedSizeSecBlock<byte, 32> kdk;
        CryptoPP::HMAC<CryptoPP::SHA256>(s.rejection_secret().data(), s.rejection_secret().size())
            .CalculateDigest(kdk.data(), w.body.data(), w.body.size());
        const detail::pkcs1v15_synthetic rejected = detail::pkcs1v15_synthesize({kdk.data(), kdk.size()}, k);

        CK_MECHANISM mech{CKM_RSA_PKCS, nullptr, 0};
        pkcs11::decrypt_result r = s.decrypt(priv.handle(), mech, w.body, k);
        // The message, right-aligned in a k-byte buffer as the stand-in is; then chosen with masks.
        const std::uint32_t ok = detail::ct_is_zero(static_cast<std::uint32_t>(r.rv != CKR_OK));
        const std::size_t got = r.rv == CKR_OK ? r.message.size() : 0;
        CryptoPP::SecByteBlock real(k);
        std::memset(real.data(), 0, k);
        if (got) std::memcpy(real.data() + k - got, r.message.unsafe_bytes().data(), got);
        std::uint32_t good = ok;
        if (expected_size) good &= detail::ct_eq(static_cast<std::uint32_t>(got), static_cast<std::uint32_t>(*expected_size));
        for (std::size_t i = 0; i < k; ++i) real[i] = detail::ct_select_byte(good, real[i], rejected.message[i]);
        const std::size_t length =
            expected_size ? *expected_size : detail::ct_select(good, static_cast<std::uint32_t>(got), rejected.length);
        return session_key::from_unsafe_bytes(byte_view(real.data(), real.size()).last(length));
    }
};

}  // namespace escrow::wrap

namespace escrow {
static_assert(wrap_policy<wrap::pkcs11_rsa_oaep_sha256>);
static_assert(wrap_policy<wrap::pkcs11_rsa_pkcs1v15>);
}  // namespace escrow
