// The tumbler plugin: the "tumbler" role (kind "role"), a wallet's coins through many CoinJoins.
#include "tumbler_plugin.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::tumbler {
namespace {

class TumblerFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "role"; }
    std::string_view name() const override { return "tumbler"; }
    std::string_view description() const override {
        return "JoinMarket tumbler: moves the wallet's coins to 3+ addresses through a resumable plan of CoinJoins "
               "(the reference's schedule), made by a taker instance";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return TumblerSettings::schema(); }
    std::vector<std::string> dependencies() const override { return {"backend/1", "taker/1"}; }
    std::vector<std::string> provides() const override { return {"tumbler/1"}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = TumblerSettings::fromConfig(config);
        if (!settings) return settings.error();
        auto plugin = std::make_unique<TumblerPlugin>(ctx, std::move(*settings));
        // `jmnode tumble` drives it through this service.
        if (auto r = ctx.services().provide<jm::tumbler::TumblerService>(ctx.instanceName(), *plugin); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(plugin));
    }
};

} // namespace
} // namespace jm::plugins::tumbler

JM_PLUGIN_ENTRY("tumbler", "0.1.0", jm::sdk::FactoryList<jm::plugins::tumbler::TumblerFactory>)
