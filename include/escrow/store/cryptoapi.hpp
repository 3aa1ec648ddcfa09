// SPDX-License-Identifier: MIT
/// @file
/// `escrow::store::cryptoapi`: SIMPLEBLOBs and the file layout of Microsoft's "Encrypting a File"
/// sample, byte-compatible with CryptoAPI (docs/format.md). Unauthenticated by design.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/detail/byte_reader.hpp"
#include "escrow/store/concept.hpp"
#include "escrow/wrap/rsa_pkcs1v15.hpp"

namespace escrow::store {

/// The CryptoAPI format. Byte layout (integers little-endian):
///
///     blob length u32 | SIMPLEBLOB | CryptEncrypt's output (the payload)
///
///     SIMPLEBLOB = BLOBHEADER { bType u8 = 0x01 | bVersion u8 = 0x02 | reserved u16 = 0
///                               | aiKeyAlg u32 = CALG_AES_128 0x660E, CALG_AES_192 0x660F or
///                                 CALG_AES_256 0x6610 }
///                  | algid u32 = CALG_RSA_KEYX 0xA400
///                  | the PKCS#1 v1.5 RSA block, least significant byte first (reversed)
///
/// A file carries one SIMPLEBLOB, the owner's, as CryptoAPI's sample does; the authorities' blobs
/// travel only in their escrow records, each a real SIMPLEBLOB under the authority's key (so
/// CryptImportKey takes it as is). Nothing is authenticated: `verify_header` has nothing to check
/// and accepts any key of the cipher's size; a wrong key shows only as bad padding at the end of
/// the payload (docs/threat-model.md).
struct cryptoapi {
    /// The store's name, as in `--format cryptoapi`.
    static constexpr std::string_view name = "cryptoapi";
    /// The store's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0302;
    /// BLOBHEADER bType of a SIMPLEBLOB.
    static constexpr byte simpleblob_type = 0x01;
    /// BLOBHEADER bVersion (CUR_BLOB_VERSION).
    static constexpr byte blob_version = 0x02;
    /// ALG_ID of the wrapping key in a SIMPLEBLOB: CALG_RSA_KEYX.
    static constexpr std::uint32_t calg_rsa_keyx = 0xA400;
    static constexpr std::size_t simpleblob_header_size = 12;  ///< BLOBHEADER + algid
    static constexpr std::size_t min_rsa_block = 2048 / 8;      ///< the wrap's smallest key
    static constexpr std::size_t max_rsa_block = 16384 / 8;     ///< the library's largest key

    /// The AES key size in bits that a SIMPLEBLOB's aiKeyAlg names, or 0 when it names none.
    [[nodiscard]] static constexpr unsigned aes_bits_of(std::uint32_t calg) noexcept {
        switch (calg) {
            case 0x660E: return 128;
            case 0x660F: return 192;
            case 0x6610: return 256;
        }
        return 0;
    }

    /// What the format carries, its one compatibility rule: a cipher that CryptoAPI names by an AES
    /// ALG_ID in the SIMPLEBLOB (`C::calg`: CryptEncrypt's CBC, `legacy::cryptoapi_aes_cbc<Bits>`)
    /// with the SIMPLEBLOB's CALG_RSA_KEYX wrap (`wrap::rsa_pkcs1v15`, or a wrap of its format,
    /// `wrap_format`), and nothing else: CryptoAPI could not read anything else.
    template <class C, class W>
    static constexpr bool carries = [] {
        if constexpr (requires { { C::calg } -> std::convertible_to<std::uint32_t>; })
            return aes_bits_of(C::calg) != 0 && std::is_same_v<wrap_format_t<W>, wrap::rsa_pkcs1v15>;
        else
            return false;
    }();

    /// The AES size a CryptoAPI file names, from its first 16 bytes; `std::nullopt` unless they
    /// read exactly as this format writes them (blob length = 12 + an RSA block of 256 to 2048
    /// bytes, bType 1, version 2, reserved 0, an AES ALG_ID, CALG_RSA_KEYX). Lets a tool pick
    /// `cryptoapi_encryptor<Bits>` and recognise the format.
    [[nodiscard]] static std::optional<unsigned> peek_aes_bits(byte_view head) noexcept {
        if (head.size() < 16) return std::nullopt;
        const std::uint32_t len = le::get<std::uint32_t>(head.data());
        if (len < simpleblob_header_size + min_rsa_block || len > simpleblob_header_size + max_rsa_block) return std::nullopt;
        if (head[4] != simpleblob_type || head[5] != blob_version || head[6] != 0 || head[7] != 0) return std::nullopt;
        if (le::get<std::uint32_t>(head.data() + 12) != calg_rsa_keyx) return std::nullopt;
        unsigned bits = aes_bits_of(le::get<std::uint32_t>(head.data() + 8));
        if (!bits) return std::nullopt;
        return bits;
    }

    // ---- blobs -------------------------------------------------------------------------------

    /// The SIMPLEBLOB of a wrapped key: BLOBHEADER, CALG_RSA_KEYX, the RSA block reversed.
    template <class C, class W>
    [[nodiscard]] static bytes encode_blob(const wrapped_key& w) {
        if (!w.args.empty()) throw error(errc::invalid_argument, "a SIMPLEBLOB carries no wrapped-key arguments");
        if (w.body.size() < min_rsa_block || w.body.size() > max_rsa_block)
            throw error(errc::limit_exceeded, "SIMPLEBLOB: RSA block of " + std::to_string(w.body.size()) +
                                                  " bytes (256 to 2048 supported)");
        bytes out;
        out.push_back(simpleblob_type);
        out.push_back(blob_version);
        le::put<std::uint16_t>(out, 0);
        le::put<std::uint32_t>(out, C::calg);
        le::put<std::uint32_t>(out, calg_rsa_keyx);
        out.insert(out.end(), w.body.rbegin(), w.body.rend());
        return out;
    }

    /// Parses a SIMPLEBLOB made for cipher `C`.
    /// @throws escrow::error `malformed_blob` (type, version, reserved field, algorithm, size),
    /// `unknown_policy_id` (a SIMPLEBLOB for another AES size: the message names the preset).
    template <class C, class W>
    [[nodiscard]] static wrapped_key decode_blob(byte_view b) {
        detail::byte_reader r(b, errc::malformed_blob, "SIMPLEBLOB");
        if (b.size() < simpleblob_header_size)
            r.fail(std::to_string(b.size()) + " bytes, shorter than its 12-byte header");
        if (auto t = r.u8("bType"); t != simpleblob_type)
            r.fail("bType " + std::to_string(t) + ", expected 1 (SIMPLEBLOB)");
        if (auto v = r.u8("bVersion"); v != blob_version) r.fail("bVersion " + std::to_string(v) + ", expected 2");
        if (r.u16("reserved") != 0) r.fail("the reserved field is not 0");
        const std::uint32_t alg = r.u32("aiKeyAlg");
        if (alg != C::calg) {
            if (unsigned bits = aes_bits_of(alg))
                throw error(errc::unknown_policy_id,
                            "SIMPLEBLOB: the session key is AES-" + std::to_string(bits) +
                                ", open it with escrow::legacy::cryptoapi_encryptor<" + std::to_string(bits) + "> (this is " +
                                std::string(C::name) + ")");
            r.fail("aiKeyAlg 0x" + hex32(alg) + ", expected CALG_AES_" + std::to_string(aes_bits_of(C::calg)) + " 0x" +
                   hex32(C::calg));
        }
        if (auto k = r.u32("algid"); k != calg_rsa_keyx) r.fail("algid 0x" + hex32(k) + ", expected CALG_RSA_KEYX 0xA400");
        const std::size_t n = r.remaining();
        if (n < min_rsa_block || n > max_rsa_block)
            r.fail("RSA block of " + std::to_string(n) + " bytes (256 to 2048, for RSA keys of 2048 to 16384 bits)");
        auto block = r.take(n, "RSA block");
        wrapped_key w;
        w.body.assign(block.rbegin(), block.rend());
        return w;
    }

    // ---- headers -----------------------------------------------------------------------------

    /// Writes the blob length and the owner's SIMPLEBLOB; the other recipients are not written
    /// (their blobs go into escrow records). Fills `authenticated` with the bytes written and
    /// leaves `mac` empty.
    /// @throws escrow::error `invalid_argument` when `h` names no owner recipient, `bad_key` for a
    /// session key of another size than the cipher's.
    template <class C, class W, byte_sink Sink>
    static void write_header(Sink& sink, file_header& h, const session_key& key) {
        if (key.size() != C::key_size) throw error(errc::bad_key, "session key size does not match the cipher");
        auto owner = std::find_if(h.recipients.begin(), h.recipients.end(),
                                  [](const recipient_entry& e) { return e.role == recipient_role::owner; });
        if (owner == h.recipients.end()) throw error(errc::invalid_argument, "a CryptoAPI file needs an owner recipient");
        bytes blob = encode_blob<C, W>(owner->key);
        bytes out;
        le::put<std::uint32_t>(out, static_cast<std::uint32_t>(blob.size()));
        append(out, blob);
        h.cipher_id = C::id;
        h.wrap_id = W::id;
        h.nonce.clear();
        h.authenticated = out;
        h.mac.clear();
        sink.write(out);
    }

    /// Reads the blob length and the SIMPLEBLOB, bounded before allocating; leaves the source at
    /// the payload. The one recipient is the owner's.
    /// @throws escrow::error `malformed_header` (not this format), `truncated` (input ends in the
    /// header), `malformed_blob`, `unknown_policy_id` (another AES size).
    template <class C, class W, byte_source Source>
    [[nodiscard]] static file_header read_header(Source& src) {
        byte prefix[4];
        if (std::size_t got = src.read(prefix); got != sizeof prefix)
            throw error(got == 0 ? errc::malformed_header : errc::truncated,
                        got == 0 ? "not a CryptoAPI file: the input is empty" : "CryptoAPI file: input ended inside the blob length");
        const std::uint32_t len = le::get<std::uint32_t>(prefix);
        if (len < simpleblob_header_size + min_rsa_block || len > simpleblob_header_size + max_rsa_block)
            throw error(errc::malformed_header, "not a CryptoAPI file: blob length " + std::to_string(len) +
                                                    " outside 268 to 2060 (a SIMPLEBLOB for RSA-2048 to RSA-16384)");
        bytes blob(len);
        read_exact(src, blob, "CryptoAPI SIMPLEBLOB");
        file_header h;
        h.cipher_id = C::id;
        h.wrap_id = W::id;
        h.recipients.push_back({recipient_role::owner, decode_blob<C, W>(blob), {}, 0});
        h.authenticated.assign(prefix, prefix + 4);
        append(h.authenticated, blob);
        return h;
    }

    /// Nothing to verify: the format has no MAC. True for any key of the cipher's size.
    template <class C, class W>
    [[nodiscard]] static bool verify_header(const file_header&, const session_key& key) {
        return key.size() == C::key_size;
    }

private:
    static std::string hex32(std::uint32_t v) {
        byte b[4] = {static_cast<byte>(v >> 24), static_cast<byte>(v >> 16), static_cast<byte>(v >> 8), static_cast<byte>(v)};
        std::string s = hex::encode(b);
        for (char& c : s) c = static_cast<char>(c >= 'a' ? c - 32 : c);
        return s.substr(std::min(s.find_first_not_of('0'), std::size_t{4}));  // at least 4 digits
    }
};

}  // namespace escrow::store

namespace escrow {
/// No header MAC: only the payload's final padding tells a wrong key.
template <>
inline constexpr store::options store_options<store::cryptoapi> = {.header = store::header_check::payload};
}  // namespace escrow
