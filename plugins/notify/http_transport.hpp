#pragma once

#include "transport.hpp"
#include "webhook_url.hpp"

#include <jm/sdk/executor.hpp>

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace jm::plugins::notify {

//! A service's answer, as the classifier sees it.
struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers; //!< lower-case names
    std::string body;                           //!< at most 64 KiB
};

//! Turns a reply into an Outcome. Must not throw on any reply (they come from the network).
using ReplyClassifier = std::function<Outcome(const HttpReply&)>;

//! The generic rules: 2xx delivered; 429 retried after Retry-After (seconds) when given; 408,
//! 425 and 5xx retried; any other status dropped (bad token, bad request, gone), with the start
//! of the body in the reason.
Outcome classifyHttpReply(const HttpReply& reply);
//! Retry-After as delta-seconds ("120"); nullopt for absent or unparsable values (HTTP dates
//! included: the backoff applies then).
std::optional<std::chrono::milliseconds> retryAfterHeader(const HttpReply& reply);
//! The first `max` characters of `text` with control characters replaced, for a log line.
std::string snippet(std::string_view text, std::size_t max = 200);

//! HTTP/1.1 over TCP or TLS to one host, with a kept-alive connection. TLS verifies the chain
//! against `tls` (system store or a configured CA), checks the host name (RFC 6125, through
//! OpenSSL) and sends SNI. A send on a reused connection that fails before any answer is retried
//! once on a new connection (servers close idle connections). Logs nothing: outcomes carry the
//! reasons, and requests may hold secrets.
//! Executor: every member on `executor`'s strand; see Transport.
class HttpTransport final : public Transport {
public:
    //! `tls` is required when `url.tls`. Ownership: shares `tls`.
    HttpTransport(jm::sdk::Executor executor, WebhookUrl url, std::shared_ptr<boost::asio::ssl::context> tls,
                  std::chrono::milliseconds timeout, ReplyClassifier classify);
    ~HttpTransport() override;

    void send(const Outgoing& message, std::function<void(Outcome)> done) override;
    void cancel() override;

    class Impl;

private:
    std::shared_ptr<Impl> m_impl;
};

} // namespace jm::plugins::notify
