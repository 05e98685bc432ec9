#pragma once

#include "http_transport.hpp"
#include "message_templates.hpp"
#include "transport.hpp"
#include "webhook_url.hpp"

#include <jm/sdk/config.hpp>
#include <jm/sdk/result.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace jm::plugins::notify {

//! Turns a rendered message into the service's request (or e-mail).
using MessageFormatter = std::function<Outgoing(const MessageText&)>;

//! What a notifier factory needs to talk to one HTTP service.
struct HttpServiceBinding {
    WebhookUrl url;           //!< scheme, host and port (the request target comes from format)
    MessageFormatter format;  //!< may hold secrets (tokens): never logged
    ReplyClassifier classify; //!< the service's error and rate-limit replies
};

//! The fixed facts of a message service.
struct ServiceInfo {
    std::string_view name;
    std::string_view description;
    //! Default pacing between two messages, from the service's documented limits.
    std::chrono::milliseconds min_interval;
    std::size_t max_text; //!< bytes of message text the service accepts
    //! Default cap of messages per hour, from the service's daily or monthly quota; 0: none.
    std::size_t max_per_hour = 0;
};

//! The HTTP message services: ntfy, gotify, telegram, discord, slack, pushover, matrix.
std::span<const ServiceInfo> httpServices();
//! The service called `name`, or null (http services and "email").
const ServiceInfo* findService(std::string_view name);

//! Adds the service's own keys (server, topic, chat, secrets...) to `schema`.
void addServiceFields(std::string_view name, jm::sdk::ConfigSchema& schema);

//! Reads the service's keys and secrets from a validated config; relative secret paths are
//! resolved against `base`. Errors: errc::invalid_config (bad URL, missing or too open secret,
//! a value that cannot be sent).
jm::sdk::Result<HttpServiceBinding> bindHttpService(std::string_view name, const boost::json::object& config,
                                                    const std::filesystem::path& base);

//! Service reply classifiers, exposed for tests.
Outcome classifyTelegram(const HttpReply& reply);
Outcome classifyDiscord(const HttpReply& reply);
Outcome classifyMatrix(const HttpReply& reply);
Outcome classifyPushover(const HttpReply& reply);

//! RFC 3986 percent-encoding of everything but unreserved characters.
std::string percentEncode(std::string_view text);

} // namespace jm::plugins::notify
