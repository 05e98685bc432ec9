#pragma once

#include "fee_policy.hpp"

#include <jm/chain/fee_estimator.hpp>
#include <jm/sdk/plugin.hpp>

#include <string>

namespace jm::plugins::fee {

//! fee/backend: the backend's estimate for the target, then FeePolicy.
//! Executor: estimate() may be called from any strand; the backend completes on the caller's.
class BackendFeeEstimator final : public jm::chain::FeeEstimator, public jm::sdk::Plugin {
public:
    static const jm::sdk::ConfigSchema& schema();
    BackendFeeEstimator(jm::sdk::PluginContext& ctx, std::string backend, int target_blocks, FeePolicy policy);

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override { done(); }
    void estimate(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override;

private:
    jm::sdk::PluginContext& m_ctx;
    std::string m_backendName;
    jm::chain::BlockchainBackend* m_backend = nullptr;
    int m_target;
    FeePolicy m_policy;
};

//! fee/fixed: always the configured rate.
class FixedFeeEstimator final : public jm::chain::FeeEstimator, public jm::sdk::Plugin {
public:
    static const jm::sdk::ConfigSchema& schema();
    explicit FixedFeeEstimator(std::int64_t sat_per_kvb) : m_rate(sat_per_kvb) {}

    jm::sdk::Result<void> start() override { return {}; }
    void stop(std::function<void()> done) override { done(); }
    void estimate(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override;

private:
    std::int64_t m_rate;
};

} // namespace jm::plugins::fee
