#include "http_transport.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace jm::plugins::notify {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

std::string snippet(std::string_view text, std::size_t max) {
    std::string out(text.substr(0, max));
    for (auto& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    if (text.size() > max) out += "...";
    return out;
}

std::optional<std::chrono::milliseconds> retryAfterHeader(const HttpReply& reply) {
    auto it = reply.headers.find("retry-after");
    if (it == reply.headers.end()) return std::nullopt;
    std::string_view v = it->second;
    while (!v.empty() && v.front() == ' ')
        v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ')
        v.remove_suffix(1);
    std::uint32_t seconds = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec != std::errc() || end != v.data() + v.size() || v.empty()) return std::nullopt;
    return std::chrono::milliseconds(std::uint64_t(seconds) * 1000);
}

Outcome classifyHttpReply(const HttpReply& reply) {
    auto status = reply.status;
    if (status >= 200 && status < 300) return Outcome::delivered();
    auto why = "HTTP " + std::to_string(status) + (reply.body.empty() ? "" : ": " + snippet(reply.body));
    if (status == 429) return Outcome::retry(why, retryAfterHeader(reply));
    if (status == 408 || status == 425 || status >= 500) return Outcome::retry(why, retryAfterHeader(reply));
    return Outcome::drop(why);
}

class HttpTransport::Impl : public std::enable_shared_from_this<HttpTransport::Impl> {
public:
    Impl(jm::sdk::Executor executor, WebhookUrl url, std::shared_ptr<ssl::context> tls,
         std::chrono::milliseconds timeout, ReplyClassifier classify) :
        m_executor(executor),
        m_url(std::move(url)), m_tls(std::move(tls)), m_timeout(timeout), m_classify(std::move(classify)),
        m_resolver(executor) {}

    void send(const Outgoing& message, std::function<void(Outcome)> done) {
        m_cancelled = false;
        m_done = std::move(done);
        m_request = {};
        m_request.method_string(message.method);
        m_request.target(message.target);
        m_request.version(11);
        bool default_port = m_url.port == (m_url.tls ? "443" : "80");
        m_request.set(http::field::host, m_url.host.find(':') != std::string::npos
                                             ? "[" + m_url.host + "]" + (default_port ? "" : ":" + m_url.port)
                                             : m_url.host + (default_port ? "" : ":" + m_url.port));
        m_request.set(http::field::user_agent, "jmnode/" JMNODE_NOTIFY_VERSION);
        if (!message.body.empty() || message.method != "GET")
            m_request.set(http::field::content_type, message.content_type);
        m_request.keep_alive(true);
        for (const auto& [name, value] : message.headers)
            m_request.set(name, value);
        m_request.body() = message.body;
        m_request.prepare_payload();
        m_freshRetried = false;
        if (m_connected) {
            m_reused = true;
            write();
        } else {
            connect();
        }
    }

    void cancel() {
        m_cancelled = true;
        m_done = nullptr;
        m_resolver.cancel();
        closeConnection();
    }

private:
    template <class F> void withStream(F&& f) {
        if (m_secure)
            f(*m_secure);
        else
            f(*m_plain);
    }
    beast::tcp_stream& lowest() { return m_secure ? beast::get_lowest_layer(*m_secure) : *m_plain; }

    void connect() {
        m_reused = false;
        m_resolver.async_resolve(
            m_url.host, m_url.port, [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                if (self->m_cancelled) return;
                if (ec) return self->finish(Outcome::retry("cannot resolve " + self->m_url.host + ": " + ec.message()));
                self->m_plain.reset();
                self->m_secure.reset();
                if (self->m_url.tls)
                    self->m_secure.emplace(beast::tcp_stream(self->m_executor), *self->m_tls);
                else
                    self->m_plain.emplace(self->m_executor);
                self->lowest().expires_after(self->m_timeout);
                self->lowest().async_connect(r, [self](beast::error_code ec, const tcp::endpoint&) {
                    if (self->m_cancelled) return;
                    if (ec)
                        return self->finish(
                            Outcome::retry("cannot connect to " + self->m_url.host + ": " + ec.message()));
                    if (self->m_secure) return self->handshake();
                    self->m_connected = true;
                    self->write();
                });
            });
    }

    void handshake() {
        auto* native = m_secure->native_handle();
        boost::system::error_code ec;
        boost::asio::ip::make_address(m_url.host, ec);
        bool is_ip = !ec;
        // SNI carries names only (RFC 6066 section 3), never address literals.
        if (!is_ip && !SSL_set_tlsext_host_name(native, m_url.host.c_str()))
            return finish(Outcome::retry("TLS: cannot set the server name"));
        m_secure->set_verify_mode(ssl::verify_peer);
        m_secure->set_verify_callback(ssl::host_name_verification(m_url.host));
        lowest().expires_after(m_timeout);
        m_secure->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
            if (self->m_cancelled) return;
            if (ec) {
                auto why = "TLS handshake with " + self->m_url.host + " failed: " + ec.message();
                long verify = SSL_get_verify_result(self->m_secure->native_handle());
                // Our host name check rejects without an OpenSSL error code of its own.
                if (verify == X509_V_ERR_UNSPECIFIED)
                    why += " (certificate: not issued for " + self->m_url.host + ")";
                else if (verify != X509_V_OK)
                    why += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
                return self->finish(Outcome::retry(why));
            }
            self->m_connected = true;
            self->write();
        });
    }

    void write() {
        lowest().expires_after(m_timeout);
        withStream([&](auto& stream) {
            http::async_write(stream, m_request, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (self->m_cancelled) return;
                if (ec) return self->failed("sending failed: " + ec.message());
                self->read();
            });
        });
    }

    void read() {
        m_parser.emplace();
        m_parser->body_limit(64 * 1024);
        withStream([&](auto& stream) {
            http::async_read(stream, m_buffer, *m_parser,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (self->m_cancelled) return;
                                 if (ec) return self->failed("no answer: " + ec.message());
                                 self->onResponse();
                             });
        });
    }

    // A failure before any answer: on a reused connection the server may just have closed it
    // while idle, so one fresh connection is tried before the failure counts.
    void failed(const std::string& why) {
        closeConnection();
        if (m_reused && !m_freshRetried) {
            m_freshRetried = true;
            return connect();
        }
        finish(Outcome::retry(why));
    }

    void onResponse() {
        auto& response = m_parser->get();
        HttpReply reply;
        reply.status = static_cast<int>(response.result_int());
        for (const auto& field : response) {
            std::string name(field.name_string());
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            reply.headers[name] = std::string(field.value());
        }
        reply.body = std::move(response.body());
        if (!response.keep_alive()) closeConnection();
        Outcome outcome;
        try {
            outcome = m_classify ? m_classify(reply) : classifyHttpReply(reply);
        } catch (const std::exception& e) {
            outcome = Outcome::drop(std::string("unreadable answer: ") + e.what());
        }
        finish(std::move(outcome));
    }

    void finish(Outcome outcome) {
        if (outcome.kind != Outcome::Kind::Delivered && outcome.kind != Outcome::Kind::Drop) closeConnection();
        auto done = std::move(m_done);
        m_done = nullptr;
        if (done) done(std::move(outcome));
    }

    void closeConnection() {
        beast::error_code ec;
        if (m_plain || m_secure) {
            lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
            lowest().close();
        }
        m_connected = false;
        m_buffer.clear();
    }

    jm::sdk::Executor m_executor;
    WebhookUrl m_url;
    std::shared_ptr<ssl::context> m_tls;
    std::chrono::milliseconds m_timeout;
    ReplyClassifier m_classify;
    tcp::resolver m_resolver;
    std::optional<beast::tcp_stream> m_plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> m_secure;
    beast::flat_buffer m_buffer;
    http::request<http::string_body> m_request;
    std::optional<http::response_parser<http::string_body>> m_parser;
    std::function<void(Outcome)> m_done;
    bool m_connected = false;
    bool m_reused = false;
    bool m_freshRetried = false;
    bool m_cancelled = false;
};

HttpTransport::HttpTransport(jm::sdk::Executor executor, WebhookUrl url, std::shared_ptr<ssl::context> tls,
                             std::chrono::milliseconds timeout, ReplyClassifier classify) :
    m_impl(std::make_shared<Impl>(std::move(executor), std::move(url), std::move(tls), timeout, std::move(classify))) {}

HttpTransport::~HttpTransport() { m_impl->cancel(); }

void HttpTransport::send(const Outgoing& message, std::function<void(Outcome)> done) {
    m_impl->send(message, std::move(done));
}
void HttpTransport::cancel() { m_impl->cancel(); }

} // namespace jm::plugins::notify
