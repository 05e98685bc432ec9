#include "mempool_fee_estimator.hpp"

#include <boost/asio/post.hpp>

#include <sodium.h>

#include <cmath>

namespace jm::plugins::fee {

using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr double DAY_MS = 24.0 * 3600 * 1000;
double uniform() { return randombytes_uniform(1'000'000) / 1'000'000.0; }
std::int64_t perKvb(double sat_vb) { return static_cast<std::int64_t>(std::llround(sat_vb * 1000)); }

} // namespace

const jm::sdk::ConfigSchema& MempoolFeeEstimator::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        schema.required("url", ConfigType::String,
                        "base URL of a mempool.space-compatible API, e.g. https://mempool.space or "
                        "http://127.0.0.1:8999 (a self-hosted instance keeps your IP address private); "
                        "the plugin asks <url>/api/v1/fees/recommended");
        schema.bounded("target_blocks", ConfigType::Int, 3, 1, 1008,
                       "confirmation target when the caller gives none: 1 uses fastestFee, 2-3 halfHourFee, "
                       "4-6 hourFee, more economyFee (never below minimumFee)");
        schema.bounded("timeout", ConfigType::Duration, "10s", 100, 120'000, "the whole request's time limit");
        schema.bounded("cache", ConfigType::Duration, "60s", 0, DAY_MS, "reuse a reply this long");
        schema.bounded("max_stale", ConfigType::Duration, "30m", 0, DAY_MS,
                       "when the API fails, keep using the last good reply up to this age");
        schema.bounded("fallback_sat_vb", ConfigType::Double, 0.0, 0, 100000,
                       "when the API fails and no reply is fresh enough, use this rate (sat/vB); 0: fail "
                       "instead (the caller then reports the API's error)");
        schema.optional("ca_file", ConfigType::String, "",
                        "PEM file of the only CA to trust for https (default: the system's store)");
        schema.bounded("floor_sat_vb", ConfigType::Double, 1.0, 0.1, 100000, "never pay less (sat/vB)");
        schema.bounded("cap_sat_vb", ConfigType::Double, 350.0, 1, 100000,
                       "never pay more (sat/vB; REF's absurd fee limit)");
        schema.bounded("randomization", ConfigType::Double, 0.2, 0, 1,
                       "raise the rate by a random 0..this fraction (REF tx_fees_factor)");
        return schema;
    }();
    return s;
}

jm::sdk::Result<MempoolFeeEstimator::Settings> MempoolFeeEstimator::settingsFrom(const boost::json::object& config) {
    Settings s;
    auto endpoint = parseHttpEndpoint(jm::sdk::configString(config, "url").value());
    if (!endpoint) return endpoint.error();
    s.endpoint = std::move(*endpoint);
    s.ca_file = jm::sdk::configString(config, "ca_file").value();
    s.target_blocks = static_cast<int>(jm::sdk::configInt(config, "target_blocks").value());
    s.timeout = jm::sdk::configDuration(config, "timeout").value();
    s.cache = jm::sdk::configDuration(config, "cache").value();
    s.max_stale = jm::sdk::configDuration(config, "max_stale").value();
    s.fallback_sat_vb = jm::sdk::configDouble(config, "fallback_sat_vb").value();
    s.policy.floor = perKvb(jm::sdk::configDouble(config, "floor_sat_vb").value());
    s.policy.cap = perKvb(jm::sdk::configDouble(config, "cap_sat_vb").value());
    s.policy.randomization = jm::sdk::configDouble(config, "randomization").value();
    if (s.policy.cap < s.policy.floor) return fail(errc::invalid_config, "cap_sat_vb is below floor_sat_vb");
    return s;
}

MempoolFeeEstimator::MempoolFeeEstimator(jm::sdk::PluginContext& ctx, Settings settings) :
    m_ctx(ctx), m_settings(std::move(settings)) {}

MempoolFeeEstimator::~MempoolFeeEstimator() = default;

jm::sdk::Result<void> MempoolFeeEstimator::start() {
    if (m_settings.endpoint.tls) {
        auto tls = makeTlsClientContext(m_settings.ca_file);
        if (!tls) return tls.error();
        m_tls = std::move(*tls);
    }
    return {};
}

void MempoolFeeEstimator::stop(std::function<void()> done) {
    boost::asio::post(m_ctx.executor(), [this, done = std::move(done)] {
        // Callers still waiting learn that no answer comes; a request in flight is ignored.
        m_alive.reset();
        auto waiting = std::move(m_waiting);
        m_waiting.clear();
        for (auto& w : waiting)
            answer(w, fail(errc::cancelled, "the fee estimator stopped"));
        done();
    });
}

void MempoolFeeEstimator::estimate(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) {
    boost::asio::post(m_ctx.executor(),
                      [this, w = Waiter{target_blocks > 0 ? target_blocks : m_settings.target_blocks, std::move(ex),
                                        std::move(done)}]() mutable { onStrand(std::move(w)); });
}

void MempoolFeeEstimator::onStrand(Waiter w) {
    if (!m_alive) return answer(w, fail(errc::cancelled, "the fee estimator stopped"));
    if (m_cached && Clock::now() - m_cachedAt <= m_settings.cache)
        return answer(w, mempoolRateFor(*m_cached, w.target));
    m_waiting.push_back(std::move(w));
    if (m_fetching) return;
    m_fetching = true;
    httpGet(m_ctx.executor(), m_settings.endpoint, "/api/v1/fees/recommended", m_tls, m_settings.timeout,
            m_settings.max_body, [this, alive = std::weak_ptr<int>(m_alive)](jm::sdk::Result<HttpGetReply> reply) {
                if (alive.expired()) return;
                fetched(std::move(reply));
            });
}

void MempoolFeeEstimator::fetched(jm::sdk::Result<HttpGetReply> reply) {
    m_fetching = false;
    auto fees = [&]() -> jm::sdk::Result<MempoolFees> {
        if (!reply) return reply.error();
        if (reply->status != 200) {
            std::string start = reply->body.substr(0, 120);
            for (auto& c : start)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
            return fail(errc::unavailable,
                        "HTTP " + std::to_string(reply->status) + (start.empty() ? "" : ": " + start));
        }
        return parseMempoolFees(reply->body);
    }();
    std::string failure;
    if (fees) {
        m_cached = *fees;
        m_cachedAt = Clock::now();
    } else {
        failure = "fee API " + m_settings.endpoint.host + ": " + fees.error().message;
        JM_LOG(m_ctx.logger(), warning) << failure;
    }
    auto waiting = std::move(m_waiting);
    m_waiting.clear();
    for (auto& w : waiting) {
        if (fees) {
            answer(w, mempoolRateFor(*fees, w.target));
        } else if (m_cached && Clock::now() - m_cachedAt <= m_settings.max_stale) {
            answer(w, mempoolRateFor(*m_cached, w.target)); // the last good reply, still recent
        } else if (m_settings.fallback_sat_vb > 0) {
            answer(w, m_settings.fallback_sat_vb);
        } else {
            answer(w, fail(errc::unavailable, failure));
        }
    }
}

void MempoolFeeEstimator::answer(Waiter& w, jm::sdk::Result<double> sat_vb) {
    jm::sdk::Result<std::int64_t> out =
        sat_vb ? jm::sdk::Result<std::int64_t>(m_settings.policy.apply(perKvb(*sat_vb), uniform))
               : jm::sdk::Result<std::int64_t>(sat_vb.error());
    boost::asio::post(w.ex, [done = std::move(w.done), out = std::move(out)]() mutable { done(std::move(out)); });
}

} // namespace jm::plugins::fee
