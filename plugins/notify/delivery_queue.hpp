#pragma once

#include "transport.hpp"

#include <jm/sdk/executor.hpp>
#include <jm/sdk/log.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace jm::plugins::notify {

//! How a DeliveryQueue paces and retries.
struct DeliverySettings {
    std::size_t max_queue = 1000;                    //!< messages waiting; the oldest is dropped beyond
    int max_attempts = 5;                            //!< tries per message
    std::chrono::milliseconds backoff_initial{1000}; //!< wait before the first retry; doubles
    std::chrono::milliseconds backoff_max{60000};
    std::chrono::milliseconds min_interval{0}; //!< between the starts of two sends (the service's rate limit)
    //! Requests (retries included) started in any hour; 0: no cap. Services with a daily or
    //! monthly quota (Pushover, ntfy.sh, a mail provider) would be used up by a flood a remote
    //! peer can cause (failed sessions) long before min_interval alone stops it.
    std::size_t max_per_hour = 0;
    //! Longest wait a service may ask for (Retry-After); longer asks are capped to this.
    std::chrono::milliseconds max_retry_after{std::chrono::hours(1)};
};

//! Counters of a delivery queue, readable from any thread.
struct DeliveryStats {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> retried{0};
    std::atomic<std::uint64_t> rate_limited{0}; //!< retries the service asked to be delayed
    std::atomic<std::uint64_t> dropped_queue_full{0};
    std::atomic<std::uint64_t> dropped_after_retries{0};
    std::atomic<std::uint64_t> dropped_rejected{0}; //!< refused for good by the service
    std::atomic<std::uint64_t> queued{0};
};

//! Delivers messages through one Transport, one at a time and in order, no faster than
//! min_interval, retrying transient failures with exponential backoff (or as long as the
//! service asked). The queue is bounded: when full the oldest waiting message is dropped (counted,
//! logged), so a dead service never blocks the caller nor grows memory.
//! Executor: every member must be called on `executor` (a strand); handlers run there too.
class DeliveryQueue {
public:
    //! `name` prefixes log records ("telegram", "webhook"). Ownership: shares `transport`.
    DeliveryQueue(jm::sdk::Executor executor, std::shared_ptr<Transport> transport, DeliverySettings settings,
                  jm::sdk::Logger logger, std::string name);
    //! Stops; a send in flight is cancelled.
    ~DeliveryQueue();
    DeliveryQueue(const DeliveryQueue&) = delete;
    DeliveryQueue& operator=(const DeliveryQueue&) = delete;

    //! Queues one message; never blocks.
    void post(Outgoing message);
    //! Cancels the send in flight and every timer and drops the queue; returns how many messages
    //! were dropped. Idempotent.
    std::size_t stop();
    //! Lets queued messages go out for at most `grace`, then stops; `done(dropped)` runs on the
    //! executor once the queue is empty or the grace ran out.
    void stopAfterDrain(std::chrono::milliseconds grace, std::function<void(std::size_t dropped)> done);

    //! Counters; the returned object lives as long as any copy of the pointer.
    std::shared_ptr<const DeliveryStats> stats() const;

    class Impl;

private:
    std::shared_ptr<Impl> m_impl;
};

} // namespace jm::plugins::notify
