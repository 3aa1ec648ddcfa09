// SPDX-License-Identifier: MIT
/// @file
/// Where the parallel pipeline's batches come from and where their output goes: read into and
/// written from the batches' own buffers (streams), or windows of mapped files, which the workers
/// seal or open in place (`mapped_byte_source`, `mapped_byte_sink`). Not public API.
#pragma once

#include <cstddef>
#include <utility>
#include <variant>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/io.hpp"
#include "escrow/detail/chunk_pipeline.hpp"

namespace escrow::detail {

/// The window type a mapped source or sink lends (`std::monostate` for any other).
template <class S>
struct window_of {
    using type = std::monostate;
};
template <class S>
    requires mapped_byte_source<S> || mapped_byte_sink<S>
struct window_of<S> {
    using type = decltype(std::declval<S&>().map_next(std::size_t{}));
};

/// The input side of a pipeline over `Source`: a window per batch slot for a mapped source,
/// which must outlive the pipeline's workers (build it before the pipeline).
template <byte_source Source>
class batch_input {
public:
    /// True when batches need a buffer of their own to read into.
    static constexpr bool buffered = !mapped_byte_source<Source>;

    batch_input(Source& in, std::size_t slots) : in_(in), windows_(buffered ? 0 : slots) {}

    /// Points `b.input` at the next `n` bytes of the source or fewer at its end; sets `b.in_len`.
    void next(chunk_batch& b, std::size_t n) {
        if constexpr (buffered) {
            b.in_len = in_.read(mutable_byte_view(b.in.data(), n));
            b.input = byte_view(b.in.data(), b.in_len);
        } else {
            windows_[b.slot] = in_.map_next(n);
            b.input = windows_[b.slot].view();
            b.in_len = b.input.size();
        }
    }

    /// Throws when the batch's window lost pages to a file that shrank while it was read: its
    /// bytes, and so its output, are not the file's.
    void check(const chunk_batch& b) const {
        if constexpr (!buffered)
            if (!windows_[b.slot].intact())
                throw error(errc::truncated, "the input file became shorter while it was read (was it changed meanwhile?)");
    }

    /// Unmaps the batch's window (the batch is done with).
    void release(const chunk_batch& b) {
        if constexpr (!buffered) windows_[b.slot] = {};
    }

private:
    Source& in_;
    std::vector<typename window_of<Source>::type> windows_;
};

/// The output side of a pipeline over `Sink`: a window per batch slot for a mapped sink, which
/// must outlive the pipeline's workers (build it before the pipeline).
template <byte_sink Sink>
class batch_output {
public:
    /// True when batches need a buffer of their own to write into.
    static constexpr bool buffered = !mapped_byte_sink<Sink>;

    batch_output(Sink& out, std::size_t slots) : out_(out), windows_(buffered ? 0 : slots) {}

    /// Points `b.output` at room for `n` bytes: the batch's buffer, or the next `n` bytes of the
    /// mapped output (batches are prepared in order, and every batch but the last fills its room).
    void prepare(chunk_batch& b, std::size_t n) {
        if constexpr (buffered) {
            b.output = mutable_byte_view(b.out.data(), n);
        } else {
            windows_[b.slot] = out_.map_next(n);
            b.output = windows_[b.slot].view();
        }
    }

    /// Makes the batch's `out_len` bytes output, in order; `full` is the room every batch but the
    /// last fills. @throws escrow::error `io_error` when the output file lost pages meanwhile.
    void emit(const chunk_batch& b, std::size_t full) {
        if constexpr (buffered) {
            if (b.out_len) out_.write(byte_view(b.out.data(), b.out_len));
        } else {
            if (!windows_[b.slot].intact())
                throw error(errc::io_error, "the output file became shorter while it was written (was it changed meanwhile?)");
            // A batch that stopped short without an error would leave a gap before the next one.
            if (b.out_len != full && !b.final && !b.error && !b.tail_error)
                throw error(errc::invalid_argument, "pipeline: a batch left part of its mapped output unwritten");
            out_.commit_mapped(b.out_len);
        }
    }

    /// Unmaps the batch's window.
    void release(const chunk_batch& b) {
        if constexpr (!buffered) windows_[b.slot] = {};
    }

private:
    Sink& out_;
    std::vector<typename window_of<Sink>::type> windows_;
};

}  // namespace escrow::detail
