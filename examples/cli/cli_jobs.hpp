// SPDX-License-Identifier: MIT
/// @file
/// What `escrow encrypt` and `escrow decrypt` hand to a format's implementation once the options
/// common to every format are parsed and checked: one unit per format (cli_native.cpp,
/// cli_age.cpp, cli_cryptoapi.cpp) implements `encrypt_<format>` and `decrypt_<format>`.
#pragma once

#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli_io.hpp"

namespace escrow_cli {

/// `escrow encrypt`, parsed: paths are as given, outputs already checked not to exist or alias.
struct encrypt_job {
    std::optional<std::string> in_path;         ///< empty or "-": standard input
    std::optional<std::string> out_path;        ///< empty or "-": standard output
    std::string owner;                          ///< --owner, as given (a path or a recipient string)
    std::vector<std::string> authorities;       ///< --authority, in order
    std::vector<std::string> record_paths;      ///< --record, none or one per authority
    escrow::key_info info;                      ///< serial (may be empty), description, owner id
    bool armor = false;                         ///< --armor
    unsigned aes_bits = 256;                    ///< --aes-bits (--format cryptoapi only)
    progress_meter* progress = nullptr;         ///< counts the input as it is read (may draw nothing)
};

/// `escrow decrypt`, parsed.
struct decrypt_job {
    std::optional<std::string> in_path;
    std::optional<std::string> out_path;
    std::string key_path;                       ///< --key
    std::optional<std::string> record_path;     ///< --record
    std::optional<std::string> pin_file;        ///< --pin-file, for a pkcs11: URI --key
};

/// The input of `escrow decrypt`, with its first bytes peeked for format detection.
using decrypt_input = peeked_source<input_file>;

/// How many bytes of an input are peeked at to recognise its format.
inline constexpr std::size_t peek_size = 64;
/// The first bytes of a binary age file, and of an armored one.
inline constexpr std::string_view age_magic = "age-encryption.org/";
inline constexpr std::string_view age_armor = "-----BEGIN AGE ENCRYPTED FILE-----";

/// Writes the ciphertext's escrow records to the job's --record files, then commits every output
/// at once (the ciphertext and the records appear together, or none of them does).
void commit_encrypt(const encrypt_job& job, output_file& out, const std::vector<escrow::escrow_record>& records);

/// Reads an escrow record file given with --record.
escrow::escrow_record load_record(const std::string& path);

/// Reads the job's --record, if any, and checks that it was made for the authority whose key is
/// --key (public half `key_pub`): said before the library's own check, so that a wrong key reads
/// as one (exit 1).
std::optional<escrow::escrow_record> load_record_for(const decrypt_job& job, const escrow::rsa_public_key& key_pub);

// Each returns only once its outputs are committed.

/// Encrypts to the native format: RSA-OAEP-SHA-256 recipients from PEM/DER public keys.
int encrypt_native(const encrypt_job& job);
/// Decrypts a native file with the owner's or an authority's private key (PEM/DER), or with an
/// authority's key and its escrow record.
int decrypt_native(const decrypt_job& job, decrypt_input& in);

/// Encrypts to the age format. The owner and every authority must be of one kind (all X25519 or
/// all ssh-rsa): a file's recipients share the one wrap policy of the host that writes it.
int encrypt_age(const encrypt_job& job);
/// Decrypts an age file, binary or armored (told apart by its first bytes), with an X25519
/// identity or an RSA private key, or with an authority's key and its escrow record.
int decrypt_age(const decrypt_job& job, decrypt_input& in);

/// Encrypts to the CryptoAPI format: the owner's SIMPLEBLOB in the file, each authority's in its
/// escrow record (the file has room for one blob, so the records are required).
int encrypt_cryptoapi(const encrypt_job& job);
/// Decrypts a CryptoAPI file with the owner's private key (PEM, DER or PRIVATEKEYBLOB), or with an
/// authority's key and its escrow record. Nothing in the file is authenticated: the plaintext goes
/// to a temporary file that is renamed only once the final padding checks out (never to standard
/// output).
int decrypt_cryptoapi(const decrypt_job& job, decrypt_input& in);

}  // namespace escrow_cli
