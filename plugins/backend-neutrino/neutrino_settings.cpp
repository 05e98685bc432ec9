#include "neutrino_settings.hpp"

namespace jm::plugins::backend_neutrino {

using jm::sdk::errc;
using jm::sdk::fail;

const jm::sdk::ConfigSchema& NeutrinoSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        jm::sdk::ConfigField peers;
        peers.name = "peers";
        peers.type = jm::sdk::ConfigType::List;
        peers.element = jm::sdk::ConfigType::String;
        peers.default_value = boost::json::array{};
        peers.description = "Bitcoin nodes serving compact block filters (BIP157, Core with -blockfilterindex=1 "
                            "-peerblockfilters=1), as \"host:port\" (8333 mainnet, 18333 testnet, 38333 signet, "
                            "18444 regtest); each keeps a connection, reconnected with backoff when lost. May be "
                            "empty with dns_seeds";
        schema.add(std::move(peers));
        schema.optional("dns_seeds", jm::sdk::ConfigType::Bool, false,
                        "also find peers through DNS seeds (Bitcoin Core's list for the network, or dns_seed_hosts; "
                        "regtest has none): their addresses fill the connections up to max_peers, a lookup that "
                        "fails is retried every minute");
        jm::sdk::ConfigField seed_hosts;
        seed_hosts.name = "dns_seed_hosts";
        seed_hosts.type = jm::sdk::ConfigType::List;
        seed_hosts.element = jm::sdk::ConfigType::String;
        seed_hosts.description = "with dns_seeds: the seed host names to ask instead of the built-in list, as \"name\" "
                                 "(the network's port) or \"name:port\"";
        schema.add(std::move(seed_hosts));
        schema.optional("connect_learned", jm::sdk::ConfigType::Bool, false,
                        "also connect to addresses peers announce (addr/addrv2, those offering compact filters), up "
                        "to max_peers");
        schema.bounded("max_peers", jm::sdk::ConfigType::Int, 4, 1, 32,
                       "outbound connections at most, the listed peers included (found and learned addresses fill "
                       "the rest)");
        schema.optional("connect_timeout", jm::sdk::ConfigType::Duration, "10s",
                        "time allowed for the TCP connection to a peer");
        schema.optional(
            "ban_time", jm::sdk::ConfigType::Duration, "24h",
            "how long a misbehaving peer is banned (kept in the instance's store: a restart keeps the ban)");
        schema.bounded("watch_ahead", jm::sdk::ConfigType::Int, 200, 1, 100000,
                       "scripts watched past the highest used one on each wallet branch");
        schema.bounded("filter_batch", jm::sdk::ConfigType::Int, 1000, 1, 1000, "filters asked for at once");
        schema.bounded("hint_max_filters", jm::sdk::ConfigType::Int, 50000, 1, 10000000,
                       "filters one lookup of a counterparty's coin checks (asking again continues)");
        schema.bounded("hint_max_blocks", jm::sdk::ConfigType::Int, 50, 1, 10000,
                       "blocks one lookup of a counterparty's coin fetches");
        schema.bounded("mempool_limit", jm::sdk::ConfigType::Int, 20000, 0, 1000000,
                       "unconfirmed transactions relayed by peers kept in memory");
        schema.bounded("sync_wait", jm::sdk::ConfigType::Duration, "60s", 0, 3600'000,
                       "how long a wallet scan waits for headers and filters to sync (a node just started) "
                       "before it fails as unavailable");
        return schema;
    }();
    return s;
}

jm::sdk::Result<NeutrinoSettings> NeutrinoSettings::fromConfig(const boost::json::object& config) {
    NeutrinoSettings s;
    try {
        s.watch_ahead = static_cast<std::uint32_t>(jm::sdk::configInt(config, "watch_ahead").value());
        s.filter_batch = static_cast<std::uint32_t>(jm::sdk::configInt(config, "filter_batch").value());
        s.hint_max_filters = static_cast<std::uint32_t>(jm::sdk::configInt(config, "hint_max_filters").value());
        s.hint_max_blocks = static_cast<std::uint32_t>(jm::sdk::configInt(config, "hint_max_blocks").value());
        s.mempool_limit = static_cast<std::uint32_t>(jm::sdk::configInt(config, "mempool_limit").value());
        if (config.contains("sync_wait")) s.sync_wait = jm::sdk::configDuration(config, "sync_wait").value();
    } catch (const std::exception& e) {
        return fail(errc::invalid_config, e.what());
    }
    return s;
}

} // namespace jm::plugins::backend_neutrino
