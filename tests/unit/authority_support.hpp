// SPDX-License-Identifier: MIT
/// @file
/// Helpers shared by the backup-authority tests (test_authority_*): scratch directories, officer
/// keys, an authority with a 2-of-n officer quorum, signing, and the owner's side of recovery.
#pragma once

#include "test_support.hpp"

#include <escrow/authority/apply_owner_blob.hpp>
#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace escrow_test {

namespace fs = std::filesystem;
namespace ea = escrow::authority;

inline constexpr std::uint64_t t0 = 1'800'000'000;  // the tests' "now"

/// A scratch directory under the test's working directory, emptied first.
inline fs::path scratch(const std::string& name) {
    fs::path p = fs::current_path() / ("authority-scratch-" + name);
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

/// Four officers' key pairs, made once.
inline const std::vector<ea::officer_private_key>& officer_keys() {
    static const std::vector<ea::officer_private_key> k = [] {
        std::vector<ea::officer_private_key> v;
        for (int i = 0; i < 4; ++i) v.push_back(ea::officer_private_key::generate());
        return v;
    }();
    return k;
}

/// A native file and its record for `serial`.
inline encrypted make_file(const std::string& serial, std::size_t size = 3000) {
    return encrypt(pattern(size, serial.size()), keys().owner, {&keys().authority}, sample_info(serial));
}

template <class Repo, class Policy>
using rsa_authority = ea::backup_authority<escrow::wrap::rsa_oaep_sha256, Repo, Policy>;

/// An authority with a repository of type Repo, a 2-of-n officer quorum, three registered officers
/// (0, 1, 2; officer 3 is not registered) and the tests' clock. Its key is the tests' RSA authority
/// key, used through `Wrap` (RSA-OAEP; the service's tests give it to OpenSSL).
template <class Repo, class Wrap = escrow::wrap::rsa_oaep_sha256>
struct quorum_setup {
    Repo& repo;
    ea::backup_authority<Wrap, Repo, ea::officer_quorum<2>> authority;

    explicit quorum_setup(Repo& r)
        requires std::same_as<typename Wrap::private_key, escrow::rsa_private_key>
        : quorum_setup(r, keys().authority.clone()) {}

    /// With `key`, the tests' authority key in `Wrap`'s private key type.
    quorum_setup(Repo& r, typename Wrap::private_key key) : repo(r), authority(r, {}, std::move(key)) {
        authority.set_clock([] { return t0; });
        const char* names[] = {"olivia", "oscar", "opal"};
        if (authority.officers().empty())  // a repository opened again keeps its officers
            for (int i = 0; i < 3; ++i) authority.register_officer(names[i], officer_keys()[i].public_key());
    }

    ea::recovery_request request(const std::string& serial, std::uint64_t expires = t0 + 3600) {
        return ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(
            serial, keys().new_owner.public_key(), authority.fingerprint(), expires);
    }
};

/// Signatures over `r` by the officers numbered in `who`.
inline std::vector<ea::officer_signature> sign_by(const ea::recovery_request& r, std::initializer_list<int> who) {
    std::vector<ea::officer_signature> out;
    for (int i : who) out.push_back(ea::officer_signature::sign(r, officer_keys()[static_cast<std::size_t>(i)]));
    return out;
}

/// Applies a recovered owner blob to `file` through a temporary file and decrypts with the new key.
inline escrow::bytes apply_and_decrypt(const fs::path& dir, const escrow::bytes& file, const ea::owner_blob& blob) {
    fs::path p = dir / "file.enc";
    {
        std::ofstream o(p, std::ios::binary | std::ios::trunc);
        o.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    }
    ea::apply_owner_blob_in_place<escrow::native_encryptor>(p, ea::owner_blob::decode(blob.encode()), keys().new_owner);
    escrow::file_source in(p);
    return decrypt(escrow::read_all(in, 1 << 24), keys().new_owner);
}

/// The message of the `escrow::error` that `f` throws, or "(no error)".
inline std::string reason_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const escrow::error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace escrow_test
