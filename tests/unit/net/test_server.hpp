#pragma once
// A scripted TCP server on loopback for protocol clients: each accepted connection runs the
// script coroutine on the test's io_context.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace jm::test {

using Script = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket&)>;

class ScriptedServer {
public:
    ScriptedServer(boost::asio::io_context& context, Script script) :
        m_acceptor(context, {boost::asio::ip::make_address("127.0.0.1"), 0}), m_script(std::move(script)) {
        boost::asio::co_spawn(context, acceptLoop(), boost::asio::detached);
    }
    std::uint16_t port() const { return m_acceptor.local_endpoint().port(); }
    void close() {
        boost::system::error_code ec;
        m_acceptor.close(ec);
    }
    int accepted = 0;

private:
    boost::asio::awaitable<void> acceptLoop() {
        for (;;) {
            boost::system::error_code ec;
            auto socket = co_await m_acceptor.async_accept(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            if (ec) co_return;
            ++accepted;
            boost::asio::co_spawn(m_acceptor.get_executor(), serve(std::move(socket), m_script), boost::asio::detached);
        }
    }
    static boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, Script script) {
        try {
            co_await script(socket);
        } catch (const std::exception&) {
            // the client went away: fine for a test server
        }
    }
    boost::asio::ip::tcp::acceptor m_acceptor;
    Script m_script;
};

inline boost::asio::awaitable<std::vector<std::uint8_t>> readBytes(boost::asio::ip::tcp::socket& s, std::size_t n) {
    std::vector<std::uint8_t> out(n);
    co_await boost::asio::async_read(s, boost::asio::buffer(out), boost::asio::use_awaitable);
    co_return out;
}

inline boost::asio::awaitable<void> writeBytes(boost::asio::ip::tcp::socket& s, std::vector<std::uint8_t> bytes) {
    co_await boost::asio::async_write(s, boost::asio::buffer(bytes), boost::asio::use_awaitable);
}

inline boost::asio::awaitable<void> writeText(boost::asio::ip::tcp::socket& s, std::string text) {
    co_await boost::asio::async_write(s, boost::asio::buffer(text), boost::asio::use_awaitable);
}

//! Runs `context` until `done()` holds or 10 s pass.
inline bool runUntil(boost::asio::io_context& context, const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    context.restart();
    while (!done() && std::chrono::steady_clock::now() < deadline)
        context.run_for(std::chrono::milliseconds(20));
    return done();
}

} // namespace jm::test
