// SPDX-License-Identifier: MIT
/// @file
/// RSA keys as Microsoft CryptoAPI key blobs: PUBLICKEYBLOB ("RSA1") and PRIVATEKEYBLOB ("RSA2").
#pragma once

#include <cryptopp/integer.h>
#include <cryptopp/misc.h>
#include <cryptopp/rsa.h>
#include <cryptopp/secblock.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/secret.hpp"

namespace escrow::ms_blob {

// Byte layout (all integers little-endian, as CryptoAPI and `openssl rsa -outform MSBLOB` write):
//
//     BLOBHEADER  bType u8 (0x06 public, 0x07 private) | bVersion u8 = 0x02 | reserved u16 = 0
//                 | aiKeyAlg u32 (CALG_RSA_KEYX 0xA400 or CALG_RSA_SIGN 0x2400)
//     RSAPUBKEY   magic u32 ("RSA1" 0x31415352 public, "RSA2" 0x32415352 private)
//                 | bitlen u32 | pubexp u32
//     modulus [bitlen/8]
//     private only: prime1, prime2, exponent1, exponent2, coefficient [bitlen/16 each]
//                   | privateExponent [bitlen/8]
//
// Every number is unsigned little-endian, padded to its field size; bitlen/8 and bitlen/16 round up.

inline constexpr byte type_simple = 0x01;   ///< bType of a SIMPLEBLOB
inline constexpr byte type_public = 0x06;   ///< bType of a PUBLICKEYBLOB
inline constexpr byte type_private = 0x07;  ///< bType of a PRIVATEKEYBLOB
inline constexpr byte blob_version = 0x02;  ///< CUR_BLOB_VERSION
inline constexpr std::uint32_t calg_rsa_keyx = 0xA400;  ///< ALG_ID CALG_RSA_KEYX: an RSA key-exchange key
inline constexpr std::uint32_t calg_rsa_sign = 0x2400;  ///< ALG_ID CALG_RSA_SIGN: an RSA signature key
inline constexpr std::uint32_t magic_rsa1 = 0x31415352;  ///< RSAPUBKEY magic "RSA1" (little-endian): a public key
inline constexpr std::uint32_t magic_rsa2 = 0x32415352;  ///< RSAPUBKEY magic "RSA2" (little-endian): a private key
inline constexpr std::size_t header_size = 8 + 12;  ///< BLOBHEADER + RSAPUBKEY

/// Tag of a serialised private key (a PRIVATEKEYBLOB).
struct private_key_blob_tag {};
/// A PRIVATEKEYBLOB: secret bytes, wiped on destruction.
using private_key_blob = secret<private_key_blob_tag>;

namespace detail {

inline std::size_t full_bytes(std::uint32_t bits) { return (bits + 7) / 8; }
inline std::size_t half_bytes(std::uint32_t bits) { return (bits + 15) / 16; }

// Writes `v` little-endian into exactly `n` bytes at `out`; the number must fit.
inline void put_le(byte* out, std::size_t n, const CryptoPP::Integer& v) {
    if (v.MinEncodedSize() > n) throw error(errc::bad_key, "RSA key component larger than its key blob field");
    v.Encode(out, n);  // big-endian, zero-padded on the left
    std::reverse(out, out + n);
}

inline CryptoPP::Integer get_le(byte_view b) {
    return CryptoPP::Integer(b.data(), b.size(), CryptoPP::Integer::UNSIGNED, CryptoPP::LITTLE_ENDIAN_ORDER);
}

inline void put_header(byte* out, byte type, std::uint32_t magic, std::uint32_t bits, std::uint32_t e) {
    bytes h;
    h.push_back(type);
    h.push_back(blob_version);
    le::put<std::uint16_t>(h, 0);
    le::put<std::uint32_t>(h, calg_rsa_keyx);
    le::put<std::uint32_t>(h, magic);
    le::put<std::uint32_t>(h, bits);
    le::put<std::uint32_t>(h, e);
    std::copy(h.begin(), h.end(), out);
}

struct parsed_header {
    std::uint32_t bits;
    std::uint32_t exponent;
};

// Checks the BLOBHEADER and RSAPUBKEY of a blob of type `type`, and that the blob has exactly
// `expected(bits)` bytes. The bit length is bounded before any size is computed from it.
template <class Size>
parsed_header check_header(byte_view b, byte type, std::uint32_t magic, const char* what, Size expected) {
    if (b.size() < header_size)
        throw error(errc::bad_key, std::string(what) + ": " + std::to_string(b.size()) + " bytes, shorter than its 20-byte header");
    if (b[0] != type)
        throw error(errc::bad_key, std::string(what) + ": bType 0x" + hex::encode(b.first(1)) + ", expected 0x" +
                                       hex::encode(byte_view(&type, 1)));
    if (b[1] != blob_version)
        throw error(errc::bad_key, std::string(what) + ": bVersion " + std::to_string(b[1]) + ", expected 2");
    if (le::get<std::uint16_t>(b.data() + 2) != 0) throw error(errc::bad_key, std::string(what) + ": reserved field is not 0");
    std::uint32_t alg = le::get<std::uint32_t>(b.data() + 4);
    if (alg != calg_rsa_keyx && alg != calg_rsa_sign)
        throw error(errc::bad_key, std::string(what) + ": aiKeyAlg is not CALG_RSA_KEYX (0xA400) or CALG_RSA_SIGN (0x2400)");
    if (le::get<std::uint32_t>(b.data() + 8) != magic)
        throw error(errc::bad_key, std::string(what) + ": RSAPUBKEY magic is not " + (magic == magic_rsa1 ? "RSA1" : "RSA2"));
    parsed_header h{le::get<std::uint32_t>(b.data() + 12), le::get<std::uint32_t>(b.data() + 16)};
    if (h.bits < 512 || h.bits > rsa_max_bits)
        throw error(errc::bad_key, std::string(what) + ": bitlen " + std::to_string(h.bits) + " outside 512 to 16384");
    std::size_t want = header_size + expected(h.bits);
    if (b.size() != want)
        throw error(errc::bad_key, std::string(what) + ": " + std::to_string(b.size()) + " bytes, expected " +
                                       std::to_string(want) + " for a " + std::to_string(h.bits) + "-bit key");
    return h;
}

inline void check_modulus_bits(const CryptoPP::Integer& n, std::uint32_t bits, const char* what) {
    if (n.BitCount() != bits)
        throw error(errc::bad_key, std::string(what) + ": the modulus has " + std::to_string(n.BitCount()) +
                                       " bits but bitlen says " + std::to_string(bits));
}

}  // namespace detail

/// True when `content` starts like a PUBLICKEYBLOB (type, version and "RSA1" magic).
[[nodiscard]] inline bool looks_like_public_key_blob(byte_view content) noexcept {
    return content.size() >= header_size && content[0] == type_public && content[1] == blob_version &&
           le::get<std::uint32_t>(content.data() + 8) == magic_rsa1;
}

/// True when `content` starts like a PRIVATEKEYBLOB (type, version and "RSA2" magic).
[[nodiscard]] inline bool looks_like_private_key_blob(byte_view content) noexcept {
    return content.size() >= header_size && content[0] == type_private && content[1] == blob_version &&
           le::get<std::uint32_t>(content.data() + 8) == magic_rsa2;
}

/// The PUBLICKEYBLOB of `pub` (aiKeyAlg CALG_RSA_KEYX).
/// @throws escrow::error `bad_key` when the public exponent does not fit the blob's 32-bit field.
[[nodiscard]] inline bytes public_key_blob(const rsa_public_key& pub) {
    const auto& k = pub.cryptopp();
    if (k.GetPublicExponent().BitCount() > 32)
        throw error(errc::bad_key, "PUBLICKEYBLOB: the public exponent does not fit in 32 bits");
    const auto bits = static_cast<std::uint32_t>(k.GetModulus().BitCount());
    bytes out(header_size + detail::full_bytes(bits));
    detail::put_header(out.data(), type_public, magic_rsa1, bits,
                       static_cast<std::uint32_t>(k.GetPublicExponent().ConvertToLong()));
    detail::put_le(out.data() + header_size, detail::full_bytes(bits), k.GetModulus());
    return out;
}

/// The PRIVATEKEYBLOB of `priv` (aiKeyAlg CALG_RSA_KEYX), in wiped memory.
/// @throws escrow::error `bad_key` when the public exponent does not fit the blob's 32-bit field.
[[nodiscard]] inline private_key_blob unsafe_private_key_blob(const rsa_private_key& priv) {
    const auto& k = priv.cryptopp();
    if (k.GetPublicExponent().BitCount() > 32)
        throw error(errc::bad_key, "PRIVATEKEYBLOB: the public exponent does not fit in 32 bits");
    const auto bits = static_cast<std::uint32_t>(k.GetModulus().BitCount());
    const std::size_t full = detail::full_bytes(bits), half = detail::half_bytes(bits);
    private_key_blob out(header_size + 2 * full + 5 * half);
    byte* p = out.unsafe_mutable_bytes().data();
    detail::put_header(p, type_private, magic_rsa2, bits, static_cast<std::uint32_t>(k.GetPublicExponent().ConvertToLong()));
    p += header_size;
    detail::put_le(p, full, k.GetModulus()), p += full;
    detail::put_le(p, half, k.GetPrime1()), p += half;
    detail::put_le(p, half, k.GetPrime2()), p += half;
    detail::put_le(p, half, k.GetModPrime1PrivateExponent()), p += half;
    detail::put_le(p, half, k.GetModPrime2PrivateExponent()), p += half;
    // CryptoAPI's coefficient is q^-1 mod p (PKCS#1 qInv), which is Crypto++'s MultiplicativeInverseOfPrime2ModPrime1.
    detail::put_le(p, half, k.GetMultiplicativeInverseOfPrime2ModPrime1()), p += half;
    detail::put_le(p, full, k.GetPrivateExponent());
    return out;
}

/// Parses a PUBLICKEYBLOB. @throws escrow::error `bad_key` naming what is wrong (type, version,
/// algorithm, magic, bit length, size, or a key that fails validation).
[[nodiscard]] inline rsa_public_key public_key_from_blob(byte_view b) {
    auto h = detail::check_header(b, type_public, magic_rsa1, "PUBLICKEYBLOB",
                                  [](std::uint32_t bits) { return detail::full_bytes(bits); });
    CryptoPP::Integer n = detail::get_le(b.subspan(header_size));
    detail::check_modulus_bits(n, h.bits, "PUBLICKEYBLOB");
    CryptoPP::RSA::PublicKey k;
    k.Initialize(n, CryptoPP::Integer(static_cast<unsigned long>(h.exponent)));
    return rsa_public_key(std::move(k));
}

/// Parses a PRIVATEKEYBLOB. The key is validated (primes, exponents and coefficient consistent).
/// @throws escrow::error `bad_key` naming what is wrong.
[[nodiscard]] inline rsa_private_key private_key_from_blob(byte_view b) {
    auto h = detail::check_header(b, type_private, magic_rsa2, "PRIVATEKEYBLOB", [](std::uint32_t bits) {
        return 2 * detail::full_bytes(bits) + 5 * detail::half_bytes(bits);
    });
    const std::size_t full = detail::full_bytes(h.bits), half = detail::half_bytes(h.bits);
    byte_view p = b.subspan(header_size);
    auto next = [&](std::size_t n) {
        auto v = detail::get_le(p.first(n));
        p = p.subspan(n);
        return v;
    };
    CryptoPP::Integer n = next(full), p1 = next(half), p2 = next(half), d1 = next(half), d2 = next(half), u = next(half),
                      d = next(full);
    detail::check_modulus_bits(n, h.bits, "PRIVATEKEYBLOB");
    if (p1 * p2 != n) throw error(errc::bad_key, "PRIVATEKEYBLOB: prime1 * prime2 is not the modulus");
    CryptoPP::RSA::PrivateKey k;
    k.Initialize(n, CryptoPP::Integer(static_cast<unsigned long>(h.exponent)), d, p1, p2, d1, d2, u);
    try {
        return rsa_private_key(std::move(k));
    } catch (const error&) {
        throw error(errc::bad_key, "PRIVATEKEYBLOB: the RSA key fails validation (inconsistent components)");
    }
}

/// Loads a public key file's content: PEM, DER, or a PUBLICKEYBLOB, told apart by the content.
[[nodiscard]] inline rsa_public_key load_public_key(byte_view content) {
    return looks_like_public_key_blob(content) ? public_key_from_blob(content) : rsa_public_key::load(content);
}

/// Loads a private key file's content: PEM, DER, or a PRIVATEKEYBLOB, told apart by the content.
[[nodiscard]] inline rsa_private_key load_private_key(byte_view content) {
    return looks_like_private_key_blob(content) ? private_key_from_blob(content) : rsa_private_key::load(content);
}

}  // namespace escrow::ms_blob
