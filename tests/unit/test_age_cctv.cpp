// SPDX-License-Identifier: MIT
/// @file
/// The C2SP CCTV age test kit: every file in vectors/age/testdata is decrypted through the age
/// presets, and the outcome must be exactly the one the vector expects (success with the payload's
/// SHA-256, or the failure class: header, HMAC, payload, armor, no match). Identities: X25519,
/// the hybrid post-quantum `AGE-SECRET-KEY-PQ-1` ones (19 vectors) and passphrases; a vector with
/// an identity of any other kind would be counted as unsupported, never as a pass (there are none).
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "test_support.hpp"

#ifndef ESCROW_VECTORS_DIR
#error "ESCROW_VECTORS_DIR must name the public test-vector folder"
#endif

namespace {

using escrow::bytes;
using escrow::errc;

struct age_vector {
    std::string name;
    std::multimap<std::string, std::string> fields;
    bytes body;

    [[nodiscard]] std::string get(const std::string& k) const {
        auto it = fields.find(k);
        return it == fields.end() ? std::string() : it->second;
    }
    [[nodiscard]] std::vector<std::string> all(const std::string& k) const {
        std::vector<std::string> out;
        for (auto [a, b] = fields.equal_range(k); a != b; ++a) out.push_back(a->second);
        return out;
    }
};

bytes inflate_all(const bytes& in) {
    z_stream z{};
    REQUIRE(inflateInit(&z) == Z_OK);
    bytes out;
    std::vector<unsigned char> buf(1 << 16);
    z.next_in = const_cast<unsigned char*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        z.next_out = buf.data();
        z.avail_out = static_cast<uInt>(buf.size());
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            FAIL("zlib inflate failed: " << rc);
        }
        out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(buf.size() - z.avail_out));
        REQUIRE(out.size() < (64u << 20));
    }
    inflateEnd(&z);
    return out;
}

age_vector load(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    REQUIRE(f.good());
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto split = all.find("\n\n");
    REQUIRE(split != std::string::npos);
    age_vector v;
    v.name = p.filename().string();
    std::istringstream head(all.substr(0, split));
    for (std::string line; std::getline(head, line);) {
        auto c = line.find(": ");
        REQUIRE(c != std::string::npos);
        v.fields.emplace(line.substr(0, c), line.substr(c + 2));
    }
    v.body.assign(all.begin() + static_cast<std::ptrdiff_t>(split + 2), all.end());
    if (v.get("compressed") == "zlib") v.body = inflate_all(v.body);
    return v;
}

struct outcome {
    std::string result;  // "success", "header failure", ...
    bytes released;      // what reached the sink
    std::string detail;
};

// Runs the header, unwrap and payload steps apart, so that each failure has its class.
template <class Source>
outcome run(Source& src, const age_vector& v, unsigned threads) {
    escrow::age_encryptor x;
    x.threads(threads);
    escrow::age_scrypt_encryptor s;
    escrow::age_pq_encryptor pq;
    escrow::memory_sink sink;
    enum { header, unwrap, payload } stage = header;
    try {
        const auto h = x.read_header(src);
        stage = unwrap;
        std::optional<escrow::session_key> key;
        bool saw_hmac_failure = false;
        auto attempt = [&](auto& enc, const auto& identity) {
            if (key) return;
            try {
                key.emplace(enc.open_header(h, identity));
            } catch (const escrow::error& e) {
                if (e.kind() == errc::no_matching_key) return;
                if (e.kind() == errc::authentication_failed) {
                    saw_hmac_failure = true;
                    return;
                }
                throw;
            }
        };
        for (const auto& id : v.all("identity")) {
            if (id.starts_with(escrow::mlkem768x25519_private_key::prefix)) attempt(pq, escrow::mlkem768x25519_private_key::parse(id));
            else attempt(x, escrow::x25519_private_key::parse(id));
        }
        for (const auto& pw : v.all("passphrase")) attempt(s, escrow::scrypt_passphrase(pw, 10));
        if (!key) return {saw_hmac_failure ? "HMAC failure" : "no match", {}, ""};
        stage = payload;
        x.decrypt_payload(src, sink, *key, h);
        return {"success", std::move(sink).take(), ""};
    } catch (const escrow::error& e) {
        std::string cls;
        if (e.kind() == errc::malformed_armor) cls = "armor failure";
        else if (stage == header) cls = "header failure";
        else if (stage == unwrap) cls = e.kind() == errc::malformed_header ? "header failure" : "unexpected";
        else cls = "payload failure";
        return {cls, std::move(sink).take(), e.what()};
    }
}

// An identity of a kind `run` does not try (neither X25519 nor post-quantum).
bool unsupported(const age_vector& v) {
    for (const auto& id : v.all("identity"))
        if (!id.starts_with("AGE-SECRET-KEY-1") && !id.starts_with(escrow::mlkem768x25519_private_key::prefix)) return true;
    return false;
}

bool post_quantum(const age_vector& v) {
    for (const auto& id : v.all("identity"))
        if (id.starts_with(escrow::mlkem768x25519_private_key::prefix)) return true;
    return false;
}

}  // namespace

// A source that only streams (hides peek and skip), so that the host runs its parallel pipeline.
template <class Source>
struct streamed {
    Source& in;
    std::size_t read(escrow::mutable_byte_view b) { return in.read(b); }
};

// Runs every vector; `pipeline`: through a streaming source and the parallel pipeline (2 workers)
// rather than in place.
void check_all_vectors(bool pipeline) {
    const auto dir = std::filesystem::path(ESCROW_VECTORS_DIR) / "age" / "testdata";
    REQUIRE(std::filesystem::is_directory(dir));
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() == 143);

    std::map<std::string, std::pair<int, int>> by_class;  // expected class -> (supported, passed)
    int total = 0, passed = 0, skipped = 0, ssh_ed25519 = 0, hybrid = 0, hybrid_passed = 0;
    std::vector<std::string> failures;
    for (const auto& p : files) {
        age_vector v = load(p);
        ++total;
        const std::string_view body(reinterpret_cast<const char*>(v.body.data()), v.body.size());
        ssh_ed25519 += body.find("\n-> ssh-ed25519 ") != std::string_view::npos;
        const std::string expect = v.get("expect");
        if (unsupported(v)) {
            ++skipped;
            continue;
        }
        ++by_class[expect].first;
        const bool pq = post_quantum(v);
        hybrid += pq;
        outcome o;
        if (v.get("armored") == "yes") {
            escrow::memory_source raw(v.body);
            escrow::store::age_dearmor_source<escrow::memory_source> src(raw);
            o = run(src, v, pipeline ? 2 : 1);
        } else if (pipeline) {
            escrow::memory_source raw(v.body);
            streamed<escrow::memory_source> src{raw};
            o = run(src, v, 2);
        } else {
            escrow::memory_source src(v.body);
            o = run(src, v, 1);
        }
        bool ok = o.result == expect;
        // Success and payload failures are judged by all the plaintext released, too.
        if (ok && (expect == "success" || expect == "payload failure")) {
            ok = escrow::hex::encode(escrow::sha256(o.released)) == v.get("payload");
            if (!ok) o.detail += " (released plaintext does not match the payload hash; " +
                                 std::to_string(o.released.size()) + " bytes released)";
        }
        if (ok) {
            ++passed;
            hybrid_passed += pq;
            ++by_class[expect].second;
        } else {
            failures.push_back(v.name + ": expected '" + expect + "', got '" + o.result + "' " + o.detail);
        }
    }
    std::ostringstream table;
    table << (pipeline ? "Through the parallel pipeline: " : "In place: ") << "CCTV age vectors: " << total << " files, " << (total - skipped) << " supported, " << passed
          << " passed, " << failures.size() << " failed, " << skipped << " unsupported; hybrid post-quantum (AGE-SECRET-KEY-PQ-1): "
          << hybrid_passed << "/" << hybrid << " passed\n";
    for (const auto& [cls, n] : by_class)
        table << "  " << cls << ": " << n.second << "/" << n.first << " passed\n";
    std::cout << table.str();
    for (const auto& f : failures) UNSCOPED_INFO(f);
    CHECK(failures.empty());
    CHECK(passed + skipped == total);
    CHECK(skipped == 0);
    CHECK(hybrid == 19);
    CHECK(hybrid_passed == 19);
    // The kit (at the snapshot tests/vectors/README.md names, also upstream's newest) has no
    // ssh-ed25519 vector: wrap::ssh_ed25519 is checked against the real age instead
    // (test_ssh_ed25519's known answer, tests/interop/age). A kit that adds some fails here, so
    // that the runner above learns their identities.
    std::cout << "CCTV age vectors with an ssh-ed25519 stanza: " << ssh_ed25519 << "\n";
    CHECK(ssh_ed25519 == 0);
}

TEST_CASE("Every CCTV age vector gives exactly its expected result", "[store][age][cctv]") {
    check_all_vectors(false);
}

TEST_CASE("Every CCTV age vector gives its expected result through the parallel pipeline too", "[store][age][cctv][pipeline]") {
    check_all_vectors(true);
}
