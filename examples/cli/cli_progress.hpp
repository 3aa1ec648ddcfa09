// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool's progress bar: one line on standard error, redrawn in place while a large
/// input file is read by `escrow encrypt` and `escrow decrypt`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace escrow_cli {

/// Progress of a command through its input, drawn on standard error as one line that is redrawn
/// in place ("\r", then the line, then "erase to the end of the line"): bytes read and the
/// total, a bar when the terminal is wide enough, the percentage, the mean rate and the time left.
///
/// It draws only when the input is a named regular file larger than `min_size`, standard error
/// is a terminal and the command does not ask for quiet (`--quiet`, or output to that terminal);
/// otherwise it is inert and writes nothing, so that scripts and logs never see it. The bytes are counted as the input is read (`advance`), which
/// runs ahead of the output by what the library buffers: a few MiB at most.
///
/// 100% is drawn only by `finish`, which the command calls once its outputs are committed. A
/// meter destroyed unfinished (an exception on its way to `main`'s report) ends its line first,
/// so that the error message starts on a line of its own.
///
/// The library reads its source from one thread at a time, so `advance` needs no lock; `finish`
/// and the destructor run after the encryptor has returned or thrown.
class progress_meter {
public:
    using clock = std::chrono::steady_clock;

    /// Inputs up to this size are done before a bar would be worth reading.
    static constexpr std::uint64_t min_size = 4 * 1024 * 1024;
    /// At most ten redraws a second: enough to look alive, too few to slow anything down.
    static constexpr clock::duration redraw_interval = std::chrono::milliseconds(100);

    /// A meter for reading `path` (empty or "-": standard input, never drawn), its line starting
    /// with `label` ("encrypting").
    progress_meter(const std::optional<std::string>& path, bool quiet, std::string_view label);
    progress_meter(const progress_meter&) = delete;
    progress_meter& operator=(const progress_meter&) = delete;
    ~progress_meter();

    /// Counts `n` more bytes read; redraws on the first read, then at most every `redraw_interval`.
    void advance(std::size_t n);

    /// The command succeeded: draws the line at 100% and ends it.
    void finish();

private:
    void draw(clock::time_point now);

    std::string label_;
    bool enabled_ = false;
    bool started_ = false;
    bool drawn_ = false;
    bool finished_ = false;
    std::uint64_t total_ = 0;
    std::uint64_t done_ = 0;
    clock::time_point start_{};
    clock::time_point last_draw_{};
};

}  // namespace escrow_cli
