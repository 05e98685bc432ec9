#pragma once

#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>

namespace jm::plugins::notify {

//! A parsed URL: http[s]://host[:port][/path][?query].
struct WebhookUrl {
    std::string host;
    std::string port = "80";
    bool tls = false;         //!< https: TLS with certificate and host name verification
    std::string target = "/"; //!< path and query, as sent in the request line
};

//! Parses `text`. Errors: errc::invalid_config for anything but an http or https URL with a host.
jm::sdk::Result<WebhookUrl> parseWebhookUrl(std::string_view text);

} // namespace jm::plugins::notify
