// SPDX-License-Identifier: MIT
/// @file
/// Policy objects: the owner's host and the backup authority work with the store and wrap objects
/// they are given (a stateful policy serves as it is, and need not be default-constructible), and
/// an identity policy sees the repository through a view that cannot change it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <tuple>

#include <unistd.h>

#include <escrow/escrow.hpp>

namespace ea = escrow::authority;

namespace {

/// The native layout under a user-defined id, with state: it counts the blobs it decodes, and has
/// no default constructor, so a host or an authority that made its own store could not compile.
struct counting_store {
    using base = escrow::store::native;
    static constexpr std::string_view name = "counting-test-store";
    static constexpr std::uint16_t id = 0x8A01;
    template <class C, class W>
    static constexpr bool carries = base::carries<C, W>;

    int* decoded;
    explicit counting_store(int& counter) : decoded(&counter) {}

    template <class C, class W, escrow::byte_sink Sink>
    void write_header(Sink& sink, escrow::file_header& h, const escrow::session_key& key) const {
        base::write_header<C, W>(sink, h, key);
    }
    template <class C, class W, escrow::byte_source Source>
    escrow::file_header read_header(Source& src) const { return base::read_header<C, W>(src); }
    template <class C, class W>
    bool verify_header(const escrow::file_header& h, const escrow::session_key& key) const {
        return base::verify_header<C, W>(h, key);
    }
    template <class C, class W>
    escrow::bytes encode_blob(const escrow::wrapped_key& w) const { return base::encode_blob<C, W>(w); }
    template <class C, class W>
    escrow::wrapped_key decode_blob(escrow::byte_view b) const {
        ++*decoded;
        return base::decode_blob<C, W>(b);
    }
};
static_assert(!std::is_default_constructible_v<counting_store>);

using cipher = escrow::cipher::aes256_gcm_stream;
using wrap = escrow::wrap::rsa_oaep_sha256;
using host = escrow::escrow_encryptor<cipher, wrap, counting_store>;

template <class T>
concept can_insert = requires(T& t, const ea::stored_record& r) { t.insert_record(r); };

/// Grants every request, after reading the officers through what the authority hands it, which
/// must be a view without a single way to change the repository.
struct reading_policy {
    int* reads;
    template <class Tx>
    std::string establish(const ea::recovery_request&, std::span<const ea::officer_signature>, Tx& view) const {
        static_assert(!can_insert<Tx> && !can_insert<std::remove_const_t<Tx>>,
                      "an identity policy must get a read-only view of the transaction");
        ++*reads;
        return "test policy (" + std::to_string(view.list_officers().size()) + " officers)";
    }
};

const escrow::rsa_private_key& key(int i) {
    static const escrow::rsa_private_key keys[] = {escrow::rsa_private_key::generate(2048),
                                                   escrow::rsa_private_key::generate(2048),
                                                   escrow::rsa_private_key::generate(2048)};
    return keys[i];
}

}  // namespace

static_assert(ea::identity_policy<reading_policy, ea::memory_repository::transaction>);
static_assert(!can_insert<ea::transaction_view<ea::memory_repository::transaction>>);

TEST_CASE("The host and the authority work with the store object they are given", "[authority][policy-objects]") {
    int host_decodes = 0, authority_decodes = 0, reads = 0;
    host enc(cipher{}, wrap{}, counting_store(host_decodes));
    const escrow::bytes plain(100000, 0x33);
    escrow::memory_source in(plain);
    escrow::memory_sink file;
    escrow::key_info info;
    info.serial = "OBJ-1";
    escrow::escrow_record record = enc.encrypt(in, file, key(0).public_key(), key(1).public_key(), info);

    ea::memory_repository repo;
    using authority_type = ea::backup_authority<wrap, ea::memory_repository, reading_policy, escrow::type_list<counting_store>>;
    authority_type authority(repo, reading_policy{&reads}, key(1).clone(), wrap{},
                             authority_type::store_objects{counting_store(authority_decodes)});
    authority.deposit(record);
    // The deposit checks the blob's structure, then (the authority holds its key) unwraps it to
    // verify the record's MAC: two decodes, both with the object it was given.
    CHECK(authority_decodes == 2);
    auto request = ea::recovery_request::make<wrap>("OBJ-1", key(2).public_key(), authority.fingerprint(), ea::unix_now() + 60);
    ea::owner_blob blob = authority.recover(request, {});
    CHECK(reads == 1);
    CHECK(authority_decodes == 3);  // the recovery decodes it again, with the same object
    CHECK(host_decodes == 0);

    std::filesystem::path p = std::filesystem::temp_directory_path() / ("escrow-policy-objects-" + std::to_string(::getpid()));
    {
        std::ofstream o(p, std::ios::binary);
        o.write(reinterpret_cast<const char*>(file.data().data()), static_cast<std::streamsize>(file.data().size()));
    }
    ea::apply_owner_blob_in_place(enc, p, blob, key(2), &record);
    CHECK(host_decodes == 2);  // the owner blob and the record's blob, with the host's object
    escrow::file_source fin(p);
    auto applied = escrow::read_all(fin, 1 << 24);
    std::filesystem::remove(p);
    escrow::memory_source src(applied);
    escrow::memory_sink out;
    enc.decrypt(src, out, key(2));
    CHECK(out.data() == plain);

    // The audit log holds what the policy said, read through its view.
    auto log = authority.audit_log();
    REQUIRE(!log.empty());
    CHECK(log.back().actor == "test policy (0 officers)");
}
