// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool's files: key files, paths, atomic outputs, temporary files and text helpers.

#include "cli_io.hpp"

#include <cctype>

#include <cryptopp/misc.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <type_traits>

namespace escrow_cli {

std::string detail_of(const escrow::error& e) { return std::string(e.detail()); }

escrow::error with_context(const escrow::error& e, std::string_view context) {
    return escrow::error(e.kind(), std::string(context) + ": " + detail_of(e));
}

bool looks_like_age_identity(std::string_view s) {
    static constexpr std::string_view prefix = "AGE-SECRET-KEY-";
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

std::string in_quotes(const std::string& path) {
    // A secret typed where a file name belongs is never repeated back.
    if (looks_like_age_identity(path)) return "'AGE-SECRET-KEY-...' (an age identity, not shown)";
    return "'" + path + "'";
}

bool is_std_stream(const std::optional<std::string>& path) { return !path || *path == "-"; }

// ---- key files ---------------------------------------------------------------------------------

bool is_key_text(std::string_view value) {
    // age1... is bech32 (no '/', no space); an OpenSSH line is "TYPE BASE64 [COMMENT]".
    if (value.starts_with("age1")) return value.find_first_of("/ ") == std::string_view::npos;
    return (value.starts_with("ssh-") || value.starts_with("ecdsa-") || value.starts_with("sk-")) &&
           value.find(' ') != std::string_view::npos;
}

std::vector<std::string> expand_recipients(const std::string& value, std::string_view option) {
    std::error_code ec;
    if (is_key_text(value) || value == "-" || !fs::is_regular_file(value, ec)) return {value};
    std::vector<std::string> out;
    {
        key_file_bytes content(value, option);
        for (std::string_view line : escrow::detail::key_file_lines(content.view())) {
            if (!is_key_text(line)) return {value};  // not a recipients file: the key loaders say what it is
            out.emplace_back(line);
        }
    }
    if (out.size() < 2) return {value};
    return out;
}

key_file_bytes::key_file_bytes(const std::string& path, std::string_view option) {
    if (path == "-") throw usage_error(std::string(option) + " needs a key file, not standard input");
    if (looks_like_age_identity(path))
        throw escrow::error(escrow::errc::bad_key, std::string(option) + ": this is an age identity (a private key), "
                                                                          "not shown; give its recipient (age1...) or its file");
    std::error_code ec;
    if (is_key_text(path) && !fs::exists(path, ec)) {
        data_.assign(reinterpret_cast<const escrow::byte*>(path.data()),
                     reinterpret_cast<const escrow::byte*>(path.data()) + path.size());
        return;
    }
    escrow::file_source src{fs::path(path)};
    data_.resize(max_size + 1);
    data_.resize(src.read(data_));
    if (data_.size() > max_size)
        throw escrow::error(escrow::errc::bad_key,
                            std::string(option) + " " + in_quotes(path) + " is larger than 64 KiB: not a key file");
}

key_file_bytes::~key_file_bytes() { CryptoPP::SecureWipeArray(data_.data(), data_.size()); }

namespace {

/// Loads a key of type `Key` from a key file's content: PEM, DER, or a CryptoAPI key blob
/// (PUBLICKEYBLOB for a public key, PRIVATEKEYBLOB for a private one), told apart by the content.
template <class Key>
Key load_content(escrow::byte_view content) {
    std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
    // OpenSSH's RSA keys are RSA keys: the `ssh-rsa` line and ssh-keygen's private key file.
    if constexpr (std::is_same_v<Key, escrow::rsa_public_key>) {
        if (text.starts_with("ssh-rsa ") || (text.starts_with("#") && text.find("\nssh-rsa ") != text.npos))
            return escrow::ssh_rsa_public_key::load(content).rsa();
        return escrow::ms_blob::load_public_key(content);
    } else {
        if (text.find("-----BEGIN OPENSSH PRIVATE KEY-----") != text.npos)
            return escrow::ssh_rsa_private_key::load(content).rsa().clone();
        return escrow::ms_blob::load_private_key(content);
    }
}

/// What a key of another kind than RSA is, with the next step, for the error; empty when the
/// content is not recognised.
std::string other_key_kind(escrow::byte_view content) {
    std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
    while (text.starts_with("#")) text.remove_prefix(std::min(text.size(), text.find('\n') + 1));
    if (text.starts_with("age1"))
        return "is an age X25519 recipient (age1...), not an RSA key: age keys are for --format native and age files";
    if (text.find("AGE-SECRET-KEY-1") != text.npos)
        return "is an age X25519 identity, not an RSA key: age keys are for --format native and age files";
    for (std::string_view t : {"ssh-ed25519", "ecdsa-sha2-", "sk-", "ssh-dss"})
        if (text.starts_with(t))
            return "is an OpenSSH " + std::string(text.substr(0, text.find(' '))) +
                   " key, not an RSA key: give an RSA key (ssh-rsa, or PEM from escrow keygen)";
    return {};
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
        if (std::string kind = other_key_kind(content.view()); !kind.empty())
            throw escrow::error(escrow::errc::bad_key, context + " " + kind);
        throw with_context(e, context);
    }
    require_rsa_bits(key->bits(), context);
    return std::move(*key);
}

}  // namespace

bool is_rsa_public_key(escrow::byte_view content) { return parses_as<escrow::rsa_public_key>(content); }

void require_rsa_bits(unsigned bits, const std::string& context) {
    if (bits < escrow::wrap::rsa_oaep_sha256::min_bits)
        throw escrow::error(escrow::errc::bad_key, context + ": an RSA key of " + std::to_string(bits) +
                                                       " bits is too small (at least 2048 bits)");
}

escrow::rsa_public_key load_recipient(const std::string& path, std::string_view option) {
    return load_key<escrow::rsa_public_key, escrow::rsa_private_key>(
        path, option, "a private key", "the public key file (PREFIX.pub from escrow keygen)");
}

escrow::rsa_private_key load_identity(const std::string& path, std::string_view option) {
    return load_key<escrow::rsa_private_key, escrow::rsa_public_key>(
        path, option, "a public key", "the private key file (PREFIX.key from escrow keygen)");
}

// ---- paths ---------------------------------------------------------------------------------------

namespace {

/// True when the two paths name the same file: the same inode when both exist, else the same
/// path once made absolute and normalised.
bool same_file(const std::string& a, const std::string& b) {
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

}  // namespace

bool is_direct_output(const std::string& path) {
    struct stat st{}, out{};
    if (::stat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return false;
    if (!S_ISREG(st.st_mode)) return true;
    // /dev/stdout, /dev/fd/1, /proc/self/fd/1 with standard output redirected to a file.
    return ::fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st.st_dev && out.st_ino == st.st_ino;
}

bool is_null_device(const std::string& path) {
    struct stat a{}, b{};
    return ::stat(path.c_str(), &a) == 0 && ::stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
}

bool output_is_terminal(const std::optional<std::string>& path) {
    if (is_std_stream(path)) return ::isatty(STDOUT_FILENO);
    struct stat st{};
    if (::stat(path->c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return false;
    int fd = ::open(path->c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return false;
    bool tty = ::isatty(fd);
    ::close(fd);
    return tty;
}

void check_outputs(const std::optional<std::string>& input, const std::vector<std::pair<std::string, std::string>>& outputs) {
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const auto& [path, option] = outputs[i];
        if (path.empty()) throw usage_error(option + " needs a file name");
        std::error_code dir_ec;
        if (fs::is_directory(path, dir_ec))
            throw escrow::error(escrow::errc::io_error, option + " " + in_quotes(path) +
                                                            " is a directory; give the name of a new file in it");
        if (!is_std_stream(input) && same_file(*input, path))
            throw escrow::error(escrow::errc::io_error,
                                option + " " + in_quotes(path) + " is the input file; refusing to overwrite the input");
        for (std::size_t j = 0; j < i; ++j)
            if (same_file(outputs[j].first, path))
                throw usage_error(outputs[j].second + " and " + option + " both name " + in_quotes(path));
        if (is_direct_output(path)) continue;  // a device, a FIFO, standard output: written directly
        std::error_code ec;
        if (fs::symlink_status(path, ec).type() != fs::file_type::not_found && !ec)
            throw escrow::error(escrow::errc::io_error,
                                option + " " + in_quotes(path) + " already exists; choose another name (escrow never overwrites a file)");
    }
}

// ---- streams -------------------------------------------------------------------------------------

input_file::input_file(const std::optional<std::string>& path, progress_meter* progress)
    : src_(is_std_stream(path) ? escrow::file_source::borrow(STDIN_FILENO) : escrow::file_source(fs::path(*path))),
      progress_(progress), named_(!is_std_stream(path)) {}

std::size_t input_file::read(escrow::mutable_byte_view out) {
    std::size_t n = src_.read(out);
    read_ += n;
    if (progress_) progress_->advance(n);
    return n;
}

std::optional<mapped_input> input_file::mapped_from(std::uint64_t offset) {
    if (!named_ || !escrow::mapped_file_source::is_regular_file(src_.native_handle())) return std::nullopt;
    return std::optional<mapped_input>(std::in_place, src_.native_handle(), offset, progress_, read_);
}

std::size_t mapped_input::count(std::size_t n) {
    pos_ += n;
    // Bytes up to `counted_` were read (and counted) before the mapping took over.
    if (progress_ && pos_ > counted_) {
        progress_->advance(static_cast<std::size_t>(std::min<std::uint64_t>(n, pos_ - counted_)));
        counted_ = pos_;
    }
    return n;
}

temporary_file_slot temporary_files::table_[temporary_files::slots];

int temporary_files::add(const fs::path& path) noexcept {
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

void temporary_files::release(int i) noexcept {
    if (i < 0) return;
    table_[i].live.store(false, std::memory_order_release);
    table_[i].claimed.store(false, std::memory_order_release);
}

void temporary_files::install_handlers() noexcept {
    struct sigaction sa{};
    sa.sa_handler = &on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
        struct sigaction old{};
        if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        ::sigaction(sig, &sa, nullptr);
    }
}

void temporary_files::on_signal(int sig) {
    for (auto& s : table_)
        if (s.live.load(std::memory_order_acquire)) ::unlink(s.path);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

output_file::output_file(const std::optional<std::string>& path) {
    if (is_std_stream(path)) {
        fd_ = STDOUT_FILENO;
    } else if (is_direct_output(*path)) {
        // No O_CREAT, no O_TRUNC: the file exists and is not a regular file (or is standard output).
        fd_ = ::open(path->c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd_ < 0)
            throw escrow::error(escrow::errc::io_error, "cannot open " + in_quotes(*path) + " for writing: " + std::strerror(errno));
        own_fd_ = true;
    } else {
        file_.emplace(fs::path(*path));
        // An unnamed temporary file (O_TMPFILE) needs no removal, even by a signal handler.
        if (!file_->unnamed()) registration_ = temporary_files::add(file_->temp_path());
    }
}

output_file::~output_file() {
    // The sink removes its temporary file (when not committed) before the slot is released.
    file_.reset();
    temporary_files::release(registration_);
    if (own_fd_) ::close(fd_);
}

void output_file::write(escrow::byte_view in) {
    if (file_) return file_->write(in);
    std::size_t done = 0;
    while (done < in.size()) {
        ssize_t n = ::write(fd_, in.data() + done, in.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EPIPE) throw broken_pipe{};
        if (n < 0)
            throw escrow::error(escrow::errc::io_error, std::string(own_fd_ ? "writing to the output" : "writing to standard output") +
                                                            " failed: " + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
}

void output_file::commit(mode_t mode) {
    if (!file_) return;
    file_->commit(mode, /*replace=*/false);
    temporary_files::release(std::exchange(registration_, -1));
}

void commit_all(std::vector<std::pair<output_file*, mode_t>> outputs) {
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

// ---- small files ---------------------------------------------------------------------------------

escrow::bytes read_small(const std::string& path, std::string_view option, std::size_t limit) {
    if (path == "-") throw usage_error(std::string(option) + " needs a file name, not standard input");
    escrow::file_source src{fs::path(path)};
    try {
        return escrow::read_all(src, limit);
    } catch (const escrow::error& e) {
        throw with_context(e, std::string(option) + " " + in_quotes(path));
    }
}

void write_new_file(const std::string& path, std::string_view option, escrow::byte_view data, mode_t mode) {
    if (path == "-") throw usage_error(std::string(option) + " needs a file name, not standard output");
    check_outputs(std::nullopt, {{path, std::string(option)}});
    output_file out(path);
    out.write(data);
    commit_all({{&out, mode}});
}

// ---- text --------------------------------------------------------------------------------------

std::string iso8601_utc(std::uint64_t seconds) {
    if (seconds > 253402300799ULL) return "after 9999-12-31";  // beyond what the calendar format holds
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (!::gmtime_r(&t, &tm)) return "invalid time";
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string one_line(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u < 0x80) {
            out += (u < 0x20 || u == 0x7f) ? '?' : s[i];
            continue;
        }
        // Only well-formed UTF-8 passes, and not the C1 controls U+0080..U+009F (U+009B is a
        // terminal's CSI, as is a lone byte 0x9B on an 8-bit terminal).
        std::size_t len = escrow::escrow_record::utf8_sequence_length(s.substr(i));
        if (len == 0 || (len == 2 && u == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0)) {
            out += '?';
            if (len) i += len - 1;
            continue;
        }
        out.append(s.substr(i, len));
        i += len - 1;
    }
    return out;
}

}  // namespace escrow_cli
