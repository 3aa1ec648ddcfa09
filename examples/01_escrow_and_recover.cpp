// SPDX-License-Identifier: MIT
/// @file
/// Example 01: the four steps of key escrow on a real file, from encryption to recovery after the
/// owner lost their key pair, ending with the recovered file compared to the original.
///
///     01_escrow_and_recover [FILE] [WORKDIR]
///
/// FILE defaults to /usr/share/common-licenses/GPL-3 (or, where that is missing, this program's
/// own executable); WORKDIR defaults to a new temporary directory. Every file is streamed, so
/// memory stays bounded whatever FILE's size. Exit status 0 only when the file recovered with the
/// new key is byte for byte the original.

#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <cryptopp/sha.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// ---- small helpers ------------------------------------------------------------------------------

/// Writes `text` to `path` atomically (temporary file, then rename) with permission bits `mode`.
void write_file(const fs::path& path, std::string_view text, mode_t mode) {
    escrow::atomic_file_sink out(path);
    out.write(escrow::as_bytes(text));
    out.commit(mode);
}

/// Reads a small file (a key or a record) into memory, refusing anything over `limit` bytes.
escrow::bytes read_small_file(const fs::path& path, std::size_t limit = 1024 * 1024) {
    escrow::file_source in(path);
    return escrow::read_all(in, limit);
}

/// SHA-256 of a file, streamed in 64 KiB pieces.
escrow::digest256 sha256_of_file(const fs::path& path) {
    escrow::file_source in(path);
    CryptoPP::SHA256 hash;
    escrow::bytes buf(64 * 1024);
    for (;;) {
        std::size_t n = in.read(buf);
        hash.Update(buf.data(), n);
        if (n < buf.size()) break;
    }
    escrow::digest256 out{};
    hash.Final(out.data());
    return out;
}

std::string human_size(std::uintmax_t n) {
    char buf[64];
    if (n >= 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%ju bytes (%.1f MiB)", n, static_cast<double>(n) / (1024.0 * 1024.0));
    else
        std::snprintf(buf, sizeof buf, "%ju bytes", n);
    return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string_view role_name(escrow::recipient_role r) {
    switch (r) {
        case escrow::recipient_role::owner: return "owner";
        case escrow::recipient_role::authority: return "authority (copy of the escrowed blob)";
        case escrow::recipient_role::unknown: break;
    }
    return "unknown";
}

fs::path default_input(const char* argv0) {
    fs::path gpl = "/usr/share/common-licenses/GPL-3";
    if (fs::is_regular_file(gpl)) return gpl;
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path(argv0) : self;
}

fs::path make_temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "escrow-example-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
        throw escrow::error(escrow::errc::io_error, "cannot create a temporary directory under " +
                                                        fs::temp_directory_path().string());
    return tmpl;
}

// ---- the authority's identity check ------------------------------------------------------------

/// What a person who lost their key brings to the help desk.
struct recovery_request {
    std::string claimed_identity;      ///< who they say they are
    std::string serial;                ///< which escrowed key they want back
    escrow::rsa_public_key new_owner;  ///< the key the file shall be handed to
};

/// This example's identity policy, deliberately small and explicit (the full authority, with a
/// quorum of officers and an audit log, is a later part of the library):
///   1. the request names a serial the authority holds, and the record's MAC-bound `owner` field
///      equals the identity the requester claims (the help desk has checked that claim in person);
///   2. the requester proves possession of the new private key: the authority encrypts a fresh
///      random challenge to the new public key and the requester must return it.
/// Check 2 makes sure the file is handed to a key its requester really holds.
template <class Responder>
void identity_check(const escrow::escrow_record& record, const recovery_request& req, Responder&& respond) {
    std::cout << "    check 1: requested serial " << req.serial << " == record serial " << record.info.serial << "  -> ";
    if (req.serial != record.info.serial) {
        std::cout << "no\n";
        throw escrow::error(escrow::errc::identity_rejected, "the request names another serial number");
    }
    std::cout << "yes\n";
    std::cout << "    check 2: claimed identity '" << req.claimed_identity << "' == record owner '" << record.info.owner
              << "'  -> ";
    if (req.claimed_identity != record.info.owner) {
        std::cout << "no\n";
        throw escrow::error(escrow::errc::identity_rejected,
                            "'" + req.claimed_identity + "' is not the owner named in the escrow record");
    }
    std::cout << "yes\n";
    // A one-time random challenge, wrapped to the new key exactly as a session key would be.
    auto challenge = escrow::session_key::generate(32);
    escrow::wrapped_key sealed = escrow::wrap::rsa_oaep_sha256::wrap(challenge, req.new_owner, escrow::default_random());
    std::optional<escrow::session_key> answer = respond(sealed);
    bool proven = answer && escrow::constant_time_equal(*answer, challenge);
    std::cout << "    check 3: requester decrypts a 32-byte challenge sent to the new public key  -> "
              << (proven ? "yes" : "no") << "\n";
    if (!proven) throw escrow::error(escrow::errc::identity_rejected, "the requester does not hold the new private key");
}

int run(int argc, char** argv) {
    if (argc > 3 || (argc > 1 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help"))) {
        std::cout << "usage: " << argv[0] << " [FILE] [WORKDIR]\n";
        return argc > 3 ? 2 : 0;
    }
    const fs::path input = argc > 1 ? fs::path(argv[1]) : default_input(argv[0]);
    const fs::path work = argc > 2 ? fs::path(argv[2]) : make_temp_dir();
    fs::create_directories(work);
    if (!fs::is_regular_file(input)) throw escrow::error(escrow::errc::not_found, "no such file: " + input.string());

    const fs::path encrypted = work / (input.filename().string() + ".escrow");
    const fs::path record_path = work / (input.filename().string() + ".escrow-record");
    const fs::path recovered = work / (input.filename().string() + ".recovered");
    const fs::path owner_key_path = work / "owner.key", owner_pub_path = work / "owner.pub";
    const fs::path authority_key_path = work / "authority.key", authority_pub_path = work / "authority.pub";
    const fs::path new_owner_key_path = work / "owner-new.key", new_owner_pub_path = work / "owner-new.pub";

    std::cout << "input file : " << input.string() << " (" << human_size(fs::file_size(input)) << ")\n"
              << "work dir   : " << work.string() << "\n\n";

    // ---- key pairs -----------------------------------------------------------------------------
    std::cout << "== keys: generating RSA-3072 key pairs for the owner and the backup authority\n";
    std::optional<escrow::rsa_private_key> owner_private = escrow::rsa_private_key::generate(3072);
    {
        auto authority = escrow::rsa_private_key::generate(3072);
        write_file(owner_key_path, owner_private->unsafe_pem().unsafe_text(), 0600);
        write_file(owner_pub_path, owner_private->public_key().pem(), 0644);
        write_file(authority_key_path, authority.unsafe_pem().unsafe_text(), 0600);
        write_file(authority_pub_path, authority.public_key().pem(), 0644);
    }
    // [tutorial:load-keys]
    // From here on each party loads what it holds from its own files (a key file is small: read_all
    // refuses more than the limit it is given).
    escrow::file_source owner_pub_in(owner_pub_path), authority_pub_in(authority_pub_path);
    const auto owner_public = escrow::rsa_public_key::load(escrow::read_all(owner_pub_in, 64 * 1024));
    const auto authority_public = escrow::rsa_public_key::load(escrow::read_all(authority_pub_in, 64 * 1024));
    // [tutorial:load-keys-end]
    std::cout << "   owner     : " << owner_key_path.string() << " (private, mode 0600), " << owner_pub_path.string()
              << "\n   authority : " << authority_key_path.string() << " (private, mode 0600), "
              << authority_pub_path.string() << "\n   authority key fingerprint (SHA-256 of its SubjectPublicKeyInfo): "
              << escrow::hex::encode(authority_public.fingerprint()) << "\n\n";

    // ---- step 1 --------------------------------------------------------------------------------
    std::cout << "== step 1: encrypt the file under a fresh random session key (" << escrow::cipher::aes256_gcm_stream::name
              << ", 64 KiB chunks)\n";
    auto t0 = std::chrono::steady_clock::now();
    // [readme:encrypt]
    escrow::native_encryptor host;  // escrow_encryptor<cipher::aes256_gcm_stream, wrap::rsa_oaep_sha256, store::native>
    escrow::key_info info;          // the serial and the creation time are filled in when left empty
    info.description = input.filename().string();
    info.owner = "alice@example.com";
    escrow::escrow_record record;
    {
        escrow::file_source in(input);
        escrow::atomic_file_sink out(encrypted);
        record = host.encrypt(in, out, owner_public, authority_public, info);
        out.commit();  // nothing is left behind unless this line is reached
    }
    // [readme:encrypt-end]
    std::cout << "   wrote " << encrypted.string() << " (" << human_size(fs::file_size(encrypted)) << ") in "
              << seconds_since(t0) << " s\n\n";

    // ---- step 2 --------------------------------------------------------------------------------
    std::cout << "== step 2: the session key, wrapped with the owner's public key, is stored in the file header\n";
    {
        // [tutorial:read-header]
        escrow::file_source in(encrypted);
        const auto read = host.read_header(in);  // parses and bounds; needs no key, checks nothing
        const escrow::file_header& h = read.unverified_value();  // what the file states, unauthenticated
        // [tutorial:read-header-end]
        std::size_t header_size = h.authenticated.size() + h.mac.size();
        std::cout << "   format " << escrow::store::native::name << " v" << escrow::store::native::version
                  << ", cipher " << escrow::ids::name_of("cipher", h.cipher_id) << ", wrap "
                  << escrow::ids::name_of("wrap", h.wrap_id) << "\n"
                  << "   header " << header_size << " bytes (HMAC-SHA-256 over all of it), payload "
                  << human_size(fs::file_size(encrypted) - header_size) << "\n"
                  << "   serial " << h.info.serial << ", description '" << h.info.description << "', owner "
                  << h.info.owner << "\n";
        for (std::size_t i = 0; i < h.recipients.size(); ++i)
            std::cout << "   recipient " << i << ": " << role_name(h.recipients[i].role) << ", wrapped key "
                      << h.recipients[i].key.body.size() << " bytes\n";
        std::cout << "\n";
    }

    // ---- step 3 --------------------------------------------------------------------------------
    std::cout << "== step 3: the session key, wrapped again with the authority's public key, is sent to the authority\n";
    // [tutorial:write-record]
    escrow::atomic_file_sink record_out(record_path);
    record_out.write(record.encode());
    record_out.commit(0644);
    // [tutorial:write-record-end]
    std::cout << "   escrow record written to " << record_path.string() << " (" << fs::file_size(record_path)
              << " bytes); its JSON rendering:\n"
              << record.to_json() << "\n";

    // ---- step 4 --------------------------------------------------------------------------------
    std::cout << "== step 4: the owner loses the key pair; the authority gives the key back after an identity check\n";
    fs::remove(owner_key_path);
    owner_private.reset();  // the in-memory copy goes too (its integers are wiped)
    std::cout << "   deleted " << owner_key_path.string() << "; exists now: " << std::boolalpha
              << fs::exists(owner_key_path) << "\n";

    // The owner makes a new key pair and asks the help desk for their file key back.
    auto new_owner_private = escrow::rsa_private_key::generate(3072);
    write_file(new_owner_key_path, new_owner_private.unsafe_pem().unsafe_text(), 0600);
    write_file(new_owner_pub_path, new_owner_private.public_key().pem(), 0644);
    std::cout << "   owner made a new RSA-3072 key pair: " << new_owner_key_path.string() << ", "
              << new_owner_pub_path.string() << "\n";

    auto responder = [&](const escrow::wrapped_key& challenge) {
        return escrow::wrap::rsa_oaep_sha256::unwrap(challenge, new_owner_private);
    };

    // The authority side: it holds the record it received and its own private key.
    escrow::wrapped_key returned_key;
    {
        // [tutorial:authority-loads]
        escrow::file_source record_in(record_path), key_in(authority_key_path);
        auto held = escrow::escrow_record::decode(escrow::read_all(record_in, escrow::escrow_record::max_encoded));
        escrow::bytes pem = escrow::read_all(key_in, 64 * 1024);
        escrow::scoped_wipe wipe_pem(pem);  // the private key's PEM is wiped when this scope ends
        auto authority_private = escrow::rsa_private_key::load(pem);
        // [tutorial:authority-loads-end]

        std::cout << "   authority: a request from 'mallory@example.com' for serial " << held.info.serial << "\n";
        try {
            identity_check(held, {"mallory@example.com", held.info.serial, escrow::rsa_public_key::load(read_small_file(new_owner_pub_path))}, responder);
            std::cout << "   authority: accepted (this should not happen)\n";
            return 1;
        } catch (const escrow::error& e) {
            std::cout << "   authority: refused: " << e.what() << "\n";
        }

        std::cout << "   authority: a request from 'alice@example.com' for serial " << held.info.serial << "\n";
        recovery_request req{"alice@example.com", held.info.serial,
                             escrow::rsa_public_key::load(read_small_file(new_owner_pub_path))};
        identity_check(held, req, responder);
        std::cout << "   authority: identity established\n";

        // [tutorial:recover-session-key]
        escrow::session_key key = host.recover_session_key(held, authority_private);
        std::cout << "   authority: unwrapped the session key from the record and verified the record's MAC\n";
        // The session key travels only wrapped, to the key the requester just proved to hold.
        returned_key = escrow::wrap::rsa_oaep_sha256::wrap(key, req.new_owner, escrow::default_random());
        // [tutorial:recover-session-key-end]
        std::cout << "   authority: returned the session key wrapped to the owner's new public key ("
                  << returned_key.body.size() << " bytes)\n";
    }

    // The owner unwraps the key and hands the file to the new key pair: only the header changes.
    {
        // [tutorial:unwrap-returned]
        std::optional<escrow::session_key> key = escrow::wrap::rsa_oaep_sha256::unwrap(returned_key, new_owner_private);
        if (!key) throw escrow::error(escrow::errc::authentication_failed, "the returned key does not unwrap");
        // [tutorial:unwrap-returned-end]
        auto t0 = std::chrono::steady_clock::now();
        // [tutorial:rewrap-owner]
        escrow::file_source in(encrypted);
        escrow::atomic_file_sink out(encrypted);  // a temporary beside it, renamed over it on commit
        host.rewrap_owner(in, out, *key, new_owner_private.public_key());
        out.commit();
        // [tutorial:rewrap-owner-end]
        std::cout << "   owner: rewrapped " << encrypted.string() << " to the new key (payload copied unchanged) in "
                  << seconds_since(t0) << " s\n";
    }
    {
        auto t0 = std::chrono::steady_clock::now();
        // [tutorial:decrypt]
        escrow::file_source key_in(new_owner_key_path);
        escrow::bytes pem = escrow::read_all(key_in, 64 * 1024);
        escrow::scoped_wipe wipe_pem(pem);
        auto key = escrow::rsa_private_key::load(pem);
        escrow::file_source in(encrypted);
        escrow::atomic_file_sink out(recovered);
        host.decrypt(in, out, key);
        out.commit();
        // [tutorial:decrypt-end]
        std::cout << "   owner: decrypted with the new key to " << recovered.string() << " in " << seconds_since(t0)
                  << " s\n\n";
    }

    // ---- the result ----------------------------------------------------------------------------
    auto original_hash = sha256_of_file(input);
    auto recovered_hash = sha256_of_file(recovered);
    std::cout << "== result\n"
              << "   old owner key " << owner_key_path.string() << " exists: " << fs::exists(owner_key_path) << "\n"
              << "   SHA-256 original  " << escrow::hex::encode(original_hash) << "  " << input.string() << "\n"
              << "   SHA-256 recovered " << escrow::hex::encode(recovered_hash) << "  " << recovered.string() << "\n";
    if (fs::file_size(input) == fs::file_size(recovered) && original_hash == recovered_hash) {
        std::cout << "OK: the file recovered with the new key is identical to the original\n";
        return 0;
    }
    std::cout << "FAILED: the recovered file differs from the original\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "01_escrow_and_recover: " << e.what() << "\n";
        return 1;
    }
}
