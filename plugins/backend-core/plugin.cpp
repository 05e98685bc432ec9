// The backend-core plugin: the BlockchainBackend service over Bitcoin Core's JSON-RPC.
#include "core_backend.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::backend_core {
namespace {

class CoreFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "backend"; }
    std::string_view name() const override { return "core"; }
    std::string_view description() const override {
        return "Bitcoin Core over JSON-RPC: watch-only wallet tracking, UTXO checks, broadcast, fee estimates";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return CoreSettings::schema(); }
    std::vector<std::string> provides() const override { return {"backend/1"}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = CoreSettings::fromConfig(config, ctx.network());
        if (!settings) return settings.error();
        auto backend = std::make_unique<CoreBackend>(ctx, std::move(*settings));
        if (auto r = ctx.services().provide<jm::chain::BlockchainBackend>(ctx.instanceName(), *backend); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(backend));
    }
};

} // namespace
} // namespace jm::plugins::backend_core

JM_PLUGIN_ENTRY("backend-core", "0.1.0", jm::sdk::FactoryList<jm::plugins::backend_core::CoreFactory>)
