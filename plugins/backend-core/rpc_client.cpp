#include "rpc_client.hpp"

#include <jm/bitcoin/encoding.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>

namespace jm::plugins::backend_core {

using jm::sdk::errc;
using jm::sdk::fail;
namespace http = boost::beast::http;

namespace {
constexpr std::size_t MAX_RESPONSE = 256 * 1024 * 1024; // listtransactions of a big wallet
} // namespace

RpcClient::RpcClient(jm::sdk::Executor ex, RpcSettings settings) :
    m_ex(std::move(ex)), m_settings(std::move(settings)),
    m_retryTimer(std::make_unique<boost::asio::steady_timer>(m_ex)) {}

jm::sdk::Result<std::string> RpcClient::authorization() const {
    std::string credentials;
    if (!m_settings.user.empty()) {
        credentials = m_settings.user + ":" + m_settings.password;
    } else {
        std::ifstream in(m_settings.cookie_file);
        if (!in || !std::getline(in, credentials) || credentials.find(':') == std::string::npos)
            return fail(errc::permission_denied, "cannot read the RPC cookie file " + m_settings.cookie_file.string() +
                                                     " (is bitcoind running with this datadir and network?)");
    }
    return "Basic " + jm::bitcoin::toBase64(jm::bitcoin::asBytes(credentials));
}

void RpcClient::call(std::string method, boost::json::array params, std::string wallet, RpcCallback done,
                     std::optional<std::chrono::milliseconds> timeout, bool resend) {
    m_queue.push_back({std::move(method), std::move(params), std::move(wallet), std::move(done),
                       timeout.value_or(m_settings.timeout), resend});
    if (!m_busy) next();
}

void RpcClient::close() {
    if (m_stream) {
        boost::system::error_code ec;
        m_stream->socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        m_stream->close();
    }
    m_connected = false;
    m_retryTimer->cancel();
}

void RpcClient::next() {
    if (m_queue.empty()) {
        m_busy = false;
        return;
    }
    m_busy = true;
    auto auth = authorization();
    if (!auth) return complete(RpcFailure{auth.error(), std::nullopt});
    const auto& p = m_queue.front();
    m_request = {};
    m_request.method(http::verb::post);
    m_request.target(p.wallet.empty() ? "/" : "/wallet/" + p.wallet);
    m_request.version(11);
    m_request.set(http::field::host, m_settings.host);
    m_request.set(http::field::authorization, *auth);
    m_request.set(http::field::content_type, "application/json");
    m_request.keep_alive(true);
    boost::json::object body{{"jsonrpc", "1.0"}, {"id", ++m_id}, {"method", p.method}, {"params", p.params}};
    m_request.body() = boost::json::serialize(body);
    m_request.prepare_payload();
    if (m_connected) return send();
    m_stream = std::make_unique<boost::beast::tcp_stream>(m_ex);
    m_stream->expires_after(p.timeout);
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(m_settings.host, ec);
    if (ec) return complete(RpcFailure{jm::sdk::Error(errc::invalid_config, "rpc host must be an IP address"), {}});
    m_stream->async_connect(boost::asio::ip::tcp::endpoint(address, m_settings.port),
                            [self = shared_from_this()](boost::system::error_code cec) {
                                if (cec) {
                                    return self->retryOrFail(jm::sdk::Error(
                                        errc::unavailable, "Bitcoin Core is unreachable at " + self->m_settings.host +
                                                               ":" + std::to_string(self->m_settings.port) + ": " +
                                                               cec.message()));
                                }
                                self->m_connected = true;
                                self->send();
                            });
}

void RpcClient::send() {
    m_stream->expires_after(m_queue.front().timeout);
    m_queue.front().sent = true;
    http::async_write(*m_stream, m_request, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (ec) return self->onResponse(ec);
        self->m_response = {};
        self->m_buffer.clear();
        auto parser = std::make_shared<http::response_parser<http::string_body>>();
        parser->body_limit(MAX_RESPONSE);
        http::async_read(*self->m_stream, self->m_buffer, *parser,
                         [self, parser](boost::system::error_code rec, std::size_t) {
                             if (!rec) self->m_response = parser->release();
                             self->onResponse(rec);
                         });
    });
}

void RpcClient::retryOrFail(jm::sdk::Error error) {
    close();
    auto& p = m_queue.front();
    if (p.attempt >= m_settings.retries || (p.sent && !p.resend))
        return complete(RpcFailure{std::move(error), std::nullopt});
    auto delay = m_settings.retry_delay * (1 << std::min(p.attempt, 10));
    ++p.attempt;
    m_retryTimer->expires_after(delay);
    m_retryTimer->async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->next();
    });
}

void RpcClient::onResponse(boost::system::error_code ec) {
    if (ec == boost::beast::error::timeout)
        return retryOrFail(
            jm::sdk::Error(errc::unavailable, "Bitcoin Core did not answer " + m_queue.front().method + " within " +
                                                  std::to_string(m_queue.front().timeout.count()) + " ms"));
    if (ec) {
        // A kept-alive connection the node closed meanwhile: reconnect and resend.
        return retryOrFail(jm::sdk::Error(errc::unavailable, "connection to Bitcoin Core lost: " + ec.message()));
    }
    if (!m_response.keep_alive()) close();
    complete(parseRpcReply(m_response.result_int(), m_response.body()));
}

void RpcClient::complete(RpcResult result) {
    auto done = std::move(m_queue.front().done);
    m_queue.pop_front();
    // Never inline in call(); new calls stay queued until this completion ran.
    boost::asio::post(m_ex, [self = shared_from_this(), done = std::move(done), result = std::move(result)]() mutable {
        self->m_busy = false;
        done(std::move(result));
        if (!self->m_busy) self->next();
    });
    m_busy = true;
}

RpcResult parseRpcReply(unsigned status, std::string_view body) {
    if (status == 401)
        return RpcFailure{jm::sdk::Error(errc::permission_denied, "Bitcoin Core refused the RPC credentials (check "
                                                                  "rpc_user/rpc_password or rpc_cookie)"),
                          std::nullopt};
    if (status == 403)
        return RpcFailure{jm::sdk::Error(errc::permission_denied, "Bitcoin Core forbids this client (rpcallowip)"),
                          std::nullopt};
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.max_depth = 64;
    auto reply = boost::json::parse(body, ec, {}, options);
    auto* obj = reply.if_object();
    if (ec || !obj)
        return RpcFailure{
            jm::sdk::Error(errc::protocol_error, "not a JSON-RPC answer (HTTP " + std::to_string(status) + ")"),
            std::nullopt};
    auto* error = obj->if_contains("error");
    if (error && !error->is_null()) {
        int code = 0;
        std::string message = "unknown error";
        if (auto* e = error->if_object()) {
            if (auto* c = e->if_contains("code");
                c && c->is_int64() && c->as_int64() >= INT32_MIN && c->as_int64() <= INT32_MAX)
                code = static_cast<int>(c->as_int64());
            if (auto* m = e->if_contains("message"); m && m->is_string())
                message = std::string(m->as_string()).substr(0, 500);
        }
        return RpcFailure{jm::sdk::Error(errc::rejected, message), code};
    }
    auto* result = obj->if_contains("result");
    if (!result) return RpcFailure{jm::sdk::Error(errc::protocol_error, "JSON-RPC answer without result"), {}};
    return std::move(*result);
}

jm::sdk::Error toBackendError(const RpcFailure& failure, std::string_view method) {
    if (!failure.rpc_code) return failure.error;
    auto code = *failure.rpc_code;
    auto text = failure.error.message + " (" + std::string(method) + ", code " + std::to_string(code) + ")";
    switch (code) {
    case -32601:
        return jm::sdk::Error(errc::unsupported, "Bitcoin Core has no RPC method " + std::string(method) +
                                                     " (too old, or built without the wallet?)");
    case -28:
        return jm::sdk::Error(errc::unavailable, "Bitcoin Core is starting: " + text);
    case -25:
    case -26:
    case -27:
        return jm::sdk::Error(errc::rejected, "Bitcoin Core rejected the transaction: " + text);
    case -5:
    case -18:
        return jm::sdk::Error(errc::not_found, text);
    default:
        return jm::sdk::Error(errc::rejected, text);
    }
}

} // namespace jm::plugins::backend_core
