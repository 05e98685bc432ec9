#include <jm/net/stream_connector.hpp>

// GCC 12 reports a false -Wmismatched-new-delete on Asio's coroutine frames.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <memory>

namespace jm::net {

using jm::sdk::errc;
using jm::sdk::fail;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct ConnectState {
    explicit ConnectState(const asio::any_io_executor& executor) : timer(executor), resolver(executor) {}
    asio::steady_timer timer;
    tcp::resolver resolver;
    bool timed_out = false;
    bool cancelled = false;
    bool finished = false;
};

//! The whole connection as one coroutine; socket errors surface as exceptions and are mapped
//! by the caller.
asio::awaitable<jm::sdk::Result<void>> run(std::shared_ptr<ConnectState> state, tcp::socket& socket, std::string host,
                                           std::uint16_t port, std::optional<Socks5Proxy> proxy) {
    const std::string& dial_host = proxy ? proxy->host : host;
    std::uint16_t dial_port = proxy ? proxy->port : port;
    boost::system::error_code ec;
    // Named arguments only: GCC 12 mishandles temporaries inside co_await expressions.
    std::string service = std::to_string(dial_port);
    auto endpoints =
        co_await state->resolver.async_resolve(dial_host, service, asio::redirect_error(asio::use_awaitable, ec));
    // A timeout or cancel during the lookup must not let async_connect reopen the socket.
    if (state->timed_out || state->cancelled) co_return fail(errc::cancelled, "cancelled");
    if (ec) co_return fail(errc::unavailable, "cannot resolve " + dial_host + ": " + ec.message());
    co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        co_return fail(errc::unavailable, (proxy ? "cannot connect to the SOCKS5 proxy " : "cannot connect to ") +
                                              dial_host + ":" + std::to_string(dial_port) + ": " + ec.message());
    socket.set_option(tcp::no_delay(true), ec);
    if (!proxy) co_return jm::sdk::Result<void>{};

    const bool with_auth = !proxy->username.empty();
    auto request = socks5ConnectRequest(host, port);
    if (!request) co_return request.error();
    std::vector<std::uint8_t> auth;
    if (with_auth) {
        auto a = socks5AuthRequest(proxy->username, proxy->password);
        if (!a) co_return a.error();
        auth = std::move(*a);
    }
    auto greeting = socks5Greeting(with_auth);
    co_await asio::async_write(socket, asio::buffer(greeting), asio::use_awaitable);
    std::array<std::uint8_t, 2> two{};
    co_await asio::async_read(socket, asio::buffer(two), asio::use_awaitable);
    if (auto r = parseSocks5MethodReply(two, with_auth); !r) co_return r.error();
    if (with_auth) {
        co_await asio::async_write(socket, asio::buffer(auth), asio::use_awaitable);
        co_await asio::async_read(socket, asio::buffer(two), asio::use_awaitable);
        if (auto r = parseSocks5AuthReply(two); !r) co_return r.error();
    }
    co_await asio::async_write(socket, asio::buffer(*request), asio::use_awaitable);
    std::vector<std::uint8_t> reply;
    for (;;) {
        auto needs = socks5ConnectReplyNeeds(reply);
        if (!needs) co_return needs.error();
        if (*needs == 0) break;
        std::size_t have = reply.size();
        reply.resize(*needs);
        co_await asio::async_read(socket, asio::buffer(reply.data() + have, *needs - have), asio::use_awaitable);
    }
    co_return jm::sdk::Result<void>{};
}

} // namespace

std::function<void()> asyncConnectStream(tcp::socket& socket, std::string host, std::uint16_t port,
                                         std::optional<Socks5Proxy> proxy, std::chrono::milliseconds timeout,
                                         std::function<void(jm::sdk::Result<void>)> done) {
    auto state = std::make_shared<ConnectState>(socket.get_executor());
    state->timer.expires_after(timeout);
    // The timer closes the socket, which fails whatever the coroutine waits on.
    state->timer.async_wait([state, &socket](boost::system::error_code ec) {
        // `finished`: the timer expired in the same turn as the connection completed, so its
        // handler was already queued when cancel() ran; the socket may be gone by now.
        if (ec || state->finished) return;
        state->timed_out = true;
        state->resolver.cancel();
        boost::system::error_code ignored;
        socket.close(ignored);
    });
    const bool via_proxy = proxy.has_value();
    std::string where = host + ":" + std::to_string(port);
    asio::co_spawn(
        socket.get_executor(), run(state, socket, std::move(host), port, std::move(proxy)),
        [state, done = std::move(done), where, via_proxy, timeout](std::exception_ptr e, jm::sdk::Result<void> result) {
            state->finished = true;
            state->timer.cancel();
            if (state->cancelled) return done(fail(errc::cancelled, "connecting to " + where + " was cancelled"));
            if (state->timed_out) {
                return done(fail(errc::timeout, "connecting to " + where + (via_proxy ? " through SOCKS5" : "") +
                                                    " took over " + std::to_string(timeout.count()) + " ms"));
            }
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const boost::system::system_error& error) {
                    if (error.code() == asio::error::operation_aborted || error.code() == asio::error::bad_descriptor)
                        return done(fail(errc::cancelled, "connecting to " + where + " was cancelled"));
                    return done(
                        fail(errc::unavailable,
                             std::string("SOCKS5 proxy connection failed: ") +
                                 (error.code() == asio::error::eof ? "closed by the proxy" : error.code().message())));
                } catch (const std::exception& error) {
                    return done(fail(errc::internal, error.what()));
                }
            }
            done(std::move(result));
        });
    return [state, &socket] {
        if (state->finished || state->cancelled) return;
        state->cancelled = true;
        state->timer.cancel();
        state->resolver.cancel();
        boost::system::error_code ignored;
        socket.close(ignored);
    };
}

} // namespace jm::net
