// SPDX-License-Identifier: MIT
/// @file
/// `escrow::store::native`: the library's own authenticated file format (docs/format.md).
#pragma once

#include <array>
#include <cstring>
#include <string_view>

#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/policy_ids.hpp"
#include "escrow/detail/byte_reader.hpp"
#include "escrow/store/concept.hpp"
#include "escrow/wrap/set.hpp"

namespace escrow::store {

/// The native format, version 1. Byte layout (all integers little-endian; docs/format.md):
///
///     magic "\x89ESCROW\n" | version u16 = 1 | cipher id u16 | wrap id u16 | flags u16 = 0
///     | header length u32 (whole header, MAC included) | chunk size u32
///     | nonce length u8 | nonce | recipient count u8 | { role u8 | blob } ...
///     | serial str16 | description str16 | owner str16 | created u64
///     | MAC: HMAC-SHA-256(header key, every header byte before it)
///     then the payload chunks.
///
/// header key = HKDF-SHA-256(ikm = session key, salt = nonce, info = "escrow/v1 header", 32). The
/// MAC covers every header byte and, keyed from the session key, commits the file to that key.
/// A blob is: arg count u8 | { arg length u8 | arg } ... | body length u16 | body.
///
/// A file whose recipients are of several wraps (a `wrap_set` host's) sets flag bit 0
/// (`flag_entry_wraps`), writes wrap id 0 in the fixed header, and each recipient as
/// `role u8 | wrap id u16 | blob`; files of one wrap are written exactly as before.
///
/// A k-of-n file (`file_header::threshold`) sets flag bit 1 (`flag_threshold`) and appends, after
/// the creation time and before the MAC, `K u8 | N u8 | salt [16] | N commitments [32]`; its only
/// recipient entry is the owner's (the authorities' shares travel in their share records).
struct native {
    /// The store's name, as in `--format native`.
    static constexpr std::string_view name = "native";
    /// The store's numeric id, written in escrow records.
    static constexpr std::uint16_t id = 0x0301;
    /// The format version written after the magic; other versions are rejected.
    static constexpr std::uint16_t version = 1;
    /// The first 8 bytes of a native file.
    static constexpr std::array<byte, 8> magic = {0x89, 'E', 'S', 'C', 'R', 'O', 'W', '\n'};
    static constexpr std::size_t fixed_prefix_size = 24;  ///< bytes from the magic to the chunk size, inclusive
    /// Size of the header MAC (HMAC-SHA-256), in bytes.
    static constexpr std::size_t mac_size = 32;
    /// Bound on the header, in bytes, checked before it is read.
    static constexpr std::size_t max_header_size = 1024 * 1024;
    /// Bound on the number of recipient blobs in a header.
    static constexpr std::size_t max_recipients = 32;
    /// Bound on the number of arguments of one blob.
    static constexpr std::size_t max_args = 8;
    /// Most bytes of one wrapped-key argument (its length is one byte).
    static constexpr std::size_t max_arg_size = 255;
    /// Bound on the body of one blob, in bytes.
    static constexpr std::size_t max_body = 4096;
    /// Flag bit 0: every recipient entry carries its own wrap id (recipients of several wraps).
    static constexpr std::uint16_t flag_entry_wraps = 0x0001;
    /// Flag bit 1: the header ends with a k-of-n section (threshold, share count, commitments).
    static constexpr std::uint16_t flag_threshold = 0x0002;
    /// The HKDF info string that derives the header MAC key from the session key.
    static constexpr std::string_view header_info = "escrow/v1 header";

    /// What the format carries, its one compatibility rule: any cipher that authenticates every
    /// chunk (`cipher_options<C>.authenticated`), with a nonce of at most 255 bytes, and any wrap
    /// whose fingerprint identifies its key (records name their authority by it), that refuses a
    /// key for another recipient outright, and whose arguments fit the blob's one-byte length. So
    /// the unauthenticated CryptoAPI CBC cipher and RSA PKCS#1 v1.5 (whose implicit rejection
    /// answers every key) stay in `store::cryptoapi`, a passphrase wrap and the post-quantum
    /// `mlkem768x25519` (a 1494-character argument) in `store::age`, and a user's policy is carried
    /// without being listed.
    template <class C, class W>
    static constexpr bool carries = cipher_options<C>.authenticated && C::nonce_size <= 255 &&
                                    wrap_options<W>.identifies_key && !wrap_options<W>.implicit_rejection &&
                                    wrap_options<W>.max_argument_size <= max_arg_size;

    // ---- blobs -------------------------------------------------------------------------------

    /// Encodes a wrapped key as a native blob.
    static void put_blob(bytes& out, const wrapped_key& w) {
        if (w.args.size() > max_args) throw error(errc::limit_exceeded, "more than 8 wrapped-key arguments");
        out.push_back(static_cast<byte>(w.args.size()));
        for (const auto& a : w.args) {
            if (a.size() > max_arg_size) throw error(errc::limit_exceeded, "wrapped-key argument longer than 255 bytes");
            out.push_back(static_cast<byte>(a.size()));
            append(out, as_bytes(a));
        }
        if (w.body.size() > max_body) throw error(errc::limit_exceeded, "wrapped key longer than 4096 bytes");
        le::put<std::uint16_t>(out, static_cast<std::uint16_t>(w.body.size()));
        append(out, w.body);
    }

    /// Parses a native blob at the reader's position.
    static wrapped_key get_blob(detail::byte_reader& r) {
        wrapped_key w;
        std::size_t nargs = r.u8("argument count");
        if (nargs > max_args) r.fail("more than 8 wrapped-key arguments");
        for (std::size_t i = 0; i < nargs; ++i) {
            std::size_t n = r.u8("argument length");
            w.args.push_back(to_string(r.take(n, "argument")));
        }
        std::size_t n = r.u16("wrapped key length");
        if (n > max_body) r.fail("wrapped key longer than 4096 bytes");
        auto body = r.take(n, "wrapped key");
        w.body.assign(body.begin(), body.end());
        return w;
    }

    /// The blob an escrow record carries for `w` (`store_blob`): the format's own blob encoding.
    template <class C, class W>
    [[nodiscard]] static bytes encode_blob(const wrapped_key& w) {
        bytes out;
        put_blob(out, w);
        return out;
    }

    /// Parses a blob written by `encode_blob` (`store_blob`). @throws escrow::error
    /// `malformed_blob` on anything else.
    template <class C, class W>
    [[nodiscard]] static wrapped_key decode_blob(byte_view b) {
        detail::byte_reader r(b, errc::malformed_blob, "native blob");
        auto w = get_blob(r);
        r.expect_end();
        return w;
    }

    // ---- headers -----------------------------------------------------------------------------

    /// Writes `h` (ids, nonce, recipients, key info), filling its `authenticated` and `mac`.
    template <class C, class W, byte_sink Sink>
    static void write_header(Sink& sink, file_header& h, const session_key& key) {
        // Entries of other wraps than W (each naming its own) make a file of several wraps.
        bool several = false;
        for (const auto& r : h.recipients) several = several || (r.wrap_id != 0 && r.wrap_id != W::id);
        bytes out;
        append(out, magic);
        le::put<std::uint16_t>(out, version);
        le::put<std::uint16_t>(out, C::id);
        le::put<std::uint16_t>(out, several ? 0 : W::id);
        le::put<std::uint16_t>(out, static_cast<std::uint16_t>((several ? flag_entry_wraps : 0) |
                                                               (h.threshold ? flag_threshold : 0)));
        std::size_t length_at = out.size();
        le::put<std::uint32_t>(out, 0);  // header length, patched below
        le::put<std::uint32_t>(out, static_cast<std::uint32_t>(C::chunk_size));
        if (h.nonce.size() != C::nonce_size) throw error(errc::invalid_argument, "nonce size does not match the cipher");
        out.push_back(static_cast<byte>(h.nonce.size()));
        append(out, h.nonce);
        if (h.recipients.empty() || h.recipients.size() > max_recipients)
            throw error(errc::limit_exceeded, "a native file has 1 to 32 recipients");
        out.push_back(static_cast<byte>(h.recipients.size()));
        for (const auto& r : h.recipients) {
            out.push_back(static_cast<byte>(r.role));
            if (several) le::put<std::uint16_t>(out, r.wrap_id != 0 ? r.wrap_id : W::id);
            put_blob(out, r.key);
        }
        detail::put_serial(out, h.info.serial);
        detail::put_str16(out, h.info.description, limits::description_max, "description");
        detail::put_str16(out, h.info.owner, limits::owner_max, "owner identity");
        le::put<std::uint64_t>(out, h.info.created);
        if (h.threshold) put_threshold(out, *h.threshold);
        std::size_t total = out.size() + mac_size;
        if (total > max_header_size) throw error(errc::limit_exceeded, "native header larger than 1 MiB");
        for (int i = 0; i < 4; ++i) out[length_at + i] = static_cast<byte>(total >> (8 * i));
        auto tag = hmac_sha256(header_key(key, h.nonce).unsafe_bytes(), out);
        h.cipher_id = C::id;
        h.wrap_id = several ? 0 : W::id;
        h.authenticated = out;
        h.mac.assign(tag.begin(), tag.end());
        append(out, tag);
        sink.write(out);
    }

    /// Parses a native header whatever its policies, bounding it before allocating. Used by
    /// `read_header` and by tools that describe a file without a key.
    /// @throws escrow::error `malformed_header`, `unsupported_version`, `truncated`, `limit_exceeded`.
    template <byte_source Source>
    [[nodiscard]] static file_header parse(Source& src) {
        bytes buf(fixed_prefix_size);
        if (std::size_t got = src.read(buf); got != buf.size()) {
            if (got > 0 && std::memcmp(buf.data(), magic.data(), std::min(got, magic.size())) == 0)
                throw error(errc::truncated, "native header: input ended inside the fixed header");
            throw error(errc::malformed_header, "not an escrow native file (too short)");
        }
        if (std::memcmp(buf.data(), magic.data(), magic.size()) != 0)
            throw error(errc::malformed_header, "not an escrow native file (bad magic)");
        std::uint16_t ver = le::get<std::uint16_t>(buf.data() + 8);
        if (ver != version)
            throw error(errc::unsupported_version, "native format version " + std::to_string(ver) + " (this library reads version 1)");
        const std::uint16_t flags = le::get<std::uint16_t>(buf.data() + 14);
        if ((flags & ~(flag_entry_wraps | flag_threshold)) != 0) throw error(errc::malformed_header, "native header: reserved flags are set");
        const bool several = flags & flag_entry_wraps;
        if (several != (le::get<std::uint16_t>(buf.data() + 12) == 0))
            throw error(errc::malformed_header, "native header: wrap id 0 goes with the entry-wraps flag, and only with it");
        std::uint32_t total = le::get<std::uint32_t>(buf.data() + 16);
        if (total < fixed_prefix_size + mac_size + 1 || total > max_header_size)
            throw error(errc::limit_exceeded, "native header length " + std::to_string(total) + " outside 57 bytes to 1 MiB");
        buf.resize(total);
        read_exact(src, mutable_byte_view(buf).subspan(fixed_prefix_size), "native header");

        file_header h;
        h.cipher_id = le::get<std::uint16_t>(buf.data() + 10);
        h.wrap_id = le::get<std::uint16_t>(buf.data() + 12);
        detail::byte_reader r(byte_view(buf).first(total - mac_size), errc::malformed_header, "native header");
        (void)r.take(fixed_prefix_size, "fixed header");
        std::size_t nonce_len = r.u8("nonce length");
        auto nonce = r.take(nonce_len, "nonce");
        h.nonce.assign(nonce.begin(), nonce.end());
        std::size_t count = r.u8("recipient count");
        if (count == 0 || count > max_recipients) r.fail("recipient count must be 1 to 32");
        std::size_t owners = 0;
        bool one_wrap = true;
        for (std::size_t i = 0; i < count; ++i) {
            auto role = r.u8("recipient role");
            if (role != 1 && role != 2) r.fail("unknown recipient role " + std::to_string(role));
            owners += role == 1;
            std::uint16_t wrap_id = 0;
            if (several) {
                wrap_id = r.u16("recipient wrap id");
                if (wrap_id == 0) r.fail("a recipient's wrap id is 0");
                one_wrap = one_wrap && (h.recipients.empty() || wrap_id == h.recipients.front().wrap_id);
            }
            h.recipients.push_back({static_cast<recipient_role>(role), get_blob(r), {}, wrap_id});
        }
        if (owners != 1) r.fail("a native file has exactly one owner recipient");
        // One encoding per header: recipients of one wrap are written without the entry-wraps flag.
        if (several && one_wrap) r.fail("the entry-wraps flag is set but every recipient has the same wrap");
        h.info.serial = detail::read_serial(r);
        h.info.description = r.str16("description", limits::description_max);
        h.info.owner = r.str16("owner identity", limits::owner_max);
        h.info.created = r.u64("creation time");
        if (flags & flag_threshold) h.threshold = get_threshold(r, h.recipients.size());
        if (r.remaining() != 0) r.fail("unexpected bytes before the header MAC");
        h.authenticated.assign(buf.begin(), buf.end() - mac_size);
        h.mac.assign(buf.end() - mac_size, buf.end());
        return h;
    }

    /// The chunk size field of a parsed header.
    [[nodiscard]] static std::uint32_t chunk_size_of(const file_header& h) noexcept {
        return le::get<std::uint32_t>(h.authenticated.data() + 20);
    }

    /// Parses and bounds a header, leaving `src` at the first payload byte (`store_header`).
    /// @throws escrow::error `malformed_header`, `unsupported_version` or `truncated`.
    template <class C, class W, byte_source Source>
    [[nodiscard]] static file_header read_header(Source& src) {
        file_header h = parse(src);
        if (h.cipher_id != C::id)
            throw error(errc::unknown_policy_id, "file uses cipher id " + policy_ids::hex(h.cipher_id) + ", expected " +
                                                     std::string(C::name) + " (" + policy_ids::hex(C::id) + ")");
        if (h.wrap_id != 0 && !wrap::has_id<W>(h.wrap_id))
            throw error(errc::unknown_policy_id, "file uses wrap id " + policy_ids::hex(h.wrap_id) + ", expected " +
                                                     wrap_expected<W>());
        bool any = h.wrap_id != 0;
        for (const auto& e : h.recipients) any = any || wrap::has_id<W>(e.wrap_id);
        if (!any)
            throw error(errc::unknown_policy_id, "file has no recipient of wrap " + wrap_expected<W>() +
                                                     " (its recipients are of other wraps)");
        if (chunk_size_of(h) != C::chunk_size) throw error(errc::malformed_header, "native header: unexpected chunk size");
        if (h.nonce.size() != C::nonce_size) throw error(errc::malformed_header, "native header: nonce size does not match the cipher");
        return h;
    }

    /// True when the header MAC verifies under `key`, compared in constant time (`store_header`).
    template <class C, class W>
    [[nodiscard]] static bool verify_header(const file_header& h, const session_key& key) {
        if (h.mac.size() != mac_size) return false;
        auto tag = hmac_sha256(header_key(key, h.nonce).unsafe_bytes(), h.authenticated);
        return constant_time_equal(tag, h.mac);
    }

private:
    static void put_threshold(bytes& out, const threshold_section& t) {
        if (t.threshold < 2 || t.threshold > t.share_count || t.share_count > max_recipients ||
            t.commitments.size() != t.share_count)
            throw error(errc::invalid_argument, "k-of-n section: needs 2 <= K <= N <= 32 and one commitment per share");
        out.push_back(t.threshold);
        out.push_back(t.share_count);
        append(out, t.salt);
        for (const auto& c : t.commitments) append(out, c);
    }

    static threshold_section get_threshold(detail::byte_reader& r, std::size_t recipients) {
        threshold_section t;
        t.threshold = r.u8("threshold");
        t.share_count = r.u8("share count");
        if (t.threshold < 2 || t.threshold > t.share_count || t.share_count > max_recipients)
            r.fail("k-of-n section: needs 2 <= K <= N <= 32");
        if (recipients != 1) r.fail("a k-of-n file has the owner as its only recipient entry");
        auto salt = r.take(t.salt.size(), "commitment salt");
        std::memcpy(t.salt.data(), salt.data(), t.salt.size());
        for (std::size_t i = 0; i < t.share_count; ++i) {
            auto c = r.take(32, "share commitment");
            digest256 d{};
            std::memcpy(d.data(), c.data(), d.size());
            t.commitments.push_back(d);
        }
        return t;
    }

    template <class W>
    static std::string wrap_expected() {
        std::string out;
        wrap::for_each_member<W>([&](auto m) {
            using M = typename decltype(m)::type;
            out += (out.empty() ? "" : " or ") + std::string(M::name) + " (" + policy_ids::hex(M::id) + ")";
        });
        return out;
    }

    static derived_key header_key(const session_key& key, byte_view nonce) {
        return hkdf_sha256(key.unsafe_bytes(), nonce, header_info, 32);
    }
};

}  // namespace escrow::store

namespace escrow {
/// The native format carries a k-of-n section (flag bit 1); every other option is the default.
template <>
inline constexpr store::options store_options<store::native> = {.threshold = true};
}  // namespace escrow
