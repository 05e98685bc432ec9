#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jm::plugins::notify {

//! One message ready for a service: an HTTP request (method, target, headers, body) or an
//! e-mail (subject, body). Targets and headers may hold secrets (Telegram's token is in the
//! path): they are never logged.
struct Outgoing {
    std::string method = "POST";
    std::string target = "/";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type = "application/json";
    std::string body;
    std::string subject; //!< e-mail only
};

//! What became of one attempt to deliver an Outgoing.
struct Outcome {
    enum class Kind {
        Delivered,
        Retry, //!< a transient failure (network, 5xx, 429): try again later
        Drop,  //!< the service refused it for good (bad token, bad request): retrying cannot help
    };
    Kind kind = Kind::Delivered;
    std::string why; //!< for the log; holds no secret
    //! The service asked to wait this long before the next request (HTTP 429 + Retry-After,
    //! Telegram's parameters.retry_after, Matrix's retry_after_ms, ...).
    std::optional<std::chrono::milliseconds> wait;

    static Outcome delivered() { return {}; }
    static Outcome retry(std::string why, std::optional<std::chrono::milliseconds> wait = std::nullopt) {
        return {Kind::Retry, std::move(why), wait};
    }
    static Outcome drop(std::string why) { return {Kind::Drop, std::move(why), std::nullopt}; }
};

//! Sends one Outgoing at a time to one service (DeliveryQueue never overlaps sends).
//! Executor: every member is called on the owner's strand, and `done` runs there, exactly once
//! per send() unless cancel() came first (then it may still run, and is ignored).
class Transport {
public:
    virtual ~Transport() = default;
    virtual void send(const Outgoing& message, std::function<void(Outcome)> done) = 0;
    //! Aborts the send in flight and closes connections. Idempotent.
    virtual void cancel() = 0;
};

} // namespace jm::plugins::notify
