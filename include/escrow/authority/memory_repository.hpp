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
    /// A transaction on a `memory_repository` (see `repository_transaction`): it holds the
    /// repository's lock until it commits or is destroyed, and undoes its changes when destroyed
    /// uncommitted.
    class transaction {
    public:
        /// Takes over `o`'s open transaction; `o` is left without one.
        transaction(transaction&& o) noexcept
            : lock_(std::move(o.lock_)), s_(o.s_), undo_(std::move(o.undo_)), done_(std::exchange(o.done_, true)) {}
        transaction& operator=(transaction&&) = delete;
        ~transaction() {
            if (done_) return;
            for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
        }

        /// The record with `serial`, if stored.
        [[nodiscard]] std::optional<stored_record> find_record(std::string_view serial) const {
            auto it = s_->records.find(serial);
            if (it == s_->records.end()) return std::nullopt;
            return it->second;
        }
        /// Stores `r`. @throws escrow::error when its serial is already stored.
        void insert_record(const stored_record& r) {
            if (!s_->records.emplace(r.serial, r).second)
                throw error(errc::io_error, "memory repository: serial '" + r.serial + "' is already stored");
            undo_.push_back([s = s_, k = r.serial] { s->records.erase(k); });
        }
        /// Replaces the stored record under `r.serial` with `r` (a verifying deposit over one that
        /// does not verify). @throws escrow::error `not_found` when there is none.
        void replace_record(const stored_record& r) {
            auto it = s_->records.find(r.serial);
            if (it == s_->records.end()) throw error(errc::not_found, "memory repository: no record '" + r.serial + "'");
            undo_.push_back([s = s_, k = it->first, old = it->second] { s->records.at(k) = old; });
            it->second = r;
        }
        /// Sets the status of the record `serial`. @throws escrow::error `not_found` when there is
        /// none.
        void set_status(std::string_view serial, record_status st) {
            auto it = s_->records.find(serial);
            if (it == s_->records.end()) throw error(errc::not_found, "memory repository: no record '" + std::string(serial) + "'");
            undo_.push_back([s = s_, k = it->first, old = it->second.status] { s->records.at(k).status = old; });
            it->second.status = st;
        }
        /// The records of `owner` (every record for an empty owner), ordered by serial.
        [[nodiscard]] std::vector<stored_record> list_records(std::string_view owner) const {
            std::vector<stored_record> out;
            for (const auto& [k, r] : s_->records)
                if (owner.empty() || r.owner == owner) out.push_back(r);
            return out;
        }
        /// The officer registered as `name`, if any.
        [[nodiscard]] std::optional<officer_entry> find_officer(std::string_view name) const {
            auto it = s_->officers.find(name);
            if (it == s_->officers.end()) return std::nullopt;
            return it->second;
        }
        /// The officer whose raw Ed25519 public key is `key`, if any.
        [[nodiscard]] std::optional<officer_entry> find_officer_by_key(byte_view key) const {
            for (const auto& [k, o] : s_->officers)
                if (std::ranges::equal(o.public_key, key)) return o;
            return std::nullopt;
        }
        /// Registers `o`. @throws escrow::error when its name or key is already
        /// registered.
        void insert_officer(const officer_entry& o) {
            if (find_officer(o.name) || find_officer_by_key(o.public_key))
                throw error(errc::io_error, "memory repository: officer '" + o.name + "' or its key is already registered");
            s_->officers.emplace(o.name, o);
            undo_.push_back([s = s_, k = o.name] { s->officers.erase(k); });
        }
        /// Every registered officer, ordered by name.
        [[nodiscard]] std::vector<officer_entry> list_officers() const {
            std::vector<officer_entry> out;
            for (const auto& [k, o] : s_->officers) out.push_back(o);
            return out;
        }
        /// Whether a granted request already used `nonce`.
        [[nodiscard]] bool nonce_used(byte_view nonce) const { return s_->nonces.count(to_string(nonce)) != 0; }
        /// Records `nonce` as used until `expires` (Unix seconds). @throws escrow::error `io_error`
        /// when it is already recorded.
        void insert_nonce(byte_view nonce, std::uint64_t expires) {
            std::string k = to_string(nonce);
            if (!s_->nonces.emplace(k, expires).second) throw error(errc::io_error, "memory repository: nonce already used");
            undo_.push_back([s = s_, k] { s->nonces.erase(k); });
        }
        /// Every recorded nonce, ordered by its bytes.
        [[nodiscard]] std::vector<nonce_entry> list_nonces() const {
            std::vector<nonce_entry> out;
            for (const auto& [k, e] : s_->nonces) out.push_back({bytes(k.begin(), k.end()), e});
            return out;
        }
        /// Every setting, ordered by key.
        [[nodiscard]] std::vector<meta_entry> list_meta() const {
            std::vector<meta_entry> out;
            for (const auto& [k, v] : s_->meta) out.push_back({k, v});
            return out;
        }
        /// The setting `key` (see `meta_keys`), if set.
        [[nodiscard]] std::optional<bytes> get_meta(std::string_view key) const {
            auto it = s_->meta.find(key);
            if (it == s_->meta.end()) return std::nullopt;
            return it->second;
        }
        /// Sets the setting `key` to `value`.
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
        /// The sequence number and hash of the last audit entry.
        [[nodiscard]] authority::audit_head audit_head() const { return s_->head; }
        /// Appends `e` to the audit log and makes it the head.
        void append_audit(const audit_entry& e) {
            auto old = s_->head;
            s_->audit.push_back(e);
            s_->head = {e.seq, e.hash};
            undo_.push_back([s = s_, old] {
                s->audit.pop_back();
                s->head = old;
            });
        }
        /// Every audit entry, in ascending `seq` order, as stored.
        [[nodiscard]] std::vector<audit_entry> audit_entries() const { return s_->audit; }
        /// Makes the changes visible to others, atomically.
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
