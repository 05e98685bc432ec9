#include "delivery_queue.hpp"

#include <boost/asio/steady_timer.hpp>

#include <deque>

namespace jm::plugins::notify {

using Clock = std::chrono::steady_clock;

// State shared with every pending handler, so a handler completing after the queue is gone
// touches nothing freed.
class DeliveryQueue::Impl : public std::enable_shared_from_this<DeliveryQueue::Impl> {
public:
    Impl(jm::sdk::Executor executor, std::shared_ptr<Transport> transport, DeliverySettings settings,
         jm::sdk::Logger logger, std::string name) :
        m_transport(std::move(transport)),
        m_settings(settings), m_logger(std::move(logger)), m_name(std::move(name)), m_timer(executor),
        m_drainTimer(executor), m_backoff(m_settings.backoff_initial) {}

    void post(Outgoing message) {
        if (m_stopped) return;
        if (m_queue.size() >= m_settings.max_queue) {
            m_queue.pop_front();
            auto dropped = ++m_stats->dropped_queue_full;
            // Logged at 1, 10, 100, ... drops: a flood must not flood the log as well.
            if (dropped == m_nextDropLog) {
                JM_LOG(m_logger, warning) << m_name << ": queue full (" << m_settings.max_queue
                                          << "), dropped the oldest message; " << dropped << " dropped so far";
                m_nextDropLog *= 10;
            }
        }
        m_queue.push_back(std::move(message));
        m_stats->queued = m_queue.size();
        if (!m_busy) sendNext();
    }

    std::size_t stop() {
        if (m_stopped) return 0;
        m_stopped = true;
        std::size_t dropped = m_queue.size() + (m_current ? 1 : 0);
        m_queue.clear();
        m_current.reset();
        m_stats->queued = 0;
        m_timer.cancel();
        m_drainTimer.cancel();
        m_transport->cancel();
        return dropped;
    }

    void stopAfterDrain(std::chrono::milliseconds grace, std::function<void(std::size_t)> done) {
        if (m_stopped) return done(0);
        if (!m_busy && m_queue.empty()) {
            stop();
            return done(0);
        }
        m_onDrained = std::move(done);
        m_drainTimer.expires_after(grace);
        m_drainTimer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || !self->m_onDrained) return;
            auto done = std::move(self->m_onDrained);
            self->m_onDrained = nullptr;
            done(self->stop());
        });
    }

    std::shared_ptr<DeliveryStats> stats() const { return m_stats; }

private:
    // Takes the next message (or the one being retried) and sends it once the pacing allows.
    void sendNext() {
        if (m_stopped) return;
        if (!m_current) {
            if (m_queue.empty()) {
                m_busy = false;
                if (m_onDrained) {
                    auto done = std::move(m_onDrained);
                    m_onDrained = nullptr;
                    m_drainTimer.cancel();
                    done(stop());
                }
                return;
            }
            m_current = std::move(m_queue.front());
            m_queue.pop_front();
            m_stats->queued = m_queue.size();
        }
        m_busy = true;
        auto now = Clock::now();
        auto earliest = m_notBefore;
        if (m_settings.max_per_hour) {
            while (!m_starts.empty() && m_starts.front() + std::chrono::hours(1) <= now)
                m_starts.pop_front();
            if (m_starts.size() >= m_settings.max_per_hour) {
                earliest = std::max(earliest, m_starts.front() + std::chrono::hours(1));
                if (!m_hourlyCapLogged) {
                    m_hourlyCapLogged = true;
                    JM_LOG(m_logger, warning) << m_name << ": " << m_settings.max_per_hour
                                              << " messages in the last hour (max_per_hour); holding the rest";
                }
            } else {
                m_hourlyCapLogged = false;
            }
        }
        if (now < earliest) {
            m_timer.expires_at(earliest);
            m_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
                if (!ec && !self->m_stopped) self->sendNow();
            });
            return;
        }
        sendNow();
    }

    void sendNow() {
        if (m_settings.max_per_hour) {
            // Re-checked here: the timer may have been set by min_interval alone.
            auto now = Clock::now();
            while (!m_starts.empty() && m_starts.front() + std::chrono::hours(1) <= now)
                m_starts.pop_front();
            if (m_starts.size() >= m_settings.max_per_hour) return sendNext();
            m_starts.push_back(now);
        }
        m_notBefore = Clock::now() + m_settings.min_interval;
        m_transport->send(*m_current, [self = shared_from_this()](Outcome outcome) {
            if (!self->m_stopped) self->onOutcome(std::move(outcome));
        });
    }

    void onOutcome(Outcome outcome) {
        switch (outcome.kind) {
        case Outcome::Kind::Delivered:
            ++m_stats->delivered;
            return next();
        case Outcome::Kind::Drop:
            ++m_stats->dropped_rejected;
            JM_LOG(m_logger, warning) << m_name << ": the service refused a message, not retrying: " << outcome.why;
            return next();
        case Outcome::Kind::Retry:
            break;
        }
        if (++m_attempts >= m_settings.max_attempts) {
            ++m_stats->dropped_after_retries;
            JM_LOG(m_logger, warning) << m_name << ": dropping a message after " << m_attempts << " attempts ("
                                      << outcome.why << ")";
            return next();
        }
        ++m_stats->retried;
        auto wait = m_backoff;
        m_backoff = std::min(m_backoff * 2, m_settings.backoff_max);
        if (outcome.wait) {
            // The service said when it will listen again: never earlier, whatever the backoff.
            ++m_stats->rate_limited;
            wait = std::max(wait, std::min(*outcome.wait, m_settings.max_retry_after));
        }
        JM_LOG(m_logger, debug) << m_name << ": attempt " << m_attempts << " failed (" << outcome.why
                                << "); retrying in " << wait.count() << " ms";
        m_notBefore = std::max(m_notBefore, Clock::now() + wait);
        sendNext();
    }

    void next() {
        m_current.reset();
        m_attempts = 0;
        m_backoff = m_settings.backoff_initial;
        sendNext();
    }

    std::shared_ptr<Transport> m_transport;
    DeliverySettings m_settings;
    jm::sdk::Logger m_logger;
    std::string m_name;
    boost::asio::steady_timer m_timer;
    boost::asio::steady_timer m_drainTimer;
    std::function<void(std::size_t)> m_onDrained;
    std::deque<Outgoing> m_queue;
    std::optional<Outgoing> m_current; // being sent or waiting for its retry
    int m_attempts = 0;
    std::chrono::milliseconds m_backoff;
    Clock::time_point m_notBefore{};
    std::uint64_t m_nextDropLog = 1;
    std::deque<Clock::time_point> m_starts; // of the requests in the last hour (max_per_hour)
    bool m_hourlyCapLogged = false;
    bool m_busy = false;
    bool m_stopped = false;
    std::shared_ptr<DeliveryStats> m_stats = std::make_shared<DeliveryStats>();
};

DeliveryQueue::DeliveryQueue(jm::sdk::Executor executor, std::shared_ptr<Transport> transport,
                             DeliverySettings settings, jm::sdk::Logger logger, std::string name) :
    m_impl(std::make_shared<Impl>(std::move(executor), std::move(transport), settings, std::move(logger),
                                  std::move(name))) {}

DeliveryQueue::~DeliveryQueue() { m_impl->stop(); }

void DeliveryQueue::post(Outgoing message) { m_impl->post(std::move(message)); }
std::size_t DeliveryQueue::stop() { return m_impl->stop(); }
void DeliveryQueue::stopAfterDrain(std::chrono::milliseconds grace, std::function<void(std::size_t)> done) {
    m_impl->stopAfterDrain(grace, std::move(done));
}
std::shared_ptr<const DeliveryStats> DeliveryQueue::stats() const { return m_impl->stats(); }

} // namespace jm::plugins::notify
