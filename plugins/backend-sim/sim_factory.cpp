#include "sim_factory.hpp"

#include "sim_backend.hpp"

namespace jm::plugins::backend_sim {
namespace {

class SimFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "backend"; }
    std::string_view name() const override { return "sim"; }
    std::string_view description() const override {
        return "a simulated chain in the node (regtest only): checks signatures and fees, premines coins, mines "
               "on a timer or after each transaction; no Bitcoin Core needed";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return SimSettings::schema(); }
    std::vector<std::string> provides() const override {
        return {std::string(jm::chain::BlockchainBackend::service_kind)};
    }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = SimSettings::fromConfig(config, ctx.network());
        if (!settings) return settings.error();
        auto backend = std::make_unique<SimBackend>(ctx, std::move(*settings));
        if (auto r = ctx.services().provide<jm::chain::BlockchainBackend>(ctx.instanceName(), *backend); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(backend));
    }
};

SimFactory g_factory;

} // namespace

jm::sdk::PluginFactory& simFactory() { return g_factory; }

} // namespace jm::plugins::backend_sim
