#pragma once

#include "webhook_url.hpp"

#include <jm/sdk/executor.hpp>
#include <jm/sdk/log.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace jm::plugins::notify {

struct WebhookSettings {
    WebhookUrl url;
    std::chrono::milliseconds timeout{5000};
    int max_attempts = 5;
    std::chrono::milliseconds backoff_initial{1000};
    std::chrono::milliseconds backoff_max{60000};
    std::size_t max_queue = 1000;
    std::map<std::string, std::string> headers;
};

//! Counters of a WebhookClient, readable from any thread.
struct WebhookStats {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> retried{0};
    std::atomic<std::uint64_t> dropped_queue_full{0};
    std::atomic<std::uint64_t> dropped_after_retries{0};
    std::atomic<std::uint64_t> queued{0};
};

//! POSTs JSON bodies to one URL, one request at a time, in order, over a kept-alive HTTP/1.1
//! connection. A 2xx answer is delivery; anything else (status, refused connection, timeout)
//! is retried with exponential backoff up to max_attempts, then dropped with a warning. The
//! queue is bounded: when full the oldest body is dropped, so a dead endpoint never blocks the
//! caller nor grows memory.
//! Executor: every member must be called on `executor` (a strand); handlers run there too.
class WebhookClient {
public:
    WebhookClient(jm::sdk::Executor executor, WebhookSettings settings, jm::sdk::Logger logger);
    //! Stops; requests in flight are cancelled and finish on the executor later.
    ~WebhookClient();
    WebhookClient(const WebhookClient&) = delete;
    WebhookClient& operator=(const WebhookClient&) = delete;

    //! Queues one body for delivery; never blocks.
    void post(std::string body);
    //! Cancels the request in flight and the backoff timer and drops the queue; returns how
    //! many bodies were dropped. Idempotent.
    std::size_t stop();
    //! Lets queued bodies go out for at most `grace`, then stops; `done(dropped)` runs on the
    //! executor once the queue is empty or the grace ran out.
    void stopAfterDrain(std::chrono::milliseconds grace, std::function<void(std::size_t dropped)> done);

    //! Counters; the returned object lives as long as any copy of the pointer.
    std::shared_ptr<const WebhookStats> stats() const;

    class Impl;

private:
    std::shared_ptr<Impl> m_impl;
};

} // namespace jm::plugins::notify
