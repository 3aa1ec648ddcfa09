// SPDX-License-Identifier: MIT
/// @file
/// Example 02: a user-written wrap policy plugged into the host. The session key is wrapped under
/// a symmetric key-encryption key (KEK) that never leaves a (simulated) hardware security module.
///
/// The policy, `hsm_kek_wrap`, is a plain struct that satisfies `escrow::wrap_policy`; it takes an
/// id from the range reserved for users (0x8000–0xFFFF, escrow/core/ids.hpp), so `store::native`
/// carries it without being told about it. docs/policies.md walks through this file.

#include <escrow/escrow.hpp>

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// ---- a simulated HSM ----------------------------------------------------------------------------

/// Stands in for a hardware security module: it keeps named 256-bit KEKs inside and offers only
/// AES-256-GCM sealing and opening under them, plus a key check value. No call returns a KEK.
class simulated_hsm {
public:
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;

    /// Creates a fresh random KEK under `label`.
    void generate_kek(const std::string& label) {
        keks_.insert_or_assign(label, escrow::secret<kek_tag>::generate(32));
    }

    /// AES-256-GCM(KEK `label`, nonce, aad) of `plain`: ciphertext then 16-byte tag.
    [[nodiscard]] escrow::bytes seal(const std::string& label, escrow::byte_view nonce, escrow::byte_view aad,
                                     escrow::byte_view plain) const {
        CryptoPP::GCM<CryptoPP::AES>::Encryption gcm;
        gcm.SetKeyWithIV(kek(label).data(), 32, nonce.data(), nonce.size());
        escrow::bytes out(plain.size() + tag_size);
        gcm.EncryptAndAuthenticate(out.data(), out.data() + plain.size(), tag_size, nonce.data(),
                                   static_cast<int>(nonce.size()), aad.data(), aad.size(), plain.data(), plain.size());
        return out;
    }

    /// Opens what `seal` made; `std::nullopt` when the tag does not verify (wrong KEK, altered data).
    [[nodiscard]] std::optional<escrow::session_key> open(const std::string& label, escrow::byte_view nonce,
                                                          escrow::byte_view aad, escrow::byte_view sealed) const {
        if (sealed.size() < tag_size || nonce.size() != nonce_size) return std::nullopt;
        std::size_t n = sealed.size() - tag_size;
        auto plain = escrow::session_key(n);
        CryptoPP::GCM<CryptoPP::AES>::Decryption gcm;
        gcm.SetKeyWithIV(kek(label).data(), 32, nonce.data(), nonce.size());
        bool ok = gcm.DecryptAndVerify(plain.unsafe_mutable_bytes().data(), sealed.data() + n, tag_size, nonce.data(),
                                       static_cast<int>(nonce.size()), aad.data(), aad.size(), sealed.data(), n);
        if (!ok) return std::nullopt;  // `plain` is wiped as it goes out of scope
        return plain;
    }

    /// A key check value: HMAC-SHA-256 of a fixed label under the KEK. Identifies the KEK without
    /// revealing it (the fingerprint that escrow records carry).
    [[nodiscard]] escrow::digest256 key_check_value(const std::string& label) const {
        return escrow::hmac_sha256(kek(label), escrow::as_bytes("hsm_kek_wrap key check value"));
    }

private:
    struct kek_tag {};
    escrow::byte_view kek(const std::string& label) const {
        auto it = keks_.find(label);
        if (it == keks_.end()) throw escrow::error(escrow::errc::bad_key, "the HSM holds no KEK named '" + label + "'");
        return it->second.unsafe_bytes();
    }
    std::map<std::string, escrow::secret<kek_tag>> keks_;
};

// ---- the custom wrap policy ---------------------------------------------------------------------

/// Wraps a session key under a KEK held by a `simulated_hsm`: AES-256-GCM with a fresh random
/// 12-byte nonce. The wrapped key's args are { KEK label, base64(nonce) } and its body the
/// ciphertext and tag; the label and the policy name are the GCM associated data, so a blob moved
/// to another label fails to open.
///
/// A KEK is symmetric, so the "public" and "private" keys are the same thing: a handle naming a
/// KEK inside the HSM. The policy holds a pointer to the HSM: it is a stateful policy, called
/// through the host's policy object rather than statically.
// [policies:hsm-kek-wrap]
struct hsm_kek_wrap {
    static constexpr std::string_view name = "hsm-kek-aes256-gcm";
    static constexpr std::string_view stanza_type = "hsm-kek";
    static constexpr std::uint16_t id = 0x8001;  // the user range starts at escrow::ids::user_first

    struct kek_handle {
        std::string label;
    };
    using public_key = kek_handle;
    using private_key = kek_handle;

    const simulated_hsm* hsm = nullptr;

    [[nodiscard]] escrow::wrapped_key wrap(const escrow::session_key& key, const public_key& kek,
                                           escrow::system_random& rng) const {
        escrow::byte nonce[simulated_hsm::nonce_size];
        rng.fill(nonce);
        escrow::wrapped_key w;
        w.args = {kek.label, escrow::base64::encode(nonce)};
        w.body = device().seal(kek.label, nonce, aad(kek.label), key.unsafe_bytes());
        return w;
    }

    [[nodiscard]] std::optional<escrow::session_key> unwrap(const escrow::wrapped_key& w, const private_key& kek) const {
        // Not for this KEK (or not ours at all): say so, so that the host tries the next recipient.
        if (w.args.size() != 2 || w.args[0] != kek.label) return std::nullopt;
        escrow::bytes nonce;
        try {
            nonce = escrow::base64::decode(w.args[1]);
        } catch (const escrow::error&) {
            throw escrow::error(escrow::errc::malformed_blob, "hsm_kek_wrap: the nonce argument is not base64");
        }
        if (nonce.size() != simulated_hsm::nonce_size)
            throw escrow::error(escrow::errc::malformed_blob, "hsm_kek_wrap: the nonce must be 12 bytes");
        return device().open(kek.label, nonce, aad(kek.label), w.body);
    }

    [[nodiscard]] public_key public_of(const private_key& kek) const { return kek; }
    [[nodiscard]] escrow::digest256 fingerprint(const public_key& kek) const { return device().key_check_value(kek.label); }

private:
    const simulated_hsm& device() const {
        if (!hsm) throw escrow::error(escrow::errc::invalid_argument, "hsm_kek_wrap used without an HSM");
        return *hsm;
    }
    static escrow::bytes aad(const std::string& label) {
        escrow::bytes a(name.begin(), name.end());
        a.push_back(0);
        escrow::append(a, escrow::as_bytes(label));
        return a;
    }
};
// [policies:check]
static_assert(escrow::wrap_policy<hsm_kek_wrap>);
// [policies:check-end]
// [policies:hsm-kek-wrap-end]

// [policies:ids]
// Ids: the library's wrap and ours must differ (a Boost.Hana set checks it at compile time) ...
static_assert(escrow::ids_unique<escrow::wrap::rsa_oaep_sha256, hsm_kek_wrap>);
static_assert(escrow::ids::is_user_defined(hsm_kek_wrap::id));
// ... and another team's policy that picked the same id would be caught.
struct another_teams_wrap {
    static constexpr std::uint16_t id = 0x8001;
};
static_assert(!escrow::ids_unique<escrow::wrap::rsa_oaep_sha256, hsm_kek_wrap, another_teams_wrap>);
// [policies:ids-end]

// [policies:host-type]
/// The host with our policy in the middle.
using hsm_encryptor = escrow::escrow_encryptor<escrow::cipher::aes256_gcm_stream, hsm_kek_wrap, escrow::store::native>;
// [policies:host-type-end]

}  // namespace

int main() {
    try {
        simulated_hsm hsm;
        hsm.generate_kek("alice-kek");
        hsm.generate_kek("recovery-kek");
        hsm.generate_kek("bob-kek");
        // [policies:host]
        hsm_encryptor host(escrow::cipher::aes256_gcm_stream{}, hsm_kek_wrap{&hsm}, escrow::store::native{});
        // [policies:host-end]

        // [policies:ask-carries]
        constexpr bool listed = escrow::registry::contains<escrow::registry::wraps, hsm_kek_wrap>;
        constexpr bool carried = escrow::store::native::carries<escrow::cipher::aes256_gcm_stream, hsm_kek_wrap>;
        static_assert(!listed && carried);  // not the library's wrap, and carried all the same
        // [policies:ask-carries-end]
        std::cout << "policy " << hsm_kek_wrap::name << ", id " << escrow::policy_ids::hex(hsm_kek_wrap::id)
                  << " (user-defined: " << std::boolalpha << escrow::ids::is_user_defined(hsm_kek_wrap::id)
                  << "; in escrow::registry::wraps: " << listed << "; carried by store::native: " << carried
                  << ")\n";
        std::cout << "ids unique {rsa_oaep_sha256, hsm_kek_wrap}: "
                  << escrow::ids_unique<escrow::wrap::rsa_oaep_sha256, hsm_kek_wrap>
                  << "; with another team's 0x8001 added: "
                  << escrow::ids_unique<escrow::wrap::rsa_oaep_sha256, hsm_kek_wrap, another_teams_wrap> << "\n";

        // Three full 64 KiB chunks and a partial one, so that the STREAM framing is exercised.
        escrow::bytes plain;
        for (int i = 0; plain.size() < 3 * 65536 + 1000; ++i)
            escrow::append(plain, escrow::as_bytes("line " + std::to_string(i) + ": quarterly figures, confidential\n"));

        const hsm_kek_wrap::kek_handle alice{"alice-kek"}, recovery{"recovery-kek"}, bob{"bob-kek"};
        escrow::key_info info;
        info.description = "figures.txt";
        info.owner = "alice@example.com";

        escrow::memory_source in(plain);
        escrow::memory_sink file;
        escrow::escrow_record record = host.encrypt(in, file, alice, recovery, info);
        std::cout << "encrypted " << plain.size() << " bytes into " << file.data().size() << " bytes\n";

        {
            escrow::memory_source src(file.data());
            escrow::file_header h = host.read_header(src).unverified_value();  // shown, not acted on
            for (const auto& r : h.recipients)
                std::cout << "  recipient " << (r.role == escrow::recipient_role::owner ? "owner    " : "authority")
                          << ": args {" << r.key.args[0] << ", " << r.key.args[1] << "}, body " << r.key.body.size()
                          << " bytes\n";
        }
        std::cout << "escrow record:\n" << record.to_json();

        auto same = [&](const escrow::bytes& got) {
            return got.size() == plain.size() && std::equal(got.begin(), got.end(), plain.begin());
        };
        bool ok = true;

        {  // the owner's KEK opens the file
            escrow::memory_source src(file.data());
            escrow::memory_sink out;
            host.decrypt(src, out, alice);
            bool match = same(out.data());
            ok = ok && match;
            std::cout << "owner KEK decrypts: " << (match ? "plaintext matches" : "MISMATCH") << "\n";
        }
        {  // the authority recovers the session key from the record alone, then opens the file
            auto held = escrow::escrow_record::decode(record.encode());
            escrow::memory_source src(file.data());
            escrow::memory_sink out;
            host.decrypt_with_record(src, out, held, recovery);
            bool match = same(out.data());
            ok = ok && match;
            std::cout << "authority KEK through the record (MAC verified): " << (match ? "plaintext matches" : "MISMATCH")
                      << "\n";
        }
        {  // a KEK that is not a recipient is turned away
            escrow::memory_source src(file.data());
            escrow::memory_sink out;
            try {
                host.decrypt(src, out, bob);
                ok = false;
                std::cout << "bob's KEK decrypts: UNEXPECTEDLY ACCEPTED\n";
            } catch (const escrow::error& e) {
                bool expected = e.kind() == escrow::errc::no_matching_key && out.data().empty();
                ok = ok && expected;
                std::cout << "bob's KEK is rejected: " << e.what() << "\n";
            }
        }
        {  // an altered record field is detected by the record MAC
            auto forged = record;
            forged.info.owner = "mallory@example.com";
            try {
                (void)host.recover_session_key(forged, recovery);
                ok = false;
                std::cout << "forged record: UNEXPECTEDLY ACCEPTED\n";
            } catch (const escrow::error& e) {
                ok = ok && e.kind() == escrow::errc::authentication_failed;
                std::cout << "record with a changed owner is rejected: " << e.what() << "\n";
            }
        }

        if (!ok) {
            std::cout << "FAILED: the custom policy did not round-trip\n";
            return 1;
        }
        std::cout << "OK: hsm_kek_wrap round-trips through escrow_encryptor<aes256_gcm_stream, hsm_kek_wrap, native>\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "02_custom_policy: " << e.what() << "\n";
        return 1;
    }
}
