// SPDX-License-Identifier: MIT
/// @file
/// `escrow inspect`: describes an encrypted file (native, age, CryptoAPI) or an escrow record,
/// without any key.

#include <escrow/escrow.hpp>

#include <cstdint>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "cli_cryptoapi.hpp"
#include "cli_io.hpp"
#include "cli_jobs.hpp"

namespace escrow_cli {

namespace {

using escrow::errc;

constexpr std::string_view inspect_help =
    "Usage: escrow inspect [--json] [FILE|RECORD]...\n"
    "\n"
    "Describes an encrypted file (native, age binary or armored, or CryptoAPI: format, version,\n"
    "policies, recipients, key info, header and payload sizes; for a CryptoAPI file its SIMPLEBLOB\n"
    "and payload size) or an escrow record (as JSON), without any key. Nothing is verified: the\n"
    "header MAC and the record MAC need the session key, and a CryptoAPI file has none.\n"
    "Several files are described one after the other, a blank line between them.\n"
    "\n"
    "Options:\n"
    "  --json              describe an encrypted file as JSON too\n"
    "  -h, --help          show this help\n"
    "\n";

std::string policy_name(std::string_view family, std::uint16_t id) {
    auto n = escrow::ids::name_of(family, id);
    if (!n.empty()) return std::string(n);
    return escrow::ids::is_user_defined(id) ? "user-defined" : "unknown";
}

// "1 argument", "2 arguments".
std::string plural(std::size_t n, std::string_view noun) {
    return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

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
    if (h.wrap_id != 0) o << "wrap:          " << policy_name("wrap", h.wrap_id) << " (" << escrow::policy_ids::hex(h.wrap_id) << ")\n";
    else o << "wrap:          several (each recipient names its own)\n";
    o << "chunk size:    " << escrow::store::native::chunk_size_of(h) << " bytes\n";
    o << "header size:   " << h.authenticated.size() + h.mac.size() << " bytes (nonce " << h.nonce.size()
      << " bytes, MAC " << h.mac.size() << " bytes)\n";
    o << "recipients:    " << h.recipients.size() << "\n";
    for (std::size_t i = 0; i < h.recipients.size(); ++i) {
        const auto& r = h.recipients[i];
        o << "  " << i << ": " << role_name(r.role) << ", wrapped key " << r.key.body.size() << " bytes";
        if (!r.key.args.empty()) o << ", " << plural(r.key.args.size(), "argument");
        if (r.wrap_id != 0) o << ", " << policy_name("wrap", r.wrap_id) << " (" << escrow::policy_ids::hex(r.wrap_id) << ")";
        o << "\n";
    }
    if (h.threshold)
        o << "threshold:     " << int(h.threshold->threshold) << " of " << int(h.threshold->share_count)
          << " authorities (k-of-n: each holds share 1.." << int(h.threshold->share_count)
          << " in its share record; the header holds a commitment per share)\n";
    o << "serial:        " << json_str(h.info.serial) << "\n";
    o << "description:   " << json_str(h.info.description) << "\n";
    o << "owner:         " << json_str(h.info.owner) << "\n";
    o << "created:       " << iso8601_utc(h.info.created) << " (" << h.info.created << ")\n";
    o << "payload:       " << st.size << " bytes";
    if (st.chunks)
        o << " in " << st.chunks << (st.chunks == 1 ? " chunk (" : " chunks (") << st.plaintext
          << " bytes of plaintext if intact)";
    o << "\n";
    o << "verified:      no (inspect reads no key: the fields above are what the file states)\n";
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
    j += "  \"wrap\": " + (h.wrap_id != 0 ? id("wrap", h.wrap_id) : std::string("\"several\"")) + ",\n";
    j += "  \"chunk_size\": " + std::to_string(escrow::store::native::chunk_size_of(h)) + ",\n";
    j += "  \"verified\": false,\n";
    j += "  \"header_size\": " + std::to_string(h.authenticated.size() + h.mac.size()) + ",\n";
    j += "  \"nonce_size\": " + std::to_string(h.nonce.size()) + ",\n";
    j += "  \"recipients\": [";
    for (std::size_t i = 0; i < h.recipients.size(); ++i) {
        const auto& r = h.recipients[i];
        j += std::string(i ? ", " : "") + "{\"role\": \"" + role_name(r.role) +
             "\", \"wrapped_key_size\": " + std::to_string(r.key.body.size()) +
             ", \"arguments\": " + std::to_string(r.key.args.size()) +
             ", \"wrap\": " + id("wrap", r.wrap_id != 0 ? r.wrap_id : h.wrap_id) + "}";
    }
    j += "],\n";
    if (h.threshold)
        j += "  \"threshold\": {\"k\": " + std::to_string(h.threshold->threshold) +
             ", \"n\": " + std::to_string(h.threshold->share_count) + "},\n";
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
        j += "  \"store\": {\"id\": \"" + escrow::policy_ids::hex(escrow::store::age::id) + "\", \"name\": \"" +
             std::string(escrow::store::age::name) + "\"},\n";
        j += "  \"cipher\": {\"id\": \"" + escrow::policy_ids::hex(chacha::id) + "\", \"name\": \"" + std::string(chacha::name) + "\"},\n";
        j += "  \"header_size\": " + std::to_string(header_size) + ",\n  \"recipients\": [";
        for (std::size_t i = 0; i < h.recipients.size(); ++i) {
            const auto& r = h.recipients[i];
            j += std::string(i ? ", " : "") + "{\"type\": " + json_str(r.type) + ", \"arguments\": " +
                 std::to_string(r.key.args.size()) + ", \"body_size\": " + std::to_string(r.key.body.size()) + "}";
        }
        j += "],\n";
        if (h.threshold)
            j += "  \"threshold\": {\"k\": " + std::to_string(h.threshold->threshold) +
                 ", \"n\": " + std::to_string(h.threshold->share_count) + "},\n";
        j += "  \"payload_size\": " + std::to_string(payload);
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
        o << "  " << i << ": " << one_line(r.type) << ", " << plural(r.key.args.size(), "argument") << ", body "
          << r.key.body.size() << " bytes\n";
    }
    if (h.threshold)
        o << "threshold:     " << int(h.threshold->threshold) << " of " << int(h.threshold->share_count)
          << " authorities (k-of-n: an escrow-kofn stanza with a commitment per share; shares in the share records)\n";
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
        h = enc.read_header(in).unverified_value();  // shown as the file states it, never acted on
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


// Describes one file (`in_path`, or standard input).
void inspect_one(const std::optional<std::string>& in_path, bool json) {
    const std::string name = is_std_stream(in_path) ? std::string("-") : *in_path;
    input_file raw(in_path);
    peeked_source in(raw, peek_size);
    if (in.starts_with(escrow::store::native::magic)) {
        escrow::file_header h = escrow::store::native::parse(in);
        payload_stats st = count_payload(in, h);
        if (json) print_native_json(name, h, st);
        else print_native_text(name, h, st);
    } else if (in.starts_with(escrow::escrow_record::magic)) {
        auto rec = escrow::escrow_record::decode(escrow::read_all(in, escrow::escrow_record::max_encoded));
        std::cout << rec.to_json();
    } else if (in.starts_with(escrow::as_bytes(age_magic)) || in.starts_with(escrow::as_bytes(age_armor))) {
        const bool armored = !in.starts_with(escrow::as_bytes(age_magic));
        if (armored) {
            escrow::store::age_dearmor_source<decltype(in)> src(in);
            inspect_age(name, src, true, json);
        } else {
            inspect_age(name, in, false, json);
        }
    } else if (auto bits = escrow::store::cryptoapi::peek_aes_bits(in.head())) {
        print_cryptoapi(name, in, *bits, json);
    } else {
        throw escrow::error(errc::malformed_header, "unknown format: " + in_quotes(name) +
                                                        " is neither an escrow native, age or CryptoAPI file nor an escrow record");
    }
}

}  // namespace

int cmd_inspect(std::span<char* const> argv) {
    static constexpr option_spec specs[] = {{"json", 0, false, false}, {"help", 'h', false, false}};
    auto a = parse_args("inspect", specs, argv);
    if (a.has("help")) {
        std::cout << inspect_help << see_exit_codes;
        return exit_code::ok;
    }
    if (a.operands().size() <= 1) {
        inspect_one(a.operands().empty() ? std::nullopt : std::optional<std::string>(a.operands().front()), a.has("json"));
    } else {
        // Several files, one after the other, as `cat` reads them: a file that cannot be described
        // is reported on its own line and the others are still described; the first failure's
        // exit status is the command's.
        int rc = exit_code::ok;
        for (std::size_t i = 0; i < a.operands().size(); ++i) {
            if (i) std::cout << "\n";
            try {
                inspect_one(a.operands()[i], a.has("json"));
            } catch (const escrow::error& e) {
                std::cout.flush();
                std::cerr << "escrow: " << one_line(e.what()) << "\n";
                if (rc == exit_code::ok) rc = exit_code_for(e.kind());
            }
        }
        std::cout.flush();
        if (!std::cout) throw escrow::error(errc::io_error, "writing to standard output failed");
        return rc;
    }
    std::cout.flush();
    if (!std::cout) throw escrow::error(errc::io_error, "writing to standard output failed");
    return exit_code::ok;
}

}  // namespace escrow_cli
