#pragma once

#include "fee_policy.hpp"
#include "http_get.hpp"
#include "mempool_fees.hpp"

#include <jm/chain/fee_estimator.hpp>
#include <jm/sdk/plugin.hpp>

#include <chrono>
#include <optional>
#include <vector>

namespace jm::plugins::fee {

//! fee/mempool: the fee rates of a mempool.space-compatible HTTP(S) API (`GET
//! <url>/api/v1/fees/recommended`), mapped to the confirmation target (mempoolRateFor), then
//! FeePolicy. One request at a time; a reply is reused for `cache`. When the API fails (HTTP
//! error, bad JSON, timeout, body over 64 KiB), the last good reply serves while it is younger
//! than `max_stale`, then `fallback_sat_vb` when set; otherwise estimate() fails with
//! errc::unavailable and the reason. Failures are logged (warning) once per failed request.
//! Executor: estimate() may be called from any strand; requests run on the plugin's executor and
//! completions are posted to the caller's `ex`.
class MempoolFeeEstimator final : public jm::chain::FeeEstimator, public jm::sdk::Plugin {
public:
    struct Settings {
        HttpEndpoint endpoint;
        std::string ca_file;
        int target_blocks = 3;
        std::chrono::milliseconds timeout{10'000};
        std::chrono::milliseconds cache{60'000};
        std::chrono::milliseconds max_stale{30 * 60'000};
        double fallback_sat_vb = 0; //!< 0: none
        std::size_t max_body = 64 * 1024;
        FeePolicy policy;
    };
    static const jm::sdk::ConfigSchema& schema();
    //! From a validated config. Errors: errc::invalid_config (url, cap below floor).
    static jm::sdk::Result<Settings> settingsFrom(const boost::json::object& config);

    MempoolFeeEstimator(jm::sdk::PluginContext& ctx, Settings settings);
    ~MempoolFeeEstimator() override;

    //! Loads the TLS trust store for https. Errors: those of makeTlsClientContext.
    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;
    void estimate(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override;

private:
    struct Waiter {
        int target;
        jm::sdk::Executor ex;
        jm::chain::Callback<std::int64_t> done;
    };
    using Clock = std::chrono::steady_clock;
    void onStrand(Waiter w);
    void fetched(jm::sdk::Result<HttpGetReply> reply);
    void answer(Waiter& w, jm::sdk::Result<double> sat_vb);

    jm::sdk::PluginContext& m_ctx;
    Settings m_settings;
    std::shared_ptr<boost::asio::ssl::context> m_tls;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    std::optional<MempoolFees> m_cached;
    Clock::time_point m_cachedAt;
    bool m_fetching = false;
    std::vector<Waiter> m_waiting;
};

} // namespace jm::plugins::fee
