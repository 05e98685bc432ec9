#pragma once

#include <jm/net/peer_address.hpp>
#include <jm/net/tor_settings.hpp>
#include <jm/sdk/config.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace jm::plugins::orderbook {

//! One directory to connect to.
using DirectoryAddress = jm::net::PeerAddress;

//! Everything the watcher (factory "web" of plugin "orderbook") is configured with.
struct WatcherSettings {
    std::string backend; //!< verifies the bonds
    std::vector<DirectoryAddress> directories;
    jm::net::TorSettings tor;      //!< SOCKS for .onion directories (or all of them)
    std::string directory_network; //!< "" = the node's
    std::chrono::milliseconds refresh{300'000};
    std::chrono::milliseconds connect_timeout{60'000};
    std::string http_host = "127.0.0.1";
    std::uint16_t http_port = 62601;
    std::chrono::milliseconds header_timeout{10'000};
    std::size_t max_connections = 32;
    std::chrono::milliseconds page_refresh{30'000};
    double bond_value_exponent = 1.3;

    //! The schema every key is checked against (jmnode help-plugin orderbook/web).
    static const jm::sdk::ConfigSchema& schema();
    //! Errors: errc::invalid_config naming the key.
    static jm::sdk::Result<WatcherSettings> fromConfig(const boost::json::object& config);
};

} // namespace jm::plugins::orderbook
