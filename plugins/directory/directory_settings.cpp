#include "directory_settings.hpp"

#include <jm/protocol/envelope.hpp>
#include <jm/protocol/handshake.hpp>

namespace jm::plugins::directory {

using jm::sdk::ConfigField;
using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr double DAY_MS = 86'400'000;

} // namespace

const jm::sdk::ConfigSchema& DirectorySettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        DirectorySettings d;
        jm::sdk::ConfigSchema schema;
        schema.optional("host", ConfigType::String, boost::json::string(d.host),
                        "address to listen on (behind a Tor onion service: 127.0.0.1)");
        schema.bounded("port", ConfigType::Int, d.port, 0, 65535, "TCP port to listen on (0 = any free port)");
        schema.optional("port_file", ConfigType::String, "",
                        "file (relative to the data directory) the bound port is written to once listening");
        schema.bounded("io_threads", ConfigType::Int, d.io_threads, 1, 64, "threads serving connections");
        schema.optional("location", ConfigType::String, "",
                        "this directory's public location (\"<onion>.onion:5222\"), listed in the peerlists it "
                        "sends as REF directories do; empty = not listed");
        schema.optional("tor", ConfigType::Object, boost::json::object(),
                        "Tor (docs/tor.md): with \"control\" set, e.g. {\"control\": \"127.0.0.1:9051\"}, the "
                        "directory adds its own onion service through Tor's control port and lists the onion as "
                        "its location (leave `location` empty then); the key is kept in its store, or \"onion\": "
                        "\"ephemeral\" makes a new address each start; \"control_password_file\" and "
                        "\"cookie_file\" choose the authentication. The other keys of every role's tor object are "
                        "accepted and unused here; {} = no onion of its own");
        schema.bounded("onion_port", ConfigType::Int, d.onion_port, 1, 65535,
                       "the onion service's port (in the location \"<onion>.onion:<onion_port>\"); Tor forwards "
                       "it to `port`");
        schema.optional("motd", ConfigType::String, boost::json::string(d.motd),
                        "message of the day sent in every handshake reply");
        schema.bounded("max_line_length", ConfigType::Int, static_cast<std::int64_t>(d.max_line_length), 1024,
                       static_cast<double>(jm::protocol::MAX_SEND_LINE),
                       "longest accepted line in bytes; a longer one closes its sender's connection (REF clients "
                       "disconnect on lines over 40000, so none is ever relayed)");
        schema.bounded("max_peers", ConfigType::Int, static_cast<std::int64_t>(d.max_peers), 1, 1'000'000,
                       "most handshaked peers; later handshakes are refused");
        schema.bounded("max_pending_handshakes", ConfigType::Int, static_cast<std::int64_t>(d.max_pending_handshakes),
                       1, 1'000'000, "most connections still waiting for their handshake");
        schema.bounded("max_connections_per_address", ConfigType::Int,
                       static_cast<std::int64_t>(d.max_connections_per_address), 0, 1'000'000,
                       "most connections from one source address (0 = no limit)");
        schema.optional("limit_loopback", ConfigType::Bool, d.limit_loopback,
                        "apply per-address limits and bans to loopback connections too (off: behind Tor every "
                        "peer arrives from 127.0.0.1)");
        schema.bounded("handshake_timeout", ConfigType::Duration, "30s", 100, DAY_MS,
                       "a connection that has not completed its handshake by then is closed");
        schema.bounded("idle_probe", ConfigType::Duration, "600s", 0, DAY_MS,
                       "a peer silent this long is probed (PING if it advertised \"ping\", else a private "
                       "!orderbook if it serves an onion); 0 = never");
        schema.bounded("idle_timeout", ConfigType::Duration, "1500s", 0, DAY_MS,
                       "a peer that can be probed (it advertised \"ping\" or serves an onion) and stays silent "
                       "this long is disconnected; others, as on REF directories, are never dropped for being "
                       "idle; 0 = never");
        schema.bounded("message_rate", ConfigType::Double, d.message_rate, 0.1, 1e9,
                       "messages per second one peer may send, sustained; excess is dropped");
        schema.bounded("message_burst", ConfigType::Double, d.message_burst, 1, 1e9,
                       "messages one peer may send in a burst");
        schema.bounded("orderbook_rate", ConfigType::Double, d.orderbook_rate, 0.001, 1e6,
                       "public !orderbook requests per second one peer may send (each makes every maker answer)");
        schema.bounded("orderbook_burst", ConfigType::Double, d.orderbook_burst, 1, 1e6,
                       "public !orderbook requests one peer may send in a burst");
        schema.bounded("relay_byte_rate", ConfigType::Double, d.relay_byte_rate, 1024, 1e12,
                       "bytes of messages per second one peer may have relayed, sustained; excess is dropped");
        schema.bounded("relay_byte_burst", ConfigType::Double, d.relay_byte_burst,
                       static_cast<double>(jm::protocol::MAX_SEND_LINE), 1e12,
                       "bytes of messages one peer may have relayed in a burst");
        schema.bounded("nick_takeover_after", ConfigType::Duration, "10s", 0, DAY_MS,
                       "a handshake with a nick whose connection has been silent this long replaces that "
                       "connection (a peer reconnecting before its dead TCP connection closed); 0 = always");
        schema.bounded("evict_silent_after", ConfigType::Duration, "60s", 0, DAY_MS,
                       "when max_peers is reached, a new peer replaces the non-serving peer that has been silent "
                       "the longest, if silent this long; 0 = never (the newcomer is refused)");
        schema.bounded("getpeerlist_interval", ConfigType::Duration, "10s", 0, DAY_MS,
                       "shortest interval between two answered GETPEERLIST requests of one peer");
        schema.bounded("violations_before_ban", ConfigType::Int, static_cast<std::int64_t>(d.violations_before_ban), 0,
                       1e9, "dropped messages after which a peer is disconnected and banned (0 = never)");
        schema.bounded("ban_duration", ConfigType::Duration, "1h", 1000, 365 * DAY_MS, "how long a ban lasts");
        ConfigField banned;
        banned.name = "banned";
        banned.type = ConfigType::List;
        banned.default_value = boost::json::array{};
        banned.description = "nicks and source addresses refused for good";
        schema.add(banned);
        schema.bounded("max_send_queue", ConfigType::Int, static_cast<std::int64_t>(d.max_send_queue), 262144, 1 << 30,
                       "bytes of memory queued to one slow reader: public messages past half of it are not sent "
                       "to it, private ones past all of it disconnect it");
        schema.bounded("max_total_send_queue", ConfigType::Int, static_cast<std::int64_t>(d.max_total_send_queue),
                       1 << 20, 1e12,
                       "bytes of memory queued to all readers together; past it messages (public or private) "
                       "go only to peers that have nothing queued");
        schema.bounded("stats_interval", ConfigType::Duration, "60s", 0, DAY_MS,
                       "period of the stats line in the log (and of the status file); 0 = never");
        schema.optional("status_file", ConfigType::String, "",
                        "file (relative to the data directory) the stats are written to as JSON; read by "
                        "`jmnode directory status`");
        return schema;
    }();
    return s;
}

jm::sdk::Result<DirectorySettings> DirectorySettings::fromConfig(const boost::json::object& config) {
    DirectorySettings d;
    try {
        auto str = [&](const char* key) { return jm::sdk::configString(config, key).value(); };
        auto integer = [&](const char* key) { return jm::sdk::configInt(config, key).value(); };
        auto dbl = [&](const char* key) { return jm::sdk::configDouble(config, key).value(); };
        auto dur = [&](const char* key) { return jm::sdk::configDuration(config, key).value(); };
        d.host = str("host");
        d.port = static_cast<std::uint16_t>(integer("port"));
        d.port_file = str("port_file");
        d.io_threads = static_cast<int>(integer("io_threads"));
        d.location = str("location");
        d.onion_port = static_cast<std::uint16_t>(integer("onion_port"));
        d.motd = str("motd");
        d.max_line_length = static_cast<std::size_t>(integer("max_line_length"));
        d.max_peers = static_cast<std::size_t>(integer("max_peers"));
        d.max_pending_handshakes = static_cast<std::size_t>(integer("max_pending_handshakes"));
        d.max_connections_per_address = static_cast<std::size_t>(integer("max_connections_per_address"));
        d.limit_loopback = jm::sdk::configBool(config, "limit_loopback").value();
        d.handshake_timeout = dur("handshake_timeout");
        d.idle_probe = dur("idle_probe");
        d.idle_timeout = dur("idle_timeout");
        d.message_rate = dbl("message_rate");
        d.message_burst = dbl("message_burst");
        d.orderbook_rate = dbl("orderbook_rate");
        d.orderbook_burst = dbl("orderbook_burst");
        d.relay_byte_rate = dbl("relay_byte_rate");
        d.relay_byte_burst = dbl("relay_byte_burst");
        d.nick_takeover_after = dur("nick_takeover_after");
        d.evict_silent_after = dur("evict_silent_after");
        d.getpeerlist_interval = dur("getpeerlist_interval");
        d.violations_before_ban = static_cast<std::size_t>(integer("violations_before_ban"));
        d.ban_duration = dur("ban_duration");
        d.banned = jm::sdk::configStringList(config, "banned").value();
        d.max_send_queue = static_cast<std::size_t>(integer("max_send_queue"));
        d.max_total_send_queue = static_cast<std::size_t>(integer("max_total_send_queue"));
        d.stats_interval = dur("stats_interval");
        d.status_file = str("status_file");
    } catch (const std::exception& e) {
        return fail(errc::invalid_config, e.what());
    }
    if (!d.location.empty()) {
        auto location = jm::protocol::parseLocation(d.location);
        if (!location || !location->serving())
            return fail(errc::invalid_config, "location must be host:port, e.g. <onion>.onion:5222");
    }
    if (const auto* tor = config.if_contains("tor")) {
        auto read = jm::net::TorSettings::fromJson(*tor);
        if (!read) return read.error();
        d.tor = std::move(*read);
    }
    if (d.tor.hasControl() && !d.location.empty())
        return fail(errc::invalid_config,
                    "location: leave it empty with tor.control set (the directory's own onion is its location)");
    if (d.idle_timeout.count() > 0 && d.idle_probe >= d.idle_timeout)
        return fail(errc::invalid_config, "idle_probe must be shorter than idle_timeout");
    if (d.motd.size() > 2000) return fail(errc::invalid_config, "motd is longer than 2000 characters");
    return d;
}

} // namespace jm::plugins::directory
