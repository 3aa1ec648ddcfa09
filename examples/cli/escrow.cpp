// SPDX-License-Identifier: MIT
/// @file
/// `escrow`: the command-line tool (keygen, encrypt, decrypt, inspect), on the public headers only.

#include <escrow/escrow.hpp>

#include <cryptopp/misc.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli_age.hpp"
#include "cli_args.hpp"
#include "cli_authority.hpp"
#include "cli_cryptoapi.hpp"
#include "cli_io.hpp"
#include "cli_jobs.hpp"
#include "cli_native.hpp"
#include "cli_progress.hpp"

#ifndef ESCROW_CLI_VERSION
#define ESCROW_CLI_VERSION "0.1.0"
#endif

namespace escrow_cli {
namespace {

using escrow::byte_view;
using escrow::errc;

constexpr std::string_view exit_codes_help = exit_codes_help_text;

constexpr std::string_view main_help =
    "Usage: escrow <command> [options]\n"
    "\n"
    "Encrypts a file for its owner and escrows the session key with one or more backup\n"
    "authorities, which can give it back if the owner's key is lost.\n"
    "\n"
    "Commands:\n"
    "  keygen    generate a key pair (PREFIX.key and PREFIX.pub)\n"
    "  encrypt   encrypt for an owner; write an escrow record for each authority\n"
    "  decrypt   decrypt with the owner's key, or an authority's key (with its record)\n"
    "  inspect   describe an encrypted file or an escrow record, without any key\n"
    "  authority the backup authority: records, officers, recovery, audit (SQLite database)\n"
    "  officer   officer keys, recovery requests and their signatures\n"
    "  rewrap    apply a re-wrapped owner blob from the authority to an encrypted file\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help ('escrow <command> --help' for a command)\n"
    "      --version  show the version\n"
    "\n"
    "'-' or no file operand means standard input or output. Key files are PEM or DER (PKCS#8\n"
    "private keys, SubjectPublicKeyInfo public keys, as openssl writes them) or CryptoAPI key\n"
    "blobs (PRIVATEKEYBLOB, PUBLICKEYBLOB), recognised from their content; the age format takes\n"
    "age and OpenSSH keys (see 'escrow encrypt --help'). Outputs are written to a temporary file\n"
    "and renamed only on success; an existing file is never overwritten.\n"
    "\n";

constexpr std::string_view keygen_help =
    "Usage: escrow keygen --type rsa|x25519 [--bits N] [--key-format pem|msblob] -o PREFIX\n"
    "\n"
    "Generates a key pair: PREFIX.key, the private key (mode 0600), and PREFIX.pub, the public\n"
    "key. RSA: PKCS#8 PEM and SubjectPublicKeyInfo PEM. X25519 (the age format): an age identity\n"
    "file as age-keygen writes it, and the age1... recipient. Existing files are never overwritten.\n"
    "\n"
    "Options:\n"
    "  --type rsa|x25519   key type (x25519: for --format age)\n"
    "  --bits N            RSA modulus size, 2048 to 16384 (default 3072)\n"
    "  --key-format F      pem (default), or msblob: CryptoAPI's PRIVATEKEYBLOB and\n"
    "                      PUBLICKEYBLOB, which CryptImportKey and 'openssl rsa -inform MSBLOB' read\n"
    "  -o, --output PREFIX write PREFIX.key and PREFIX.pub\n"
    "  -h, --help          show this help\n"
    "\n";

constexpr std::string_view encrypt_help =
    "Usage: escrow encrypt [--format native|age|cryptoapi] --owner RECIPIENT\n"
    "                      --authority RECIPIENT [--authority RECIPIENT ...]\n"
    "                      [--description TEXT] [--serial S] [--owner-id TEXT]\n"
    "                      [--record FILE ...] [--armor] [--aes-bits N] [-q] [-o OUT] [IN]\n"
    "\n"
    "Encrypts IN (default: standard input) to OUT (default: standard output, never a terminal)\n"
    "under a fresh session key, wrapped for the owner and, as a copy in the header, for each\n"
    "authority. Each --record FILE receives the escrow record of the --authority in the same\n"
    "position: give none, or one per authority.\n"
    "\n"
    "A RECIPIENT is a public key file (PEM, DER or PUBLICKEYBLOB), e.g. PREFIX.pub from\n"
    "'escrow keygen'. With --format age it is an age1... recipient, or an age recipient file, or\n"
    "an OpenSSH ssh-rsa public key (a line or a .pub file); the owner and authorities must be of\n"
    "one kind.\n"
    "\n"
    "--format cryptoapi writes what CryptoAPI itself reads (Microsoft's \"Encrypting a File\"\n"
    "layout: the owner's SIMPLEBLOB, then CryptEncrypt's AES-CBC output). It has no integrity\n"
    "check (docs/threat-model.md) and room for the owner's blob only: each authority's\n"
    "SIMPLEBLOB goes to its escrow record, so --record is required.\n"
    "\n"
    "While IN, a regular file larger than 4 MiB, is read, a progress bar is drawn on standard\n"
    "error if it is a terminal and OUT is not (never otherwise, nor with --quiet).\n"
    "\n"
    "Options:\n"
    "  --format F          native (default), age (age-encryption.org/v1, for the age tool) or\n"
    "                      cryptoapi (legacy, unauthenticated)\n"
    "  --owner RECIPIENT   the owner's public key (once)\n"
    "  --authority RECIPIENT\n"
    "                      a backup authority's public key (one or more, up to 31)\n"
    "  --record FILE       write the escrow record for the matching --authority to FILE\n"
    "  --description TEXT  what the key protects (up to 4096 bytes; default: the input's name)\n"
    "  --serial S          serial number, 1-128 printable ASCII characters without spaces\n"
    "                      (default: a fresh random ESC-... serial)\n"
    "  --owner-id TEXT     the owner's identity in the record (default: $USER, else 'unknown')\n"
    "  -a, --armor         ASCII armor (--format age only)\n"
    "  --aes-bits N        --format cryptoapi: the AES key size, 128, 192 or 256 (default)\n"
    "  -q, --quiet         draw no progress bar\n"
    "  -o, --output OUT    write the ciphertext to OUT (a new file)\n"
    "  -h, --help          show this help\n"
    "\n";

constexpr std::string_view decrypt_help =
    "Usage: escrow decrypt --key IDENTITY [--record FILE] [--format F] [-q] [-o OUT] [IN]\n"
    "\n"
    "Decrypts IN (default: standard input) to OUT (default: standard output). IDENTITY is a\n"
    "private key file (PEM, DER or PRIVATEKEYBLOB): the owner's, or an authority's, which opens\n"
    "the copy of its blob in the header (native files). With --record, IDENTITY is the\n"
    "authority's key and the escrow record supplies the session key (the record's MAC is\n"
    "checked too).\n"
    "\n"
    "For age files IDENTITY is an age identity file (AGE-SECRET-KEY-1..., e.g. from age-keygen)\n"
    "or an unencrypted RSA private key (ssh-keygen's OpenSSH format, or PEM).\n"
    "\n"
    "The format (native, age binary or armored, CryptoAPI) is recognised from the input's first\n"
    "bytes unless --format is given. With -o, OUT appears only once the whole file\n"
    "authenticates; on standard output each chunk is written once it authenticates, so a\n"
    "failure part-way leaves the chunks before it there. A CryptoAPI file cannot authenticate: its plaintext appears in OUT (required,\n"
    "not standard output) only once the final padding checks out, and a wrong key or a modified\n"
    "file is noticed only there (not always).\n"
    "\n"
    "While IN, a regular file larger than 4 MiB, is read, a progress bar is drawn on standard\n"
    "error if it is a terminal and OUT is not (never otherwise, nor with --quiet).\n"
    "\n"
    "Options:\n"
    "  --key IDENTITY      the private key file\n"
    "  --record FILE       an escrow record made for the authority whose key is IDENTITY\n"
    "  --format F          native, age or cryptoapi\n"
    "  -q, --quiet         draw no progress bar\n"
    "  -o, --output OUT    write the plaintext to OUT (a new file)\n"
    "  -h, --help          show this help\n"
    "\n";

constexpr std::string_view inspect_help =
    "Usage: escrow inspect [--json] [FILE|RECORD]\n"
    "\n"
    "Describes an encrypted file (native, age binary or armored, or CryptoAPI: format, version,\n"
    "policies, recipients, key info, header and payload sizes; for a CryptoAPI file its SIMPLEBLOB\n"
    "and payload size) or an escrow record (as JSON), without any key. Nothing is verified: the\n"
    "header MAC and the record MAC need the session key, and a CryptoAPI file has none.\n"
    "\n"
    "Options:\n"
    "  --json              describe an encrypted file as JSON too\n"
    "  -h, --help          show this help\n"
    "\n";

// ---- formats -------------------------------------------------------------------------------------

enum class format { native, age, cryptoapi };

format parse_format(const std::optional<std::string>& value) {
    if (!value || *value == "native") return format::native;
    if (*value == "age") return format::age;
    if (*value == "cryptoapi") return format::cryptoapi;
    throw usage_error("unknown --format '" + *value + "' (expected native, age or cryptoapi)");
}


constexpr std::string_view age_magic = "age-encryption.org/";
constexpr std::string_view age_armor = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::size_t peek_size = 64;

byte_view bytes_of(std::string_view s) { return escrow::as_bytes(s); }

std::string policy_name(std::string_view family, std::uint16_t id) {
    auto n = escrow::ids::name_of(family, id);
    if (!n.empty()) return std::string(n);
    return escrow::ids::is_user_defined(id) ? "user-defined" : "unknown";
}

bool help_requested(const parsed_args& a) { return a.has("help"); }

// True when no progress bar may be drawn: --quiet, or an output that goes to the terminal (it
// would be interleaved with the bar's redraws).
bool quiet_progress(const parsed_args& a, const std::optional<std::string>& out_path) {
    return a.has("quiet") || (is_std_stream(out_path) && ::isatty(STDOUT_FILENO));
}

// ---- keygen --------------------------------------------------------------------------------------

// An age identity file as age-keygen writes it, and PREFIX.pub with the age1... recipient.
int keygen_x25519(const std::string& key_path, const std::string& pub_path) {
    auto key = escrow::x25519_private_key::generate();
    auto pub = key.public_key();
    output_file key_out(key_path), pub_out(pub_path);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    key_out.write(key.unsafe_identity_file(
                         static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count()))
                      .unsafe_bytes());  // wiped memory, wiped once written
    pub_out.write(bytes_of(pub.str() + "\n"));
    commit_all({{&key_out, 0600}, {&pub_out, new_file_mode}});
    std::cerr << "escrow: wrote " << key_path << " (age identity, keep it secret) and " << pub_path
              << " (recipient " << pub.str() << ")\n";
    return exit_code::ok;
}

int cmd_keygen(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"type", 0, true, false},
                                            {"bits", 0, true, false},
                                            {"key-format", 0, true, false},
                                            {"output", 'o', true, false},
                                            {"help", 'h', false, false}};
    auto a = parse_args("keygen", specs, argv);
    if (help_requested(a)) {
        std::cout << keygen_help << exit_codes_help;
        return exit_code::ok;
    }
    if (!a.operands().empty()) throw usage_error("keygen: unexpected operand '" + a.operands().front() + "'");
    auto type = a.get("type");
    if (!type) throw usage_error("keygen: --type rsa or --type x25519 is required (see 'escrow keygen --help')");
    if (*type != "rsa" && *type != "x25519") throw usage_error("keygen: unknown --type '" + *type + "' (expected rsa or x25519)");
    if (*type == "x25519" && a.get("bits")) throw usage_error("keygen: --bits applies to --type rsa only");
    unsigned bits = a.get("bits") ? parse_unsigned(*a.get("bits"), "--bits") : 3072;
    const std::string key_format = a.get("key-format").value_or("pem");
    if (key_format != "pem" && key_format != "msblob")
        throw usage_error("keygen: unknown --key-format '" + key_format + "' (expected pem or msblob)");
    const bool msblob = key_format == "msblob";
    auto prefix = a.get("output");
    if (!prefix) throw usage_error("keygen: -o PREFIX is required (see 'escrow keygen --help')");
    if (*prefix == "-" || prefix->empty()) throw usage_error("keygen: -o needs a file name prefix, not standard output");

    const std::string key_path = *prefix + ".key", pub_path = *prefix + ".pub";
    check_outputs(std::nullopt, {{key_path, "-o"}, {pub_path, "-o"}});

    if (*type == "x25519") return keygen_x25519(key_path, pub_path);
    auto key = escrow::rsa_private_key::generate(bits);
    auto pub = key.public_key();
    output_file key_out(key_path), pub_out(pub_path);
    if (msblob) {
        key_out.write(escrow::ms_blob::unsafe_private_key_blob(key).unsafe_bytes());  // the blob wipes itself
        pub_out.write(escrow::ms_blob::public_key_blob(pub));
    } else {
        key_out.write(key.unsafe_pem().unsafe_bytes());  // wiped memory, wiped once written
        pub_out.write(bytes_of(pub.pem()));
    }
    commit_all({{&key_out, 0600}, {&pub_out, new_file_mode}});
    std::cerr << "escrow: wrote " << key_path << " (private key, keep it secret) and " << pub_path << " (RSA-"
              << pub.bits() << " public key, SHA-256 " << escrow::hex::encode(pub.fingerprint()) << ")\n";
    return exit_code::ok;
}

// ---- encrypt -------------------------------------------------------------------------------------

void check_serial(const std::string& s) {
    if (auto p = escrow::serial_number::problem(s)) throw usage_error("--serial " + std::string(*p));
}

// Encrypts with the format's implementation, which returns only once the outputs are committed.
int encrypt_as(format fmt, const encrypt_job& job) {
    switch (fmt) {
        case format::age: return encrypt_age(job);
        case format::cryptoapi: return encrypt_cryptoapi(job);
        case format::native: break;
    }
    return encrypt_native(job);
}

int cmd_encrypt(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {
        {"format", 0, true, false},      {"owner", 0, true, false},       {"authority", 0, true, true},
        {"description", 0, true, false}, {"serial", 0, true, false},      {"owner-id", 0, true, false},
        {"record", 0, true, true},       {"armor", 'a', false, false},    {"output", 'o', true, false},
        {"aes-bits", 0, true, false},    {"quiet", 'q', false, false},    {"help", 'h', false, false}};
    auto a = parse_args("encrypt", specs, argv);
    if (help_requested(a)) {
        std::cout << encrypt_help << exit_codes_help;
        return exit_code::ok;
    }
    format fmt = parse_format(a.get("format"));
    if (a.operands().size() > 1) throw usage_error("encrypt: more than one input file (see 'escrow encrypt --help')");
    encrypt_job job;
    job.out_path = a.get("output");
    if (!a.operands().empty()) job.in_path = a.operands().front();
    job.armor = a.has("armor");
    if (auto bits = a.get("aes-bits")) {
        if (fmt != format::cryptoapi) throw usage_error("--aes-bits applies to --format cryptoapi only");
        job.aes_bits = parse_unsigned(*bits, "--aes-bits");
        if (job.aes_bits != 128 && job.aes_bits != 192 && job.aes_bits != 256)
            throw usage_error("--aes-bits must be 128, 192 or 256");
    }

    auto owner = a.get("owner");
    job.authorities = a.all("authority");
    job.record_paths = a.all("record");
    if (!owner) throw usage_error("encrypt: --owner RECIPIENT is required (see 'escrow encrypt --help')");
    job.owner = *owner;
    if (job.authorities.empty())
        throw usage_error("encrypt: at least one --authority RECIPIENT is required (see 'escrow encrypt --help')");
    if (!job.record_paths.empty() && job.record_paths.size() != job.authorities.size())
        throw usage_error("encrypt: " + std::to_string(job.record_paths.size()) + " --record for " +
                          std::to_string(job.authorities.size()) +
                          " --authority; give one --record per --authority, in the same order, or none");

    escrow::key_info& info = job.info;
    if (auto s = a.get("serial")) {
        check_serial(*s);
        info.serial = *s;
    }
    if (auto d = a.get("description")) info.description = *d;
    else info.description = job.in_path && *job.in_path != "-" ? std::filesystem::path(*job.in_path).filename().string() : "";
    if (info.description.size() > escrow::limits::description_max)
        throw usage_error("--description is longer than 4096 bytes");
    if (auto o = a.get("owner-id")) info.owner = *o;
    else if (const char* user = std::getenv("USER"); user && *user) info.owner = user;
    else info.owner = "unknown";
    if (info.owner.size() > escrow::limits::owner_max) throw usage_error("--owner-id is longer than 1024 bytes");

    if (is_std_stream(job.out_path) && ::isatty(STDOUT_FILENO) && !job.armor)
        throw usage_error("refusing to write binary ciphertext to a terminal; use -o FILE or redirect the output");

    std::vector<std::pair<std::string, std::string>> outputs;
    if (!is_std_stream(job.out_path)) outputs.emplace_back(*job.out_path, "-o");
    for (const auto& r : job.record_paths) {
        if (r == "-") throw usage_error("--record needs a file name, not standard output");
        outputs.emplace_back(r, "--record");
    }
    check_outputs(job.in_path, outputs);

    // The format's function returns only once every output is committed: the bar reaches 100%
    // there. When it throws instead, the meter's destructor ends the bar's line before `main`
    // reports the error.
    progress_meter progress(job.in_path, quiet_progress(a, job.out_path), "encrypting");
    job.progress = &progress;
    const int rc = encrypt_as(fmt, job);
    progress.finish();
    return rc;
}

// ---- decrypt -------------------------------------------------------------------------------------

// The format of a file given without --format, from its first bytes.
format detect_format(const decrypt_input& in) {
    if (in.starts_with(escrow::store::native::magic)) return format::native;
    if (in.starts_with(escrow::escrow_record::magic))
        throw escrow::error(errc::malformed_header,
                            "unknown format: the input is an escrow record, not an encrypted file (give it with --record)");
    if (in.starts_with(bytes_of(age_magic)) || in.starts_with(bytes_of(age_armor))) return format::age;
    // A CryptoAPI file has no magic, but its first 16 bytes leave no doubt: a DWORD blob length
    // of 12 + an RSA block, then 01 02 00 00, an AES ALG_ID and CALG_RSA_KEYX.
    if (escrow::store::cryptoapi::peek_aes_bits(in.head())) return format::cryptoapi;
    if (in.head().empty()) throw escrow::error(errc::malformed_header, "unknown format: the input is empty");
    throw escrow::error(errc::malformed_header,
                        "unknown format: the input is not an escrow native, age or CryptoAPI file");
}

// Decrypts with the format's implementation, which returns only once the output is committed.
int decrypt_as(format fmt, const decrypt_job& job, decrypt_input& in) {
    switch (fmt) {
        case format::age: return decrypt_age(job, in);
        case format::cryptoapi: return decrypt_cryptoapi(job, in);
        case format::native: break;
    }
    return decrypt_native(job, in);
}

int cmd_decrypt(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"key", 0, true, false},    {"record", 0, true, false},
                                            {"format", 0, true, false}, {"output", 'o', true, false},
                                            {"quiet", 'q', false, false}, {"help", 'h', false, false}};
    auto a = parse_args("decrypt", specs, argv);
    if (help_requested(a)) {
        std::cout << decrypt_help << exit_codes_help;
        return exit_code::ok;
    }
    std::optional<format> fmt;
    if (auto f = a.get("format")) fmt = parse_format(f);
    if (a.operands().size() > 1) throw usage_error("decrypt: more than one input file (see 'escrow decrypt --help')");
    decrypt_job job;
    job.out_path = a.get("output");
    if (!a.operands().empty()) job.in_path = a.operands().front();
    auto key_path = a.get("key");
    if (!key_path) throw usage_error("decrypt: --key IDENTITY is required (see 'escrow decrypt --help')");
    job.key_path = *key_path;
    job.record_path = a.get("record");

    std::vector<std::pair<std::string, std::string>> outputs;
    if (!is_std_stream(job.out_path)) outputs.emplace_back(*job.out_path, "-o");
    check_outputs(job.in_path, outputs);

    // As for encrypt: 100% once the format's function has returned (the plaintext committed), the
    // line ended by the meter's destructor when it throws. The meter outlives the input it counts.
    progress_meter progress(job.in_path, quiet_progress(a, job.out_path), "decrypting");
    input_file raw(job.in_path, &progress);
    decrypt_input in(raw, peek_size);
    if (!fmt) fmt = detect_format(in);
    const int rc = decrypt_as(*fmt, job, in);
    progress.finish();
    return rc;
}

// ---- inspect -------------------------------------------------------------------------------------

std::string json_str(std::string_view s) { return escrow::escrow_record::json_string(s); }

std::string role_name(escrow::recipient_role r) {
    switch (r) {
        case escrow::recipient_role::owner: return "owner";
        case escrow::recipient_role::authority: return "authority";
        case escrow::recipient_role::unknown: break;
    }
    return "unknown";
}

struct payload_stats {
    std::uint64_t size = 0;
    std::uint64_t chunks = 0;       // 0 when the cipher's framing is not known here
    std::uint64_t plaintext = 0;
};

// Counts the payload and, for AES-256-GCM STREAM, derives the chunk count and plaintext size that
// an intact file would have (every chunk but the last is full; each carries one tag).
template <class Source>
payload_stats count_payload(Source& in, const escrow::file_header& h) {
    payload_stats st;
    escrow::bytes buf(64 * 1024);
    for (;;) {
        std::size_t n = in.read(buf);
        st.size += n;
        if (n < buf.size()) break;
    }
    using gcm = escrow::cipher::aes256_gcm_stream;
    if (h.cipher_id == gcm::id && escrow::store::native::chunk_size_of(h) == gcm::chunk_size &&
        st.size >= gcm::tag_size) {
        st.chunks = (st.size + gcm::sealed_chunk_size - 1) / gcm::sealed_chunk_size;
        st.plaintext = st.size - st.chunks * gcm::tag_size;
    }
    return st;
}

void print_native_text(const std::string& name, const escrow::file_header& h, const payload_stats& st) {
    auto& o = std::cout;
    o << "file:          " << one_line(name) << "\n";
    o << "format:        escrow native, version " << escrow::store::native::version << " (store "
      << escrow::policy_ids::hex(escrow::store::native::id) << ")\n";
    o << "cipher:        " << policy_name("cipher", h.cipher_id) << " (" << escrow::policy_ids::hex(h.cipher_id) << ")\n";
    o << "wrap:          " << policy_name("wrap", h.wrap_id) << " (" << escrow::policy_ids::hex(h.wrap_id) << ")\n";
    o << "chunk size:    " << escrow::store::native::chunk_size_of(h) << " bytes\n";
    o << "header size:   " << h.authenticated.size() + h.mac.size() << " bytes (nonce " << h.nonce.size()
      << " bytes, MAC " << h.mac.size() << " bytes)\n";
    o << "recipients:    " << h.recipients.size() << "\n";
    for (std::size_t i = 0; i < h.recipients.size(); ++i) {
        const auto& r = h.recipients[i];
        o << "  " << i << ": " << role_name(r.role) << ", wrapped key " << r.key.body.size() << " bytes";
        if (!r.key.args.empty()) o << ", " << r.key.args.size() << " arguments";
        o << "\n";
    }
    o << "serial:        " << json_str(h.info.serial) << "\n";
    o << "description:   " << json_str(h.info.description) << "\n";
    o << "owner:         " << json_str(h.info.owner) << "\n";
    o << "created:       " << iso8601_utc(h.info.created) << " (" << h.info.created << ")\n";
    o << "payload:       " << st.size << " bytes";
    if (st.chunks)
        o << " in " << st.chunks << (st.chunks == 1 ? " chunk (" : " chunks (") << st.plaintext
          << " bytes of plaintext if intact)";
    o << "\n";
}

void print_native_json(const std::string& name, const escrow::file_header& h, const payload_stats& st) {
    auto id = [](std::string_view family, std::uint16_t v) {
        return "{\"id\": \"" + escrow::policy_ids::hex(v) + "\", \"name\": " + json_str(policy_name(family, v)) + "}";
    };
    std::string j = "{\n";
    j += "  \"file\": " + json_str(name) + ",\n";
    j += "  \"format\": \"escrow-native\",\n";
    j += "  \"version\": " + std::to_string(escrow::store::native::version) + ",\n";
    j += "  \"store\": " + id("store", escrow::store::native::id) + ",\n";
    j += "  \"cipher\": " + id("cipher", h.cipher_id) + ",\n";
    j += "  \"wrap\": " + id("wrap", h.wrap_id) + ",\n";
    j += "  \"chunk_size\": " + std::to_string(escrow::store::native::chunk_size_of(h)) + ",\n";
    j += "  \"header_size\": " + std::to_string(h.authenticated.size() + h.mac.size()) + ",\n";
    j += "  \"nonce_size\": " + std::to_string(h.nonce.size()) + ",\n";
    j += "  \"recipients\": [";
    for (std::size_t i = 0; i < h.recipients.size(); ++i) {
        const auto& r = h.recipients[i];
        j += std::string(i ? ", " : "") + "{\"role\": \"" + role_name(r.role) +
             "\", \"wrapped_key_size\": " + std::to_string(r.key.body.size()) +
             ", \"arguments\": " + std::to_string(r.key.args.size()) + "}";
    }
    j += "],\n";
    j += "  \"serial\": " + json_str(h.info.serial) + ",\n";
    j += "  \"description\": " + json_str(h.info.description) + ",\n";
    j += "  \"owner\": " + json_str(h.info.owner) + ",\n";
    j += "  \"created\": " + std::to_string(h.info.created) + ",\n";
    j += "  \"created_utc\": " + json_str(iso8601_utc(h.info.created)) + ",\n";
    j += "  \"payload_size\": " + std::to_string(st.size);
    if (st.chunks)
        j += ",\n  \"chunks\": " + std::to_string(st.chunks) + ",\n  \"plaintext_size\": " + std::to_string(st.plaintext);
    j += "\n}\n";
    std::cout << j;
}

// Describes an age file: its stanzas (type, arguments, body size), header and payload sizes.
template <class Source>
void inspect_age(const std::string& name, Source& in, bool armored, bool as_json) {
    escrow::file_header h = escrow::store::age::parse(in);
    std::uint64_t payload = 0;
    escrow::bytes buf(64 * 1024);
    for (;;) {
        std::size_t n = in.read(buf);
        payload += n;
        if (n < buf.size()) break;
    }
    using chacha = escrow::cipher::chacha20_poly1305_stream;
    std::uint64_t chunks = payload >= chacha::tag_size ? (payload + chacha::sealed_chunk_size - 1) / chacha::sealed_chunk_size : 0;
    std::uint64_t plain = payload - chunks * chacha::tag_size;
    const std::size_t header_size = h.authenticated.size() + 1 + 43 + 1;
    if (as_json) {
        std::string j = "{\n  \"file\": " + json_str(name) + ",\n  \"format\": \"age\",\n  \"version\": \"age-encryption.org/v1\",\n";
        j += "  \"armored\": " + std::string(armored ? "true" : "false") + ",\n";
        j += "  \"store\": {\"id\": \"" + escrow::policy_ids::hex(escrow::store::age::id) + "\", \"name\": \"age\"},\n";
        j += "  \"cipher\": {\"id\": \"" + escrow::policy_ids::hex(chacha::id) + "\", \"name\": \"" + std::string(chacha::name) + "\"},\n";
        j += "  \"header_size\": " + std::to_string(header_size) + ",\n  \"recipients\": [";
        for (std::size_t i = 0; i < h.recipients.size(); ++i) {
            const auto& r = h.recipients[i];
            j += std::string(i ? ", " : "") + "{\"type\": " + json_str(r.type) + ", \"arguments\": " +
                 std::to_string(r.key.args.size()) + ", \"body_size\": " + std::to_string(r.key.body.size()) + "}";
        }
        j += "],\n  \"payload_size\": " + std::to_string(payload);
        if (chunks) j += ",\n  \"chunks\": " + std::to_string(chunks) + ",\n  \"plaintext_size\": " + std::to_string(plain);
        j += "\n}\n";
        std::cout << j;
        return;
    }
    auto& o = std::cout;
    o << "file:          " << one_line(name) << "\n";
    o << "format:        age-encryption.org/v1" << (armored ? ", ASCII-armored" : "") << " (store "
      << escrow::policy_ids::hex(escrow::store::age::id) << ")\n";
    o << "cipher:        " << chacha::name << " (" << escrow::policy_ids::hex(chacha::id) << ")\n";
    o << "header size:   " << header_size << " bytes (nonce 16 bytes, MAC 32 bytes)\n";
    o << "recipients:    " << h.recipients.size() << " (age stanzas; the owner first in files escrow writes)\n";
    for (std::size_t i = 0; i < h.recipients.size(); ++i) {
        const auto& r = h.recipients[i];
        o << "  " << i << ": " << one_line(r.type) << ", " << r.key.args.size() << " arguments, body "
          << r.key.body.size() << " bytes\n";
    }
    o << "key info:      not in age files (the escrow record carries it)\n";
    o << "payload:       " << payload << " bytes";
    if (chunks) o << " in " << chunks << (chunks == 1 ? " chunk (" : " chunks (") << plain << " bytes of plaintext if intact)";
    o << "\n";
}

// A CryptoAPI file: the SIMPLEBLOB's fields and the payload size. There is no key info, no MAC
// and no chunking in this format: say so rather than leave fields out silently.
template <class Source>
void print_cryptoapi(const std::string& name, Source& in, unsigned aes_bits, bool json) {
    escrow::file_header h;
    auto parse = [&](auto enc) {
        h = enc.read_header(in);
        return 0;
    };
    (void)detail::with_cryptoapi_preset(aes_bits, parse);
    payload_stats st = count_payload(in, h);
    const std::size_t block = h.recipients.front().key.body.size();
    const std::uint16_t cipher_id = h.cipher_id, wrap_id = h.wrap_id, store_id = escrow::store::cryptoapi::id;
    if (json) {
        auto id = [](std::string_view family, std::uint16_t v) {
            return "{\"id\": \"" + escrow::policy_ids::hex(v) + "\", \"name\": " + json_str(policy_name(family, v)) + "}";
        };
        std::string j = "{\n";
        j += "  \"file\": " + json_str(name) + ",\n";
        j += "  \"format\": \"cryptoapi\",\n";
        j += "  \"authenticated\": false,\n";
        j += "  \"store\": " + id("store", store_id) + ",\n";
        j += "  \"cipher\": " + id("cipher", cipher_id) + ",\n";
        j += "  \"wrap\": " + id("wrap", wrap_id) + ",\n";
        j += "  \"simpleblob_size\": " + std::to_string(block + 12) + ",\n";
        j += "  \"rsa_block_size\": " + std::to_string(block) + ",\n";
        j += "  \"payload_size\": " + std::to_string(st.size) + "\n}\n";
        std::cout << j;
        return;
    }
    auto& o = std::cout;
    o << "file:          " << one_line(name) << "\n";
    o << "format:        CryptoAPI (\"Encrypting a File\" layout, unauthenticated; store " << escrow::policy_ids::hex(store_id) << ")\n";
    o << "cipher:        " << policy_name("cipher", cipher_id) << " (" << escrow::policy_ids::hex(cipher_id) << "), SIMPLEBLOB aiKeyAlg CALG_AES_"
      << aes_bits << "\n";
    o << "wrap:          " << policy_name("wrap", wrap_id) << " (" << escrow::policy_ids::hex(wrap_id) << "), algid CALG_RSA_KEYX\n";
    o << "recipients:    1\n  0: owner, SIMPLEBLOB " << block + 12 << " bytes (RSA block " << block << " bytes)\n";
    o << "payload:       " << st.size << " bytes";
    if (st.size >= 16 && st.size % 16 == 0) o << " (" << st.size - 16 << " to " << st.size - 1 << " bytes of plaintext)";
    o << "\n";
}

int cmd_inspect(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"json", 0, false, false}, {"help", 'h', false, false}};
    auto a = parse_args("inspect", specs, argv);
    if (help_requested(a)) {
        std::cout << inspect_help << exit_codes_help;
        return exit_code::ok;
    }
    if (a.operands().size() > 1) throw usage_error("inspect: more than one file (see 'escrow inspect --help')");
    std::optional<std::string> in_path;
    if (!a.operands().empty()) in_path = a.operands().front();
    const std::string name = is_std_stream(in_path) ? std::string("-") : *in_path;

    input_file raw(in_path);
    peeked_source in(raw, peek_size);
    if (in.starts_with(escrow::store::native::magic)) {
        escrow::file_header h = escrow::store::native::parse(in);
        payload_stats st = count_payload(in, h);
        if (a.has("json")) print_native_json(name, h, st);
        else print_native_text(name, h, st);
    } else if (in.starts_with(escrow::escrow_record::magic)) {
        auto rec = escrow::escrow_record::decode(escrow::read_all(in, escrow::escrow_record::max_encoded));
        std::cout << rec.to_json();
    } else if (in.starts_with(bytes_of(age_magic)) || in.starts_with(bytes_of(age_armor))) {
        const bool armored = !in.starts_with(bytes_of(age_magic));
        if (armored) {
            escrow::store::age_dearmor_source<decltype(in)> src(in);
            inspect_age(name, src, true, a.has("json"));
        } else {
            inspect_age(name, in, false, a.has("json"));
        }
    } else if (auto bits = escrow::store::cryptoapi::peek_aes_bits(in.head())) {
        print_cryptoapi(name, in, *bits, a.has("json"));
    } else {
        throw escrow::error(errc::malformed_header, "unknown format: " + in_quotes(name) +
                                                        " is neither an escrow native, age or CryptoAPI file nor an escrow record");
    }
    std::cout.flush();
    if (!std::cout) throw escrow::error(errc::io_error, "writing to standard output failed");
    return exit_code::ok;
}

// ---- main ----------------------------------------------------------------------------------------

int run(int argc, char** argv) {
    std::span<char* const> args(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0));
    if (args.empty()) {
        std::cerr << main_help << exit_codes_help;
        return exit_code::usage;
    }
    std::string_view cmd = args[0];
    auto rest = args.subspan(1);
    if (cmd == "-h" || cmd == "--help") {
        std::cout << main_help << exit_codes_help;
        return exit_code::ok;
    }
    if (cmd == "--version") {
        std::cout << "escrow " ESCROW_CLI_VERSION "\n";
        return exit_code::ok;
    }
    if (cmd == "keygen") return cmd_keygen(rest);
    if (cmd == "encrypt") return cmd_encrypt(rest);
    if (cmd == "decrypt") return cmd_decrypt(rest);
    if (cmd == "inspect") return cmd_inspect(rest);
    if (cmd == "authority") return cmd_authority(rest);
    if (cmd == "officer") return cmd_officer(rest);
    if (cmd == "rewrap") return cmd_rewrap(rest);
    throw usage_error("unknown command '" + std::string(cmd) + "' (see 'escrow --help')");
}

void report(std::string_view message) {
    std::string line = "escrow: " + one_line(message) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace
}  // namespace escrow_cli

int main(int argc, char** argv) {
    using namespace escrow_cli;
    // A closed pipe must not kill the process before its temporary files are removed: writes
    // report EPIPE instead, and the signal is raised again once the stack has unwound.
    std::signal(SIGPIPE, SIG_IGN);
    // Ctrl-C, SIGTERM and the like remove the temporary files of unfinished outputs before the
    // process dies (a decryption's holds plaintext).
    temporary_files::install_handlers();
    try {
        return run(argc, argv);
    } catch (const broken_pipe&) {
        std::signal(SIGPIPE, SIG_DFL);
        std::raise(SIGPIPE);
        return exit_code::io;
    } catch (const usage_error& e) {
        report(e.what());
        return exit_code::usage;
    } catch (const escrow::error& e) {
        report(e.what());
        return exit_code_for(e.kind());
    } catch (const std::filesystem::filesystem_error& e) {
        report(e.what());
        return exit_code::io;
    } catch (const std::bad_alloc&) {
        report("out of memory");
        return exit_code::decrypt_failed;
    } catch (const std::exception& e) {
        report(e.what());
        return exit_code::decrypt_failed;
    }
}
