// Until the P2P client (PeerManager and its P2pChainSource) is merged, the plugin cannot reach
// the network: it says so instead of pretending to sync.
#include "p2p_chain_source_factory.hpp"

namespace jm::plugins::backend_neutrino {

jm::sdk::Result<std::unique_ptr<RunningChainSource>> makeP2pChainSource(jm::sdk::PluginContext&,
                                                                        const boost::json::object&) {
    return jm::sdk::fail(jm::sdk::errc::unsupported, "backend-neutrino: P2P client not built yet");
}

} // namespace jm::plugins::backend_neutrino
