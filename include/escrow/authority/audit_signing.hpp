// SPDX-License-Identifier: MIT
/// @file
/// The signed audit head: an Ed25519 key derived from the authority's private key signs the audit
/// chain's last entry, so that a writer of the database alone cannot rewrite the chain unseen,
/// and the signature can be checked elsewhere with the key's public half.
#pragma once

#include <cryptopp/xed25519.h>

#include <array>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "escrow/authority/audit.hpp"
#include "escrow/authority/officer.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/ssh_key.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/detail/byte_reader.hpp"
#include "escrow/detail/rsa_fixed_signature.hpp"
#include "escrow/wrap/rsa_oaep_sha256.hpp"
#include "escrow/wrap/rsa_pkcs1v15.hpp"
#include "escrow/wrap/ssh_rsa.hpp"
#include "escrow/wrap/x25519.hpp"

namespace escrow::authority {

/// The public half of an authority's audit signing key: an Ed25519 key, read and written as
/// SubjectPublicKeyInfo (PEM or DER) like an officer's key.
using audit_public_key = officer_public_key;

/// Where a wrap's private key yields the bytes the audit signing key is derived from.
///
/// The primary template has nothing. A wrap whose key the host holds specialises it with
/// `static private_key_encoding canonical(const typename Wrap::private_key&)`: bytes that depend on
/// the key alone (never on the file it was read from) and that only its holder can compute, in
/// wiped memory. A wrap whose key lives where the host cannot read it (a PKCS#11 token) offers
/// `static std::optional<private_key_encoding> audit_key_material(const private_key&)` itself
/// instead (`audit_key_from_token`): the same bytes, computed where the key is, or nothing when
/// that device will not compute them; its authority's audit head is then unsigned.
template <class Wrap>
struct audit_key_source {};

/// True when `audit_key_source<Wrap>` gives `Wrap`'s private keys a canonical encoding, so that
/// an authority holding such a key signs its audit head.
template <class Wrap>
concept audit_key_derivable = requires(const typename Wrap::private_key& k) {
    { audit_key_source<Wrap>::canonical(k) } -> std::same_as<private_key_encoding>;
};

/// True when `Wrap`'s keys compute their audit key material where they live, and may decline
/// (`Wrap::audit_key_material`, above).
template <class Wrap>
concept audit_key_from_token = requires(const typename Wrap::private_key& k) {
    { Wrap::audit_key_material(k) } -> std::same_as<std::optional<private_key_encoding>>;
};

namespace detail {
/// An X25519 key as "escrow x25519\n" | its scalar clamped as RFC 7748 uses it (scalars that
/// differ only in the bits clamping sets are one key).
[[nodiscard]] inline private_key_encoding canonical_x25519(const x25519_private_key& key) {
    static constexpr std::string_view tag = "escrow x25519\n";
    private_key_encoding out(tag.size() + 32);
    byte* o = out.unsafe_mutable_bytes().data();
    std::memcpy(o, tag.data(), tag.size());
    std::memcpy(o + tag.size(), key.unsafe_bytes().data(), 32);
    o[tag.size()] &= 248;
    o[tag.size() + 31] &= 127;
    o[tag.size() + 31] |= 64;
    return out;
}
}  // namespace detail

/// RSA-OAEP: the key's PKCS#1 v1.5 signature of a fixed message (`detail::rsa_fixed_signature`),
/// which a PKCS#11 token holding the same key computes too, so the audit key does not change when
/// the authority's key moves into a token.
template <>
struct audit_key_source<wrap::rsa_oaep_sha256> {
    /// See `detail::rsa_fixed_signature`.
    [[nodiscard]] static private_key_encoding canonical(const rsa_private_key& k) {
        return escrow::detail::rsa_fixed_signature(k);
    }
};

/// RSA PKCS#1 v1.5: as RSA-OAEP (one RSA key, one authority fingerprint, one audit key).
template <>
struct audit_key_source<wrap::rsa_pkcs1v15> {
    /// See `detail::rsa_fixed_signature`.
    [[nodiscard]] static private_key_encoding canonical(const rsa_private_key& k) {
        return escrow::detail::rsa_fixed_signature(k);
    }
};

/// ssh-rsa: the RSA key inside the OpenSSH one, as for RSA-OAEP.
template <>
struct audit_key_source<wrap::ssh_rsa> {
    /// See `detail::rsa_fixed_signature`.
    [[nodiscard]] static private_key_encoding canonical(const ssh_rsa_private_key& k) {
        return escrow::detail::rsa_fixed_signature(k.rsa());
    }
};

/// X25519: the clamped scalar.
template <>
struct audit_key_source<wrap::x25519> {
    /// See `detail::canonical_x25519`.
    [[nodiscard]] static private_key_encoding canonical(const x25519_private_key& k) { return detail::canonical_x25519(k); }
};

/// Tag of the audit signing key's Ed25519 seed.
struct audit_seed_tag {};

/// The authority's audit signing key: an Ed25519 key whose seed is
/// HKDF-SHA-256(ikm = the authority private key's canonical encoding, salt = the authority
/// fingerprint, info = `label`), 32 bytes. Derived again whenever the authority opens with its
/// private key, so there is no second secret to store; its public half (`public_key()`) is what
/// a verifier elsewhere needs.
class audit_signing_key {
public:
    /// The HKDF info label; a new derivation gets a new label.
    static constexpr std::string_view label = "escrow audit head key v2";

    /// The audit key of the authority whose private key is `key` and whose fingerprint is
    /// `authority_fingerprint`.
    template <class Wrap>
        requires audit_key_derivable<Wrap>
    [[nodiscard]] static audit_signing_key derive(const typename Wrap::private_key& key, const digest256& authority_fingerprint) {
        const private_key_encoding ikm = audit_key_source<Wrap>::canonical(key);
        return audit_signing_key(hkdf_sha256<audit_seed_tag>(ikm.unsafe_bytes(), authority_fingerprint, label, ed25519_seed_size));
    }

    /// The audit key of an authority whose private key is `key`, when its wrap gives one
    /// (`audit_key_derivable`, or `audit_key_from_token` and the device computes the material).
    /// @throws escrow::error `bad_key` when a device's material does not check.
    template <class Wrap>
    [[nodiscard]] static std::optional<audit_signing_key> derive_if(const typename Wrap::private_key& key,
                                                                    const digest256& authority_fingerprint) {
        if constexpr (audit_key_derivable<Wrap>) {
            return derive<Wrap>(key, authority_fingerprint);
        } else if constexpr (audit_key_from_token<Wrap>) {
            std::optional<private_key_encoding> ikm = Wrap::audit_key_material(key);
            if (!ikm) return std::nullopt;
            return audit_signing_key(hkdf_sha256<audit_seed_tag>(ikm->unsafe_bytes(), authority_fingerprint, label, ed25519_seed_size));
        } else {
            return std::nullopt;
        }
    }

    /// The Ed25519 public key that verifies this key's signatures.
    [[nodiscard]] audit_public_key public_key() const {
        return audit_public_key::from_raw(ed25519_seed::public_of(seed_.unsafe_bytes()));
    }

    /// Signs `message` (deterministic Ed25519).
    [[nodiscard]] ed25519_signature sign(byte_view message) const { return ed25519_seed::sign(seed_.unsafe_bytes(), message); }

private:
    explicit audit_signing_key(secret<audit_seed_tag> seed) : seed_(std::move(seed)) {}
    secret<audit_seed_tag> seed_;
};

/// The audit chain's head as the authority signed it, stored in the repository's settings under
/// `meta_keys::audit_head` and exportable as a file.
///
/// Binary encoding, version 1 (integers little-endian), 154 bytes:
///
///     magic "\x89ESCAHD\n" | version u16 = 1 | seq u64 | hash [32]
///     | authority fingerprint [32] | time u64 (Unix seconds) | Ed25519 signature [64]
///
/// The signature covers `signing_domain` followed by the encoding up to the signature.
struct signed_audit_head {
    /// The encoding's format version; other versions are rejected.
    static constexpr std::uint16_t version = 1;
    /// The first 8 bytes of an encoded head.
    static constexpr std::array<byte, 8> magic = {0x89, 'E', 'S', 'C', 'A', 'H', 'D', '\n'};
    /// Prefix of the signed bytes (domain separation from every other Ed25519 use).
    static constexpr std::string_view signing_domain = "escrow/v1 audit head\n";
    /// Size of the encoding, in bytes.
    static constexpr std::size_t encoded_size = 8 + 2 + 8 + 32 + 32 + 8 + 64;

    std::uint64_t seq = 0;              ///< sequence number of the entry signed
    digest256 hash{};                   ///< that entry's hash
    digest256 authority_fingerprint{};  ///< the authority whose log it is
    std::uint64_t time = 0;             ///< when it was signed, Unix seconds
    ed25519_signature signature{};      ///< over `signed_message()`

    /// A head for entry `seq` with hash `hash`, signed with `key`.
    [[nodiscard]] static signed_audit_head sign(std::uint64_t seq, const digest256& hash, const digest256& authority_fingerprint,
                                                std::uint64_t time, const audit_signing_key& key) {
        signed_audit_head h;
        h.seq = seq;
        h.hash = hash;
        h.authority_fingerprint = authority_fingerprint;
        h.time = time;
        h.signature = key.sign(h.signed_message());
        return h;
    }

    /// The bytes the signature covers: `signing_domain`, then the encoding without the signature.
    [[nodiscard]] bytes signed_message() const {
        bytes out(signing_domain.begin(), signing_domain.end());
        append(out, magic);
        le::put<std::uint16_t>(out, version);
        le::put<std::uint64_t>(out, seq);
        append(out, hash);
        append(out, authority_fingerprint);
        le::put<std::uint64_t>(out, time);
        return out;
    }

    /// True when the signature verifies under `key` (strict Ed25519, as officers' signatures).
    [[nodiscard]] bool verifies(const audit_public_key& key) const { return key.verify(signed_message(), signature); }

    /// The encoding above.
    [[nodiscard]] bytes encode() const {
        bytes m = signed_message();
        bytes out(m.begin() + static_cast<std::ptrdiff_t>(signing_domain.size()), m.end());
        append(out, signature);
        return out;
    }

    /// @throws escrow::error `malformed_blob`, `unsupported_version`, `trailing_data`, `limit_exceeded`.
    [[nodiscard]] static signed_audit_head decode(byte_view b) {
        if (b.size() > 1024) throw error(errc::limit_exceeded, "signed audit head larger than 1 KiB");
        escrow::detail::byte_reader r(b, errc::malformed_blob, "signed audit head");
        escrow::detail::expect_magic_and_version(r, magic, version, "a signed audit head");
        signed_audit_head h;
        h.seq = r.u64("sequence number");
        auto hash = r.take(32, "hash");
        std::memcpy(h.hash.data(), hash.data(), 32);
        auto fp = r.take(32, "authority fingerprint");
        std::memcpy(h.authority_fingerprint.data(), fp.data(), 32);
        h.time = r.u64("time");
        auto sig = r.take(64, "signature");
        std::memcpy(h.signature.data(), sig.data(), 64);
        r.expect_end();
        return h;
    }
};

/// Checks a signed head against a chain `verify_chain` accepted, and fills the report's signing
/// fields. `rep` must be valid; it stays valid only when the head is the authority's
/// (`authority_fingerprint`), names an entry of the chain whose hash it carries, and, when `key`
/// is given, its signature verifies under it. Without a signed head the report says "unsigned"
/// and stays valid.
inline void check_signed_head(audit_report& rep, const std::vector<audit_entry>& entries,
                              const std::optional<signed_audit_head>& head, const digest256& authority_fingerprint,
                              const audit_public_key* key) {
    if (!rep.valid) return;
    rep.head_signed = false;
    rep.signature_checked = false;
    rep.signed_seq = 0;
    if (!head) return;
    auto fail = [&](std::string why) {
        rep.valid = false;
        rep.problem = std::move(why);
    };
    if (!constant_time_equal(head->authority_fingerprint, authority_fingerprint))
        return fail("the signed audit head is another authority's (SHA-256 " + hex::encode(head->authority_fingerprint) + ")");
    if (head->seq == 0 || head->seq > entries.size())
        return fail("the signed audit head is entry " + std::to_string(head->seq) + " but the log has " +
                    std::to_string(entries.size()) + " entries (entries were deleted, or the head was edited)");
    if (!constant_time_equal(entries[head->seq - 1].hash, head->hash))
        return fail("audit entry " + std::to_string(head->seq) +
                    ": its hash differs from the signed head's (the chain was rewritten up to there)");
    if (key) {
        if (!head->verifies(*key))
            return fail("the signed audit head's signature does not verify under the audit key (a forged head, or "
                        "the audit key of another authority)");
        rep.signature_checked = true;
    }
    rep.head_signed = true;
    rep.signed_seq = head->seq;
}

/// Checks, elsewhere than at the authority, a chain of `entries` (as the authority's
/// `audit_log()` gives them, oldest first) against the exported signed `head`, with only the
/// authority's audit public key `key`: the chain is intact (`verify_chain`, with its last entry as
/// its head), `head` names one of its entries with that entry's hash, is for
/// `authority_fingerprint`, and its signature verifies under `key`. The report says how many
/// entries follow the signed one (signed by no one).
[[nodiscard]] inline audit_report verify_signed_audit(const std::vector<audit_entry>& entries, const signed_audit_head& head,
                                                      const audit_public_key& key, const digest256& authority_fingerprint) {
    audit_head last;
    if (!entries.empty()) {
        last.seq = entries.back().seq;
        last.hash = entries.back().hash;
    }
    audit_report rep = verify_chain(entries, last);
    check_signed_head(rep, entries, head, authority_fingerprint, &key);
    return rep;
}

/// One line on how far the log is signed: "head signed up to seq N" (with ", M entries after it
/// unsigned" when some are, and a note when the signature was not checked), or "head unsigned".
[[nodiscard]] inline std::string describe_signing(const audit_report& rep) {
    if (!rep.head_signed) return "head unsigned";
    std::string s = "head signed up to seq " + std::to_string(rep.signed_seq);
    if (!rep.signature_checked) s += " (signature not checked: no audit key)";
    if (const std::uint64_t n = rep.entries - rep.signed_seq; rep.entries > rep.signed_seq)
        s += ", " + std::to_string(n) + (n == 1 ? " entry" : " entries") + " after it unsigned";
    return s;
}

}  // namespace escrow::authority
