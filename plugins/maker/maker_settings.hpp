#pragma once

#include <jm/net/peer_address.hpp>
#include <jm/net/tor_settings.hpp>
#include <jm/protocol/podle.hpp>
#include <jm/sdk/config.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jm::plugins::maker {

//! One directory to connect to.
using DirectoryAddress = jm::net::PeerAddress;

//! Everything the maker role is configured with (factory "maker" of plugin "maker").
struct MakerSettings {
    std::string wallet = "wallet"; //!< the node's wallet to trade with
    std::string backend;           //!< backend instance (service "backend/1")
    std::string yieldgen;          //!< yield generator instance (service "yieldgen/1")
    std::string fee;               //!< fee instance for the yield generator's FeeView; "" = backend estimate
    std::vector<DirectoryAddress> directories;
    jm::net::TorSettings tor; //!< SOCKS for .onion directories (or all of them)
    //! A file holding the wallet password (mode 0600, refused otherwise); "" = ask at start
    //! (terminal or `jmnode run --password-fd`).
    std::string password_file;

    //! Taker commitments (REF [POLICY] names): NUMS indices accepted, the age and size of the
    //! taker's coin relative to the amount.
    jm::protocol::PodlePolicy podle;
    //! Confirmations the maker's own coins need to be offered.
    int min_confirmations = 1;
    //! A session that has not reached its signatures by then is dropped and its coins unlocked.
    std::chrono::milliseconds session_timeout{300'000};
    //! Coins signed into a CoinJoin stay locked until it confirms or this long has passed.
    std::chrono::milliseconds signed_lock_timeout{7'200'000};
    //! Live sessions at most. When full, a new !fill evicts the oldest session still waiting for
    //! its !auth; when every session holds coins, the !fill is refused.
    int max_sessions = 50;
    //! Most inputs one CoinJoin may take from the wallet (NG takers refuse more than 15).
    int max_inputs = 15;
    //! Messages per second one nick may send us (sustained, and burst); excess is dropped.
    double message_rate = 10;
    double message_burst = 100;
    //! At most one private offer list per nick in this interval.
    std::chrono::milliseconds orderbook_interval{10'000};
    //! Announce used commitments with !hp2 from a throw-away nick (as NG does).
    bool broadcast_commitments = true;
    //! Commitments learned from others' !hp2 kept (the oldest are forgotten beyond this).
    int max_learned_commitments = 100'000;
    //! Height the wallet's history starts at (rescans start here).
    std::int32_t birthday_height = 0;
    //! Resynchronise the wallet after this many new blocks (0 = only after own CoinJoins).
    int resync_blocks = 1;
    //! JSON status for `jmnode maker status`, relative to the data directory; "" =
    //! "<instance>-status.json".
    std::string status_file;
    //! How long to wait for a directory connection and its handshake.
    std::chrono::milliseconds connect_timeout{60'000};
    //! Network name in directory handshakes; empty = the node's network.
    std::string directory_network;
    //! Serve fills from this node's own takers (demos and tests only).
    bool serve_own_takers = false;

    // Direct connections (protocol.md 3.4, docs/direct-connections.md).
    //! Accept takers' direct connections: on our own onion service when tor.control is set, or
    //! on direct_listen.
    bool serve_direct = true;
    //! Plain-TCP testing mode (REF's regtest_count): listen here, a loopback "host:port" (port 0:
    //! any free one), and announce it. Empty: the onion service (with tor.control) or no serving.
    std::optional<jm::net::PeerAddress> direct_listen;
    //! Announce this location instead (e.g. an onion service configured in torrc that leads to
    //! direct_listen). Empty: what we listen on.
    std::string direct_announce;
    //! Direct connections accepted at once; more are closed at once.
    int max_direct_connections = 32;

    static const jm::sdk::ConfigSchema& schema();
    //! Reads a config validated against schema(). Errors: errc::invalid_config.
    static jm::sdk::Result<MakerSettings> fromConfig(const boost::json::object& config);
};

} // namespace jm::plugins::maker
