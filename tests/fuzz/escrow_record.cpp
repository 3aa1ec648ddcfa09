// SPDX-License-Identifier: MIT
// Fuzzes escrow_record::decode, what an authority reads from an owner (deposit) and from its own
// database. Invariants when it decodes: encode() gives the input back byte for byte, to_json()
// renders it, and the wrapped key, when the record's store carries its cipher and wrap, parses as
// that store's blob (the deposit's shape check) and encodes back to the same bytes.
#include "escrow/presets.hpp"
#include "escrow/record.hpp"
#include "escrow/registry.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;
namespace registry = escrow::registry;

// The record's blob through its store, as the authority's deposit check parses it.
void check_blob(const escrow::escrow_record& rec) {
    registry::visit_id<registry::stores>(rec.store_id, [&](auto s) {
        registry::visit_id<registry::ciphers>(rec.cipher_id, [&](auto c) {
            registry::visit_id<registry::wraps>(rec.wrap_id, [&](auto w) {
                using S = typename decltype(s)::type;
                using C = typename decltype(c)::type;
                using W = typename decltype(w)::type;
                if constexpr (escrow::store::carries<S, C, W>) {
                    escrow::wrapped_key k;
                    if (!expect_escrow_errors([&] { k = S::template decode_blob<C, W>(rec.wrapped_key); })) return;
                    escrow::bytes again;
                    require(expect_escrow_errors([&] { again = S::template encode_blob<C, W>(k); }),
                            "a blob that decodes is refused by encode_blob");
                    require(again == rec.wrapped_key, "decode_blob/encode_blob does not give the record's blob back");
                }
            });
        });
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);
    escrow::escrow_record rec;
    if (!expect_escrow_errors([&] { rec = escrow::escrow_record::decode(in); })) return 0;
    escrow::bytes again;
    require(expect_escrow_errors([&] { again = rec.encode(); }), "a record that decodes is refused by encode()");
    require(same(again, in), "decode/encode does not give the record back");
    std::string json;
    require(expect_escrow_errors([&] { json = rec.to_json(); }), "to_json() threw on a decoded record");
    require(!json.empty() && json.front() == '{', "to_json() is not an object");
    // Safe on a terminal: no C0 control but the line feeds of the layout, no C1 control (U+0080..U+009F).
    for (std::size_t i = 0; i < json.size(); ++i) {
        const auto c = static_cast<unsigned char>(json[i]);
        require(c >= 0x20 || c == '\n', "to_json() let a control character through");
        require(!(c == 0xc2 && i + 1 < json.size() && static_cast<unsigned char>(json[i + 1]) < 0xa0),
                "to_json() let a C1 control through");
    }
    (void)rec.policies().to_string();
    check_blob(rec);
    return 0;
}
