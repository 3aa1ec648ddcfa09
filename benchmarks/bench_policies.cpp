// SPDX-License-Identifier: MIT
// In-memory figures for every policy the library ships: each cipher's sealer and opener over
// 16 MiB, each wrap's wrap and unwrap of one session key (and, for the key types an owner or an
// authority picks between, a key pair's generation), and the host's parallel pipeline over a
// stream against the same host on one thread.
//
//   cmake --build build-release --target bench_policies && build-release/benchmarks/bench_policies
//
// Cipher figures are the policy alone: one sealer (opener), chunk after chunk, into a
// preallocated buffer, on one thread. MB = 10^6 bytes.
#include <benchmark/benchmark.h>

#include <cryptopp/poly1305.h>

#include <escrow/detail/mlkem768.hpp>
#include <escrow/detail/mlkem768x25519.hpp>
#include <escrow/detail/poly1305.hpp>
#include <escrow/escrow.hpp>
#include <escrow/legacy/presets.hpp>

#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using escrow::byte;
using escrow::byte_view;
using escrow::bytes;
using escrow::mutable_byte_view;

constexpr std::size_t mib = 1024 * 1024;

bytes random_bytes(std::size_t n) {
    bytes b(n);
    escrow::default_random().fill(b);
    return b;
}

// ---- the KEMs of post-quantum recipients (ML-KEM-768, MLKEM768-X25519), alone -------------------
// One operation per iteration on fixed random seeds; no file, no stanza (wrap/... figures include those).
namespace mlkem = escrow::detail::mlkem768;
namespace hybrid = escrow::detail::mlkem768x25519;

struct mlkem_fixture {
    bytes d = random_bytes(32), z = random_bytes(32), m = random_bytes(32);
    std::array<byte, mlkem::encaps_key_size> ek{};
    std::array<byte, mlkem::decaps_key_size> dk{};
    std::array<byte, mlkem::ciphertext_size> ct{};
    std::array<byte, 32> ss{};
    mlkem_fixture() {
        mlkem::keygen(std::span<const byte, 32>(d.data(), 32), std::span<const byte, 32>(z.data(), 32), ek, dk);
        mlkem::encaps(ek, std::span<const byte, 32>(m.data(), 32), ct, ss);
    }
};

void kem_mlkem768(benchmark::State& state, int op) {
    mlkem_fixture f;
    for (auto _ : state) {
        if (op == 0) mlkem::keygen(std::span<const byte, 32>(f.d.data(), 32), std::span<const byte, 32>(f.z.data(), 32), f.ek, f.dk);
        if (op == 1) {
            if (!mlkem::encaps_key_ok(f.ek)) state.SkipWithError("ek refused");  // encapsulation checks ek (FIPS 203 §7.2)
            mlkem::encaps(f.ek, std::span<const byte, 32>(f.m.data(), 32), f.ct, f.ss);
        }
        if (op == 2) mlkem::decaps(f.dk, f.ct, f.ss);
        benchmark::DoNotOptimize(f.ss.data());
        benchmark::ClobberMemory();
    }
    state.counters["ops/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void kem_mlkem768x25519(benchmark::State& state, int op) {
    const bytes seed = random_bytes(hybrid::seed_size), randomness = random_bytes(hybrid::randomness_size);
    std::array<byte, hybrid::public_key_size> pk{};
    std::array<byte, hybrid::enc_size> enc{};
    std::array<byte, 32> ss{};
    hybrid::public_key_from_seed(hybrid::seed_view(seed.data(), hybrid::seed_size), pk);
    if (!hybrid::encapsulate(pk, hybrid::randomness_view(randomness.data(), hybrid::randomness_size), enc, ss))
        state.SkipWithError("encapsulation refused");
    for (auto _ : state) {
        bool ok = true;
        if (op == 0) hybrid::public_key_from_seed(hybrid::seed_view(seed.data(), hybrid::seed_size), pk);
        if (op == 1) ok = hybrid::encapsulate(pk, hybrid::randomness_view(randomness.data(), hybrid::randomness_size), enc, ss);
        if (op == 2) ok = hybrid::decapsulate(hybrid::seed_view(seed.data(), hybrid::seed_size), enc, ss);
        if (!ok) state.SkipWithError("refused");
        benchmark::DoNotOptimize(ss.data());
        benchmark::ClobberMemory();
    }
    state.counters["ops/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void register_kem_benchmarks() {
    const char* ops[] = {"keygen", "encaps", "decaps"};
    for (int op = 0; op < 3; ++op) {
        benchmark::RegisterBenchmark((std::string("kem/mlkem768/") + ops[op]).c_str(), kem_mlkem768, op)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((std::string("kem/mlkem768x25519/") + ops[op]).c_str(), kem_mlkem768x25519, op)
            ->Unit(benchmark::kMicrosecond);
    }
}
// ---- end of the KEM block ------------------------------------------------------------------------

// Poly1305 alone over 64 KiB messages (the age format's chunk), one tag per message: the library's
// 64-bit-limb code on its scalar and its AVX2 path (detail/poly1305_limb64.hpp), and Crypto++'s.
void mac_poly1305(benchmark::State& state, int which) {
    const std::size_t n = 64 * 1024;
    bytes msg = random_bytes(n), key = random_bytes(32), tag(16);
    if (which == 1 && !escrow::detail::poly1305_avx2_usable()) {
        state.SkipWithError("no AVX2 on this processor");
        return;
    }
    for (auto _ : state) {
        if (which == 2) {
            CryptoPP::Poly1305TLS mac(key.data(), key.size());
            mac.Update(msg.data(), n);
            mac.Final(tag.data());
        } else {
            escrow::detail::poly1305_limb64 mac(key.data(), which ? escrow::detail::poly1305_path::avx2
                                                                  : escrow::detail::poly1305_path::scalar);
            mac.update(msg.data(), n);
            mac.finish(tag.data());
        }
        benchmark::DoNotOptimize(tag.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <class Cipher>
void cipher_seal(benchmark::State& state) {
    const std::size_t n = 16 * mib;
    bytes plain = random_bytes(n);
    bytes out(n + (n / Cipher::chunk_size + 1) * (Cipher::max_final_sealed_size - Cipher::chunk_size + 16));
    escrow::session_key key = escrow::session_key::generate(Cipher::key_size);
    bytes nonce = random_bytes(Cipher::nonce_size);
    for (auto _ : state) {
        typename Cipher::sealer s(key, nonce);
        std::size_t at = 0;
        for (std::size_t off = 0, i = 0; off < n; off += Cipher::chunk_size, ++i) {
            std::size_t len = std::min(Cipher::chunk_size, n - off);
            at += s.seal(i, byte_view(plain).subspan(off, len), off + len == n, mutable_byte_view(out).subspan(at));
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <class Cipher>
void cipher_open(benchmark::State& state) {
    const std::size_t n = 16 * mib;
    bytes plain = random_bytes(n);
    bytes sealed(n + (n / Cipher::chunk_size + 1) * (Cipher::max_final_sealed_size - Cipher::chunk_size + 16));
    escrow::session_key key = escrow::session_key::generate(Cipher::key_size);
    bytes nonce = random_bytes(Cipher::nonce_size);
    std::vector<std::size_t> sizes;
    {
        typename Cipher::sealer s(key, nonce);
        std::size_t at = 0;
        for (std::size_t off = 0, i = 0; off < n; off += Cipher::chunk_size, ++i) {
            std::size_t len = std::min(Cipher::chunk_size, n - off);
            sizes.push_back(s.seal(i, byte_view(plain).subspan(off, len), off + len == n, mutable_byte_view(sealed).subspan(at)));
            at += sizes.back();
        }
    }
    bytes out(n + Cipher::max_final_sealed_size);
    for (auto _ : state) {
        typename Cipher::opener o(key, nonce);
        std::size_t at = 0, put = 0;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            put += o.open(i, byte_view(sealed).subspan(at, sizes[i]), i + 1 == sizes.size(), mutable_byte_view(out).subspan(put));
            at += sizes[i];
        }
        if (std::memcmp(out.data(), plain.data(), n) != 0) state.SkipWithError("opened plaintext differs");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// Session keys: 32 bytes for the native and CryptoAPI ciphers, 16 for age's file key.
template <class Wrap, class Priv, std::size_t KeySize>
void wrap_seal(benchmark::State& state, const Priv& priv) {
    Wrap w;
    auto pub = w.public_of(priv);
    escrow::session_key key = escrow::session_key::generate(KeySize);
    for (auto _ : state) benchmark::DoNotOptimize(w.wrap(key, pub, escrow::default_random()));
    state.SetItemsProcessed(state.iterations());
}

template <class Wrap, class Priv, std::size_t KeySize>
void wrap_open(benchmark::State& state, const Priv& priv) {
    Wrap w;
    escrow::session_key key = escrow::session_key::generate(KeySize);
    escrow::wrapped_key wk = w.wrap(key, w.public_of(priv), escrow::default_random());
    for (auto _ : state) {
        auto k = w.unwrap(wk, priv);
        if (!k) state.SkipWithError("unwrap failed");
        benchmark::DoNotOptimize(k);
    }
    state.SetItemsProcessed(state.iterations());
}

// One key pair from the system's random source, as `escrow keygen` makes it (items/s: keys/s).
template <class Generate>
void key_generate(benchmark::State& state, Generate generate) {
    for (auto _ : state) {
        auto key = generate();
        benchmark::DoNotOptimize(key);
    }
    state.SetItemsProcessed(state.iterations());
}

// A source that only streams, so that the host runs its pipeline.
struct stream_source {
    escrow::memory_source in;
    std::size_t read(mutable_byte_view out) { return in.read(out); }
};

// A sink that keeps nothing (the pipeline's own work is what is timed).
struct null_sink {
    std::size_t total = 0;
    void write(byte_view b) noexcept { total += b.size(); }
};

template <class Host, class Pub>
void host_stream_encrypt(benchmark::State& state, const Pub& owner, const Pub& authority) {
    const std::size_t n = 256 * mib;
    bytes plain = random_bytes(n);
    Host host;
    host.threads(static_cast<unsigned>(state.range(0)));
    for (auto _ : state) {
        stream_source in{escrow::memory_source(plain)};
        null_sink out;
        host.encrypt(in, out, owner, authority);
        benchmark::DoNotOptimize(out.total);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <class Host, class Priv>
void host_stream_decrypt(benchmark::State& state, const Priv& owner, const Priv& authority) {
    const std::size_t n = 256 * mib;
    bytes plain = random_bytes(n);
    Host host;
    escrow::memory_sink file;
    {
        escrow::memory_source in(plain);
        host.encrypt(in, file, owner.public_key(), authority.public_key());
    }
    host.threads(static_cast<unsigned>(state.range(0)));
    for (auto _ : state) {
        stream_source in{escrow::memory_source(file.data())};
        null_sink out;
        host.decrypt(in, out, owner);
        if (out.total != n) state.SkipWithError("decrypted size differs");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

}  // namespace

int main(int argc, char** argv) {
    using namespace escrow;
    static const rsa_private_key rsa = rsa_private_key::generate(3072);
    static const rsa_private_key rsa2 = rsa_private_key::generate(3072);
    static const ssh_rsa_private_key ssh(rsa.clone());
    static const x25519_private_key x = x25519_private_key::generate();
    static const x25519_private_key x2 = x25519_private_key::generate();
    static const mlkem768x25519_private_key pq = mlkem768x25519_private_key::generate();

    benchmark::RegisterBenchmark("mac/poly1305/scalar", mac_poly1305, 0)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("mac/poly1305/avx2", mac_poly1305, 1)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("mac/poly1305/cryptopp", mac_poly1305, 2)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("cipher/aes256-gcm-stream/seal", cipher_seal<cipher::aes256_gcm_stream>)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("cipher/aes256-gcm-stream/open", cipher_open<cipher::aes256_gcm_stream>)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("cipher/chacha20-poly1305-stream/seal", cipher_seal<cipher::chacha20_poly1305_stream>)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("cipher/chacha20-poly1305-stream/open", cipher_open<cipher::chacha20_poly1305_stream>)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("cipher/cryptoapi-aes256-cbc/seal", cipher_seal<legacy::cryptoapi_aes_cbc<256>>)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("cipher/cryptoapi-aes256-cbc/open", cipher_open<legacy::cryptoapi_aes_cbc<256>>)
        ->Unit(benchmark::kMillisecond);

    benchmark::RegisterBenchmark("wrap/rsa-oaep-sha256-3072/wrap", wrap_seal<wrap::rsa_oaep_sha256, rsa_private_key, 32>, std::cref(rsa))
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/rsa-oaep-sha256-3072/unwrap", wrap_open<wrap::rsa_oaep_sha256, rsa_private_key, 32>, std::cref(rsa))
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/rsa-pkcs1v15-3072/wrap", wrap_seal<wrap::rsa_pkcs1v15, rsa_private_key, 32>, std::cref(rsa))
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/rsa-pkcs1v15-3072/unwrap", wrap_open<wrap::rsa_pkcs1v15, rsa_private_key, 32>, std::cref(rsa))
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/ssh-rsa-3072/wrap", wrap_seal<wrap::ssh_rsa, ssh_rsa_private_key, 16>, std::cref(ssh))
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/ssh-rsa-3072/unwrap", wrap_open<wrap::ssh_rsa, ssh_rsa_private_key, 16>, std::cref(ssh))
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/x25519/wrap", wrap_seal<wrap::x25519, x25519_private_key, 16>, std::cref(x))->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/x25519/unwrap", wrap_open<wrap::x25519, x25519_private_key, 16>, std::cref(x))->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/mlkem768x25519/wrap", wrap_seal<wrap::mlkem768x25519, mlkem768x25519_private_key, 16>, std::cref(pq))
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("wrap/mlkem768x25519/unwrap", wrap_open<wrap::mlkem768x25519, mlkem768x25519_private_key, 16>, std::cref(pq))
        ->Unit(benchmark::kMicrosecond);

    // RSA-3072 generation takes a random time (its prime search): many iterations, read the mean.
    benchmark::RegisterBenchmark("keygen/rsa-3072", key_generate<rsa_private_key (*)()>,
                                 [] { return rsa_private_key::generate(3072); })
        ->MinTime(10)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("keygen/x25519", key_generate<x25519_private_key (*)()>,
                                 [] { return x25519_private_key::generate(); })
        ->Unit(benchmark::kMicrosecond);
    // The 32-byte seed and the 1216-byte public key expanded from it (what keygen --type pq writes).
    benchmark::RegisterBenchmark("keygen/mlkem768x25519", key_generate<mlkem768x25519_private_key (*)()>,
                                 [] { return mlkem768x25519_private_key::generate(); })
        ->Unit(benchmark::kMicrosecond);

    // threads: 1 = everything on the calling thread; 0 = the pipeline with one worker per core.
    benchmark::RegisterBenchmark("host-stream/native/encrypt", host_stream_encrypt<native_encryptor, rsa_public_key>,
                                 rsa.public_key(), rsa2.public_key())
        ->Arg(1)->Arg(0)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("host-stream/native/decrypt", host_stream_decrypt<native_encryptor, rsa_private_key>, std::cref(rsa), std::cref(rsa2))
        ->Arg(1)->Arg(0)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("host-stream/age/encrypt", host_stream_encrypt<age_encryptor, x25519_public_key>,
                                 x.public_key(), x2.public_key())
        ->Arg(1)->Arg(0)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("host-stream/age/decrypt", host_stream_decrypt<age_encryptor, x25519_private_key>, std::cref(x), std::cref(x2))
        ->Arg(1)->Arg(0)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();

    register_kem_benchmarks();  // kem/mlkem768/..., kem/mlkem768x25519/... (the KEMs alone)

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
