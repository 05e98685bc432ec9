// The plugin's entry: one module, one factory ("file"), the JM_PLUGIN_ENTRY handshake.
#include "file_notifier.hpp"

#include <jm/sdk/abi.hpp>

namespace {

class Factory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "notifier"; }
    std::string_view name() const override { return "file"; }
    std::string_view description() const override { return "appends chosen bus events to a file"; }
    const jm::sdk::ConfigSchema& configSchema() const override { return example::FileNotifier::schema(); }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto path = jm::sdk::configString(config, "path");
        if (!path) return path.error();
        auto topics = jm::sdk::configStringList(config, "on");
        if (!topics) return topics.error();
        return std::make_unique<example::FileNotifier>(ctx, std::move(*path), std::move(*topics));
    }
};

class Module final : public jm::sdk::PluginModule {
public:
    std::span<jm::sdk::PluginFactory* const> factories() override { return {m_list, 1}; }

private:
    Factory m_factory;
    jm::sdk::PluginFactory* m_list[1] = {&m_factory};
};

} // namespace

JM_PLUGIN_ENTRY("notifier_file", "0.1.0", Module)
