// SPDX-License-Identifier: MIT
/// @file
/// `escrow::stand_in_format`: the policy whose format a cipher or wrap writes, `P` itself unless `P`
/// stands in for one of the library's policies with a member `using stands_for = ...;` (the same
/// bytes and id computed by other code: a key in a PKCS#11 token or in OpenSSL's memory, OpenSSL's
/// ChaCha20). `escrow::cipher_format` and `escrow::wrap_format` start from it.
#pragma once

namespace escrow {

/// `P` itself: a policy that stands for nobody.
template <class P>
struct stand_in_format {
    /// The policy whose format `P` writes and reads.
    using type = P;
};

/// A stand-in: the policy it names.
template <class P>
    requires requires { typename P::stands_for; }
struct stand_in_format<P> {
    /// The library's policy that `P` stands in for.
    using type = typename P::stands_for;
};

}  // namespace escrow
