// SPDX-License-Identifier: MIT
/// @file
/// `escrow::authority::memory_repository`: a repository in memory, for tests and examples.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "escrow/authority/repository.hpp"
#include "escrow/core/error.hpp"

namespace escrow::authority {

/// A repository held in memory: the same semantics as `sqlite_repository` (one transaction at a
/// time, all of its changes or none), without durability. Transactions from several threads
/// queue on a mutex; each keeps an undo log that its destructor replays unless it committed.
class memory_repository {
    struct state {
        std::map<std::string, stored_record, std::less<>> records;
        std::map<std::string, officer_entry, std::less<>> officers;
        std::map<std::string, std::uint64_t> nonces;  // raw nonce bytes as strings
        std::map<std::string, bytes, std::less<>> meta;
        std::vector<audit_entry> audit;
        authority::audit_head head;
    };

public:
    class transaction {
    public:
        transaction(transaction&& o) noexcept
            : lock_(std::move(o.lock_)), s_(o.s_), undo_(std::move(o.undo_)), done_(std::exchange(o.done_, true)) {}
        transaction& operator=(transaction&&) = delete;
        ~transaction() {
            if (done_) return;
            for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
        }

        [[nodiscard]] std::optional<stored_record> find_record(std::string_view serial) const {
            auto it = s_->records.find(serial);
            if (it == s_->records.end()) return std::nullopt;
            return it->second;
        }
        void insert_record(const stored_record& r) {
            if (!s_->records.emplace(r.serial, r).second)
                throw error(errc::io_error, "memory repository: serial '" + r.serial + "' is already stored");
            undo_.push_back([s = s_, k = r.serial] { s->records.erase(k); });
        }
        void replace_record(const stored_record& r) {
            auto it = s_->records.find(r.serial);
            if (it == s_->records.end()) throw error(errc::not_found, "memory repository: no record '" + r.serial + "'");
            undo_.push_back([s = s_, k = it->first, old = it->second] { s->records.at(k) = old; });
            it->second = r;
        }
        void set_status(std::string_view serial, record_status st) {
            auto it = s_->records.find(serial);
            if (it == s_->records.end()) throw error(errc::not_found, "memory repository: no record '" + std::string(serial) + "'");
            undo_.push_back([s = s_, k = it->first, old = it->second.status] { s->records.at(k).status = old; });
            it->second.status = st;
        }
        [[nodiscard]] std::vector<stored_record> list_records(std::string_view owner) const {
            std::vector<stored_record> out;
            for (const auto& [k, r] : s_->records)
                if (owner.empty() || r.owner == owner) out.push_back(r);
            return out;
        }
        [[nodiscard]] std::optional<officer_entry> find_officer(std::string_view name) const {
            auto it = s_->officers.find(name);
            if (it == s_->officers.end()) return std::nullopt;
            return it->second;
        }
        [[nodiscard]] std::optional<officer_entry> find_officer_by_key(byte_view key) const {
            for (const auto& [k, o] : s_->officers)
                if (std::ranges::equal(o.public_key, key)) return o;
            return std::nullopt;
        }
        void insert_officer(const officer_entry& o) {
            if (find_officer(o.name) || find_officer_by_key(o.public_key))
                throw error(errc::io_error, "memory repository: officer '" + o.name + "' or its key is already registered");
            s_->officers.emplace(o.name, o);
            undo_.push_back([s = s_, k = o.name] { s->officers.erase(k); });
        }
        [[nodiscard]] std::vector<officer_entry> list_officers() const {
            std::vector<officer_entry> out;
            for (const auto& [k, o] : s_->officers) out.push_back(o);
            return out;
        }
        [[nodiscard]] bool nonce_used(byte_view nonce) const { return s_->nonces.count(to_string(nonce)) != 0; }
        void insert_nonce(byte_view nonce, std::uint64_t expires) {
            std::string k = to_string(nonce);
            if (!s_->nonces.emplace(k, expires).second) throw error(errc::io_error, "memory repository: nonce already used");
            undo_.push_back([s = s_, k] { s->nonces.erase(k); });
        }
        [[nodiscard]] std::optional<bytes> get_meta(std::string_view key) const {
            auto it = s_->meta.find(key);
            if (it == s_->meta.end()) return std::nullopt;
            return it->second;
        }
        void set_meta(std::string_view key, byte_view value) {
            auto it = s_->meta.find(key);
            std::optional<bytes> old;
            if (it != s_->meta.end()) old = it->second;
            s_->meta[std::string(key)] = bytes(value.begin(), value.end());
            undo_.push_back([s = s_, k = std::string(key), old] {
                if (old) s->meta[k] = *old;
                else s->meta.erase(k);
            });
        }
        [[nodiscard]] authority::audit_head audit_head() const { return s_->head; }
        void append_audit(const audit_entry& e) {
            auto old = s_->head;
            s_->audit.push_back(e);
            s_->head = {e.seq, e.hash};
            undo_.push_back([s = s_, old] {
                s->audit.pop_back();
                s->head = old;
            });
        }
        [[nodiscard]] std::vector<audit_entry> audit_entries() const { return s_->audit; }
        void commit() {
            undo_.clear();
            done_ = true;
            lock_.unlock();
        }

    private:
        friend class memory_repository;
        explicit transaction(memory_repository& r) : lock_(r.mutex_), s_(&r.state_) {}
        std::unique_lock<std::mutex> lock_;
        state* s_;
        std::vector<std::function<void()>> undo_;
        bool done_ = false;
    };

    memory_repository() = default;
    memory_repository(const memory_repository&) = delete;
    memory_repository& operator=(const memory_repository&) = delete;

    /// Starts a transaction; waits while another thread holds one.
    [[nodiscard]] transaction begin() { return transaction(*this); }

    /// The stored state, for tests that play an attacker with write access to the storage.
    template <class F>
    void unsafe_edit(F&& f) {
        std::lock_guard<std::mutex> g(mutex_);
        f(state_.records, state_.audit);
    }

private:
    std::mutex mutex_;
    state state_;
};

static_assert(repository<memory_repository>);

}  // namespace escrow::authority
