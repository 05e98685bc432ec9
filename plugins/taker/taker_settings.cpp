#include "taker_settings.hpp"

#include <jm/protocol/fees.hpp>

namespace jm::plugins::taker {

using jm::sdk::ConfigField;
using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr double DAY_MS = 86'400'000;
}

const jm::sdk::ConfigSchema& TakerSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        TakerSettings d;
        jm::sdk::ConfigSchema schema;
        schema.optional("wallet", ConfigType::String, "wallet", "the node's wallet to pay from");
        schema.required("backend", ConfigType::String, "blockchain backend instance");
        schema.optional("fee", ConfigType::String, "", "fee estimator instance; \"\" = the backend's estimate");
        schema.required("chooser", ConfigType::String, "order chooser instance (service chooser/1)");
        ConfigField dirs;
        dirs.name = "directories";
        dirs.type = ConfigType::List;
        dirs.element = ConfigType::String;
        dirs.required = true;
        dirs.description = "directories to collect offers from, as \"host:port\"";
        schema.add(dirs);
        schema.optional("tor", ConfigType::Object, boost::json::object(), std::string(jm::net::TOR_CONFIG_DESCRIPTION));
        schema.optional("password_file", ConfigType::String, "",
                        "file with the wallet password, mode 0600 (refused otherwise); \"\" = ask at start");
        schema.bounded(
            "max_cj_fee_abs", ConfigType::Int, d.max_cj_fee_abs, 0, 2.1e15,
            "an offer passes when its fee is at most this many satoshis, or under max_cj_fee_rel (REF [POLICY])");
        schema.optional("max_cj_fee_rel", ConfigType::String, boost::json::string(d.max_cj_fee_rel),
                        "or at most this fraction of the amount (REF [POLICY]; exact decimal text)");
        schema.bounded("makers", ConfigType::Int, static_cast<std::int64_t>(d.makers), 1, 100,
                       "counterparties when the request does not say (REF -N)");
        schema.bounded("minimum_makers", ConfigType::Int, static_cast<std::int64_t>(d.minimum_makers), 1, 100,
                       "an attempt goes on with at least this many answering makers (REF minimum_makers)");
        schema.bounded("max_attempts", ConfigType::Int, d.max_attempts, 1, 100,
                       "attempts per CoinJoin: failed makers are replaced and a fresh commitment used");
        schema.bounded("max_maker_utxos", ConfigType::Int, d.max_maker_utxos, 1, 1000,
                       "a maker declaring more inputs is dropped (NG)");
        schema.bounded("taker_utxo_retries", ConfigType::Int, d.podle.retries, 1, 256,
                       "commitments per coin: NUMS indices 0..retries-1 (REF [POLICY])");
        schema.bounded("taker_utxo_age", ConfigType::Int, d.podle.min_confirmations, 0, 10000,
                       "confirmations a commitment coin needs (REF [POLICY])");
        schema.bounded("taker_utxo_amtpercent", ConfigType::Int, d.podle.amount_percent, 0, 100,
                       "a commitment coin must be worth this percentage of the amount (REF [POLICY])");
        schema.bounded("min_confirmations", ConfigType::Int, d.min_confirmations, 0, 10000,
                       "confirmations our own coins need to be spent");
        schema.bounded("fee_target", ConfigType::Int, d.fee_target, 1, 1008, "confirmation target in blocks");
        schema.bounded("absurd_fee_per_kb", ConfigType::Int, d.absurd_fee_per_kb, 1000, 1e8,
                       "a fee estimate above this (sat/kvB) aborts the CoinJoin (REF)");
        schema.bounded("max_sweep_fee_change", ConfigType::Double, d.max_sweep_fee_change, 0, 10,
                       "a sweep is aborted when the real fee differs from its estimate by more than this fraction");
        schema.optional("tx_broadcast", ConfigType::String, "random-peer",
                        "who broadcasts: self, random-peer (us or a maker at random) or not-self (a maker via !push)");
        schema.bounded("orderbook_wait", ConfigType::Duration, "60s", 10, DAY_MS,
                       "longest wait for offers (collection ends earlier when every listed nick answered)");
        schema.bounded("orderbook_quiet", ConfigType::Duration, "3s", 0, DAY_MS,
                       "the orderbook is complete when enough makers answered and none for this long");
        schema.bounded("maker_timeout", ConfigType::Duration, "60s", 10, DAY_MS,
                       "how long each stage waits for makers that have not answered (REF maker_timeout_sec)");
        schema.bounded("unconfirm_timeout", ConfigType::Duration, "180s", 10, DAY_MS,
                       "not seen on the network by then: broadcast again (REF unconfirm_timeout_sec)");
        schema.bounded("wait_confirmations", ConfigType::Int, d.wait_confirmations, 0, 100,
                       "`coinjoin send` waits for this many confirmations (0 = until broadcast)");
        schema.bounded("confirm_timeout", ConfigType::Duration, "6h", 1000, 30 * DAY_MS,
                       "longest wait for the confirmations");
        schema.bounded("connect_timeout", ConfigType::Duration, "60s", 100, DAY_MS,
                       "time allowed to connect to a directory and complete its handshake");
        schema.optional("directory_network", ConfigType::String, "",
                        "network name sent in directory handshakes; \"\" = the node's network. Reference "
                        "JoinMarket regtest setups use \"testnet\"");
        schema.bounded("birthday_height", ConfigType::Int, d.birthday_height, 0, 100'000'000,
                       "block height the wallet's history starts at (rescans start here)");
        schema.bounded("bond_value_exponent", ConfigType::Double, d.bond_value_exponent, 0.1, 10,
                       "exponent of the bond values `jmnode orderbook` shows");
        schema.optional("direct_connections", ConfigType::String, "tor",
                        "direct connections to the chosen makers that announce a location "
                        "(docs/direct-connections.md): \"tor\" dials .onion locations through tor.socks, "
                        "\"tcp\" also loopback ones over plain TCP (testing mode), \"off\" never; private "
                        "messages go through a directory until a connection is up, and again if it drops");
        schema.bounded("direct_timeout", ConfigType::Duration, "30s", 100, DAY_MS,
                       "a direct connection must connect, and the maker answer its handshake, within this");
        return schema;
    }();
    return s;
}

jm::sdk::Result<TakerSettings> TakerSettings::fromConfig(const boost::json::object& config) {
    TakerSettings s;
    s.wallet = jm::sdk::configString(config, "wallet").value();
    s.backend = jm::sdk::configString(config, "backend").value();
    s.fee = jm::sdk::configString(config, "fee").value();
    s.chooser = jm::sdk::configString(config, "chooser").value();
    auto dirs = jm::sdk::configStringList(config, "directories");
    if (!dirs) return dirs.error();
    auto addresses = jm::net::parsePeerAddresses(*dirs, "directories");
    if (!addresses) return addresses.error();
    s.directories = std::move(*addresses);
    auto tor = jm::net::roleTorSettings(config, s.directories);
    if (!tor) return tor.error();
    s.tor = std::move(*tor);
    s.password_file = jm::sdk::configString(config, "password_file").value();
    s.max_cj_fee_abs = jm::sdk::configInt(config, "max_cj_fee_abs").value();
    s.max_cj_fee_rel = jm::sdk::configString(config, "max_cj_fee_rel").value();
    // Read exactly as an offer's relative fee is (no binary floating point anywhere).
    if (auto r = jm::protocol::realCjfee("sw0reloffer", s.max_cj_fee_rel, 100'000'000); !r)
        return fail(errc::invalid_config, "max_cj_fee_rel: '" + s.max_cj_fee_rel + "' is not a decimal fraction");
    s.makers = static_cast<std::size_t>(jm::sdk::configInt(config, "makers").value());
    s.minimum_makers = static_cast<std::size_t>(jm::sdk::configInt(config, "minimum_makers").value());
    if (s.minimum_makers > s.makers) s.minimum_makers = s.makers;
    s.max_attempts = static_cast<int>(jm::sdk::configInt(config, "max_attempts").value());
    s.max_maker_utxos = static_cast<int>(jm::sdk::configInt(config, "max_maker_utxos").value());
    s.podle.retries = static_cast<int>(jm::sdk::configInt(config, "taker_utxo_retries").value());
    s.podle.min_confirmations = static_cast<int>(jm::sdk::configInt(config, "taker_utxo_age").value());
    s.podle.amount_percent = static_cast<int>(jm::sdk::configInt(config, "taker_utxo_amtpercent").value());
    s.min_confirmations = static_cast<int>(jm::sdk::configInt(config, "min_confirmations").value());
    s.fee_target = static_cast<int>(jm::sdk::configInt(config, "fee_target").value());
    s.absurd_fee_per_kb = jm::sdk::configInt(config, "absurd_fee_per_kb").value();
    s.max_sweep_fee_change = jm::sdk::configDouble(config, "max_sweep_fee_change").value();
    auto policy = jm::sdk::configString(config, "tx_broadcast").value();
    if (policy == "self")
        s.tx_broadcast = BroadcastPolicy::Self;
    else if (policy == "random-peer")
        s.tx_broadcast = BroadcastPolicy::RandomPeer;
    else if (policy == "not-self")
        s.tx_broadcast = BroadcastPolicy::NotSelf;
    else
        return fail(errc::invalid_config, "tx_broadcast: '" + policy + "' is not self, random-peer or not-self");
    s.orderbook_wait = jm::sdk::configDuration(config, "orderbook_wait").value();
    s.orderbook_quiet = jm::sdk::configDuration(config, "orderbook_quiet").value();
    s.maker_timeout = jm::sdk::configDuration(config, "maker_timeout").value();
    s.unconfirm_timeout = jm::sdk::configDuration(config, "unconfirm_timeout").value();
    s.wait_confirmations = static_cast<int>(jm::sdk::configInt(config, "wait_confirmations").value());
    s.confirm_timeout = jm::sdk::configDuration(config, "confirm_timeout").value();
    s.connect_timeout = jm::sdk::configDuration(config, "connect_timeout").value();
    s.directory_network = jm::sdk::configString(config, "directory_network").value();
    auto direct = jm::sdk::configString(config, "direct_connections").value();
    if (direct == "tor")
        s.direct_connections = DirectMode::Tor;
    else if (direct == "tcp")
        s.direct_connections = DirectMode::Tcp;
    else if (direct == "off")
        s.direct_connections = DirectMode::Off;
    else
        return fail(errc::invalid_config, "direct_connections: '" + direct + "' is not tor, tcp or off");
    s.direct_timeout = jm::sdk::configDuration(config, "direct_timeout").value();
    s.birthday_height = static_cast<std::int32_t>(jm::sdk::configInt(config, "birthday_height").value());
    s.bond_value_exponent = jm::sdk::configDouble(config, "bond_value_exponent").value();
    return s;
}

} // namespace jm::plugins::taker
