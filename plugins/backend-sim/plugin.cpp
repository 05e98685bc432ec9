// The backend-sim plugin: a simulated regtest chain (the SDK's TestChain) as the BlockchainBackend
// service, so a whole market runs in one process without Bitcoin Core.
#include "sim_factory.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::backend_sim {
namespace {

class Module final : public jm::sdk::PluginModule {
public:
    std::span<jm::sdk::PluginFactory* const> factories() override { return m_list; }

private:
    jm::sdk::PluginFactory* m_list[1] = {&simFactory()};
};

} // namespace
} // namespace jm::plugins::backend_sim

JM_PLUGIN_ENTRY("backend-sim", "0.1.0", jm::plugins::backend_sim::Module)
