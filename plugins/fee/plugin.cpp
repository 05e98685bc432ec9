// The fee plugin: FeeEstimator services "backend" (the backend's estimate with JoinMarket's
// policy), "fixed" and "mempool" (a mempool.space-compatible HTTP API with the same policy).
#include "fee_estimators.hpp"
#include "mempool_fee_estimator.hpp"

#include <jm/sdk/abi.hpp>

#include <cmath>

namespace jm::plugins::fee {
namespace {

std::int64_t perKvb(double sat_vb) { return static_cast<std::int64_t>(std::llround(sat_vb * 1000)); }

class BackendFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "fee"; }
    std::string_view name() const override { return "backend"; }
    std::string_view description() const override {
        return "fee rate from the blockchain backend's estimate, randomised upwards, with floor and cap";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return BackendFeeEstimator::schema(); }
    std::vector<std::string> dependencies() const override { return {"backend/1"}; }
    std::vector<std::string> provides() const override { return {"fee/1"}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        FeePolicy policy;
        policy.floor = perKvb(jm::sdk::configDouble(config, "floor_sat_vb").value());
        policy.cap = perKvb(jm::sdk::configDouble(config, "cap_sat_vb").value());
        policy.randomization = jm::sdk::configDouble(config, "randomization").value();
        if (policy.cap < policy.floor)
            return jm::sdk::fail(jm::sdk::errc::invalid_config, "cap_sat_vb is below floor_sat_vb");
        auto estimator = std::make_unique<BackendFeeEstimator>(
            ctx, jm::sdk::configString(config, "backend").value(),
            static_cast<int>(jm::sdk::configInt(config, "target_blocks").value()), policy);
        if (auto r = ctx.services().provide<jm::chain::FeeEstimator>(ctx.instanceName(), *estimator); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(estimator));
    }
};

class FixedFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "fee"; }
    std::string_view name() const override { return "fixed"; }
    std::string_view description() const override { return "a fixed fee rate"; }
    const jm::sdk::ConfigSchema& configSchema() const override { return FixedFeeEstimator::schema(); }
    std::vector<std::string> provides() const override { return {"fee/1"}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto estimator = std::make_unique<FixedFeeEstimator>(perKvb(jm::sdk::configDouble(config, "sat_vb").value()));
        if (auto r = ctx.services().provide<jm::chain::FeeEstimator>(ctx.instanceName(), *estimator); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(estimator));
    }
};

class MempoolFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "fee"; }
    std::string_view name() const override { return "mempool"; }
    std::string_view description() const override {
        return "fee rates from a mempool.space-compatible HTTP(S) API (GET <url>/api/v1/fees/recommended), "
               "randomised upwards, with floor and cap; cached, with the last good reply or a fallback rate "
               "when the API fails";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return MempoolFeeEstimator::schema(); }
    std::vector<std::string> provides() const override { return {"fee/1"}; }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = MempoolFeeEstimator::settingsFrom(config);
        if (!settings) return settings.error();
        auto estimator = std::make_unique<MempoolFeeEstimator>(ctx, std::move(*settings));
        if (auto r = ctx.services().provide<jm::chain::FeeEstimator>(ctx.instanceName(), *estimator); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(estimator));
    }
};

class Module final : public jm::sdk::PluginModule {
public:
    std::span<jm::sdk::PluginFactory* const> factories() override { return m_list; }

private:
    BackendFactory m_backend;
    FixedFactory m_fixed;
    MempoolFactory m_mempool;
    jm::sdk::PluginFactory* m_list[3] = {&m_backend, &m_fixed, &m_mempool};
};

} // namespace
} // namespace jm::plugins::fee

JM_PLUGIN_ENTRY("fee", "0.1.0", jm::plugins::fee::Module)
