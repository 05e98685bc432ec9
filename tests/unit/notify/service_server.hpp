#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jm::test {

//! A loopback HTTP/1.1 server (plain or TLS) that plays a notification service: every request is
//! recorded and answered by a responder the test writes from the service's documented API.
//! Runs its own threads (one per connection).
class ServiceServer {
public:
    struct Request {
        std::string method;
        std::string target;
        std::map<std::string, std::string> headers; //!< lower-case names
        std::string body;
        std::string sni; //!< TLS: the server name the client sent ("" without SNI)
        std::chrono::steady_clock::time_point at;
    };
    struct Response {
        Response(int s = 200, std::string b = "{}", std::string type = "application/json",
                 std::map<std::string, std::string> h = {}) :
            status(s),
            body(std::move(b)), content_type(std::move(type)), headers(std::move(h)) {}
        int status = 200;
        std::string body = "{}";
        std::string content_type = "application/json";
        std::map<std::string, std::string> headers;
    };
    using Responder = std::function<Response(const Request&)>;
    struct Tls {
        std::filesystem::path cert, key;
    };

    explicit ServiceServer(Responder responder, std::optional<Tls> tls = std::nullopt);
    ~ServiceServer();
    ServiceServer(const ServiceServer&) = delete;
    ServiceServer& operator=(const ServiceServer&) = delete;

    std::uint16_t port() const { return m_port; }
    //! "https://localhost:<port>" (TLS) or "http://127.0.0.1:<port>".
    std::string base() const;
    std::vector<Request> requests() const;
    bool waitForRequests(std::size_t n, std::chrono::milliseconds timeout) const;
    //! TLS handshakes that failed (the client refused the certificate, or spoke no TLS).
    std::size_t failedHandshakes() const;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
    std::uint16_t m_port = 0;
};

} // namespace jm::test
