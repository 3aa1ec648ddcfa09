// SPDX-License-Identifier: MIT
/// @file
/// Streaming byte sources and sinks, with adapters for memory and std streams; portable C++
/// (the POSIX file adapters are in core/posix_file.hpp).
///
/// A *source* fills the buffer it is given as far as it can and returns how many bytes it wrote;
/// fewer than asked means the end of the stream. A *sink* takes all the bytes it is given or
/// throws. Hosts never hold more than a fixed number of chunks of either.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"

namespace escrow {

/// A stream of bytes to read.
///
/// Requirements: `s.read(out)` writes up to `out.size()` bytes into `out` and returns the count.
/// Law: a count below `out.size()` means the stream has ended; later reads return 0.
template <class S>
concept byte_source = requires(S& s, mutable_byte_view out) {
    { s.read(out) } -> std::same_as<std::size_t>;
};

/// A stream of bytes to write.
///
/// Requirements: `s.write(in)` consumes all of `in` or throws `escrow::error`.
template <class S>
concept byte_sink = requires(S& s, byte_view in) { s.write(in); };

/// A source whose unread bytes already sit in memory, so that a host can work on them in place
/// instead of copying them into a buffer of its own (hosts take this path when it is available).
///
/// Requirements, beside `byte_source`: `s.peek(n)` returns a view of the next `min(n, remaining)`
/// unread bytes without consuming them; `s.skip(n)` consumes `n` bytes, `n` at most what the last
/// `peek` returned. Law: `peek` and `skip` see the same bytes, in the same order, as `read` would;
/// a view stays valid until the next call on the source.
template <class S>
concept contiguous_byte_source = byte_source<S> && requires(S& s, std::size_t n) {
    { s.peek(n) } -> std::same_as<byte_view>;
    s.skip(n);
};

/// A sink that lends its own memory, so that a host can seal or open a chunk straight into it
/// (hosts take this path when it is available).
///
/// Requirements, beside `byte_sink`: `s.prepare(n)` returns a writable view of exactly `n` bytes
/// that follow the output written so far, or throws when it cannot take them; `s.commit(m)`,
/// `m <= n`, appends the first `m` of them to the output. Law: bytes prepared and not committed are
/// not output; a host that fails between the two wipes them first.
template <class S>
concept buffer_byte_sink = byte_sink<S> && requires(S& s, std::size_t n) {
    { s.prepare(n) } -> std::same_as<mutable_byte_view>;
    s.commit(n);
};

/// A source over a file whose unread bytes can be lent as windows of a mapping of it, so that a
/// host's pipeline seals or opens straight from the page cache instead of copying the bytes into
/// buffers first (hosts take this path when it is available; `mapped_file_source`).
///
/// Requirements, beside `byte_source`: `s.remaining()` is the count of unread bytes;
/// `s.map_next(n)` consumes the next `min(n, remaining())` bytes and returns a window over them,
/// `w.view()` their bytes, valid while `w` lives, and `w.intact()` false when they could not all
/// be read (the file shrank under the mapping: the view then holds zeros in their place).
/// Law: the windows see the bytes `read` would, in the same order.
template <class S>
concept mapped_byte_source = byte_source<S> && requires(S& s, std::size_t n) {
    { s.remaining() } -> std::convertible_to<std::uint64_t>;
    { s.map_next(n).view() } -> std::convertible_to<byte_view>;
    { s.map_next(n).intact() } -> std::same_as<bool>;
};

/// A sink into a file that lends windows of a mapping of it, so that a host's pipeline seals or
/// opens straight into the page cache (hosts take this path when it is available;
/// `mapped_file_sink`).
///
/// Requirements, beside `byte_sink`: `s.map_next(n)` returns a writable window (`view()`,
/// `intact()` as for `mapped_byte_source`) over the `n` bytes that follow those mapped before (or,
/// for the first, the output written so far), sizing the file as needed; `s.commit_mapped(m)`
/// makes the next `m` mapped bytes part of the output. Law: mapped bytes not committed are not
/// output; the output is what `write` and `commit_mapped` made it, in order.
template <class S>
concept mapped_byte_sink = byte_sink<S> && requires(S& s, std::size_t n) {
    { s.map_next(n).view() } -> std::convertible_to<mutable_byte_view>;
    { s.map_next(n).intact() } -> std::same_as<bool>;
    s.commit_mapped(n);
};

/// Reads exactly `out.size()` bytes or throws `errc::truncated` naming `what`.
template <byte_source Source>
void read_exact(Source& src, mutable_byte_view out, std::string_view what) {
    if (src.read(out) != out.size())
        throw error(errc::truncated, "input ended inside the " + std::string(what));
}

/// Reads everything that remains in `src` into memory, refusing more than `limit` bytes.
template <byte_source Source>
[[nodiscard]] bytes read_all(Source& src, std::size_t limit) {
    bytes out;
    byte buf[16384];
    for (;;) {
        std::size_t n = src.read(buf);
        if (out.size() + n > limit)
            throw error(errc::limit_exceeded, "input larger than " + std::to_string(limit) + " bytes");
        out.insert(out.end(), buf, buf + n);
        if (n < sizeof buf) return out;
    }
}

/// A source over bytes in memory (not copied: the bytes must outlive the source).
class memory_source {
public:
    /// A source that reads `data` from its start; `data` must outlive the source.
    explicit memory_source(byte_view data) noexcept : data_(data) {}
    /// Copies the next `min(out.size(), remaining())` bytes into `out` and returns how many.
    std::size_t read(mutable_byte_view out) noexcept {
        std::size_t n = std::min(out.size(), data_.size() - pos_);
        if (n) std::memcpy(out.data(), data_.data() + pos_, n);
        pos_ += n;
        return n;
    }
    /// Bytes not read yet.
    [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
    /// The next `min(n, remaining())` bytes, in place (`contiguous_byte_source`).
    [[nodiscard]] byte_view peek(std::size_t n) const noexcept { return data_.subspan(pos_, std::min(n, data_.size() - pos_)); }
    /// Consumes `n` bytes (at most what remains).
    void skip(std::size_t n) noexcept { pos_ += std::min(n, data_.size() - pos_); }

private:
    byte_view data_;
    std::size_t pos_ = 0;
};

/// A sink that appends to a byte vector it owns.
class memory_sink {
public:
    /// Appends `in` to the bytes held.
    void write(byte_view in) { append(data_, in); }
    /// The bytes written so far.
    [[nodiscard]] const bytes& data() const& noexcept { return data_; }
    /// Moves the bytes written out of the sink (which is then empty).
    [[nodiscard]] bytes take() && noexcept { return std::move(data_); }

private:
    bytes data_;
};

/// A source over a `std::istream`.
class istream_source {
public:
    /// A source that reads `in`, which must outlive it.
    explicit istream_source(std::istream& in) noexcept : in_(in) {}
    /// Reads until `out` is full or the stream ends; returns the count. @throws escrow::error
    /// `io_error` when the stream goes bad.
    std::size_t read(mutable_byte_view out) {
        std::size_t total = 0;
        while (total < out.size() && in_) {
            in_.read(reinterpret_cast<char*>(out.data() + total), static_cast<std::streamsize>(out.size() - total));
            total += static_cast<std::size_t>(in_.gcount());
        }
        if (in_.bad()) throw error(errc::io_error, "reading from the input stream failed");
        return total;
    }

private:
    std::istream& in_;
};

/// A sink over a `std::ostream`.
class ostream_sink {
public:
    /// A sink that writes to `out`, which must outlive it.
    explicit ostream_sink(std::ostream& out) noexcept : out_(out) {}
    /// Writes all of `in`. @throws escrow::error `io_error` when the stream fails.
    void write(byte_view in) {
        out_.write(reinterpret_cast<const char*>(in.data()), static_cast<std::streamsize>(in.size()));
        if (!out_) throw error(errc::io_error, "writing to the output stream failed");
    }

private:
    std::ostream& out_;
};

}  // namespace escrow
