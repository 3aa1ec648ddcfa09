// SPDX-License-Identifier: MIT
/// @file
/// Google Benchmark: `escrow::native_encryptor` against a hand-written Crypto++ loop doing the same
/// AES-256-GCM STREAM chunking, in memory, plus the fixed per-file RSA-3072 cost.
///
/// The hand loop is what a careful programmer would write without the library: HKDF-SHA-256 for
/// the payload key (as escrow/cipher/aes256_gcm_stream.hpp specifies), then one GCM call per
/// 64 KiB chunk reading straight from the input buffer and writing straight into the output
/// buffer. Before timing anything the program checks that, given the host's session key and salt,
/// the loop produces the host's payload byte for byte, and that it opens the host's files.
///
/// Both sides write into a preallocated, pre-faulted buffer (`span_sink`), so vector growth and
/// page faults are not measured. The host's figures include everything a file costs: session key
/// and salt, serial number, the RSA-OAEP wraps (owner + one authority) on encryption, the owner's
/// RSA-OAEP unwrap on decryption, the header and its MAC. The RSA operations are also timed alone.
///
/// After the runs, a table gives for each size and direction the host and loop times (median and
/// best repetition) and the ratio host MB/s ÷ loop MB/s. Suggested run:
///
///     bench_native --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true

#include <escrow/escrow.hpp>

#include <benchmark/benchmark.h>
#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>
#include <cryptopp/hkdf.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using escrow::byte;

constexpr std::size_t mib = 1024 * 1024;
constexpr std::size_t chunk = 64 * 1024;
constexpr std::size_t tag_size = 16;

// ---- a sink into a preallocated buffer ----------------------------------------------------------

/// Writes into a fixed buffer; throws rather than grow. It lends its memory (`prepare`/`commit`,
/// escrow::buffer_byte_sink), so the host seals and opens chunks straight into it, as the loop does.
class span_sink {
public:
    explicit span_sink(escrow::mutable_byte_view buf) noexcept : buf_(buf) {}
    void write(escrow::byte_view in) {
        if (in.size() > buf_.size() - pos_) throw std::length_error("span_sink: buffer full");
        std::memcpy(buf_.data() + pos_, in.data(), in.size());
        pos_ += in.size();
    }
    escrow::mutable_byte_view prepare(std::size_t n) {
        if (n > buf_.size() - pos_) throw std::length_error("span_sink: buffer full");
        return buf_.subspan(pos_, n);
    }
    void commit(std::size_t n) { pos_ += n; }
    [[nodiscard]] std::size_t size() const noexcept { return pos_; }
    [[nodiscard]] escrow::byte_view written() const noexcept { return buf_.first(pos_); }

private:
    escrow::mutable_byte_view buf_;
    std::size_t pos_ = 0;
};
static_assert(escrow::buffer_byte_sink<span_sink>);
static_assert(escrow::contiguous_byte_source<escrow::memory_source>);

// ---- the hand-written loop ----------------------------------------------------------------------

/// Payload key = HKDF-SHA-256(ikm = session key, salt = per-file salt, info = "escrow/v1 payload").
void derive_payload_key(const byte* session_key, const byte* salt, CryptoPP::SecByteBlock& out) {
    static constexpr char info[] = "escrow/v1 payload";
    out.New(32);
    CryptoPP::HKDF<CryptoPP::SHA256>().DeriveKey(out.data(), out.size(), session_key, 32, salt, 32,
                                                 reinterpret_cast<const byte*>(info), sizeof info - 1);
}

/// The STREAM nonce: 11-byte big-endian chunk counter, then 1 for the final chunk, else 0.
void make_nonce(byte nonce[12], std::uint64_t index, bool last) {
    std::memset(nonce, 0, 12);
    for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<byte>(index >> (8 * i));
    nonce[11] = last ? 1 : 0;
}

/// Seals `plain` into `out` as STREAM chunks; returns the payload size.
std::size_t loop_seal(const byte* session_key, const byte* salt, const byte* plain, std::size_t size, byte* out) {
    CryptoPP::SecByteBlock key;
    derive_payload_key(session_key, salt, key);
    byte nonce[12] = {};
    CryptoPP::GCM<CryptoPP::AES>::Encryption gcm;
    gcm.SetKeyWithIV(key.data(), key.size(), nonce, sizeof nonce);
    std::size_t in = 0, o = 0;
    for (std::uint64_t i = 0;; ++i) {
        std::size_t n = std::min(chunk, size - in);
        bool last = size - in <= chunk;  // an exact multiple ends with a full final chunk
        make_nonce(nonce, i, last);
        gcm.EncryptAndAuthenticate(out + o, out + o + n, tag_size, nonce, sizeof nonce, nullptr, 0, plain + in, n);
        in += n;
        o += n + tag_size;
        if (last) return o;
    }
}

/// Opens a STREAM payload into `out`; returns the plaintext size, throws on a bad chunk.
std::size_t loop_open(const byte* session_key, const byte* salt, const byte* sealed, std::size_t size, byte* out) {
    CryptoPP::SecByteBlock key;
    derive_payload_key(session_key, salt, key);
    byte nonce[12] = {};
    CryptoPP::GCM<CryptoPP::AES>::Decryption gcm;
    gcm.SetKeyWithIV(key.data(), key.size(), nonce, sizeof nonce);
    std::size_t in = 0, o = 0;
    for (std::uint64_t i = 0;; ++i) {
        // The last chunk is the one after which at most one sealed chunk's worth remains.
        bool last = size - in <= chunk + tag_size;
        std::size_t s = last ? size - in : chunk + tag_size;
        if (s < tag_size) throw std::runtime_error("loop_open: truncated payload");
        make_nonce(nonce, i, last);
        if (!gcm.DecryptAndVerify(out + o, sealed + in + s - tag_size, tag_size, nonce, sizeof nonce, nullptr, 0,
                                  sealed + in, s - tag_size))
            throw std::runtime_error("loop_open: chunk " + std::to_string(i) + " failed authentication");
        in += s;
        o += s - tag_size;
        if (last) return o;
    }
}

// ---- shared data --------------------------------------------------------------------------------

/// A deterministic, incompressible pattern (SplitMix64); AES does not care, but it keeps pages real.
escrow::bytes pattern(std::size_t n) {
    escrow::bytes out(n);
    std::uint64_t x = 0x243F6A8885A308D3ull;
    for (std::size_t i = 0; i < n; i += 8) {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        std::memcpy(out.data() + i, &z, std::min<std::size_t>(8, n - i));
    }
    return out;
}

/// An output buffer big enough for a sealed file of `n` plaintext bytes, every page touched.
escrow::bytes output_buffer(std::size_t n) { return escrow::bytes(n + (n / chunk + 1) * tag_size + 64 * 1024, 0xA5); }

struct keys {
    escrow::rsa_private_key owner = escrow::rsa_private_key::generate(3072);
    escrow::rsa_private_key authority = escrow::rsa_private_key::generate(3072);
    escrow::rsa_public_key owner_public = owner.public_key();
    escrow::rsa_public_key authority_public = authority.public_key();
};

const keys& the_keys() {
    static const keys k;
    return k;
}

escrow::key_info bench_info() {
    escrow::key_info info;
    info.description = "benchmark";
    info.owner = "bench@example.com";
    return info;
}

/// Per size: plaintext, a host-encrypted file, a loop-sealed payload (with its key and salt), and
/// an output buffer.
struct dataset {
    escrow::bytes plain, host_file, loop_payload, out;
    escrow::session_key host_key;  // the host file's session key, recovered through its record
    CryptoPP::SecByteBlock loop_key{32};
    byte loop_salt[32] = {};
};

dataset& data_for(std::size_t n) {
    static std::map<std::size_t, std::unique_ptr<dataset>> cache;
    auto& d = cache[n];
    if (d) return *d;
    d = std::make_unique<dataset>();
    d->plain = pattern(n);
    d->out = output_buffer(n);
    {
        escrow::native_encryptor host;
        escrow::memory_source in(d->plain);
        escrow::memory_sink file;
        auto record = host.encrypt(in, file, the_keys().owner_public, the_keys().authority_public, bench_info());
        d->host_file = std::move(file).take();
        d->host_key = host.recover_session_key(record, the_keys().authority);
    }
    CryptoPP::AutoSeededRandomPool rng;
    rng.GenerateBlock(d->loop_key.data(), 32);
    rng.GenerateBlock(d->loop_salt, 32);
    d->loop_payload = output_buffer(n);
    d->loop_payload.resize(loop_seal(d->loop_key.data(), d->loop_salt, d->plain.data(), n, d->loop_payload.data()));
    return *d;
}

// ---- the check that the loop really does what the host does ------------------------------------

bool loop_matches_host(std::size_t n) {
    const auto& k = the_keys();
    auto plain = pattern(n);
    escrow::native_encryptor host;
    escrow::memory_source in(plain);
    escrow::memory_sink file;
    auto record = host.encrypt(in, file, k.owner_public, k.authority_public, bench_info());
    escrow::session_key key = host.recover_session_key(record, k.authority);
    escrow::memory_source hdr(file.data());
    escrow::file_header h = host.read_header(hdr).unverified_value();
    std::size_t header_size = h.authenticated.size() + h.mac.size();
    escrow::byte_view host_payload = escrow::byte_view(file.data()).subspan(header_size);

    escrow::bytes mine = output_buffer(n);
    mine.resize(loop_seal(key.unsafe_bytes().data(), h.nonce.data(), plain.data(), n, mine.data()));
    bool same_payload = mine.size() == host_payload.size() && std::equal(mine.begin(), mine.end(), host_payload.begin());

    escrow::bytes opened(n + 1);
    std::size_t m = loop_open(key.unsafe_bytes().data(), h.nonce.data(), host_payload.data(), host_payload.size(), opened.data());
    bool opens = m == n && std::equal(plain.begin(), plain.end(), opened.begin());
    // The host's own round trip through the lending sink the benchmarks use.
    escrow::bytes back(n + 1);
    span_sink sink(back);
    escrow::memory_source src(file.data());
    host.decrypt(src, sink, k.owner);
    bool host_round_trip = sink.size() == n && std::equal(plain.begin(), plain.end(), back.begin());
    std::printf("check %9zu bytes: loop payload == host payload: %s; loop opens the host's file: %s; host opens it "
                "into a span_sink: %s\n",
                n, same_payload ? "yes" : "NO", opens ? "yes" : "NO", host_round_trip ? "yes" : "NO");
    return same_payload && opens && host_round_trip;
}

// ---- benchmarks ---------------------------------------------------------------------------------

void host_encrypt(benchmark::State& state, std::size_t n) {
    auto& d = data_for(n);
    escrow::native_encryptor host;
    const auto& k = the_keys();
    for (auto _ : state) {
        escrow::memory_source in(d.plain);
        span_sink out(d.out);
        auto record = host.encrypt(in, out, k.owner_public, k.authority_public, bench_info());
        benchmark::DoNotOptimize(record.mac);
        benchmark::DoNotOptimize(d.out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void loop_encrypt(benchmark::State& state, std::size_t n) {
    auto& d = data_for(n);
    CryptoPP::AutoSeededRandomPool rng;
    CryptoPP::SecByteBlock key(32);
    byte salt[32];
    for (auto _ : state) {
        // A fresh session key and salt per file, as the host draws them.
        rng.GenerateBlock(key.data(), key.size());
        rng.GenerateBlock(salt, sizeof salt);
        benchmark::DoNotOptimize(loop_seal(key.data(), salt, d.plain.data(), n, d.out.data()));
        benchmark::DoNotOptimize(d.out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void host_decrypt(benchmark::State& state, std::size_t n) {
    auto& d = data_for(n);
    escrow::native_encryptor host;
    const auto& k = the_keys();
    for (auto _ : state) {
        escrow::memory_source in(d.host_file);
        span_sink out(d.out);
        host.decrypt(in, out, k.owner);
        if (out.size() != n) state.SkipWithError("host decrypt: wrong size");
        benchmark::DoNotOptimize(d.out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// The host's decryption path without the RSA unwrap: header parse and MAC, then the payload.
void host_decrypt_session_key(benchmark::State& state, std::size_t n) {
    auto& d = data_for(n);
    escrow::native_encryptor host;
    for (auto _ : state) {
        escrow::memory_source in(d.host_file);
        span_sink out(d.out);
        host.decrypt_with_session_key(in, out, d.host_key);
        if (out.size() != n) state.SkipWithError("host decrypt: wrong size");
        benchmark::DoNotOptimize(d.out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void loop_decrypt(benchmark::State& state, std::size_t n) {
    auto& d = data_for(n);
    for (auto _ : state) {
        std::size_t m = loop_open(d.loop_key.data(), d.loop_salt, d.loop_payload.data(), d.loop_payload.size(), d.out.data());
        if (m != n) state.SkipWithError("loop decrypt: wrong size");
        benchmark::DoNotOptimize(d.out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void rsa_wrap(benchmark::State& state) {
    const auto& k = the_keys();
    auto key = escrow::session_key::generate(32);
    for (auto _ : state) {
        auto w = escrow::wrap::rsa_oaep_sha256::wrap(key, k.owner_public, escrow::default_random());
        benchmark::DoNotOptimize(w.body.data());
    }
}

void rsa_unwrap(benchmark::State& state) {
    const auto& k = the_keys();
    auto key = escrow::session_key::generate(32);
    auto w = escrow::wrap::rsa_oaep_sha256::wrap(key, k.owner_public, escrow::default_random());
    for (auto _ : state) {
        auto back = escrow::wrap::rsa_oaep_sha256::unwrap(w, k.owner);
        if (!back) state.SkipWithError("unwrap failed");
        benchmark::DoNotOptimize(back);
    }
}

// ---- the summary --------------------------------------------------------------------------------

/// The console reporter, keeping every repetition's seconds per iteration by benchmark name.
class collecting_reporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const auto& r : runs)
            if (r.run_type == Run::RT_Iteration && !r.error_occurred && r.iterations > 0)
                seconds_[r.run_name.function_name].push_back(r.real_accumulated_time / static_cast<double>(r.iterations));
        ConsoleReporter::ReportRuns(runs);
    }
    /// Median and best seconds per iteration of `name`, or nothing when it did not run.
    [[nodiscard]] bool stats(const std::string& name, double& median, double& best) const {
        auto it = seconds_.find(name);
        if (it == seconds_.end() || it->second.empty()) return false;
        auto v = it->second;
        std::sort(v.begin(), v.end());
        best = v.front();
        median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
        return true;
    }

private:
    std::map<std::string, std::vector<double>> seconds_;
};

struct size_case {
    std::size_t bytes;
    const char* label;
};
constexpr size_case sizes[] = {{1 * mib, "1MiB"}, {256 * mib, "256MiB"}};

void print_summary(const collecting_reporter& rep) {
    std::printf("\nhost = escrow::native_encryptor (whole file: RSA wraps/unwrap, header, payload);\n"
                "loop = hand-written Crypto++ AES-256-GCM STREAM (payload only). MB = 10^6 bytes.\n"
                "ratio = host MB/s / loop MB/s (1.00 = as fast as the loop).\n\n");
    std::printf("%-8s %-8s %12s %12s %10s %10s %7s   %10s %10s %7s\n", "size", "op", "host med ms", "loop med ms",
                "host MB/s", "loop MB/s", "ratio", "host best", "loop best", "ratio");
    for (const auto& sz : sizes)
        for (const char* op : {"encrypt", "decrypt"}) {
            double hm, hb, lm, lb;
            std::string h = std::string(op) + "_host/" + sz.label, l = std::string(op) + "_loop/" + sz.label;
            if (!rep.stats(h, hm, hb) || !rep.stats(l, lm, lb)) continue;
            double mb = static_cast<double>(sz.bytes) / 1e6;
            std::printf("%-8s %-8s %12.3f %12.3f %10.0f %10.0f %7.3f   %8.3fms %8.3fms %7.3f\n", sz.label, op, hm * 1e3,
                        lm * 1e3, mb / hm, mb / lm, lm / hm, hb * 1e3, lb * 1e3, lb / hb);
        }
    std::printf("\nwithout the RSA unwrap (host: decrypt_with_session_key, header parse + MAC + payload):\n");
    for (const auto& sz : sizes) {
        double hm, hb, lm, lb;
        std::string h = std::string("decrypt_host_session_key/") + sz.label, l = std::string("decrypt_loop/") + sz.label;
        if (!rep.stats(h, hm, hb) || !rep.stats(l, lm, lb)) continue;
        double mb = static_cast<double>(sz.bytes) / 1e6;
        std::printf("%-8s %-8s %12.3f %12.3f %10.0f %10.0f %7.3f   %8.3fms %8.3fms %7.3f\n", sz.label, "decrypt", hm * 1e3,
                    lm * 1e3, mb / hm, mb / lm, lm / hm, hb * 1e3, lb * 1e3, lb / hb);
    }
    double m, b;
    if (rep.stats("rsa3072_oaep_wrap", m, b))
        std::printf("\nRSA-3072 OAEP wrap   (per recipient, per file): median %.1f us\n", m * 1e6);
    if (rep.stats("rsa3072_oaep_unwrap", m, b))
        std::printf("RSA-3072 OAEP unwrap (once per decrypted file):  median %.1f us\n", m * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        bool ok = true;
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, chunk, chunk + 1, 3 * chunk, mib + 12345})
            ok = loop_matches_host(n) && ok;
        if (!ok) {
            std::fprintf(stderr, "bench_native: the hand-written loop does not match the host; refusing to compare\n");
            return 1;
        }

        for (const auto& sz : sizes) {
            std::size_t n = sz.bytes;
            auto unit = n >= 64 * mib ? benchmark::kMillisecond : benchmark::kMicrosecond;
            std::string l = sz.label;
            benchmark::RegisterBenchmark(("encrypt_host/" + l).c_str(), host_encrypt, n)->Unit(unit)->UseRealTime();
            benchmark::RegisterBenchmark(("encrypt_loop/" + l).c_str(), loop_encrypt, n)->Unit(unit)->UseRealTime();
            benchmark::RegisterBenchmark(("decrypt_host/" + l).c_str(), host_decrypt, n)->Unit(unit)->UseRealTime();
            benchmark::RegisterBenchmark(("decrypt_loop/" + l).c_str(), loop_decrypt, n)->Unit(unit)->UseRealTime();
            benchmark::RegisterBenchmark(("decrypt_host_session_key/" + l).c_str(), host_decrypt_session_key, n)
                ->Unit(unit)
                ->UseRealTime();
        }
        benchmark::RegisterBenchmark("rsa3072_oaep_wrap", rsa_wrap)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark("rsa3072_oaep_unwrap", rsa_unwrap)->Unit(benchmark::kMicrosecond);

        benchmark::Initialize(&argc, argv);
        if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
        collecting_reporter reporter;
        benchmark::RunSpecifiedBenchmarks(&reporter);
        print_summary(reporter);
        benchmark::Shutdown();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_native: %s\n", e.what());
        return 1;
    }
}
