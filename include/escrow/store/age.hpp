// SPDX-License-Identifier: MIT
/// @file
/// `escrow::store::age`: the age v1 file format (C2SP age spec, age-encryption.org/v1), which the
/// `age` command-line tool reads and writes.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/cipher/chacha20_poly1305_stream.hpp"
#include "escrow/core/io.hpp"
#include "escrow/store/concept.hpp"
#include "escrow/wrap/set.hpp"

namespace escrow::store {

/// The age v1 format. A file is a text header, a 16-byte payload nonce, then the STREAM payload:
///
///     age-encryption.org/v1
///     -> X25519 <base64 share>
///     <base64 body, 64 columns per line, the last line shorter (possibly empty)>
///     -> ssh-rsa <base64 tag>
///     <body lines>
///     --- <base64 HMAC>
///     <16-byte nonce><payload>
///
/// base64 is canonical and unpadded. The HMAC is HMAC-SHA-256 keyed by HKDF-SHA-256(ikm = file
/// key, salt = empty, info = "header", 32) over the header up to and including "---".
///
/// Parsing is strict (what age accepts, nothing more): an exact version line, stanza arguments
/// of printable ASCII without spaces, full body lines then one short line, a MAC line of exactly
/// "--- " and 43 base64 characters, a "scrypt" stanza only alone. The header is read without
/// reading past the nonce, one byte at a time, and bounded: 1 MiB in all, 4096 stanzas, bodies
/// of 16 KiB. Every stanza is kept, with its type; the host offers a wrap only those of its own
/// type, and a rewrite writes the others back unchanged. age has no roles: entries read back have
/// `recipient_role::unknown` (files this library writes list the owner first, then authorities).
/// Key info is not carried: the escrow record holds it.
struct age {
    /// The store's name, as in `--format age`.
    static constexpr std::string_view name = "age";
    /// The store's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0303;
    /// The first line of an age v1 header.
    static constexpr std::string_view version_line = "age-encryption.org/v1";
    /// What every age version line starts with: another version after it is `unsupported_version`.
    static constexpr std::string_view version_prefix = "age-encryption.org/";
    /// The HKDF info string that derives the header MAC key (age spec).
    static constexpr std::string_view header_info = "header";
    /// The stanza type of a passphrase recipient, which must be the only stanza of its file.
    static constexpr std::string_view scrypt_type = "scrypt";
    /// Size of the header MAC (HMAC-SHA-256), in bytes.
    static constexpr std::size_t mac_size = 32;
    /// Size of the payload key nonce that follows the header, in bytes.
    static constexpr std::size_t nonce_size = 16;
    /// Bound on the header, in bytes, checked as it is read.
    static constexpr std::size_t max_header_size = 1024 * 1024;
    /// The bytes after the header's "---": " " ‖ base64(32-byte MAC, 43 characters) ‖ "\n".
    static constexpr std::size_t mac_line_tail = 1 + 43 + 1;
    /// The stanza type of a k-of-n file's section (docs/format.md, "k-of-n age files"): not a
    /// recipient type, so age ignores it as it ignores any stanza no identity of its own matches.
    static constexpr std::string_view threshold_type = "escrow-kofn";
    /// Bound on the number of stanzas in a header.
    static constexpr std::size_t max_stanzas = 4096;
    /// Bound on the body of one stanza, in bytes.
    static constexpr std::size_t max_body = 16 * 1024;
    /// Base64 columns of a stanza body's full lines.
    static constexpr std::size_t body_columns = 64;
    /// The recipient types of the age v1 specification, the stanzas an age reader knows
    /// (`mlkem768x25519`: the hybrid post-quantum one).
    static constexpr std::string_view recipient_types[] = {"X25519", "ssh-rsa", "ssh-ed25519", "scrypt", "mlkem768x25519"};

    /// What the format carries, its one compatibility rule: age's own payload cipher
    /// (`cipher::chacha20_poly1305_stream`) with a wrap whose stanza is one of age's recipient types.
    template <class C, class W>
    static constexpr bool carries = std::is_same_v<C, cipher::chacha20_poly1305_stream> && [] {
        for (std::string_view t : recipient_types)
            if (t == W::stanza_type) return true;
        return false;
    }();

    // ---- stanzas -------------------------------------------------------------------------------

    /// True for a stanza type or argument: one or more printable ASCII characters, no space.
    [[nodiscard]] static bool is_argument(std::string_view s) noexcept {
        return !s.empty() && text::printable(s, text::spaces::refused);
    }

    /// Appends one stanza: "-> type args…", then the body in base64 lines of 64 columns and a
    /// final shorter (possibly empty) line.
    /// @throws escrow::error `invalid_argument` for an empty or non-printable type or argument.
    static void put_stanza(std::string& out, std::string_view type, const wrapped_key& w) {
        if (!is_argument(type)) throw error(errc::invalid_argument, "age stanza type must be printable ASCII without spaces");
        if (w.body.size() > max_body) throw error(errc::limit_exceeded, "age stanza body larger than 16 KiB");
        out += "-> ";
        out += type;
        for (const auto& a : w.args) {
            if (!is_argument(a))
                throw error(errc::invalid_argument, "age stanza argument must be printable ASCII without spaces");
            out += ' ';
            out += a;
        }
        out += '\n';
        std::string b64 = base64::encode(w.body, false);
        std::size_t i = 0;
        for (; i + body_columns <= b64.size(); i += body_columns) out.append(b64, i, body_columns).push_back('\n');
        out.append(b64, i, std::string::npos).push_back('\n');
    }

    // ---- record blobs ----------------------------------------------------------------------------

    /// The authority's stanza as text, as it stands in the header.
    template <class C, class W>
    [[nodiscard]] static bytes encode_blob(const wrapped_key& w) {
        std::string s;
        put_stanza(s, W::stanza_type, w);
        return bytes(s.begin(), s.end());
    }

    /// Parses exactly one stanza of `W`'s type. @throws escrow::error `malformed_blob`.
    template <class C, class W>
    [[nodiscard]] static wrapped_key decode_blob(byte_view b) {
        memory_source src(b);
        reader<memory_source> r(src, errc::malformed_blob, "age stanza blob");
        std::string line;
        if (!r.next(line, max_header_size)) r.fail("empty");
        if (!line.starts_with("-> ")) r.fail("does not start with '-> '");
        recipient_entry e = r.stanza(line);
        if (e.type != W::stanza_type) r.fail("a '" + e.type + "' stanza, expected '" + std::string(W::stanza_type) + "'");
        if (src.remaining() != 0) throw error(errc::trailing_data, "age stanza blob: bytes after the stanza");
        return std::move(e.key);
    }

    // ---- headers -------------------------------------------------------------------------------

    /// Writes the header and the payload nonce, filling `authenticated` and `mac`. Entries with an
    /// empty type are `W`'s; others are written as they are.
    /// @throws escrow::error `invalid_argument` for no recipients, a bad nonce, or a scrypt stanza
    /// that is not alone.
    template <class C, class W, byte_sink Sink>
    static void write_header(Sink& sink, file_header& h, const session_key& key) {
        if (h.nonce.size() != nonce_size) throw error(errc::invalid_argument, "the age payload nonce must be 16 bytes");
        if (h.recipients.empty() || h.recipients.size() > max_stanzas)
            throw error(errc::limit_exceeded, "an age file has 1 to 4096 recipient stanzas");
        std::string out(version_line);
        out += '\n';
        for (const auto& r : h.recipients) {
            std::string_view type = r.type.empty() ? std::string_view(W::stanza_type) : std::string_view(r.type);
            if (type == scrypt_type && h.recipients.size() != 1)
                throw error(errc::invalid_argument, "an age scrypt stanza must be the only one in the file");
            put_stanza(out, type, r.key);
        }
        if (h.threshold) put_stanza(out, threshold_type, threshold_stanza(*h.threshold));
        out += "---";
        // What follows "---": a space, the MAC in 43 base64 characters and the line feed. The
        // bound is the reader's, so that every header the reader takes can be written back.
        if (out.size() + mac_line_tail > max_header_size) throw error(errc::limit_exceeded, "age header larger than 1 MiB");
        auto tag = hmac_sha256(header_key(key).unsafe_bytes(), as_bytes(out));
        h.cipher_id = C::id;
        h.wrap_id = W::id;
        h.authenticated.assign(out.begin(), out.end());
        h.mac.assign(tag.begin(), tag.end());
        out += ' ';
        out += base64::encode(tag, false);
        out += '\n';
        sink.write(as_bytes(out));
        sink.write(h.nonce);
    }

    /// Parses an age header and the payload nonce, whatever the stanza types, leaving `src` at the
    /// first payload byte. Used by `read_header` and by tools that describe a file without a key.
    /// @throws escrow::error `malformed_header`, `unsupported_version`, `truncated`, `limit_exceeded`.
    template <byte_source Source>
    [[nodiscard]] static file_header parse(Source& src) {
        reader<Source> r(src, errc::malformed_header, "age header");
        std::string line;
        if (!r.next(line, 256)) r.fail("the input is empty");
        if (line != version_line) {
            if (line.starts_with(version_prefix))
                throw error(errc::unsupported_version,
                            "age header: version line '" + printable(line) + "' (this library reads age-encryption.org/v1)");
            r.fail("not an age file (no 'age-encryption.org/v1' line)");
        }
        file_header h;
        h.cipher_id = cipher::chacha20_poly1305_stream::id;
        bool has_scrypt = false;
        for (;;) {
            if (!r.next(line, max_header_size)) throw error(errc::truncated, "age header: input ended before the MAC line");
            if (line.starts_with("-> ")) {
                if (h.recipients.size() == max_stanzas) throw error(errc::limit_exceeded, "age header: more than 4096 stanzas");
                h.recipients.push_back(r.stanza(line));
                has_scrypt |= h.recipients.back().type == scrypt_type;
                if (h.recipients.back().type == threshold_type) {  // not a recipient: the k-of-n section
                    if (h.threshold) r.fail("two escrow-kofn stanzas");
                    h.threshold = threshold_of_stanza(h.recipients.back().key, r);
                    h.recipients.pop_back();
                }
                continue;
            }
            if (line.starts_with("---")) {
                if (line.size() != 4 + 43 || line[3] != ' ') r.fail("the MAC line is not '--- ' and 43 base64 characters");
                bytes mac = r.base64(std::string_view(line).substr(4), "the MAC");
                if (mac.size() != mac_size) r.fail("the MAC is not 32 bytes");
                h.mac = std::move(mac);
                // The MAC covers the header up to and including "---", not the space after it.
                h.authenticated = r.take_consumed();
                h.authenticated.resize(h.authenticated.size() - line.size() - 1 + 3);
                break;
            }
            r.fail("unexpected line (expected a stanza '-> ...' or the MAC line '--- ...')");
        }
        if (h.recipients.empty()) r.fail("no recipient stanza");
        if (has_scrypt && h.recipients.size() != 1) r.fail("a scrypt stanza must be the only one in the file");
        h.nonce.resize(nonce_size);
        if (src.read(h.nonce) != nonce_size) r.fail("input ended inside the 16-byte payload nonce");
        return h;
    }

    /// Parses and bounds a header, leaving `src` at the first payload byte (`store_header`).
    /// @throws escrow::error `malformed_header`, `unsupported_version` or `truncated`.
    template <class C, class W, byte_source Source>
    [[nodiscard]] static file_header read_header(Source& src) {
        file_header h = parse(src);
        // age files name no wrap: the host's, or none for a host of several (stanza types tell).
        if constexpr (!is_wrap_set<W>) h.wrap_id = W::id;
        return h;
    }

    /// True when the header MAC verifies under `key`, compared in constant time (`store_header`).
    template <class C, class W>
    [[nodiscard]] static bool verify_header(const file_header& h, const session_key& key) {
        if (h.mac.size() != mac_size) return false;
        auto tag = hmac_sha256(header_key(key).unsafe_bytes(), h.authenticated);
        return constant_time_equal(tag, h.mac);
    }

    /// A stanza's text, as `put_stanza` writes it (for `escrow inspect` and messages).
    [[nodiscard]] static std::string stanza_text(const recipient_entry& e, std::string_view default_type) {
        std::string s;
        put_stanza(s, e.type.empty() ? default_type : std::string_view(e.type), e.key);
        return s;
    }

private:
    // The k-of-n section as a stanza: "-> escrow-kofn K N SALT", its body the N commitments.
    static wrapped_key threshold_stanza(const threshold_section& t) {
        if (t.threshold < 2 || t.threshold > t.share_count || t.commitments.size() != t.share_count)
            throw error(errc::invalid_argument, "k-of-n section: needs 2 <= K <= N and one commitment per share");
        wrapped_key w;
        w.args = {std::to_string(t.threshold), std::to_string(t.share_count), base64::encode(t.salt, false)};
        for (const auto& c : t.commitments) append(w.body, c);
        return w;
    }
    template <class Reader>
    static threshold_section threshold_of_stanza(const wrapped_key& w, Reader& r) {
        threshold_section t;
        auto small = [&](const std::string& a) -> std::uint8_t {
            if (a.empty() || a.size() > 2 || a.find_first_not_of("0123456789") != std::string::npos || a[0] == '0')
                r.fail("an escrow-kofn stanza's K and N are decimal numbers 2 to 32");
            return static_cast<std::uint8_t>(std::stoi(a));
        };
        if (w.args.size() != 3) r.fail("an escrow-kofn stanza has 3 arguments (K, N, salt)");
        t.threshold = small(w.args[0]);
        t.share_count = small(w.args[1]);
        if (t.threshold < 2 || t.threshold > t.share_count || t.share_count > 32) r.fail("escrow-kofn: needs 2 <= K <= N <= 32");
        bytes salt = r.base64(w.args[2], "the escrow-kofn salt");
        if (salt.size() != t.salt.size() || w.body.size() != 32u * t.share_count)
            r.fail("escrow-kofn: a 16-byte salt and 32 bytes of commitment per share");
        std::copy(salt.begin(), salt.end(), t.salt.begin());
        for (std::size_t i = 0; i < t.share_count; ++i) {
            digest256 d{};
            std::copy_n(w.body.begin() + static_cast<std::ptrdiff_t>(32 * i), 32, d.begin());
            t.commitments.push_back(d);
        }
        return t;
    }

    static derived_key header_key(const session_key& key) { return hkdf_sha256(key.unsafe_bytes(), {}, header_info, 32); }

    // Control characters out of a line quoted in a message.
    static std::string printable(std::string_view s) { return text::shown(s, 64); }

    // Reads header lines one byte at a time (never past the line's LF), remembering every byte
    // read so far, with the header's total bound.
    template <byte_source Source>
    class reader {
    public:
        reader(Source& src, errc code, std::string_view what) : src_(src), code_(code), what_(what) {}

        [[noreturn]] void fail(const std::string& why) const { throw error(code_, std::string(what_) + ": " + why); }

        // One line without its LF; false at the end of input with nothing read. A line longer
        // than `max` fails, as does input ending inside a line.
        bool next(std::string& line, std::size_t max) {
            line.clear();
            for (;;) {
                byte b;
                if (src_.read(mutable_byte_view(&b, 1)) != 1) {
                    if (line.empty()) return false;
                    throw error(code_ == errc::malformed_header ? errc::truncated : code_,
                                std::string(what_) + ": input ended inside a line");
                }
                if (consumed_.size() == max_header_size)
                    throw error(code_ == errc::malformed_header ? errc::limit_exceeded : code_,
                                std::string(what_) + ": larger than 1 MiB");
                consumed_.push_back(b);
                if (b == '\n') return true;
                if (line.size() == max) fail("a line is too long");
                line.push_back(static_cast<char>(b));
            }
        }

        bytes base64(std::string_view s, std::string_view field) const {
            try {
                return escrow::base64::decode(s, false);
            } catch (const error&) {
                fail(std::string(field) + " is not canonical unpadded base64");
            }
        }

        // Parses the stanza whose first line is `first` ("-> type args…") and reads its body.
        recipient_entry stanza(std::string_view first) {
            recipient_entry e;
            std::string_view rest = first.substr(3);
            std::vector<std::string> parts;
            for (;;) {
                auto sp = rest.find(' ');
                std::string_view part = rest.substr(0, sp);
                if (!is_argument(part)) fail("a stanza argument is empty or not printable ASCII");
                parts.emplace_back(part);
                if (sp == std::string_view::npos) break;
                rest.remove_prefix(sp + 1);
            }
            e.type = std::move(parts.front());
            e.key.args.assign(std::make_move_iterator(parts.begin() + 1), std::make_move_iterator(parts.end()));
            std::string body, line;
            for (;;) {
                if (!next(line, body_columns)) fail("input ended inside a stanza body");
                for (char c : line)
                    if (escrow::base64::detail::value_of(c) < 0) fail("a stanza body line is not base64");
                body += line;
                if (body.size() > max_body * 4 / 3 + 4) fail("a stanza body is larger than 16 KiB");
                if (line.size() < body_columns) break;
            }
            e.key.body = base64(body, "a stanza body");
            // The character count above bounds memory while reading; this is the exact bound, the
            // one the writer applies, so that every stanza read can be written back.
            if (e.key.body.size() > max_body) fail("a stanza body is larger than 16 KiB");
            return e;
        }

        // Every byte read so far.
        bytes take_consumed() { return std::move(consumed_); }

    private:
        Source& src_;
        errc code_;
        std::string_view what_;
        bytes consumed_;
    };
};

}  // namespace escrow::store

namespace escrow {
/// age records no roles, and its reader tries both final flags on a full-size payload chunk,
/// releasing what authenticates before it reports a framing error; the host does the same for this
/// format, so that what reaches the sink is exactly what age releases (CCTV "payload" cases).
template <>
inline constexpr store::options store_options<store::age> = {
    .owner_entry = store::owner_lookup::first_not_authority,
    .final_chunk = store::final_chunk_rule::try_both_on_full_chunks,
    .threshold = true};
}  // namespace escrow
