// SPDX-License-Identifier: MIT
// The fixed keys and the fixed recovery request that the harnesses and the corpus writer
// (make_corpus.cpp) share, so that the seeds are valid inputs for the harnesses that decrypt or
// verify. The private keys are the golden files' throwaway owner keys (fuzz_keys.hpp); the officer
// key comes from a fixed seed.
#pragma once

#include <array>

#include "escrow/authority/officer.hpp"
#include "escrow/authority/recovery_request.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/ssh_key.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/wrap/rsa_oaep_sha256.hpp"
#include "fuzz_keys.hpp"
#include "fuzz_support.hpp"

namespace escrow_fuzz::fixtures {

/// The RSA-2048 owner key of the golden native and CryptoAPI files.
inline const escrow::rsa_private_key& rsa_owner() {
    static const escrow::rsa_private_key k = escrow::rsa_private_key::load(unhex(keys::rsa_owner_pem_hex));
    return k;
}

/// The ssh-rsa owner key of the golden age ssh-rsa files.
inline const escrow::ssh_rsa_private_key& ssh_owner() {
    static const escrow::ssh_rsa_private_key k = escrow::ssh_rsa_private_key::load(unhex(keys::ssh_rsa_owner_hex));
    return k;
}

/// The X25519 owner identity of the golden age X25519 files.
inline const escrow::x25519_private_key& x25519_owner() {
    static const escrow::x25519_private_key k = escrow::x25519_private_key::load(unhex(keys::x25519_owner_txt_hex));
    return k;
}

/// The identity of most of the C2SP CCTV age vectors (tests/vectors/age/testdata, their
/// "identity:" line), so that the vectors in the seeds decrypt and their payload cases are reached.
inline const escrow::x25519_private_key& cctv_identity() {
    static const escrow::x25519_private_key k =
        escrow::x25519_private_key::parse("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0");
    return k;
}

/// The passphrase of the CCTV kit's scrypt vectors (work factor 10), and the largest work factor
/// the harness lets a file ask (2^12: 4 MiB and milliseconds of scrypt; age allows 22, 4 GiB).
inline constexpr std::string_view passphrase = "password";
inline constexpr unsigned max_scrypt_work_factor = 12;

/// An officer key from a fixed seed.
inline const escrow::authority::officer_private_key& officer() {
    static const escrow::authority::officer_private_key k = [] {
        std::array<escrow::byte, 32> seed{};
        for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<escrow::byte>(0xa0 + i);
        // PKCS#8 of an Ed25519 seed (RFC 8410): the fixed 16-byte prefix, then the 32 bytes.
        escrow::bytes der = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
        der.insert(der.end(), seed.begin(), seed.end());
        return escrow::authority::officer_private_key::from_der(der);
    }();
    return k;
}

/// The recovery request that officer_signature's seeds sign: an RSA-OAEP new owner key (the
/// owner key's public half), for the serial "FUZZ-0001", with a fixed nonce and expiry.
inline const escrow::authority::recovery_request& request() {
    static const escrow::authority::recovery_request q = [] {
        escrow::authority::recovery_request r;
        r.serial = "FUZZ-0001";
        r.wrap_id = escrow::wrap::rsa_oaep_sha256::id;
        r.new_owner_key = rsa_owner().public_key().der();
        r.authority_fingerprint.fill(0x5a);
        r.nonce.assign(32, 0x17);
        r.expires = 4102444800;  // 2100-01-01
        return r;
    }();
    return q;
}

}  // namespace escrow_fuzz::fixtures
