#include <util/http_test_server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <atomic>
#include <deque>

namespace jm::test {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpTestServer::Impl {
    boost::asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::thread accept_thread;
    std::atomic<bool> stopping{false};
    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::vector<Request> received;
    std::size_t attempts = 0;
    std::deque<Behaviour> plan;
    Responder responder;
    std::vector<std::thread> connections;
    std::vector<std::shared_ptr<tcp::socket>> sockets;

    Behaviour nextBehaviour() {
        std::lock_guard lock(mutex);
        ++attempts;
        if (plan.empty()) return Behaviour::Ok;
        auto b = plan.front();
        plan.pop_front();
        return b;
    }

    void serve(std::shared_ptr<tcp::socket> socket) {
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            boost::system::error_code ec;
            http::read(*socket, buffer, req, ec);
            if (ec) return;
            auto behaviour = nextBehaviour();
            if (behaviour == Behaviour::Close) {
                socket->close(ec);
                return;
            }
            if (behaviour == Behaviour::Hang) {
                // Never answer; wait until the client gives up (closes) or the server stops.
                char byte;
                socket->read_some(boost::asio::buffer(&byte, 1), ec);
                return;
            }
            http::response<http::string_body> res;
            res.version(11);
            res.keep_alive(req.keep_alive());
            if (behaviour == Behaviour::Status500) {
                res.result(http::status::internal_server_error);
                res.body() = "try later";
            } else {
                Request r{std::string(req.method_string()), std::string(req.target()), {}, req.body()};
                for (const auto& field : req) {
                    std::string name(field.name_string());
                    std::transform(name.begin(), name.end(), name.begin(),
                                   [](unsigned char c) { return std::tolower(c); });
                    r.headers[name] = std::string(field.value());
                }
                Responder answer;
                {
                    std::lock_guard lock(mutex);
                    answer = responder;
                }
                Response out = answer ? answer(r) : Response{};
                res.result(static_cast<http::status>(out.status));
                res.set(http::field::content_type, out.content_type);
                res.body() = out.body;
                std::lock_guard lock(mutex);
                received.push_back(std::move(r));
                changed.notify_all();
            }
            res.prepare_payload();
            http::write(*socket, res, ec);
            if (ec || !req.keep_alive()) return;
        }
    }
};

HttpTestServer::HttpTestServer() : m_impl(std::make_unique<Impl>()) {
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
            impl->connections.emplace_back([impl, socket] { impl->serve(socket); });
        }
    });
}

HttpTestServer::~HttpTestServer() {
    m_impl->stopping = true;
    boost::system::error_code ec;
    {
        // A blocking accept() is not woken by close() from another thread: connect once.
        tcp::socket wake(m_impl->ioc);
        wake.connect({boost::asio::ip::make_address("127.0.0.1"), m_port}, ec);
    }
    m_impl->accept_thread.join();
    m_impl->acceptor.close(ec);
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(m_impl->mutex);
        for (auto& s : m_impl->sockets) {
            s->shutdown(tcp::socket::shutdown_both, ec);
            s->close(ec);
        }
        threads.swap(m_impl->connections);
    }
    for (auto& t : threads)
        t.join();
}

std::string HttpTestServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
}

void HttpTestServer::setResponder(Responder responder) {
    std::lock_guard lock(m_impl->mutex);
    m_impl->responder = std::move(responder);
}

void HttpTestServer::misbehave(Behaviour behaviour, int count) {
    std::lock_guard lock(m_impl->mutex);
    for (int i = 0; i < count; ++i)
        m_impl->plan.push_back(behaviour);
}

std::vector<HttpTestServer::Request> HttpTestServer::received() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->received;
}

std::size_t HttpTestServer::attempts() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->attempts;
}

bool HttpTestServer::waitForReceived(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_impl->mutex);
    return m_impl->changed.wait_for(lock, timeout, [&] { return m_impl->received.size() >= n; });
}

} // namespace jm::test
