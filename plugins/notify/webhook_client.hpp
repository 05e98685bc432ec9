#pragma once

#include "delivery_queue.hpp"
#include "webhook_url.hpp"

#include <jm/sdk/executor.hpp>
#include <jm/sdk/log.hpp>

#include <boost/asio/ssl/context.hpp>

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
    std::shared_ptr<boost::asio::ssl::context> tls; //!< set for https URLs
};

using WebhookStats = DeliveryStats;

//! POSTs JSON bodies to one URL (http or https), one request at a time, in order, over a
//! kept-alive HTTP/1.1 connection: a DeliveryQueue over an HttpTransport. A 2xx answer is
//! delivery; transient failures are retried with exponential backoff up to max_attempts
//! (honouring Retry-After), refusals (4xx) are dropped at once, all with a warning. The queue
//! is bounded: when full the oldest body is dropped.
//! Executor: every member must be called on `executor` (a strand); handlers run there too.
class WebhookClient {
public:
    WebhookClient(jm::sdk::Executor executor, WebhookSettings settings, jm::sdk::Logger logger);
    WebhookClient(const WebhookClient&) = delete;
    WebhookClient& operator=(const WebhookClient&) = delete;

    //! Queues one body for delivery; never blocks.
    void post(std::string body);
    //! See DeliveryQueue::stop.
    std::size_t stop() { return m_queue.stop(); }
    //! See DeliveryQueue::stopAfterDrain.
    void stopAfterDrain(std::chrono::milliseconds grace, std::function<void(std::size_t dropped)> done) {
        m_queue.stopAfterDrain(grace, std::move(done));
    }
    std::shared_ptr<const WebhookStats> stats() const { return m_queue.stats(); }

private:
    std::string m_target;
    std::vector<std::pair<std::string, std::string>> m_headers;
    DeliveryQueue m_queue;
};

} // namespace jm::plugins::notify
