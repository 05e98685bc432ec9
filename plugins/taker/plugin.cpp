// The taker plugin: the "taker" role (kind "role"), paying or sweeping through CoinJoins.
#include "taker_plugin.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::taker {
namespace {

class TakerFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "role"; }
    std::string_view name() const override { return "taker"; }
    std::string_view description() const override {
        return "JoinMarket taker: pays or sweeps through a CoinJoin with makers chosen from the orderbook";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return TakerSettings::schema(); }
    std::vector<std::string> dependencies() const override { return {"backend/1", "chooser/1"}; }
    std::vector<std::string> provides() const override { return {"taker/1"}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = TakerSettings::fromConfig(config);
        if (!settings) return settings.error();
        auto plugin = std::make_unique<TakerPlugin>(ctx, std::move(*settings));
        // `jmnode coinjoin send` and `jmnode orderbook` drive it through this service.
        if (auto r = ctx.services().provide<jm::taker::CoinjoinService>(ctx.instanceName(), *plugin); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(plugin));
    }
};

} // namespace
} // namespace jm::plugins::taker

JM_PLUGIN_ENTRY("taker", "0.1.0", jm::sdk::FactoryList<jm::plugins::taker::TakerFactory>)
