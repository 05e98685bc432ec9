// The yieldgen plugin: yield-generator strategies for the maker role, as "yieldgen/1" services.
// Factories "basic" (REF yield-generator-basic) and "privacy_enhanced" (REF yg-privacyenhanced).
#include "basic_yield_generator.hpp"
#include "privacy_enhanced_yield_generator.hpp"

#include <jm/sdk/abi.hpp>
#include <jm/sdk/plugin.hpp>

#include <sodium.h>

#include <memory>

namespace jm::plugins::yieldgen {
namespace {

//! A plugin instance that only provides its strategy as a service.
class YieldGenInstance final : public jm::sdk::Plugin {
public:
    explicit YieldGenInstance(std::unique_ptr<jm::maker::YieldGenerator> strategy) : m_strategy(std::move(strategy)) {}
    jm::maker::YieldGenerator& strategy() { return *m_strategy; }
    jm::sdk::Result<void> start() override { return {}; }
    void stop(std::function<void()> done) override { done(); }

private:
    std::unique_ptr<jm::maker::YieldGenerator> m_strategy;
};

class Factory : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "yieldgen"; }
    const jm::sdk::ConfigSchema& configSchema() const override { return YieldGenSettings::schema(); }
    std::vector<std::string> provides() const override {
        return {std::string(jm::maker::YieldGenerator::service_kind)};
    }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = YieldGenSettings::fromConfig(config);
        if (!settings) return settings.error();
        auto instance = std::make_unique<YieldGenInstance>(make(std::move(*settings)));
        if (auto r = ctx.services().provide<jm::maker::YieldGenerator>(ctx.instanceName(), instance->strategy()); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(instance));
    }

protected:
    virtual std::unique_ptr<jm::maker::YieldGenerator> make(YieldGenSettings settings) const = 0;
};

class BasicFactory final : public Factory {
public:
    std::string_view name() const override { return "basic"; }
    std::string_view description() const override {
        return "REF yield-generator-basic: one offer from the largest mixdepth, fills from the lowest that can pay";
    }

private:
    std::unique_ptr<jm::maker::YieldGenerator> make(YieldGenSettings settings) const override {
        return std::make_unique<BasicYieldGenerator>(std::move(settings));
    }
};

class PrivacyEnhancedFactory final : public Factory {
public:
    std::string_view name() const override { return "privacy_enhanced"; }
    std::string_view description() const override {
        return "REF yg-privacyenhanced: sizes and fees randomised at every announcement";
    }

private:
    std::unique_ptr<jm::maker::YieldGenerator> make(YieldGenSettings settings) const override {
        std::uint64_t seed = 0;
        randombytes_buf(&seed, sizeof seed);
        return std::make_unique<PrivacyEnhancedYieldGenerator>(std::move(settings), seed);
    }
};

} // namespace

using Module = jm::sdk::FactoryList<BasicFactory, PrivacyEnhancedFactory>;
} // namespace jm::plugins::yieldgen

JM_PLUGIN_ENTRY("yieldgen", "0.1.0", jm::plugins::yieldgen::Module)
