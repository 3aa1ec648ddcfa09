// SPDX-License-Identifier: MIT
// Fuzzes the native file header: store::native::parse (any policies, as `escrow inspect` reads)
// and native_encryptor::read_header (the preset's reader, which also checks ids, chunk and nonce
// size). Invariants: the header ends where the parser leaves the source, `authenticated` is the
// input's first bytes; and a header that parses under policies the format carries is written
// back by store::native::write_header to the same bytes but the MAC (what rewrap relies on).
#include "escrow/presets.hpp"
#include "escrow/registry.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;

// Writes `h` again with the cipher and wrap its ids name, when the native format carries them,
// and compares what the MAC covers.
void check_rewrite(const escrow::file_header& h) {
    escrow::registry::visit_id<escrow::registry::ciphers>(h.cipher_id, [&](auto c) {
        escrow::registry::visit_id<escrow::registry::wraps>(h.wrap_id, [&](auto w) {
            using C = typename decltype(c)::type;
            using W = typename decltype(w)::type;
            if constexpr (escrow::store::native::carries<C, W>) {
                if (escrow::store::native::chunk_size_of(h) != C::chunk_size || h.nonce.size() != C::nonce_size) return;
                escrow::file_header again = h;
                escrow::memory_sink out;
                const auto key = escrow::session_key::from_unsafe_bytes(escrow::bytes(C::key_size, 0x42));
                bool written = expect_escrow_errors([&] { escrow::store::native::write_header<C, W>(out, again, key); });
                require(written, "a native header that parses is refused by write_header");
                require(same(again.authenticated, h.authenticated), "write_header wrote another header than the one parsed");
                require(out.data().size() == h.authenticated.size() + escrow::store::native::mac_size,
                        "write_header wrote another length");
            }
        });
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);

    expect_escrow_errors([&] {
        escrow::memory_source src(in);
        escrow::file_header h = escrow::store::native::parse(src);
        const std::size_t consumed = in.size() - src.remaining();
        require(h.authenticated.size() + escrow::store::native::mac_size == consumed, "header length disagrees with the bytes read");
        require(same(h.authenticated, in.first(h.authenticated.size())), "authenticated is not the input's header");
        require(same(h.mac, in.subspan(h.authenticated.size(), escrow::store::native::mac_size)), "mac is not the input's");
        require(!h.recipients.empty() && h.recipients.size() <= escrow::store::native::max_recipients, "recipient count");
        check_rewrite(h);
    });

    expect_escrow_errors([&] {
        escrow::memory_source src(in);
        escrow::native_encryptor host;
        escrow::file_header h = host.read_header(src).unverified_value();
        require(h.cipher_id == escrow::cipher::aes256_gcm_stream::id && h.wrap_id == escrow::wrap::rsa_oaep_sha256::id,
                "read_header took a header of other policies");
        // The owner's and authorities' blobs, as a wrap would be handed them.
        for (const auto& r : h.recipients) {
            escrow::bytes blob;
            escrow::store::native::put_blob(blob, r.key);
            const auto back = host.decode_blob(blob);
            require(back.args == r.key.args && back.body == r.key.body, "a native blob does not survive put_blob/decode_blob");
        }
    });
    return 0;
}
