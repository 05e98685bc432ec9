// The backend-neutrino plugin: the BlockchainBackend service over an in-process BIP157/158 light
// client.
#include "neutrino_plugin.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::backend_neutrino {
namespace {

class Module final : public jm::sdk::PluginModule {
public:
    std::span<jm::sdk::PluginFactory* const> factories() override { return m_list; }

private:
    jm::sdk::PluginFactory* m_list[1] = {&neutrinoFactory()};
};

} // namespace
} // namespace jm::plugins::backend_neutrino

JM_PLUGIN_ENTRY("backend-neutrino", "0.1.0", jm::plugins::backend_neutrino::Module)
