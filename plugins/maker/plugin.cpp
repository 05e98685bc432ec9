// The maker plugin: the "maker" role (kind "role"), selling liquidity in JoinMarket CoinJoins.
#include "maker_plugin.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::maker {
namespace {

class MakerFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "role"; }
    std::string_view name() const override { return "maker"; }
    std::string_view description() const override {
        return "JoinMarket maker: announces offers from a yield generator and earns fees in takers' CoinJoins";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return MakerSettings::schema(); }
    std::vector<std::string> dependencies() const override { return {"backend/1", "yieldgen/1"}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = MakerSettings::fromConfig(config);
        if (!settings) return settings.error();
        return jm::sdk::PluginPtr(std::make_unique<MakerPlugin>(ctx, std::move(*settings)));
    }
};

} // namespace
} // namespace jm::plugins::maker

JM_PLUGIN_ENTRY("maker", "0.1.0", jm::sdk::FactoryList<jm::plugins::maker::MakerFactory>)
