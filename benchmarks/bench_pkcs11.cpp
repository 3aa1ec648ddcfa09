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
#include <string>
#include <vector>

#include "softhsm.hpp"

namespace {

namespace ea = escrow::authority;
namespace fs = std::filesystem;

struct fixture {
    escrow::rsa_private_key owner = escrow::rsa_private_key::generate(3072);
    escrow::rsa_private_key authority = escrow::rsa_private_key::generate(3072);
    escrow::rsa_private_key new_owner = escrow::rsa_private_key::generate(3072);
    std::vector<ea::officer_private_key> officers;
    std::shared_ptr<escrow::pkcs11::session> session;
    std::optional<escrow::pkcs11::rsa_key> token_key;

    fixture() {
        for (int i = 0; i < 3; ++i) officers.push_back(ea::officer_private_key::generate());
        const char* dir = std::getenv("ESCROW_BENCH_DIR");
        const fs::path token = fs::path(dir && *dir ? dir : ".") / "bench-pkcs11-token";
        fs::remove_all(token);
        escrow_softhsm::use_token_dir(token);
        std::ofstream(token / "pin.txt") << "bench-pin-1618\n";
        escrow_softhsm::admin::init_token("bench", "bench-so-pin", "bench-pin-1618").import_rsa("authority", authority);
        const auto u = escrow::pkcs11::uri::parse(escrow_softhsm::uri_of("bench", "authority", (token / "pin.txt").string()) +
                                                  "&x-oaep=host");
        session = escrow::pkcs11::session::open(u, escrow::pkcs11::read_pin((token / "pin.txt").string()));
        token_key = escrow::pkcs11::rsa_key::find(session, u);
    }
};

fixture& fx() {
    static fixture f;
    return f;
}

std::uint64_t counter = 0;

template <class Encryptor>
escrow::escrow_record make_record() {
    Encryptor enc;
    escrow::memory_source in(escrow::byte_view{});
    escrow::memory_sink out;
    escrow::key_info info;
    info.serial = "BENCH-" + std::to_string(++counter);
    info.owner = "alice@example.org";
    const auto auth = fx().authority.public_key();
    return enc.encrypt(in, out, fx().owner.public_key(), std::span<const escrow::rsa_public_key>(&auth, 1), info).front();
}

/// Recoveries by an authority of wrap `W` (made with `make(repo)`), of records `Encryptor` makes
/// for the file key; the request is for the format's wrap `F`.
template <class W, class F, class Encryptor, class Make>
void recover(benchmark::State& state, Make make) {
    ea::memory_repository repo;
    auto a = make(repo);
    const char* names[] = {"olivia", "oscar", "opal"};
    for (int i = 0; i < 3; ++i) a.register_officer(names[i], fx().officers[static_cast<std::size_t>(i)].public_key());
    for (auto _ : state) {
        state.PauseTiming();
        auto rec = make_record<Encryptor>();
        a.deposit(rec);
        auto req = ea::recovery_request::make<F>(rec.info.serial, fx().new_owner.public_key(), a.fingerprint(),
                                                 ea::unix_now() + 3600);
        std::vector<ea::officer_signature> sigs = {ea::officer_signature::sign(req, fx().officers[0]),
                                                   ea::officer_signature::sign(req, fx().officers[1])};
        state.ResumeTiming();
        ea::owner_blob blob = a.recover(req, sigs);
        benchmark::DoNotOptimize(blob.blob.data());
    }
    state.SetItemsProcessed(state.iterations());
}

template <class W>
using authority_t = ea::backup_authority<W, ea::memory_repository, ea::officer_quorum<2>>;

void oaep_file_key(benchmark::State& state) {
    using W = escrow::wrap::rsa_oaep_sha256;
    recover<W, W, escrow::native_encryptor>(state, [](auto& repo) { return authority_t<W>(repo, {}, fx().authority.clone()); });
}
void oaep_token_key(benchmark::State& state) {
    using W = escrow::wrap::pkcs11_rsa_oaep_sha256;
    recover<W, escrow::wrap::rsa_oaep_sha256, escrow::native_encryptor>(
        state, [](auto& repo) { return authority_t<W>(repo, {}, *fx().token_key, W(fx().session)); });
}
void pkcs1v15_file_key(benchmark::State& state) {
    using W = escrow::wrap::rsa_pkcs1v15;
    recover<W, W, escrow::legacy::cryptoapi_encryptor<256>>(state,
                                                            [](auto& repo) { return authority_t<W>(repo, {}, fx().authority.clone()); });
}
void pkcs1v15_token_key(benchmark::State& state) {
    using W = escrow::wrap::pkcs11_rsa_pkcs1v15;
    recover<W, escrow::wrap::rsa_pkcs1v15, escrow::legacy::cryptoapi_encryptor<256>>(
        state, [](auto& repo) { return authority_t<W>(repo, {}, *fx().token_key, W(fx().session)); });
}

}  // namespace

BENCHMARK(oaep_file_key)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(oaep_token_key)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(pkcs1v15_file_key)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(pkcs1v15_token_key)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
