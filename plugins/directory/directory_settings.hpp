#pragma once

#include <jm/net/tor_settings.hpp>
#include <jm/protocol/envelope.hpp>
#include <jm/sdk/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace jm::plugins::directory {

//! Everything the directory server is configured with (the "server" factory's schema).
struct DirectorySettings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5222;
    //! Written with the bound port once listening (useful with port 0); empty = none.
    std::string port_file;
    int io_threads = 2;
    //! The directory's public location ("<onion>.onion:5222"), added to the peerlists it sends
    //! as REF directories do; empty = not advertised.
    std::string location;
    //! Tor: with `tor.control` set the directory adds its own onion service (ADD_ONION, the key
    //! in its store unless `tor.onion` is "ephemeral"), maps onion_port to its listening port and
    //! lists "<onion>.onion:<onion_port>" as its location once published. `location` must then
    //! be empty: the onion is the location.
    jm::net::TorSettings tor;
    //! The onion service's virtual port (the port in the location); 5222 like REF directories.
    std::uint16_t onion_port = 5222;
    std::string motd = "Default MOTD, replace with information for the directory.";
    //! REF clients close a connection on a line over 40,000 bytes, so nothing longer is accepted
    //! or relayed (the REF directory closes such a sender too).
    std::size_t max_line_length = jm::protocol::MAX_SEND_LINE;
    std::size_t max_peers = 10000;
    std::size_t max_pending_handshakes = 1000;
    std::size_t max_connections_per_address = 32;
    //! Tor hands every onion connection over from 127.0.0.1: per-address limits and bans do not
    //! apply to loopback unless this is set.
    bool limit_loopback = false;
    std::chrono::milliseconds handshake_timeout{30'000};
    std::chrono::milliseconds idle_probe{600'000};
    std::chrono::milliseconds idle_timeout{1'500'000};
    double message_rate = 500;
    double message_burst = 1000;
    double orderbook_rate = 0.2;
    double orderbook_burst = 3;
    //! Bytes of messages one peer may have relayed per second, sustained and in a burst: what one
    //! sender can make the directory queue for others.
    double relay_byte_rate = 100 * 1024;
    double relay_byte_burst = 2 * 1024 * 1024;
    //! A handshake with a nick held by a connection silent at least this long replaces it (a
    //! reconnect after a dead TCP connection); a livelier holder keeps the nick.
    std::chrono::milliseconds nick_takeover_after{10'000};
    //! When max_peers is reached, a new peer replaces the non-serving peer silent the longest if
    //! it has been silent this long (0 = never replace: refuse the newcomer).
    std::chrono::milliseconds evict_silent_after{60'000};
    std::chrono::milliseconds getpeerlist_interval{10'000};
    std::size_t violations_before_ban = 200;
    std::chrono::milliseconds ban_duration{3'600'000};
    std::vector<std::string> banned;
    //! Memory queued to one slow reader: public messages past half of it are not queued to it;
    //! private ones past all of it close the connection.
    std::size_t max_send_queue = 4 * 1024 * 1024;
    //! Memory queued to all readers together; past it nothing more (public or private) is queued
    //! to anybody whose queue is not empty.
    std::size_t max_total_send_queue = 1024 * 1024 * 1024;
    std::chrono::milliseconds stats_interval{60'000};
    //! File (relative to the data directory) the stats are written to as JSON; empty = none.
    std::string status_file;

    //! The schema with every default above and a description of each key.
    static const jm::sdk::ConfigSchema& schema();
    //! Reads a config validated against schema(). Errors: errc::invalid_config.
    static jm::sdk::Result<DirectorySettings> fromConfig(const boost::json::object& config);
};

} // namespace jm::plugins::directory
