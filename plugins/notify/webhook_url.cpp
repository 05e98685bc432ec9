#include "webhook_url.hpp"

#include <algorithm>
#include <cctype>

namespace jm::plugins::notify {

using jm::sdk::errc;

jm::sdk::Result<WebhookUrl> parseWebhookUrl(std::string_view text) {
    auto bad = [&](std::string why) {
        return jm::sdk::fail(errc::invalid_config, "webhook url '" + std::string(text) + "': " + why);
    };
    WebhookUrl url;
    std::string_view rest;
    if (text.starts_with("https://")) {
        url.tls = true;
        url.port = "443";
        rest = text.substr(8);
    } else if (text.starts_with("http://")) {
        rest = text.substr(7);
    } else {
        return bad("must start with https:// or http://");
    }
    auto slash = rest.find_first_of("/?#");
    auto authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        url.target = std::string(rest.substr(slash));
        if (auto hash = url.target.find('#'); hash != std::string::npos) url.target.erase(hash); // never sent
        if (url.target.empty() || url.target.front() != '/') url.target.insert(url.target.begin(), '/');
    }
    if (authority.find('@') != std::string_view::npos) return bad("user info in the URL is not supported; use headers");
    if (authority.starts_with("[")) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return bad("unterminated IPv6 address");
        url.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() != ':') return bad("unexpected text after the IPv6 address");
        if (!authority.empty()) url.port = std::string(authority.substr(1));
    } else {
        auto colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) url.port = std::string(authority.substr(colon + 1));
    }
    if (url.host.empty()) return bad("no host");
    if (url.port.empty() || url.port.size() > 5 ||
        !std::all_of(url.port.begin(), url.port.end(), [](unsigned char c) { return std::isdigit(c); }))
        return bad("invalid port '" + url.port + "'");
    int port = std::stoi(url.port);
    if (port < 1 || port > 65535) return bad("port out of range");
    if (std::any_of(url.target.begin(), url.target.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
        return bad("the path contains spaces or control characters");
    return url;
}

} // namespace jm::plugins::notify
