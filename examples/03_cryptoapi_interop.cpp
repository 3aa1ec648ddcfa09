// SPDX-License-Identifier: MIT
/// @file
/// Example 03: files and keys that Microsoft CryptoAPI itself reads and writes.
///
///     03_cryptoapi_interop [WORKDIR]
///
/// Makes an owner and an authority key pair and saves them as PRIVATEKEYBLOB / PUBLICKEYBLOB
/// files (what CryptImportKey takes and CryptExportKey gives), encrypts a file in the layout of
/// Microsoft's "Encrypting a File" sample with `escrow::legacy::cryptoapi_encryptor`, opens it with
/// the owner's key read back from its blob, then, with the owner's key gone, lets the authority
/// open it through the SIMPLEBLOB in its escrow record. A Windows program opens the same file with
/// CryptImportKey(owner.privatekeyblob), CryptImportKey(the file's SIMPLEBLOB), CryptDecrypt; the
/// test tests/interop/cryptoapi does exactly that under Wine.
///
/// The CryptoAPI format has no integrity check (docs/threat-model.md): decrypt into an
/// `atomic_file_sink` and commit only when `decrypt` returns, as below.

#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, escrow::byte_view data, mode_t mode = 0644) {
    escrow::atomic_file_sink out(path);
    out.write(data);
    out.commit(mode);
}

escrow::bytes read_file(const fs::path& path) {
    escrow::file_source in(path);
    return escrow::read_all(in, std::size_t{64} << 20);
}

std::string hex_head(escrow::byte_view b, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n && i < b.size(); ++i) {
        if (i) s.push_back(' ');
        s.append(escrow::hex::encode(b.subspan(i, 1)));
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "escrow-example-03";
        fs::create_directories(dir);
        std::cout << "working in " << dir << "\n";

        // 1. Key pairs, saved as CryptoAPI key blobs (RSA2 / RSA1, little-endian).
        // [tutorial:cryptoapi-keys]
        std::optional<escrow::rsa_private_key> owner(escrow::rsa_private_key::generate(2048));
        const auto authority = escrow::rsa_private_key::generate(3072);
        escrow::atomic_file_sink owner_blob(dir / "owner.privatekeyblob");  // written atomically, on commit
        owner_blob.write(escrow::ms_blob::unsafe_private_key_blob(*owner).unsafe_bytes());  // in wiped memory
        owner_blob.commit(0600);
        escrow::atomic_file_sink owner_pub_blob(dir / "owner.publickeyblob");
        owner_pub_blob.write(escrow::ms_blob::public_key_blob(owner->public_key()));
        owner_pub_blob.commit(0644);
        escrow::atomic_file_sink authority_blob(dir / "authority.privatekeyblob");
        authority_blob.write(escrow::ms_blob::unsafe_private_key_blob(authority).unsafe_bytes());
        authority_blob.commit(0600);
        // [tutorial:cryptoapi-keys-end]
        std::cout << "1. keys saved as PRIVATEKEYBLOB/PUBLICKEYBLOB (openssl rsa -inform MSBLOB reads them too)\n";

        // 2. Encrypt for the owner (public key read back from its PUBLICKEYBLOB) and the authority.
        const std::string text = "Quarterly figures, for the owner and, if need be, the backup authority.\n";
        write_file(dir / "report.txt", escrow::as_bytes(text));
        // [tutorial:cryptoapi-encrypt]
        escrow::legacy::cryptoapi_encryptor<256> enc;
        escrow::key_info info;
        info.description = "report.txt";
        info.owner = "alice@example.org";
        escrow::escrow_record record;
        {
            escrow::file_source blob_in(dir / "owner.publickeyblob");
            auto owner_pub = escrow::ms_blob::load_public_key(escrow::read_all(blob_in, 64 * 1024));
            escrow::file_source in(dir / "report.txt");
            escrow::atomic_file_sink out(dir / "report.enc");
            record = enc.encrypt(in, out, owner_pub, authority.public_key(), info);
            out.commit(0644);
        }
        // [tutorial:cryptoapi-encrypt-end]
        write_file(dir / "report.rec", record.encode());
        const auto file = read_file(dir / "report.enc");
        std::cout << "2. report.enc starts " << hex_head(file, 16)
                  << "\n   (DWORD blob length, then the SIMPLEBLOB: 01 02 00 00, CALG_AES_256 10 66 00 00, CALG_RSA_KEYX 00 a4 00 00)\n";

        // 3. The owner opens it with the key read back from the PRIVATEKEYBLOB.
        {
            auto key = escrow::ms_blob::load_private_key(read_file(dir / "owner.privatekeyblob"));
            escrow::file_source in(dir / "report.enc");
            escrow::atomic_file_sink out(dir / "report.owner.txt");
            enc.decrypt(in, out, key);
            out.commit(0644);  // only now: the final padding checked out
        }
        std::cout << "3. the owner decrypted report.enc\n";

        // 4. The owner's key is lost; the authority opens the file through its escrow record, whose
        //    wrapped key is a SIMPLEBLOB under the authority's key (CryptImportKey takes it as is).
        owner.reset();
        fs::remove(dir / "owner.privatekeyblob");
        {
            // [tutorial:cryptoapi-record]
            escrow::file_source rec_in(dir / "report.rec");
            auto rec = escrow::escrow_record::decode(escrow::read_all(rec_in, escrow::escrow_record::max_encoded));
            escrow::file_source in(dir / "report.enc");
            escrow::atomic_file_sink out(dir / "report.recovered.txt");
            enc.decrypt_with_record(in, out, rec, authority);  // the record's MAC is checked too
            out.commit(0644);
            // [tutorial:cryptoapi-record-end]
            std::cout << "4. the record's SIMPLEBLOB starts " << hex_head(rec.wrapped_key, 12) << " ("
                      << rec.wrapped_key.size() - 12 << "-byte RSA block)\n";
        }
        const auto owner_copy = read_file(dir / "report.owner.txt");
        const auto recovered = read_file(dir / "report.recovered.txt");
        if (escrow::to_string(owner_copy) != text || escrow::to_string(recovered) != text) {
            std::cerr << "FAILED: a decrypted copy differs from the original\n";
            return 1;
        }
        std::cout << "OK: the owner's copy and the authority's recovered copy equal the original\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
