// SPDX-License-Identifier: MIT
/// @file
/// `escrow::wrap::scrypt`: the age v1 passphrase recipient (scrypt stanza).
#pragma once

#include <cryptopp/scrypt.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/detail/age_stanza.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow {

/// Tag of passphrases.
struct passphrase_tag {};

/// A passphrase (in wiped memory) with the scrypt work factor used when wrapping, and the largest
/// work factor a file may ask of it when unwrapping.
///
/// Each step of the work factor doubles scrypt's memory and time: 18 (age's default) costs 256 MiB,
/// 22 (the largest age writes or reads) 4 GiB and seconds of CPU before any tag is checked. A file
/// chooses its work factor, so a reader that opens files from others bounds it lower with
/// `with_max_work_factor` (the escrow tool reads at most 20 unless told otherwise).
class scrypt_passphrase {
public:
    /// The largest work factor age allows, and this class's default read limit.
    static constexpr unsigned max_allowed_work_factor = 22;

    /// @throws escrow::error `invalid_argument` for a work factor outside 1 to 22.
    explicit scrypt_passphrase(std::string_view passphrase, unsigned work_factor = 18)
        : secret_(secret<passphrase_tag>::from_unsafe_bytes(as_bytes(passphrase))), work_factor_(work_factor) {
        check_range(work_factor);
    }
    /// A second copy, in its own wiped memory (a passphrase is move-only, as its secret is).
    [[nodiscard]] scrypt_passphrase clone() const {
        return scrypt_passphrase(secret_.clone(), work_factor_, max_read_work_factor_);
    }
    /// This passphrase, refusing files that ask a work factor over `limit` (1 to 22) before any
    /// scrypt work is done. @throws escrow::error `invalid_argument` for a limit outside 1 to 22.
    [[nodiscard]] scrypt_passphrase with_max_work_factor(unsigned limit) && {
        check_range(limit);
        max_read_work_factor_ = limit;
        return std::move(*this);
    }
    /// The passphrase bytes.
    [[nodiscard]] byte_view unsafe_bytes() const noexcept { return secret_.unsafe_bytes(); }
    /// log2 of scrypt's N when wrapping.
    [[nodiscard]] unsigned work_factor() const noexcept { return work_factor_; }
    /// The largest log2 N a file may ask when unwrapping with this passphrase.
    [[nodiscard]] unsigned max_work_factor() const noexcept { return max_read_work_factor_; }

private:
    scrypt_passphrase(secret<passphrase_tag> s, unsigned work_factor, unsigned limit)
        : secret_(std::move(s)), work_factor_(work_factor), max_read_work_factor_(limit) {}
    static void check_range(unsigned wf) {
        if (wf < 1 || wf > max_allowed_work_factor)
            throw error(errc::invalid_argument, "scrypt work factor (log2 N) must be 1 to 22");
    }
    secret<passphrase_tag> secret_;
    unsigned work_factor_;
    unsigned max_read_work_factor_ = max_allowed_work_factor;
};

namespace wrap {

/// The age scrypt recipient (C2SP age spec, "scrypt recipient type"):
///
///     stanza = "scrypt" base64(salt, 16 bytes) log2N (decimal, no leading zero)
///     wrap key = scrypt(passphrase, salt = "age-encryption.org/v1/scrypt" ‖ salt, N = 2^log2N, r = 8, p = 1, 32)
///     body = ChaCha20-Poly1305(wrap key, nonce 0, file key)
///
/// The work factor read from a file is bounded to 22 (as age does), and further by the
/// passphrase's own read limit (`scrypt_passphrase::with_max_work_factor`): at 22 a 182-byte file
/// makes a reader allocate 4 GiB and work for seconds before any tag is checked. age allows a scrypt stanza only alone in a file, so this
/// wrap serves decryption (the escrow host always adds authorities: its `encrypt` fails). A
/// passphrase has no public identity: `fingerprint` is the same for every passphrase, so that it
/// gives no verifier to guess passphrases against (`wrap_options<scrypt>.identifies_key` is false,
/// and the law suite checks exactly that).
struct scrypt {
    /// The wrap's name, as escrow records show it.
    static constexpr std::string_view name = "scrypt";
    /// The age stanza type.
    static constexpr std::string_view stanza_type = "scrypt";
    /// The wrap's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0205;
    /// The KDF's salt prefix, and the bounds of what a stanza may ask of it.
    /// @{
    static constexpr std::string_view label = "age-encryption.org/v1/scrypt";
    static constexpr unsigned max_work_factor = scrypt_passphrase::max_allowed_work_factor;
    static constexpr std::size_t salt_size = 16;
    /// @}
    /// Session keys of 1 to 64 bytes (`wrap_options<scrypt>`).
    static constexpr std::size_t max_key_size = 64;

    /// The passphrase, which both wraps and unwraps.
    using public_key = scrypt_passphrase;
    /// The passphrase, which both wraps and unwraps.
    using private_key = scrypt_passphrase;

    /// Wraps `key` under a key derived from `pass` with scrypt (fresh salt from `rng`, the default
    /// work factor) into an age scrypt stanza.
    [[nodiscard]] static wrapped_key wrap(const session_key& key, const public_key& pass, system_random& rng) {
        detail::age_stanza::check_key_to_wrap(key, max_key_size, stanza_type);
        std::array<byte, salt_size> salt{};
        rng.fill(salt);
        wrapped_key w;
        w.args = {base64::encode(salt, false), std::to_string(pass.work_factor())};
        w.body = detail::age_stanza::seal_key(derive(pass, salt, pass.work_factor()).unsafe_bytes(), key);
        return w;
    }

    /// Unwraps a key of `expected_size` bytes (an age file key: 16), or, with no size, of the size
    /// the body holds (1 to 64 bytes, as `wrap` takes).
    /// @throws escrow::error `malformed_header` for a malformed stanza or a work factor over 22.
    [[nodiscard]] static std::optional<session_key> unwrap(const wrapped_key& w, const private_key& pass,
                                                           std::optional<std::size_t> expected_size = std::nullopt) {
        if (w.args.size() != 2) throw error(errc::malformed_header, "a scrypt stanza has exactly two arguments");
        const bytes salt = detail::age_stanza::argument(w.args[0], salt_size, stanza, "the salt");
        const unsigned wf = parse_work_factor(w.args[1]);
        if (wf > pass.max_work_factor())
            throw error(errc::limit_exceeded, "scrypt stanza: work factor " + std::to_string(wf) + " is over this reader's limit of " +
                                                  std::to_string(pass.max_work_factor()) + " (each step doubles memory and time; raise the limit to open it)");
        if (expected_size) detail::age_stanza::require_key_size(w.body, *expected_size, stanza);
        else (void)detail::age_stanza::key_size_of(w.body, max_key_size, stanza);
        return detail::age_stanza::open_key(derive(pass, salt, wf).unsafe_bytes(), w.body);
    }

    /// A copy of `pass`: a passphrase is its own public key.
    [[nodiscard]] static public_key public_of(const private_key& pass) { return pass.clone(); }
    /// The same digest for every passphrase (SHA-256 of `label`), so that a record names no
    /// passphrase.
    [[nodiscard]] static digest256 fingerprint(const public_key&) { return sha256(as_bytes(label)); }

    /// A work factor as age writes it: decimal, no sign, no leading zero, 1 to 22.
    /// @throws escrow::error `malformed_header` otherwise.
    [[nodiscard]] static unsigned parse_work_factor(std::string_view s) {
        if (s.empty() || s.size() > 2 || s[0] == '0')
            throw error(errc::malformed_header, "scrypt stanza: the work factor is not a decimal 1 to 22");
        unsigned v = 0;
        for (char c : s) {
            if (c < '0' || c > '9') throw error(errc::malformed_header, "scrypt stanza: the work factor is not decimal");
            v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (v > max_work_factor)
            throw error(errc::malformed_header, "scrypt stanza: work factor " + std::to_string(v) + " is over 22");
        return v;
    }

private:
    static constexpr std::string_view stanza = "scrypt stanza";

    static derived_key derive(const scrypt_passphrase& pass, byte_view salt, unsigned work_factor) {
        bytes full(label.begin(), label.end());
        append(full, salt);
        derived_key out(32);
        CryptoPP::Scrypt kdf;
        kdf.DeriveKey(out.unsafe_mutable_bytes().data(), out.size(), pass.unsafe_bytes().data(), pass.unsafe_bytes().size(),
                      full.data(), full.size(), CryptoPP::word64(1) << work_factor, 8, 1);
        return out;
    }
};

}  // namespace wrap

/// Session keys of 1 to 64 bytes, unwrapped at the host's cipher key size; the fingerprint names
/// no passphrase.
template <>
inline constexpr wrap::options wrap_options<wrap::scrypt> = {
    .min_key_size = 1, .max_key_size = 64, .sized_unwrap = true, .identifies_key = false};

}  // namespace escrow
