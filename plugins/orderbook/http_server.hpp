#pragma once

#include "http_routes.hpp"

#include <jm/sdk/executor.hpp>
#include <jm/sdk/log.hpp>
#include <jm/sdk/result.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace jm::plugins::orderbook {

//! Limits that keep hostile clients from holding the server.
struct HttpLimits {
    std::size_t max_header_bytes = 8 * 1024;           //!< request line and headers; more: 431
    std::size_t max_body_bytes = 0;                    //!< GET and HEAD carry none; more: 413
    std::chrono::milliseconds request_timeout{10'000}; //!< a whole request must arrive in this (slowloris)
    std::size_t max_connections = 32;                  //!< at more, the one waiting longest on its client is closed
};

//! A small HTTP/1.1 server (Boost.Beast): each connection reads requests (keep-alive) under the
//! limits and answers each with `handler`. Malformed requests get 400 (431 for headers too
//! large, 413 for a body) and the connection is closed; a request that does not arrive whole in
//! time is dropped. At max_connections a newcomer is still served: the connection that has waited
//! longest on its client (idle, slow or not reading its replies) is closed instead. Nothing a
//! client sends stops the server.
//! Executor: create, stop and the handler run on `executor` (the watcher's strand).
//! Ownership: shared; connections keep it alive until they end.
class HttpServer : public std::enable_shared_from_this<HttpServer> {
public:
    using Handler = std::function<HttpReply(const HttpRequestInfo&)>;

    //! Binds and listens. Errors: errc::unavailable when the address cannot be bound.
    static jm::sdk::Result<std::shared_ptr<HttpServer>> start(jm::sdk::Executor executor, const std::string& host,
                                                              std::uint16_t port, HttpLimits limits, Handler handler,
                                                              jm::sdk::Logger& logger);
    //! Stops accepting and closes every connection.
    void stop();
    std::uint16_t port() const { return m_port; }
    std::size_t connections() const { return *m_connections; }

private:
    HttpServer(jm::sdk::Executor executor, HttpLimits limits, Handler handler, jm::sdk::Logger& logger);
    void accept();
    //! Closes the connection that has waited longest on its client.
    void evictOldest();

    jm::sdk::Executor m_executor;
    boost::asio::ip::tcp::acceptor m_acceptor;
    HttpLimits m_limits;
    Handler m_handler;
    jm::sdk::Logger* m_logger;
    std::uint16_t m_port = 0;
    std::shared_ptr<std::size_t> m_connections = std::make_shared<std::size_t>(0);
    std::shared_ptr<bool> m_stopped = std::make_shared<bool>(false);
    //! Open connections, closed by stop().
    std::map<std::uint64_t, std::weak_ptr<void>> m_open;
    std::uint64_t m_nextId = 0;
    friend class HttpSession;
};

//! The answer the server gives to `bytes` received as one request: parsed with the same parser
//! settings and limits as a connection (a request cut short is a malformed one here), then the
//! handler's reply or the error reply. For the fuzz target and tests. Executor: any.
HttpReply answerBytes(std::string_view bytes, const HttpLimits& limits, const HttpServer::Handler& handler);

} // namespace jm::plugins::orderbook
