// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool's progress bar.

#include "cli_progress.hpp"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace escrow_cli {

namespace {

/// A byte count in binary units with one decimal ("512.0 MiB", "1.0 GiB"; plain bytes below 1 KiB).
std::string human_size(std::uint64_t bytes) {
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double v = static_cast<double>(bytes) / 1024;
    std::size_t u = 0;
    // Move up a unit before "%.1f" would round the value to 1024.0.
    while (v >= 1023.95 && u + 1 < std::size(units)) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

/// A duration in whole seconds as m:ss, or h:mm:ss from an hour on.
std::string clock_time(std::uint64_t seconds) {
    char buf[32];
    if (seconds >= 3600)
        std::snprintf(buf, sizeof buf, "%llu:%02u:%02u", static_cast<unsigned long long>(seconds / 3600),
                      static_cast<unsigned>(seconds / 60 % 60), static_cast<unsigned>(seconds % 60));
    else
        std::snprintf(buf, sizeof buf, "%u:%02u", static_cast<unsigned>(seconds / 60), static_cast<unsigned>(seconds % 60));
    return buf;
}

// Written straight to the (unbuffered) stderr stream; a bar that cannot be drawn is no reason
// to fail the command, so write errors are ignored.
void write_out(std::string_view s) { (void)std::fwrite(s.data(), 1, s.size(), stderr); }

// The terminal's width in columns, 80 when it cannot be told (asked at every draw, so that
// a resized window is followed).
std::size_t columns() {
    struct winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

}  // namespace

progress_meter::progress_meter(const std::optional<std::string>& path, bool quiet, std::string_view label) : label_(label) {
    if (quiet || !path || *path == "-" || !::isatty(STDERR_FILENO)) return;
    struct stat st{};
    if (::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (static_cast<std::uint64_t>(st.st_size) <= min_size) return;
    total_ = static_cast<std::uint64_t>(st.st_size);
    enabled_ = true;
}

progress_meter::~progress_meter() {
    if (drawn_ && !finished_) write_out("\n");
}

void progress_meter::advance(std::size_t n) {
    if (!enabled_ || finished_) return;
    const auto now = clock::now();
    if (!started_) {
        started_ = true;
        start_ = now;
    }
    done_ += n;
    if (drawn_ && now - last_draw_ < redraw_interval) return;
    draw(now);
}

void progress_meter::finish() {
    if (!enabled_ || finished_) return;
    // The whole input has been read: what was read is the total, also when the file changed
    // size while it was being read.
    total_ = done_;
    finished_ = true;
    draw(clock::now());
    write_out("\n");
}

void progress_meter::draw(clock::time_point now) {
    last_draw_ = now;
    drawn_ = true;
    // The size reported at the start is the total unless more than that has been read.
    const std::uint64_t total = std::max(total_, done_);
    // 100% means "done", which only `finish` knows: the last chunk's check and the commit
    // still follow the last read.
    const unsigned percent =
        finished_ || total == 0 ? 100u : std::min(99u, static_cast<unsigned>(done_ * 100 / total));

    // The placeholders are as wide as what replaces them, so that the line keeps its shape.
    std::string rate = " --.- MiB/s", eta = finished_ ? "0:00" : "-:--";
    const double seconds = std::chrono::duration<double>(now - start_).count();
    // A rate measured over less than a tenth of a second says nothing yet, unless it is the
    // final one.
    if ((finished_ ? seconds > 0 : seconds >= 0.1) && done_ > 0) {
        const double per_second = static_cast<double>(done_) / seconds;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%5.1f MiB/s", per_second / (1024.0 * 1024.0));
        rate = buf;
        eta = clock_time(static_cast<std::uint64_t>(static_cast<double>(total - done_) / per_second + 0.5));
    }

    // Right-aligned in the widest form ("1023.9 MiB"), so that the bar does not move as the
    // count grows.
    std::string done = human_size(done_);
    if (done.size() < 10) done.insert(0, 10 - done.size(), ' ');
    const std::string head = label_ + " " + done + " / " + human_size(total);
    std::string tail = (percent < 10 ? "   " : percent < 100 ? "  " : " ") + std::to_string(percent) + "%  " + rate +
                       "  ETA " + eta;
    const std::size_t width = columns();
    std::string line = head;
    // The line must stay shorter than the terminal: one that wraps cannot be redrawn with
    // "\r", which goes back to the start of the last row only. The bar takes what is left
    // of the width, up to 30 columns, and is left out when fewer than 10 are left.
    const std::size_t used = head.size() + 3 + tail.size();  // 3: " [" and "]"
    const std::size_t bar_width = used + 1 < width ? std::min<std::size_t>(30, width - 1 - used) : 0;
    if (bar_width >= 10) {
        const std::size_t filled = bar_width * percent / 100;
        line += " [" + std::string(filled, '=') + std::string(bar_width - filled, ' ') + "]";
    }
    line += tail;
    if (line.size() >= width) line.resize(width - 1);
    write_out("\r" + line + "\x1b[K");
}

}  // namespace escrow_cli
