#include "webhook_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <deque>

namespace jm::plugins::notify {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// The connection state lives here, shared with every pending handler, so that a cancelled
// operation completing after the client is gone touches nothing freed.
class WebhookClient::Impl : public std::enable_shared_from_this<WebhookClient::Impl> {
public:
    Impl(jm::sdk::Executor executor, WebhookSettings settings, jm::sdk::Logger logger) :
        m_settings(std::move(settings)), m_logger(std::move(logger)), m_resolver(executor), m_stream(executor),
        m_timer(executor), m_drainTimer(executor), m_backoff(m_settings.backoff_initial) {}

    void post(std::string body) {
        if (m_stopped) return;
        if (m_queue.size() >= m_settings.max_queue) {
            m_queue.pop_front();
            ++m_stats->dropped_queue_full;
            // The front body may be the one in flight; it is simply not retried any more.
            if (m_busy) m_frontDropped = true;
        }
        m_queue.push_back(std::move(body));
        m_stats->queued = m_queue.size();
        if (!m_busy) sendNext();
    }

    std::size_t stop() {
        if (m_stopped) return 0;
        m_stopped = true;
        std::size_t dropped = m_queue.size();
        m_queue.clear();
        m_stats->queued = 0;
        m_timer.cancel();
        m_drainTimer.cancel();
        m_resolver.cancel();
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        m_stream.close();
        return dropped;
    }

    std::shared_ptr<WebhookStats> stats() const { return m_stats; }

    void stopAfterDrain(std::chrono::milliseconds grace, std::function<void(std::size_t)> done) {
        if (m_stopped) return done(0);
        if (!m_busy && m_queue.empty()) {
            stop();
            return done(0);
        }
        m_onDrained = std::move(done);
        m_drainTimer.expires_after(grace);
        m_drainTimer.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || !self->m_onDrained) return;
            auto done = std::move(self->m_onDrained);
            self->m_onDrained = nullptr;
            done(self->stop());
        });
    }

private:
    void sendNext() {
        if (m_stopped || m_queue.empty()) {
            m_busy = false;
            if (m_onDrained && !m_stopped) {
                auto done = std::move(m_onDrained);
                m_onDrained = nullptr;
                m_drainTimer.cancel();
                done(stop());
            }
            return;
        }
        m_busy = true;
        m_frontDropped = false;
        m_request = {};
        m_request.method(http::verb::post);
        m_request.target(m_settings.url.target);
        m_request.version(11);
        m_request.set(http::field::host, m_settings.url.host + ":" + m_settings.url.port);
        m_request.set(http::field::user_agent, "jmnode/" JMNODE_NOTIFY_VERSION);
        m_request.set(http::field::content_type, "application/json");
        m_request.keep_alive(true);
        for (const auto& [name, value] : m_settings.headers)
            m_request.set(name, value);
        m_request.body() = m_queue.front();
        m_request.prepare_payload();
        if (m_connected)
            write();
        else
            connect();
    }

    void connect() {
        m_resolver.async_resolve(
            m_settings.url.host, m_settings.url.port,
            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                if (self->m_stopped) return;
                if (ec) return self->failed("cannot resolve " + self->m_settings.url.host + ": " + ec.message());
                self->m_stream.expires_after(self->m_settings.timeout);
                self->m_stream.async_connect(results, [self](beast::error_code ec, const tcp::endpoint&) {
                    if (self->m_stopped) return;
                    if (ec) return self->failed("cannot connect: " + ec.message());
                    self->m_connected = true;
                    self->write();
                });
            });
    }

    void write() {
        m_stream.expires_after(m_settings.timeout);
        http::async_write(m_stream, m_request, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (self->m_stopped) return;
            if (ec) return self->failed("sending failed: " + ec.message());
            self->m_response = {};
            http::async_read(self->m_stream, self->m_buffer, self->m_response,
                             [self](beast::error_code ec, std::size_t) { self->onResponse(ec); });
        });
    }

    void onResponse(beast::error_code ec) {
        if (m_stopped) return;
        if (ec) return failed("no response: " + ec.message());
        auto status = m_response.result_int();
        if (!m_response.keep_alive()) closeConnection();
        if (status < 200 || status >= 300)
            return failed("HTTP " + std::to_string(status) + " " + std::string(m_response.reason()));
        if (!m_frontDropped && !m_queue.empty()) m_queue.pop_front();
        m_stats->queued = m_queue.size();
        ++m_stats->delivered;
        m_attempts = 0;
        m_backoff = m_settings.backoff_initial;
        sendNext();
    }

    void failed(const std::string& why) {
        closeConnection();
        if (m_frontDropped) { // the body was already pushed out of the full queue
            m_attempts = 0;
            return sendNext();
        }
        if (++m_attempts >= m_settings.max_attempts) {
            JM_LOG(m_logger, warning) << "webhook: dropping an event after " << m_attempts << " attempts (" << why
                                      << ")";
            ++m_stats->dropped_after_retries;
            m_queue.pop_front();
            m_stats->queued = m_queue.size();
            m_attempts = 0;
            m_backoff = m_settings.backoff_initial;
            return sendNext();
        }
        ++m_stats->retried;
        JM_LOG(m_logger, debug) << "webhook: attempt " << m_attempts << " failed (" << why << "); retrying in "
                                << m_backoff.count() << " ms";
        m_timer.expires_after(m_backoff);
        m_backoff = std::min(m_backoff * 2, m_settings.backoff_max);
        m_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec && !self->m_stopped) self->sendNext();
        });
    }

    void closeConnection() {
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        m_stream.close();
        m_connected = false;
        m_buffer.clear();
    }

    WebhookSettings m_settings;
    jm::sdk::Logger m_logger;
    tcp::resolver m_resolver;
    beast::tcp_stream m_stream;
    boost::asio::steady_timer m_timer;
    boost::asio::steady_timer m_drainTimer;
    std::function<void(std::size_t)> m_onDrained;
    beast::flat_buffer m_buffer;
    http::request<http::string_body> m_request;
    http::response<http::string_body> m_response;
    std::deque<std::string> m_queue;
    int m_attempts = 0;
    std::chrono::milliseconds m_backoff;
    bool m_busy = false;
    bool m_connected = false;
    bool m_frontDropped = false;
    bool m_stopped = false;
    std::shared_ptr<WebhookStats> m_stats = std::make_shared<WebhookStats>();
};

WebhookClient::WebhookClient(jm::sdk::Executor executor, WebhookSettings settings, jm::sdk::Logger logger) :
    m_impl(std::make_shared<Impl>(std::move(executor), std::move(settings), std::move(logger))) {}

WebhookClient::~WebhookClient() { m_impl->stop(); }

void WebhookClient::post(std::string body) { m_impl->post(std::move(body)); }
std::size_t WebhookClient::stop() { return m_impl->stop(); }
void WebhookClient::stopAfterDrain(std::chrono::milliseconds grace, std::function<void(std::size_t)> done) {
    m_impl->stopAfterDrain(grace, std::move(done));
}
std::shared_ptr<const WebhookStats> WebhookClient::stats() const { return m_impl->stats(); }

} // namespace jm::plugins::notify
