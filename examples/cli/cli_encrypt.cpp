// SPDX-License-Identifier: MIT
/// @file
/// `escrow encrypt` and `escrow decrypt`: the options every format shares, checked before
/// anything is read or written; the formats' own work is in cli_native.cpp, cli_age.cpp and
/// cli_cryptoapi.cpp.

#include <escrow/escrow.hpp>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "cli_cryptoapi.hpp"
#include "cli_io.hpp"
#include "cli_jobs.hpp"
#include "cli_pkcs11.hpp"
#include "cli_progress.hpp"
#include "cli_service.hpp"

namespace escrow_cli {

namespace {

using escrow::errc;

constexpr std::string_view encrypt_help =
    "Usage: escrow encrypt [--format native|age|cryptoapi] --owner RECIPIENT\n"
    "                      --authority RECIPIENT [--authority RECIPIENT ...]\n"
    "                      [--description TEXT] [--serial S] [--owner-id TEXT]\n"
    "                      [--threshold K] [--record FILE ...]\n"
    "                      [--deposit URL [--ca CA.pem | --pin sha256:HEX]] [--armor] [--aes-bits N] [-q] [-o OUT] [IN]\n"
    "\n"
    "Encrypts IN (default: standard input) to OUT (default: standard output, never a terminal)\n"
    "under a fresh session key, wrapped for the owner and, as a copy in the header, for each\n"
    "authority. Each --record FILE receives the escrow record of the --authority in the same\n"
    "position: give none, or one per authority.\n"
    "\n"
    "With --threshold K (2 <= K <= the number of authorities; native or age), no authority\n"
    "alone can open the file: the session key is split with Shamir's scheme, each authority's\n"
    "share goes to its --record only (required), and any K authorities' keys with their records\n"
    "open it ('escrow decrypt --key ID --record R' K times). The owner still opens it alone.\n"
    "\n"
    "A RECIPIENT is a public key: a file (PEM, DER, PUBLICKEYBLOB, or an OpenSSH ssh-rsa line),\n"
    "or the key itself as text (ssh-rsa AAAA..., age1...). The native format takes RSA keys,\n"
    "age1... recipients and ssh-ed25519 keys; --format age takes age1... recipients, ssh-rsa and\n"
    "ssh-ed25519 keys; the owner and authorities may be of any mix. A file of several recipient\n"
    "lines (as age's -R files) given to --authority gives one authority a line.\n"
    "The owner's own key is refused as an --authority (an escrow to it recovers nothing).\n"
    "\n"    "--format cryptoapi writes what CryptoAPI itself reads (Microsoft's \"Encrypting a File\"\n"
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
    "  --threshold K       K of the authorities are needed (k-of-n escrow; default 1: any one)\n"
    "  --record FILE       write the escrow record for the matching --authority to FILE\n"
    "  --deposit URL       then deposit each record with the authority service at URL\n"
    "                      (https://HOST:PORT, docs/authority-service.md); if a deposit fails,\n"
    "                      the file and its records are kept and the command exits non-zero\n"
    "  --ca CA.pem         --deposit: the certificate authority that signed the server's\n"
    "                      certificate (default: the system's)\n"
    "  --pin sha256:HEX    --deposit: the SHA-256 of the server certificate's public key\n"
    "  --description TEXT  what the key protects (up to 4096 bytes; default: the input's name)\n"
    "  --serial S          serial number, 1-128 printable ASCII characters without spaces\n"
    "                      (default: a fresh random ESC-... serial)\n"
    "  --owner-id TEXT     the owner's identity in the record (default: $USER, else the\n"
    "                      system's name for the user)\n"
    "  -a, --armor         ASCII armor (--format age only)\n"
    "  --aes-bits N        --format cryptoapi: the AES key size, 128, 192 or 256 (default)\n"
    "  -q, --quiet         draw no progress bar\n"
    "  -o, --output OUT    write the ciphertext to OUT (a new file)\n"
    "  -h, --help          show this help\n"
    "\n";

constexpr std::string_view decrypt_help =
    "Usage: escrow decrypt -i IDENTITY [-i IDENTITY ...] [--record FILE ...] [--pin-file FILE]\n"
    "                      [--format F] [-q] [-o OUT] [IN]\n"
    "\n"
    "Decrypts IN (default: standard input) to OUT (default: standard output). IDENTITY is a\n"
    "private key file (PEM, DER, PRIVATEKEYBLOB, or OpenSSH RSA): the owner's, or an\n"
    "authority's, which opens the copy of its blob in the header (native files). Several -i\n"
    "are tried in order, as 'age -d -i' does: the first that opens the file is used. With\n"
    "--record, IDENTITY is the authority's key and the escrow record supplies the session key\n"
    "(the record's MAC is checked too, and it must be this file's record). An authority's\n"
    "IDENTITY may be a key in a PKCS#11 token, given alone as an RFC 7512 URI\n"
    "(pkcs11:token=...;object=...?module-path=...), with --record (docs/cli.md).\n"
    "A k-of-n file (encrypt --threshold K) opens for its owner's key alone, or for K authority\n"
    "keys each with its share record: --key ID --record R, K times, paired by order.\n"
    "\n"
    "For age files IDENTITY is an age identity file (AGE-SECRET-KEY-1..., e.g. from age-keygen)\n"
    "or an unencrypted RSA or Ed25519 private key (ssh-keygen's OpenSSH format; RSA also PEM).\n"
    "\n"
    "The format (native, age binary or armored) is recognised from the input's first bytes\n"
    "unless --format is given; a CryptoAPI file needs --format cryptoapi (it has no MAC). With\n"
    "-o, OUT appears only once the whole file authenticates; on standard output, a device (-o\n"
    "/dev/null) or a FIFO each chunk is written once it authenticates, so a failure part-way\n"
    "leaves the chunks before it there (-o /dev/null checks a file: exit 0 when it is intact).\n"
    "A CryptoAPI file cannot authenticate: its plaintext appears in OUT (a new file, or\n"
    "/dev/null) only once the final padding checks out, and a wrong key or a modified file is\n"
    "noticed only there (not always). A decrypted file is created with mode 0600.\n"
    "\n"
    "While IN, a regular file larger than 4 MiB, is read, a progress bar is drawn on standard\n"
    "error if it is a terminal and OUT is not (never otherwise, nor with --quiet).\n"
    "\n"
    "Options:\n"
    "  -i, --key IDENTITY  a private key file; repeat to try several, in order\n"
    "  --record FILE       an escrow record made for the authority whose key is IDENTITY (a\n"
    "                      k-of-n file: one share record per --key, in the same order)\n"
    "  --pin-file FILE     the token's PIN, the first line of FILE, for a pkcs11: IDENTITY\n"
    "  --format F          native, age or cryptoapi\n"
    "  -q, --quiet         draw no progress bar\n"
    "  -o, --output OUT    write the plaintext to OUT (a new file)\n"
    "  -h, --help          show this help\n"
    "\n";

enum class format { native, age, cryptoapi };

format parse_format(const std::optional<std::string>& value) {
    if (!value || *value == "native") return format::native;
    if (*value == "age") return format::age;
    if (*value == "cryptoapi") return format::cryptoapi;
    throw usage_error("unknown --format '" + *value + "' (expected native, age or cryptoapi)");
}

// True when no progress bar may be drawn: --quiet, or an output that goes to the terminal (it
// would be interleaved with the bar's redraws).
bool quiet_progress(const parsed_args& a, const std::optional<std::string>& out_path) {
    return a.has("quiet") || output_is_terminal(out_path);
}

// The owner's identity by default: $USER, else the system's name for the user (cron and root
// shells often have no $USER), else the numeric user id.
std::string login_name() {
    if (const char* user = std::getenv("USER"); user && *user) return user;
    std::vector<char> buf(16384);
    struct passwd pw{}, *found = nullptr;
    if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_name && *found->pw_name)
        return found->pw_name;
    return "uid " + std::to_string(::getuid());
}

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

// The format of a file given without --format, from its first bytes.
format detect_format(const decrypt_input& in) {
    if (in.starts_with(escrow::store::native::magic)) return format::native;
    if (in.starts_with(escrow::escrow_record::magic))
        throw escrow::error(errc::malformed_header,
                            "unknown format: the input is an escrow record, not an encrypted file (give it with --record)");
    if (in.starts_with(escrow::as_bytes(age_magic)) || in.starts_with(escrow::as_bytes(age_armor))) return format::age;
    // A CryptoAPI file has no MAC, so its decryption answers "good padding or not" for any block
    // an attacker splices in: it is opened only when the user asks for it by name, never because
    // a file looks like one (which would hand that oracle to anyone who can get a file decrypted).
    if (escrow::store::cryptoapi::peek_aes_bits(in.head()))
        throw escrow::error(errc::malformed_header,
                            "the input looks like a CryptoAPI file, which has no integrity check: decrypt it only "
                            "if you trust where it came from, with --format cryptoapi");
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

}  // namespace

int cmd_encrypt(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {
        {"format", 0, true, false},      {"owner", 0, true, false},       {"authority", 0, true, true},
        {"description", 0, true, false}, {"serial", 0, true, false},      {"owner-id", 0, true, false},
        {"record", 0, true, true},       {"armor", 'a', false, false},    {"output", 'o', true, false},
        {"aes-bits", 0, true, false},    {"quiet", 'q', false, false},    {"help", 'h', false, false},
        {"deposit", 0, true, false},     {"ca", 0, true, false},          {"pin", 0, true, false},
        {"threshold", 0, true, false}};
    auto a = parse_args("encrypt", specs, argv);
    if (a.has("help")) {
        std::cout << encrypt_help << see_exit_codes;
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
        detail::check_aes_bits(job.aes_bits);
    }

    auto owner = a.get("owner");
    // A recipients file with several lines gives several recipients, as age's -R files do.
    for (const auto& v : a.all("authority"))
        for (auto& r : expand_recipients(v, "--authority")) job.authorities.push_back(std::move(r));
    job.record_paths = a.all("record");
    if (!owner) throw usage_error("encrypt: --owner RECIPIENT is required (see 'escrow encrypt --help')");
    if (auto n = expand_recipients(*owner, "--owner").size(); n > 1)
        throw usage_error("encrypt: --owner " + in_quotes(*owner) + " holds " + std::to_string(n) +
                          " recipients; a file has one owner: give a file with one key");
    job.owner = *owner;
    if (job.authorities.empty())
        throw usage_error("encrypt: at least one --authority RECIPIENT is required (see 'escrow encrypt --help')");
    if (!job.record_paths.empty() && job.record_paths.size() != job.authorities.size())
        throw usage_error("encrypt: " + std::to_string(job.record_paths.size()) + " --record for " +
                          std::to_string(job.authorities.size()) +
                          " --authority; give one --record per --authority, in the same order, or none");
    if (auto t = a.get("threshold")) {
        job.threshold = parse_unsigned(*t, "--threshold");
        if (job.threshold == 0) throw usage_error("encrypt: --threshold K needs K >= 1");
        if (job.threshold > job.authorities.size())
            throw usage_error("encrypt: --threshold " + std::to_string(job.threshold) + " is more than the " +
                              std::to_string(job.authorities.size()) + " --authority given (K must be <= N)");
        if (job.threshold > 1 && fmt == format::cryptoapi)
            throw usage_error("encrypt: --threshold K >= 2 (k-of-n escrow) needs --format native or age: a CryptoAPI "
                              "header has no room for its section");
        if (job.threshold > 1 && job.record_paths.empty())
            throw usage_error("encrypt: with --threshold the authorities' shares exist only in their records: give one "
                              "--record per --authority");
    }

    std::optional<remote_options> deposit;
    if (auto url = a.get("deposit")) {
        if (job.record_paths.empty()) throw usage_error("encrypt: --deposit URL deposits the --record files: give --record");
        if (!service_available())
            throw usage_error("encrypt: this escrow tool was built without the authority service (libssl-dev, nlohmann-json3-dev)");
        deposit.emplace();
        job.deposit = true;
        deposit->server = *url;
        deposit->ca = a.get("ca");
        deposit->pin = a.get("pin");
    } else if (a.get("ca") || a.get("pin")) {
        throw usage_error("encrypt: --ca and --pin go with --deposit URL");
    }

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
    else info.owner = login_name();
    if (info.owner.size() > escrow::limits::owner_max) throw usage_error("--owner-id is longer than 1024 bytes");

    if (output_is_terminal(job.out_path) && !job.armor)
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
    // The file and its records are committed first: a failed deposit keeps them, to deposit later.
    if (rc == exit_code::ok && deposit) deposit_records(*deposit, job.record_paths);
    return rc;
}

int cmd_decrypt(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"key", 'i', true, true},   {"record", 0, true, true},
                                            {"format", 0, true, false}, {"output", 'o', true, false},
                                            {"quiet", 'q', false, false}, {"help", 'h', false, false},
                                            {"pin-file", 0, true, false}};
    auto a = parse_args("decrypt", specs, argv);
    if (a.has("help")) {
        std::cout << decrypt_help << see_exit_codes;
        return exit_code::ok;
    }
    std::optional<format> fmt;
    if (auto f = a.get("format")) fmt = parse_format(f);
    if (a.operands().size() > 1) throw usage_error("decrypt: more than one input file (see 'escrow decrypt --help')");
    decrypt_job job;
    job.out_path = a.get("output");
    if (!a.operands().empty()) job.in_path = a.operands().front();
    job.key_paths = a.all("key");
    if (job.key_paths.empty()) throw usage_error("decrypt: --key IDENTITY is required (see 'escrow decrypt --help')");
    job.record_paths = a.all("record");
    if (job.record_paths.size() == 1) job.record_path = job.record_paths.front();
    if (job.record_paths.size() > 1 && job.record_paths.size() != job.key_paths.size())
        throw usage_error("decrypt: " + std::to_string(job.record_paths.size()) + " --record for " +
                          std::to_string(job.key_paths.size()) +
                          " --key; a k-of-n file takes one --key per --record, paired by order");
    job.pin_file = a.get("pin-file");
    if (job.pin_file && !token_key(job)) throw usage_error("decrypt: --pin-file goes with a pkcs11: --key");

    std::vector<std::pair<std::string, std::string>> outputs;
    if (!is_std_stream(job.out_path)) outputs.emplace_back(*job.out_path, "-o");
    check_outputs(job.in_path, outputs);

    // As for encrypt: 100% once the format's function has returned (the plaintext committed), the
    // line ended by the meter's destructor when it throws. The meter outlives the input it counts.
    progress_meter progress(job.in_path, quiet_progress(a, job.out_path), "decrypting");
    input_file raw(job.in_path, &progress);
    decrypt_input in(raw, peek_size);
    if (!fmt) fmt = detect_format(in);
    if (job.record_paths.size() > 1 && *fmt == format::cryptoapi)
        throw usage_error("decrypt: several --record (a k-of-n file's share records) apply to native and age files only");
    const int rc = decrypt_as(*fmt, job, in);
    progress.finish();
    return rc;
}

}  // namespace escrow_cli
