// SPDX-License-Identifier: MIT
/// @file
/// `escrow::open_record`: the session key an escrow record holds, for the authority key it was
/// made for. The one recovery path, shared by the owner-side host and the backup authority.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "escrow/core/error.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/record.hpp"
#include "escrow/store/concept.hpp"
#include "escrow/wrap/concept.hpp"

namespace escrow {

/// Decodes `record`'s blob in `Store`'s format, unwraps it with the authority's private key at
/// `Cipher::key_size` (`wrap::unwrap_expecting`), and checks the record's MAC under the key, so
/// that altered metadata is detected. The caller has checked the record's policy ids and its
/// authority fingerprint; `altered` ends the message of a MAC failure (where the record was kept).
///
/// The policy objects are the caller's (a stateful wrap or store serves as it is).
/// @throws escrow::error `malformed_blob` (the blob), `authentication_failed` (the key does not
/// unwrap the blob, or the MAC fails).
template <class Cipher, class Wrap, class Store>
[[nodiscard]] session_key open_record(Wrap& wrap, Store& store, const escrow_record& record,
                                      const typename Wrap::private_key& authority,
                                      std::string_view altered = "a field was altered") {
    wrapped_key w = store.template decode_blob<Cipher, Wrap>(record.wrapped_key);
    std::optional<session_key> key = wrap::unwrap_expecting(wrap, w, authority, Cipher::key_size);
    if (!key || key->size() != Cipher::key_size)
        throw error(errc::authentication_failed, "the authority key does not unwrap this record's session key");
    if (!record.verify(*key))
        throw error(errc::authentication_failed, "escrow record MAC does not verify: " + std::string(altered));
    return std::move(*key);
}

}  // namespace escrow
