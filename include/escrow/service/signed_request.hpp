// SPDX-License-Identifier: MIT
/// @file
/// Officer-signed HTTP requests: what an officer's Ed25519 key signs to list, audit, revoke or
/// register through the authority service, and the server's check of it (acceptance window,
/// replay protection). Needs Crypto++ only: no network code.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "escrow/authority/officer.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/random.hpp"

namespace escrow::service {

/// The HTTP headers of an officer-signed request.
namespace signature_headers {
inline constexpr std::string_view officer = "X-Escrow-Officer";      ///< raw Ed25519 public key, hex
inline constexpr std::string_view time = "X-Escrow-Time";            ///< Unix seconds, decimal
inline constexpr std::string_view nonce = "X-Escrow-Nonce";          ///< 16 random bytes, hex
inline constexpr std::string_view signature = "X-Escrow-Signature";  ///< Ed25519 signature, hex
}  // namespace signature_headers

/// Size of a request nonce, in bytes.
inline constexpr std::size_t request_nonce_size = 16;

/// The four header values of an officer-signed request.
struct request_signature {
    bytes officer;                 ///< the officer's raw Ed25519 public key (32 bytes)
    std::uint64_t time = 0;        ///< when it was signed, Unix seconds
    bytes nonce;                   ///< `request_nonce_size` random bytes
    authority::ed25519_signature signature{};  ///< over `signed_message`

    /// What the officer signs:
    ///
    ///     "escrow/v1 http request\n" | authority fingerprint hex "\n" | METHOD "\n" | target "\n"
    ///     | SHA-256(body) hex "\n" | time decimal "\n" | nonce hex
    ///
    /// The authority's fingerprint keeps a request signed for one authority from being accepted
    /// by another; the body's hash binds the JSON sent.
    [[nodiscard]] static bytes signed_message(byte_view authority_fp, std::string_view method, std::string_view target,
                                              byte_view body, std::uint64_t time, byte_view nonce) {
        std::string m = "escrow/v1 http request\n";
        m += hex::encode(authority_fp) + "\n";
        m.append(method).append("\n").append(target).append("\n");
        m += hex::encode(sha256(body)) + "\n" + std::to_string(time) + "\n" + hex::encode(nonce);
        return bytes(m.begin(), m.end());
    }

    /// Signs a request with `key` at time `now`, with a fresh random nonce.
    [[nodiscard]] static request_signature sign(const authority::officer_private_key& key, byte_view authority_fp,
                                                std::string_view method, std::string_view target, byte_view body,
                                                std::uint64_t now) {
        request_signature s;
        const auto pub = key.public_key();
        s.officer.assign(pub.raw().begin(), pub.raw().end());
        s.time = now;
        s.nonce.resize(request_nonce_size);
        default_random().fill(s.nonce);
        s.signature = key.sign(signed_message(authority_fp, method, target, body, s.time, s.nonce));
        return s;
    }

    /// Reads the header values. @throws escrow::error `invalid_argument` (missing or malformed).
    [[nodiscard]] static request_signature parse(std::string_view officer_hex, std::string_view time_text,
                                                 std::string_view nonce_hex, std::string_view signature_hex) {
        request_signature s;
        if (officer_hex.empty() || time_text.empty() || nonce_hex.empty() || signature_hex.empty())
            throw error(errc::invalid_argument, "this request must be signed by a registered officer (headers " +
                                                    std::string(signature_headers::officer) + ", " +
                                                    std::string(signature_headers::time) + ", " +
                                                    std::string(signature_headers::nonce) + ", " +
                                                    std::string(signature_headers::signature) + ")");
        s.officer = hex::decode(officer_hex);
        s.nonce = hex::decode(nonce_hex);
        bytes sig = hex::decode(signature_hex);
        if (s.officer.size() != authority::ed25519_public_size || s.nonce.size() != request_nonce_size ||
            sig.size() != authority::ed25519_signature_size || time_text.size() > 19)
            throw error(errc::invalid_argument, "malformed request signature headers");
        for (char c : time_text) {
            if (c < '0' || c > '9') throw error(errc::invalid_argument, "malformed " + std::string(signature_headers::time));
            s.time = s.time * 10 + static_cast<std::uint64_t>(c - '0');
        }
        std::copy(sig.begin(), sig.end(), s.signature.begin());
        return s;
    }
};

/// The server's memory of the nonces of accepted officer requests, for as long as a request
/// stays inside the acceptance window (then its time alone refuses it). Thread-safe.
///
/// The memory is the process's: a restart forgets it, so a request captured in the last
/// `window` seconds before a restart could be replayed once after it (docs/authority-service.md).
class replay_guard {
public:
    /// @param window seconds a request's time may differ from the server's clock
    /// @param capacity most nonces remembered; when full, requests are refused (never forgotten early)
    explicit replay_guard(std::uint64_t window = 120, std::size_t capacity = 100000)
        : window_(window), capacity_(capacity) {}

    /// The acceptance window, in seconds.
    [[nodiscard]] std::uint64_t window() const noexcept { return window_; }

    /// Records `nonce` of a request made at `time`, checked against the clock `now`.
    /// @throws escrow::error `identity_rejected` (outside the window, or the nonce was seen),
    /// `limit_exceeded` (too many requests inside one window).
    void accept(std::uint64_t time, byte_view nonce, std::uint64_t now) {
        const std::uint64_t skew = time > now ? time - now : now - time;
        if (skew > window_)
            throw error(errc::identity_rejected, "the request was signed " + std::to_string(skew) +
                                                     " s away from the server's clock (the window is " +
                                                     std::to_string(window_) + " s): check the clocks, sign again");
        std::lock_guard lock(mutex_);
        while (!by_time_.empty() && by_time_.begin()->first + 2 * window_ < now) {
            seen_.erase(by_time_.begin()->second);
            by_time_.erase(by_time_.begin());
        }
        std::string key(nonce.begin(), nonce.end());
        if (seen_.count(key)) throw error(errc::identity_rejected, "the request was replayed (its nonce was seen before)");
        if (seen_.size() >= capacity_)
            throw error(errc::limit_exceeded, "too many officer requests inside one acceptance window");
        seen_.emplace(key, time);
        by_time_.emplace(time, std::move(key));
    }

private:
    std::uint64_t window_;
    std::size_t capacity_;
    std::mutex mutex_;
    std::map<std::string, std::uint64_t> seen_;
    std::multimap<std::uint64_t, std::string> by_time_;
};

}  // namespace escrow::service
