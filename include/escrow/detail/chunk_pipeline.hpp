// SPDX-License-Identifier: MIT
/// @file
/// The parallel pipeline a host runs a STREAM payload through: the calling thread reads batches of
/// chunks and writes them back in order, while worker threads seal or open them.
#pragma once

#include <cryptopp/secblock.h>

#include <algorithm>
#include <cstring>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "escrow/core/bytes.hpp"
#include "escrow/core/error.hpp"

namespace escrow::detail {

/// Threads a host uses for `requested` (0: one per hardware thread, at most 8).
[[nodiscard]] inline unsigned resolve_threads(unsigned requested) noexcept {
    if (requested) return requested;
    unsigned hw = std::thread::hardware_concurrency();
    return std::clamp(hw, 1u, 8u);
}

/// A run of consecutive chunks travelling through the pipeline, with room for their output.
///
/// Both buffers are `SecByteBlock`s, wiped when freed: plaintext passes through them.
struct chunk_batch {
    CryptoPP::SecByteBlock in, out;  ///< the batch's own buffers (empty when it works on mapped files)
    std::size_t slot = 0;            ///< the batch's place in the ring
    byte_view input;                 ///< what the worker reads: `in`, or a window of a mapped source
    mutable_byte_view output;        ///< where it writes: `out`, or a window of a mapped sink
    std::size_t in_len = 0;          ///< bytes of `input` to process
    std::uint64_t first_index = 0;   ///< index of the batch's first chunk in the payload
    bool final = false;              ///< the batch ends the payload: its last chunk is the final one
    std::exception_ptr tail_error;   ///< a framing error the reader found after the batch's chunks

    // Set by the worker that processed the batch.
    std::size_t out_len = 0;         ///< output bytes that may be released, in order
    std::exception_ptr error;        ///< the failure that stopped the batch after `out_len` bytes
    bool done = false;
};

/// A buffer sink over a batch's output buffer (`buffer_byte_sink`): a worker seals or opens
/// chunks straight into it, with the same per-chunk code as the sequential path.
struct batch_sink {
    mutable_byte_view buf;
    std::size_t len = 0;

    void write(byte_view in) {
        if (in.empty()) return;
        std::memcpy(prepare(in.size()).data(), in.data(), in.size());
        len += in.size();
    }
    mutable_byte_view prepare(std::size_t n) {
        if (n > buf.size() - len) throw error(errc::invalid_argument, "chunk_pipeline: batch output buffer too small");
        return buf.subspan(len, n);
    }
    void commit(std::size_t n) noexcept { len += n; }
};

/// A ring of `slots` batches shared by the calling thread and `workers` threads.
///
/// The calling thread `acquire`s the next free batch (in ring order), fills it and `submit`s it;
/// a worker runs `process(worker_state, batch)` on it; the calling thread `wait`s for the oldest
/// submitted batch, writes its output and `release`s it. Batches are processed in any order and
/// on any worker, and their output is taken in submission order. Memory is the ring's buffers,
/// fixed when it is built. Destroying the pipeline stops the workers (after the batch each is
/// on) and joins them, so that an exception on the calling thread leaves nothing running.
///
/// @tparam State what a worker keeps across batches (a sealer or an opener of its own)
template <class State>
class chunk_pipeline {
public:
    /// Runs on a worker; must not throw (a failure goes to `chunk_batch::error`).
    using process_fn = std::function<void(State&, chunk_batch&)>;

    /// @param workers threads to run, at least 1
    /// @param make_state returns a `std::unique_ptr<State>`; called once per worker, on the calling
    /// thread, so that a bad key fails here rather than on a worker
    template <class MakeState>
    chunk_pipeline(std::size_t slots, std::size_t in_cap, std::size_t out_cap, unsigned workers, MakeState make_state,
                   process_fn process)
        : slots_(std::max<std::size_t>(slots, 2)), process_(std::move(process)) {
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            slots_[i].slot = i;
            slots_[i].in.New(in_cap);
            slots_[i].out.New(out_cap);
        }
        workers = std::max(workers, 1u);
        states_.reserve(workers);
        for (unsigned i = 0; i < workers; ++i) states_.push_back(make_state());
    }

    chunk_pipeline(const chunk_pipeline&) = delete;
    chunk_pipeline& operator=(const chunk_pipeline&) = delete;

    ~chunk_pipeline() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        work_ready_.notify_all();
        for (auto& t : threads_) t.join();
    }

    /// Batches in the ring.
    [[nodiscard]] std::size_t slots() const noexcept { return slots_.size(); }

    /// Batches submitted or acquired and not yet released.
    [[nodiscard]] std::size_t in_flight() const noexcept { return acquired_ - released_; }

    /// The next batch in ring order, cleared; at most `slots()` may be in flight.
    chunk_batch& acquire() {
        if (in_flight() == slots_.size()) throw error(errc::invalid_argument, "chunk_pipeline: every batch is in flight");
        chunk_batch& b = slots_[acquired_++ % slots_.size()];
        b.input = {};
        b.output = {};
        b.in_len = 0;
        b.first_index = 0;
        b.final = false;
        b.tail_error = nullptr;
        b.out_len = 0;
        b.error = nullptr;
        b.done = false;
        return b;
    }

    /// Gives back the batch `acquire` returned last, unused (it must not have been submitted).
    void unacquire() noexcept { --acquired_; }

    /// Hands the oldest acquired, unsubmitted batch to the workers. The first batch of a run that
    /// is also its last is processed here, on the calling thread, and no thread is started: small
    /// payloads cost no thread.
    void submit() {
        chunk_batch& b = slots_[submitted_ % slots_.size()];
        if (submitted_ == 0 && b.final) {
            ++submitted_;
            process_(*states_.front(), b);
            b.done = true;
            ++taken_;
            return;
        }
        if (threads_.empty()) start();
        {
            std::lock_guard lock(mutex_);
            ++submitted_;
        }
        work_ready_.notify_one();
    }

    /// Waits until the oldest unreleased batch is processed, and returns it.
    chunk_batch& wait() {
        chunk_batch& b = slots_[released_ % slots_.size()];
        std::unique_lock lock(mutex_);
        batch_done_.wait(lock, [&] { return b.done; });
        return b;
    }

    /// Returns the oldest batch (from `wait`) to the ring. Its buffers are reused, not wiped: they
    /// are wiped when the pipeline is destroyed.
    void release() { ++released_; }

private:
    void start() {
        threads_.reserve(states_.size());
        for (auto& s : states_) threads_.emplace_back([this, state = s.get()] { run(*state); });
    }

    void run(State& state) {
        std::unique_lock lock(mutex_);
        for (;;) {
            work_ready_.wait(lock, [&] { return stop_ || taken_ < submitted_; });
            if (stop_) return;
            chunk_batch& b = slots_[taken_++ % slots_.size()];
            lock.unlock();
            process_(state, b);
            lock.lock();
            b.done = true;
            batch_done_.notify_all();
        }
    }

    std::vector<chunk_batch> slots_;
    process_fn process_;
    std::vector<std::unique_ptr<State>> states_;
    std::vector<std::thread> threads_;

    std::mutex mutex_;
    std::condition_variable work_ready_, batch_done_;
    bool stop_ = false;
    // Sequence numbers of batches; a batch's slot is its number modulo the ring size. `acquired_`
    // and `released_` belong to the calling thread; `submitted_` and `taken_` are shared.
    std::uint64_t acquired_ = 0, submitted_ = 0, taken_ = 0, released_ = 0;
};

}  // namespace escrow::detail
