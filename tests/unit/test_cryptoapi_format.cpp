// SPDX-License-Identifier: MIT
/// @file
/// The CryptoAPI file format: SIMPLEBLOB layout, the legacy AES-CBC payload against Crypto++
/// directly, the host's lending sinks, malformed input, the authority's path, and what tampering
/// this unauthenticated format can and cannot notice.
#include <cryptopp/aes.h>
#include <cryptopp/filters.h>
#include <cryptopp/modes.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>

#include <escrow/core/posix_file.hpp>

#include "cryptoapi_support.hpp"

using namespace escrow_test;
using escrow::errc;
namespace fs = std::filesystem;

// ---- SIMPLEBLOB and file layout ------------------------------------------------------------------

TEST_CASE("A SIMPLEBLOB is BLOBHEADER, CALG_RSA_KEYX and the RSA block reversed", "[store][cryptoapi]") {
    escrow::wrapped_key w{{}, pattern(256, 7)};
    auto check = [&](auto cipher, std::initializer_list<escrow::byte> alg) {
        using C = decltype(cipher);
        auto blob = store::encode_blob<C, pkcs1>(w);
        REQUIRE(blob.size() == 12 + 256);
        const escrow::bytes head{0x01, 0x02, 0x00, 0x00};
        REQUIRE(same(escrow::byte_view(blob).first(4), head));
        REQUIRE(same(escrow::byte_view(blob).subspan(4, 4), escrow::bytes(alg)));
        REQUIRE(same(escrow::byte_view(blob).subspan(8, 4), escrow::bytes{0x00, 0xA4, 0x00, 0x00}));
        for (std::size_t i = 0; i < 256; ++i) REQUIRE(blob[12 + i] == w.body[255 - i]);
        auto back = store::decode_blob<C, pkcs1>(blob);
        REQUIRE(back.args.empty());
        REQUIRE(back.body == w.body);
    };
    check(escrow::legacy::cryptoapi_aes_cbc<128>{}, {0x0E, 0x66, 0x00, 0x00});
    check(escrow::legacy::cryptoapi_aes_cbc<192>{}, {0x0F, 0x66, 0x00, 0x00});
    check(escrow::legacy::cryptoapi_aes_cbc<256>{}, {0x10, 0x66, 0x00, 0x00});
}

TEST_CASE("A CryptoAPI file is the blob length, the owner's SIMPLEBLOB, then the CBC payload", "[store][cryptoapi]") {
    const auto& k = keys();
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{65536}, std::size_t{100000}}) {
        CAPTURE(n);
        auto plain = pattern(n, n);
        escrow::escrow_record rec;
        auto file = encrypt_capi(plain, k.owner, k.authority, &rec);
        REQUIRE(escrow::le::get<std::uint32_t>(file.data()) == 12 + 256);
        REQUIRE(file.size() == 4 + 268 + (n / 16 + 1) * 16);  // one blob only: the owner's
        REQUIRE(store::peek_aes_bits(file) == 256u);
        // The owner's blob opens with the owner's key; the authority's is only in its record.
        auto owner_blob = store::decode_blob<escrow::legacy::cryptoapi_aes_cbc<256>, pkcs1>(escrow::byte_view(file).subspan(4, 268));
        REQUIRE(pkcs1::unwrap(owner_blob, k.owner, 32).has_value());
        REQUIRE(rec.store_id == escrow::store::cryptoapi::id);
        REQUIRE(rec.wrapped_key.size() == 268);
        REQUIRE(rec.wrapped_key[0] == 0x01);
        REQUIRE(same(decrypt_capi(file, k.owner), plain));
    }
}

TEST_CASE("The CBC payload equals Crypto++'s AES-CBC with a zero IV and PKCS#5 padding", "[cipher][cryptoapi_aes_cbc]") {
    auto check = [](auto cipher) {
        using C = decltype(cipher);
        for (std::size_t n : {0, 1, 15, 16, 17, 31, 32, 65535, 65536, 65537, 131072, 200001}) {
            CAPTURE(C::name, n);
            auto key = escrow::session_key::generate(C::key_size);
            auto plain = pattern(n, 3);
            // Through the policy, chunk by chunk as the host feeds it.
            typename C::sealer s(key, {});
            escrow::bytes sealed, buf(C::max_final_sealed_size);
            std::size_t at = 0;
            for (std::uint64_t i = 0;; ++i) {
                const std::size_t rest = n - at;
                const bool last = rest <= C::chunk_size;
                const std::size_t take = last ? rest : C::chunk_size;
                std::size_t m = s.seal(i, escrow::byte_view(plain).subspan(at, take), last, buf);
                REQUIRE(m == C::sealed_size(take, last));
                sealed.insert(sealed.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(m));
                at += take;
                if (last) break;
            }
            // Crypto++ directly, in one piece.
            const escrow::byte iv[16] = {};
            CryptoPP::CBC_Mode<CryptoPP::AES>::Encryption cbc(key.unsafe_bytes().data(), key.size(), iv);
            std::string expect;
            CryptoPP::StringSource(plain.data(), plain.size(), true,
                                   new CryptoPP::StreamTransformationFilter(cbc, new CryptoPP::StringSink(expect),
                                                                            CryptoPP::StreamTransformationFilter::PKCS_PADDING));
            REQUIRE(sealed.size() == (n / 16 + 1) * 16);
            REQUIRE(same(sealed, escrow::as_bytes(expect)));
        }
    };
    check(escrow::legacy::cryptoapi_aes_cbc<128>{});
    check(escrow::legacy::cryptoapi_aes_cbc<192>{});
    check(escrow::legacy::cryptoapi_aes_cbc<256>{});
}

TEST_CASE("PKCS#5 padding: every pad length opens, every broken pad is refused", "[cipher][cryptoapi_aes_cbc]") {
    using C = escrow::legacy::cryptoapi_aes_cbc<128>;
    auto key = escrow::session_key::generate(16);
    const escrow::byte iv[16] = {};
    for (unsigned pad = 0; pad <= 17; ++pad) {
        CAPTURE(pad);
        // A last block of 16 - pad data bytes and `pad` bytes of value `pad` (0 and 17 are never valid).
        escrow::bytes block(16, 0x41);
        for (unsigned i = 0; i < std::min(pad, 16u); ++i) block[15 - i] = static_cast<escrow::byte>(pad);
        escrow::bytes ct(16);
        CryptoPP::CBC_Mode<CryptoPP::AES>::Encryption(key.unsafe_bytes().data(), 16, iv).ProcessData(ct.data(), block.data(), 16);
        C::opener o(key, {});
        escrow::bytes out(16);
        if (pad >= 1 && pad <= 16) {
            REQUIRE(o.open(0, ct, true, out) == 16 - pad);
        } else {
            REQUIRE_ESCROW_ERROR(o.open(0, ct, true, out), errc::authentication_failed);
        }
    }
    // A pad byte of the right value with one wrong byte inside the padding.
    escrow::bytes block(16, 0x04);
    block[13] = 0x05;
    escrow::bytes ct(16);
    CryptoPP::CBC_Mode<CryptoPP::AES>::Encryption(key.unsafe_bytes().data(), 16, iv).ProcessData(ct.data(), block.data(), 16);
    C::opener o(key, {});
    escrow::bytes out(16);
    REQUIRE_ESCROW_ERROR(o.open(0, ct, true, out), errc::authentication_failed);
}

// ---- the host's lending sinks --------------------------------------------------------------------

TEST_CASE("A lending sink takes the padded final chunk whatever its padding length", "[host][cryptoapi][io]") {
    // The final CBC chunk's plaintext is 1 to 16 bytes shorter than its ciphertext, so its size is
    // not known before opening: the host must not lend a buffer sized by guess.
    const auto& k = keys();
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17},
                          std::size_t{65536}, std::size_t{65536 + 3}, std::size_t{3 * 65536 + 31}}) {
        CAPTURE(n);
        auto plain = pattern(n, 40 + n);
        capi256 enc;
        escrow::memory_source in(plain);
        lending_sink sealed;
        (void)enc.encrypt(in, sealed, k.owner.public_key(), k.authority.public_key(), sample_info());
        REQUIRE(same(decrypt_capi(sealed.data(), k.owner), plain));
        escrow::memory_source again(sealed.data());
        lending_sink opened;
        enc.decrypt(again, opened, k.owner);
        REQUIRE(same(opened.data(), plain));
    }
}

// ---- malformed input -------------------------------------------------------------------------------

TEST_CASE("Malformed SIMPLEBLOBs and short files are rejected with clear errors", "[store][cryptoapi][errors]") {
    const auto& k = keys();
    auto plain = pattern(100, 5);
    const auto file = encrypt_capi(plain, k.owner, k.authority);
    auto with = [&](std::size_t offset, escrow::byte value) {
        auto f = file;
        f[offset] = value;
        return f;
    };
    auto msg_of = [&](escrow::byte_view f) {
        try {
            (void)decrypt_capi(f, k.owner);
        } catch (const escrow::error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    REQUIRE_ESCROW_ERROR(decrypt_capi(with(4, 0x06), k.owner), errc::malformed_blob);  // bType
    REQUIRE_THAT(msg_of(with(4, 0x06)), Catch::Matchers::Contains("bType 6, expected 1"));
    REQUIRE_ESCROW_ERROR(decrypt_capi(with(5, 0x03), k.owner), errc::malformed_blob);  // bVersion
    REQUIRE_THAT(msg_of(with(5, 0x03)), Catch::Matchers::Contains("bVersion 3, expected 2"));
    REQUIRE_ESCROW_ERROR(decrypt_capi(with(6, 0x01), k.owner), errc::malformed_blob);  // reserved
    REQUIRE_ESCROW_ERROR(decrypt_capi(with(8, 0x01), k.owner), errc::malformed_blob);  // aiKeyAlg 0x6601 (DES)
    REQUIRE_THAT(msg_of(with(8, 0x01)), Catch::Matchers::Contains("aiKeyAlg 0x6601, expected CALG_AES_256 0x6610"));
    REQUIRE_ESCROW_ERROR(decrypt_capi(with(13, 0xA0), k.owner), errc::malformed_blob);  // ALG_ID 0xA000
    REQUIRE_THAT(msg_of(with(13, 0xA0)), Catch::Matchers::Contains("expected CALG_RSA_KEYX 0xA400"));
    // Blob length: too small, too large, or past the end of the input.
    REQUIRE_ESCROW_ERROR(decrypt_capi(with(0, 0x0B), k.owner), errc::malformed_header);  // 0x10B = 267
    REQUIRE_ESCROW_ERROR(decrypt_capi(with(2, 0x01), k.owner), errc::malformed_header);
    // 269: the blob takes one payload byte and its RSA block (257 bytes) fits no 2048-bit key.
    REQUIRE_ESCROW_ERROR(decrypt_capi(with(0, 0x0D), k.owner), errc::no_matching_key);
    // RSA block not below the modulus: it cannot have been made for this key.
    auto big = file;
    escrow::bytes n(256);
    k.owner.cryptopp().GetModulus().Encode(n.data(), n.size());
    set_rsa_block(big, n);
    REQUIRE_ESCROW_ERROR(decrypt_capi(big, k.owner), errc::no_matching_key);
    REQUIRE_FALSE(pkcs1::unwrap(escrow::wrapped_key{{}, n}, k.owner, 32).has_value());
    REQUIRE_ESCROW_ERROR(escrow::detail::pkcs1v15_decrypt(k.owner, n), errc::malformed_blob);
    REQUIRE_THAT(msg_of(big), Catch::Matchers::Contains("wrong key?"));
    // Short files.
    REQUIRE_ESCROW_ERROR(decrypt_capi(escrow::bytes{}, k.owner), errc::malformed_header);
    REQUIRE_ESCROW_ERROR(decrypt_capi(escrow::byte_view(file).first(3), k.owner), errc::truncated);
    REQUIRE_ESCROW_ERROR(decrypt_capi(escrow::byte_view(file).first(100), k.owner), errc::truncated);
    REQUIRE_ESCROW_ERROR(decrypt_capi(escrow::byte_view(file).first(272), k.owner), errc::truncated);  // no payload
    REQUIRE_ESCROW_ERROR(decrypt_capi(escrow::byte_view(file).first(file.size() - 1), k.owner), errc::truncated);
    // The SIMPLEBLOB of a record, on its own.
    auto decode = [](escrow::byte_view b) { return store::decode_blob<escrow::legacy::cryptoapi_aes_cbc<256>, pkcs1>(b); };
    CHECK_ESCROW_ERROR(decode(escrow::byte_view(file).subspan(4, 11)), errc::malformed_blob);
    CHECK_ESCROW_ERROR(decode(escrow::byte_view(file).subspan(4, 12 + 255)), errc::malformed_blob);
}

TEST_CASE("A file whose SIMPLEBLOB names another AES size names the preset to use", "[store][cryptoapi][errors]") {
    const auto& k = keys();
    auto file = encrypt_capi<capi<128>>(pattern(10, 1), k.owner, k.authority);
    REQUIRE(store::peek_aes_bits(file) == 128u);
    REQUIRE_ESCROW_ERROR(decrypt_capi<capi<256>>(file, k.owner), errc::unknown_policy_id);
    try {
        (void)decrypt_capi<capi<192>>(file, k.owner);
        FAIL("no error");
    } catch (const escrow::error& e) {
        REQUIRE_THAT(e.what(), Catch::Matchers::Contains("escrow::legacy::cryptoapi_encryptor<128>"));
    }
    REQUIRE(same(decrypt_capi<capi<128>>(file, k.owner), pattern(10, 1)));
}

// ---- the authority's path --------------------------------------------------------------------------

TEST_CASE("The authority's SIMPLEBLOB from the escrow record opens the file after the owner's key is gone",
          "[cryptoapi][record]") {
    auto plain = pattern(70000, 21);
    escrow::escrow_record rec;
    escrow::bytes file;
    const auto& authority = keys().authority;
    {
        auto owner = escrow::rsa_private_key::generate(2048);
        file = encrypt_capi(plain, owner, authority, &rec);
    }  // the owner's private key no longer exists
    auto decoded = escrow::escrow_record::decode(rec.encode());
    // The record's wrapped key is a real SIMPLEBLOB under the authority's key.
    auto w = store::decode_blob<escrow::legacy::cryptoapi_aes_cbc<256>, pkcs1>(decoded.wrapped_key);
    REQUIRE(escrow::detail::pkcs1v15_decrypt(authority, w.body, 32).valid);
    capi256 enc;
    escrow::memory_source in(file);
    escrow::memory_sink out;
    enc.decrypt_with_record(in, out, decoded, authority);
    REQUIRE(same(out.data(), plain));
    // The record is authenticated: a wrong authority key or an altered field always fails.
    auto altered = decoded;
    altered.info.description += "!";
    escrow::memory_source in2(file);
    escrow::memory_sink out2;
    REQUIRE_ESCROW_ERROR(enc.decrypt_with_record(in2, out2, altered, authority), errc::authentication_failed);
    REQUIRE(out2.data().empty());
    // The file's own blob is the owner's: the authority's key does not open it.
    (void)outcome(file, authority, plain);  // asserts the output is never the plaintext
}

TEST_CASE("rewrap_owner replaces the SIMPLEBLOB and copies the payload", "[cryptoapi]") {
    const auto& k = keys();
    auto plain = pattern(5000, 4);
    auto file = encrypt_capi(plain, k.owner, k.authority);
    capi256 enc;
    escrow::memory_source in(file);
    escrow::memory_sink out;
    enc.rewrap_owner(in, out, k.owner, k.new_owner.public_key());
    REQUIRE(same(escrow::byte_view(out.data()).subspan(272), escrow::byte_view(file).subspan(272)));
    REQUIRE(same(decrypt_capi(out.data(), k.new_owner), plain));
}

// ---- tampering: what this format cannot notice ----------------------------------------------------

TEST_CASE("Tampering: CBC lets a bit flip through, with the damage the threat model describes", "[cryptoapi][tamper]") {
    const auto& k = keys();
    auto plain = pattern(160, 8);  // 10 blocks, then a block of padding
    auto file = encrypt_capi(plain, k.owner, k.authority);
    const std::size_t payload = 272;
    // A bit flipped in ciphertext block 2 garbles plaintext block 2 and flips the same bit of block 3.
    auto flipped = file;
    flipped[payload + 2 * 16 + 5] ^= 0x01;
    auto out = decrypt_capi(flipped, k.owner);
    REQUIRE(out.size() == plain.size());
    REQUIRE(same(escrow::byte_view(out).first(32), escrow::byte_view(plain).first(32)));
    REQUIRE_FALSE(same(escrow::byte_view(out).subspan(32, 16), escrow::byte_view(plain).subspan(32, 16)));
    REQUIRE(out[48 + 5] == (plain[48 + 5] ^ 0x01));
    REQUIRE(same(escrow::byte_view(out).subspan(64), escrow::byte_view(plain).subspan(64)));
    // Truncation at a block boundary goes unnoticed whenever the new last block ends in valid
    // padding; one changed byte in the block before it makes sure it does:
    auto forged = file;
    forged.resize(payload + 6 * 16);               // keep 6 blocks (96 bytes of plaintext)
    forged[payload + 4 * 16 + 15] ^= static_cast<escrow::byte>(plain[5 * 16 + 15] ^ 0x01);  // last byte becomes 0x01
    auto shorter = decrypt_capi(forged, k.owner);
    REQUIRE(shorter.size() == 95);                 // accepted: truncated by 65 bytes, nothing noticed
    REQUIRE(same(escrow::byte_view(shorter).first(64), escrow::byte_view(plain).first(64)));
    // A whole SIMPLEBLOB swapped for another file's: the other file's key, no error until the padding.
    auto other = encrypt_capi(pattern(160, 99), k.owner, k.authority);
    auto swapped = file;
    std::copy(other.begin() + 4, other.begin() + 272, swapped.begin() + 4);
    const std::string o = outcome(swapped, k.owner, plain);  // never the plaintext, and no header error
    REQUIRE((o == "success" || o.rfind("authentication_failed", 0) == 0));
    // verify_header has nothing to check.
    capi256 enc;
    escrow::memory_source in(file);
    auto h = enc.read_header(in).unverified_value();
    REQUIRE(h.mac.empty());
    REQUIRE(store::verify_header<escrow::legacy::cryptoapi_aes_cbc<256>, pkcs1>(h, escrow::session_key::generate(32)));
}

TEST_CASE("A failing legacy decryption into an atomic file sink leaves nothing behind", "[cryptoapi][tamper]") {
    const auto& k = keys();
    auto plain = pattern(200000, 2);  // several chunks: the first ones reach the sink before the padding check
    auto file = encrypt_capi(plain, k.owner, k.authority);
    file.back() ^= 0x80;  // the final padding breaks
    const fs::path dir = fs::temp_directory_path() / ("escrow-capi-" + escrow::hex::encode(pattern(6, std::random_device{}())));
    fs::create_directories(dir);
    {
        escrow::memory_source in(file);
        escrow::atomic_file_sink out(dir / "out.bin");
        capi256 enc;
        REQUIRE_ESCROW_ERROR(enc.decrypt(in, out, k.owner), errc::authentication_failed);
    }
    REQUIRE(fs::is_empty(dir));
    fs::remove_all(dir);
}
