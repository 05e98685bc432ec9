// The orderbook watcher plugin: the "web" role (kind "role"), a live web page and JSON API of
// the market, as REF's ob-watcher.py.
#include "watcher_plugin.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::orderbook {
namespace {

class WebFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "role"; }
    std::string_view name() const override { return "web"; }
    std::string_view description() const override {
        return "orderbook watcher: follows the directories' offers and fidelity bonds and serves them as a web "
               "page, /orderbook.json, /bonds.json and /health";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return WatcherSettings::schema(); }
    std::vector<std::string> dependencies() const override { return {"backend/1"}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = WatcherSettings::fromConfig(config);
        if (!settings) return settings.error();
        return jm::sdk::PluginPtr(std::make_unique<WatcherPlugin>(ctx, std::move(*settings)));
    }
};

} // namespace
} // namespace jm::plugins::orderbook

JM_PLUGIN_ENTRY("orderbook", "0.1.0", jm::sdk::FactoryList<jm::plugins::orderbook::WebFactory>)
