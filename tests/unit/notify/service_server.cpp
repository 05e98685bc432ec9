#include "service_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <thread>

namespace jm::test {

namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

struct ServiceServer::Impl {
    boost::asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::optional<ssl::context> tls;
    Responder responder;
    std::thread accept_thread;
    std::atomic<bool> stopping{false};
    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::vector<Request> requests;
    std::size_t failed_handshakes = 0;
    std::vector<std::thread> connections;
    std::vector<std::shared_ptr<tcp::socket>> sockets;

    template <class Stream> void serve(Stream& stream, const std::string& sni) {
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            boost::system::error_code ec;
            http::read(stream, buffer, req, ec);
            if (ec) return;
            Request r{std::string(req.method_string()), std::string(req.target()), {}, req.body(), sni,
                      std::chrono::steady_clock::now()};
            for (const auto& field : req) {
                std::string name(field.name_string());
                std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
                r.headers[name] = std::string(field.value());
            }
            Response out = responder(r);
            {
                std::lock_guard lock(mutex);
                requests.push_back(r);
                changed.notify_all();
            }
            http::response<http::string_body> res;
            res.version(11);
            res.keep_alive(req.keep_alive());
            res.result(static_cast<http::status>(out.status));
            res.set(http::field::content_type, out.content_type);
            for (const auto& [k, v] : out.headers)
                res.set(k, v);
            res.body() = out.body;
            res.prepare_payload();
            http::write(stream, res, ec);
            if (ec || !req.keep_alive()) return;
        }
    }

    void connection(std::shared_ptr<tcp::socket> socket) {
        if (!tls) return serve(*socket, "");
        ssl::stream<tcp::socket&> stream(*socket, *tls);
        boost::system::error_code ec;
        stream.handshake(ssl::stream_base::server, ec);
        if (ec) {
            std::lock_guard lock(mutex);
            ++failed_handshakes;
            changed.notify_all();
            return;
        }
        const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
        serve(stream, name ? name : "");
    }
};

ServiceServer::ServiceServer(Responder responder, std::optional<Tls> tls) : m_impl(std::make_shared<Impl>()) {
    m_impl->responder = std::move(responder);
    if (tls) {
        m_impl->tls.emplace(ssl::context::tls_server);
        m_impl->tls->use_certificate_chain_file(tls->cert.string());
        m_impl->tls->use_private_key_file(tls->key.string(), ssl::context::pem);
    }
    tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
    m_impl->acceptor.open(endpoint.protocol());
    m_impl->acceptor.set_option(tcp::acceptor::reuse_address(true));
    m_impl->acceptor.bind(endpoint);
    m_impl->acceptor.listen();
    m_port = m_impl->acceptor.local_endpoint().port();
    m_impl->accept_thread = std::thread([impl = m_impl.get()] {
        while (!impl->stopping) {
            auto socket = std::make_shared<tcp::socket>(impl->ioc);
            boost::system::error_code ec;
            impl->acceptor.accept(*socket, ec);
            if (impl->stopping) return;
            if (ec) continue;
            std::lock_guard lock(impl->mutex);
            impl->sockets.push_back(socket);
            impl->connections.emplace_back([impl, socket] { impl->connection(socket); });
        }
    });
}

ServiceServer::~ServiceServer() {
    m_impl->stopping = true;
    boost::system::error_code ec;
    {
        tcp::socket wake(m_impl->ioc); // a blocking accept() is not woken by close()
        wake.connect({boost::asio::ip::make_address("127.0.0.1"), m_port}, ec);
    }
    m_impl->accept_thread.join();
    m_impl->acceptor.close(ec);
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(m_impl->mutex);
        for (auto& s : m_impl->sockets)
            s->shutdown(tcp::socket::shutdown_both, ec);
        threads.swap(m_impl->connections);
    }
    for (auto& t : threads)
        t.join();
}

std::string ServiceServer::base() const {
    return (m_impl->tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(m_port);
}

std::vector<ServiceServer::Request> ServiceServer::requests() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->requests;
}

bool ServiceServer::waitForRequests(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_impl->mutex);
    return m_impl->changed.wait_for(lock, timeout, [&] { return m_impl->requests.size() >= n; });
}

std::size_t ServiceServer::failedHandshakes() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->failed_handshakes;
}

} // namespace jm::test
