#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jm::test {

//! A real HTTP/1.1 server on 127.0.0.1 (ephemeral port) for webhook tests. It records every
//! request and can misbehave on purpose for the next requests. Runs its own threads.
class HttpTestServer {
public:
    struct Request {
        std::string method;
        std::string target;
        std::map<std::string, std::string> headers; //!< lower-case names
        std::string body;
    };
    enum class Behaviour { Ok, Status500, Hang, Close };
    struct Response {
        int status = 200;
        std::string body = "ok";
        std::string content_type = "text/plain";
    };
    //! Answers each request (that is not misbehaved) with what `responder` returns; called on the
    //! server's connection threads. Default: 200 "ok".
    using Responder = std::function<Response(const Request&)>;

    HttpTestServer();
    ~HttpTestServer();
    HttpTestServer(const HttpTestServer&) = delete;
    HttpTestServer& operator=(const HttpTestServer&) = delete;

    std::uint16_t port() const { return m_port; }
    std::string url(const std::string& path = "/hook") const;
    //! The next `count` requests get `behaviour`; later ones are answered 200.
    void misbehave(Behaviour behaviour, int count);
    void setResponder(Responder responder);
    //! Requests answered so far (recorded in order).
    std::vector<Request> received() const;
    //! Every request that arrived, whatever the answer.
    std::size_t attempts() const;
    //! Waits until at least `n` requests were answered 200.
    bool waitForReceived(std::size_t n, std::chrono::milliseconds timeout) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::uint16_t m_port = 0;
};

} // namespace jm::test
