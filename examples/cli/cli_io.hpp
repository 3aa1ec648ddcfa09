// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool's files: key files recognised from their content, input and output paths with
/// their safety checks, outputs written atomically, and a source that can be peeked at.
#pragma once

#include <escrow/core/posix_file.hpp>
#include <escrow/escrow.hpp>

#include <cryptopp/misc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "cli_args.hpp"
#include "cli_progress.hpp"

namespace escrow_cli {

namespace fs = std::filesystem;

/// `what()` of an escrow::error without its "[escrow.<tag>] " prefix.
inline std::string detail_of(const escrow::error& e) {
    std::string_view w = e.what();
    if (auto p = w.find("] "); w.starts_with("[escrow.") && p != std::string_view::npos) w.remove_prefix(p + 2);
    return std::string(w);
}

/// The same error with `context` in front of its detail (the code, hence the exit code, is kept).
inline escrow::error with_context(const escrow::error& e, std::string_view context) {
    return escrow::error(e.kind(), std::string(context) + ": " + detail_of(e));
}

/// A path as the user wrote it, quoted for messages.
inline std::string in_quotes(const std::string& path) { return "'" + path + "'"; }

/// True for the operand that means standard input or output.
inline bool is_std_stream(const std::optional<std::string>& path) { return !path || *path == "-"; }

// ---- key files ---------------------------------------------------------------------------------

/// Bytes of a small file (a key), wiped when destroyed: private key files pass through it.
class key_file_bytes {
public:
    static constexpr std::size_t max_size = 64 * 1024;

    /// Reads `path`, named by `option` in messages. @throws escrow::error `not_found`, `io_error`,
    /// or `bad_key` when it is too large to be a key.
    key_file_bytes(const std::string& path, std::string_view option) {
        if (path == "-") throw usage_error(std::string(option) + " needs a key file, not standard input");
        escrow::file_source src{fs::path(path)};
        data_.resize(max_size + 1);
        data_.resize(src.read(data_));
        if (data_.size() > max_size)
            throw escrow::error(escrow::errc::bad_key,
                                std::string(option) + " " + in_quotes(path) + " is larger than 64 KiB: not a key file");
    }
    key_file_bytes(const key_file_bytes&) = delete;
    key_file_bytes& operator=(const key_file_bytes&) = delete;
    ~key_file_bytes() { CryptoPP::SecureWipeArray(data_.data(), data_.size()); }

    [[nodiscard]] escrow::byte_view view() const noexcept { return data_; }

private:
    escrow::bytes data_;
};

namespace detail {
/// Loads a key of type `Key` from a key file's content: PEM, DER, or a CryptoAPI key blob
/// (PUBLICKEYBLOB for a public key, PRIVATEKEYBLOB for a private one), told apart by the content.
template <class Key>
Key load_content(escrow::byte_view content) {
    if constexpr (std::is_same_v<Key, escrow::rsa_public_key>) return escrow::ms_blob::load_public_key(content);
    else return escrow::ms_blob::load_private_key(content);
}

/// True when `content` loads as a `Key` (used to say "this is the other kind of key").
template <class Key>
bool parses_as(escrow::byte_view content) {
    try {
        (void)load_content<Key>(content);
        return true;
    } catch (const escrow::error&) {
        return false;
    }
}
inline void require_rsa_bits(unsigned bits, const std::string& context) {
    if (bits < escrow::wrap::rsa_oaep_sha256::min_bits)
        throw escrow::error(escrow::errc::bad_key, context + ": an RSA key of " + std::to_string(bits) +
                                                       " bits is too small (at least 2048 bits)");
}
}  // namespace detail

namespace detail {
/// Loads a `Key` from a key file, PEM, DER or a CryptoAPI key blob, told apart by its content. When
/// the file holds the other kind of key (`Other`), the error says so and names the file the option takes.
template <class Key, class Other>
Key load_key(const std::string& path, std::string_view option, std::string_view other_kind, std::string_view takes) {
    const std::string context = std::string(option) + " " + in_quotes(path);
    key_file_bytes content(path, option);
    std::optional<Key> key;
    try {
        key.emplace(load_content<Key>(content.view()));
    } catch (const escrow::error& e) {
        if (e.kind() != escrow::errc::bad_key) throw with_context(e, context);
        if (parses_as<Other>(content.view()))
            throw escrow::error(escrow::errc::bad_key, context + " is " + std::string(other_kind) + "; " +
                                                           std::string(option) + " takes " + std::string(takes));
        throw with_context(e, context);
    }
    require_rsa_bits(key->bits(), context);
    return std::move(*key);
}
}  // namespace detail

/// Loads a RECIPIENT: a public key file, PEM, DER or PUBLICKEYBLOB, told apart by its content.
/// @throws escrow::error `bad_key` (with a clear word when it is a private key), `not_found`, `io_error`.
inline escrow::rsa_public_key load_recipient(const std::string& path, std::string_view option) {
    return detail::load_key<escrow::rsa_public_key, escrow::rsa_private_key>(
        path, option, "a private key", "the public key file (PREFIX.pub from escrow keygen)");
}

/// Loads an IDENTITY: a private key file, PEM, DER or PRIVATEKEYBLOB, told apart by its content.
/// @throws escrow::error `bad_key` (with a clear word when it is a public key), `not_found`, `io_error`.
inline escrow::rsa_private_key load_identity(const std::string& path, std::string_view option) {
    return detail::load_key<escrow::rsa_private_key, escrow::rsa_public_key>(
        path, option, "a public key", "the private key file (PREFIX.key from escrow keygen)");
}

// ---- paths ---------------------------------------------------------------------------------------

/// True when the two paths name the same file: the same inode when both exist, else the same
/// path once made absolute and normalised.
inline bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec1, ec2;
    if (fs::exists(a, ec1) && fs::exists(b, ec2)) {
        std::error_code ec;
        bool eq = fs::equivalent(a, b, ec);
        if (!ec) return eq;
    }
    std::error_code ec;
    fs::path ca = fs::weakly_canonical(a, ec);
    if (ec) ca = fs::absolute(a).lexically_normal();
    fs::path cb = fs::weakly_canonical(b, ec);
    if (ec) cb = fs::absolute(b).lexically_normal();
    return ca == cb;
}

/// Checks, before anything is written, that each output is a new file distinct from the input and
/// from the other outputs. `outputs` pairs a path with the option that named it.
/// @throws escrow::error `io_error` (output is the input, or exists); usage_error (two outputs alike).
inline void check_outputs(const std::optional<std::string>& input,
                          const std::vector<std::pair<std::string, std::string>>& outputs) {
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const auto& [path, option] = outputs[i];
        if (path.empty()) throw usage_error(option + " needs a file name");
        if (!is_std_stream(input) && same_file(*input, path))
            throw escrow::error(escrow::errc::io_error,
                                option + " " + in_quotes(path) + " is the input file; refusing to overwrite the input");
        for (std::size_t j = 0; j < i; ++j)
            if (same_file(outputs[j].first, path))
                throw usage_error(outputs[j].second + " and " + option + " both name " + in_quotes(path));
        std::error_code ec;
        if (fs::symlink_status(path, ec).type() != fs::file_type::not_found && !ec)
            throw escrow::error(escrow::errc::io_error,
                                option + " " + in_quotes(path) + " already exists; remove it or choose another name");
    }
}

/// Permission bits asked for a new ordinary file; atomic_file_sink::commit takes the umask off.
inline constexpr mode_t new_file_mode = 0666;

// ---- streams -------------------------------------------------------------------------------------

/// The input: a named file, or standard input for `-` and no operand. Every format reads it
/// through `read`, so that is where a progress meter, when given, counts the bytes.
class input_file {
public:
    /// Opens `path`; `progress` (optional, outliving this object) is advanced by each read.
    explicit input_file(const std::optional<std::string>& path, progress_meter* progress = nullptr)
        : src_(is_std_stream(path) ? escrow::file_source::borrow(STDIN_FILENO) : escrow::file_source(fs::path(*path))),
          progress_(progress) {}
    std::size_t read(escrow::mutable_byte_view out) {
        std::size_t n = src_.read(out);
        if (progress_) progress_->advance(n);
        return n;
    }

private:
    escrow::file_source src_;
    progress_meter* progress_;
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
        return n;
    }

private:
    Source& src_;
    escrow::bytes head_;
    std::size_t pos_ = 0;
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
    static int add(const fs::path& path) noexcept {
        const std::string& p = path.native();
        if (p.size() >= sizeof(slot::path)) return -1;
        for (std::size_t i = 0; i < slots; ++i) {
            if (table_[i].claimed.exchange(true)) continue;
            std::memcpy(table_[i].path, p.c_str(), p.size() + 1);
            table_[i].live.store(true, std::memory_order_release);
            return static_cast<int>(i);
        }
        return -1;
    }

    /// Forgets a slot (its file was renamed into place or removed).
    static void release(int i) noexcept {
        if (i < 0) return;
        table_[i].live.store(false, std::memory_order_release);
        table_[i].claimed.store(false, std::memory_order_release);
    }

    /// Installs the handler for the signals that end a process by default from outside: SIGINT
    /// (Ctrl-C), SIGTERM, SIGHUP, SIGQUIT; a signal the process started with ignored (nohup, a
    /// background job's SIGINT) stays ignored. SIGKILL cannot be caught: it leaves the file,
    /// private (mode 0600) and named `.NAME.tmp-RANDOM` beside NAME.
    static void install_handlers() noexcept {
        struct sigaction sa{};
        sa.sa_handler = &on_signal;
        sigemptyset(&sa.sa_mask);
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
            struct sigaction old{};
            if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
            ::sigaction(sig, &sa, nullptr);
        }
    }

private:
    using slot = temporary_file_slot;
    static_assert(std::atomic<bool>::is_always_lock_free);

    // Removes every live temporary file, then dies of the same signal, as if it had not been
    // caught (the exit status shows the signal).
    static void on_signal(int sig) {
        for (auto& s : table_)
            if (s.live.load(std::memory_order_acquire)) ::unlink(s.path);
        ::signal(sig, SIG_DFL);
        ::raise(sig);
    }

    static inline slot table_[slots];
};

/// An output: a file written through `atomic_file_sink` (renamed into place only by `commit`), or
/// standard output for `-` and no operand.
///
/// A file output never replaces a file: the name was checked to be free before writing, and a
/// file created under it meanwhile makes `commit` fail rather than be replaced.
class output_file {
public:
    explicit output_file(const std::optional<std::string>& path) {
        if (!is_std_stream(path)) {
            file_.emplace(fs::path(*path));
            registration_ = temporary_files::add(file_->temp_path());
        }
    }
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;
    ~output_file() {
        // The sink removes its temporary file (when not committed) before the slot is released.
        file_.reset();
        temporary_files::release(registration_);
    }
    void write(escrow::byte_view in) {
        if (file_) return file_->write(in);
        std::size_t done = 0;
        while (done < in.size()) {
            ssize_t n = ::write(STDOUT_FILENO, in.data() + done, in.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EPIPE) throw broken_pipe{};
            if (n < 0)
                throw escrow::error(escrow::errc::io_error, std::string("writing to standard output failed: ") + std::strerror(errno));
            done += static_cast<std::size_t>(n);
        }
    }
    /// Makes the output visible under its name (no-op for standard output).
    void commit(mode_t mode) {
        if (!file_) return;
        file_->commit(mode, /*replace=*/false);
        temporary_files::release(std::exchange(registration_, -1));
    }
    [[nodiscard]] bool is_file() const noexcept { return file_.has_value(); }
    [[nodiscard]] std::string path() const { return file_ ? file_->path().string() : std::string("-"); }

private:
    std::optional<escrow::atomic_file_sink> file_;
    int registration_ = -1;
};

/// Commits several outputs in order; when one fails, removes those already committed, so that
/// a run leaves all of its files or none.
inline void commit_all(std::vector<std::pair<output_file*, mode_t>> outputs) {
    std::vector<std::string> done;
    try {
        for (auto& [out, mode] : outputs) {
            out->commit(mode);
            if (out->is_file()) done.push_back(out->path());
        }
    } catch (...) {
        for (const auto& p : done) ::unlink(p.c_str());
        throw;
    }
}

// ---- text --------------------------------------------------------------------------------------

/// Seconds since the epoch as ISO-8601 UTC ("2024-05-01T12:00:00Z").
inline std::string iso8601_utc(std::uint64_t seconds) {
    if (seconds > 253402300799ULL) return "after 9999-12-31";  // beyond what the calendar format holds
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (!::gmtime_r(&t, &tm)) return "invalid time";
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/// A message made safe for one line of a terminal: control characters become '?'.
inline std::string one_line(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

}  // namespace escrow_cli
