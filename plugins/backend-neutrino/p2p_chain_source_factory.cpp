// Builds the plugin's P2pChainSource from its config and context: the network from the node,
// the peers and limits from the config, the chains in the instance's store, logs on the
// instance's channel.
#include "p2p_chain_source_factory.hpp"
#include "chain_params.hpp"
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

Result<P2pChainSourceSettings> p2pSettingsFromConfig(std::string_view network_name, std::string_view instance,
                                                     const boost::json::object& config) {
    auto network = jm::bitcoin::parseNetwork(network_name);
    if (!network) return fail(errc::invalid_config, "node.network: " + network.error().message);
    try {
        if (jm::sdk::configBool(config, "dns_seeds").value())
            return fail(errc::invalid_config, "dns_seeds: finding peers through DNS seeds is not implemented yet; "
                                              "list the peers in \"peers\"");
        auto peers = jm::net::parsePeerAddresses(jm::sdk::configStringList(config, "peers").value(), "peers");
        if (!peers) return peers.error();
        P2pChainSourceSettings s;
        s.params = chainParams(*network);
        s.peers.peers = std::move(*peers);
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
