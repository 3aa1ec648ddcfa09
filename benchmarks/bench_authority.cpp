// SPDX-License-Identifier: MIT
/// @file
/// Google Benchmark: the backup authority's deposits per second and recoveries per second, with
/// `sqlite_repository` on disk (WAL, synchronous=FULL: one fsync'd transaction per deposit or
/// recovery) and with `memory_repository` for comparison.
///
/// A deposit validates a record (RSA-3072 OAEP, native store) and stores it with its audit entry.
/// A recovery checks a 2-of-3 officer quorum (two Ed25519 verifications), unwraps the session key
/// with the authority's RSA-3072 key, verifies the record's MAC, re-wraps the key to the owner's new
/// key, and records the nonce and the audit entry. Records, requests and signatures are made with
/// the timer paused. The database lives in ESCROW_BENCH_DIR (default: the current directory).
/// Suggested run:
///
///     bench_authority --benchmark_repetitions=3

#include <escrow/authority/sqlite_repository.hpp>
#include <escrow/escrow.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace ea = escrow::authority;
namespace fs = std::filesystem;

struct fixture {
    escrow::rsa_private_key owner = escrow::rsa_private_key::generate(3072);
    escrow::rsa_private_key authority = escrow::rsa_private_key::generate(3072);
    escrow::rsa_private_key new_owner = escrow::rsa_private_key::generate(3072);
    std::vector<ea::officer_private_key> officers;
    fixture() {
        for (int i = 0; i < 3; ++i) officers.push_back(ea::officer_private_key::generate());
    }
};

const fixture& fx() {
    static const fixture f;
    return f;
}

fs::path db_path(const std::string& name) {
    const char* dir = std::getenv("ESCROW_BENCH_DIR");
    fs::path p = fs::path(dir && *dir ? dir : ".") / ("bench-authority-" + name + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
    return p;
}

std::uint64_t counter = 0;

escrow::escrow_record make_record() {
    escrow::native_encryptor enc;
    escrow::memory_source in(escrow::byte_view{});
    escrow::memory_sink out;
    escrow::key_info info;
    info.serial = "BENCH-" + std::to_string(++counter);
    info.owner = "alice@example.org";
    info.description = "benchmark record";
    return enc.encrypt(in, out, fx().owner.public_key(), fx().authority.public_key(), info);
}

template <class Repo>
using authority_t = ea::backup_authority<escrow::wrap::rsa_oaep_sha256, Repo, ea::officer_quorum<2>>;

template <class Repo>
authority_t<Repo> make_authority(Repo& repo) {
    authority_t<Repo> a(repo, {}, fx().authority.clone());
    if (a.officers().empty()) {
        const char* names[] = {"olivia", "oscar", "opal"};
        for (int i = 0; i < 3; ++i) a.register_officer(names[i], fx().officers[static_cast<std::size_t>(i)].public_key());
    }
    return a;
}

template <class Repo>
void deposit(benchmark::State& state, Repo& repo) {
    auto a = make_authority(repo);
    for (auto _ : state) {
        state.PauseTiming();
        auto rec = make_record();
        state.ResumeTiming();
        if (a.deposit(rec) != ea::deposit_result::stored) state.SkipWithError("deposit did not store");
    }
    state.SetItemsProcessed(state.iterations());
}

template <class Repo>
void recover(benchmark::State& state, Repo& repo) {
    auto a = make_authority(repo);
    for (auto _ : state) {
        state.PauseTiming();
        auto rec = make_record();
        a.deposit(rec);
        auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(
            rec.info.serial, fx().new_owner.public_key(), a.fingerprint(), ea::unix_now() + 3600);
        std::vector<ea::officer_signature> sigs = {ea::officer_signature::sign(req, fx().officers[0]),
                                                   ea::officer_signature::sign(req, fx().officers[1])};
        state.ResumeTiming();
        ea::owner_blob blob = a.recover(req, sigs);
        benchmark::DoNotOptimize(blob.blob.data());
    }
    state.SetItemsProcessed(state.iterations());
}

void deposit_sqlite(benchmark::State& state) {
    ea::sqlite_repository repo(db_path("deposit"));
    deposit(state, repo);
}
void deposit_memory(benchmark::State& state) {
    ea::memory_repository repo;
    deposit(state, repo);
}
void recover_sqlite(benchmark::State& state) {
    ea::sqlite_repository repo(db_path("recover"));
    recover(state, repo);
}
void recover_memory(benchmark::State& state) {
    ea::memory_repository repo;
    recover(state, repo);
}

}  // namespace

BENCHMARK(deposit_sqlite)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(deposit_memory)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(recover_sqlite)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(recover_memory)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
