#include <jm/net/peer_address.hpp>
#include <jm/net/tor_settings.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace jm::net {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<PeerAddress> parsePeerAddress(std::string_view text) {
    const std::string quoted = "'" + std::string(text) + "'";
    std::string_view host;
    std::string_view port_text;
    bool v6 = text.starts_with("[");
    if (v6) {
        auto close = text.find("]:");
        if (close == std::string_view::npos) return fail(errc::invalid_config, quoted + " is not [address]:port");
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || colon == 0)
            return fail(errc::invalid_config, quoted + " is not host:port");
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    auto allowed = [v6](char c) {
        if (v6) return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    };
    if (host.empty() || !std::all_of(host.begin(), host.end(), allowed))
        return fail(errc::invalid_config, quoted + " has a bad host name");
    // "<name>.onion." is the same onion to Tor, but not to isOnionHost: it would be dialled
    // without SOCKS and its name sent to the local DNS resolver.
    if (host.size() > 1 && host.back() == '.' && isOnionHost(host.substr(0, host.size() - 1)))
        return fail(errc::invalid_config, quoted + ": write the onion without the trailing dot");
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
        return fail(errc::invalid_config, quoted + " has no port in 1..65535");
    return PeerAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

jm::sdk::Result<std::vector<PeerAddress>> parsePeerAddresses(const std::vector<std::string>& texts,
                                                             std::string_view key) {
    if (texts.empty()) return fail(errc::invalid_config, std::string(key) + ": name at least one \"host:port\"");
    std::vector<PeerAddress> out;
    for (const auto& t : texts) {
        auto a = parsePeerAddress(t);
        if (!a) return a.error().withContext(key);
        out.push_back(std::move(*a));
    }
    return out;
}

} // namespace jm::net
