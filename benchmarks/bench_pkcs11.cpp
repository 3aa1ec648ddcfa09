// SPDX-License-Identifier: MIT
/// @file
/// Google Benchmark: a recovery by the backup authority with its RSA-3072 key in a file against the
/// same key in a PKCS#11 token (SoftHSM2), for the native format (RSA-OAEP-SHA-256; SoftHSM 2.6
/// does OAEP over SHA-1 only, so the token decrypts raw, CKM_RSA_X_509, and the host removes the
/// OAEP encoding: x-oaep=host) and for CryptoAPI records (RSA PKCS#1 v1.5, CKM_RSA_PKCS).
///
/// The key is generated in a file and imported into the token, non-extractable, so that both
/// sides use the same key. A recovery checks a 2-of-3 officer quorum, unwraps the session key,
/// verifies the record's MAC, re-wraps the key to the new owner's key and audits, with
/// `memory_repository` (the repository's cost is not what is compared). The token lives in
/// ESCROW_BENCH_DIR/bench-pkcs11-token (default: the current directory); SoftHSM2's module is
/// ESCROW_SOFTHSM_MODULE or Debian's. Suggested run:
///
///     bench_pkcs11 --benchmark_repetitions=3

#include <escrow/authority/memory_repository.hpp>
#include <escrow/escrow.hpp>
#include <escrow/legacy/presets.hpp>
#include <escrow/wrap/pkcs11.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "bench_recovery.hpp"
#include "softhsm.hpp"

namespace {

namespace ea = escrow::authority;
namespace fs = std::filesystem;

/// The authority's key imported into a SoftHSM2 token, and a session on it.
struct token {
    std::shared_ptr<escrow::pkcs11::session> session;
    std::optional<escrow::pkcs11::rsa_key> key;

    token() {
        const char* dir = std::getenv("ESCROW_BENCH_DIR");
        const fs::path path = fs::path(dir && *dir ? dir : ".") / "bench-pkcs11-token";
        fs::remove_all(path);
        escrow_softhsm::use_token_dir(path);
        std::ofstream(path / "pin.txt") << "bench-pin-1618\n";
        escrow_softhsm::admin::init_token("bench", "bench-so-pin", "bench-pin-1618")
            .import_rsa("authority", escrow_bench::keys().authority);
        const auto u = escrow::pkcs11::uri::parse(escrow_softhsm::uri_of("bench", "authority", (path / "pin.txt").string()) +
                                                  "&x-oaep=host");
        session = escrow::pkcs11::session::open(u, escrow::pkcs11::read_pin((path / "pin.txt").string()));
        key = escrow::pkcs11::rsa_key::find(session, u);
    }
};

token& tok() {
    static token t;
    return t;
}

template <class W>
using authority_t = ea::backup_authority<W, ea::memory_repository, ea::officer_quorum<2>>;

/// Recoveries of records `Encryptor` makes, by an authority of the file-key wrap `F` or, with
/// `in_token`, of its token wrap `T`.
template <class F, class T, class Encryptor>
void recover(benchmark::State& state, bool in_token) {
    ea::memory_repository repo;
    if (in_token) {
        authority_t<T> a(repo, {}, *tok().key, T(tok().session));
        escrow_bench::time_recoveries<F, Encryptor>(state, a);
    } else {
        authority_t<F> a(repo, {}, escrow_bench::keys().authority.clone());
        escrow_bench::time_recoveries<F, Encryptor>(state, a);
    }
}

using oaep = escrow::wrap::rsa_oaep_sha256;
using oaep_token = escrow::wrap::pkcs11_rsa_oaep_sha256;
using v15 = escrow::wrap::rsa_pkcs1v15;
using v15_token = escrow::wrap::pkcs11_rsa_pkcs1v15;
using cryptoapi = escrow::legacy::cryptoapi_encryptor<256>;

void oaep_file_key(benchmark::State& state) { recover<oaep, oaep_token, escrow::native_encryptor>(state, false); }
void oaep_token_key(benchmark::State& state) { recover<oaep, oaep_token, escrow::native_encryptor>(state, true); }
void pkcs1v15_file_key(benchmark::State& state) { recover<v15, v15_token, cryptoapi>(state, false); }
void pkcs1v15_token_key(benchmark::State& state) { recover<v15, v15_token, cryptoapi>(state, true); }

}  // namespace

BENCHMARK(oaep_file_key)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(oaep_token_key)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(pkcs1v15_file_key)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(pkcs1v15_token_key)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
