// A deterministic order chooser (chooser/1) for tests of `jmnode coinjoin send`: the cheapest
// offer of each maker by net fee, then by nick. Test-only: built into the test plugin
// directory, never installed (the real choosers are plugins/chooser's).
#include <jm/sdk/abi.hpp>
#include <jm/sdk/plugin.hpp>
#include <jm/taker/order_chooser.hpp>

#include <algorithm>
#include <numeric>
#include <set>

namespace {

class CheapestChooser final : public jm::taker::OrderChooser, public jm::sdk::Plugin {
public:
    jm::sdk::Result<void> start() override { return {}; }
    void stop(std::function<void()> done) override { done(); }
    jm::sdk::Result<std::vector<std::size_t>> choose(const std::vector<jm::taker::CandidateOffer>& offers,
                                                     const jm::taker::ChooseRequest& request) const override {
        std::vector<std::size_t> order(offers.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::sort(order.begin(), order.end(), [&](auto a, auto b) {
            auto fa = offers[a].cjfee - offers[a].offer.txfee, fb = offers[b].cjfee - offers[b].offer.txfee;
            return fa != fb ? fa < fb : offers[a].counterparty < offers[b].counterparty;
        });
        std::vector<std::size_t> out;
        std::set<std::string> nicks;
        for (auto i : order)
            if (out.size() < request.count && nicks.insert(offers[i].counterparty).second) out.push_back(i);
        if (out.size() < request.count) return jm::sdk::fail(jm::sdk::errc::not_found, "too few makers");
        return out;
    }
};

class Factory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "chooser"; }
    std::string_view name() const override { return "test_cheapest"; }
    std::string_view description() const override { return "test double: the cheapest offers, deterministic"; }
    std::vector<std::string> provides() const override { return {"chooser/1"}; }
    const jm::sdk::ConfigSchema& configSchema() const override {
        static const jm::sdk::ConfigSchema schema;
        return schema;
    }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx, const boost::json::object&) override {
        auto plugin = std::make_unique<CheapestChooser>();
        if (auto r = ctx.services().provide<jm::taker::OrderChooser>(ctx.instanceName(), *plugin); !r) return r.error();
        return jm::sdk::PluginPtr(std::move(plugin));
    }
};

class Module final : public jm::sdk::PluginModule {
public:
    std::span<jm::sdk::PluginFactory* const> factories() override { return m_list; }

private:
    Factory m_factory;
    jm::sdk::PluginFactory* m_list[1] = {&m_factory};
};

} // namespace

JM_PLUGIN_ENTRY("test_chooser", "0.1.0", Module)
