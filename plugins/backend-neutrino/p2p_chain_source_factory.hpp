#pragma once

#include "light_chain_source.hpp"
#include "p2p_chain_source.hpp"

#include <jm/sdk/config.hpp>
#include <jm/sdk/context.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace jm::plugins::backend_neutrino {

//! A LightChainSource with a life: it connects to peers and syncs between start() and stop().
//! Executor: the plugin's strand. Ownership: the plugin owns it and destroys it after the
//! backend built on it.
class RunningChainSource : public LightChainSource {
public:
    //! Starts connecting and syncing (asynchronously). Errors: errc::invalid_config.
    virtual jm::sdk::Result<void> start() = 0;
    //! Closes every connection; `done` runs once nothing is pending.
    virtual void stop(std::function<void()> done) = 0;
};

//! Checks the P2P keys of a schema-validated config for a node on `network` without touching
//! the network: `peers` entries are host:port, no more of them than max_peers, none on another
//! network's default port; at least one peer or dns_seeds; dns_seed_hosts entries are name[:port],
//! set only with dns_seeds, needed on a network without built-in seeds (regtest). Appends one
//! problem per mistake, its path `path` + ".<key>" (+ "[i]"). Returns true when none.
//! Executor: any; pure.
bool checkP2pConfig(std::string_view network, const boost::json::object& config, std::string_view path,
                    std::vector<jm::sdk::ConfigProblem>& problems);

//! The light client's settings for a node on `network` ("regtest", ...) from the plugin's
//! validated config (peers, dns_seeds, dns_seed_hosts, connect_learned, max_peers,
//! connect_timeout, ban_time, filter_batch), logging on channel `instance`. Executor: any; pure
//! (DNS names are resolved later, by the PeerManager). Errors: errc::invalid_config with the
//! first of checkP2pConfig's problems ("<key>: <message>").
jm::sdk::Result<P2pChainSourceSettings> p2pSettingsFromConfig(std::string_view network, std::string_view instance,
                                                              const boost::json::object& config);

//! The Bitcoin P2P light client (BIP157/158) for the plugin instance `ctx`: the network is
//! ctx.network(), the rest from p2pSettingsFromConfig; headers, filter headers and peer bans
//! are kept in ctx.store() (a restart resumes from them) and logs go to the instance's channel. The one
//! place the plugin builds its source. Executor: ctx.executor(). Errors: as
//! p2pSettingsFromConfig; storage errors from P2pChainSource::open.
jm::sdk::Result<std::unique_ptr<RunningChainSource>> makeP2pChainSource(jm::sdk::PluginContext& ctx,
                                                                        const boost::json::object& config);

} // namespace jm::plugins::backend_neutrino
