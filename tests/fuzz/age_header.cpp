// SPDX-License-Identifier: MIT
// Fuzzes the age header: store::age::parse (any stanza types, as `escrow inspect` reads) and the
// stanza blobs an age escrow record carries (store::age::decode_blob for the X25519, ssh-rsa and
// scrypt types). Invariants: the parser reads the header and the 16-byte nonce and nothing more;
// `authenticated` is the input up to "---"; every header it takes is written back by
// store::age::write_header to the same bytes but the MAC (the 1 MiB bound of both agrees: the
// issue's second fuzzer finding); every stanza blob that decodes encodes back to the same text.
#include <optional>

#include "escrow/presets.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;
using age = escrow::store::age;
using cipher = escrow::cipher::chacha20_poly1305_stream;

// A stanza blob; `from_header`: the text of a stanza the header parser took, which must decode.
template <class W>
void stanza_blob(escrow::byte_view in, bool from_header = false) {
    escrow::wrapped_key k;
    if (!expect_escrow_errors([&] { k = age::decode_blob<cipher, W>(in); })) {
        require(!from_header, "a stanza of a header that parses does not decode as a blob");
        return;
    }
    escrow::bytes again;
    require(expect_escrow_errors([&] { again = age::encode_blob<cipher, W>(k); }), "a stanza that decodes is refused by encode_blob");
    require(same(again, in), "an age stanza does not survive decode_blob/encode_blob");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);

    std::optional<escrow::file_header> parsed;
    std::size_t consumed = 0;
    if (expect_escrow_errors([&] {
            escrow::memory_source src(in);
            parsed.emplace(age::parse(src));
            consumed = in.size() - src.remaining();
        })) {
        const escrow::file_header& h = *parsed;
        require(h.mac.size() == age::mac_size && h.nonce.size() == age::nonce_size, "MAC or nonce size");
        require(consumed > age::nonce_size + age::mac_line_tail &&
                    consumed - age::nonce_size <= age::max_header_size,
                "the header read breaks the 1 MiB bound");
        require(same(h.authenticated, in.first(h.authenticated.size())), "authenticated is not the input's header");
        require(same(h.nonce, in.subspan(consumed - age::nonce_size, age::nonce_size)), "the nonce is not the bytes after the header");
        require(!h.recipients.empty() && h.recipients.size() <= age::max_stanzas, "stanza count");
        // Written back: the same bytes up to "---", then a MAC line of the same length, then the nonce.
        escrow::file_header again = h;
        escrow::memory_sink out;
        const auto key = escrow::session_key::from_unsafe_bytes(escrow::bytes(cipher::key_size, 0x42));
        require(expect_escrow_errors([&] { age::write_header<cipher, escrow::wrap::x25519>(out, again, key); }),
                "an age header that parses is refused by write_header");
        require(same(again.authenticated, h.authenticated), "write_header wrote another header than the one parsed");
        require(out.data().size() == consumed, "write_header wrote another length");
        // Each stanza as a record would carry it, in the blob form of its own type.
        for (const auto& r : h.recipients) {
            std::string text;
            require(expect_escrow_errors([&] { text = age::stanza_text(r, "X25519"); }), "stanza_text refused a parsed stanza");
            if (r.type == escrow::wrap::x25519::stanza_type) stanza_blob<escrow::wrap::x25519>(escrow::as_bytes(text), true);
            if (r.type == escrow::wrap::ssh_rsa::stanza_type) stanza_blob<escrow::wrap::ssh_rsa>(escrow::as_bytes(text), true);
            if (r.type == escrow::wrap::scrypt::stanza_type) stanza_blob<escrow::wrap::scrypt>(escrow::as_bytes(text), true);
        }
    }

    // The input as a record's stanza blob.
    stanza_blob<escrow::wrap::x25519>(in);
    stanza_blob<escrow::wrap::ssh_rsa>(in);
    stanza_blob<escrow::wrap::scrypt>(in);
    return 0;
}
