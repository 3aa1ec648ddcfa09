// SPDX-License-Identifier: MIT
/// @file
/// A test helper: writes COUNT escrow record files for the authority tests on many records,
/// `OUTDIR/PREFIX-<i>.rec` with serials `PREFIX-<i>` (i = 0 .. COUNT-1), each the record of a real
/// native encryption of a small file for OWNER.pub with AUTHORITY.pub (RSA, PEM or DER), as
/// `escrow encrypt --record` makes them, without starting one process per record.
///
///     escrow_test_make_records OWNER.pub AUTHORITY.pub PREFIX COUNT OUTDIR

#include <escrow/escrow.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace {

escrow::bytes read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw escrow::error(escrow::errc::not_found, std::string("cannot read ") + path);
    return escrow::bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s OWNER.pub AUTHORITY.pub PREFIX COUNT OUTDIR\n", argv[0]);
        return 2;
    }
    try {
        auto owner = escrow::rsa_public_key::load(read_file(argv[1]));
        auto authority = escrow::rsa_public_key::load(read_file(argv[2]));
        const std::string prefix = argv[3], dir = argv[5];
        const unsigned long count = std::stoul(argv[4]);
        escrow::native_encryptor enc;
        for (unsigned long i = 0; i < count; ++i) {
            escrow::key_info info;
            info.serial = prefix + "-" + std::to_string(i);
            info.owner = "load@example.org";
            info.description = "record " + std::to_string(i) + " of " + prefix;
            const std::string text = info.description + "\n";
            escrow::memory_source in(escrow::byte_view(reinterpret_cast<const escrow::byte*>(text.data()), text.size()));
            escrow::memory_sink out;
            auto rec = enc.encrypt(in, out, owner, authority, info);
            auto encoded = rec.encode();
            std::ofstream o(dir + "/" + info.serial + ".rec", std::ios::binary | std::ios::trunc);
            o.write(reinterpret_cast<const char*>(encoded.data()), static_cast<std::streamsize>(encoded.size()));
            if (!o.flush()) throw escrow::error(escrow::errc::io_error, "cannot write " + info.serial + ".rec");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "escrow_test_make_records: %s\n", e.what());
        return 1;
    }
    return 0;
}
