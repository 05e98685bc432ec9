#pragma once

#include <jm/sdk/executor.hpp>
#include <jm/sdk/result.hpp>

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace jm::plugins::fee {

//! Where to send a request: from an http:// or https:// URL.
struct HttpEndpoint {
    std::string host;
    std::string port;
    bool tls = false;
    std::string base_path; //!< the URL's path without a trailing '/', e.g. "" or "/mempool"
};

//! Parses `url` (Boost.URL). Errors: errc::invalid_config for anything but http/https with a
//! host, or with user info, a query or a fragment.
jm::sdk::Result<HttpEndpoint> parseHttpEndpoint(std::string_view url);

//! A TLS client context verifying against the system's store, or only `ca_file` when given.
//! Errors: errc::invalid_config (ca_file unreadable), errc::io_error (system store).
jm::sdk::Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsClientContext(const std::string& ca_file);

//! An answer: the status and the body (at most the limit given).
struct HttpGetReply {
    int status = 0;
    std::string body;
};

//! One GET of `endpoint.base_path + path` on a fresh connection, the whole exchange within
//! `timeout` and the body at most `max_body` bytes. TLS checks the certificate chain and the host
//! name and sends SNI. Executor: the completion runs on `ex`, exactly once.
//! Errors: errc::timeout, errc::unavailable (resolve, connect, TLS, connection lost),
//! errc::protocol_error (not HTTP, body over the limit). Any status is a reply, not an error.
void httpGet(jm::sdk::Executor ex, const HttpEndpoint& endpoint, std::string path,
             std::shared_ptr<boost::asio::ssl::context> tls, std::chrono::milliseconds timeout, std::size_t max_body,
             std::function<void(jm::sdk::Result<HttpGetReply>)> done);

} // namespace jm::plugins::fee
