// SPDX-License-Identifier: MIT
// Fuzzes authority::recovery_request::decode, what the authority reads from an officer, and the
// new owner key it carries (public_key_codec of the wrap the request names, as recovery decodes
// it). Invariants: a request that decodes encodes back to its input, and its signed message is
// the domain prefix and that encoding; a new owner key that decodes re-encodes to bytes that
// decode to the same encoding (X25519 and ssh-rsa keys have one encoding: exactly the input).
#include "escrow/authority/recovery_request.hpp"
#include "escrow/registry.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;
namespace authority = escrow::authority;

void check_new_owner_key(const authority::recovery_request& q) {
    escrow::registry::visit_id<escrow::registry::wraps>(q.wrap_id, [&](auto w) {
        using W = typename decltype(w)::type;
        if constexpr (authority::public_key_bytes<W>) {
            using codec = authority::public_key_codec<W>;
            std::optional<typename W::public_key> k;
            if (!expect_escrow_errors([&] { k.emplace(codec::decode(q.new_owner_key)); })) return;
            escrow::bytes once, twice;
            require(expect_escrow_errors([&] {
                        once = codec::encode(*k);
                        twice = codec::encode(codec::decode(once));
                    }),
                    "a new owner key's own encoding does not decode");
            require(once == twice, "a new owner key does not re-encode the same twice");
            if constexpr (std::is_same_v<W, escrow::wrap::x25519> || std::is_same_v<W, escrow::wrap::ssh_rsa>)
                require(once == q.new_owner_key, "an X25519 or ssh-rsa key has a second encoding");
        }
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);
    authority::recovery_request q;
    if (!expect_escrow_errors([&] { q = authority::recovery_request::decode(in); })) return 0;
    escrow::bytes again, message;
    require(expect_escrow_errors([&] {
                again = q.encode();
                message = q.signed_message();
                (void)q.digest();
            }),
            "a request that decodes is refused by encode");
    require(same(again, in), "recovery_request decode/encode does not give the input back");
    const auto domain = escrow::as_bytes(authority::recovery_request::signing_domain);
    require(message.size() == domain.size() + in.size() && same(escrow::byte_view(message).first(domain.size()), domain) &&
                same(escrow::byte_view(message).subspan(domain.size()), in),
            "the signed message is not the domain and the encoding");
    check_new_owner_key(q);
    return 0;
}
