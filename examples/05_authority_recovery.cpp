// SPDX-License-Identifier: MIT
/// @file
/// Example 05: the backup authority over an SQLite database. An owner encrypts a file and the
/// authority stores its escrow record; the owner loses the key; two of three registered officers
/// sign a recovery request for the owner's new key; the authority refuses a request with too few
/// signatures and a replay, grants the valid one, and hands back the session key re-wrapped to the
/// new key; the owner applies it to the file in place and decrypts. The audit log is verified at
/// the end.
///
///     05_authority_recovery [FILE] [WORKDIR]
///
/// FILE defaults to this program's own source; WORKDIR to a new temporary directory. Exit status
/// 0 only when the file decrypted with the new key is byte for byte the original.

// [tutorial:includes]
#include <escrow/authority/apply_owner_blob.hpp>
#include <escrow/authority/sqlite_repository.hpp>
#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>
// [tutorial:includes-end]

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
namespace ea = escrow::authority;

namespace {

escrow::bytes read_file(const fs::path& p, std::size_t limit = std::size_t(1) << 30) {
    escrow::file_source in(p);
    return escrow::read_all(in, limit);
}

fs::path make_temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "escrow-example05-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw escrow::error(escrow::errc::io_error, "cannot create a temporary directory");
    return tmpl;
}

// [tutorial:authority-type]
// The authority of this example: RSA-OAEP records, the SQLite repository, two officers of the
// registered ones must sign. Its private key stays inside this object.
using authority_t = ea::backup_authority<escrow::wrap::rsa_oaep_sha256, ea::sqlite_repository, ea::officer_quorum<2>>;
// [tutorial:authority-type-end]

int run(int argc, char** argv) {
    const fs::path input = argc > 1 ? fs::path(argv[1]) : fs::path(__FILE__);
    const fs::path work = argc > 2 ? fs::path(argv[2]) : make_temp_dir();
    fs::create_directories(work);
    const fs::path encrypted = work / "file.escrow", db = work / "authority.db";
    fs::remove(db);
    fs::remove(encrypted);
    std::cout << "input: " << input.string() << " (" << fs::file_size(input) << " bytes), work dir: " << work.string() << "\n";

    std::cout << "== keys: the owner's and the authority's RSA-3072 key pairs, three officers' Ed25519 keys\n";
    // [tutorial:keys]
    std::optional<escrow::rsa_private_key> owner = escrow::rsa_private_key::generate(3072);
    auto authority_key = escrow::rsa_private_key::generate(3072);
    std::vector<ea::officer_private_key> officer_keys;
    for (int i = 0; i < 3; ++i) officer_keys.push_back(ea::officer_private_key::generate());
    // [tutorial:keys-end]

    std::cout << "== the authority opens its database " << db.string() << " and registers its officers\n";
    // [tutorial:authority-open]
    ea::sqlite_repository repo(db);
    authority_t authority(repo, {}, std::move(authority_key));  // private keys are move-only
    const char* names[] = {"olivia", "oscar", "opal"};
    // Each officer proves possession of its key (a signature over its name, its key and this
    // authority's fingerprint, made where the officer keeps its key); the authority checks it.
    for (int i = 0; i < 3; ++i)
        authority.register_officer(
            ea::officer_proof::make(authority.fingerprint(), names[i], officer_keys[static_cast<std::size_t>(i)]));
    // [tutorial:authority-open-end]

    std::cout << "== steps 1-3: the owner encrypts the file; the escrow record goes to the authority\n";
    // [tutorial:encrypt]
    escrow::native_encryptor host;
    escrow::key_info info;
    info.description = input.filename().string();
    info.owner = "alice@example.com";
    escrow::escrow_record record;
    {
        escrow::file_source in(input);
        escrow::atomic_file_sink out(encrypted);
        record = host.encrypt(in, out, owner->public_key(), authority.key(), info);
        out.commit();
    }
    // [tutorial:encrypt-end]
    // [tutorial:deposit]
    std::cout << "   deposit " << record.info.serial << ": "
              << (authority.deposit(record) == ea::deposit_result::stored ? "stored" : "already present") << "\n";
    // [tutorial:deposit-end]
    std::cout << "   deposit again: "
              << (authority.deposit(record) == ea::deposit_result::stored ? "stored" : "already present") << "\n";

    std::cout << "== step 4: the owner loses the key pair and makes a new one\n";
    owner.reset();
    auto new_owner = escrow::rsa_private_key::generate(3072);

    // [tutorial:request]
    auto request = ea::recovery_request::make<escrow::wrap::rsa_oaep_sha256>(record, new_owner.public_key(),
                                                                             ea::unix_now() + 3600);
    // [tutorial:request-end]
    std::cout << "   recovery request " << escrow::hex::encode(request.digest()).substr(0, 16) << "... for "
              << request.serial << ", valid for an hour\n";
    // [tutorial:recover]
    std::vector<ea::officer_signature> one = {ea::officer_signature::sign(request, officer_keys[0])};
    try {
        (void)authority.recover(request, one);
        std::cout << "   one signature: granted (this should not happen)\n";
        return 1;
    } catch (const escrow::error& e) {
        std::cout << "   one signature: refused: " << e.what() << "\n";
    }
    std::vector<ea::officer_signature> two = one;
    two.push_back(ea::officer_signature::sign(request, officer_keys[2]));
    ea::owner_blob blob = authority.recover(request, two);
    // [tutorial:recover-end]
    std::cout << "   two signatures (olivia, opal): granted; the session key comes back wrapped to the new key ("
              << blob.blob.size() << "-byte blob)\n";
    try {
        (void)authority.recover(request, two);
        std::cout << "   the same request again: granted (this should not happen)\n";
        return 1;
    } catch (const escrow::error& e) {
        std::cout << "   the same request again: refused: " << e.what() << "\n";
    }

    std::cout << "== the owner applies the blob to the file in place and decrypts with the new key\n";
    // [tutorial:apply-blob]
    ea::apply_owner_blob_in_place<escrow::native_encryptor>(encrypted, blob, new_owner);
    escrow::memory_sink plain;
    {
        escrow::file_source in(encrypted);
        host.decrypt(in, plain, new_owner);
    }
    // [tutorial:apply-blob-end]

    std::cout << "== the audit log\n";
    // [tutorial:audit]
    for (const auto& e : authority.audit_log())
        std::cout << "   " << e.seq << " " << e.kind << " " << e.serial << " " << e.outcome << " " << e.actor << "\n";
    ea::audit_report rep = authority.verify_audit();
    // [tutorial:audit-end]
    std::cout << "   verify_audit: " << (rep.valid ? "valid" : "BROKEN: " + rep.problem) << ", " << rep.entries
              << " entries, head " << escrow::hex::encode(rep.head) << "\n";

    bool same = plain.data() == read_file(input);
    if (same && rep.valid) {
        std::cout << "OK: the authority recovered the key and the file decrypted with the new key is identical to the original\n";
        return 0;
    }
    std::cout << "FAILED: " << (same ? "the audit log does not verify" : "the decrypted file differs") << "\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "05_authority_recovery: " << e.what() << "\n";
        return 1;
    }
}
