// SPDX-License-Identifier: MIT
/// @file
/// `escrow::service::authority_workers<Authority, Repository>`: the threads behind the HTTPS
/// server's one I/O thread. Deposits are parsed and their MACs checked on a pool of threads; one
/// store thread owns the repository: it stores the deposits checked meanwhile in one transaction
/// (group commit: one durable commit for all of them) and answers each only once that commit
/// returned, and it answers every other request in turn (`authority_api::handle`).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "escrow/authority/deposit_batch.hpp"
#include "escrow/authority/record_checks.hpp"
#include "escrow/core/error.hpp"
#include "escrow/service/authority_api.hpp"

namespace escrow::service {

/// How many threads check deposits, and how many deposits one transaction stores at most.
struct worker_options {
    /// Threads that parse deposits and check their MACs (the costly private-key operation). 0:
    /// the store thread checks them itself (as it must for an authority whose wrap or stores
    /// hold state, `Authority::concurrent_checks` false, e.g. a PKCS#11 key).
    std::size_t check_threads = 2;
    /// Deposits stored in one transaction at most.
    std::size_t max_batch = 512;
};

/// The server's request handler (`https_server::async_handler`): `operator()` queues the request
/// and returns at once; its answer comes through `done`, from a worker thread.
///
/// Durability: a deposit is answered with success only after the transaction that stored it
/// committed; a batch whose transaction fails answers every deposit of it with the error.
/// Destroy it only after the server stopped (every request answered): it joins its threads.
///
/// @tparam Authority  a `backup_authority` holding its private key
/// @tparam Repository its repository
template <class Authority, class Repository>
class authority_workers {
public:
    /// How a request is answered: once, from any thread.
    using responder = std::function<void(api_response)>;
    /// The clock of officer signatures, Unix seconds.
    using clock_function = std::function<std::uint64_t()>;

    /// Starts the threads over `api` and its authority `auth`.
    authority_workers(authority_api<Authority, Repository>& api, Authority& auth, worker_options opts = {},
                      clock_function now = authority::unix_now)
        : api_(api), auth_(auth), opts_(opts), now_(std::move(now)) {
        if (opts_.max_batch == 0) opts_.max_batch = 1;
        if (!Authority::concurrent_checks) opts_.check_threads = 0;
        store_thread_ = std::thread([this] { store_loop(); });
        for (std::size_t i = 0; i < opts_.check_threads; ++i) check_threads_.emplace_back([this] { check_loop(); });
    }

    authority_workers(const authority_workers&) = delete;
    authority_workers& operator=(const authority_workers&) = delete;

    /// Answers what is queued, then joins the threads.
    ~authority_workers() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        check_ready_.notify_all();
        for (auto& t : check_threads_) t.join();
        {
            std::lock_guard lock(mutex_);
            checks_done_ = true;
        }
        store_ready_.notify_all();
        store_thread_.join();
    }

    /// Queues `req`; `done` answers it later.
    void operator()(api_request req, responder done) {
        const bool deposit = authority_api<Authority, Repository>::is_deposit(req);
        {
            std::lock_guard lock(mutex_);
            if (deposit && opts_.check_threads > 0) to_check_.push_back({std::move(req), std::move(done)});
            else to_store_.push_back(job{std::move(req), std::move(done), deposit});
        }
        if (deposit && opts_.check_threads > 0) check_ready_.notify_one();
        else store_ready_.notify_one();
    }

private:
    struct pending {
        api_request req;
        responder done;
    };
    // What the store thread does: a checked deposit to store, a deposit to check first (no check
    // threads), or another request.
    struct job {
        std::variant<api_request, authority::checked_deposit> what;
        responder done;
        bool deposit = false;
    };

    authority_api<Authority, Repository>& api_;
    Authority& auth_;
    worker_options opts_;
    clock_function now_;
    std::mutex mutex_;
    std::condition_variable check_ready_, store_ready_;
    std::deque<pending> to_check_;
    std::deque<job> to_store_;
    bool stopping_ = false, checks_done_ = false;
    std::vector<std::thread> check_threads_;
    std::thread store_thread_;

    // A deposit's body parsed and its record checked, or the response refusing it.
    std::variant<api_response, authority::checked_deposit> check(const api_request& req) {
        auto parsed = authority_api<Authority, Repository>::parse_deposit(req);
        if (auto* refused = std::get_if<api_response>(&parsed)) return std::move(*refused);
        try {
            return auth_.check_deposit(std::get<escrow_record>(parsed));
        } catch (const error& e) {
            return api_response{status_for(e.kind()), error_json(e.kind(), error_detail(e))};
        } catch (const std::exception& e) {
            return api_response{500, error_json(errc::io_error, e.what())};
        }
    }

    void check_loop() {
        for (;;) {
            pending p;
            {
                std::unique_lock lock(mutex_);
                check_ready_.wait(lock, [&] { return stopping_ || !to_check_.empty(); });
                if (to_check_.empty()) return;
                p = std::move(to_check_.front());
                to_check_.pop_front();
            }
            auto checked = check(p.req);
            if (auto* refused = std::get_if<api_response>(&checked)) {
                p.done(std::move(*refused));
                continue;
            }
            {
                std::lock_guard lock(mutex_);
                to_store_.push_back(job{std::move(std::get<authority::checked_deposit>(checked)), std::move(p.done), true});
            }
            store_ready_.notify_one();
        }
    }

    void store_loop() {
        for (;;) {
            std::vector<job> jobs;
            {
                std::unique_lock lock(mutex_);
                store_ready_.wait(lock, [&] { return checks_done_ || !to_store_.empty(); });
                if (to_store_.empty()) return;
                std::size_t deposits = 0;
                while (!to_store_.empty() && deposits < opts_.max_batch) {
                    deposits += to_store_.front().deposit;
                    jobs.push_back(std::move(to_store_.front()));
                    to_store_.pop_front();
                }
            }
            run(jobs);
        }
    }

    // The deposits among `jobs` in one transaction, then the other requests one by one.
    void run(std::vector<job>& jobs) {
        std::vector<authority::checked_deposit> batch;
        std::vector<responder*> answer;
        for (job& j : jobs) {
            if (!j.deposit) continue;
            if (auto* req = std::get_if<api_request>(&j.what)) {  // no check threads: checked here
                auto checked = check(*req);
                if (auto* refused = std::get_if<api_response>(&checked)) {
                    j.done(std::move(*refused));
                    continue;
                }
                j.what = std::move(std::get<authority::checked_deposit>(checked));
            }
            batch.push_back(std::move(std::get<authority::checked_deposit>(j.what)));
            answer.push_back(&j.done);
        }
        if (!batch.empty()) store(batch, answer);
        for (job& j : jobs)
            if (!j.deposit) j.done(api_.handle(std::get<api_request>(j.what), now_()));
    }

    void store(const std::vector<authority::checked_deposit>& batch, const std::vector<responder*>& answer) {
        std::vector<authority::deposit_outcome> outcomes;
        std::optional<api_response> failed;
        try {
            outcomes = auth_.deposit_batch(batch);
        } catch (const error& e) {
            failed = api_response{status_for(e.kind()), error_json(e.kind(), error_detail(e))};
        } catch (const std::exception& e) {
            failed = api_response{500, error_json(errc::io_error, e.what())};
        }
        for (std::size_t i = 0; i < batch.size(); ++i)
            (*answer[i])(failed ? *failed : authority_api<Authority, Repository>::deposit_answer(batch[i].record(), outcomes[i]));
    }
};

}  // namespace escrow::service
