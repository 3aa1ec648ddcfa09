// SPDX-License-Identifier: MIT
/// @file
/// TLS public-key pins: the SHA-256 of a certificate's SubjectPublicKeyInfo (DER), as
/// `--pin sha256:HEX` names it. A pin survives the certificate's renewal with the same key.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"

namespace escrow::service {

/// The SHA-256 of `cert`'s SubjectPublicKeyInfo. @throws escrow::error `bad_key`.
[[nodiscard]] inline digest256 spki_sha256(X509* cert) {
    unsigned char* der = nullptr;
    const int n = cert ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der) : -1;
    if (n <= 0) throw error(errc::bad_key, "the certificate has no readable public key");
    std::unique_ptr<unsigned char, void (*)(void*)> hold(der, [](void* p) { OPENSSL_free(p); });
    return sha256(byte_view(der, static_cast<std::size_t>(n)));
}

/// True when `cert`'s public key is the pinned one (compared in constant time).
[[nodiscard]] inline bool spki_matches(X509* cert, const digest256& pin) noexcept {
    try {
        return constant_time_equal(spki_sha256(cert), pin);
    } catch (...) {
        return false;
    }
}

/// The pin of the first certificate of the PEM file `path`.
/// @throws escrow::error `not_found` (cannot open), `bad_key` (no certificate).
[[nodiscard]] inline digest256 spki_sha256_of_file(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) throw error(errc::not_found, "cannot open the certificate '" + path + "'");
    std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert) throw error(errc::bad_key, "'" + path + "' holds no PEM certificate");
    return spki_sha256(cert.get());
}

/// Reads `sha256:HEX` (64 hex digits). @throws escrow::error `invalid_argument`.
[[nodiscard]] inline digest256 parse_pin(std::string_view text) {
    if (!text.starts_with("sha256:") || text.size() != 7 + 64)
        throw error(errc::invalid_argument, "a pin is sha256:HEX, the SHA-256 of the certificate's public key (64 hex digits)");
    const bytes b = hex::decode(text.substr(7));
    digest256 d{};
    std::copy(b.begin(), b.end(), d.begin());
    return d;
}

/// `sha256:HEX` of `pin`.
[[nodiscard]] inline std::string format_pin(const digest256& pin) { return "sha256:" + hex::encode(pin); }

}  // namespace escrow::service
