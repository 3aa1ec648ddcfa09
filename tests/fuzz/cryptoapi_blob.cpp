// SPDX-License-Identifier: MIT
// Fuzzes the CryptoAPI parsers: PUBLICKEYBLOB and PRIVATEKEYBLOB (ms_blob, and the key-file
// loaders that tell them from PEM and DER), SIMPLEBLOB for each AES size, the CryptoAPI file
// header (store::cryptoapi::read_header) and peek_aes_bits. The first byte of a blob is its bType,
// so one input reaches the parser it is meant for. Invariants: a PUBLICKEYBLOB or PRIVATEKEYBLOB
// that parses is written back to the same bytes (bar aiKeyAlg, always written CALG_RSA_KEYX:
// every component is checked, so there is one blob per key); a SIMPLEBLOB too; and the file
// header reader takes only files whose first 16 bytes peek_aes_bits reads as its AES size.
#include <optional>

#include "escrow/core/ms_key_blob.hpp"
#include "escrow/legacy/presets.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;
namespace ms_blob = escrow::ms_blob;
using escrow::store::cryptoapi;

// bytes 0-3 and 8-end: everything but aiKeyAlg.
bool same_but_alg(escrow::byte_view a, escrow::byte_view b) {
    return a.size() == b.size() && a.size() >= ms_blob::header_size && same(a.first(4), b.first(4)) &&
           same(a.subspan(8), b.subspan(8));
}

template <unsigned Bits>
void simpleblob(escrow::byte_view in) {
    using C = escrow::legacy::cryptoapi_aes_cbc<Bits>;
    using W = escrow::wrap::rsa_pkcs1v15;
    escrow::wrapped_key k;
    if (!expect_escrow_errors([&] { k = cryptoapi::decode_blob<C, W>(in); })) return;
    escrow::bytes again;
    require(expect_escrow_errors([&] { again = cryptoapi::encode_blob<C, W>(k); }), "a SIMPLEBLOB that parses is refused by encode_blob");
    require(same(again, in), "a SIMPLEBLOB does not survive decode_blob/encode_blob");
}

template <unsigned Bits>
void file_header(escrow::byte_view in) {
    using C = escrow::legacy::cryptoapi_aes_cbc<Bits>;
    using W = escrow::wrap::rsa_pkcs1v15;
    expect_escrow_errors([&] {
        escrow::memory_source src(in);
        escrow::file_header h = cryptoapi::read_header<C, W>(src);
        require(h.recipients.size() == 1 && h.recipients[0].role == escrow::recipient_role::owner, "one owner recipient");
        require(same(h.authenticated, in.first(in.size() - src.remaining())), "the header is not the bytes read");
        const auto peeked = cryptoapi::peek_aes_bits(in);
        require(peeked && *peeked == Bits, "read_header took a file whose first 16 bytes peek_aes_bits does not name");
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);

    std::optional<escrow::rsa_public_key> pub;
    if (expect_escrow_errors([&] { pub.emplace(ms_blob::public_key_from_blob(in)); })) {
        escrow::bytes again;
        require(expect_escrow_errors([&] { again = ms_blob::public_key_blob(*pub); }),
                "a PUBLICKEYBLOB that parses is refused by public_key_blob");
        require(same_but_alg(again, in), "a PUBLICKEYBLOB does not survive public_key_from_blob/public_key_blob");
    }
    std::optional<escrow::rsa_private_key> priv;
    if (expect_escrow_errors([&] { priv.emplace(ms_blob::private_key_from_blob(in)); })) {
        std::optional<ms_blob::private_key_blob> again;
        require(expect_escrow_errors([&] { again.emplace(ms_blob::unsafe_private_key_blob(*priv)); }),
                "a PRIVATEKEYBLOB that parses is refused by unsafe_private_key_blob");
        require(same_but_alg(again->unsafe_bytes(), in),
                "a PRIVATEKEYBLOB does not survive private_key_from_blob/unsafe_private_key_blob");
    }
    // The key-file loaders: a blob by its magic, PEM or DER otherwise.
    expect_escrow_errors([&] { (void)ms_blob::load_public_key(in); });
    expect_escrow_errors([&] { (void)ms_blob::load_private_key(in); });

    simpleblob<128>(in);
    simpleblob<192>(in);
    simpleblob<256>(in);
    file_header<128>(in);
    file_header<192>(in);
    file_header<256>(in);
    return 0;
}
