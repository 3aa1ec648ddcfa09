// SPDX-License-Identifier: MIT
/// @file
/// Shared by the compile-fail cases: instantiates every member of a host the way a user would, so
/// that a case's positive control (built with ESCROW_COMPILE_OK) proves the whole host compiles.
#pragma once

#include <escrow/escrow.hpp>

namespace escrow_compile_fail {

/// The sizes and framing of AES-256-GCM STREAM, for the cases' own cipher policies to inherit: each
/// case then adds only what it is about (its id, and which of sealer and opener it has).
struct aes256_gcm_stream_shape {
    using base = escrow::cipher::aes256_gcm_stream;
    static constexpr std::size_t key_size = base::key_size;
    static constexpr std::size_t nonce_size = base::nonce_size;
    static constexpr std::size_t chunk_size = base::chunk_size;
    static constexpr std::size_t sealed_chunk_size = base::sealed_chunk_size;
    static constexpr std::size_t min_final_sealed_size = base::min_final_sealed_size;
    static constexpr std::size_t max_final_sealed_size = base::max_final_sealed_size;
    [[nodiscard]] static constexpr std::size_t sealed_size(std::size_t n, bool last) noexcept {
        return base::sealed_size(n, last);
    }
};

/// Calls encrypt, decrypt, the authority's path and rewrap_owner on in-memory streams. Never run:
/// these cases are only compiled.
template <class Encryptor>
void use_host(const typename Encryptor::public_key& owner, const typename Encryptor::public_key& authority,
              const typename Encryptor::private_key& key) {
    Encryptor enc;
    escrow::bytes plain{1, 2, 3};
    escrow::memory_source in(plain);
    escrow::memory_sink sealed;
    escrow::key_info info;
    info.description = "compile-fail control";
    escrow::escrow_record record = enc.encrypt(in, sealed, owner, authority, info);

    escrow::memory_source again(sealed.data());
    escrow::memory_sink opened;
    enc.decrypt(again, opened, key);

    escrow::memory_source by_record(sealed.data());
    escrow::memory_sink recovered;
    enc.decrypt_with_record(by_record, recovered, record, key);

    escrow::memory_source to_rewrap(sealed.data());
    escrow::memory_sink rewrapped;
    enc.rewrap_owner(to_rewrap, rewrapped, key, owner);
}

}  // namespace escrow_compile_fail
