// SPDX-License-Identifier: MIT
/// @file
/// `escrow::pkcs11::session` and `escrow::pkcs11::rsa_key`: a logged-in session on a PKCS#11
/// token, opened once and reused, and an RSA private key that stays in it (a handle and its public
/// key, read from the token). The key's private half is used only through `C_Decrypt`.
#pragma once

#include <cryptopp/integer.h>
#include <cryptopp/rsa.h>

#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/pkcs11_module.hpp"
#include "escrow/wrap/pkcs11_uri.hpp"

namespace escrow::pkcs11 {

/// What one `C_Decrypt` gave: `CKR_OK` and the message, or the value the token refused the block
/// with (`CKR_ENCRYPTED_DATA_INVALID` for bad padding, say). Errors that are not about the block
/// (token removed, session closed) are thrown instead.
struct decrypt_result {
    CK_RV rv = CKR_GENERAL_ERROR;               ///< CKR_OK or the refusal
    secret<session_key_tag> message{0};         ///< the plaintext when `rv` is CKR_OK
};

/// One logged-in user session on one token: opened once, reused for every decryption (Cryptoki
/// sessions are not thread-safe: calls are serialised here). Shared by the wrap objects and keys
/// that use it; closed when the last one lets it go.
///
/// Cryptoki's login state is per application and token: while another session of this process
/// is logged in to the token, `open` cannot check the PIN again (`CKR_USER_ALREADY_LOGGED_IN`).
class session {
public:
    session(const session&) = delete;             ///< one session, shared by pointer
    session& operator=(const session&) = delete;  ///< one session, shared by pointer
    // No C_Logout: it would log out every session of this process on the token; the token logs
    // the application out when its last session closes.
    ~session() { mod_->f().C_CloseSession(handle_); }

    /// Loads `u.module_path`, finds the one token `u` names, opens a session on it and logs in
    /// with `user_pin`.
    /// @throws escrow::error `not_found` (no module, no such token), `invalid_argument` (several
    /// tokens match), `bad_key` (wrong or locked PIN), `io_error` (any other refusal).
    [[nodiscard]] static std::shared_ptr<session> open(const uri& u, const pin& user_pin) {
        auto mod = detail::pkcs11::module::load(u.module_path);
        const auto& f = mod->f();
        CK_ULONG count = 0;
        detail::pkcs11::check(f.C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
        std::vector<CK_SLOT_ID> slots(count);
        if (count) detail::pkcs11::check(f.C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList");
        slots.resize(count);
        std::vector<CK_SLOT_ID> matching;
        std::string seen;
        for (CK_SLOT_ID s : slots) {
            CK_TOKEN_INFO info{};
            if (f.C_GetTokenInfo(s, &info) != CKR_OK || !(info.flags & CKF_TOKEN_INITIALIZED)) continue;
            const std::string label = detail::pkcs11::padded_field(info.label);
            seen += (seen.empty() ? "'" : ", '") + label + "'";
            if (u.slot_id && *u.slot_id != s) continue;
            if (u.token && *u.token != label) continue;
            if (u.manufacturer && *u.manufacturer != detail::pkcs11::padded_field(info.manufacturerID)) continue;
            if (u.serial && *u.serial != detail::pkcs11::padded_field(info.serialNumber)) continue;
            if (u.model && *u.model != detail::pkcs11::padded_field(info.model)) continue;
            matching.push_back(s);
        }
        if (matching.empty())
            throw error(errc::not_found, "PKCS#11: no token matches " + u.describe() + " in module '" + u.module_path +
                                             "' (tokens present: " + (seen.empty() ? "none" : seen) + ")");
        if (matching.size() > 1)
            throw error(errc::invalid_argument, "PKCS#11: " + std::to_string(matching.size()) + " tokens match " +
                                                    u.describe() + ": add serial=... or slot-id=... to the URI");
        CK_SESSION_HANDLE h = 0;
        detail::pkcs11::check(f.C_OpenSession(matching.front(), CKF_SERIAL_SESSION, nullptr, nullptr, &h), "C_OpenSession");
        std::shared_ptr<session> s(new session(std::move(mod), h, u.token.value_or("")));
        auto p = user_pin.unsafe_bytes();
        CK_RV rv = f.C_Login(h, CKU_USER, const_cast<CK_UTF8CHAR_PTR>(p.data()), p.size());
        if (rv != CKR_USER_ALREADY_LOGGED_IN) detail::pkcs11::check(rv, "C_Login to " + s->describe());
        return s;
    }

    /// The token, for messages.
    [[nodiscard]] std::string describe() const { return "token '" + label_ + "'"; }
    /// The module's functions.
    [[nodiscard]] const CK_FUNCTION_LIST& f() const noexcept { return mod_->f(); }
    /// The Cryptoki session handle.
    [[nodiscard]] CK_SESSION_HANDLE handle() const noexcept { return handle_; }

    /// Decrypts `block` with the private key `key` under `mechanism`, on the token.
    /// @throws escrow::error `bad_key` (the key may not decrypt, or not with this mechanism),
    /// `io_error` (the token went away, or refused for another reason than the block).
    [[nodiscard]] decrypt_result decrypt(CK_OBJECT_HANDLE key, CK_MECHANISM& mechanism, byte_view block,
                                         std::size_t max_out) {
        std::lock_guard<std::mutex> lock(mutex_);
        CK_RV rv = f().C_DecryptInit(handle_, &mechanism, key);
        if (rv == CKR_KEY_TYPE_INCONSISTENT || rv == CKR_KEY_FUNCTION_NOT_PERMITTED || rv == CKR_MECHANISM_INVALID ||
            rv == CKR_MECHANISM_PARAM_INVALID || rv == CKR_ARGUMENTS_BAD)
            throw error(errc::bad_key, "PKCS#11 C_DecryptInit on " + describe() + ": the token refuses this key with " +
                                           mechanism_name(mechanism) + " (" + detail::pkcs11::rv_name(rv) + ")" +
                                           (mechanism.mechanism == CKM_RSA_PKCS_OAEP
                                                ? "; if it lacks OAEP with SHA-256, add x-oaep=host to the URI"
                                                : ""));
        detail::pkcs11::check(rv, "C_DecryptInit on " + describe());
        decrypt_result r;
        r.message = secret<session_key_tag>(max_out);
        CK_ULONG n = max_out;
        r.rv = f().C_Decrypt(handle_, const_cast<CK_BYTE_PTR>(block.data()), block.size(),
                             r.message.unsafe_mutable_bytes().data(), &n);
        if (r.rv == CKR_OK) {
            r.message = secret<session_key_tag>::from_unsafe_bytes(r.message.unsafe_bytes().first(n));
            return r;
        }
        // The block itself was refused (padding, length, value): the caller decides what that means.
        // SoftHSM 2.6 answers a bad padding with CKR_GENERAL_ERROR, after a C_DecryptInit that
        // succeeded: that too is a refusal of the block (a token that went away says so otherwise).
        if (r.rv == CKR_ENCRYPTED_DATA_INVALID || r.rv == CKR_ENCRYPTED_DATA_LEN_RANGE || r.rv == CKR_DATA_INVALID ||
            r.rv == CKR_DATA_LEN_RANGE || r.rv == CKR_GENERAL_ERROR || r.rv == CKR_FUNCTION_FAILED)
            return r;
        detail::pkcs11::check(r.rv, "C_Decrypt on " + describe());
        return r;
    }

    /// Signs `data` with the private key `key` under `mechanism` (one C_SignInit and C_Sign), the
    /// signature in `max_out` bytes at most. Nothing when the token refuses the key or mechanism
    /// for signing (CKA_SIGN false, or a mechanism it does not allow with this key). The signature
    /// is kept in wiped memory: the audit key material is one (wrap/pkcs11.hpp).
    /// @throws escrow::error `io_error` for any other failure of the token.
    [[nodiscard]] std::optional<private_key_encoding> sign(CK_OBJECT_HANDLE key, CK_MECHANISM& mechanism, byte_view data, std::size_t max_out) {
        std::lock_guard<std::mutex> lock(mutex_);
        CK_RV rv = f().C_SignInit(handle_, &mechanism, key);
        if (rv == CKR_KEY_TYPE_INCONSISTENT || rv == CKR_KEY_FUNCTION_NOT_PERMITTED || rv == CKR_MECHANISM_INVALID ||
            rv == CKR_MECHANISM_PARAM_INVALID || rv == CKR_ARGUMENTS_BAD)
            return std::nullopt;
        detail::pkcs11::check(rv, "C_SignInit on " + describe());
        private_key_encoding out(max_out);
        CK_ULONG n = max_out;
        detail::pkcs11::check(f().C_Sign(handle_, const_cast<CK_BYTE_PTR>(data.data()), data.size(),
                                         out.unsafe_mutable_bytes().data(), &n),
                              "C_Sign on " + describe());
        return private_key_encoding::from_unsafe_bytes(out.unsafe_bytes().first(n));
    }

    /// The mechanism's name, for messages.
    [[nodiscard]] static std::string mechanism_name(const CK_MECHANISM& m) {
        switch (m.mechanism) {
            case CKM_RSA_PKCS_OAEP: return "CKM_RSA_PKCS_OAEP (SHA-256, MGF1-SHA-256)";
            case CKM_RSA_PKCS: return "CKM_RSA_PKCS";
            case CKM_RSA_X_509: return "CKM_RSA_X_509";
        }
        return "mechanism " + std::to_string(m.mechanism);
    }

    /// A random 32-byte secret drawn when the session opened, in wiped memory: what the PKCS#1
    /// v1.5 wrap derives its stand-in keys from when the token refuses a block's padding.
    [[nodiscard]] byte_view rejection_secret() const noexcept { return rejection_.unsafe_bytes(); }

private:
    session(std::shared_ptr<detail::pkcs11::module> m, CK_SESSION_HANDLE h, std::string label)
        : mod_(std::move(m)), handle_(h), label_(std::move(label)), rejection_(derived_key::generate(32)) {}

    std::shared_ptr<detail::pkcs11::module> mod_;
    CK_SESSION_HANDLE handle_;
    std::string label_;
    derived_key rejection_;
    std::mutex mutex_;
};

/// An RSA private key in a token: its object handle in a session, and its public key read from
/// the token. Holds no private key material: the key decrypts on the token only.
class rsa_key {
public:
    /// Finds the one private key `u` names (`object`, `id`) in `s`.
    /// @throws escrow::error `not_found` (no such key), `invalid_argument` (several match),
    /// `bad_key` (not RSA, under 2048 bits, or not allowed to decrypt).
    [[nodiscard]] static rsa_key find(std::shared_ptr<session> s, const uri& u) {
        if (!u.object && !u.id) throw error(errc::invalid_argument, "the PKCS#11 URI names no key: add object=LABEL or id=...");
        const auto& f = s->f();
        auto search = [&](bool private_only) {
            CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
            std::vector<CK_ATTRIBUTE> t;
            if (private_only) t.push_back({CKA_CLASS, &cls, sizeof cls});
            if (u.object) t.push_back({CKA_LABEL, const_cast<char*>(u.object->data()), u.object->size()});
            if (u.id) t.push_back({CKA_ID, const_cast<byte*>(u.id->data()), u.id->size()});
            detail::pkcs11::check(f.C_FindObjectsInit(s->handle(), t.data(), t.size()), "C_FindObjectsInit");
            std::vector<CK_OBJECT_HANDLE> found(4);
            CK_ULONG n = 0;
            CK_RV rv = f.C_FindObjects(s->handle(), found.data(), found.size(), &n);
            f.C_FindObjectsFinal(s->handle());
            detail::pkcs11::check(rv, "C_FindObjects");
            found.resize(n);
            return found;
        };
        const std::string what = u.describe();
        auto keys = search(true);
        if (keys.empty()) {
            if (!search(false).empty())
                throw error(errc::bad_key, "PKCS#11: " + what + " is not a private key (wrong key type)");
            throw error(errc::not_found, "PKCS#11: no private key " + what);
        }
        if (keys.size() > 1) throw error(errc::invalid_argument, "PKCS#11: several private keys match " + what + ": add id=...");
        const CK_OBJECT_HANDLE h = keys.front();
        CK_KEY_TYPE type = 0;
        CK_BBOOL can_decrypt = CK_FALSE;
        CK_ATTRIBUTE a[] = {{CKA_KEY_TYPE, &type, sizeof type}, {CKA_DECRYPT, &can_decrypt, sizeof can_decrypt}};
        detail::pkcs11::check(f.C_GetAttributeValue(s->handle(), h, a, 2), "C_GetAttributeValue(CKA_KEY_TYPE)");
        if (type != CKK_RSA) throw error(errc::bad_key, "PKCS#11: " + what + " is not an RSA key (wrong key type)");
        if (can_decrypt != CK_TRUE) throw error(errc::bad_key, "PKCS#11: " + what + " may not decrypt (CKA_DECRYPT false)");
        CryptoPP::RSA::PublicKey pub;
        pub.Initialize(big_integer(*s, h, CKA_MODULUS), big_integer(*s, h, CKA_PUBLIC_EXPONENT));
        rsa_public_key p(std::move(pub));
        if (p.bits() < 2048)
            throw error(errc::bad_key, "PKCS#11: " + what + " is an RSA key of " + std::to_string(p.bits()) +
                                           " bits (at least 2048 needed)");
        return rsa_key(std::move(s), h, std::move(p), u.oaep_on_host);
    }

    /// The public key, as the token gives it.
    [[nodiscard]] const rsa_public_key& public_key() const noexcept { return public_; }
    /// The shared session, to build a wrap object on.
    [[nodiscard]] const std::shared_ptr<session>& shared_session() const noexcept { return session_; }
    /// The object handle.
    [[nodiscard]] CK_OBJECT_HANDLE handle() const noexcept { return handle_; }
    /// True when its URI says `x-oaep=host`: RSA-OAEP is decoded on the host from the token's raw
    /// RSA decryption (`CKM_RSA_X_509`), for tokens that do OAEP over SHA-1 only.
    [[nodiscard]] bool oaep_on_host() const noexcept { return oaep_on_host_; }

private:
    rsa_key(std::shared_ptr<session> s, CK_OBJECT_HANDLE h, rsa_public_key p, bool oaep_on_host)
        : session_(std::move(s)), handle_(h), public_(std::move(p)), oaep_on_host_(oaep_on_host) {}

    static CryptoPP::Integer big_integer(session& s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type) {
        CK_ATTRIBUTE a{type, nullptr, 0};
        detail::pkcs11::check(s.f().C_GetAttributeValue(s.handle(), h, &a, 1), "C_GetAttributeValue (public key)");
        if (a.ulValueLen == 0 || a.ulValueLen > 2048) throw error(errc::bad_key, "PKCS#11: the token gives no usable RSA public key");
        bytes v(a.ulValueLen);
        a.pValue = v.data();
        detail::pkcs11::check(s.f().C_GetAttributeValue(s.handle(), h, &a, 1), "C_GetAttributeValue (public key)");
        return CryptoPP::Integer(v.data(), a.ulValueLen);
    }

    std::shared_ptr<session> session_;
    CK_OBJECT_HANDLE handle_;
    rsa_public_key public_;
    bool oaep_on_host_;
};

/// The PIN for `u`: read from `pin_file` when given, else from the URI's `pin-source`.
/// @throws escrow::error `invalid_argument` when both or neither give one; `read_pin`'s errors.
[[nodiscard]] inline pin pin_for(const uri& u, const std::optional<std::string>& pin_file) {
    if (pin_file && u.pin_source)
        throw error(errc::invalid_argument, "the PIN is given twice (--pin-file and the URI's pin-source)");
    if (pin_file) return read_pin(*pin_file);
    if (u.pin_source) return read_pin(*u.pin_source);
    throw error(errc::invalid_argument, "no PIN for the PKCS#11 token: give --pin-file FILE or pin-source=file:... in the URI");
}

/// The RSA private key `text` (an RFC 7512 URI) names, in a session opened and logged in with the
/// PIN from `pin_file` or the URI's `pin-source`.
/// @throws escrow::error as `uri::parse`, `pin_for`, `session::open` and `rsa_key::find`.
[[nodiscard]] inline rsa_key open_rsa_key(std::string_view text, const std::optional<std::string>& pin_file) {
    const uri u = uri::parse(text);
    const pin p = pin_for(u, pin_file);
    return rsa_key::find(session::open(u, p), u);
}

}  // namespace escrow::pkcs11
