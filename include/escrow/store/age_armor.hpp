// SPDX-License-Identifier: MIT
/// @file
/// age's ASCII armor (C2SP age spec, "ASCII armor"): a strict PEM subset, as a streaming sink that
/// armors and a streaming source that de-armors.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"

namespace escrow::store {

/// The armor's first and last lines.
namespace age_armor {
/// The BEGIN line.
inline constexpr std::string_view begin_line = "-----BEGIN AGE ENCRYPTED FILE-----";
/// The END line.
inline constexpr std::string_view end_line = "-----END AGE ENCRYPTED FILE-----";
/// Base64 characters per line, and the bytes they hold.
inline constexpr std::size_t columns = 64;
/// Decoded bytes per full line (`columns` base64 characters).
inline constexpr std::size_t bytes_per_line = 48;
}  // namespace age_armor

/// A sink that armors what it is given into `Sink`: the BEGIN line, padded base64 in lines of 64
/// columns (the last one shorter or full), the END line, each ended by LF. Call `finish()` after
/// the last write; without it the output has no END line.
template <byte_sink Sink>
class age_armor_sink {
public:
    /// Armors into `out`, which must outlive this sink.
    explicit age_armor_sink(Sink& out) : out_(out) { text_.reserve(flush_at + 128); }
    age_armor_sink(const age_armor_sink&) = delete;
    age_armor_sink& operator=(const age_armor_sink&) = delete;

    /// Armors `in`, writing each complete line through. @throws escrow::error `invalid_argument`
    /// after `finish()`.
    void write(byte_view in) {
        if (finished_) throw error(errc::invalid_argument, "age armor: write after finish()");
        begin();
        while (!in.empty()) {
            std::size_t n = std::min(in.size(), age_armor::bytes_per_line - pending_);
            std::memcpy(line_ + pending_, in.data(), n);
            pending_ += n;
            in = in.subspan(n);
            if (pending_ == age_armor::bytes_per_line) emit_line();
        }
    }

    /// Writes the last line and the END line.
    void finish() {
        if (finished_) return;
        begin();
        if (pending_) emit_line();
        text_.append(age_armor::end_line).push_back('\n');
        out_.write(as_bytes(text_));
        text_.clear();
        finished_ = true;
    }

private:
    static constexpr std::size_t flush_at = 64 * 1024;

    void begin() {
        if (begun_) return;
        text_.append(age_armor::begin_line).push_back('\n');
        begun_ = true;
    }
    void emit_line() {
        text_ += base64::encode(byte_view(line_, pending_), true);
        text_.push_back('\n');
        pending_ = 0;
        if (text_.size() >= flush_at) {
            out_.write(as_bytes(text_));
            text_.clear();
        }
    }

    Sink& out_;
    std::string text_;
    byte line_[age_armor::bytes_per_line] = {};
    std::size_t pending_ = 0;
    bool begun_ = false, finished_ = false;
};

/// A source that de-armors `Source`, strictly: optional whitespace, the BEGIN line, lines of
/// exactly 64 base64 columns but the last (1 to 64, canonical padding), the END line, then only
/// whitespace. Lines end with LF or CRLF. Anything else throws `errc::malformed_armor`, at the
/// point of the input where it is found (so the end is checked when the last bytes are read).
template <byte_source Source>
class age_dearmor_source {
public:
    /// De-armors `in`, which must outlive this source.
    explicit age_dearmor_source(Source& in) : in_(in), raw_(16 * 1024) {}
    age_dearmor_source(const age_dearmor_source&) = delete;
    age_dearmor_source& operator=(const age_dearmor_source&) = delete;

    /// Fills `out` with de-armored bytes; fewer than asked means the end. @throws escrow::error
    /// `malformed_armor` at the first byte that breaks the armor.
    std::size_t read(mutable_byte_view out) {
        std::size_t done = 0;
        while (done < out.size()) {
            if (pos_ == decoded_.size()) {
                if (state_ == state::done) break;
                refill();
                continue;
            }
            std::size_t n = std::min(out.size() - done, decoded_.size() - pos_);
            std::memcpy(out.data() + done, decoded_.data() + pos_, n);
            pos_ += n;
            done += n;
        }
        return done;
    }

private:
    enum class state { start, body, done };

    [[noreturn]] static void fail(const std::string& why) { throw error(errc::malformed_armor, "age armor: " + why); }

    int get() {
        if (raw_pos_ == raw_len_) {
            if (raw_eof_) return -1;
            raw_len_ = in_.read(raw_);
            raw_pos_ = 0;
            raw_eof_ = raw_len_ < raw_.size();
            if (raw_len_ == 0) return -1;
        }
        return raw_[raw_pos_++];
    }

    static bool is_space(int c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

    // Reads one line without its LF or CRLF; false at the end of input with nothing read.
    bool line(std::string& s, bool& had_eol) {
        s.clear();
        had_eol = false;
        for (;;) {
            int c = get();
            if (c < 0) return !s.empty();
            if (c == '\n') {
                had_eol = true;
                if (!s.empty() && s.back() == '\r') s.pop_back();
                return true;
            }
            if (s.size() > age_armor::columns + 1) fail("a line is longer than 64 columns");
            s.push_back(static_cast<char>(c));
        }
    }

    void refill() {
        decoded_.clear();
        pos_ = 0;
        std::string s;
        bool eol = false;
        if (state_ == state::start) {
            int c;
            while ((c = get()) >= 0 && is_space(c)) {}
            if (c < 0) fail("no BEGIN line");
            --raw_pos_;  // the first character of the BEGIN line, back in the buffer
            line(s, eol);
            if (s != age_armor::begin_line) fail("the first line is not '-----BEGIN AGE ENCRYPTED FILE-----'");
            if (!eol) fail("nothing after the BEGIN line");
            state_ = state::body;
        }
        // Decode a batch of lines, so that reads of a few bytes do not cost a line each.
        while (state_ == state::body && decoded_.size() < 16 * 1024) {
            if (!line(s, eol)) fail("no END line");
            if (s == age_armor::end_line) {
                finish_after_end();
                return;
            }
            if (!eol) fail("no END line");
            if (seen_last_line_) fail("a line shorter than 64 columns is not the last");
            if (s.empty()) fail("empty line");
            if (s.size() > age_armor::columns) fail("a line is longer than 64 columns");
            if (s.size() < age_armor::columns || s.back() == '=') seen_last_line_ = true;
            if (s.size() % 4) fail("a line's base64 is not a multiple of 4 characters");
            bytes chunk;
            try {
                chunk = base64::decode(s, true);
            } catch (const error&) {
                fail("a line is not canonical padded base64");
            }
            append(decoded_, chunk);
        }
    }

    // After the END line: only whitespace may follow.
    void finish_after_end() {
        for (int c; (c = get()) >= 0;)
            if (!is_space(c)) fail("data after the END line");
        state_ = state::done;
    }

    Source& in_;
    bytes raw_;
    std::size_t raw_pos_ = 0, raw_len_ = 0;
    bool raw_eof_ = false;
    bytes decoded_;
    std::size_t pos_ = 0;
    state state_ = state::start;
    bool seen_last_line_ = false;
};

}  // namespace escrow::store
