#include "chooser_factories.hpp"

#include "order_choosers.hpp"

#include <memory>

namespace jm::plugins::chooser {
namespace {

//! A plugin instance that only provides its chooser as a service.
class ChooserInstance final : public jm::sdk::Plugin {
public:
    explicit ChooserInstance(std::unique_ptr<jm::taker::OrderChooser> chooser) : m_chooser(std::move(chooser)) {}
    jm::taker::OrderChooser& chooser() { return *m_chooser; }
    jm::sdk::Result<void> start() override { return {}; }
    void stop(std::function<void()> done) override { done(); }

private:
    std::unique_ptr<jm::taker::OrderChooser> m_chooser;
};

class Factory : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "chooser"; }
    std::vector<std::string> provides() const override { return {std::string(jm::taker::OrderChooser::service_kind)}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto chooser = make(config);
        if (!chooser) return chooser.error();
        auto instance = std::make_unique<ChooserInstance>(std::move(*chooser));
        if (auto r = ctx.services().provide<jm::taker::OrderChooser>(ctx.instanceName(), instance->chooser()); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(instance));
    }

protected:
    virtual jm::sdk::Result<std::unique_ptr<jm::taker::OrderChooser>> make(const boost::json::object& config) const = 0;
};

//! A chooser without settings.
template <class Chooser> class PlainFactory final : public Factory {
public:
    PlainFactory(std::string_view name, std::string_view description) : m_name(name), m_description(description) {}
    std::string_view name() const override { return m_name; }
    std::string_view description() const override { return m_description; }
    const jm::sdk::ConfigSchema& configSchema() const override { return emptyChooserSchema(); }

private:
    jm::sdk::Result<std::unique_ptr<jm::taker::OrderChooser>> make(const boost::json::object&) const override {
        return std::unique_ptr<jm::taker::OrderChooser>(std::make_unique<Chooser>());
    }
    std::string_view m_name;
    std::string_view m_description;
};

class FidelityBondWeightedFactory final : public Factory {
public:
    std::string_view name() const override { return "fidelity_bond_weighted"; }
    std::string_view description() const override {
        return "REF fidelity_bond_weighted_order_choose (REF's default, -F): makers weighted by fidelity bond "
               "value^bond_value_exponent, any maker uniformly with probability bondless_makers_allowance";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return BondWeightSettings::schema(); }

private:
    jm::sdk::Result<std::unique_ptr<jm::taker::OrderChooser>> make(const boost::json::object& config) const override {
        auto settings = BondWeightSettings::fromConfig(config);
        if (!settings) return settings.error();
        return std::unique_ptr<jm::taker::OrderChooser>(std::make_unique<FidelityBondWeightedChooser>(*settings));
    }
};

PlainFactory<RandomChooser>
    g_random("random", "REF random_under_max_order_choose (-R): any maker within the fee limits, uniformly");
PlainFactory<CheapestChooser> g_cheapest("cheapest", "REF cheapest_order_choose (-C): the makers with the lowest fees");
PlainFactory<WeightedChooser>
    g_weighted("weighted",
               "REF weighted_order_choose (-W): cheaper makers more likely, P(fee) ~ exp(-(fee - min fee) / phi)");
FidelityBondWeightedFactory g_bond;
jm::sdk::PluginFactory* const g_list[] = {&g_random, &g_cheapest, &g_weighted, &g_bond};

} // namespace

std::span<jm::sdk::PluginFactory* const> chooserFactories() { return g_list; }

} // namespace jm::plugins::chooser
