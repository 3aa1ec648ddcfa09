// SPDX-License-Identifier: MIT
/// @file
/// A throwaway wrap joins a list of wraps through the documented one-line registration
/// (`escrow::registry::wraps::append<…>`), and the law suite runs over that list, the new wrap
/// with it; the registry's checks and a host take it as they take the library's own.
#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "register_laws.hpp"

namespace {

/// A throwaway wrap: AES-256-GCM under a symmetric key-encryption key that is both the "public"
/// and the "private" key; a fresh 12-byte nonce travels as the one argument (hex).
struct throwaway_wrap {
    static constexpr std::string_view name = "throwaway-aes-kek";
    static constexpr std::string_view stanza_type = "throwaway";
    static constexpr std::uint16_t id = 0x8F01;

    struct kek {
        std::array<escrow::byte, 32> bytes{};
    };
    using public_key = kek;
    using private_key = kek;

    [[nodiscard]] static escrow::wrapped_key wrap(const escrow::session_key& key, const kek& k, escrow::system_random& rng) {
        std::array<escrow::byte, 12> nonce{};
        rng.fill(nonce);
        CryptoPP::GCM<CryptoPP::AES>::Encryption gcm;
        gcm.SetKeyWithIV(k.bytes.data(), k.bytes.size(), nonce.data(), nonce.size());
        escrow::wrapped_key w;
        w.args.push_back(escrow::hex::encode(nonce));
        w.body.resize(key.size() + 16);
        gcm.EncryptAndAuthenticate(w.body.data(), w.body.data() + key.size(), 16, nonce.data(), nonce.size(), nullptr, 0,
                                   key.unsafe_bytes().data(), key.size());
        return w;
    }
    [[nodiscard]] static std::optional<escrow::session_key> unwrap(const escrow::wrapped_key& w, const kek& k) {
        if (w.args.size() != 1 || w.body.size() <= 16) return std::nullopt;
        escrow::bytes nonce = escrow::hex::decode(w.args[0]);
        if (nonce.size() != 12) return std::nullopt;
        CryptoPP::GCM<CryptoPP::AES>::Decryption gcm;
        gcm.SetKeyWithIV(k.bytes.data(), k.bytes.size(), nonce.data(), nonce.size());
        escrow::session_key out(w.body.size() - 16);
        if (!gcm.DecryptAndVerify(out.unsafe_mutable_bytes().data(), w.body.data() + out.size(), 16, nonce.data(),
                                  nonce.size(), nullptr, 0, w.body.data(), out.size()))
            return std::nullopt;
        return out;
    }
    [[nodiscard]] static kek public_of(const kek& k) { return k; }
    [[nodiscard]] static escrow::digest256 fingerprint(const kek& k) { return escrow::sha256(k.bytes); }
};

// [registration]
using wraps = escrow::registry::wraps::append<throwaway_wrap>;
// [registration-end]

static_assert(escrow::wrap_policy<throwaway_wrap>);
static_assert(escrow::registry::well_formed<wraps> && wraps::size == escrow::registry::wraps::size + 1);
static_assert(escrow::store::native::carries<escrow::cipher::aes256_gcm_stream, throwaway_wrap>);
static_assert(!escrow::store::age::carries<escrow::cipher::chacha20_poly1305_stream, throwaway_wrap>);

/// The library's keys for its wraps, three KEKs for the throwaway one.
struct fixture {
    template <class W>
    static std::vector<typename W::private_key> keys() {
        if constexpr (std::is_same_v<W, throwaway_wrap>) {
            std::vector<throwaway_wrap::kek> k(3);
            for (std::size_t i = 0; i < k.size(); ++i) k[i].bytes.fill(static_cast<escrow::byte>(0x40 + i));
            return k;
        } else {
            return escrow_laws::keys_of<W>();
        }
    }
    template <class W>
    static W make() { return W{}; }
};

const bool registered = [] {
    escrow_laws::register_wrap_laws<wraps, fixture>();
    return true;
}();

}  // namespace

TEST_CASE("A registered throwaway wrap serves a host like the library's wraps", "[laws][registration]") {
    REQUIRE(registered);
    using host = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, throwaway_wrap, escrow::store::native>;
    auto k = fixture::keys<throwaway_wrap>();
    host enc;
    const escrow::bytes plain(70000, 0x5A);
    escrow::memory_source in(plain);
    escrow::memory_sink out;
    auto record = enc.encrypt(in, out, k[0], k[1]);
    escrow::memory_source back(out.data());
    escrow::memory_sink opened;
    enc.decrypt(back, opened, k[0]);
    CHECK(opened.data() == plain);
    escrow::memory_source again(out.data());
    escrow::memory_sink recovered;
    enc.decrypt_with_record(again, recovered, record, k[1]);
    CHECK(recovered.data() == plain);
    escrow::memory_source third(out.data());
    escrow::memory_sink none;
    CHECK_THROWS_AS(enc.decrypt(third, none, k[2]), escrow::error);
}
