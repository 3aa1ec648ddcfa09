// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt` for the age format (escrow::age_encryptor for X25519
/// recipients, escrow::age_ssh_encryptor for ssh-rsa ones, escrow::age_ssh_ed25519_encryptor for
/// ssh-ed25519 ones, escrow::age_pq_encryptor for post-quantum ones, never mixed with the
/// others), binary or ASCII-armored. Where the tool is built with OpenSSL's libcrypto
/// (ESCROW_CLI_OPENSSL_CIPHER), the payload is computed with OpenSSL's ChaCha20 and Poly1305
/// (cipher::openssl_chacha20_poly1305_stream): the same bytes, faster.

#include "cli_age.hpp"

#include <escrow/escrow.hpp>
#if ESCROW_CLI_OPENSSL_CIPHER
#include <escrow/cipher/openssl_chacha20_poly1305.hpp>
#include <openssl/crypto.h>
#endif

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "cli_jobs.hpp"
#include "cli_pkcs11.hpp"
#include "cli_shares.hpp"
#include "cli_wraps.hpp"

namespace escrow_cli {

std::string_view text_of(escrow::byte_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

namespace {

#if ESCROW_CLI_OPENSSL_CIPHER
using age_payload = escrow::cipher::openssl_chacha20_poly1305_stream;
// An age encryption or decryption that makes no TLS connection uses OpenSSL for the ChaCha20
// keystream only: OpenSSL's configuration file (TLS and provider settings) is not read, which
// keeps its start-up within the peak-RSS budget (docs/performance.md, "Peak RSS"). Called before
// anything else in the process uses OpenSSL; `encrypt --deposit` leaves it to read its settings.
void start_openssl() { OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr); }
#else
using age_payload = escrow::cipher::chacha20_poly1305_stream;
void start_openssl() {}
#endif
/// The library's age preset `Preset` with the tool's payload cipher.
template <class Preset>
using with_payload = escrow::escrow_encryptor<age_payload, typename Preset::wrap_type, escrow::store::age>;
using age_x25519 = with_payload<escrow::age_encryptor>;
using age_ssh_rsa = with_payload<escrow::age_ssh_encryptor>;
using age_ssh_ed25519 = with_payload<escrow::age_ssh_ed25519_encryptor>;
using age_mixed = with_payload<escrow::age_mixed_encryptor>;
using age_pq = with_payload<escrow::age_pq_encryptor>;
using age_pq_set = with_payload<escrow::age_pq_set_encryptor>;

/// An age identity: an X25519 identity file, an RSA private key (OpenSSH or PEM), an OpenSSH
/// Ed25519 private key, or a post-quantum identity file; in the order of `age_recipient`'s kinds.
using age_identity = std::variant<escrow::x25519_private_key, escrow::ssh_rsa_private_key, escrow::ssh_ed25519_private_key,
                                  escrow::mlkem768x25519_private_key>;

// One recipient string: age1pq1…, age1…, or an OpenSSH public key line.
age_recipient parse_age_recipient(std::string_view s) {
    if (s.starts_with("age1pq1")) return escrow::mlkem768x25519_public_key::parse(s);
    if (s.starts_with("age1")) return escrow::x25519_public_key::parse(s);
    if (escrow::ssh::line_type(s) == escrow::ssh::ed25519_type) return escrow::ssh_ed25519_public_key::parse(s);
    if (s.starts_with("ssh-") || s.starts_with("ecdsa-") || s.starts_with("sk-")) {
        auto k = escrow::ssh_rsa_public_key::parse(s);
        if (k.bits() < escrow::wrap::ssh_rsa::min_bits)
            throw escrow::error(escrow::errc::bad_key, "an RSA key of " + std::to_string(k.bits()) +
                                                           " bits is too small (at least 2048 bits)");
        return k;
    }
    if (looks_like_age_identity(s))
        throw escrow::error(escrow::errc::bad_key, "this is an age identity (a private key); give its recipient (age1...)");
    throw escrow::error(escrow::errc::bad_key,
                        "not an age recipient: expected age1..., ssh-rsa AAAA..., ssh-ed25519 AAAA..., or a file holding one");
}

}  // namespace

age_recipient age_recipient_of(escrow::byte_view content) {
    std::string_view text = text_of(content);
    if (escrow::pem::looks_like_pem(text))
        throw escrow::error(escrow::errc::bad_key, "is a PEM key; --format age takes age1... recipients or "
                                                   "OpenSSH public keys (ssh-rsa or ssh-ed25519, e.g. id_ed25519.pub)");
    std::vector<std::string_view> lines = escrow::detail::key_file_lines(content);
    if (lines.size() != 1)
        throw escrow::error(escrow::errc::bad_key, lines.empty() ? "holds no recipient"
                                                                 : "holds " + std::to_string(lines.size()) +
                                                                       " recipients; give one per option");
    return parse_age_recipient(lines.front());
}

namespace {

/// Loads an age RECIPIENT given to --owner or --authority: an `age1…` string, an `ssh-rsa …` or
/// `ssh-ed25519 …` line, or a file holding exactly one of them (an age recipients file, an OpenSSH `.pub` file;
/// blank and `#` lines are skipped).
/// @throws escrow::error `bad_key`, `not_found`, `io_error`.
age_recipient load_age_recipient(const std::string& value, std::string_view option) {
    // An identity given by mistake is a secret: never echo it.
    if (looks_like_age_identity(value))
        throw escrow::error(escrow::errc::bad_key, std::string(option) + ": this is an age identity (a private key); "
                                                                          "give its recipient (age1...)");
    const std::string context = std::string(option) + " " + in_quotes(value);
    try {
        if (value.starts_with("age1") || value.starts_with("ssh-")) return parse_age_recipient(value);
        key_file_bytes content(value, option);
        return age_recipient_of(content.view());
    } catch (const escrow::error& e) {
        throw with_context(e, context);
    }
}

/// An age IDENTITY from the content of the key file: an age identity file with one identity
/// (`AGE-SECRET-KEY-1…`, as age-keygen and `escrow keygen --type x25519` write, or
/// `AGE-SECRET-KEY-PQ-1…`, as age-keygen -pq and `escrow keygen --type pq` write), an RSA private
/// key for ssh-rsa recipients (the OpenSSH format `ssh-keygen` writes, unencrypted, or PEM/DER),
/// or an OpenSSH Ed25519 private key for ssh-ed25519 recipients (unencrypted).
/// @throws escrow::error `bad_key`, with `context` (the option and file) in the message.
age_identity age_identity_of(escrow::byte_view content, const std::string& context) {
    std::string_view text = text_of(content);
    try {
        if (text.find(escrow::mlkem768x25519_private_key::prefix) != std::string_view::npos)
            return escrow::mlkem768x25519_private_key::load(content);
        if (text.find("AGE-SECRET-KEY-1") != std::string_view::npos) return escrow::x25519_private_key::load(content);
        if (text.starts_with("age1") || text.starts_with("ssh-"))
            throw escrow::error(escrow::errc::bad_key, "is a public key; --key takes the identity (private key) file");
        if (escrow::ssh::is_openssh_private_key(content)) {
            escrow::bytes der = escrow::ssh::openssh_private_der(content);
            escrow::scoped_wipe wipe(der);
            if (escrow::ssh::key_v1_type(der) == escrow::ssh::ed25519_type)
                return escrow::ssh_ed25519_private_key::from_openssh(der);
        }
        auto k = escrow::ssh_rsa_private_key::load(content);
        if (k.bits() < escrow::wrap::ssh_rsa::min_bits)
            throw escrow::error(escrow::errc::bad_key, "an RSA key of " + std::to_string(k.bits()) +
                                                           " bits is too small (at least 2048 bits)");
        return k;
    } catch (const escrow::error& e) {
        throw with_context(e, context);
    }
}

/// Reads and loads the age IDENTITY file given to `option` (see `age_identity_of`).
age_identity load_age_identity(const std::string& path, std::string_view option) {
    key_file_bytes content(path, option);
    return age_identity_of(content.view(), std::string(option) + " " + in_quotes(path));
}

template <class Encryptor, class Key>
int encrypt_age_with(const encrypt_job& job, const Key& owner, const std::vector<age_recipient>& authority_keys) {
    std::vector<Key> authorities;
    for (const auto& a : authority_keys)
        authorities.push_back(std::visit(
            [](const auto& k) -> Key {
                // Recipients of one kind for a preset of that kind, of any kind for the set preset.
                if constexpr (std::is_constructible_v<Key, decltype(k)>) return Key(k);
                else throw escrow::error(escrow::errc::invalid_argument, "a recipient of another kind than the preset's");
            },
            a));
    input_file in(job.in_path, job.progress);
    output_file out(job.out_path);
    Encryptor enc;
    std::vector<escrow::escrow_record> records;
    // The set host writes k-of-n files (--threshold K >= 2); K = 1 is its plain encrypt.
    auto seal = [&](auto& src, auto& sink) {
        if constexpr (escrow::is_wrap_set<typename Encryptor::wrap_type>)
            return enc.encrypt_threshold(src, sink, owner, std::span<const Key>(authorities), job.threshold, job.info);
        else return enc.encrypt(src, sink, owner, std::span<const Key>(authorities), job.info);
    };
    if (job.armor) {
        escrow::store::age_armor_sink<output_file> armored(out);
        records = seal(in, armored);
        armored.finish();
    } else {
        records = with_payload_io(in, 0, in, out, seal);
    }
    commit_encrypt(job, out, records);
    return exit_code::ok;
}

int encrypt_age_mixed(const encrypt_job& job, const age_recipient& owner, const std::vector<age_recipient>& authority_keys) {
    using mixed_key = age_mixed::public_key;
    const auto mixed_owner = std::visit(
        [](const auto& k) -> mixed_key {
            if constexpr (std::is_constructible_v<mixed_key, decltype(k)>) return k;
            else throw escrow::error(escrow::errc::invalid_argument, "a post-quantum owner for the classical preset");
        },
        owner);
    return encrypt_age_with<age_mixed>(job, mixed_owner, authority_keys);
}

// The age spec: a file encrypted to a post-quantum recipient SHOULD NOT also be encrypted to a
// classical one (which would open it to a quantum adversary). The tool refuses the mix.
void refuse_mixed_post_quantum(const age_recipient& owner, const std::vector<age_recipient>& authorities) {
    std::size_t pq = is_post_quantum(owner) ? 1 : 0;
    for (const auto& a : authorities) pq += is_post_quantum(a) ? 1 : 0;
    if (pq != 0 && pq != authorities.size() + 1)
        throw escrow::error(escrow::errc::invalid_argument,
                            "--owner and --authority mix post-quantum (age1pq1...) and classical recipients; the age "
                            "spec says a file SHOULD NOT be encrypted to both (a classical recipient would leave it open "
                            "to a quantum adversary): give post-quantum keys for all of them, or for none");
}

}  // namespace

int encrypt_age(const encrypt_job& job) {
    if (!job.deposit) start_openssl();
    age_recipient owner = load_age_recipient(job.owner, "--owner");
    auto fingerprint = [](const age_recipient& r) { return std::visit([](const auto& k) { return k.fingerprint(); }, r); };
    std::vector<age_recipient> authorities;
    for (const auto& a : job.authorities) {
        authorities.push_back(load_age_recipient(a, "--authority"));
        if (authorities.back().index() == owner.index())
            refuse_owner_as_authority(fingerprint(owner), fingerprint(authorities.back()), a);
    }
    refuse_mixed_post_quantum(owner, authorities);
    if (const auto* pq = std::get_if<escrow::mlkem768x25519_public_key>(&owner)) {
        // All post-quantum: the set host writes k-of-n files, the plain preset the others.
        if (job.threshold > 1)
            return encrypt_age_with<age_pq_set>(job, age_pq_set::public_key(*pq),
                                                                  authorities);
        return encrypt_age_with<age_pq>(job, *pq, authorities);
    }
    // Recipients of several kinds: the age preset of the three wraps (a file as age -r/-R writes);
    // a k-of-n file too, whatever its kinds.
    for (const auto& a : authorities)
        if (a.index() != owner.index() || job.threshold > 1) return encrypt_age_mixed(job, owner, authorities);
    return std::visit(
        [&](const auto& k) {
            using key = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<key, escrow::x25519_public_key>)
                return encrypt_age_with<age_x25519>(job, k, authorities);
            else if constexpr (std::is_same_v<key, escrow::ssh_rsa_public_key>)
                return encrypt_age_with<age_ssh_rsa>(job, k, authorities);
            else if constexpr (std::is_same_v<key, escrow::ssh_ed25519_public_key>)
                return encrypt_age_with<age_ssh_ed25519>(job, k, authorities);
            else
                return encrypt_age_with<age_pq>(job, k, authorities);  // taken above
        },
        owner);
}

namespace {

// The identities of an identity file that holds several, X25519 and post-quantum ones mixed (as
// age reads them): one per line that is not blank or a comment.
void load_identity_lines(escrow::byte_view content, std::vector<age_identity>& out) {
    constexpr std::string_view pq = escrow::mlkem768x25519_private_key::prefix;
    std::size_t n = 0;
    for (std::string_view line : escrow::detail::key_file_lines(content)) {
        if (++n > escrow::x25519_private_key::max_identities_per_file)
            throw escrow::error(escrow::errc::bad_key, "the identity file holds more than " +
                                                           std::to_string(escrow::x25519_private_key::max_identities_per_file) +
                                                           " identities");
        if (line.starts_with(pq)) out.emplace_back(escrow::mlkem768x25519_private_key::parse(line));
        else if (line.starts_with("AGE-SECRET-KEY-1")) out.emplace_back(escrow::x25519_private_key::parse(line));
        else
            throw escrow::error(escrow::errc::bad_key, "not an age identity file (a line is neither a comment nor "
                                                       "'AGE-SECRET-KEY-1...' or 'AGE-SECRET-KEY-PQ-1...')");
    }
}

// The age identities of every --key file, in order; an identity file may hold several.
std::vector<age_identity> load_age_identities(const decrypt_job& job) {
    constexpr std::string_view x25519 = "AGE-SECRET-KEY-1", pq = escrow::mlkem768x25519_private_key::prefix;
    std::vector<age_identity> out;
    for (const auto& path : job.key_paths) {
        const std::string context = "--key " + in_quotes(path);
        key_file_bytes content(path, "--key");
        std::string_view text = text_of(content.view());
        const bool has_x25519 = text.find(x25519) != std::string_view::npos, has_pq = text.find(pq) != std::string_view::npos;
        try {
            if (has_pq && (has_x25519 || text.find(pq) != text.rfind(pq))) load_identity_lines(content.view(), out);
            else if (text.find(x25519) != text.rfind(x25519))
                for (auto& k : escrow::x25519_private_key::load_all(content.view())) out.emplace_back(std::move(k));
            else out.push_back(age_identity_of(content.view(), context));
        } catch (const escrow::error& e) {
            throw with_context(e, context);
        }
    }
    return out;
}

// The session key of a k-of-n file from K identities and their share records, through `Host` (the
// classical set, or the post-quantum one).
template <class Host>
escrow::session_key open_age_shares(const escrow::unverified<escrow::file_header>& h, const std::vector<age_identity>& ids,
                                    const std::vector<escrow::escrow_record>& records) {
    using key = typename Host::private_key;
    std::vector<key> keys;
    for (const auto& id : ids)
        keys.push_back(std::visit(
            [](const auto& k) -> key {
                if constexpr (std::is_constructible_v<key, decltype(k.clone())>) return k.clone();
                else throw escrow::error(escrow::errc::invalid_argument, "--key: post-quantum and classical identities "
                                                                         "do not open one k-of-n file together");
            },
            id));
    return Host{}.open_shares(h, records, keys);
}

bool any_post_quantum(const std::vector<age_identity>& ids) {
    return std::any_of(ids.begin(), ids.end(),
                       [](const age_identity& id) { return std::holds_alternative<escrow::mlkem768x25519_private_key>(id); });
}

// Opens the header with the identities of one kind (the encryptor's wrap), or none.
template <class Encryptor, class Key>
std::optional<escrow::session_key> open_age_with(const escrow::unverified<escrow::file_header>& h,
                                                 const std::vector<age_identity>& ids, const decrypt_job& job,
                                                 const std::optional<escrow::escrow_record>& record) {
    std::vector<const Key*> keys;
    for (const auto& id : ids)
        if (const auto* k = std::get_if<Key>(&id)) keys.push_back(k);
    if (keys.empty()) return std::nullopt;
    Encryptor enc;
    try {
        return open_with_keys(enc, h, std::span<const Key* const>(keys), job, record);
    } catch (const escrow::error& e) {
        if (e.kind() != escrow::errc::no_matching_key) throw;
        return std::nullopt;
    }
}

template <class Source>
void decrypt_age_from(const decrypt_job& job, Source& in, const std::vector<age_identity>& ids,
                      const std::optional<escrow::escrow_record>& record) {
    const escrow::unverified<escrow::file_header> h(escrow::store::age::parse(in));
    for (const auto& r : h.unverified_value().recipients)
        if (r.type == escrow::store::age::scrypt_type)
            throw escrow::error(escrow::errc::no_matching_key,
                                "the input is encrypted with a passphrase (age -p): escrow opens files made for keys; "
                                "decrypt it with 'age -d'");
    std::optional<escrow::session_key> sk;
    if (h.unverified_value().threshold && !job.record_paths.empty()) {
        // A k-of-n file with share records: K identities, each with its record, paired by order.
        const std::vector<escrow::escrow_record> records = load_share_records(job, ids.size());
        sk = any_post_quantum(ids) ? open_age_shares<age_pq_set>(h, ids, records)
                                   : open_age_shares<age_mixed>(h, ids, records);
    }
    if (!sk) sk = open_age_with<age_x25519, escrow::x25519_private_key>(h, ids, job, record);
    if (!sk) sk = open_age_with<age_ssh_rsa, escrow::ssh_rsa_private_key>(h, ids, job, record);
    if (!sk) sk = open_age_with<age_ssh_ed25519, escrow::ssh_ed25519_private_key>(h, ids, job, record);
    if (!sk) sk = open_age_with<age_pq, escrow::mlkem768x25519_private_key>(h, ids, job, record);
    if (!sk) {
        if (h.unverified_value().threshold) escrow::detail::throw_shares_needed(*h.unverified_value().threshold);
        if (record)
            throw escrow::error(escrow::errc::no_matching_key, "--record " + in_quotes(*job.record_path) +
                                                                   " was made for a different authority key than " +
                                                                   keys_named(job));
        no_key_opens(job, h.unverified_value().recipients.size());
    }
    output_file out(job.out_path);
    if constexpr (std::is_same_v<Source, decrypt_input>)
        with_payload_io(in, in.position(), in.source(), out,
                        [&](auto& src, auto& sink) { age_x25519{}.decrypt_payload(src, sink, *sk, h); });
    else
        age_x25519{}.decrypt_payload(in, out, *sk, h);
    commit_all({{&out, plaintext_file_mode}});
}

}  // namespace

int decrypt_age(const decrypt_job& job, decrypt_input& in) {
    start_openssl();
    if (token_key(job)) throw usage_error("decrypt: a PKCS#11 key serves native and CryptoAPI files, not age");
    std::vector<age_identity> ids = load_age_identities(job);
    std::optional<escrow::escrow_record> record;
    if (job.record_path && job.record_paths.size() == 1) record = load_record(*job.record_path);
    const bool armored = !in.starts_with(escrow::as_bytes(escrow::store::age::version_prefix));
    if (armored) {
        escrow::store::age_dearmor_source<decrypt_input> src(in);
        decrypt_age_from(job, src, ids, record);
    } else {
        decrypt_age_from(job, in, ids, record);
    }
    return exit_code::ok;
}

namespace {

// The set host that rewrites an age file for a new owner: the post-quantum one for a post-quantum
// blob (wrap `id`), the classical one for the others.
template <class F>
int with_age_set_host(std::uint16_t wrap_id, F&& f) {
    if (wrap_id == escrow::wrap::mlkem768x25519::id) return f(std::type_identity<age_pq_set>{});
    return f(std::type_identity<age_mixed>{});
}

// A blob from 'escrow authority recover' for an age file: the new owner's stanza, of a wrap of `Host`.
template <class Host>
escrow::wrapped_key decode_age_blob(const escrow::authority::owner_blob& b) {
    std::optional<escrow::wrapped_key> w;
    escrow::wrap::visit_member_id<typename Host::wrap_type>(b.wrap_id, [&](auto m) {
        w = escrow::store::age::decode_blob<typename Host::cipher_type, typename decltype(m)::type>(b.blob);
    });
    if (!w)
        throw escrow::error(escrow::errc::unknown_policy_id, "--blob (serial " + b.serial + ") is for wrap " +
                                                                 id_name("wrap", b.wrap_id) +
                                                                 (escrow::wrap::has_id<age_mixed::wrap_type>(b.wrap_id) ||
                                                                          b.wrap_id == escrow::wrap::mlkem768x25519::id
                                                                      ? ", which does not mix with the others'"
                                                                      : ", which age files do not carry"));
    return std::move(*w);
}

// The new owner's age identity (--key), as `Host` takes it.
template <class Host>
typename Host::private_key load_new_owner(const std::string& key_path) {
    using key = typename Host::private_key;
    const age_identity id = load_age_identity(key_path, "--key");
    return std::visit(
        [](const auto& k) -> key {
            if constexpr (std::is_constructible_v<key, decltype(k.clone())>) return k.clone();
            else throw escrow::error(escrow::errc::bad_key, "--key: the new owner's identity and the blob are not both "
                                                            "post-quantum or both classical");
        },
        id);
}

}  // namespace

int rewrap_age_blob(const std::string& file, const escrow::authority::owner_blob& blob, const escrow::escrow_record& record,
                    const std::string& key_path) {
    if (record.info.serial != blob.serial)
        throw escrow::error(escrow::errc::invalid_argument, "the owner blob (serial " + blob.serial +
                                                                ") and the escrow record (serial " + record.info.serial + ") differ");
    if (record.store_id != escrow::store::age::id || record.cipher_id != age_mixed::cipher_type::id)
        throw escrow::error(escrow::errc::unknown_policy_id, "the escrow record is for store " + id_name("store", record.store_id) +
                                                                 ", cipher " + id_name("cipher", record.cipher_id) +
                                                                 ", not an age file's");
    return with_age_set_host(blob.wrap_id, [&](auto t) {
        using host = typename decltype(t)::type;
        const escrow::wrapped_key w = decode_age_blob<host>(blob);
        const typename host::private_key key = load_new_owner<host>(key_path);
        rewrite_in_place(file, [&](auto& in, auto& out) { host{}.apply_owner_blob(in, out, w, key, record); });
        return exit_code::ok;
    });
}

int rewrap_age_shares(const std::string& file, const share_blobs& shares, const std::string& key_path) {
    const std::uint16_t wrap_id = shares.blobs.empty() ? 0 : shares.blobs.front().wrap_id;
    return with_age_set_host(wrap_id, [&](auto t) {
        using host = typename decltype(t)::type;
        std::vector<escrow::wrapped_key> blobs;
        for (const auto& b : shares.blobs) blobs.push_back(decode_age_blob<host>(b));
        const typename host::private_key key = load_new_owner<host>(key_path);
        rewrite_in_place(file, [&](auto& in, auto& out) { host{}.rewrap_with_shares(in, out, shares.records, blobs, key); });
        return exit_code::ok;
    });
}

}  // namespace escrow_cli
