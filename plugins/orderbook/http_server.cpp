#include "http_server.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>

namespace jm::plugins::orderbook {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {

void configure(http::request_parser<http::empty_body>& parser, const HttpLimits& limits) {
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser.body_limit(limits.max_body_bytes);
}

//! The reply to a request that could not be read.
HttpReply errorReply(beast::error_code ec) {
    HttpReply reply;
    reply.status = 400;
    std::string why = "malformed request";
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        reply.status = 431;
        why = "request headers too large";
    } else if (ec == http::error::body_limit) {
        reply.status = 413;
        why = "request body not accepted";
    }
    reply.body = why + "\n";
    reply.cache_control = "no-store";
    return reply;
}

HttpReply answer(const http::request<http::empty_body>& req, const HttpServer::Handler& handler) {
    auto if_none_match = req[http::field::if_none_match];
    HttpRequestInfo info{std::string_view(req.method_string().data(), req.method_string().size()),
                         std::string_view(req.target().data(), req.target().size()),
                         std::string_view(if_none_match.data(), if_none_match.size())};
    return handler(info);
}

} // namespace

HttpReply answerBytes(std::string_view bytes, const HttpLimits& limits, const HttpServer::Handler& handler) {
    http::request_parser<http::empty_body> parser;
    configure(parser, limits);
    parser.eager(true);
    beast::error_code ec;
    while (!ec && !parser.is_done() && !bytes.empty()) {
        auto used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
        if (ec == http::error::need_more) ec = {};
        if (used == 0) break;
        bytes.remove_prefix(used);
    }
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (!ec && !parser.is_done()) ec = http::error::partial_message;
    if (ec) return errorReply(ec);
    return answer(parser.get(), handler);
}

//! One client connection: requests in order, each within the limits and the deadline.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(std::shared_ptr<HttpServer> server, tcp::socket socket, std::uint64_t id) :
        m_server(std::move(server)), m_stream(std::move(socket)), m_id(id),
        // Room for the headers and a little pipelining; a larger backlog is an error.
        m_buffer(m_server->m_limits.max_header_bytes + 4096) {
        ++*m_server->m_connections;
    }
    ~HttpSession() { close(); }
    void run() { read(); }
    //! Closes the socket at once (its descriptor is free again) and leaves the server's count.
    void close() {
        if (m_closed) return;
        m_closed = true;
        --*m_server->m_connections;
        m_server->m_open.erase(m_id);
        beast::error_code ec;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        m_stream.close();
    }
    //! Since when this connection waits on its client (for a request, or to take a reply).
    std::chrono::steady_clock::time_point waitingSince() const { return m_since; }

private:
    void read() {
        const auto& limits = m_server->m_limits;
        m_parser.emplace();
        configure(*m_parser, limits);
        // One deadline for the whole request: a client trickling bytes is cut off all the same.
        m_stream.expires_after(limits.request_timeout);
        m_since = std::chrono::steady_clock::now();
        http::async_read(m_stream, m_buffer, *m_parser,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(beast::error_code ec) {
        if (*m_server->m_stopped) return;
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == boost::asio::error::operation_aborted || ec == boost::asio::error::connection_reset ||
            ec == boost::asio::error::eof)
            return close();
        if (ec) return send(errorReply(ec), true, false, 11);
        const auto& req = m_parser->get();
        send(answer(req, m_server->m_handler), !req.keep_alive(), req.method() == http::verb::head, req.version());
    }

    void send(HttpReply reply, bool close_after, bool head, unsigned version) {
        auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(reply.status),
                                                                       version == 10 ? 10 : 11);
        res->set(http::field::server, "jmnode");
        res->set(http::field::content_type, reply.content_type);
        if (!reply.etag.empty()) res->set(http::field::etag, reply.etag);
        if (!reply.cache_control.empty()) res->set(http::field::cache_control, reply.cache_control);
        for (const auto& [name, value] : reply.headers)
            res->set(name, value);
        res->keep_alive(!close_after);
        auto size = reply.body.size();
        if (!head) res->body() = std::move(reply.body);
        res->prepare_payload();
        if (head && reply.status != 304) res->content_length(size);
        m_stream.expires_after(m_server->m_limits.request_timeout);
        m_since = std::chrono::steady_clock::now();
        http::async_write(m_stream, *res,
                          [self = shared_from_this(), res, close_after](beast::error_code ec, std::size_t) {
                              if (ec || close_after || *self->m_server->m_stopped) return self->close();
                              self->read();
                          });
    }

    std::shared_ptr<HttpServer> m_server;
    beast::tcp_stream m_stream;
    std::uint64_t m_id;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::empty_body>> m_parser;
    std::chrono::steady_clock::time_point m_since = std::chrono::steady_clock::now();
    bool m_closed = false;
};

HttpServer::HttpServer(jm::sdk::Executor executor, HttpLimits limits, Handler handler, jm::sdk::Logger& logger) :
    m_executor(executor), m_acceptor(executor), m_limits(limits), m_handler(std::move(handler)), m_logger(&logger) {}

jm::sdk::Result<std::shared_ptr<HttpServer>> HttpServer::start(jm::sdk::Executor executor, const std::string& host,
                                                               std::uint16_t port, HttpLimits limits, Handler handler,
                                                               jm::sdk::Logger& logger) {
    std::shared_ptr<HttpServer> server(new HttpServer(executor, limits, std::move(handler), logger));
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(host, ec);
    if (ec) return jm::sdk::fail(jm::sdk::errc::invalid_config, "http_host '" + host + "' is not an IP address");
    tcp::endpoint endpoint(address, port);
    auto& a = server->m_acceptor;
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (!ec) server->m_port = a.local_endpoint(ec).port();
    if (ec)
        return jm::sdk::fail(jm::sdk::errc::unavailable,
                             "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    server->accept();
    return server;
}

void HttpServer::accept() {
    m_acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (*self->m_stopped) return;
        if (ec) {
            if (ec == boost::asio::error::operation_aborted) return;
            // Out of descriptors, most likely: try again shortly instead of spinning.
            auto timer = std::make_shared<boost::asio::steady_timer>(self->m_executor, std::chrono::milliseconds(100));
            timer->async_wait([self, timer](boost::system::error_code) {
                if (!*self->m_stopped) self->accept();
            });
            return;
        }
        // At the limit the connection that has waited longest on its client goes, not the
        // newcomer: idle keep-alive or slow connections must not lock honest clients out.
        if (*self->m_connections >= self->m_limits.max_connections) self->evictOldest();
        auto id = ++self->m_nextId;
        auto session = std::make_shared<HttpSession>(self, std::move(socket), id);
        self->m_open[id] = session;
        session->run();
        self->accept();
    });
}

void HttpServer::evictOldest() {
    std::shared_ptr<HttpSession> oldest;
    for (auto& [id, weak] : m_open)
        if (auto s = std::static_pointer_cast<HttpSession>(weak.lock()))
            if (!oldest || s->waitingSince() < oldest->waitingSince()) oldest = s;
    if (oldest) oldest->close();
}

void HttpServer::stop() {
    if (*m_stopped) return;
    *m_stopped = true;
    boost::system::error_code ec;
    m_acceptor.close(ec);
    auto open = m_open;
    for (auto& [id, weak] : open)
        if (auto s = weak.lock()) std::static_pointer_cast<HttpSession>(s)->close();
}

} // namespace jm::plugins::orderbook
