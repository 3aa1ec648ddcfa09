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

#include "bench_recovery.hpp"

namespace {

namespace ea = escrow::authority;
namespace fs = std::filesystem;

using escrow_bench::keys;

fs::path db_path(const std::string& name) {
    const char* dir = std::getenv("ESCROW_BENCH_DIR");
    fs::path p = fs::path(dir && *dir ? dir : ".") / ("bench-authority-" + name + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
    return p;
}

template <class Repo>
using authority_t = ea::backup_authority<escrow::wrap::rsa_oaep_sha256, Repo, ea::officer_quorum<2>>;

template <class Repo>
authority_t<Repo> make_authority(Repo& repo) {
    authority_t<Repo> a(repo, {}, keys().authority.clone());
    escrow_bench::register_officers(a);
    return a;
}

template <class Repo>
void deposit(benchmark::State& state, Repo& repo) {
    auto a = make_authority(repo);
    for (auto _ : state) {
        state.PauseTiming();
        auto rec = escrow_bench::make_record<escrow::native_encryptor>();
        state.ResumeTiming();
        if (a.deposit(rec) != ea::deposit_result::stored) state.SkipWithError("deposit did not store");
    }
    state.SetItemsProcessed(state.iterations());
}

template <class Repo>
void recover(benchmark::State& state, Repo& repo) {
    auto a = make_authority(repo);
    escrow_bench::time_recoveries<escrow::wrap::rsa_oaep_sha256, escrow::native_encryptor>(state, a);
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
