// The plugin's entry: one module, one factory ("scaled") of kind "yieldgen" that provides the
// yield-generator service "yieldgen/1" under the instance's name.
#include "scaled_yield_generator.hpp"

#include <jm/sdk/abi.hpp>
#include <jm/sdk/plugin.hpp>

namespace {

class Instance final : public jm::sdk::Plugin {
public:
    explicit Instance(example::ScaledYieldGenerator::Settings s) : strategy(s) {}
    jm::sdk::Result<void> start() override { return {}; }
    void stop(std::function<void()> done) override { done(); }
    example::ScaledYieldGenerator strategy;
};

class Factory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "yieldgen"; }
    std::string_view name() const override { return "scaled"; }
    std::string_view description() const override {
        return "one offer per mixdepth, asking more the larger the mixdepth's balance";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return example::ScaledYieldGenerator::schema(); }
    std::vector<std::string> provides() const override {
        return {std::string(jm::maker::YieldGenerator::service_kind)};
    }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        example::ScaledYieldGenerator::Settings s;
        s.base_fee_ppb = jm::sdk::configInt(config, "base_fee_ppb").value();
        s.scale = jm::sdk::configInt(config, "scale").value();
        s.minsize = jm::sdk::configInt(config, "minsize").value();
        auto instance = std::make_unique<Instance>(s);
        if (auto r = ctx.services().provide<jm::maker::YieldGenerator>(ctx.instanceName(), instance->strategy); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(instance));
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

JM_PLUGIN_ENTRY("yieldgen_scaled", "0.1.0", Module)
