// Builds the plugin's P2pChainSource from its config and context: the network from the node,
// the peers and limits from the config, the chains in the instance's store, logs on the
// instance's channel.
#include "p2p_chain_source_factory.hpp"
#include "chain_params.hpp"
#include "dns_seeds.hpp"
#include "p2p_chain_source.hpp"

#include <jm/bitcoin/network.hpp>
#include <jm/net/peer_address.hpp>
#include <jm/sdk/config.hpp>

#include <boost/asio/post.hpp>

namespace jm::plugins::backend_neutrino {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

namespace {

//! P2pChainSource with the plugin's start/stop shape.
class P2pRunningSource final : public RunningChainSource {
public:
    P2pRunningSource(jm::sdk::Executor strand, std::unique_ptr<P2pChainSource> source) :
        m_strand(std::move(strand)), m_source(std::move(source)) {}

    Result<void> start() override {
        m_source->start();
        return {};
    }
    void stop(std::function<void()> done) override {
        m_source->stop();
        // stop() posts the cancellations of pending requests; `done` runs after them.
        if (done) boost::asio::post(m_strand, std::move(done));
    }

    std::uint32_t verifiedHeight() const override { return m_source->verifiedHeight(); }
    bool synced() const override { return m_source->synced(); }
    std::string unavailableReason() const override { return m_source->unavailableReason(); }
    std::optional<jm::bitcoin::BlockHeader> headerAt(std::uint32_t height) const override {
        return m_source->headerAt(height);
    }
    std::optional<std::uint32_t> heightOf(const jm::bitcoin::Hash256& block_hash) const override {
        return m_source->heightOf(block_hash);
    }
    void getFilters(std::uint32_t from, std::uint32_t to,
                    std::function<void(Result<std::vector<VerifiedFilter>>)> done) override {
        m_source->getFilters(from, to, std::move(done));
    }
    void getBlock(const jm::bitcoin::Hash256& block_hash,
                  std::function<void(Result<jm::bitcoin::Block>)> done) override {
        m_source->getBlock(block_hash, std::move(done));
    }
    void broadcast(jm::bitcoin::Transaction tx, std::function<void(Result<void>)> done) override {
        m_source->broadcast(std::move(tx), std::move(done));
    }
    void onChainChanged(std::function<void(const ChainChange&)> handler) override {
        m_source->onChainChanged(std::move(handler));
    }
    void onMempoolTransaction(std::function<void(const jm::bitcoin::Transaction&)> handler) override {
        m_source->onMempoolTransaction(std::move(handler));
    }

private:
    jm::sdk::Executor m_strand;
    std::unique_ptr<P2pChainSource> m_source;
};

} // namespace

namespace {

//! The network whose default P2P port `port` is, when it is not `network`'s.
std::optional<jm::bitcoin::Network> otherNetworkOfPort(std::uint16_t port, jm::bitcoin::Network network) {
    using jm::bitcoin::Network;
    for (auto n : {Network::Mainnet, Network::Testnet, Network::Signet, Network::Regtest})
        if (n != network && defaultP2pPort(n) == port) return n;
    return std::nullopt;
}

//! What checkP2pConfig finds, with the parsed values p2pSettingsFromConfig uses.
struct P2pKeys {
    std::vector<jm::net::PeerAddress> peers;
    std::vector<SeedHost> seeds; //!< empty without dns_seeds
};

P2pKeys readP2pKeys(jm::bitcoin::Network network, const boost::json::object& config, std::string_view path,
                    std::vector<jm::sdk::ConfigProblem>& problems) {
    P2pKeys keys;
    auto at = [&](std::string_view key) { return std::string(path) + "." + std::string(key); };
    auto item = [&](std::string_view key, std::size_t i) { return at(key) + "[" + std::to_string(i) + "]"; };
    const auto& name = jm::bitcoin::params(network).name;
    auto wrongNetwork = [&](std::uint16_t port) -> std::string {
        auto other = otherNetworkOfPort(port, network);
        if (!other) return {};
        return "port " + std::to_string(port) + " is " + std::string(jm::bitcoin::params(*other).name) +
               "'s, but node.network is " + std::string(name) + " (its port is " +
               std::to_string(defaultP2pPort(network)) + ")";
    };
    auto texts = jm::sdk::configStringList(config, "peers");
    auto dns = jm::sdk::configBool(config, "dns_seeds");
    auto max_peers = jm::sdk::configInt(config, "max_peers");
    if (!texts || !dns || !max_peers) {
        problems.push_back({std::string(path), "the P2P keys cannot be read (peers, dns_seeds, max_peers)"});
        return keys;
    }
    for (std::size_t i = 0; i < texts->size(); ++i) {
        auto address = jm::net::parsePeerAddress((*texts)[i]);
        if (!address) {
            problems.push_back({item("peers", i), address.error().message + " (expected \"host:port\")"});
            continue;
        }
        if (auto why = wrongNetwork(address->port); !why.empty())
            problems.push_back({item("peers", i), "'" + (*texts)[i] + "': " + why});
        keys.peers.push_back(std::move(*address));
    }
    if (texts->size() > static_cast<std::size_t>(*max_peers))
        problems.push_back({at("peers"), std::to_string(texts->size()) + " peers listed but max_peers is " +
                                             std::to_string(*max_peers) +
                                             ": every listed peer keeps a connection; raise max_peers or list fewer"});
    bool has_hosts = config.contains("dns_seed_hosts") && !config.at("dns_seed_hosts").is_null();
    std::vector<SeedHost> hosts;
    if (has_hosts) {
        auto host_texts = jm::sdk::configStringList(config, "dns_seed_hosts");
        if (!host_texts) {
            problems.push_back({at("dns_seed_hosts"), host_texts.error().message});
        } else {
            if (host_texts->empty())
                problems.push_back({at("dns_seed_hosts"), "empty: name at least one seed, or leave the key out for "
                                                          "the network's built-in seeds"});
            for (std::size_t i = 0; i < host_texts->size(); ++i) {
                auto seed = parseSeedHost((*host_texts)[i], defaultP2pPort(network));
                if (!seed) {
                    problems.push_back(
                        {item("dns_seed_hosts", i), seed.error().message + " (expected \"name\" or \"name:port\")"});
                    continue;
                }
                if (auto why = wrongNetwork(seed->port); !why.empty())
                    problems.push_back({item("dns_seed_hosts", i), "'" + (*host_texts)[i] + "': " + why});
                hosts.push_back(std::move(*seed));
            }
        }
        if (!*dns)
            problems.push_back({at("dns_seed_hosts"), "set but dns_seeds is false: set \"dns_seeds\": true to use "
                                                      "them, or remove dns_seed_hosts"});
    }
    if (*dns) {
        keys.seeds = has_hosts ? std::move(hosts) : builtinDnsSeeds(network);
        if (!has_hosts && keys.seeds.empty())
            problems.push_back({at("dns_seeds"), std::string(name) +
                                                     " has no DNS seeds: list peers in \"peers\", or seed host "
                                                     "names in \"dns_seed_hosts\""});
    } else if (texts->empty()) {
        problems.push_back({at("peers"), "name at least one \"host:port\" (a node serving compact filters), or "
                                         "set \"dns_seeds\": true to find peers through DNS"});
    }
    return keys;
}

} // namespace

bool checkP2pConfig(std::string_view network_name, const boost::json::object& config, std::string_view path,
                    std::vector<jm::sdk::ConfigProblem>& problems) {
    auto network = jm::bitcoin::parseNetwork(network_name);
    if (!network) {
        problems.push_back({std::string(path), "node.network: " + network.error().message});
        return false;
    }
    auto before = problems.size();
    readP2pKeys(*network, config, path, problems);
    return problems.size() == before;
}

Result<P2pChainSourceSettings> p2pSettingsFromConfig(std::string_view network_name, std::string_view instance,
                                                     const boost::json::object& config) {
    auto network = jm::bitcoin::parseNetwork(network_name);
    if (!network) return fail(errc::invalid_config, "node.network: " + network.error().message);
    try {
        std::vector<jm::sdk::ConfigProblem> problems;
        auto keys = readP2pKeys(*network, config, "", problems);
        if (!problems.empty()) {
            auto key = problems.front().path;
            if (key.starts_with(".")) key.erase(0, 1);
            return fail(errc::invalid_config, (key.empty() ? "" : key + ": ") + problems.front().message);
        }
        P2pChainSourceSettings s;
        s.params = chainParams(*network);
        s.peers.peers = std::move(keys.peers);
        s.peers.dns_seeds = std::move(keys.seeds);
        s.peers.connect_learned = jm::sdk::configBool(config, "connect_learned").value();
        s.peers.max_peers = static_cast<std::size_t>(jm::sdk::configInt(config, "max_peers").value());
        auto ban = jm::sdk::configDuration(config, "ban_time").value();
        s.peers.ban_duration = std::chrono::duration_cast<std::chrono::seconds>(ban);
        s.peers.connection.network = *network;
        s.peers.connection.connect_timeout = jm::sdk::configDuration(config, "connect_timeout").value();
        s.peers.connection.log_channel = std::string(instance);
        s.filter_batch = static_cast<std::uint32_t>(jm::sdk::configInt(config, "filter_batch").value());
        return s;
    } catch (const std::exception& e) {
        return fail(errc::invalid_config, e.what());
    }
}

Result<std::unique_ptr<RunningChainSource>> makeP2pChainSource(jm::sdk::PluginContext& ctx,
                                                               const boost::json::object& config) {
    auto settings = p2pSettingsFromConfig(ctx.network(), ctx.instanceName(), config);
    if (!settings) return settings.error();
    auto source = P2pChainSource::open(ctx.executor(), std::move(*settings), ctx.store());
    if (!source) return source.error();
    return std::unique_ptr<RunningChainSource>(std::make_unique<P2pRunningSource>(ctx.executor(), std::move(*source)));
}

} // namespace jm::plugins::backend_neutrino
