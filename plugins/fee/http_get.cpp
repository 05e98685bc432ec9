#include "http_get.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>

#include <optional>

namespace jm::plugins::fee {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<HttpEndpoint> parseHttpEndpoint(std::string_view text) {
    auto bad = [&](const std::string& why) {
        return fail(errc::invalid_config, "url '" + std::string(text) + "': " + why);
    };
    auto url = boost::urls::parse_absolute_uri(text);
    if (!url) return bad(url.error().message());
    HttpEndpoint e;
    auto scheme = url->scheme();
    if (scheme == "https")
        e.tls = true;
    else if (scheme != "http")
        return bad("must start with https:// or http://");
    if (!url->has_authority() || url->encoded_host().empty()) return bad("no host");
    if (url->has_userinfo()) return bad("user info in the URL is not supported");
    if (url->has_query() || url->has_fragment()) return bad("a query or fragment is not supported");
    e.host = url->host_address(); // IPv6 without brackets, names and IPv4 as written
    e.port = url->has_port() ? std::string(url->port()) : (e.tls ? "443" : "80");
    if (url->has_port() && (url->port_number() == 0)) return bad("invalid port");
    e.base_path = std::string(url->encoded_path());
    while (!e.base_path.empty() && e.base_path.back() == '/')
        e.base_path.pop_back();
    for (unsigned char c : e.base_path)
        if (c <= ' ' || c == 0x7f) return bad("the path contains spaces or control characters");
    return e;
}

jm::sdk::Result<std::shared_ptr<ssl::context>> makeTlsClientContext(const std::string& ca_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (!ca_file.empty()) {
        ctx->load_verify_file(ca_file, ec);
        if (ec) return fail(errc::invalid_config, "ca_file " + ca_file + ": " + ec.message());
    } else {
        ctx->set_default_verify_paths(ec);
        if (ec) return fail(errc::io_error, "the system's certificate store: " + ec.message());
    }
    return ctx;
}

namespace {

class GetSession : public std::enable_shared_from_this<GetSession> {
public:
    GetSession(jm::sdk::Executor ex, HttpEndpoint endpoint, std::string path, std::shared_ptr<ssl::context> tls,
               std::chrono::milliseconds timeout, std::size_t max_body,
               std::function<void(jm::sdk::Result<HttpGetReply>)> done) :
        m_ex(ex),
        m_endpoint(std::move(endpoint)), m_path(std::move(path)), m_tls(std::move(tls)), m_timeout(timeout),
        m_maxBody(max_body), m_done(std::move(done)), m_resolver(ex), m_deadline(ex) {}

    void run() {
        // One deadline for the whole exchange: a server that trickles bytes cannot hold us.
        m_deadline.expires_after(m_timeout);
        m_deadline.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return;
            self->finish(fail(errc::timeout, "no complete answer from " + self->m_endpoint.host + " within " +
                                                 std::to_string(self->m_timeout.count()) + " ms"));
        });
        m_resolver.async_resolve(
            m_endpoint.host, m_endpoint.port,
            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                if (self->m_finished) return;
                if (ec)
                    return self->finish(
                        fail(errc::unavailable, "cannot resolve " + self->m_endpoint.host + ": " + ec.message()));
                self->connect(r);
            });
    }

private:
    beast::tcp_stream& lowest() { return m_secure ? beast::get_lowest_layer(*m_secure) : *m_plain; }

    void connect(const tcp::resolver::results_type& r) {
        if (m_endpoint.tls) {
            if (!m_tls) return finish(fail(errc::internal, "https without a TLS context"));
            m_secure.emplace(beast::tcp_stream(m_ex), *m_tls);
        } else {
            m_plain.emplace(m_ex);
        }
        lowest().async_connect(r, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
            if (self->m_finished) return;
            if (ec)
                return self->finish(
                    fail(errc::unavailable, "cannot connect to " + self->m_endpoint.host + ": " + ec.message()));
            if (self->m_secure) return self->handshake();
            self->write();
        });
    }

    void handshake() {
        boost::system::error_code ec;
        boost::asio::ip::make_address(m_endpoint.host, ec);
        // SNI carries names only (RFC 6066 section 3), never address literals.
        if (ec && !SSL_set_tlsext_host_name(m_secure->native_handle(), m_endpoint.host.c_str()))
            return finish(fail(errc::unavailable, "TLS: cannot set the server name"));
        m_secure->set_verify_mode(ssl::verify_peer);
        m_secure->set_verify_callback(ssl::host_name_verification(m_endpoint.host));
        m_secure->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
            if (self->m_finished) return;
            if (ec)
                return self->finish(fail(errc::unavailable,
                                         "TLS handshake with " + self->m_endpoint.host + " failed: " + ec.message()));
            self->write();
        });
    }

    void write() {
        m_request.method(http::verb::get);
        m_request.target(m_endpoint.base_path + m_path);
        m_request.version(11);
        bool default_port = m_endpoint.port == (m_endpoint.tls ? "443" : "80");
        auto host = m_endpoint.host.find(':') != std::string::npos ? "[" + m_endpoint.host + "]" : m_endpoint.host;
        m_request.set(http::field::host, default_port ? host : host + ":" + m_endpoint.port);
        m_request.set(http::field::user_agent, "jmnode");
        m_request.set(http::field::accept, "application/json");
        m_request.keep_alive(false);
        auto on_write = [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (self->m_finished) return;
            if (ec) return self->finish(fail(errc::unavailable, "sending the request failed: " + ec.message()));
            self->read();
        };
        if (m_secure)
            http::async_write(*m_secure, m_request, on_write);
        else
            http::async_write(*m_plain, m_request, on_write);
    }

    void read() {
        m_parser.emplace();
        m_parser->body_limit(m_maxBody);
        m_parser->header_limit(16 * 1024);
        auto on_read = [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (self->m_finished) return;
            if (ec == http::error::body_limit)
                return self->finish(fail(errc::protocol_error, "the answer's body is larger than " +
                                                                   std::to_string(self->m_maxBody) + " bytes"));
            if (ec) return self->finish(fail(errc::unavailable, "no complete answer: " + ec.message()));
            auto& response = self->m_parser->get();
            self->finish(HttpGetReply{static_cast<int>(response.result_int()), std::move(response.body())});
        };
        if (m_secure)
            http::async_read(*m_secure, m_buffer, *m_parser, on_read);
        else
            http::async_read(*m_plain, m_buffer, *m_parser, on_read);
    }

    void finish(jm::sdk::Result<HttpGetReply> result) {
        if (m_finished) return;
        m_finished = true;
        m_deadline.cancel();
        m_resolver.cancel();
        if (m_plain || m_secure) {
            beast::error_code ec;
            lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
            lowest().close();
        }
        boost::asio::post(
            m_ex, [done = std::move(m_done), result = std::move(result)]() mutable { done(std::move(result)); });
    }

    jm::sdk::Executor m_ex;
    HttpEndpoint m_endpoint;
    std::string m_path;
    std::shared_ptr<ssl::context> m_tls;
    std::chrono::milliseconds m_timeout;
    std::size_t m_maxBody;
    std::function<void(jm::sdk::Result<HttpGetReply>)> m_done;
    tcp::resolver m_resolver;
    boost::asio::steady_timer m_deadline;
    std::optional<beast::tcp_stream> m_plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> m_secure;
    beast::flat_buffer m_buffer;
    http::request<http::empty_body> m_request;
    std::optional<http::response_parser<http::string_body>> m_parser;
    bool m_finished = false;
};

} // namespace

void httpGet(jm::sdk::Executor ex, const HttpEndpoint& endpoint, std::string path, std::shared_ptr<ssl::context> tls,
             std::chrono::milliseconds timeout, std::size_t max_body,
             std::function<void(jm::sdk::Result<HttpGetReply>)> done) {
    std::make_shared<GetSession>(ex, endpoint, std::move(path), std::move(tls), timeout, max_body, std::move(done))
        ->run();
}

} // namespace jm::plugins::fee
