#include <jm/net/tor_settings.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace jm::net {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr std::string_view KEYS[] = {"socks",       "control", "all_traffic",       "isolate", "control_password_file",
                                     "cookie_file", "onion",   "control_timeout_ms"};
// RFC 1929 needs a password with a username; the username alone tells counterparties apart.
constexpr std::string_view SOCKS_PASSWORD = "jmnode";
} // namespace

bool isOnionHost(std::string_view host) noexcept {
    constexpr std::string_view suffix = ".onion";
    if (host.size() <= suffix.size()) return false;
    auto tail = host.substr(host.size() - suffix.size());
    return std::equal(tail.begin(), tail.end(), suffix.begin(),
                      [](char a, char b) { return static_cast<char>(a | 0x20) == b; });
}

jm::sdk::Result<std::pair<std::string, std::uint16_t>> parseHostPort(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (text.starts_with("[")) {
        auto close = text.find("]:");
        if (close == std::string_view::npos)
            return fail(errc::invalid_config, "'" + std::string(text) + "' is not [addr]:port");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            return fail(errc::invalid_config, "'" + std::string(text) + "' is not host:port");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        return fail(errc::invalid_config, "'" + std::string(text) + "' needs a host and a port 1-65535");
    return std::pair{std::string(host), static_cast<std::uint16_t>(value)};
}

jm::sdk::Result<TorSettings> TorSettings::fromJson(const boost::json::value& tor, std::string_view password_base) {
    TorSettings s;
    if (tor.is_null()) return s;
    if (!tor.is_object()) return fail(errc::invalid_config, "tor: must be an object");
    const auto& o = tor.get_object();
    for (const auto& kv : o)
        if (std::find(std::begin(KEYS), std::end(KEYS), kv.key()) == std::end(KEYS))
            return fail(errc::invalid_config, "tor." + std::string(kv.key()) + ": unknown key");
    auto str = [&](std::string_view key) -> jm::sdk::Result<std::string> {
        auto it = o.find(key);
        if (it == o.end()) return std::string();
        if (!it->value().is_string())
            return fail(errc::invalid_config, "tor." + std::string(key) + ": must be a string");
        return std::string(it->value().get_string());
    };
    auto flag = [&](std::string_view key, bool fallback) -> jm::sdk::Result<bool> {
        auto it = o.find(key);
        if (it == o.end()) return fallback;
        if (!it->value().is_bool())
            return fail(errc::invalid_config, "tor." + std::string(key) + ": must be true or false");
        return it->value().get_bool();
    };
    auto endpoint = [&](std::string_view key, std::string& host, std::uint16_t& port) -> jm::sdk::Result<void> {
        auto text = str(key);
        if (!text) return text.error();
        if (text->empty()) return {};
        auto hp = parseHostPort(*text);
        if (!hp) return hp.error().withContext("tor." + std::string(key));
        host = hp->first;
        port = hp->second;
        return {};
    };
    if (auto r = endpoint("socks", s.socks_host, s.socks_port); !r) return r.error();
    if (auto r = endpoint("control", s.control_host, s.control_port); !r) return r.error();
    auto all = flag("all_traffic", false);
    if (!all) return all.error();
    s.all_traffic = *all;
    if (s.all_traffic && !s.hasSocks()) return fail(errc::invalid_config, "tor.all_traffic: needs tor.socks");
    auto isolate = flag("isolate", true);
    if (!isolate) return isolate.error();
    s.isolate = *isolate;
    auto cookie = str("cookie_file");
    if (!cookie) return cookie.error();
    s.cookie_file = *cookie;
    auto onion = str("onion");
    if (!onion) return onion.error();
    if (*onion == "ephemeral")
        s.ephemeral_onion = true;
    else if (!onion->empty() && *onion != "persistent")
        return fail(errc::invalid_config, "tor.onion: '" + *onion + "' is not persistent or ephemeral");
    if (auto it = o.find("control_timeout_ms"); it != o.end()) {
        if (!it->value().is_int64() || it->value().get_int64() < 100 || it->value().get_int64() > 600'000)
            return fail(errc::invalid_config, "tor.control_timeout_ms: must be an integer 100-600000");
        s.control_timeout = std::chrono::milliseconds(it->value().get_int64());
    }
    auto password_file = str("control_password_file");
    if (!password_file) return password_file.error();
    if (!password_file->empty()) {
        std::filesystem::path path(*password_file);
        if (path.is_relative() && !password_base.empty()) path = std::filesystem::path(password_base) / path;
        std::ifstream in(path, std::ios::binary);
        if (!in) return fail(errc::io_error, "tor.control_password_file: cannot read " + path.string());
        std::ostringstream text;
        text << in.rdbuf();
        s.control_password = text.str();
        while (!s.control_password.empty() && (s.control_password.back() == '\n' || s.control_password.back() == '\r'))
            s.control_password.pop_back();
        if (s.control_password.empty())
            return fail(errc::invalid_config, "tor.control_password_file: " + path.string() + " is empty");
    }
    return s;
}

jm::sdk::Result<std::optional<Socks5Proxy>> TorSettings::proxyFor(std::string_view host,
                                                                  std::string_view isolation) const {
    bool onion = isOnionHost(host);
    if (!onion && !all_traffic) return std::optional<Socks5Proxy>{};
    if (!hasSocks())
        return fail(errc::unavailable,
                    "cannot reach " + std::string(host) + ": no Tor SOCKS proxy configured (tor.socks)");
    Socks5Proxy proxy{socks_host, socks_port, {}, {}};
    if (isolate) {
        // Tor accepts up to 255 bytes; longer names are cut (they still differ in the kept part
        // for every name we use: hosts and nicks are far shorter).
        proxy.username = "jm:" + std::string(isolation.empty() ? host : isolation).substr(0, 250);
        proxy.password = std::string(SOCKS_PASSWORD);
    }
    return std::optional<Socks5Proxy>{std::move(proxy)};
}

} // namespace jm::net
