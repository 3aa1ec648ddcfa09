// SPDX-License-Identifier: MIT
/// @file
/// `escrow`: the command-line tool (keygen, encrypt, decrypt, inspect, authority, officer,
/// rewrap), on the public headers only. This unit holds `main`: the dispatch to the commands
/// (cli_commands.hpp) and the one place where errors become messages and exit codes.

#include <escrow/escrow.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "cli_io.hpp"
#include "cli_man.hpp"

#ifndef ESCROW_CLI_VERSION
#define ESCROW_CLI_VERSION "0.1.0"
#endif

namespace escrow_cli {
namespace {

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
    "  authority the backup authority: records, officers, recovery, audit (SQLite or PostgreSQL)\n"
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
    "and renamed only on success; an existing file is never overwritten. An output that is not\n"
    "a regular file (a device such as /dev/null, a FIFO, /dev/stdout) is written directly.\n"
    "\n";

int run(int argc, char** argv) {
    std::span<char* const> args(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0));
    if (args.empty()) {
        std::cerr << main_help << see_exit_codes;
        return exit_code::usage;
    }
    std::string_view cmd = args[0];
    auto rest = args.subspan(1);
    if (cmd == "-h" || cmd == "--help") {
        std::cout << main_help << see_exit_codes;
        return exit_code::ok;
    }
    // Hidden: what the build runs to write escrow(1) and the bash completion script.
    if (cmd == "--man") return print_man_page(main_help);
    if (cmd == "--bash-completion") return print_bash_completion(main_help);
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

