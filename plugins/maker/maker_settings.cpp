#include "maker_settings.hpp"

#include <jm/net/direct_peers.hpp>
#include <jm/protocol/handshake.hpp>

namespace jm::plugins::maker {

using jm::sdk::ConfigField;
using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr double DAY_MS = 86'400'000;
}

const jm::sdk::ConfigSchema& MakerSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        MakerSettings d;
        jm::sdk::ConfigSchema schema;
        schema.optional("wallet", ConfigType::String, "wallet",
                        "the node's wallet to trade with (`jmnode wallet create` makes \"wallet\")");
        schema.required("backend", ConfigType::String, "blockchain backend instance");
        schema.required("yieldgen", ConfigType::String, "yield generator instance (what to offer)");
        schema.optional("fee", ConfigType::String, "",
                        "fee estimator instance whose rate the yield generator sees; \"\" = the backend's");
        ConfigField dirs;
        dirs.name = "directories";
        dirs.type = ConfigType::List;
        dirs.element = ConfigType::String;
        dirs.required = true;
        dirs.description = "directories to announce offers on, as \"host:port\"";
        schema.add(dirs);
        schema.optional("tor", ConfigType::Object, boost::json::object(), std::string(jm::net::TOR_CONFIG_DESCRIPTION));
        schema.optional("password_file", ConfigType::String, "",
                        "file with the wallet password, mode 0600 (refused otherwise); \"\" = ask at start "
                        "(terminal or `jmnode run --password-fd N`)");
        schema.bounded("taker_utxo_retries", ConfigType::Int, d.podle.retries, 1, 256,
                       "PoDLE NUMS indices accepted per taker coin (REF [POLICY] taker_utxo_retries)");
        schema.bounded("taker_utxo_age", ConfigType::Int, d.podle.min_confirmations, 0, 10000,
                       "confirmations the taker's commitment coin needs (REF taker_utxo_age)");
        schema.bounded("taker_utxo_amtpercent", ConfigType::Int, d.podle.amount_percent, 0, 100,
                       "the taker's commitment coin must be worth this percentage of the amount (REF)");
        schema.bounded("min_confirmations", ConfigType::Int, d.min_confirmations, 1, 10000,
                       "confirmations the maker's own coins need to be offered");
        schema.bounded("session_timeout", ConfigType::Duration, "300s", 1000, DAY_MS,
                       "a CoinJoin session not signed by then is dropped and its coins unlocked");
        schema.bounded("signed_lock_timeout", ConfigType::Duration, "2h", 1000, 30 * DAY_MS,
                       "coins signed into a CoinJoin stay locked until it confirms or this long has passed");
        schema.bounded("max_sessions", ConfigType::Int, d.max_sessions, 1, 10000,
                       "live CoinJoin sessions at most; when full, the oldest one still waiting for its !auth "
                       "makes room");
        schema.bounded("max_inputs", ConfigType::Int, d.max_inputs, 1, 100,
                       "most wallet coins one CoinJoin may take (NG takers refuse more than 15)");
        schema.bounded("message_rate", ConfigType::Double, d.message_rate, 0.1, 1e6,
                       "messages per second one nick may send, sustained; excess is dropped");
        schema.bounded("message_burst", ConfigType::Double, d.message_burst, 1, 1e6,
                       "messages one nick may send in a burst");
        schema.bounded("orderbook_interval", ConfigType::Duration, "10s", 0, DAY_MS,
                       "at most one private offer list per nick in this interval");
        schema.optional("broadcast_commitments", ConfigType::Bool, d.broadcast_commitments,
                        "announce used commitments with !hp2 from a throw-away nick, so other makers refuse them");
        schema.bounded("max_learned_commitments", ConfigType::Int, d.max_learned_commitments, 0, 10'000'000,
                       "commitments learned from other makers' !hp2 kept on disk; beyond it the oldest are "
                       "forgotten (those this maker answered are kept for ever)");
        schema.bounded("birthday_height", ConfigType::Int, d.birthday_height, 0, 100'000'000,
                       "block height the wallet's history starts at (rescans start here)");
        schema.bounded("resync_blocks", ConfigType::Int, d.resync_blocks, 0, 10000,
                       "resynchronise the wallet every this many blocks (0 = only after own CoinJoins)");
        schema.optional("status_file", ConfigType::String, "",
                        "JSON status for `jmnode maker status`, relative to the data directory "
                        "(\"\" = <instance>-status.json)");
        schema.bounded("connect_timeout", ConfigType::Duration, "60s", 100, DAY_MS,
                       "time allowed to connect to a directory and complete its handshake");
        schema.optional("serve_own_takers", ConfigType::Bool, false,
                        "also serve the takers of this node (a CoinJoin with yourself gains no privacy: only for "
                        "demos and tests, e.g. `jmnode demo`)");
        schema.optional("directory_network", ConfigType::String, "",
                        "network name sent in directory handshakes; \"\" = the node's network. Reference "
                        "JoinMarket regtest setups use \"testnet\"");
        schema.optional("serve_direct", ConfigType::Bool, d.serve_direct,
                        "accept takers' direct connections (docs/direct-connections.md): on an onion service "
                        "of our own when tor.control is set, or on direct_listen; the location is announced in "
                        "our directory handshakes");
        schema.optional("direct_listen", ConfigType::String, "",
                        "plain-TCP testing mode: accept direct connections on this loopback \"host:port\" (port "
                        "0: any free one) and announce it, as reference JoinMarket does with regtest_count; \"\" "
                        "= the onion service (with tor.control) or none");
        schema.optional("direct_announce", ConfigType::String, "",
                        "announce this \"host:port\" instead of where we listen (e.g. an onion service of "
                        "torrc leading to direct_listen); \"\" = where we listen");
        schema.bounded("max_direct_connections", ConfigType::Int, d.max_direct_connections, 1, 10000,
                       "direct connections accepted at once; further ones are closed at once");
        return schema;
    }();
    return s;
}

jm::sdk::Result<MakerSettings> MakerSettings::fromConfig(const boost::json::object& config) {
    MakerSettings s;
    s.wallet = jm::sdk::configString(config, "wallet").value();
    s.backend = jm::sdk::configString(config, "backend").value();
    s.yieldgen = jm::sdk::configString(config, "yieldgen").value();
    s.fee = jm::sdk::configString(config, "fee").value();
    auto dirs = jm::sdk::configStringList(config, "directories");
    if (!dirs) return dirs.error();
    auto addresses = jm::net::parsePeerAddresses(*dirs, "directories");
    if (!addresses) return addresses.error();
    s.directories = std::move(*addresses);
    auto tor = jm::net::roleTorSettings(config, s.directories);
    if (!tor) return tor.error();
    s.tor = std::move(*tor);
    s.password_file = jm::sdk::configString(config, "password_file").value();
    s.podle.retries = static_cast<int>(jm::sdk::configInt(config, "taker_utxo_retries").value());
    s.podle.min_confirmations = static_cast<int>(jm::sdk::configInt(config, "taker_utxo_age").value());
    s.podle.amount_percent = static_cast<int>(jm::sdk::configInt(config, "taker_utxo_amtpercent").value());
    s.min_confirmations = static_cast<int>(jm::sdk::configInt(config, "min_confirmations").value());
    s.session_timeout = jm::sdk::configDuration(config, "session_timeout").value();
    s.signed_lock_timeout = jm::sdk::configDuration(config, "signed_lock_timeout").value();
    s.max_sessions = static_cast<int>(jm::sdk::configInt(config, "max_sessions").value());
    s.max_inputs = static_cast<int>(jm::sdk::configInt(config, "max_inputs").value());
    s.message_rate = jm::sdk::configDouble(config, "message_rate").value();
    s.message_burst = jm::sdk::configDouble(config, "message_burst").value();
    s.orderbook_interval = jm::sdk::configDuration(config, "orderbook_interval").value();
    s.broadcast_commitments = jm::sdk::configBool(config, "broadcast_commitments").value();
    s.max_learned_commitments = static_cast<int>(jm::sdk::configInt(config, "max_learned_commitments").value());
    s.birthday_height = static_cast<std::int32_t>(jm::sdk::configInt(config, "birthday_height").value());
    s.resync_blocks = static_cast<int>(jm::sdk::configInt(config, "resync_blocks").value());
    s.status_file = jm::sdk::configString(config, "status_file").value();
    s.connect_timeout = jm::sdk::configDuration(config, "connect_timeout").value();
    s.directory_network = jm::sdk::configString(config, "directory_network").value();
    s.serve_own_takers = jm::sdk::configBool(config, "serve_own_takers").value();
    s.serve_direct = jm::sdk::configBool(config, "serve_direct").value();
    if (auto listen = jm::sdk::configString(config, "direct_listen").value(); !listen.empty()) {
        // Port 0 (any free port) is allowed here, unlike in a peer's address.
        bool any_port = listen.size() > 2 && listen.ends_with(":0");
        auto address = jm::net::parsePeerAddress(any_port ? listen.substr(0, listen.size() - 1) + "1" : listen);
        if (address && any_port) address->port = 0;
        if (!address) return fail(errc::invalid_config, "direct_listen: " + address.error().message);
        // Testing mode only: a plain TCP listener reachable from elsewhere would tell takers our IP.
        if (!jm::net::isLoopbackHost(address->host))
            return fail(errc::invalid_config, "direct_listen must be a loopback address (127.0.0.1:PORT), not " +
                                                  listen + ": use tor.control for an onion service");
        s.direct_listen = std::move(*address);
    }
    s.direct_announce = jm::sdk::configString(config, "direct_announce").value();
    if (!s.direct_announce.empty()) {
        auto location = jm::protocol::parseLocation(s.direct_announce);
        if (!location || !location->serving())
            return fail(errc::invalid_config, "direct_announce must be host:port, not '" + s.direct_announce + "'");
        if (!s.direct_listen && !s.tor.hasControl())
            return fail(errc::invalid_config, "direct_announce needs direct_listen (or tor.control)");
    }
    s.max_direct_connections = static_cast<int>(jm::sdk::configInt(config, "max_direct_connections").value());
    return s;
}

} // namespace jm::plugins::maker
