#pragma once

#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>

namespace jm::plugins::notify {

//! A parsed webhook URL: http://host[:port][/path][?query].
struct WebhookUrl {
    std::string host;
    std::string port = "80";
    std::string target = "/"; //!< path and query, as sent in the request line
};

//! Parses `text`. Errors: errc::invalid_config for anything but a plain http URL with a host
//! (https is not supported yet: the message says so).
jm::sdk::Result<WebhookUrl> parseWebhookUrl(std::string_view text);

} // namespace jm::plugins::notify
