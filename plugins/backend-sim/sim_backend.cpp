#include "sim_backend.hpp"

#include <jm/sdk/log.hpp>

#include <boost/asio/post.hpp>

namespace jm::plugins::backend_sim {

SimBackend::State::State(jm::sdk::PluginContext& ctx, const SimSettings& settings) :
    chain(&ctx.bus()), timer(ctx.executor()) {
    chain.setFeeRate(settings.fee_rate);
}

SimBackend::SimBackend(jm::sdk::PluginContext& ctx, SimSettings settings) :
    m_ctx(ctx), m_settings(std::move(settings)), m_state(std::make_shared<State>(ctx, m_settings)) {
    std::int64_t total = 0;
    for (const auto& coin : m_settings.premine) {
        m_state->chain.fund(coin.script, coin.sats);
        total += coin.sats;
    }
    m_state->chain.mine(m_settings.initial_blocks);
    JM_LOG(m_ctx.logger(), info) << "simulated regtest chain at height " << m_state->chain.height() << ": "
                                 << m_settings.premine.size() << " premined coins, " << total << " sats";
}

SimBackend::~SimBackend() = default;

jm::sdk::Result<void> SimBackend::start() {
    if (m_settings.block_interval.count() > 0) scheduleBlock(m_state, m_settings.block_interval);
    return {};
}

void SimBackend::stop(std::function<void()> done) {
    m_state->stopped = true;
    m_state->timer.cancel();
    done();
}

jm::sdk::testing::TestChain& SimBackend::chain() { return m_state->chain; }

void SimBackend::scheduleBlock(const std::shared_ptr<State>& state, std::chrono::milliseconds interval) {
    state->timer.expires_after(interval);
    state->timer.async_wait([weak = std::weak_ptr<State>(state), interval](const boost::system::error_code& ec) {
        if (ec) return;
        auto s = weak.lock();
        if (!s || s->stopped) return;
        s->chain.mine(1);
        scheduleBlock(s, interval);
    });
}

void SimBackend::mineOne(const std::weak_ptr<State>& state) {
    auto s = state.lock();
    if (s && !s->stopped) s->chain.mine(1);
}

void SimBackend::tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) {
    m_state->chain.tip(std::move(ex), std::move(done));
}

void SimBackend::scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                            jm::chain::Callback<jm::chain::WalletScan> done) {
    m_state->chain.scanWallet(std::move(request), std::move(progress), std::move(ex), std::move(done));
}

void SimBackend::getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                          jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) {
    m_state->chain.getTxOut(outpoint, std::move(ex), std::move(done));
}

void SimBackend::getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) {
    m_state->chain.getTransaction(std::move(txid), std::move(ex), std::move(done));
}

void SimBackend::broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) {
    auto txid = m_state->chain.submit(tx);
    if (txid) {
        JM_LOG(m_ctx.logger(), debug) << "accepted " << *txid;
    } else {
        JM_LOG(m_ctx.logger(), info) << "refused a transaction: " << txid.error().message;
    }
    bool mine_now = txid && m_settings.block_interval.count() == 0;
    boost::asio::post(ex, [done = std::move(done), txid = std::move(txid)]() mutable { done(std::move(txid)); });
    // Queued after the completion, on the instance's strand: the caller learns the txid first,
    // as with a real node, and the block follows at once.
    if (mine_now) boost::asio::post(m_ctx.executor(), [weak = std::weak_ptr<State>(m_state)] { mineOne(weak); });
}

void SimBackend::estimateFee(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) {
    m_state->chain.estimateFee(target_blocks, std::move(ex), std::move(done));
}

void SimBackend::watchTransaction(std::string txid, std::int32_t final_depth) {
    m_state->chain.watchTransaction(std::move(txid), final_depth);
}

void SimBackend::unwatchTransaction(std::string txid) { m_state->chain.unwatchTransaction(std::move(txid)); }

} // namespace jm::plugins::backend_sim
