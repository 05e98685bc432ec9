#include "fee_estimators.hpp"

#include <boost/asio/post.hpp>

#include <sodium.h>

namespace jm::plugins::fee {

using jm::sdk::ConfigField;
using jm::sdk::ConfigType;

namespace {

double uniform() { return randombytes_uniform(1'000'000) / 1'000'000.0; }

} // namespace

const jm::sdk::ConfigSchema& BackendFeeEstimator::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        schema.required("backend", ConfigType::String, "instance name of the blockchain backend to ask");
        schema.bounded("target_blocks", ConfigType::Int, 3, 1, 1008, "confirmation target in blocks");
        schema.bounded("floor_sat_vb", ConfigType::Double, 1.0, 0.1, 100000, "never pay less (sat/vB)");
        schema.bounded("cap_sat_vb", ConfigType::Double, 350.0, 1, 100000,
                       "never pay more (sat/vB; REF's absurd fee limit)");
        schema.bounded("randomization", ConfigType::Double, 0.2, 0, 1,
                       "raise the estimate by a random 0..this fraction (REF tx_fees_factor)");
        return schema;
    }();
    return s;
}

BackendFeeEstimator::BackendFeeEstimator(jm::sdk::PluginContext& ctx, std::string backend, int target_blocks,
                                         FeePolicy policy) :
    m_ctx(ctx),
    m_backendName(std::move(backend)), m_target(target_blocks), m_policy(policy) {}

jm::sdk::Result<void> BackendFeeEstimator::start() {
    auto backend = m_ctx.services().get<jm::chain::BlockchainBackend>(m_backendName);
    if (!backend) return backend.error();
    m_backend = *backend;
    return {};
}

void BackendFeeEstimator::estimate(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) {
    if (!m_backend) {
        boost::asio::post(ex, [done] { done(jm::sdk::fail(jm::sdk::errc::unavailable, "fee estimator not started")); });
        return;
    }
    auto policy = m_policy;
    m_backend->estimateFee(target_blocks > 0 ? target_blocks : m_target, ex,
                           [policy, done](jm::sdk::Result<std::int64_t> rate) {
                               if (!rate) return done(rate.error());
                               done(policy.apply(*rate, uniform));
                           });
}

const jm::sdk::ConfigSchema& FixedFeeEstimator::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        ConfigField rate;
        rate.name = "sat_vb";
        rate.type = ConfigType::Double;
        rate.required = true;
        rate.min = 0.1;
        rate.max = 100000;
        rate.description = "fee rate in sat/vB";
        schema.add(rate);
        return schema;
    }();
    return s;
}

void FixedFeeEstimator::estimate(int, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) {
    boost::asio::post(ex, [rate = m_rate, done] { done(rate); });
}

} // namespace jm::plugins::fee
