#include "webhook_url.hpp"

#include <algorithm>
#include <cctype>

namespace jm::plugins::notify {

using jm::sdk::errc;

jm::sdk::Result<WebhookUrl> parseWebhookUrl(std::string_view text) {
    auto bad = [&](std::string why) {
        return jm::sdk::fail(errc::invalid_config, "webhook url '" + std::string(text) + "': " + why);
    };
    if (text.starts_with("https://")) return bad("https is not supported yet; use http (e.g. to a local relay)");
    constexpr std::string_view SCHEME = "http://";
    if (!text.starts_with(SCHEME)) return bad("must start with http://");
    auto rest = text.substr(SCHEME.size());
    auto slash = rest.find_first_of("/?");
    auto authority = rest.substr(0, slash);
    WebhookUrl url;
    if (slash != std::string_view::npos) {
        url.target = std::string(rest.substr(slash));
        if (url.target.front() == '?') url.target.insert(url.target.begin(), '/');
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
