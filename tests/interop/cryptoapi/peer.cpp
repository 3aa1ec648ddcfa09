// SPDX-License-Identifier: MIT
/// @file
/// The library side of the CryptoAPI interoperability tests (run.sh drives it and winpeer.exe).
/// Every operation goes through the public API: escrow::legacy::cryptoapi_encryptor and
/// escrow::ms_blob.
///
///   peer keygen BITS PRIV PUB           a key pair as PRIVATEKEYBLOB / PUBLICKEYBLOB
///   peer encrypt AESBITS OWNER AUTH IN OUT RECORD
///                                       a CryptoAPI file for OWNER, the escrow record for AUTH
///   peer decrypt PRIV IN OUT            opens a CryptoAPI file (AES size read from its SIMPLEBLOB)
///   peer record-blob RECORD OUT         the SIMPLEBLOB an escrow record carries
///   peer decrypt-record AUTH RECORD IN OUT
///                                       the authority's path: record, then file
/// Key files are recognised from their content: PEM, DER, PUBLICKEYBLOB or PRIVATEKEYBLOB.
#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <cryptopp/misc.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace {

escrow::bytes read_file(const std::string& path) {
    escrow::file_source src{std::filesystem::path(path)};
    return escrow::read_all(src, std::size_t{1} << 30);
}

void write_file(const std::string& path, escrow::byte_view data) {
    escrow::atomic_file_sink out{std::filesystem::path(path)};
    out.write(data);
    out.commit(0644);
}

escrow::rsa_public_key load_public(const std::string& path) { return escrow::ms_blob::load_public_key(read_file(path)); }

escrow::rsa_private_key load_private(const std::string& path) {
    escrow::bytes content = read_file(path);
    auto key = escrow::ms_blob::load_private_key(content);
    CryptoPP::SecureWipeArray(content.data(), content.size());
    return key;
}

// Runs `f` with the preset for the AES size in bits (the library itself has no runtime switch).
template <class F>
void with_preset(unsigned bits, F&& f) {
    switch (bits) {
        case 128: return f(escrow::legacy::cryptoapi_encryptor<128>{});
        case 192: return f(escrow::legacy::cryptoapi_encryptor<192>{});
        case 256: return f(escrow::legacy::cryptoapi_encryptor<256>{});
    }
    throw escrow::error(escrow::errc::invalid_argument, "AES size must be 128, 192 or 256");
}

unsigned aes_bits_of_file(const std::string& path) {
    escrow::file_source src{std::filesystem::path(path)};
    escrow::byte head[16];
    std::size_t n = src.read(head);
    auto bits = escrow::store::cryptoapi::peek_aes_bits(escrow::byte_view(head, n));
    if (!bits) throw escrow::error(escrow::errc::malformed_header, path + " does not start like a CryptoAPI file");
    return *bits;
}

int run(int argc, char** argv) {
    std::string op = argc > 1 ? argv[1] : "";
    if (op == "keygen" && argc == 5) {
        auto key = escrow::rsa_private_key::generate(static_cast<unsigned>(std::stoul(argv[2])));
        auto priv = escrow::ms_blob::unsafe_private_key_blob(key);
        write_file(argv[3], priv.unsafe_bytes());
        write_file(argv[4], escrow::ms_blob::public_key_blob(key.public_key()));
        return 0;
    }
    if (op == "encrypt" && argc == 8) {
        auto owner = load_public(argv[3]);
        auto authority = load_public(argv[4]);
        with_preset(static_cast<unsigned>(std::stoul(argv[2])), [&](auto enc) {
            escrow::file_source in{std::filesystem::path(argv[5])};
            escrow::atomic_file_sink out{std::filesystem::path(argv[6])};
            escrow::key_info info;
            info.description = argv[5];
            info.owner = "interop-test";
            escrow::escrow_record rec = enc.encrypt(in, out, owner, authority, info);
            out.commit(0644);
            write_file(argv[7], rec.encode());
        });
        return 0;
    }
    if (op == "decrypt" && argc == 5) {
        auto key = load_private(argv[2]);
        with_preset(aes_bits_of_file(argv[3]), [&](auto enc) {
            escrow::file_source in{std::filesystem::path(argv[3])};
            escrow::atomic_file_sink out{std::filesystem::path(argv[4])};
            enc.decrypt(in, out, key);
            out.commit(0644);
        });
        return 0;
    }
    if (op == "record-blob" && argc == 4) {
        auto rec = escrow::escrow_record::decode(read_file(argv[2]));
        write_file(argv[3], rec.wrapped_key);
        return 0;
    }
    if (op == "decrypt-record" && argc == 6) {
        auto key = load_private(argv[2]);
        auto rec = escrow::escrow_record::decode(read_file(argv[3]));
        with_preset(aes_bits_of_file(argv[4]), [&](auto enc) {
            escrow::file_source in{std::filesystem::path(argv[4])};
            escrow::atomic_file_sink out{std::filesystem::path(argv[5])};
            enc.decrypt_with_record(in, out, rec, key);
            out.commit(0644);
        });
        return 0;
    }
    std::cerr << "peer: bad arguments (see the comment at the top of peer.cpp)\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "peer: " << e.what() << "\n";
        return 1;
    }
}
