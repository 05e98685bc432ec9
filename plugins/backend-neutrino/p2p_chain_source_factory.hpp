#pragma once

#include "light_chain_source.hpp"

#include <jm/sdk/context.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <memory>

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

//! The Bitcoin P2P light client (BIP157/158) for the plugin instance `ctx`, configured by the
//! plugin's validated config object (peers, dns_seeds, max_peers, connect_timeout, ban_time)
//! and keeping its headers and filter headers in ctx.store(). The one place the plugin builds
//! its source. Errors: errc::invalid_config; errc::unsupported while this build has no P2P
//! client.
jm::sdk::Result<std::unique_ptr<RunningChainSource>> makeP2pChainSource(jm::sdk::PluginContext& ctx,
                                                                        const boost::json::object& config);

} // namespace jm::plugins::backend_neutrino
