#include <jm/net/peer_address.hpp>
#include <jm/net/tor_settings.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace jm::net {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr std::string_view KEYS[] = {"socks",       "control", "all_traffic",       "isolate", "control_password_file",
                                     "cookie_file", "onion",   "control_timeout_ms", "plain_cookie"};
// RFC 1929 needs a password with a username; the username alone tells counterparties apart.
constexpr std::string_view SOCKS_PASSWORD = "jmnode";

// What `tor --hash-password` prints for the torrc: "16:" and 58 hex digits (salt, count, hash).
bool isHashedControlPassword(std::string_view text) {
    return text.size() == 61 && text.starts_with("16:") && std::all_of(text.begin() + 3, text.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c));
           });
}
} // namespace

bool isOnionHost(std::string_view host) noexcept {
    constexpr std::string_view suffix = ".onion";
    if (host.size() <= suffix.size()) return false;
    auto tail = host.substr(host.size() - suffix.size());
    return std::equal(tail.begin(), tail.end(), suffix.begin(),
                      [](char a, char b) { return static_cast<char>(a | 0x20) == b; });
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
        auto address = parsePeerAddress(*text);
        if (!address) return address.error().withContext("tor." + std::string(key));
        host = address->host;
        port = address->port;
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
    auto plain_cookie = flag("plain_cookie", false);
    if (!plain_cookie) return plain_cookie.error();
    s.plain_cookie = *plain_cookie;
    if (s.plain_cookie && s.cookie_file.empty())
        return fail(errc::invalid_config,
                    "tor.plain_cookie: needs tor.cookie_file (the cookie is never read from a path the port names)");
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
        // Caught here, or Tor would only say "authentication failed" (or we "not one line").
        if (s.control_password.find_first_of("\r\n") != std::string::npos)
            return fail(errc::invalid_config,
                        "tor.control_password_file: " + path.string() + " must hold the password on one line");
        if (isHashedControlPassword(s.control_password))
            return fail(errc::invalid_config, "tor.control_password_file: " + path.string() +
                                                  " holds a HashedControlPassword (16:...); it must hold the "
                                                  "password itself, the one given to tor --hash-password");
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

jm::sdk::Result<TorSettings> roleTorSettings(const boost::json::object& config,
                                             const std::vector<PeerAddress>& directories) {
    TorSettings tor;
    if (const auto* value = config.if_contains("tor")) {
        auto read = TorSettings::fromJson(*value);
        if (!read) return read.error();
        tor = std::move(*read);
    }
    for (const auto& d : directories)
        if (auto proxy = tor.proxyFor(d.host, d.host); !proxy)
            return fail(errc::invalid_config, "directories: " + proxy.error().message);
    return tor;
}

} // namespace jm::net
