// SPDX-License-Identifier: MIT
/// @file
/// A PKCS#11 module loaded with `dlopen`, and the translation of its return values into
/// `escrow::error`. Not public API: escrow/wrap/pkcs11_token.hpp builds on it.
#pragma once

#include <dlfcn.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

// The standard Cryptoki header (Debian: libp11-kit-dev, /usr/include/p11-kit-1/p11-kit/pkcs11.h),
// which defines the CK_ names itself (no platform macros to set before including it).
#include <p11-kit/pkcs11.h>

#include "escrow/core/error.hpp"

namespace escrow::detail::pkcs11 {

/// The name of a Cryptoki return value, for messages ("CKR_PIN_INCORRECT"), or its number in hex.
[[nodiscard]] inline std::string rv_name(CK_RV rv) {
    switch (rv) {
#define ESCROW_CKR(x) \
    case x: return #x;
        ESCROW_CKR(CKR_OK) ESCROW_CKR(CKR_HOST_MEMORY) ESCROW_CKR(CKR_SLOT_ID_INVALID) ESCROW_CKR(CKR_GENERAL_ERROR)
        ESCROW_CKR(CKR_FUNCTION_FAILED) ESCROW_CKR(CKR_ARGUMENTS_BAD) ESCROW_CKR(CKR_ATTRIBUTE_SENSITIVE)
        ESCROW_CKR(CKR_ATTRIBUTE_TYPE_INVALID) ESCROW_CKR(CKR_DEVICE_ERROR) ESCROW_CKR(CKR_DEVICE_MEMORY)
        ESCROW_CKR(CKR_DEVICE_REMOVED) ESCROW_CKR(CKR_ENCRYPTED_DATA_INVALID) ESCROW_CKR(CKR_ENCRYPTED_DATA_LEN_RANGE)
        ESCROW_CKR(CKR_KEY_HANDLE_INVALID) ESCROW_CKR(CKR_KEY_TYPE_INCONSISTENT) ESCROW_CKR(CKR_KEY_FUNCTION_NOT_PERMITTED)
        ESCROW_CKR(CKR_MECHANISM_INVALID) ESCROW_CKR(CKR_MECHANISM_PARAM_INVALID) ESCROW_CKR(CKR_OBJECT_HANDLE_INVALID)
        ESCROW_CKR(CKR_OPERATION_ACTIVE) ESCROW_CKR(CKR_PIN_INCORRECT) ESCROW_CKR(CKR_PIN_INVALID)
        ESCROW_CKR(CKR_PIN_LEN_RANGE) ESCROW_CKR(CKR_PIN_EXPIRED) ESCROW_CKR(CKR_PIN_LOCKED) ESCROW_CKR(CKR_SESSION_CLOSED)
        ESCROW_CKR(CKR_SESSION_HANDLE_INVALID) ESCROW_CKR(CKR_TOKEN_NOT_PRESENT) ESCROW_CKR(CKR_TOKEN_NOT_RECOGNIZED)
        ESCROW_CKR(CKR_USER_ALREADY_LOGGED_IN) ESCROW_CKR(CKR_USER_NOT_LOGGED_IN) ESCROW_CKR(CKR_USER_PIN_NOT_INITIALIZED)
        ESCROW_CKR(CKR_BUFFER_TOO_SMALL) ESCROW_CKR(CKR_CRYPTOKI_NOT_INITIALIZED)
        ESCROW_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED)
#undef ESCROW_CKR
    }
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string h;
    for (int shift = 28; shift >= 0; shift -= 4) h += digits[(rv >> shift) & 0xF];
    return "CKR 0x" + h;
}

/// True for the return values that say the token (or its reader) went away under us.
[[nodiscard]] constexpr bool token_gone(CK_RV rv) noexcept {
    return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SESSION_CLOSED ||
           rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_DEVICE_ERROR || rv == CKR_TOKEN_NOT_RECOGNIZED;
}

/// Throws the `escrow::error` a failed call `what` deserves: `bad_key` for a wrong or locked PIN,
/// `io_error` for a token that went away, `io_error` with the CKR name for anything else. Never
/// names a PIN: the messages are made of the call's name and the return value only.
inline void check(CK_RV rv, std::string_view what) {
    if (rv == CKR_OK) return;
    const std::string at = "PKCS#11 " + std::string(what) + ": ";
    switch (rv) {
        case CKR_PIN_INCORRECT:
        case CKR_PIN_INVALID:
        case CKR_PIN_LEN_RANGE: throw error(errc::bad_key, at + "wrong PIN (" + rv_name(rv) + ")");
        case CKR_PIN_LOCKED: throw error(errc::bad_key, at + "the token's PIN is locked (CKR_PIN_LOCKED)");
        case CKR_PIN_EXPIRED: throw error(errc::bad_key, at + "the token's PIN has expired (CKR_PIN_EXPIRED)");
        default: break;
    }
    if (token_gone(rv)) throw error(errc::io_error, at + "the token was removed or its session closed (" + rv_name(rv) + ")");
    throw error(errc::io_error, at + "the module answered " + rv_name(rv));
}

/// A PKCS#11 module (a shared library), opened with `dlopen` and initialised once per process:
/// every `load` of the same library gives the same object, finalised and closed when the last
/// user lets it go.
class module {
public:
    module(const module&) = delete;             ///< one object per loaded library
    module& operator=(const module&) = delete;  ///< one object per loaded library

    /// Finalises the module (`C_Finalize`) and closes the library.
    ~module() {
        functions_->C_Finalize(nullptr);
        ::dlclose(handle_);
    }

    /// The module at `path` (an absolute path, as RFC 7512's `module-path` gives it).
    /// @throws escrow::error `not_found` when it cannot be loaded or has no `C_GetFunctionList`;
    /// `io_error` when its `C_Initialize` fails.
    [[nodiscard]] static std::shared_ptr<module> load(const std::string& path) {
        if (path.empty()) throw error(errc::invalid_argument, "PKCS#11: no module path (give module-path=... in the URI)");
        static std::mutex guard;
        static std::map<void*, std::weak_ptr<module>> loaded;
        std::lock_guard<std::mutex> lock(guard);
        ::dlerror();
        void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char* why = ::dlerror();
            throw error(errc::not_found, "PKCS#11 module '" + path + "' cannot be loaded: " + (why ? why : "dlopen failed"));
        }
        if (auto it = loaded.find(h); it != loaded.end())
            if (auto existing = it->second.lock()) {
                ::dlclose(h);  // the extra reference this dlopen took
                return existing;
            }
        auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(h, "C_GetFunctionList"));
        CK_FUNCTION_LIST_PTR list = nullptr;
        if (!get || get(&list) != CKR_OK || !list) {
            ::dlclose(h);
            throw error(errc::not_found, "'" + path + "' is not a PKCS#11 module (no C_GetFunctionList)");
        }
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        CK_RV rv = list->C_Initialize(&args);
        if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
            ::dlclose(h);
            check(rv, "C_Initialize of '" + path + "'");
        }
        std::shared_ptr<module> m(new module(h, list, path));
        loaded[h] = m;
        return m;
    }

    /// The module's functions.
    [[nodiscard]] const CK_FUNCTION_LIST& f() const noexcept { return *functions_; }
    /// The path it was loaded from.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    module(void* h, CK_FUNCTION_LIST_PTR f, std::string path) : handle_(h), functions_(f), path_(std::move(path)) {}

    void* handle_;
    CK_FUNCTION_LIST_PTR functions_;
    std::string path_;
};

/// Copies a blank-padded Cryptoki string field (a token label, say) without its padding.
template <std::size_t N>
[[nodiscard]] std::string padded_field(const unsigned char (&field)[N]) {
    std::string s(reinterpret_cast<const char*>(field), N);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

}  // namespace escrow::detail::pkcs11
