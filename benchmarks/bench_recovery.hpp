// SPDX-License-Identifier: MIT
/// @file
/// What bench_authority and bench_pkcs11 share: the RSA-3072 keys and officers of a recovery, the
/// records made for the authority, and the timed recovery loop (records, requests and signatures
/// made with the timer paused).
#pragma once

#include <escrow/authority/backup_authority.hpp>
#include <escrow/escrow.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace escrow_bench {

namespace ea = escrow::authority;

/// The owner's, the authority's and the new owner's RSA-3072 keys, and three officers' keys.
struct recovery_keys {
    escrow::rsa_private_key owner = escrow::rsa_private_key::generate(3072);
    escrow::rsa_private_key authority = escrow::rsa_private_key::generate(3072);
    escrow::rsa_private_key new_owner = escrow::rsa_private_key::generate(3072);
    std::vector<ea::officer_private_key> officers;
    recovery_keys() {
        for (int i = 0; i < 3; ++i) officers.push_back(ea::officer_private_key::generate());
    }
};

/// The process's keys, made on first use.
inline const recovery_keys& keys() {
    static const recovery_keys k;
    return k;
}

/// A new escrow record of an empty file, made by `Encryptor` for the authority's key.
template <class Encryptor>
escrow::escrow_record make_record() {
    static std::atomic<std::uint64_t> counter{0};  // benchmarks may make records on several threads
    Encryptor enc;
    escrow::memory_source in(escrow::byte_view{});
    escrow::memory_sink out;
    escrow::key_info info;
    info.serial = "BENCH-" + std::to_string(++counter);
    info.owner = "alice@example.org";
    info.description = "benchmark record";
    const auto auth = keys().authority.public_key();
    return enc.encrypt(in, out, keys().owner.public_key(), std::span<const escrow::rsa_public_key>(&auth, 1), info).front();
}

/// Registers the three officers with `a`, unless it has officers already.
template <class Authority>
void register_officers(Authority& a) {
    if (!a.officers().empty()) return;
    const char* names[] = {"olivia", "oscar", "opal"};
    for (int i = 0; i < 3; ++i) a.register_officer(names[i], keys().officers[static_cast<std::size_t>(i)].public_key());
}

/// Times `a.recover` of records `Encryptor` makes, each deposited, with a request for the new
/// owner's key in the format of wrap `RequestWrap`, signed by two officers.
template <class RequestWrap, class Encryptor, class Authority>
void time_recoveries(benchmark::State& state, Authority& a) {
    register_officers(a);
    for (auto _ : state) {
        state.PauseTiming();
        auto rec = make_record<Encryptor>();
        a.deposit(rec);
        auto req = ea::recovery_request::make<RequestWrap>(rec.info.serial, keys().new_owner.public_key(), a.fingerprint(),
                                                           ea::unix_now() + 3600);
        std::vector<ea::officer_signature> sigs = {ea::officer_signature::sign(req, keys().officers[0]),
                                                   ea::officer_signature::sign(req, keys().officers[1])};
        state.ResumeTiming();
        ea::owner_blob blob = a.recover(req, sigs);
        benchmark::DoNotOptimize(blob.blob.data());
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace escrow_bench
