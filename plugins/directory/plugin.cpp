// The directory plugin: the JoinMarket directory server role ("directory/server").
#include "directory_plugin.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::directory {
namespace {

class ServerFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "role"; }
    std::string_view name() const override { return "server"; }
    std::string_view description() const override {
        return "JoinMarket directory server: relays public messages, routes private ones, hands out peerlists";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return DirectorySettings::schema(); }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = DirectorySettings::fromConfig(config);
        if (!settings) return settings.error();
        return std::make_unique<DirectoryPlugin>(ctx, std::move(*settings));
    }
};

} // namespace
} // namespace jm::plugins::directory

JM_PLUGIN_ENTRY("directory", "0.1.0", jm::sdk::FactoryList<jm::plugins::directory::ServerFactory>)
