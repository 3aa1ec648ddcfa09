// SPDX-License-Identifier: MIT
/// @file
/// OpenSSH RSA keys: `ssh-rsa AAAA…` public key lines, the SSH wire format (RFC 4253 §6.6), and
/// unencrypted private keys in the openssh-key-v1 format `ssh-keygen` writes by default (or PEM).
#pragma once

#include <cryptopp/integer.h>
#include <cryptopp/misc.h>
#include <cryptopp/rsa.h>

#include <string>
#include <string_view>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/detail/key_file_lines.hpp"

namespace escrow {

namespace ssh {

/// Appends an SSH `string`: u32 big-endian length, then the bytes.
inline void put_string(bytes& out, byte_view s) {
    be::put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
    append(out, s);
}

/// Appends an SSH `mpint` (a non-negative integer): minimal big-endian two's complement.
inline void put_mpint(bytes& out, const CryptoPP::Integer& v) {
    std::size_t n = v.MinEncodedSize(CryptoPP::Integer::UNSIGNED);
    if (v.IsZero()) n = 0;
    bool pad = n > 0 && v.GetByte(n - 1) & 0x80;
    bytes b(n + (pad ? 1 : 0));
    if (n) v.Encode(b.data() + (pad ? 1 : 0), n, CryptoPP::Integer::UNSIGNED);
    put_string(out, b);
}

/// Reads SSH wire fields (big-endian), throwing `bad_key` naming what ran short.
class wire_reader {
public:
    /// Reads `data`, naming it `what` in errors; `data` must outlive the reader.
    wire_reader(byte_view data, std::string_view what) noexcept : data_(data), what_(what) {}

    /// Throws `bad_key` "`what`: `why`".
    [[noreturn]] void fail(const std::string& why) const { throw error(errc::bad_key, std::string(what_) + ": " + why); }

    /// Reads a big-endian uint32 named `field`. @throws escrow::error `bad_key` when fewer than 4
    /// bytes remain.
    [[nodiscard]] std::uint32_t u32(std::string_view field) {
        if (data_.size() - pos_ < 4) fail(std::string(field) + " runs past the end");
        auto v = be::get<std::uint32_t>(data_.data() + pos_);
        pos_ += 4;
        return v;
    }
    /// Reads an SSH string (uint32 length, then bytes) named `field`, as a view into the data.
    /// @throws escrow::error `bad_key` when it runs past the end.
    [[nodiscard]] byte_view string(std::string_view field) {
        std::size_t n = u32(field);
        if (n > data_.size() - pos_) fail(std::string(field) + " runs past the end");
        byte_view s = data_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    /// A positive mpint of at most `max_bits` bits, minimally encoded.
    [[nodiscard]] CryptoPP::Integer mpint(std::string_view field, unsigned max_bits = 16384 + 8) {
        byte_view s = string(field);
        if (s.size() > max_bits / 8 + 1) fail(std::string(field) + " is too large");
        if (s.empty()) return CryptoPP::Integer::Zero();
        if (s[0] & 0x80) fail(std::string(field) + " is negative");
        if (s[0] == 0 && (s.size() == 1 || !(s[1] & 0x80))) fail(std::string(field) + " is not minimally encoded");
        return CryptoPP::Integer(s.data(), s.size(), CryptoPP::Integer::UNSIGNED);
    }
    /// Bytes not read yet.
    [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
    /// The bytes not read yet, as a view.
    [[nodiscard]] byte_view rest() const noexcept { return data_.subspan(pos_); }

private:
    byte_view data_;
    std::size_t pos_ = 0;
    std::string_view what_;
};

/// `s` cut to 40 characters, anything but printable ASCII as '?': untrusted text for a message.
[[nodiscard]] inline std::string printable(std::string_view s) { return text::shown(s, 40, text::spaces::refused); }

/// The key type an OpenSSH public key line (`ssh-ed25519 AAAA… comment`) names: its first word.
[[nodiscard]] constexpr std::string_view line_type(std::string_view line) noexcept {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    return line.substr(0, line.find(' '));
}

/// The wire encoding an OpenSSH public key line holds, decoded from its base64 second word.
/// @throws escrow::error `bad_key` for a line without a key, or a key that is not base64.
[[nodiscard]] inline bytes line_key(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) throw error(errc::bad_key, "OpenSSH public key line without the key");
    std::string_view rest = line.substr(sp + 1);
    try {
        return base64::decode(rest.substr(0, rest.find(' ')), true);
    } catch (const error&) {
        throw error(errc::bad_key, "OpenSSH public key: the key is not base64");
    }
}

/// The one key line of a `.pub` file: blank and `#` lines ignored.
/// @throws escrow::error `bad_key` for none or several.
[[nodiscard]] inline std::string_view single_key_line(byte_view content) {
    std::vector<std::string_view> lines = detail::key_file_lines(content);
    if (lines.size() != 1)
        throw error(errc::bad_key, lines.empty() ? "no OpenSSH public key line in the file"
                                                 : "the file holds " + std::to_string(lines.size()) + " key lines; give one");
    return lines.front();
}

/// True when `content` holds an OpenSSH-format private key (`-----BEGIN OPENSSH PRIVATE KEY-----`).
[[nodiscard]] inline bool is_openssh_private_key(byte_view content) {
    std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
    return text.find("-----BEGIN OPENSSH PRIVATE KEY-----") != std::string_view::npos;
}

/// The decoded openssh-key-v1 structure of an OpenSSH private key file; the caller wipes it.
/// @throws escrow::error `bad_key` for another PEM label, and the PEM decoder's errors.
[[nodiscard]] inline bytes openssh_private_der(byte_view content) {
    auto block = pem::decode(std::string_view(reinterpret_cast<const char*>(content.data()), content.size()));
    if (block.label != "OPENSSH PRIVATE KEY") {
        scoped_wipe wipe(block.der);
        throw error(errc::bad_key, "not an OpenSSH private key");
    }
    return std::move(block.der);
}

/// The magic that opens an openssh-key-v1 structure, its NUL included.
inline constexpr std::string_view key_v1_magic{"openssh-key-v1\0", 15};

/// The two parts of an unencrypted openssh-key-v1 structure that holds one key (OpenSSH
/// PROTOCOL.key), as views into it.
struct openssh_key_v1 {
    byte_view public_wire;      ///< the public key's wire encoding
    byte_view private_section;  ///< check integers, key type, key fields, comment, padding
};

/// Splits an openssh-key-v1 structure. @throws escrow::error `bad_key` (a passphrase-protected
/// key is named as such).
[[nodiscard]] inline openssh_key_v1 open_key_v1(byte_view blob) {
    if (blob.size() < key_v1_magic.size() || to_string(blob.first(key_v1_magic.size())) != key_v1_magic)
        throw error(errc::bad_key, "OpenSSH private key: bad magic");
    wire_reader r(blob.subspan(key_v1_magic.size()), "OpenSSH private key");
    std::string cipher = to_string(r.string("cipher name"));
    std::string kdf = to_string(r.string("KDF name"));
    (void)r.string("KDF options");
    if (cipher != "none" || kdf != "none")
        throw error(errc::bad_key, "the OpenSSH private key is passphrase-protected; decrypt it first "
                                   "(ssh-keygen -p -N '' -f KEY, on a copy)");
    if (r.u32("key count") != 1) r.fail("holds more than one key");
    openssh_key_v1 out;
    out.public_wire = r.string("public key");
    out.private_section = r.string("private section");
    if (r.remaining()) r.fail("trailing bytes");
    return out;
}

/// The key type an openssh-key-v1 structure holds ("ssh-rsa", "ssh-ed25519"), read from its
/// public key. @throws escrow::error `bad_key` as `open_key_v1`.
[[nodiscard]] inline std::string key_v1_type(byte_view blob) {
    wire_reader r(open_key_v1(blob).public_wire, "OpenSSH private key");
    return to_string(r.string("public key type"));
}

/// Reads the start of a private section: the two check integers (equal in an unencrypted key),
/// then the key type, returned.
[[nodiscard]] inline std::string begin_private_section(wire_reader& p) {
    if (p.u32("check") != p.u32("check")) p.fail("check integers differ (corrupt or encrypted key)");
    return to_string(p.string("key type"));
}

/// Reads the end of a private section: the comment, then the padding 1, 2, 3… (under 8 bytes).
inline void end_private_section(wire_reader& p) {
    (void)p.string("comment");
    byte_view pad = p.rest();
    if (pad.size() >= 8) p.fail("too much padding");
    for (std::size_t i = 0; i < pad.size(); ++i)
        if (pad[i] != i + 1) p.fail("bad padding");
}

/// The OpenSSH key type name of RSA keys.
inline constexpr std::string_view rsa_type = "ssh-rsa";

/// The SSH wire encoding of an RSA public key: string "ssh-rsa", mpint e, mpint n.
[[nodiscard]] inline bytes rsa_wire(const CryptoPP::RSA::PublicKey& k) {
    bytes out;
    put_string(out, as_bytes(rsa_type));
    put_mpint(out, k.GetPublicExponent());
    put_mpint(out, k.GetModulus());
    return out;
}

}  // namespace ssh

/// An OpenSSH RSA public key (what an `id_rsa.pub` line holds).
class ssh_rsa_public_key {
public:
    /// From an RSA public key.
    explicit ssh_rsa_public_key(rsa_public_key k) : key_(std::move(k)), wire_(ssh::rsa_wire(key_.cryptopp())) {}

    /// Parses the SSH wire encoding. @throws escrow::error `bad_key`.
    [[nodiscard]] static ssh_rsa_public_key from_wire(byte_view wire) {
        ssh::wire_reader r(wire, "ssh-rsa public key");
        auto type = r.string("key type");
        if (to_string(type) != ssh::rsa_type)
            throw error(errc::bad_key, "OpenSSH key of type '" + ssh::printable(to_string(type)) +
                                           "': not an ssh-rsa key (age's SSH recipients are ssh-rsa and ssh-ed25519)");
        CryptoPP::Integer e = r.mpint("exponent", 64 * 8), n = r.mpint("modulus");
        if (r.remaining()) r.fail("trailing bytes");
        CryptoPP::RSA::PublicKey k;
        k.Initialize(n, e);
        ssh_rsa_public_key out{rsa_public_key(std::move(k))};
        if (!constant_time_equal(out.wire_, wire)) r.fail("not in canonical form");
        return out;
    }

    /// Parses a public key line, `ssh-rsa <base64> [comment]`. @throws escrow::error `bad_key`.
    [[nodiscard]] static ssh_rsa_public_key parse(std::string_view line) {
        const std::string_view type = ssh::line_type(line);
        if (type != ssh::rsa_type) {
            if (type.starts_with("ssh-") || type.starts_with("ecdsa-") || type.starts_with("sk-"))
                throw error(errc::bad_key, "OpenSSH key of type '" + ssh::printable(type) +
                                               "': not an ssh-rsa key (age's SSH recipients are ssh-rsa and ssh-ed25519)");
            throw error(errc::bad_key, "not an OpenSSH public key line ('ssh-rsa AAAA...')");
        }
        return from_wire(ssh::line_key(line));
    }

    /// Loads a `.pub` file: blank and `#` lines ignored, exactly one key line.
    [[nodiscard]] static ssh_rsa_public_key load(byte_view content) { return parse(ssh::single_key_line(content)); }

    /// `ssh-rsa <base64>` (no comment).
    [[nodiscard]] std::string str() const { return std::string(ssh::rsa_type) + " " + base64::encode(wire_, true); }
    /// The SSH wire encoding.
    [[nodiscard]] byte_view wire() const noexcept { return wire_; }
    /// SHA-256 of the wire encoding (what `ssh-keygen -l` prints in base64): the fingerprint in records.
    [[nodiscard]] digest256 fingerprint() const { return sha256(wire_); }
    /// The RSA key.
    [[nodiscard]] const rsa_public_key& rsa() const noexcept { return key_; }
    /// Modulus size in bits.
    [[nodiscard]] unsigned bits() const { return key_.bits(); }

private:
    rsa_public_key key_;
    bytes wire_;
};

/// An RSA private key for age's ssh-rsa recipient, with its OpenSSH public key. Move-only, with
/// `clone()`, as `rsa_private_key`.
class ssh_rsa_private_key {
public:
    /// Takes `k` over as an OpenSSH ssh-rsa key.
    explicit ssh_rsa_private_key(rsa_private_key k) : key_(std::move(k)), pub_(key_.public_key()) {}

    /// Loads a private key file: the openssh-key-v1 format (`-----BEGIN OPENSSH PRIVATE KEY-----`,
    /// what `ssh-keygen -t rsa` writes), unencrypted; or PEM/DER as `rsa_private_key::load` reads.
    /// @throws escrow::error `bad_key`, with a clear word for a passphrase-protected key.
    [[nodiscard]] static ssh_rsa_private_key load(byte_view content) {
        if (!ssh::is_openssh_private_key(content)) return ssh_rsa_private_key(rsa_private_key::load(content));
        bytes der = ssh::openssh_private_der(content);
        scoped_wipe wipe(der);
        return from_openssh(der);
    }

    /// Parses the decoded openssh-key-v1 structure (OpenSSH PROTOCOL.key). @throws escrow::error `bad_key`.
    [[nodiscard]] static ssh_rsa_private_key from_openssh(byte_view blob) {
        const ssh::openssh_key_v1 v1 = ssh::open_key_v1(blob);
        ssh::wire_reader p(v1.private_section, "OpenSSH private key");
        if (ssh::begin_private_section(p) != ssh::rsa_type)
            throw error(errc::bad_key, "the OpenSSH private key is not an RSA key: only ssh-rsa keys are supported");
        CryptoPP::Integer n = p.mpint("n"), e = p.mpint("e", 64 * 8), d = p.mpint("d"), iqmp = p.mpint("iqmp"),
                          pp = p.mpint("p"), q = p.mpint("q");
        ssh::end_private_section(p);
        // Primes below 2 would divide by zero in the CRT exponents below (p = 1 makes p - 1 zero),
        // and Crypto++ reports that with an exception of its own, not an escrow::error.
        const CryptoPP::Integer two(2);
        if (pp < two || q < two || n != pp * q) p.fail("n is not the product of two primes p * q");
        if (e.IsZero() || d.IsZero()) p.fail("e or d is zero");
        CryptoPP::RSA::PrivateKey k;
        k.Initialize(n, e, d, pp, q, d % (pp - 1), d % (q - 1), q.InverseMod(pp));
        (void)iqmp;
        ssh_rsa_private_key out{rsa_private_key(std::move(k))};
        if (!constant_time_equal(out.pub_.wire(), v1.public_wire)) p.fail("the public key does not match the private key");
        return out;
    }

    /// A second copy of the key (move-only, as `rsa_private_key`).
    [[nodiscard]] ssh_rsa_private_key clone() const { return ssh_rsa_private_key(key_.clone()); }

    /// The matching OpenSSH public key.
    [[nodiscard]] const ssh_rsa_public_key& public_key() const noexcept { return pub_; }
    /// The RSA key.
    [[nodiscard]] const rsa_private_key& rsa() const noexcept { return key_; }
    /// Modulus size in bits.
    [[nodiscard]] unsigned bits() const { return key_.bits(); }

private:
    rsa_private_key key_;
    ssh_rsa_public_key pub_;
};

}  // namespace escrow
