#include "watcher_settings.hpp"

#include <boost/asio/ip/address.hpp>

#include <cctype>
#include <charconv>

namespace jm::plugins::orderbook {

using jm::sdk::ConfigField;
using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr double DAY_MS = 86'400'000;

} // namespace

const jm::sdk::ConfigSchema& WatcherSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        WatcherSettings d;
        jm::sdk::ConfigSchema schema;
        schema.required("backend", ConfigType::String, "blockchain backend instance that verifies fidelity bonds");
        ConfigField dirs;
        dirs.name = "directories";
        dirs.type = ConfigType::List;
        dirs.element = ConfigType::String;
        dirs.required = true;
        dirs.description = "directories to watch, as \"host:port\" or \"[IPv6]:port\" (.onion ones need tor.socks)";
        schema.add(dirs);
        schema.optional("tor", ConfigType::Object, boost::json::object(), std::string(jm::net::TOR_CONFIG_DESCRIPTION));
        schema.optional("directory_network", ConfigType::String, "",
                        "network named in the directory handshake; \"\" = the node's");
        // Directories drop a nick's !orderbook sent more often than every 10 s.
        schema.bounded("refresh", ConfigType::Duration, "5m", 15'000, DAY_MS,
                       "how often !orderbook is sent again and every bond coin checked again (offers, cancels and "
                       "departures are followed live in between)");
        schema.bounded("connect_timeout", ConfigType::Duration, "60s", 100, DAY_MS, "per directory connection");
        schema.optional("http_host", ConfigType::String, boost::json::string(d.http_host),
                        "address the web page listens on (an IP address; loopback by default: put Tor in front)");
        schema.bounded("http_port", ConfigType::Int, static_cast<std::int64_t>(d.http_port), 0, 65535,
                       "port of the web page (0 = any free port, logged)");
        schema.bounded("header_timeout", ConfigType::Duration, "10s", 100, 600'000,
                       "a request must arrive whole within this (slow senders are cut off)");
        schema.bounded(
            "max_connections", ConfigType::Int, static_cast<std::int64_t>(d.max_connections), 1, 4096,
            "HTTP connections served at once; a new one beyond closes the one that has waited longest on its client");
        schema.bounded("page_refresh", ConfigType::Duration, "30s", 1000, DAY_MS,
                       "how often the page refreshes itself (JavaScript on)");
        schema.bounded("bond_value_exponent", ConfigType::Double, d.bond_value_exponent, 0.1, 10,
                       "exponent of the bond values shown (REF's default 1.3)");
        return schema;
    }();
    return s;
}

jm::sdk::Result<WatcherSettings> WatcherSettings::fromConfig(const boost::json::object& config) {
    WatcherSettings s;
    s.backend = jm::sdk::configString(config, "backend").value();
    auto dirs = jm::sdk::configStringList(config, "directories");
    if (!dirs) return dirs.error();
    if (dirs->empty()) return fail(errc::invalid_config, "directories: name at least one \"host:port\"");
    // The roles' shared parsing: IPv6 in brackets, and .onion directories need tor.socks.
    auto addresses = jm::net::parsePeerAddresses(*dirs, "directories");
    if (!addresses) return addresses.error();
    s.directories = std::move(*addresses);
    auto tor = jm::net::roleTorSettings(config, s.directories);
    if (!tor) return tor.error();
    s.tor = std::move(*tor);
    s.directory_network = jm::sdk::configString(config, "directory_network").value();
    s.refresh = jm::sdk::configDuration(config, "refresh").value();
    s.connect_timeout = jm::sdk::configDuration(config, "connect_timeout").value();
    s.http_host = jm::sdk::configString(config, "http_host").value();
    boost::system::error_code ec;
    boost::asio::ip::make_address(s.http_host, ec);
    if (ec) return fail(errc::invalid_config, "http_host: '" + s.http_host + "' is not an IP address");
    s.http_port = static_cast<std::uint16_t>(jm::sdk::configInt(config, "http_port").value());
    s.header_timeout = jm::sdk::configDuration(config, "header_timeout").value();
    s.max_connections = static_cast<std::size_t>(jm::sdk::configInt(config, "max_connections").value());
    s.page_refresh = jm::sdk::configDuration(config, "page_refresh").value();
    s.bond_value_exponent = jm::sdk::configDouble(config, "bond_value_exponent").value();
    return s;
}

} // namespace jm::plugins::orderbook
