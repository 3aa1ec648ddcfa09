// SPDX-License-Identifier: MIT
/// @file
/// Google Benchmark: the backup authority's deposits per second and recovery latency, with 1, 4
/// and 16 concurrent writers (threads, each on its own connection), on
/// - `sqlite_repository` on disk (WAL, synchronous=FULL: one fsync'd transaction per deposit or
///   recovery), in ESCROW_BENCH_DIR (default: the current directory);
/// - `postgres_repository`, on the database ESCROW_BENCH_PG names (a libpq URI or keyword string;
///   the benchmark drops and recreates its tables first; skipped when unset). A server for it:
///       bash tests/postgres/server.sh start /tmp/pg
///       bash tests/postgres/server.sh psql /tmp/pg postgres -c "CREATE DATABASE bench"
///       ESCROW_BENCH_PG="$(cat /tmp/pg/conninfo) dbname=bench" bench_authority
///   or any server you have;
/// - `memory_repository`, for comparison (no storage at all).
///
/// A deposit validates a record (RSA-3072 OAEP, native store) and stores it with its audit entry.
/// A recovery checks a 2-of-3 officer quorum (two Ed25519 verifications), unwraps the session key
/// with the authority's RSA-3072 key, verifies the record's MAC, re-wraps the key to the owner's new
/// key, and records the nonce and the audit entry. Records, requests and signatures are made
/// before the timed loop. `items_per_second` is deposits (or recoveries) per second over all the
/// writers; `latency_ms` is the mean wall time of one operation as a writer sees it, waits for
/// the other writers included. Suggested run:
///
///     bench_authority --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

#include <escrow/authority/memory_repository.hpp>
#include <escrow/authority/postgres_repository.hpp>
#include <escrow/authority/sqlite_repository.hpp>
#include <escrow/escrow.hpp>

#include <benchmark/benchmark.h>

#include "bench_recovery.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace ea = escrow::authority;
namespace fs = std::filesystem;

using escrow_bench::keys;

escrow::escrow_record make_record() { return escrow_bench::make_record<escrow::native_encryptor>(); }

// Where each repository lives; reset() runs once before the writers of a run start.
struct sqlite_backend {
    using repo = ea::sqlite_repository;
    static fs::path path() {
        const char* dir = std::getenv("ESCROW_BENCH_DIR");
        return fs::path(dir && *dir ? dir : ".") / "bench-authority.db";
    }
    static bool available() { return true; }
    static void reset() {
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path().string() + suffix);
    }
    static std::shared_ptr<repo> open() { return std::make_shared<repo>(path()); }
};

struct postgres_backend {
    using repo = ea::postgres_repository;
    static const char* conninfo() { return std::getenv("ESCROW_BENCH_PG"); }
    static bool available() { return conninfo() && *conninfo(); }
    static void reset() {
        if (!available()) return;
        ea::postgres::connection c(conninfo(), {});
        c.exec("DROP TABLE IF EXISTS records, officers, nonces, meta, audit, audit_head, escrow_migrations");
    }
    static std::shared_ptr<repo> open() { return std::make_shared<repo>(conninfo()); }
};

struct memory_backend {
    using repo = ea::memory_repository;
    inline static std::shared_ptr<repo> shared;
    static bool available() { return true; }
    static void reset() { shared = std::make_shared<repo>(); }
    static std::shared_ptr<repo> open() { return shared; }
};

template <class Repo>
using authority_t = ea::backup_authority<escrow::wrap::rsa_oaep_sha256, Repo, ea::officer_quorum<2>>;

template <class Backend>
void setup(const benchmark::State&) {
    (void)keys();
    Backend::reset();
    if (!Backend::available()) return;
    auto repo = Backend::open();
    authority_t<typename Backend::repo> a(*repo, {}, keys().authority.clone());
    escrow_bench::register_officers(a);
}

constexpr int iterations = 100;  // per writer

template <class Backend>
void deposit(benchmark::State& state) {
    if (!Backend::available()) {
        state.SkipWithError("ESCROW_BENCH_PG is not set");
        return;
    }
    auto repo = Backend::open();
    authority_t<typename Backend::repo> a(*repo, {}, keys().authority.clone());
    std::vector<escrow::escrow_record> records;
    for (int i = 0; i < iterations; ++i) records.push_back(make_record());
    std::size_t i = 0;
    double total = 0;
    for (auto _ : state) {
        auto start = std::chrono::steady_clock::now();
        if (a.deposit(records[i++]) != ea::deposit_result::stored) state.SkipWithError("deposit did not store");
        total += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["latency_ms"] = benchmark::Counter(total / static_cast<double>(state.iterations()), benchmark::Counter::kAvgThreads);
}

template <class Backend>
void recover(benchmark::State& state) {
    if (!Backend::available()) {
        state.SkipWithError("ESCROW_BENCH_PG is not set");
        return;
    }
    auto repo = Backend::open();
    authority_t<typename Backend::repo> a(*repo, {}, keys().authority.clone());
    struct job {
        ea::recovery_request req;
        std::vector<ea::officer_signature> sigs;
    };
    std::vector<job> jobs;
    for (int i = 0; i < iterations; ++i) {
        auto rec = make_record();
        a.deposit(rec);
        auto req = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(rec.info.serial, keys().new_owner.public_key(),
                                                                            a.fingerprint(), ea::unix_now() + 3600);
        std::vector<ea::officer_signature> sigs = {ea::officer_signature::sign(req, keys().officers[0]),
                                                   ea::officer_signature::sign(req, keys().officers[1])};
        jobs.push_back({std::move(req), std::move(sigs)});
    }
    std::size_t i = 0;
    double total = 0;
    for (auto _ : state) {
        auto start = std::chrono::steady_clock::now();
        const job& j = jobs[i++];
        ea::owner_blob blob = a.recover(j.req, j.sigs);
        benchmark::DoNotOptimize(blob.blob.data());
        total += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["latency_ms"] = benchmark::Counter(total / static_cast<double>(state.iterations()), benchmark::Counter::kAvgThreads);
}

template <class Backend>
void register_all(const char* name) {
    for (auto [what, fn] : {std::pair{"deposit", &deposit<Backend>}, std::pair{"recover", &recover<Backend>}})
        benchmark::RegisterBenchmark((std::string(what) + "_" + name).c_str(), fn)
            ->Setup(setup<Backend>)
            ->Iterations(iterations)
            ->Threads(1)
            ->Threads(4)
            ->Threads(16)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    register_all<sqlite_backend>("sqlite");
    register_all<postgres_backend>("postgres");
    register_all<memory_backend>("memory");
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
