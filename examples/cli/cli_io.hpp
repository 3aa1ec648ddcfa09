// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool's files: key files recognised from their content, input and output paths with
/// their safety checks, outputs written atomically, and a source that can be peeked at.
#pragma once

#include <escrow/core/mapped_file.hpp>
#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli_args.hpp"
#include "cli_progress.hpp"

namespace escrow_cli {

namespace fs = std::filesystem;

/// `what()` of an escrow::error without its "[escrow.<tag>] " prefix.
std::string detail_of(const escrow::error& e);

/// The same error with `context` in front of its detail (the code, hence the exit code, is kept).
escrow::error with_context(const escrow::error& e, std::string_view context);

/// A path as the user wrote it, quoted for messages.
std::string in_quotes(const std::string& path);
/// True for an age identity ("AGE-SECRET-KEY-1…") in either case (Bech32 ignores case): a secret,
/// never echoed in a message.
bool looks_like_age_identity(std::string_view s);

/// True for the operand that means standard input or output.
bool is_std_stream(const std::optional<std::string>& path);

// ---- key files ---------------------------------------------------------------------------------

/// Bytes of a small file (a key), wiped when destroyed: private key files pass through it.
class key_file_bytes {
public:
    static constexpr std::size_t max_size = 64 * 1024;

    /// Reads `path`, named by `option` in messages. A public key given as text instead of a file
    /// name (`age1...`, `ssh-rsa AAAA...`) that names no file is taken as the content itself, so
    /// that every option taking a public key takes those forms too.
    /// @throws escrow::error `not_found`, `io_error`, or `bad_key` when it is too large to be a key.
    key_file_bytes(const std::string& path, std::string_view option);
    key_file_bytes(const key_file_bytes&) = delete;
    key_file_bytes& operator=(const key_file_bytes&) = delete;
    ~key_file_bytes();

    [[nodiscard]] escrow::byte_view view() const noexcept { return data_; }

private:
    escrow::bytes data_;
};

/// True when `value` is a public key written out (`age1...`, an OpenSSH line), not a file name.
bool is_key_text(std::string_view value);

/// The recipients of a RECIPIENT value: one, or each line of a recipients file that holds several
/// (`age1...` or OpenSSH lines, as age's `-R` files), in order.
std::vector<std::string> expand_recipients(const std::string& value, std::string_view option);

/// True when a key file's content loads as an RSA public key (PEM, DER, PUBLICKEYBLOB, ssh-rsa).
bool is_rsa_public_key(escrow::byte_view content);

/// @throws escrow::error `bad_key`, with `context` in the message, for an RSA key under 2048 bits.
void require_rsa_bits(unsigned bits, const std::string& context);

/// Loads a RECIPIENT: a public key file, PEM, DER, PUBLICKEYBLOB or an OpenSSH ssh-rsa line, told
/// apart by its content (or the ssh-rsa line itself).
/// @throws escrow::error `bad_key` (with a clear word when it is a private key), `not_found`, `io_error`.
escrow::rsa_public_key load_recipient(const std::string& path, std::string_view option);

/// Loads an IDENTITY: a private key file, PEM, DER, PRIVATEKEYBLOB or OpenSSH (an RSA key, as
/// ssh-keygen writes it, unencrypted), told apart by its content.
/// @throws escrow::error `bad_key` (with a clear word when it is a public key), `not_found`, `io_error`.
escrow::rsa_private_key load_identity(const std::string& path, std::string_view option);

// ---- paths ---------------------------------------------------------------------------------------

/// True when `path` names an existing file that is not a regular file nor a directory (a character
/// device such as /dev/null, a FIFO, a socket), or standard output itself (/dev/stdout): such an
/// output is written directly, without a temporary file and a rename.
bool is_direct_output(const std::string& path);

/// True when `path` is the null device (/dev/null).
bool is_null_device(const std::string& path);

/// True when the output (`-`, none, or a path) is a terminal.
bool output_is_terminal(const std::optional<std::string>& path);

/// Checks, before anything is written, that each output is a new file distinct from the input and
/// from the other outputs, or a device or FIFO written directly (`is_direct_output`). `outputs`
/// pairs a path with the option that named it.
/// @throws escrow::error `io_error` (output is the input, exists, or is a directory); usage_error
/// (two outputs alike).
void check_outputs(const std::optional<std::string>& input, const std::vector<std::pair<std::string, std::string>>& outputs);

/// Permission bits asked for a new ordinary file; atomic_file_sink::commit takes the umask off.
inline constexpr mode_t new_file_mode = 0666;
/// Permission bits of a decrypted file: its owner's only, whatever the umask allows, since the
/// plaintext is what the encryption protected (its temporary file is 0600 as well).
inline constexpr mode_t plaintext_file_mode = 0600;

// ---- streams -------------------------------------------------------------------------------------

class mapped_input;

/// The input: a named file, or standard input for `-` and no operand. Every format reads it
/// through `read`, so that is where a progress meter, when given, counts the bytes.
class input_file {
public:
    /// Opens `path`; `progress` (optional, outliving this object) is advanced by each read.
    explicit input_file(const std::optional<std::string>& path, progress_meter* progress = nullptr);
    std::size_t read(escrow::mutable_byte_view out);

    /// The rest of a named regular file from byte `offset` (what a format has parsed so far) as a
    /// mapped source, counted by the same meter; empty for standard input and for anything but a
    /// regular file, which keep the streaming path.
    [[nodiscard]] std::optional<mapped_input> mapped_from(std::uint64_t offset);

private:
    escrow::file_source src_;
    progress_meter* progress_;
    bool named_;
    std::uint64_t read_ = 0;  ///< bytes read (and counted) so far
};

/// The payload of a named regular file through windows of a mapping of it
/// (`escrow::mapped_byte_source`), counted by the progress meter as the windows are mapped.
class mapped_input {
public:
    /// `counted`: bytes of the file the meter has already seen (read for the header, or ahead).
    mapped_input(int fd, std::uint64_t offset, progress_meter* progress, std::uint64_t counted)
        : src_(escrow::mapped_file_source::borrow(fd, offset)), progress_(progress), pos_(offset), counted_(counted) {}
    std::size_t read(escrow::mutable_byte_view out) { return count(src_.read(out)); }
    [[nodiscard]] std::uint64_t remaining() { return src_.remaining(); }
    escrow::file_window map_next(std::size_t n) {
        escrow::file_window w = src_.map_next(n);
        count(w.view().size());
        return w;
    }

private:
    std::size_t count(std::size_t n);
    escrow::mapped_file_source src_;
    progress_meter* progress_;
    std::uint64_t pos_, counted_;
};

/// A source that reads the first bytes ahead, to recognise a format by its magic, then replays them.
template <escrow::byte_source Source>
class peeked_source {
public:
    peeked_source(Source& src, std::size_t n) : src_(src), head_(n) {
        head_.resize(src_.read(head_));
        ended_ = head_.size() < n;
    }

    /// The first bytes of the input (fewer than asked when the input is shorter).
    [[nodiscard]] escrow::byte_view head() const noexcept { return head_; }

    /// True when the input starts with `prefix`.
    [[nodiscard]] bool starts_with(escrow::byte_view prefix) const noexcept {
        return head_.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), head_.begin());
    }

    std::size_t read(escrow::mutable_byte_view out) {
        std::size_t n = std::min(out.size(), head_.size() - pos_);
        if (n) std::memcpy(out.data(), head_.data() + pos_, n);
        pos_ += n;
        // The head was read up to the end of a shorter input: nothing follows it.
        if (n < out.size() && !ended_) n += src_.read(out.subspan(n));
        taken_ += n;
        return n;
    }

    /// The source the head was read from.
    [[nodiscard]] Source& source() noexcept { return src_; }
    /// Bytes read through this source so far: where the next read starts in the input.
    [[nodiscard]] std::uint64_t position() const noexcept { return taken_; }

private:
    Source& src_;
    escrow::bytes head_;
    std::size_t pos_ = 0;
    std::uint64_t taken_ = 0;
    bool ended_ = false;
};

/// Standard output was closed by its reader. `main` ends the process with SIGPIPE, as other tools
/// end, once the stack has unwound and every temporary file is removed.
struct broken_pipe {};

/// One entry of `temporary_files`.
struct temporary_file_slot {
    std::atomic<bool> claimed{false}, live{false};
    char path[4096] = {};
};

/// The temporary files of the outputs being written, for the handler of fatal signals: a signal
/// that ends the process skips the destructors that would remove them, and a decryption's
/// temporary file holds the plaintext authenticated so far.
///
/// A fixed table of fixed-size paths, so that the signal handler only reads memory and calls
/// unlink(2), both async-signal-safe. A slot is claimed, filled, then published (`live`).
class temporary_files {
public:
    static constexpr std::size_t slots = 16;

    /// Registers `path` until the returned slot is released; -1 when the table is full or the
    /// path too long (the file is then removed by its destructor only, as before).
    static int add(const fs::path& path) noexcept;

    /// Forgets a slot (its file was renamed into place or removed).
    static void release(int i) noexcept;

    /// Installs the handler for the signals that end a process by default from outside: SIGINT
    /// (Ctrl-C), SIGTERM, SIGHUP, SIGQUIT; a signal the process started with ignored (nohup, a
    /// background job's SIGINT) stays ignored. SIGKILL cannot be caught: it leaves the file,
    /// private (mode 0600) and named `.NAME.tmp-RANDOM` beside NAME.
    static void install_handlers() noexcept;

private:
    using slot = temporary_file_slot;
    static_assert(std::atomic<bool>::is_always_lock_free);

    // Removes every live temporary file, then dies of the same signal, as if it had not been
    // caught (the exit status shows the signal).
    static void on_signal(int sig);

    static slot table_[slots];
};

/// An output: a file written through `atomic_file_sink` (renamed into place only by `commit`),
/// standard output for `-` and no operand, or a device or FIFO written directly (`is_direct_output`).
///
/// A file output never replaces a file: the name was checked to be free before writing, and a
/// file created under it meanwhile makes `commit` fail rather than be replaced.
class output_file {
public:
    explicit output_file(const std::optional<std::string>& path);
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;
    ~output_file();
    void write(escrow::byte_view in);
    /// Makes the output visible under its name (no-op for standard output).
    void commit(mode_t mode);
    [[nodiscard]] bool is_file() const noexcept { return file_.has_value(); }
    [[nodiscard]] std::string path() const { return file_ ? file_->path().string() : std::string("-"); }

private:
    std::optional<escrow::atomic_file_sink> file_;
    int registration_ = -1;
    int fd_ = -1;  ///< standard output, or the device or FIFO opened for direct writes
    bool own_fd_ = false;
};

/// Calls `f(source, out)` with the payload's source: windows of the input file where `raw` is a
/// named regular file (from where `stream` has read up to, `position`), so that the host seals or
/// opens straight from its page cache; `stream` otherwise (standard input, pipes, devices). The
/// output is written, not mapped: with 4 KiB pages a fresh page of a mapped output cost more to
/// fault in than write(2)'s copy (docs/performance.md, "Mapped files").
template <class Stream, class F>
decltype(auto) with_payload_io(Stream& stream, std::uint64_t position, input_file& raw, output_file& out, F&& f) {
    if (std::optional<mapped_input> mapped = raw.mapped_from(position)) return f(*mapped, out);
    return f(stream, out);
}

/// Commits several outputs in order; when one fails, removes those already committed, so that
/// a run leaves all of its files or none.
void commit_all(std::vector<std::pair<output_file*, mode_t>> outputs);

// ---- small files ---------------------------------------------------------------------------------

/// A small binary file (request, signature, blob), bounded.
escrow::bytes read_small(const std::string& path, std::string_view option, std::size_t limit);

/// Parses a file with `decode`, the error naming the option and the file.
template <class T>
T decode_file(const std::string& path, std::string_view option, std::size_t limit) {
    escrow::bytes b = read_small(path, option, limit);
    try {
        return T::decode(b);
    } catch (const escrow::error& e) {
        throw with_context(e, std::string(option) + " " + in_quotes(path));
    }
}

/// Writes one new file atomically (the path is checked to be new first).
void write_new_file(const std::string& path, std::string_view option, escrow::byte_view data, mode_t mode = new_file_mode);

// ---- text --------------------------------------------------------------------------------------

/// Seconds since the epoch as ISO-8601 UTC ("2024-05-01T12:00:00Z").
std::string iso8601_utc(std::uint64_t seconds);

/// A message made safe for one line of a terminal: C0 and C1 control characters, DEL and bytes
/// that are not well-formed UTF-8 become '?'.
std::string one_line(std::string_view s);


}  // namespace escrow_cli
