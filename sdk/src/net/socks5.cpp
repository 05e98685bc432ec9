#include <jm/net/socks5.hpp>

#include <boost/asio/ip/address.hpp>

#include <cstdio>

namespace jm::net {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr std::uint8_t VERSION = 0x05;
constexpr std::uint8_t AUTH_VERSION = 0x01;
constexpr std::uint8_t METHOD_NONE = 0x00;
constexpr std::uint8_t METHOD_USERPASS = 0x02;
constexpr std::uint8_t METHOD_NO_ACCEPTABLE = 0xFF;
constexpr std::uint8_t CMD_CONNECT = 0x01;
constexpr std::uint8_t ATYP_IPV4 = 0x01;
constexpr std::uint8_t ATYP_DOMAIN = 0x03;
constexpr std::uint8_t ATYP_IPV6 = 0x04;

std::string hexByte(std::uint8_t b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", b);
    return buf;
}
} // namespace

std::string socks5ReplyMessage(std::uint8_t code) {
    switch (static_cast<Socks5Reply>(code)) {
    case Socks5Reply::succeeded:
        return "succeeded";
    case Socks5Reply::general_failure:
        return "general SOCKS server failure";
    case Socks5Reply::not_allowed:
        return "connection not allowed by the proxy's rules";
    case Socks5Reply::network_unreachable:
        return "network unreachable";
    case Socks5Reply::host_unreachable:
        return "host unreachable";
    case Socks5Reply::connection_refused:
        return "connection refused by the destination";
    case Socks5Reply::ttl_expired:
        return "TTL expired (Tor: the circuit or connection timed out)";
    case Socks5Reply::command_not_supported:
        return "command not supported by the proxy";
    case Socks5Reply::address_type_not_supported:
        return "address type not supported by the proxy";
    case Socks5Reply::onion_descriptor_not_found:
        return "onion service descriptor not found (the service is offline or unknown)";
    case Socks5Reply::onion_descriptor_invalid:
        return "onion service descriptor is invalid";
    case Socks5Reply::onion_introduction_failed:
        return "onion service introduction failed";
    case Socks5Reply::onion_rendezvous_failed:
        return "onion service rendezvous failed";
    case Socks5Reply::onion_missing_client_auth:
        return "onion service requires client authorization";
    case Socks5Reply::onion_wrong_client_auth:
        return "onion service client authorization was refused";
    case Socks5Reply::onion_invalid_address:
        return "invalid onion address";
    case Socks5Reply::onion_introduction_timed_out:
        return "onion service introduction timed out";
    }
    return "unknown SOCKS reply code " + hexByte(code);
}

errc socks5ReplyErrc(std::uint8_t code) {
    switch (static_cast<Socks5Reply>(code)) {
    case Socks5Reply::succeeded:
        return errc::internal; // not an error; callers check first
    case Socks5Reply::not_allowed:
    case Socks5Reply::onion_missing_client_auth:
    case Socks5Reply::onion_wrong_client_auth:
        return errc::permission_denied;
    case Socks5Reply::ttl_expired:
    case Socks5Reply::onion_introduction_timed_out:
        return errc::timeout;
    case Socks5Reply::command_not_supported:
    case Socks5Reply::address_type_not_supported:
        return errc::unsupported;
    case Socks5Reply::onion_invalid_address:
        return errc::invalid_argument;
    case Socks5Reply::general_failure:
    case Socks5Reply::network_unreachable:
    case Socks5Reply::host_unreachable:
    case Socks5Reply::connection_refused:
    case Socks5Reply::onion_descriptor_not_found:
    case Socks5Reply::onion_descriptor_invalid:
    case Socks5Reply::onion_introduction_failed:
    case Socks5Reply::onion_rendezvous_failed:
        return errc::unavailable;
    }
    return errc::protocol_error;
}

std::vector<std::uint8_t> socks5Greeting(bool with_auth) {
    return {VERSION, 0x01, with_auth ? METHOD_USERPASS : METHOD_NONE};
}

jm::sdk::Result<void> parseSocks5MethodReply(std::span<const std::uint8_t> reply, bool with_auth) {
    if (reply.size() != 2) return fail(errc::protocol_error, "SOCKS5 method reply must be 2 bytes");
    if (reply[0] != VERSION)
        return fail(errc::protocol_error, "not a SOCKS5 proxy (version byte " + hexByte(reply[0]) + ")");
    if (reply[1] == METHOD_NO_ACCEPTABLE)
        return fail(errc::permission_denied, with_auth ? "the SOCKS5 proxy refuses username/password authentication"
                                                       : "the SOCKS5 proxy requires authentication");
    if (reply[1] != (with_auth ? METHOD_USERPASS : METHOD_NONE))
        return fail(errc::protocol_error,
                    "the SOCKS5 proxy chose method " + hexByte(reply[1]) + ", which we did not offer");
    return {};
}

jm::sdk::Result<std::vector<std::uint8_t>> socks5AuthRequest(std::string_view username, std::string_view password) {
    if (username.empty() || username.size() > 255 || password.size() > 255)
        return fail(errc::invalid_argument, "SOCKS5 username must be 1-255 bytes and password at most 255");
    std::vector<std::uint8_t> out{AUTH_VERSION, static_cast<std::uint8_t>(username.size())};
    out.insert(out.end(), username.begin(), username.end());
    out.push_back(static_cast<std::uint8_t>(password.size()));
    out.insert(out.end(), password.begin(), password.end());
    return out;
}

jm::sdk::Result<void> parseSocks5AuthReply(std::span<const std::uint8_t> reply) {
    if (reply.size() != 2) return fail(errc::protocol_error, "SOCKS5 authentication reply must be 2 bytes");
    if (reply[0] != AUTH_VERSION)
        return fail(errc::protocol_error, "bad SOCKS5 authentication reply version " + hexByte(reply[0]));
    if (reply[1] != 0)
        return fail(errc::permission_denied,
                    "the SOCKS5 proxy refused our username/password (status " + hexByte(reply[1]) + ")");
    return {};
}

jm::sdk::Result<std::vector<std::uint8_t>> socks5ConnectRequest(std::string_view host, std::uint16_t port) {
    if (host.empty() || host.size() > 255) return fail(errc::invalid_argument, "SOCKS5 host must be 1-255 bytes");
    if (port == 0) return fail(errc::invalid_argument, "SOCKS5 port must not be 0");
    std::vector<std::uint8_t> out{VERSION, CMD_CONNECT, 0x00};
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(std::string(host), ec);
    if (!ec && address.is_v4()) {
        out.push_back(ATYP_IPV4);
        auto bytes = address.to_v4().to_bytes();
        out.insert(out.end(), bytes.begin(), bytes.end());
    } else if (!ec && address.is_v6()) {
        out.push_back(ATYP_IPV6);
        auto bytes = address.to_v6().to_bytes();
        out.insert(out.end(), bytes.begin(), bytes.end());
    } else {
        out.push_back(ATYP_DOMAIN);
        out.push_back(static_cast<std::uint8_t>(host.size()));
        out.insert(out.end(), host.begin(), host.end());
    }
    out.push_back(static_cast<std::uint8_t>(port >> 8));
    out.push_back(static_cast<std::uint8_t>(port & 0xFF));
    return out;
}

jm::sdk::Result<std::size_t> socks5ConnectReplyNeeds(std::span<const std::uint8_t> received) {
    if (received.size() < 2) return std::size_t{2};
    if (received[0] != VERSION) return fail(errc::protocol_error, "bad SOCKS5 reply version " + hexByte(received[0]));
    if (received[1] != 0) return fail(socks5ReplyErrc(received[1]), "SOCKS5 proxy: " + socks5ReplyMessage(received[1]));
    if (received.size() < 5) return std::size_t{5};
    if (received[2] != 0) return fail(errc::protocol_error, "SOCKS5 reply has a non-zero reserved byte");
    std::size_t total = 0;
    switch (received[3]) {
    case ATYP_IPV4:
        total = 4 + 4 + 2;
        break;
    case ATYP_IPV6:
        total = 4 + 16 + 2;
        break;
    case ATYP_DOMAIN:
        if (received[4] == 0) return fail(errc::protocol_error, "SOCKS5 reply has an empty bound domain");
        total = 4 + 1 + received[4] + 2;
        break;
    default:
        return fail(errc::protocol_error, "SOCKS5 reply has unknown address type " + hexByte(received[3]));
    }
    if (received.size() > total) return fail(errc::protocol_error, "SOCKS5 reply is longer than its address");
    return received.size() == total ? std::size_t{0} : total;
}

} // namespace jm::net
