// SPDX-License-Identifier: MIT
/// @file
/// `escrow::pkcs11::uri`: an RFC 7512 PKCS#11 URI naming a key in a token, and the token's PIN
/// read from a file (`pin-source`), never from the URI itself.
#pragma once

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"

namespace escrow::pkcs11 {

/// Tag of a token's user PIN.
struct pin_tag {};
/// A token's user PIN, in wiped memory.
using pin = secret<pin_tag>;

/// An RFC 7512 PKCS#11 URI, as `pkcs11:token=escrow;object=authority?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin`.
///
/// Path attributes select the token (`token`, `manufacturer`, `serial`, `model`, `slot-id`) and
/// the key (`object`, its CKA_LABEL; `id`, its CKA_ID; `type`, which must be `private` when
/// given). Query attributes: `module-path` (required: the module this library loads) and
/// `pin-source` (a `file:` URI or an absolute path of a file holding the PIN), and this library's
/// own `x-oaep` (`token` or `host`, see `oaep_on_host`). `pin-value` is
/// refused, so that a PIN never travels in a command line; `module-name` is refused too (this
/// library loads modules by path only). Values are percent-decoded; other attributes are refused
/// by name, so that a typing mistake is not silently ignored.
struct uri {
    std::optional<std::string> token;         ///< CK_TOKEN_INFO label
    std::optional<std::string> manufacturer;  ///< CK_TOKEN_INFO manufacturerID
    std::optional<std::string> serial;        ///< CK_TOKEN_INFO serialNumber
    std::optional<std::string> model;         ///< CK_TOKEN_INFO model
    std::optional<unsigned long> slot_id;     ///< the slot's id
    std::optional<std::string> object;        ///< the key's CKA_LABEL
    std::optional<bytes> id;                  ///< the key's CKA_ID
    std::string module_path;                  ///< the module to load
    std::optional<std::string> pin_source;    ///< where the PIN is read from (file:...)
    /// `x-oaep=host`: RSA-OAEP is decoded on the host from the token's raw RSA (`CKM_RSA_X_509`),
    /// for tokens without OAEP over SHA-256 (SoftHSM 2.6 does OAEP over SHA-1 only); the default,
    /// `x-oaep=token`, has the token do all of it (`CKM_RSA_PKCS_OAEP`).
    bool oaep_on_host = false;

    /// True when `text` starts with the scheme `pkcs11:` (what the tools test to tell a URI from a
    /// key file's path).
    [[nodiscard]] static bool is_uri(std::string_view text) noexcept { return text.starts_with("pkcs11:"); }

    /// Parses `text`. @throws escrow::error `invalid_argument` for a malformed URI, an unknown or
    /// repeated attribute, a `pin-value`, or a missing `module-path`.
    [[nodiscard]] static uri parse(std::string_view text) {
        if (!is_uri(text)) throw error(errc::invalid_argument, "a PKCS#11 URI starts with 'pkcs11:'");
        text.remove_prefix(7);
        uri u;
        const std::size_t q = text.find('?');
        const std::string_view path = text.substr(0, q), query = q == std::string_view::npos ? "" : text.substr(q + 1);
        for_each_attribute(path, ';', [&](std::string_view name, std::string value) { u.set_path(name, std::move(value)); });
        for_each_attribute(query, '&', [&](std::string_view name, std::string value) { u.set_query(name, std::move(value)); });
        if (u.module_path.empty())
            throw error(errc::invalid_argument, "the PKCS#11 URI names no module: add ?module-path=/path/to/module.so");
        return u;
    }

    /// A description for messages: the token and the object, never the PIN source's content.
    [[nodiscard]] std::string describe() const {
        std::string s = "token '" + token.value_or("(any)") + "'";
        if (object) s += ", object '" + *object + "'";
        if (id) s += ", id " + std::to_string(id->size()) + " bytes";
        return s;
    }

private:
    template <class F>
    static void for_each_attribute(std::string_view list, char separator, F&& f) {
        while (!list.empty()) {
            const std::size_t end = list.find(separator);
            const std::string_view item = list.substr(0, end);
            list = end == std::string_view::npos ? std::string_view{} : list.substr(end + 1);
            if (item.empty()) continue;
            const std::size_t eq = item.find('=');
            if (eq == std::string_view::npos)
                throw error(errc::invalid_argument, "PKCS#11 URI: attribute '" + std::string(item) + "' has no '='");
            f(item.substr(0, eq), percent_decode(item.substr(eq + 1)));
        }
    }

    static std::string percent_decode(std::string_view v) {
        std::string out;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i] != '%') {
                out += v[i];
                continue;
            }
            auto hex = [&](char c) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            if (i + 2 >= v.size()) throw error(errc::invalid_argument, "PKCS#11 URI: '%' at the end");
            const int hi = hex(v[i + 1]), lo = hex(v[i + 2]);
            if (hi < 0 || lo < 0) throw error(errc::invalid_argument, "PKCS#11 URI: '%' not followed by two hex digits");
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        return out;
    }

    template <class T>
    static void once(std::optional<T>& field, T value, std::string_view name) {
        if (field) throw error(errc::invalid_argument, "PKCS#11 URI: '" + std::string(name) + "' given twice");
        field = std::move(value);
    }

    void set_path(std::string_view name, std::string value) {
        if (name == "token") return once(token, std::move(value), name);
        if (name == "manufacturer") return once(manufacturer, std::move(value), name);
        if (name == "serial") return once(serial, std::move(value), name);
        if (name == "model") return once(model, std::move(value), name);
        if (name == "object") return once(object, std::move(value), name);
        if (name == "id") return once(id, bytes(value.begin(), value.end()), name);
        if (name == "slot-id") {
            if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos)
                throw error(errc::invalid_argument, "PKCS#11 URI: slot-id must be a decimal number");
            return once(slot_id, std::stoul(value), name);
        }
        if (name == "type") {
            if (value != "private")
                throw error(errc::invalid_argument, "PKCS#11 URI: type=" + value + ": the authority's key is a private key (type=private)");
            return;
        }
        throw error(errc::invalid_argument, "PKCS#11 URI: unknown path attribute '" + std::string(name) +
                                                "' (known: token, manufacturer, serial, model, slot-id, object, id, type)");
    }

    void set_query(std::string_view name, std::string value) {
        if (name == "module-path") {
            if (!module_path.empty()) throw error(errc::invalid_argument, "PKCS#11 URI: 'module-path' given twice");
            if (value.empty()) throw error(errc::invalid_argument, "PKCS#11 URI: empty module-path");
            module_path = std::move(value);
            return;
        }
        if (name == "pin-source") return once(pin_source, std::move(value), name);
        if (name == "x-oaep") {
            if (value != "host" && value != "token")
                throw error(errc::invalid_argument, "PKCS#11 URI: x-oaep must be 'token' or 'host'");
            oaep_on_host = value == "host";
            return;
        }
        if (name == "pin-value")
            throw error(errc::invalid_argument,
                        "PKCS#11 URI: pin-value is refused (a PIN must not appear on a command line): use "
                        "pin-source=file:/path or --pin-file");
        if (name == "module-name")
            throw error(errc::invalid_argument, "PKCS#11 URI: module-name is not supported: give module-path");
        throw error(errc::invalid_argument, "PKCS#11 URI: unknown query attribute '" + std::string(name) +
                                                "' (known: module-path, pin-source, x-oaep)");
    }
};

/// Reads a PIN from the file `source` names: a `file:` URI (`file:/run/pin`, `file:///run/pin`)
/// or a path. The PIN is the file's first line, without its line ending; it is kept in wiped
/// memory and never appears in a message.
/// @throws escrow::error `not_found` (no such file), `invalid_argument` (empty PIN, or a
/// `pin-source` of another scheme).
[[nodiscard]] inline pin read_pin(std::string_view source) {
    std::string path(source);
    if (source.starts_with("file://")) path = std::string(source.substr(7));
    else if (source.starts_with("file:")) path = std::string(source.substr(5));
    else if (source.find(':') != std::string_view::npos && !source.starts_with("/"))
        throw error(errc::invalid_argument, "PKCS#11 pin-source: only file: sources are supported");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(errc::not_found, "PKCS#11 PIN file '" + path + "' cannot be read");
    secret<pin_tag> buf(256);
    auto out = buf.unsafe_mutable_bytes();
    std::size_t n = 0;
    char c = 0;
    while (n < out.size() && in.get(c) && c != '\n') out[n++] = static_cast<byte>(c);
    if (n > 0 && out[n - 1] == '\r') --n;
    if (n == 0) throw error(errc::invalid_argument, "PKCS#11 PIN file '" + path + "' holds no PIN on its first line");
    if (n == out.size()) throw error(errc::invalid_argument, "PKCS#11 PIN file '" + path + "': PIN longer than 255 bytes");
    return pin::from_unsafe_bytes(buf.unsafe_bytes().first(n));
}

}  // namespace escrow::pkcs11
