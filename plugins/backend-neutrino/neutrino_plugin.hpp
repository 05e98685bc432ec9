#pragma once

#include "neutrino_backend.hpp"
#include "p2p_chain_source_factory.hpp"

#include <jm/sdk/plugin.hpp>

#include <memory>

namespace jm::plugins::backend_neutrino {

//! The plugin instance: the light client (source) and the backend/1 service over it. The backend
//! is destroyed before the source it uses. Executor: the instance's strand.
class NeutrinoPlugin final : public jm::sdk::Plugin {
public:
    NeutrinoPlugin(jm::sdk::PluginContext& ctx, std::unique_ptr<RunningChainSource> source, NeutrinoSettings settings);
    ~NeutrinoPlugin() override;

    //! Starts the source, then the backend following it. Errors: the source's.
    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;
    NeutrinoBackend& backend() { return *m_backend; }

private:
    std::unique_ptr<RunningChainSource> m_source;
    std::unique_ptr<NeutrinoBackend> m_backend;
};

//! The `neutrino` factory (kind backend): settings from the config, the source from
//! makeP2pChainSource, the service registered under the instance's name.
jm::sdk::PluginFactory& neutrinoFactory();

} // namespace jm::plugins::backend_neutrino
